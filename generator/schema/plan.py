"""Per-kind walk plan: the few places of a CRD schema where Python must look at the document.

jsonschema-rs does the structural checks in Rust; what it cannot do (apply ``default`` values as
the API server does before validating, check ``x-kubernetes-list-type: map|set`` uniqueness with the
duplicate's exact path, evaluate CEL ``x-kubernetes-validations`` at their node) happens here. A
``Node`` is built once per kind and keeps only the subtrees that hold such work, so a document is
walked along those paths only: a Deployment-sized CRD with no defaults costs nothing here.

Pure functions over plain data: ``apply_defaults`` returns a copy-on-write result (the document is
never mutated), ``iter_checks`` yields ``Issue`` records with their path; the engine makes
``Finding`` records of them.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Issue", "Node", "RuleCompiler", "apply_defaults", "build_plan", "iter_checks"]

Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem found by the plan walk: where, which rule, what message, how serious."""

    path: Path
    rule: str
    message: str
    unevaluated: bool = False
    """True when a CEL rule could not be compiled: reported as not checked, never counted as a pass."""


#: Compiles one ``x-kubernetes-validations`` entry into a check ``(self_value) -> [Issue-like]``.
#: Given the rule mapping and the node's schema; returns a callable yielding ``(rel_path, rule,
#: message, unevaluated)`` tuples, or ``None`` for rules skipped on create (``oldSelf``).
RuleCompiler = Callable[
    [Mapping[str, Any], Mapping[str, Any]], "Callable[[Any], Iterator[tuple[Path, str, str, bool]]] | None"
]


@dataclass(slots=True)
class Node:
    """The work at one schema node and the children that hold more."""

    nullable: bool = False
    defaults: tuple[tuple[str, Any, bool], ...] = ()
    """``(property, default, property is nullable)`` for properties that declare a default."""
    props: dict[str, Node] = field(default_factory=dict)
    additional: Node | None = None
    items: Node | None = None
    list_type: str | None = None
    map_keys: tuple[str, ...] = ()
    key_defaults: tuple[tuple[str, Any], ...] = ()
    """Map-key values the server assumes when absent (``protocol: TCP`` of Service ports)."""
    checks: tuple[Callable[[Any], Iterator[tuple[Path, str, str, bool]]], ...] = ()

    @property
    def empty(self) -> bool:
        return not (
            self.defaults or self.props or self.additional or self.items or self.list_type or self.checks
        )

    @property
    def has_rules(self) -> bool:
        """Whether this node or any below it holds a CEL rule."""
        return bool(
            self.checks
            or any(c.has_rules for c in self.props.values())
            or (self.additional is not None and self.additional.has_rules)
            or (self.items is not None and self.items.has_rules)
        )

    @property
    def has_defaults(self) -> bool:
        return bool(
            self.defaults
            or any(c.has_defaults for c in self.props.values())
            or (self.additional is not None and self.additional.has_defaults)
            or (self.items is not None and self.items.has_defaults)
        )


def build_plan(schema: Mapping[str, Any], compile_rule: RuleCompiler | None) -> Node | None:
    """The plan for one CRD version's ``openAPIV3Schema``; ``None`` when there is nothing to walk."""
    node = _build(schema, compile_rule)
    return None if node.empty else node


def _build(schema: Mapping[str, Any], compile_rule: RuleCompiler | None) -> Node:
    node = Node(nullable=bool(schema.get("nullable")))
    props = schema.get("properties")
    if isinstance(props, Mapping):
        defaults = []
        for name, sub in props.items():
            if not isinstance(sub, Mapping):
                continue
            if "default" in sub:
                defaults.append((name, sub["default"], bool(sub.get("nullable"))))
            child = _build(sub, compile_rule)
            if not child.empty:
                node.props[name] = child
        node.defaults = tuple(defaults)
    for key in ("additionalProperties", "items"):
        sub = schema.get(key)
        if isinstance(sub, Mapping):
            child = _build(sub, compile_rule)
            if not child.empty:
                setattr(node, "additional" if key == "additionalProperties" else "items", child)
    list_type = schema.get("x-kubernetes-list-type")
    if list_type in ("map", "set"):
        node.list_type = list_type
        node.map_keys = tuple(schema.get("x-kubernetes-list-map-keys") or ())
    rules = schema.get("x-kubernetes-validations")
    if compile_rule is not None and isinstance(rules, list):
        checks = [compile_rule(r, schema) for r in rules if isinstance(r, Mapping)]
        node.checks = tuple(c for c in checks if c is not None)
    return node


def apply_defaults(node: Node, value: Any) -> Any:
    """``value`` with the schema's defaults applied where a field is absent (or a non-nullable null).

    Copy-on-write: unchanged subtrees are shared with the input, which is never mutated. Defaults
    are deep-copied, and defaulted values are walked too (a default may hold nested defaults), as
    the API server's ``structuraldefaulting.Default`` does.
    """
    if isinstance(value, dict):  # documents are plain dicts (YAML/JSON); dict is far cheaper than Mapping
        out: dict[str, Any] | None = None
        for name, default, nullable in node.defaults:
            if name not in value or (value[name] is None and not nullable):
                out = dict(value) if out is None else out
                out[name] = copy.deepcopy(default)
        current: Mapping[str, Any] = value if out is None else out
        children: list[tuple[str, Node]] = []
        if node.props:
            children = [(k, c) for k, c in node.props.items() if k in current]
        elif node.additional is not None:
            children = [(k, node.additional) for k in current]
        for name, child in children:
            new = apply_defaults(child, current[name])
            if new is not current[name]:
                out = dict(current) if out is None else out
                out[name] = new
                current = out
        return current if out is None else out
    if isinstance(value, list) and node.items is not None:
        new_items = [apply_defaults(node.items, v) for v in value]
        if any(a is not b for a, b in zip(new_items, value, strict=True)):
            return new_items
    return value


def _key(value: Any) -> Any:
    """A hashable identity: the value itself when hashable (the common scalar case), else its JSON."""
    if isinstance(value, str | int | float | bool) or value is None:
        return (type(value).__name__, value)
    if isinstance(value, tuple) and all(isinstance(v, str | int | float | bool) or v is None for v in value):
        return tuple((type(v).__name__, v) for v in value)
    return json.dumps(value, sort_keys=True, default=str)


def _duplicates(node: Node, value: list[Any], path: Path) -> Iterator[Issue]:
    seen: set[Any] = set()
    for i, item in enumerate(value):
        if node.list_type == "map":
            if not isinstance(item, dict):
                continue
            defaults = dict(node.key_defaults)
            ident: Any = {k: item.get(k, defaults.get(k)) for k in node.map_keys}
            key = _key(tuple(ident.values()))
        else:
            key = _key(item)
            ident = item
        if key in seen:
            shown = json.dumps(ident, sort_keys=True, default=str)
            yield Issue((*path, i), "x-kubernetes-list-type", f"Duplicate value: {shown}")
        seen.add(key)


def iter_checks(node: Node, value: Any, path: Path = (), *, cel: bool = True) -> Iterator[Issue]:
    """List-type uniqueness and (when ``cel``) CEL rules, each at its place in the (defaulted) document.

    ``cel=False`` when the object has type or enum errors: the server then skips the CEL rules
    (``hasBlockingErr``) but still checks list types.
    """
    if value is None:
        return
    if cel:
        for check in node.checks:
            for rel, rule, message, unevaluated in check(value):
                yield Issue((*path, *rel), rule, message, unevaluated)
    if isinstance(value, dict):
        if node.props:
            for name, child in node.props.items():
                if name in value:
                    yield from iter_checks(child, value[name], (*path, name), cel=cel)
        elif node.additional is not None:
            for name, sub in value.items():
                yield from iter_checks(node.additional, sub, (*path, str(name)), cel=cel)
    elif isinstance(value, list):
        if node.list_type is not None:
            yield from _duplicates(node, value, path)
        if node.items is not None:
            for i, item in enumerate(value):
                yield from iter_checks(node.items, item, (*path, i), cel=cel)
