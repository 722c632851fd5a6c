"""Values as CRD validation rules see them: Kubernetes' property-name escaping in CEL.

In ``x-kubernetes-validations`` a declared property whose name is a CEL keyword or contains
``.``, ``-``, ``/`` or ``__`` is reached through an escaped name: ``self.__namespace__`` reads
property ``namespace``, ``self.a__dash__b`` reads ``a-b`` (Kubernetes docs, "Escaping": ``__`` →
``__underscores__``, ``.`` → ``__dot__``, ``-`` → ``__dash__``, ``/`` → ``__slash__``, a reserved
word ``w`` → ``__w__``). Map keys (``additionalProperties``) are not escaped; they are read with
``self['a-b']``.

:func:`cel_value` rewrites the keys of a value under its structural schema so that the rule's
``self`` matches. It returns the value itself (no copy) when the schema declares no property
that needs escaping, which is the common case.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["CEL_RESERVED", "cel_value", "escape_field_name"]

CEL_RESERVED = frozenset(
    {
        "true", "false", "null", "in", "as", "break", "const", "continue", "else", "for", "function",
        "if", "import", "let", "loop", "package", "namespace", "return", "var", "void", "while",
    }
)  # fmt: skip
"""CEL keywords and reserved words; a property so named is written ``__name__`` in a rule."""

_ACCESSIBLE = re.compile(r"^[a-zA-Z_.\-/][a-zA-Z0-9_.\-/]*$")
_ESCAPES = (("__", "__underscores__"), (".", "__dot__"), ("-", "__dash__"), ("/", "__slash__"))


def escape_field_name(name: str) -> str | None:
    """The CEL spelling of a declared property name, or None when CEL cannot reach it."""
    if name in CEL_RESERVED:
        return f"__{name}__"
    if not _ACCESSIBLE.match(name):
        return None
    for plain, escaped in _ESCAPES:
        name = name.replace(plain, escaped)
    return name


_NEEDS: dict[int, tuple[Mapping[str, Any], bool]] = {}


def _needs_escaping(schema: Mapping[str, Any]) -> bool:
    """Whether any declared property at or under ``schema`` has an escaped CEL name (memoised)."""
    hit = _NEEDS.get(id(schema))
    if hit is not None and hit[0] is schema:
        return hit[1]
    props = schema.get("properties") or {}
    needs = any(escape_field_name(name) != name for name in props) or any(
        isinstance(sub, Mapping) and _needs_escaping(sub)
        for sub in (*props.values(), schema.get("items"), schema.get("additionalProperties"))
    )
    _NEEDS[id(schema)] = (schema, needs)  # keeps ``schema`` alive, so its id stays unique
    return needs


def cel_value(value: Any, schema: Mapping[str, Any]) -> Any:
    """``value`` with declared property names escaped as Kubernetes CEL expects.

    Args:
        value: the (defaulted) value at the schema node a rule is attached to.
        schema: that node's structural schema (``properties``, ``items``, ``additionalProperties``).

    Returns:
        The same object when nothing needs escaping, else a converted copy; keys that are not
        declared properties are kept as they are.
    """
    if not _needs_escaping(schema):
        return value
    if isinstance(value, Mapping):
        props = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        out: dict[Any, Any] = {}
        for key, item in value.items():
            if key in props:
                name = escape_field_name(key)
                if name is not None:
                    out[name] = cel_value(item, props[key])
            elif isinstance(extra, Mapping):
                out[key] = cel_value(item, extra)
            else:
                out[key] = item
        return out
    items = schema.get("items")
    if isinstance(value, list) and isinstance(items, Mapping):
        return [cel_value(item, items) for item in value]
    return value
