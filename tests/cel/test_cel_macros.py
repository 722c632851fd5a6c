"""Macros cel-rust lacks, expanded natively: cel.bind, optMap/optFlatMap, two-variable comprehensions."""

from __future__ import annotations

import pytest

from generator.cel import CelEvaluationError, evaluate

OBJ = {"spec": {"replicas": 3, "labels": {"a": "a", "b": "c"}, "items": [10, 20, 30]}}


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("cel.bind(x, 3, x * x)", 9),
        ("cel.bind(a, object.spec.items, cel.bind(n, a.size(), a.map(i, i * n)))", [30, 60, 90]),
        ("cel.bind(x, 'a,b', x.split(','))", ["a", "b"]),
        ("cel.bind(x, 1, x) + cel.bind(x, 2, x)", 3),
        ("object.?spec.optMap(s, s.replicas).orValue(0)", 3),
        ("object.?nope.optMap(s, s.replicas).orValue(0)", 0),
        ("object.?spec.optFlatMap(s, s.?replicas).orValue(0)", 3),
        ("object.?spec.optFlatMap(s, s.?nope).orValue(0)", 0),
        ("object.?nope.optFlatMap(s, s.?replicas).orValue(7)", 7),
        ("object.spec.items.all(i, v, v == (i + 1) * 10)", True),
        ("object.spec.items.exists(i, v, i == 2 && v == 30)", True),
        ("object.spec.items.existsOne(i, v, v > 15 && i < 2)", True),
        ("object.spec.items.exists_one(i, v, v > 5)", False),
        ("object.spec.labels.exists(k, v, k == v)", True),
        ("object.spec.labels.all(k, v, k == v)", False),
        ("object.spec.items.transformList(i, v, v + i)", [10, 21, 32]),
        ("object.spec.items.transformList(i, v, i > 0, v / 10)", [2, 3]),
        ("object.spec.labels.transformList(k, v, k + '=' + v).sort()", ["a=a", "b=c"]),
        ("object.spec.items.all(x, x > 5)", True),
        ("object.spec.labels.transformMap(k, v, v + '!')", {"a": "a!", "b": "c!"}),
        ("object.spec.items.transformMap(i, v, v / 10)", {0: 1, 1: 2, 2: 3}),
        ("object.spec.items.transformMap(i, v, i > 0, v)", {1: 20, 2: 30}),
        ("object.spec.labels.transformMapEntry(k, v, {v: k})", {"a": "a", "c": "b"}),
        ("'cel.bind(x, 1, x)'", "cel.bind(x, 1, x)"),
    ],
)
def test_macros(expr: str, expected: object) -> None:
    assert evaluate(expr, {"object": OBJ}) == expected


def test_transform_map_entry_duplicate_key_is_an_error() -> None:
    with pytest.raises(CelEvaluationError, match="duplicate map key"):
        evaluate("{'a': 1, 'b': 1}.transformMapEntry(k, v, {v: k})", {})


def test_two_variable_comprehension_on_a_scalar_is_an_error() -> None:
    with pytest.raises(CelEvaluationError):
        evaluate("object.spec.replicas.all(i, v, true)", {"object": OBJ})
