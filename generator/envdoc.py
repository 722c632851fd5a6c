"""The environment-file reference (docs/environment-reference.md), generated from the JSON Schema.

The schema is the one truth about what an environment file may hold (editors, the loader and
``gitops-gen schema`` all read it), so the reference is derived from it rather than written by hand:
``gitops-gen schema --format markdown`` prints it, ``make docs`` writes it, and a test fails while the
committed page differs. Pure: schema in, text out; generic over ``$ref``/``$defs``, ``oneOf``/
``anyOf``, maps (``additionalProperties``) and arrays, so schema changes need no change here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["reference_markdown"]

Schema = Mapping[str, Any]

#: Keywords shown as constraints, in this order, with how to print them.
_CONSTRAINTS: tuple[tuple[str, str], ...] = (
    ("pattern", "matches `{}`"),
    ("minLength", "length ≥ {}"),
    ("maxLength", "length ≤ {}"),
    ("minimum", "≥ {}"),
    ("maximum", "≤ {}"),
    ("exclusiveMinimum", "> {}"),
    ("exclusiveMaximum", "< {}"),
    ("minItems", "at least {} item(s)"),
    ("maxItems", "at most {} item(s)"),
    ("minProperties", "at least {} key(s)"),
    ("maxProperties", "at most {} key(s)"),
)


def _resolve(node: Schema, root: Schema) -> Schema:
    """Follow local ``$ref``s (``#/$defs/x``); sibling keywords override the target's."""
    seen: set[str] = set()
    while isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/") and node["$ref"] not in seen:
        ref = node["$ref"]
        seen.add(ref)
        target: Any = root
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _alternatives(node: Schema, root: Schema) -> list[Schema]:
    alts = node.get("oneOf") or node.get("anyOf") or []
    return [_resolve(a, root) for a in alts if isinstance(a, Mapping)]


def _type(node: Schema, root: Schema) -> str:
    if "const" in node:
        return f"`{json.dumps(node['const'])}`"
    if "enum" in node:
        return " | ".join(f"`{json.dumps(v)}`" for v in node["enum"])
    alts = _alternatives(node, root)
    if alts:
        return " or ".join(_type(a, root) for a in alts)
    kind = node.get("type")
    if isinstance(kind, list):
        return " or ".join(kind)
    if kind == "array":
        items = node.get("items")
        return f"list of {_type(_resolve(items, root), root)}" if isinstance(items, Mapping) else "list"
    if (
        kind == "object"
        and isinstance(node.get("additionalProperties"), Mapping)
        and not node.get("properties")
    ):
        return f"map of {_type(_resolve(node['additionalProperties'], root), root)}"
    return str(kind or "any")


def _constraints(node: Schema) -> list[str]:
    out = [fmt.format(node[key]) for key, fmt in _CONSTRAINTS if key in node]
    if node.get("uniqueItems"):
        out.append("items unique")
    if "default" in node:
        out.append(f"default `{json.dumps(node['default'])}`")
    for key, label in (("items", "each item"), ("additionalProperties", "each value")):
        sub = node.get(key)
        if isinstance(sub, Mapping) and not sub.get("properties"):
            out += [f"{label} {c}" for c in _constraints(sub)]
    names = node.get("propertyNames")
    if isinstance(names, Mapping) and "pattern" in names:
        out.append(f"keys match `{names['pattern']}`")
    return out


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _rows(
    node: Schema, root: Schema, path: str, required: bool, *, own_row: bool = True
) -> Iterator[tuple[str, str, str, str]]:
    """(key path, type, required, description + constraints) for ``node`` and everything under it."""
    node = _resolve(node, root)
    description = str(node.get("description", ""))
    constraints = _constraints(node)
    if constraints:
        description = f"{description} ({'; '.join(constraints)})" if description else "; ".join(constraints)
    if path and own_row:
        yield path, _type(node, root), "yes" if required else "", description
    for alt in _alternatives(node, root):
        if alt.get("properties"):
            yield from _rows({k: v for k, v in alt.items() if k != "description"}, root, path, required)
    props = node.get("properties")
    if isinstance(props, Mapping):
        needed = set(node.get("required", ()))
        for key, sub in props.items():
            yield from _rows(sub, root, f"{path}.{key}" if path else key, key in needed)
    extra = node.get("additionalProperties")
    if isinstance(extra, Mapping) and _has_children(_resolve(extra, root), root):
        yield from _rows(extra, root, f"{path}.<name>", False, own_row=False)
    items = node.get("items")
    if isinstance(items, Mapping) and _has_children(_resolve(items, root), root):
        yield from _rows(items, root, f"{path}[]", False, own_row=False)


def _has_children(node: Schema, root: Schema) -> bool:
    """Whether ``node`` has keys of its own to list (objects, or lists/maps of objects)."""
    if node.get("properties") or any(a.get("properties") for a in _alternatives(node, root)):
        return True
    return any(
        isinstance(node.get(k), Mapping) and _has_children(_resolve(node[k], root), root)
        for k in ("items", "additionalProperties")
    )


def reference_markdown(schema: Schema) -> str:
    """The reference page: one table per top-level key, every nested key with type and meaning."""
    root = schema
    lines = [
        "# Environment file reference",
        "",
        "<!-- Generated from generator/env.schema.json by `make docs` (gitops-gen schema --format markdown);"
        " do not edit by hand. -->",
        "",
        str(schema.get("description", "")).strip(),
        "",
        "How files are merged and what is checked beyond the schema: [environments.md](environments.md).",
        "Key paths: `a.b` is a nested key, `a[]` an item of the list `a`, `a.<name>` an entry of map `a`.",
        "",
    ]
    props: Mapping[str, Any] = schema.get("properties", {})
    needed = set(schema.get("required", ()))
    for key, sub in props.items():
        rows = list(_rows(sub, root, key, key in needed))
        lines += [f"## `{key}`", ""]
        head_desc = rows[0][3] if rows else ""
        if head_desc:
            lines += [_cell(head_desc), ""]
        lines += [
            f"{'Required' if key in needed else 'Optional'}; type: {rows[0][1] if rows else 'any'}.",
            "",
        ]
        if len(rows) > 1:
            lines += ["| key | type | required | description |", "| --- | --- | --- | --- |"]
            lines += [f"| `{p}` | {_cell(t)} | {r} | {_cell(d)} |" for p, t, r, d in rows[1:]]
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"
