"""Opaque Kubernetes CEL values (quantity, URL, IP, CIDR) carried through cel-rust as tagged maps.

cel-rust only converts plain values (maps, lists, scalars) across the Python boundary, so a
Kubernetes ``Quantity`` cannot be a CEL object of its own. We carry it as a one-entry map
``{"@quantity": "<canonical text>"}``. The canonical text is chosen so that CEL ``==`` on two
tagged maps agrees with Kubernetes' semantic equality (``quantity('1') == quantity('1000m')``).
The price: ``size()`` and ``in`` on such a value act on the map (documented in KNOWN_GAPS.yaml).
"""

from __future__ import annotations

from typing import Any

__all__ = ["kind_of", "tag", "untag"]

_PREFIX = "@"


def tag(kind: str, text: str) -> dict[str, str]:
    """Wrap ``text`` as an opaque value of ``kind`` (``quantity``, ``url``, ``ip``, ``cidr``)."""
    return {_PREFIX + kind: text}


def kind_of(value: Any) -> str | None:
    """The opaque kind of ``value``, or None for a plain CEL value."""
    if isinstance(value, dict) and len(value) == 1:
        (key,) = value
        if isinstance(key, str) and key.startswith(_PREFIX):
            return key[1:]
    return None


def untag(kind: str, value: Any, function: str) -> str:
    """The text inside an opaque ``kind`` value; TypeError (no such overload) otherwise."""
    if kind_of(value) != kind:
        raise TypeError(f"no such overload: {function} expects a {kind}, got {type_name(value)}")
    text: str = value[_PREFIX + kind]
    return text


def type_name(value: Any) -> str:
    """CEL-ish type name of a Python value, for messages."""
    kind = kind_of(value)
    if kind:
        return kind
    names = {bool: "bool", int: "int", float: "double", str: "string", bytes: "bytes", list: "list"}
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "map"
    return names.get(type(value), type(value).__name__)
