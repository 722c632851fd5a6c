"""Optional field and index selection (``x.?f``, ``x[?k]``), after ``generator.cel.syntax`` rewrote them.

CEL spec (optional types, as enabled in Kubernetes and Kyverno): ``m.?f`` is
``optional.of(m.f)`` when ``m`` has ``f`` and ``optional.none()`` otherwise; chaining on a
``none`` stays ``none``; ``l[?i]`` is ``none`` when ``i`` is out of range. The rest of the optional
API (``orValue``, ``hasValue``, ``value``, ``or``, ``optional.of``…) is native to cel-rust.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import cel

from generator.cel.macros import OR_VALUE
from generator.cel.syntax import OPT_FIELD, OPT_INDEX

__all__ = ["FUNCTIONS", "opt_field", "opt_index", "or_value"]


def _unwrap(value: Any) -> tuple[bool, Any]:
    if isinstance(value, cel.OptionalValue):
        if not value.has_value():
            return False, None
        return True, value.value()
    return True, value


def opt_index(container: Any, key: Any) -> Any:
    """``container[?key]``: the element as an optional value."""
    present, value = _unwrap(container)
    if not present:
        return cel.OptionalValue.none()
    if isinstance(value, dict):
        return cel.OptionalValue.of(value[key]) if key in value else cel.OptionalValue.none()
    if isinstance(value, list):
        if isinstance(key, bool) or not isinstance(key, int | float) or key != int(key):
            raise TypeError(f"no such overload: list[?{type(key).__name__}]")
        index = int(key)
        return cel.OptionalValue.of(value[index]) if 0 <= index < len(value) else cel.OptionalValue.none()
    raise TypeError(f"no such overload: optional index on {type(value).__name__}")


def opt_field(container: Any, name: str) -> Any:
    """``container.?name``: the field as an optional value."""
    present, value = _unwrap(container)
    if not present:
        return cel.OptionalValue.none()
    if not isinstance(value, dict):
        raise TypeError(f"no such overload: optional field selection '.?{name}' on {type(value).__name__}")
    return cel.OptionalValue.of(value[name]) if name in value else cel.OptionalValue.none()


def or_value(value: Any, default: Any) -> Any:
    """``value.orValue(default)``; a value that is no optional is returned as is (Kyverno's CEL)."""
    present, inner = _unwrap(value)
    return inner if present else default


FUNCTIONS: dict[str, Callable[..., Any]] = {OPT_FIELD: opt_field, OPT_INDEX: opt_index, OR_VALUE: or_value}
