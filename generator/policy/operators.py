"""Leaf values of a Kyverno ``pattern``: does one resource value satisfy one pattern value?

Implements the value language of ``validate.pattern`` (upstream ``pkg/engine/pattern``): typed
literals (bool, int, float, null), and strings with ``|`` (or), ``&`` (and), the comparison
operators ``>``, ``<``, ``>=``, ``<=``, ``!``, the ranges ``a-b`` and ``a!-b``, wildcards, and
comparisons as Go durations or Kubernetes quantities before plain strings. Pure; never raises.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Any

from generator.policy import wildcard
from generator.quantity import parse_duration, parse_quantity

__all__ = ["compare_numbers", "format_go_float", "split_operator", "validate_value"]

_IN_RANGE = re.compile(r"^-?\d+(\.\d+)?[A-Za-z]*-\d+(\.\d+)?[A-Za-z]*$")
_NOT_IN_RANGE = re.compile(r"^-?\d+(\.\d+)?[A-Za-z]*!-\d+(\.\d+)?[A-Za-z]*$")


def format_go_float(value: float) -> str:
    """Go's ``strconv.FormatFloat(v, 'E', -1, 64)``: ``1.5`` → ``1.5E+00`` (how Kyverno compares floats)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "0E+00"
    sign, digits, exp = Decimal(repr(value)).normalize().as_tuple()
    text = "".join(str(d) for d in digits)
    exponent = len(digits) - 1 + int(exp)
    mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
    return f"{'-' if sign else ''}{mantissa}E{'+' if exponent >= 0 else '-'}{abs(exponent):02d}"


def _number_text(value: Any) -> str | None:
    """Kyverno's ``convertNumberToString``: what a value looks like when parsed as a quantity."""
    if value is None:
        return "0"
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return f"{value:f}"
    if isinstance(value, int):
        return str(value)
    return None


def compare_numbers(left: Fraction, right: Fraction, op: str) -> bool:
    """Apply ``op`` (one of ``==``, ``!``, ``>``, ``<``, ``>=``, ``<=``) to two exact numbers."""
    return {
        "": left == right,
        "!": left != right,
        ">": left > right,
        "<": left < right,
        ">=": left >= right,
        "<=": left <= right,
    }[op]


def _compare_duration(value: Any, pattern: str, op: str) -> bool:
    right = parse_duration(pattern)
    if right is None or pattern.strip() == "0":
        return False
    text = _number_text(value)
    left = parse_duration(text) if text is not None else None
    return left is not None and compare_numbers(left, right, op)


def _compare_quantity(value: Any, pattern: str, op: str) -> bool:
    right = parse_quantity(pattern)
    if right is None:
        return False
    text = _number_text(value)
    left = parse_quantity(text) if text is not None else None
    return left is not None and compare_numbers(left, right, op)


def _compare_string(value: Any, pattern: str, op: str) -> bool:
    if op not in ("", "!"):
        return False  # >, <, >=, <= do not apply to strings upstream
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        text = format_go_float(value)
    elif isinstance(value, str):
        text = value
    else:
        return False
    result = wildcard.match(pattern, text)
    return not result if op == "!" else result


def split_operator(pattern: str) -> tuple[str, str]:
    """``">= 5"`` → ``(">=", "5")``; ranges give ``("-", pattern)`` / ``("!-", pattern)``."""
    if len(pattern) < 2:
        return "", pattern
    for op in (">=", "<=", ">", "<", "!"):
        if pattern.startswith(op):
            return op, pattern[len(op) :].strip()
    if _IN_RANGE.match(pattern):
        return "-", pattern
    if _NOT_IN_RANGE.match(pattern):
        return "!-", pattern
    return "", pattern.strip()


def _validate_single(value: Any, pattern: str) -> bool:
    op, rest = split_operator(pattern)
    if op == "-":
        low, high = rest.split("-")[:2]  # upstream splits on every "-" and takes the first two
        return _validate_single(value, f">= {low}") and _validate_single(value, f"<= {high}")
    if op == "!-":
        low, high = rest.split("!-", 1)
        return _validate_single(value, f"< {low}") or _validate_single(value, f"> {high}")
    return (
        _compare_duration(value, rest, op)
        or _compare_quantity(value, rest, op)
        or _compare_string(value, rest, op)
    )


def _validate_string_pattern(value: Any, pattern: str) -> bool:
    if value == pattern and isinstance(value, str):
        return True
    for alternative in pattern.split("|"):
        if all(_validate_single(value, part.strip(" ")) for part in alternative.strip(" ").split("&")):
            return True
    return False


def _validate_bool(value: Any, pattern: bool) -> bool:
    return isinstance(value, bool) and value is pattern


def _validate_int(value: Any, pattern: int) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value == pattern
    if isinstance(value, float):
        return value.is_integer() and int(value) == pattern
    if isinstance(value, str):
        try:
            return int(value, 10) == pattern
        except ValueError:
            return False
    return False


def _validate_float(value: Any, pattern: float) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return pattern.is_integer() and int(pattern) == value
    if isinstance(value, float):
        return value == pattern
    if isinstance(value, str):
        try:
            return float(value) == pattern
        except ValueError:
            return False
    return False


def _validate_nil(value: Any) -> bool:
    if isinstance(value, (dict, list)):
        return False
    return value is None or value is False or value in (0, "")


@lru_cache(maxsize=8192, typed=True)
def _cached_string(value: Any, pattern: str) -> bool:
    return _validate_string_pattern(value, pattern)


_BY_TYPE: dict[type, Callable[[Any, Any], bool]] = {
    bool: _validate_bool,
    int: _validate_int,
    float: _validate_float,
    dict: lambda value, _pattern: isinstance(value, dict),
    list: lambda _value, _pattern: False,
}


def validate_value(value: Any, pattern: Any) -> bool:
    """Does the scalar ``value`` satisfy the scalar ``pattern``? (upstream ``pattern.Validate``)."""
    if pattern is None:
        return _validate_nil(value)
    if isinstance(pattern, str):
        if isinstance(value, (str, int, float, bool)) or value is None:
            return _cached_string(value, pattern)
        return _validate_string_pattern(value, pattern)
    handler = _BY_TYPE.get(type(pattern))
    return handler(value, pattern) if handler else False
