"""Operators of ``preconditions`` and ``deny.conditions`` (upstream ``pkg/engine/variables/operator``).

``evaluate_operator(op, key, value)`` compares an already-substituted key with a value. Each operator
is a small pure function in ``OPERATORS`` (looked up case-insensitively, as upstream). Unknown operators
raise ``ValueError`` so the caller can report a rule error with the operator's name.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

from generator.policy import wildcard
from generator.policy.operators import compare_numbers
from generator.quantity import parse_duration, parse_quantity

__all__ = ["OPERATORS", "evaluate_operator", "go_string"]

_RANGE = re.compile(r"^(-?\d+(?:\.\d+)?)-(-?\d+(?:\.\d+)?)$")
_NOT_RANGE = re.compile(r"^(-?\d+(?:\.\d+)?)!-(-?\d+(?:\.\d+)?)$")


def go_string(value: Any) -> str:
    """``fmt.Sprint`` as upstream uses it to compare list items: ``True`` → ``true``, ``1.0`` → ``1``."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e21 else repr(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), sort_keys=True)
    return str(value)


def _equal_string(key: str, value: Any) -> bool:
    if isinstance(value, str):
        kd, vd = parse_duration(key), parse_duration(value)
        if kd is not None and vd is not None and key.strip() != "0":
            return kd == vd
        kq = parse_quantity(key)
        if kq is not None:
            vq = parse_quantity(value)
            return vq is not None and kq == vq
        return wildcard.match(value, key)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        kq = parse_quantity(key)
        return kq is not None and kq == Fraction(value)
    return False


def _equals(key: Any, value: Any) -> bool:
    if isinstance(key, bool) or isinstance(value, bool):
        return isinstance(key, bool) and isinstance(value, bool) and key is value
    if isinstance(key, (int, float)):
        if isinstance(value, (int, float)):
            return key == value
        if isinstance(value, str):
            vq = parse_quantity(value)
            return vq is not None and vq == Fraction(key)
        return False
    if isinstance(key, str):
        return _equal_string(key, value)
    if key is None:
        return value is None
    return bool(key == value)


def _in_list(key: Any, values: Any) -> bool | None:
    """Scalar ``key`` is in ``values`` (wildcards either way); ``None`` when ``values`` is unusable."""
    skey = go_string(key)
    if isinstance(values, list):
        for item in values:
            sitem = go_string(item)
            if wildcard.match(sitem, skey) or wildcard.match(skey, sitem) or _in_range(key, item):
                return True
        return False
    if isinstance(values, str):
        if _RANGE.match(values) or _NOT_RANGE.match(values):
            return _in_range(key, values)
        if wildcard.match(values, skey):
            return True
        try:
            parsed = json.loads(values)
        except ValueError:
            return None
        if isinstance(parsed, list):
            return any(go_string(v) == skey for v in parsed)
        return None
    if values is None:
        return None
    return go_string(values) == skey


def _in_range(key: Any, item: Any) -> bool:
    if not isinstance(item, str) or isinstance(key, bool):
        return False
    try:
        number = float(key)
    except (TypeError, ValueError):
        return False
    m = _RANGE.match(item)
    if m:
        return float(m.group(1)) <= number <= float(m.group(2))
    m = _NOT_RANGE.match(item)
    if m:
        return not float(m.group(1)) <= number <= float(m.group(2))
    return False


def _as_list(key: Any) -> list[Any]:
    return key if isinstance(key, list) else [key]


def _string_set(values: Any) -> list[str] | None:
    if isinstance(values, list):
        if not all(isinstance(v, str) for v in values):
            return None
        return list(values)
    if isinstance(values, str):
        try:
            parsed = json.loads(values)
        except ValueError:
            return [values]
        return [str(v) for v in parsed] if isinstance(parsed, list) else [values]
    return None


def _legacy_in(key: Any, values: Any) -> bool:
    if isinstance(key, list):
        pool = _string_set(values)
        if pool is None or not all(isinstance(k, str) for k in key):
            return False
        return all(k in pool for k in key)
    return bool(_in_list(key, values))


def _legacy_not_in(key: Any, values: Any) -> bool:
    if isinstance(key, list):
        pool = _string_set(values)
        if pool is None or not all(isinstance(k, str) for k in key):
            return False
        return any(k not in pool for k in key)
    found = _in_list(key, values)
    return found is False


def _any_in(key: Any, values: Any) -> bool:
    return any(_in_list(k, values) for k in _as_list(key))


def _all_in(key: Any, values: Any) -> bool:
    keys = _as_list(key)
    return bool(keys) and all(_in_list(k, values) for k in keys)


def _any_not_in(key: Any, values: Any) -> bool:
    return any(_in_list(k, values) is False for k in _as_list(key))


def _all_not_in(key: Any, values: Any) -> bool:
    keys = _as_list(key)
    return bool(keys) and all(_in_list(k, values) is False for k in keys)


def _number(value: Any) -> tuple[str, Fraction] | None:
    """A value as a comparable number, tried as upstream does: number, quantity, then duration."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None  # Infinity/NaN have no exact ratio; upstream's comparison fails on them too
    if isinstance(value, (int, float)):
        return ("number", Fraction(value))
    if isinstance(value, str):
        q = parse_quantity(value)
        if q is not None:
            return ("number", q)
        d = parse_duration(value)
        if d is not None:
            return ("duration", d)
    return None


def _numeric(op: str) -> Callable[[Any, Any], bool]:
    def compare(key: Any, value: Any) -> bool:
        left, right = _number(key), _number(value)
        if left is None or right is None:
            return False
        if left[0] != right[0]:
            # a bare number compared with a duration counts as seconds, as upstream's duration parsing
            if "duration" in (left[0], right[0]) and "number" in (left[0], right[0]):
                return compare_numbers(left[1], right[1], op)
            return False
        return compare_numbers(left[1], right[1], op)

    return compare


def _seconds(value: Any) -> Fraction | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return Fraction(value)
    if isinstance(value, str):
        return parse_duration(value)
    return None


def _duration(op: str) -> Callable[[Any, Any], bool]:
    def compare(key: Any, value: Any) -> bool:
        left, right = _seconds(key), _seconds(value)
        return left is not None and right is not None and compare_numbers(left, right, op)

    return compare


OPERATORS: Mapping[str, Callable[[Any, Any], bool]] = {
    "equals": _equals,
    "equal": _equals,
    "notequals": lambda k, v: not _equals(k, v),
    "notequal": lambda k, v: not _equals(k, v),
    "in": _legacy_in,
    "notin": _legacy_not_in,
    "anyin": _any_in,
    "allin": _all_in,
    "anynotin": _any_not_in,
    "allnotin": _all_not_in,
    "greaterthan": _numeric(">"),
    "greaterthanorequals": _numeric(">="),
    "lessthan": _numeric("<"),
    "lessthanorequals": _numeric("<="),
    "durationgreaterthan": _duration(">"),
    "durationgreaterthanorequals": _duration(">="),
    "durationlessthan": _duration("<"),
    "durationlessthanorequals": _duration("<="),
}


def evaluate_operator(operator: str, key: Any, value: Any) -> bool:
    """Apply a Kyverno condition operator; raises ``ValueError`` for an unknown operator."""
    handler = OPERATORS.get(str(operator).lower())
    if handler is None:
        raise ValueError(f"unknown condition operator {operator!r}")
    return handler(key, value)
