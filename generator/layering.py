"""Load stage, layering: the files of an ``extends`` chain (base first) → one mapping with source marks.

Precedence (docs/environments.md, "Layering"): each file is merged *over* the one it extends.

- mappings merge key by key, the later file wins;
- a list of named things (an array whose item schema requires ``name``: ``services``,
  ``rabbitmq.queues``, ``karpenter.nodePools``) merges by ``name``: an entry with a known name
  overrides fields of the inherited entry (merged the same way, recursively) and keeps its place,
  an entry ``{name: x, $remove: true}`` removes the inherited ``x``, a new name is appended;
- every other list and every scalar replaces the inherited value wholesale.

Which lists merge by name is read from the environment schema, so a list added to the schema later
needs no change here. Pure: data and marks in, data and marks out; reads no file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from generator.location import YamlPath

__all__ = ["REMOVE", "Layer", "is_named_list", "merge_layers", "sub_schema"]

#: The key that removes an inherited entry of a named list: ``- {name: ocr, $remove: true}``.
REMOVE = "$remove"

#: One file's data and its ``yaml_path → mark`` index (marks are opaque here).
Layer = tuple[Any, Mapping[YamlPath, Any]]
#: Builds the error for a bad ``$remove`` at a path of the layer being merged.
ErrorAt = Callable[[str, YamlPath, Mapping[YamlPath, Any], str], Exception]


def sub_schema(schema: Mapping[str, Any], key: str | int) -> Mapping[str, Any]:
    """The schema of ``key`` inside ``schema`` (an object's property or map entry, an array's item)."""
    if isinstance(key, int):
        items = schema.get("items")
        return items if isinstance(items, Mapping) else {}
    prop = schema.get("properties", {}).get(key)
    if isinstance(prop, Mapping):
        return prop
    extra = schema.get("additionalProperties")
    return extra if isinstance(extra, Mapping) else {}


def is_named_list(schema: Mapping[str, Any]) -> bool:
    """Whether an array merges by ``name``: its items are objects that require a ``name``."""
    items = schema.get("items")
    return isinstance(items, Mapping) and "name" in items.get("required", ())


class _Merge:
    """One merge of an overlay onto the accumulated result; collects the result's marks."""

    def __init__(
        self, base_marks: Mapping[YamlPath, Any], over_marks: Mapping[YamlPath, Any], error_at: ErrorAt
    ):
        self.base_marks = base_marks
        self.over_marks = over_marks
        self.error_at = error_at
        self.marks: dict[YamlPath, Any] = {}

    def take(self, value: Any, src: YamlPath, dst: YamlPath, marks: Mapping[YamlPath, Any]) -> Any:
        """``value`` as it is, its subtree's marks moved from ``src`` to ``dst``."""
        mark = marks.get(src)
        if mark is not None:
            self.marks[dst] = mark
        if isinstance(value, dict):
            for key, sub in value.items():
                self.take(sub, (*src, key), (*dst, key), marks)
        elif isinstance(value, list):
            for i, sub in enumerate(value):
                self.take(sub, (*src, i), (*dst, i), marks)
        return value

    def merge(
        self,
        base: Any,
        over: Any,
        bpath: YamlPath,
        opath: YamlPath,
        dst: YamlPath,
        *,
        schema: Mapping[str, Any],
    ) -> Any:
        if isinstance(base, dict) and isinstance(over, dict):
            mark = self.over_marks.get(opath)
            if mark is not None:
                self.marks[dst] = mark
            out: dict[str, Any] = {}
            for key in sorted({*base, *over}):
                if key not in over:
                    out[key] = self.take(base[key], (*bpath, key), (*dst, key), self.base_marks)
                elif key not in base:
                    out[key] = self.take(over[key], (*opath, key), (*dst, key), self.over_marks)
                else:
                    sub = sub_schema(schema, key)
                    out[key] = self.merge(
                        base[key], over[key], (*bpath, key), (*opath, key), (*dst, key), schema=sub
                    )
            return out
        if isinstance(base, list) and isinstance(over, list) and is_named_list(schema):
            return self.merge_named(base, over, bpath, opath, dst, item_schema=sub_schema(schema, 0))
        return self.take(over, opath, dst, self.over_marks)

    def merge_named(
        self,
        base: list[Any],
        over: list[Any],
        bpath: YamlPath,
        opath: YamlPath,
        dst: YamlPath,
        *,
        item_schema: Mapping[str, Any],
    ) -> list[Any]:
        """Inherited entries in their order (overridden or removed by name), then the new ones."""
        mark = self.over_marks.get(opath)
        if mark is not None:
            self.marks[dst] = mark
        inherited = {e["name"]: i for i, e in enumerate(base) if isinstance(e, dict) and "name" in e}
        overrides: dict[int, tuple[int, Any]] = {}
        removed: set[int] = set()
        added: list[tuple[int, Any]] = []
        for j, entry in enumerate(over):
            name = entry.get("name") if isinstance(entry, dict) else None
            if isinstance(entry, dict) and REMOVE in entry:
                if entry[REMOVE] is not True or set(entry) != {"name", REMOVE}:
                    raise self.error_at(
                        f"a {REMOVE} entry is exactly {{name: <name>, {REMOVE}: true}}",
                        (*opath, j, REMOVE),
                        self.over_marks,
                        "to change an inherited entry, list it with its name and the keys to change",
                    )
                if name not in inherited:
                    raise self.error_at(
                        f"{REMOVE}: nothing named {name!r} is inherited here",
                        (*opath, j, "name"),
                        self.over_marks,
                        f"inherited names: {', '.join(map(str, inherited)) or '(none)'}",
                    )
                removed.add(inherited[name])
            elif name in inherited:
                overrides[inherited[name]] = (j, entry)
            else:
                added.append((j, entry))
        out: list[Any] = []
        for i, entry in enumerate(base):
            if i in removed:
                continue
            here = (*dst, len(out))
            if i in overrides:
                j, over_entry = overrides[i]
                out.append(self.merge(entry, over_entry, (*bpath, i), (*opath, j), here, schema=item_schema))
            else:
                out.append(self.take(entry, (*bpath, i), here, self.base_marks))
        for j, entry in added:
            out.append(self.take(entry, (*opath, j), (*dst, len(out)), self.over_marks))
        return out


def _strip_removals(value: Any, path: YamlPath, marks: Mapping[YamlPath, Any], error_at: ErrorAt) -> None:
    """A ``$remove`` left after merging (where nothing is inherited) has nothing to remove: an error."""
    if isinstance(value, dict):
        if REMOVE in value:
            raise error_at(
                f"{REMOVE}: nothing named {value.get('name')!r} is inherited here",
                (*path, REMOVE),
                marks,
                "remove only entries a file extends; this file inherits none here",
            )
        for key, sub in value.items():
            _strip_removals(sub, (*path, key), marks, error_at)
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            _strip_removals(sub, (*path, i), marks, error_at)


def _check_names(
    value: Any, path: YamlPath, schema: Mapping[str, Any], marks: Mapping[YamlPath, Any], error_at: ErrorAt
) -> None:
    """Within one file, each named list names each entry once (across files, a name overrides)."""
    if isinstance(value, dict):
        for key, sub in value.items():
            _check_names(sub, (*path, key), sub_schema(schema, key), marks, error_at)
    elif isinstance(value, list):
        named = is_named_list(schema)
        seen: dict[Any, int] = {}
        for i, entry in enumerate(value):
            name = entry.get("name") if named and isinstance(entry, dict) else None
            if isinstance(name, str) and name in seen:
                raise error_at(
                    f"duplicate name {name!r} (first at {format_path(path)}[{seen[name]}])",
                    (*path, i, "name"),
                    marks,
                    "names must be unique; rename or remove one",
                )
            if isinstance(name, str):
                seen[name] = i
            _check_names(entry, (*path, i), sub_schema(schema, i), marks, error_at)


def format_path(path: YamlPath) -> str:
    """``("rabbitmq", "queues")`` → ``rabbitmq.queues`` (as the model's messages write it)."""
    return ".".join(map(str, path))


def merge_layers(
    layers: Sequence[Layer], schema: Mapping[str, Any], error_at: ErrorAt
) -> tuple[Any, dict[YamlPath, Any]]:
    """Merge ``layers`` (base first) into one mapping; marks follow each value to where it lands.

    Raises:
        Exception: built by ``error_at`` for a malformed or unmatched ``$remove`` entry, or a name
            listed twice in one file.
    """
    for layer, layer_marks in layers:
        _check_names(layer, (), schema, layer_marks, error_at)
    data, marks = layers[0]
    acc: Any = data
    acc_marks: dict[YamlPath, Any] = dict(marks)
    for over, over_marks in layers[1:]:
        merge = _Merge(acc_marks, over_marks, error_at)
        acc = merge.merge(acc, over, (), (), (), schema=schema)
        acc_marks = merge.marks
    _strip_removals(acc, (), acc_marks, error_at)
    return acc, acc_marks
