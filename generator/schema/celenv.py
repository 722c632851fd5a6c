"""The seam between schema validation and the shared CEL library: compile, run with a typed ``self``.

Kubernetes gives ``self`` CEL types from the schema, not from the JSON value: every ``number`` is a
double (``1`` in a ``type: number`` field compares with ``0.5``), ``format: date-time``/``date``
strings are timestamps, ``format: byte`` strings are bytes. ``converter`` builds, once per schema
node, a function that converts a value accordingly, or ``None`` where the value can go as is, so
most rules pay nothing for it.
"""

from __future__ import annotations

import base64
import binascii
import datetime
from collections.abc import Callable, Mapping
from typing import Any

from generator import cel
from generator.cel import CelProgram

__all__ = ["compile_expression", "converter", "execute"]

Convert = Callable[[Any], Any]


def compile_expression(text: str) -> CelProgram:
    """A compiled CEL program with the Kubernetes functions (raises ``CelError`` when it cannot be)."""
    return cel.compile_expression(text)


def execute(program: CelProgram, value: Any, convert: Convert | None) -> Any:
    """Run ``program`` with ``self`` bound to ``value``, typed by the node's ``converter``."""
    return program.evaluate({"self": convert(value) if convert is not None else value})


def _timestamp(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    text = value.replace("Z", "+00:00")
    try:
        parsed = datetime.datetime.fromisoformat(text)
    except ValueError:
        return value
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


def _bytes(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return value


def converter(schema: Mapping[str, Any]) -> Convert | None:
    """A value converter for ``schema``, or ``None`` when values need no conversion."""
    t = schema.get("type")
    untyped = schema.get("x-kubernetes-int-or-string") or schema.get("x-kubernetes-preserve-unknown-fields")
    if untyped and t != "object":
        return None
    if t == "number":
        return lambda v: float(v) if isinstance(v, int) and not isinstance(v, bool) else v
    if t == "string":
        fmt = schema.get("format")
        if fmt in ("date-time", "datetime", "date"):
            return _timestamp
        if fmt == "byte":
            return _bytes
        return None
    if t == "array" and isinstance(schema.get("items"), Mapping):
        item = converter(schema["items"])
        if item is None:
            return None
        return lambda v: [item(x) for x in v] if isinstance(v, list) else v
    if t == "object":
        props = schema.get("properties")
        if isinstance(props, Mapping):
            fields = {
                k: c for k, s in props.items() if isinstance(s, Mapping) and (c := converter(s)) is not None
            }
            if not fields:
                return None
            return lambda v: (
                {k: (fields[k](x) if k in fields else x) for k, x in v.items()}
                if isinstance(v, Mapping)
                else v
            )
        extra = schema.get("additionalProperties")
        if isinstance(extra, Mapping):
            each = converter(extra)
            if each is None:
                return None
            return lambda v: {k: each(x) for k, x in v.items()} if isinstance(v, Mapping) else v
    return None
