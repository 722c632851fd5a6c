"""Bounded engines (issue 11 point 5): pathological input ends fast, and a broken rule is an error.

Each case took from 30 s to minutes (or never returned a verdict) with backtracking regexes, a
regex-compiled wildcard and lenient substitution of failed functions.
"""

from __future__ import annotations

import time

import pytest

from generator.cel import compile_expression
from generator.cel.errors import CelError
from generator.policy.wildcard import match

from .helpers import pod, policy, rule, statuses

#: Every case here must finish well inside this (each took 30 s or more before).
FAST = 2.0


def _deny(key: str, value: object = True):
    return rule(
        {
            "message": "m",
            "deny": {"conditions": {"any": [{"key": key, "operator": "Equals", "value": value}]}},
        }
    )


def _timed(fn):
    started = time.monotonic()
    result = fn()
    assert time.monotonic() - started < FAST
    return result


def test_wildcard_with_many_stars_is_linear() -> None:
    assert _timed(lambda: match("*a*a*a*a*a*a*b", "a" * 100)) is False
    assert _timed(lambda: match("*a*a*a*a*a*a*b", "a" * 100 + "b")) is True


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        ("a*b*c", "aXbYc", True),
        ("a*b*c", "aXbY", False),
        ("*-*", "a-b", True),
        ("x?z*", "xyz\nq", True),
        ("**", "", True),
    ],
)
def test_wildcard_semantics_kept(pattern: str, text: str, expected: bool) -> None:
    assert match(pattern, text) is expected


def test_backtracking_regex_in_a_condition_is_linear() -> None:
    pol = policy([_deny("{{ regex_match('(a|aa)+$', '" + "a" * 40 + "b') }}")])
    assert _timed(lambda: statuses(pol, pod())) == {"r": "pass"}


@pytest.mark.parametrize(
    "key",
    [
        "{{ regex_match('(', request.object.metadata.name) }}",
        "{{ regex_match('(a)\\1', request.object.metadata.name) }}",  # backreference: not RE2, not Go
        "{{ nosuchfunction(request.object.metadata.name) }}",
        "{{ regex_replace_all('[', request.object.metadata.name, 'x') }}",
    ],
    ids=["bad-regex", "backreference", "unknown-function", "bad-regex-replace"],
)
def test_a_broken_condition_is_an_error_never_a_pass(key: str) -> None:
    assert statuses(policy([_deny(key)]), pod()) == {"r": "error"}


def test_a_too_deep_expression_is_refused_at_load() -> None:
    from generator.errors import PolicyLoadError

    with pytest.raises(PolicyLoadError, match="too deep"):
        policy([_deny("{{ " + "(" * 5000 + "request.object.metadata.name" + ")" * 5000 + " }}")])


def test_a_missing_variable_in_a_condition_is_still_null() -> None:
    """Leniency stays for what Kyverno reads as null: a path the resource does not have."""
    pol = policy([_deny("{{ request.object.metadata.labels.nothere }}", "x")])
    assert statuses(pol, pod()) == {"r": "pass"}


def test_regex_replace_all_expands_go_references() -> None:
    pol = policy([_deny("{{ regex_replace_all('(\\w+)-(\\w+)', 'ab-cd', '${2}.$1.$$') }}", "cd.ab.$")])
    assert statuses(pol, pod()) == {"r": "fail"}


def test_cel_find_is_linear_and_bad_patterns_are_errors() -> None:
    program = compile_expression("self.find('(a|aa)+$')")
    assert _timed(lambda: program.evaluate({"self": "a" * 40 + "b"})) == ""
    with pytest.raises(CelError):
        compile_expression("self.find('(')").evaluate({"self": "x"})
