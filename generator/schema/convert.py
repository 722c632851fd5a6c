"""CRD ``openAPIV3Schema`` (OpenAPI 3.0 subset, structural) → JSON Schema 2020-12 for jsonschema-rs.

A pure function of the CRD schema and the options. It translates what JSON Schema cannot read as
the API server does:

- ``nullable: true`` → ``null`` joins the allowed types (and the ``enum``);
- ``x-kubernetes-int-or-string`` → ``type: [integer, string]``;
- OpenAPI 3.0's boolean ``exclusiveMinimum``/``exclusiveMaximum`` → 2020-12's numeric form;
- ``metadata`` at the root → the API server's own ``ObjectMeta`` schema (CRDs say only ``type: object``);
- ``--strict`` → ``additionalProperties: false`` on every structural object node that neither sets
  ``additionalProperties`` nor ``x-kubernetes-preserve-unknown-fields`` (what the server prunes is
  what strict field validation rejects); embedded resources keep ``apiVersion``/``kind``/``metadata``.

It drops what the fast validator must not see: ``default`` (applied beforehand, see ``plan``),
``x-kubernetes-validations`` (CEL, see ``plan``), list types (checked by ``plan`` with the exact
duplicate's path) and documentation keys. It does not validate ``format`` (the API server's formats
are not JSON Schema's; ``duration`` differs, for one).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["convert_crd_schema"]

_DROP = frozenset({"description", "title", "example", "externalDocs", "default", "format", "discriminator"})
_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf")


def _types(node: Mapping[str, Any]) -> list[str] | None:
    if node.get("x-kubernetes-int-or-string"):
        return ["integer", "string"]
    t = node.get("type")
    return [t] if isinstance(t, str) else None


def _is_int_or_string(branches: Any) -> bool:
    if not isinstance(branches, list):
        return False
    return (
        sorted(str(b.get("type")) for b in branches if isinstance(b, Mapping) and len(b) == 1)
        == [
            "integer",
            "string",
        ]
        and len(branches) == 2
    )


def _convert(node: Mapping[str, Any], *, strict: bool, structural: bool) -> dict[str, Any]:
    """Convert one node; ``structural`` is False inside allOf/anyOf/oneOf/not (value checks only)."""
    out: dict[str, Any] = {}
    nullable = bool(node.get("nullable"))
    types = _types(node)
    if types is not None:
        out["type"] = [*types, "null"] if nullable else (types[0] if len(types) == 1 else types)
    for key, value in node.items():
        if key in _DROP or key.startswith("x-") or key in ("type", "nullable"):
            continue
        if key == "properties" and isinstance(value, Mapping):
            out[key] = {k: _convert(v, strict=strict, structural=structural) for k, v in value.items()}
        elif key in ("additionalProperties", "items") and isinstance(value, Mapping):
            out[key] = _convert(value, strict=strict, structural=structural)
        elif key == "anyOf" and node.get("x-kubernetes-int-or-string") and _is_int_or_string(value):
            continue  # the type list says the same, with a clearer message
        elif key in _SUBSCHEMA_LISTS and isinstance(value, list):
            out[key] = [_convert(v, strict=strict, structural=False) for v in value if isinstance(v, Mapping)]
        elif key == "not" and isinstance(value, Mapping):
            out[key] = _convert(value, strict=strict, structural=False)
        elif key in ("exclusiveMinimum", "exclusiveMaximum") and isinstance(value, bool):
            bound = node.get("minimum" if key == "exclusiveMinimum" else "maximum")
            if value and bound is not None:
                out[key] = bound
        elif key == "enum" and isinstance(value, list) and nullable and None not in value:
            out[key] = [*value, None]
        else:
            out[key] = value
    if nullable and any(k in out for k in (*_SUBSCHEMA_LISTS, "not")):
        # A nullable node lets null through before its junctors are tried, as the server does.
        junctors = {k: out.pop(k) for k in (*_SUBSCHEMA_LISTS, "not") if k in out}
        out["if"] = {"type": "null"}
        out["else"] = junctors
    if node.get("x-kubernetes-embedded-resource"):
        props = out.setdefault("properties", {})
        props.setdefault("apiVersion", {"type": "string"})
        props.setdefault("kind", {"type": "string"})
        props.setdefault("metadata", {"type": "object"})
    if (
        strict
        and structural
        and node.get("type") == "object"
        and "additionalProperties" not in node
        and not node.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out


def convert_crd_schema(
    schema: Mapping[str, Any], *, strict: bool, object_meta: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The JSON Schema 2020-12 equivalent of one CRD version's ``openAPIV3Schema``.

    Args:
        schema: the ``openAPIV3Schema`` mapping (``{}`` accepts anything, as the server does).
        strict: reject fields the server would prune.
        object_meta: a bundled ``ObjectMeta`` schema (``$ref`` + ``$defs``) to check ``metadata``
            with, or ``None`` to leave ``metadata`` as the CRD declares it.
    """
    if not schema:
        return {"$schema": "https://json-schema.org/draft/2020-12/schema"}
    root = dict(schema)
    root.setdefault("type", "object")
    props = dict(root.get("properties") or {})
    props.setdefault("apiVersion", {"type": "string"})
    props.setdefault("kind", {"type": "string"})
    root["properties"] = props
    meta_in_crd = props.pop("metadata", None)
    out = _convert(root, strict=strict, structural=True)
    out["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    if object_meta is not None:
        out["properties"]["metadata"] = {"$ref": object_meta["$ref"]}
        out["$defs"] = dict(object_meta.get("$defs", {}))
        if isinstance(meta_in_crd, Mapping) and meta_in_crd.get("properties"):
            # CRDs may restrict metadata.name / generateName further; both must hold.
            extra = _convert(meta_in_crd, strict=False, structural=False)
            out["properties"]["metadata"] = {"allOf": [{"$ref": object_meta["$ref"]}, extra]}
    elif meta_in_crd is not None:
        out["properties"]["metadata"] = _convert(meta_in_crd, strict=False, structural=True)
    else:
        out["properties"]["metadata"] = {"type": "object"}
    return out
