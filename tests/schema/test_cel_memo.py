"""CEL rule results are remembered per value: a remembered result is the one a fresh rule gives.

``cel_rules`` keys its memo by ``repr(value)``; these tests evaluate one compiled rule over values
that repeat, differ only in type or key order, pass and fail (with a ``messageExpression``) or fail
at run time, and compare every answer with that of a rule compiled afresh (an empty memo).
"""

from __future__ import annotations

from typing import Any

import pytest

from generator.schema import cel_rules

SCHEMA: dict[str, Any] = {"x-kubernetes-preserve-unknown-fields": True}
RULES = [
    {"rule": "self == 1", "message": "must be one"},
    {"rule": "has(self.a) && self.a > 1", "messageExpression": "'a is ' + string(self.a)"},
    {"rule": "self.size() > 1", "fieldPath": ".spec"},
    {"rule": "self.all(k, k != 'x')"},
]
VALUES: list[Any] = [
    1,
    1.0,
    True,
    "1",
    None,
    2,
    1,
    True,
    "1",
    {"a": 1, "b": 2},
    {"b": 2, "a": 1},
    {"a": 2},
    {"a": 1, "b": 2},
    {"a": "2"},
    {"x": 1},
    {"a": 2},
    [1, 2],
    [2, 1],
    [1],
    [1, 2],
    ["x"],
    [["x"]],
    [],
    {},
    {"a": [1, 2]},
    {"a": (1, 2)},
]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r["rule"])
def test_remembered_results_equal_fresh_ones(rule: dict[str, Any]) -> None:
    remembered = cel_rules.compile_rule(rule, SCHEMA)
    assert remembered is not None
    for value in VALUES + VALUES[::-1]:
        fresh = cel_rules.compile_rule(rule, SCHEMA)
        assert fresh is not None
        assert list(remembered(value)) == list(fresh(value)), value


def test_memo_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past ``MEMO_SIZE`` entries the memo starts over; answers stay right."""
    monkeypatch.setattr(cel_rules, "MEMO_SIZE", 3)
    check = cel_rules.compile_rule(RULES[0], SCHEMA)
    assert check is not None
    for round_ in range(3):
        for value in range(6):
            issues = list(check(value))
            assert (issues == []) == (value == 1), (round_, value, issues)
