"""Condition operators of preconditions and deny, from Kyverno's operator documentation."""

import pytest

from generator.policy.conditions import evaluate_operator

CASES = [
    ("Equals", "nginx", "nginx", True),
    ("Equals", "nginx", "ngi*", True),
    ("Equals", "1Gi", "1024Mi", True),
    ("Equals", "1h", "60m", True),
    ("Equals", 3, 3, True),
    ("Equals", {"a": 1}, {"a": 1}, True),
    ("Equals", None, None, True),
    ("Equals", True, "true", False),
    ("NotEquals", "a", "b", True),
    ("NotEquals", "a", "a", False),
    ("In", "a", ["a", "b"], True),
    ("In", ["a", "b"], ["a", "b", "c"], True),
    ("In", ["a", "z"], ["a", "b"], False),
    ("NotIn", "z", ["a", "b"], True),
    ("NotIn", ["a", "z"], ["a", "b"], True),
    ("AnyIn", ["a", "z"], ["a", "b"], True),
    ("AnyIn", ["y", "z"], ["a", "b"], False),
    ("AnyIn", "kube-*", ["kube-system"], True),
    ("AllIn", ["a", "b"], ["a", "b", "c"], True),
    ("AllIn", ["a", "z"], ["a", "b"], False),
    ("AnyNotIn", ["a", "z"], ["a", "b"], True),
    ("AnyNotIn", ["a", "b"], ["a", "b"], False),
    ("AllNotIn", ["y", "z"], ["a", "b"], True),
    ("AllNotIn", ["a", "z"], ["a", "b"], False),
    ("AnyNotIn", [80, 5500], "5000-6000", True),
    ("AnyNotIn", [5500], "5000-6000", False),
    ("AnyIn", [8080], ["8000-9000"], True),
    ("GreaterThan", 5, 3, True),
    ("GreaterThan", "2Gi", "1Gi", True),
    ("GreaterThanOrEquals", "1Gi", "1024Mi", True),
    ("LessThan", "100m", 1, True),
    ("LessThanOrEquals", 3, "3", True),
    ("GreaterThan", "abc", 1, False),
    ("DurationGreaterThan", "2h", "90m", True),
    ("DurationLessThan", "30s", 60, True),
    ("DurationGreaterThanOrEquals", "1h", "60m", True),
    ("DurationLessThanOrEquals", "2h", "1h", False),
]


@pytest.mark.parametrize(
    ("op", "key", "value", "expected"), CASES, ids=[f"{o}:{k}:{v}" for o, k, v, _ in CASES]
)
def test_operator(op, key, value, expected):
    assert evaluate_operator(op, key, value) is expected


def test_operator_names_are_case_insensitive():
    assert evaluate_operator("anyin", "a", ["a"]) is True


def test_unknown_operator_raises():
    with pytest.raises(ValueError, match="Contains"):
        evaluate_operator("Contains", "a", "a")


def test_non_finite_numbers_never_compare():
    """Infinity and NaN (JSON extensions a resource may carry) fail numeric operators, never raise."""
    for key in (float("inf"), float("-inf"), float("nan")):
        assert evaluate_operator("Equals", key, 0) is False
        assert evaluate_operator("GreaterThan", key, 0) is False
