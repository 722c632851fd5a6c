"""Load stage, defaults: fill what no file of the chain sets from the schema's ``default`` keywords.

Every default lives where a user can see it: in ``environments/_defaults.yaml`` (a layer like any
other) or as a ``default`` in ``generator/env.schema.json`` (editors show it; the reference page
lists it). The model reads the filled data with plain ``data[key]`` and has none of its own (a test
keeps it that way). A default string may refer to other values, expanded here:

- ``${env}``: the environment name; ``${key}``: the name of the enclosing map entry (a cluster);
- ``${firstCluster}``: the first of ``topology.clusters`` by name;
- ``${a.b}``: the value at ``a.b`` of the merged data; ``${.x}``: the sibling key ``x``.

Each filled value is marked with the line of its ``default`` in the schema file, so ``gitops-gen
config`` and error messages name where it came from. Pure: data in, data out.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Mapping
from functools import cache
from importlib import resources
from typing import Any

from generator.location import YamlPath

__all__ = ["SCHEMA_FILE", "apply_defaults", "default_line"]

#: How a schema default is named as a source (the file inside the gitops-gen package).
SCHEMA_FILE = "generator/env.schema.json"
_REF = re.compile(r"\$\{([A-Za-z0-9_.]+)\}")


@cache
def _schema_text() -> str:
    return resources.files("generator").joinpath("env.schema.json").read_text(encoding="utf-8")


@cache
def default_line(pointer: tuple[str, ...]) -> int:
    """1-based line of the ``default`` at ``pointer`` (schema keys down to it) in the schema file.

    The file is JSON indented one key per line, so each key of the pointer is found after the
    previous one; a pointer not found gives line 1.
    """
    text = _schema_text()
    pos = 0
    for part in (*pointer, "default"):
        hit = text.find(json.dumps(part) + ":", pos)
        if hit < 0:
            return 1
        pos = hit + 1
    return text.count("\n", 0, pos) + 1


def _lookup(data: Any, dotted: str) -> Any:
    node = data
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _expand(value: Any, refs: Callable[[str], Any]) -> Any:
    """``value`` with every ``${ref}`` in its strings expanded (a whole-string ref keeps its type)."""
    if isinstance(value, str):
        whole = _REF.fullmatch(value)
        if whole:
            return refs(whole.group(1))
        return _REF.sub(lambda m: str(refs(m.group(1))), value)
    if isinstance(value, list):
        return [_expand(v, refs) for v in value]
    if isinstance(value, dict):
        return {k: _expand(v, refs) for k, v in value.items()}
    return value


class _Filler:
    def __init__(self, root: Any, env: str, marks: dict[YamlPath, Any], mark: Callable[[int], Any]):
        self.root = root
        self.env = env
        self.marks = marks
        self.mark = mark

    def refs(self, parent: Mapping[str, Any], key: str | None) -> Callable[[str], Any]:
        def ref(name: str) -> Any:
            if name == "env":
                return self.env
            if name == "key":
                return key
            if name == "firstCluster":
                clusters = _lookup(self.root, "topology.clusters")
                return min(clusters) if isinstance(clusters, Mapping) and clusters else None
            if name.startswith("."):
                return parent.get(name[1:])
            return _lookup(self.root, name)

        return ref

    def fill(
        self, value: Any, schema: Mapping[str, Any], path: YamlPath, pointer: tuple[str, ...], key: str | None
    ) -> None:
        if isinstance(value, dict):
            props = schema.get("properties")
            if isinstance(props, Mapping):
                for name, sub in props.items():
                    if name not in value and isinstance(sub, Mapping) and "default" in sub:
                        value[name] = _expand(copy.deepcopy(sub["default"]), self.refs(value, key))
                        line = default_line((*pointer, "properties", name))
                        self._mark(value[name], (*path, name), self.mark(line))
                for name, sub in props.items():
                    if name in value and isinstance(sub, Mapping):
                        self.fill(value[name], sub, (*path, name), (*pointer, "properties", name), key)
            extra = schema.get("additionalProperties")
            if isinstance(extra, Mapping):
                for name in value:
                    if not isinstance(props, Mapping) or name not in props:
                        self.fill(value[name], extra, (*path, name), (*pointer, "additionalProperties"), name)
        elif isinstance(value, list):
            items = schema.get("items")
            if isinstance(items, Mapping):
                for i, item in enumerate(value):
                    self.fill(item, items, (*path, i), (*pointer, "items"), key)

    def _mark(self, value: Any, path: YamlPath, mark: Any) -> None:
        """Mark ``path`` and everything in the filled value with the schema default's line."""
        self.marks[path] = mark
        if isinstance(value, dict):
            for k, v in value.items():
                self._mark(v, (*path, k), mark)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                self._mark(v, (*path, i), mark)


def apply_defaults(
    data: dict[str, Any],
    marks: dict[YamlPath, Any],
    schema: Mapping[str, Any],
    *,
    env: str,
    mark: Callable[[int], Any],
) -> None:
    """Fill ``data`` in place with the schema's defaults where absent, recording ``mark(line)`` for each.

    Parents before children: a defaulted object (``argocd.hub: {}``) is then filled itself.
    """
    _Filler(data, env, marks, mark).fill(data, schema, (), (), None)
