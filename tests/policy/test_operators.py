"""Leaf pattern values, from Kyverno's documented pattern operators and wildcards."""

import pytest

from generator.policy.operators import format_go_float, validate_value
from generator.quantity import parse_duration, parse_quantity

CASES = [
    # (value, pattern, expected)
    ("nginx:1.2", "*:*", True),
    ("nginx", "*:*", False),
    ("nginx", "?*", True),
    ("", "?*", False),
    ("a", "a|b", True),
    ("c", "a|b", False),
    (5, ">3", True),
    (5, ">=5", True),
    (5, "<5", False),
    (5, "<=5", True),
    ("nginx:latest", "!*:latest", False),
    ("nginx:1.0", "!*:latest", True),
    (7, ">5 & <10", True),
    (12, ">5 & <10", False),
    (15, "10-20", True),
    (25, "10-20", False),
    (25, "10!-20", True),
    (15, "10!-20", False),
    ("2Gi", ">1Gi", True),
    ("512Mi", ">1Gi", False),
    ("500m", "<1", True),
    ("1h", ">30m", True),
    ("10m", ">30m", False),
    (True, True, True),
    ("true", True, False),
    (1, 1, True),
    (1.0, 1, True),
    ("1", 1, True),
    (1, 1.5, False),
    (None, None, True),
    ("", None, True),
    (0, None, True),
    ("x", None, False),
    ({"a": 1}, {}, True),
    (True, "true", True),
    (80, "80", True),
    (None, "*", False),
]


@pytest.mark.parametrize(("value", "pattern", "expected"), CASES, ids=[f"{v!r}~{p!r}" for v, p, _ in CASES])
def test_validate_value(value, pattern, expected):
    assert validate_value(value, pattern) is expected


def test_bool_is_not_an_int():
    assert validate_value(True, 1) is False


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1Gi", 2**30), ("500m", 0.5), ("2k", 2000), ("1e3", 1000), ("abc", None), ("", None), ("1.5", 1.5)],
)
def test_parse_quantity(text, expected):
    result = parse_quantity(text)
    assert (None if result is None else float(result)) == expected


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1h30m", 5400), ("90s", 90), ("1.5h", 5400), ("250ms", 0.25), ("0", 0), ("5", None)],
)
def test_parse_duration(text, seconds):
    result = parse_duration(text)
    assert (None if result is None else float(result)) == seconds


def test_go_float_format_matches_strconv():
    assert format_go_float(1.5) == "1.5E+00"
    assert format_go_float(1234.0) == "1.234E+03"
    assert format_go_float(0.001) == "1E-03"
