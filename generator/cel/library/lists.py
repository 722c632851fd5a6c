"""Kubernetes CEL list library, plus cel-go's ``ext.Lists`` and ``ext.Sets``.

Kubernetes (k8s.io/apiserver/pkg/cel/library/lists.go): ``isSorted()``, ``sum()``, ``min()``,
``max()``, ``indexOf(e)``, ``lastIndexOf(e)`` on a list receiver. ``sum`` of an empty list is
``0``; ``min``/``max`` of an empty list is an error; elements must be of one comparable type
(int, uint, double, string, bytes, bool, duration, timestamp), else "no such overload".

Also from cel-go's extensions, which newer Kubernetes enables: ``distinct``, ``flatten``,
``slice``, ``sort``, ``first``, ``last``, ``lists.range`` and ``sets.contains``,
``sets.equivalent``, ``sets.intersects``. CEL equality keeps ``true`` and ``1`` apart, so the
comparisons below do too (plain Python ``==`` would not).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from cel import stdlib

from generator.cel.cost import MAX_RANGE
from generator.cel.library.opaque import type_name

__all__ = ["FUNCTIONS", "cel_equal"]

_ORDERED = (int, float, str, bytes, bool, timedelta, datetime)


def cel_equal(a: Any, b: Any) -> bool:
    """CEL equality: numbers compare across int/double, bool never equals a number."""
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(cel_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(cel_equal(a[k], b[k]) for k in a)
    result: bool = a == b
    return result


def _family(value: Any) -> type:
    if isinstance(value, bool):
        return bool
    if isinstance(value, int | float):
        return float
    for kind in _ORDERED:
        if isinstance(value, kind):
            return kind
    raise TypeError(f"no such overload: elements of type {type_name(value)} are not comparable")


def _comparable(name: str, items: Any) -> list[Any]:
    if not isinstance(items, list):
        raise TypeError(f"no such overload: {name}() needs a list receiver, got {type_name(items)}")
    families = {_family(item) for item in items}
    if len(families) > 1:
        raise TypeError(f"no such overload: {name}() on a list of mixed types")
    return items


def is_sorted(items: Any) -> bool:
    """``[1, 2, 3].isSorted()``: ascending order (equal neighbours allowed)."""
    values = _comparable("isSorted", items)
    return all(a <= b for a, b in pairwise(values))


def sum_(items: Any) -> Any:
    """``[1, 2].sum()``: ints, uints, doubles or durations; ``0`` for an empty list."""
    values = _comparable("sum", items)
    if values and isinstance(values[0], bool | str | bytes | datetime):
        raise TypeError(f"no such overload: sum() of {type_name(values[0])}")
    return stdlib.sum_(values)


def min_(items: Any) -> Any:
    """``[2, 1].min()``: the least element; error on an empty list."""
    values = _comparable("min", items)
    if not values:
        raise ValueError("min() called on an empty list")
    return min(values)


def max_(items: Any) -> Any:
    """``[2, 1].max()``: the greatest element; error on an empty list."""
    values = _comparable("max", items)
    if not values:
        raise ValueError("max() called on an empty list")
    return max(values)


def index_of(items: list[Any], element: Any) -> int:
    """``[1, 2, 2].indexOf(2) == 1``; ``-1`` when absent."""
    return next((i for i, item in enumerate(items) if cel_equal(item, element)), -1)


def last_index_of(items: list[Any], element: Any) -> int:
    """``[1, 2, 2].lastIndexOf(2) == 2``; ``-1`` when absent."""
    return next((i for i in range(len(items) - 1, -1, -1) if cel_equal(items[i], element)), -1)


def _sets_contains(a: list[Any], b: list[Any]) -> bool:
    return all(any(cel_equal(x, y) for y in a) for x in b)


def _sets_equivalent(a: list[Any], b: list[Any]) -> bool:
    return _sets_contains(a, b) and _sets_contains(b, a)


def _sets_intersects(a: list[Any], b: list[Any]) -> bool:
    return any(any(cel_equal(x, y) for y in b) for x in a)


def _lists_only(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any) -> Any:
        if not args or not all(isinstance(a, list) for a in args[: 2 if name.startswith("sets.") else 1]):
            raise TypeError(f"no such overload: {name}({', '.join(type_name(a) for a in args)})")
        return fn(*args)

    call.__name__ = name
    return call


def _range(n: Any) -> Any:
    """``lists.range(n)``, refused past :data:`generator.cel.cost.MAX_RANGE` (a memory bound)."""
    if isinstance(n, int) and n > MAX_RANGE:
        raise ValueError(f"lists.range: {n} is over the limit of {MAX_RANGE:,}")
    return stdlib.lists_range(n)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "isSorted": is_sorted,
    "sum": sum_,
    "min": min_,
    "max": max_,
    "indexOf": _lists_only("indexOf", index_of),
    "lastIndexOf": _lists_only("lastIndexOf", last_index_of),
    "distinct": _lists_only("distinct", stdlib.distinct),
    "flatten": _lists_only("flatten", stdlib.flatten),
    "slice": _lists_only("slice", stdlib.slice_),
    "sort": _lists_only("sort", lambda items: sorted(_comparable("sort", items))),
    "reverse": _lists_only("reverse", stdlib.reverse),
    "first": _lists_only("first", stdlib.first),
    "last": _lists_only("last", stdlib.last),
    "lists.range": _range,
    "sets.contains": _lists_only("sets.contains", _sets_contains),
    "sets.equivalent": _lists_only("sets.equivalent", _sets_equivalent),
    "sets.intersects": _lists_only("sets.intersects", _sets_intersects),
}
