"""Kubernetes CEL quantity library: ``quantity()``, ``isQuantity()`` and the Quantity methods.

Semantics from k8s.io/apiserver/pkg/cel/library/quantity.go and resource.Quantity:
``quantity('1.5Gi')``; ``isQuantity(s)``; ``q.sign()``, ``q.isInteger()``, ``q.asInteger()``
(error unless an integer within int64), ``q.asApproximateFloat()``, ``q.add(q|int)``,
``q.sub(q|int)``, ``q.compareTo(q)`` (-1, 0, 1), ``q.isGreaterThan(q)``, ``q.isLessThan(q)``.
Equality is semantic (``quantity('1') == quantity('1000m')``): the tagged value holds the
exact decimal value in a canonical spelling (see ``opaque``).

Grammar (resource.ParseQuantity): a signed decimal number, then a binary-SI suffix
(``Ki Mi Gi Ti Pi Ei``), a decimal-SI suffix (``n u m k M G T P E``) or a decimal exponent
(``e3``, ``E-2``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Context, Decimal, InvalidOperation
from typing import Any

from generator.cel.library.opaque import kind_of, tag, untag

__all__ = ["FUNCTIONS", "parse_quantity", "quantity"]

_CTX = Context(prec=120)
_GRAMMAR = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"
_NUMBER = re.compile(r"^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(.*)$")
_SUFFIXES: dict[str, Decimal] = {
    **{s: Decimal(2) ** (10 * (i + 1)) for i, s in enumerate(("Ki", "Mi", "Gi", "Ti", "Pi", "Ei"))},
    **{s: Decimal(10) ** p for s, p in (("n", -9), ("u", -6), ("m", -3), ("", 0), ("k", 3), ("M", 6))},
    **{s: Decimal(10) ** p for s, p in (("G", 9), ("T", 12), ("P", 15), ("E", 18))},
}
_EXPONENT = re.compile(r"^[eE]([+-]?[0-9]+)$")
_INT64 = (-(2**63), 2**63 - 1)


def parse_quantity(text: str) -> Decimal:
    """The exact value of a Kubernetes quantity string; ValueError when it is not one."""
    m = _NUMBER.match(text.strip()) if isinstance(text, str) else None
    if not m or text != text.strip():
        raise ValueError(f"quantities must match the regular expression {_GRAMMAR!r}: {text!r}")
    number, suffix = m.groups()
    try:
        value = Decimal(number)
    except InvalidOperation as e:  # pragma: no cover - the regex admits only valid numbers
        raise ValueError(f"invalid quantity {text!r}") from e
    if suffix in _SUFFIXES:
        return _CTX.multiply(value, _SUFFIXES[suffix])
    exp = _EXPONENT.match(suffix)
    if exp:
        return _CTX.multiply(value, _CTX.power(Decimal(10), int(exp.group(1))))
    raise ValueError(f"unable to parse quantity's suffix: {text!r}")


def _canonical(value: Decimal) -> str:
    if value.is_zero():
        return "0"
    return format(value.normalize(_CTX), "f")


def _make(value: Decimal) -> dict[str, str]:
    return tag("quantity", _canonical(value))


def _value(q: Any, function: str) -> Decimal:
    return Decimal(untag("quantity", q, function))


def _operand(other: Any, function: str) -> Decimal:
    if isinstance(other, int) and not isinstance(other, bool):
        return Decimal(other)
    return _value(other, function)


def quantity(text: Any) -> dict[str, str]:
    """``quantity('500m')``: parse a quantity string (error when it is not one)."""
    if not isinstance(text, str):
        raise TypeError("no such overload: quantity(string)")
    return _make(parse_quantity(text))


def is_quantity(text: Any) -> bool:
    """``isQuantity('1Gi')``: whether ``quantity()`` would accept the string."""
    if not isinstance(text, str):
        raise TypeError("no such overload: isQuantity(string)")
    try:
        parse_quantity(text)
    except ValueError:
        return False
    return True


def sign(q: Any) -> int:
    """-1, 0 or 1."""
    v = _value(q, "sign")
    return (v > 0) - (v < 0)


def is_integer(q: Any) -> bool:
    """Whether ``asInteger()`` would succeed (integral and within int64)."""
    v = _value(q, "isInteger")
    return v == v.to_integral_value() and _INT64[0] <= int(v) <= _INT64[1]


def as_integer(q: Any) -> int:
    """The value as an int; error when fractional or outside int64."""
    if not is_integer(q):
        raise ValueError(f"cannot convert value to integer: {untag('quantity', q, 'asInteger')}")
    return int(_value(q, "asInteger"))


def as_approximate_float(q: Any) -> float:
    """The value as a double (may lose precision)."""
    return float(_value(q, "asApproximateFloat"))


def add(q: Any, other: Any) -> dict[str, str]:
    """``q.add(q2)`` or ``q.add(int)``."""
    return _make(_CTX.add(_value(q, "add"), _operand(other, "add")))


def sub(q: Any, other: Any) -> dict[str, str]:
    """``q.sub(q2)`` or ``q.sub(int)``."""
    return _make(_CTX.subtract(_value(q, "sub"), _operand(other, "sub")))


def compare_to(q: Any, other: Any) -> int:
    """-1, 0 or 1 as ``q`` is less than, equal to or greater than ``other``."""
    a, b = _value(q, "compareTo"), _value(other, "compareTo")
    return (a > b) - (a < b)


def is_greater_than(q: Any, other: Any) -> bool:
    """``q > other``."""
    return _value(q, "isGreaterThan") > _value(other, "isGreaterThan")


def is_less_than(q: Any, other: Any) -> bool:
    """``q < other``."""
    return _value(q, "isLessThan") < _value(other, "isLessThan")


def is_quantity_value(value: Any) -> bool:
    """Whether ``value`` is a tagged quantity (for callers converting results)."""
    return kind_of(value) == "quantity"


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "quantity": quantity,
    "isQuantity": is_quantity,
    "sign": sign,
    "isInteger": is_integer,
    "asInteger": as_integer,
    "asApproximateFloat": as_approximate_float,
    "add": add,
    "sub": sub,
    "compareTo": compare_to,
    "isGreaterThan": is_greater_than,
    "isLessThan": is_less_than,
}
