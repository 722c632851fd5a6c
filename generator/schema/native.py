"""Built-in kinds: the list uniqueness the API server's own validation code enforces.

The Kubernetes schemas mark many lists ``x-kubernetes-list-type: map``, but for built-in kinds that
marker drives server-side apply merging, not validation: duplicate ``env`` names, for one, are
accepted. Only the lists in ``ENFORCED`` are rejected on duplicates by ``pkg/apis/core/validation``
(``Duplicate value``), wherever their definition appears in a kind (a Deployment's pod template, a
CronJob's job template...). This module finds those places once per kind by walking the bundled
schema and returns a walk plan for ``plan.iter_checks``; it reads no document itself.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from generator.schema.plan import Node

__all__ = ["ENFORCED", "build_native_plan"]

#: ``(definition, property)`` → keys the server defaults before comparing (``protocol: TCP``).
ENFORCED: dict[tuple[str, str], dict[str, Any]] = {
    ("io.k8s.api.core.v1.PodSpec", "containers"): {},
    ("io.k8s.api.core.v1.PodSpec", "initContainers"): {},
    ("io.k8s.api.core.v1.PodSpec", "volumes"): {},
    ("io.k8s.api.core.v1.Container", "volumeMounts"): {},
    ("io.k8s.api.core.v1.ServiceSpec", "ports"): {"protocol": "TCP"},
}
_REF_PREFIX = "#/$defs/"


class _Walker:
    def __init__(self, defs: Mapping[str, Any]) -> None:
        self.defs = defs
        self.done: dict[str, Node | None] = {}
        self.active: set[str] = set()

    def definition(self, name: str) -> Node | None:
        if name in self.done:
            return self.done[name]
        if name in self.active or name not in self.defs:
            return None  # recursion (JSONSchemaProps) or a dangling ref: nothing enforced there
        self.active.add(name)
        node = self.schema(self.defs[name], name)
        self.active.discard(name)
        self.done[name] = node
        return node

    def schema(self, schema: Any, owner: str) -> Node | None:
        if not isinstance(schema, Mapping):
            return None
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith(_REF_PREFIX):
            return self.definition(ref[len(_REF_PREFIX) :])
        node = Node()
        props = schema.get("properties")
        if isinstance(props, Mapping):
            for prop, sub in props.items():
                child = self.schema(sub, owner)
                enforced = ENFORCED.get((owner, prop))
                if enforced is not None and isinstance(sub, Mapping):
                    # a copy: the child may be a definition's node, shared by every place using it
                    child = dataclasses.replace(child) if child is not None else Node()
                    child.list_type = "map"
                    child.map_keys = tuple(sub.get("x-kubernetes-list-map-keys") or ())
                    child.key_defaults = tuple(enforced.items())
                if child is not None and not child.empty:
                    node.props[prop] = child
        items = self.schema(schema.get("items"), owner)
        if items is not None and not items.empty:
            node.items = items
        return None if node.empty else node


def build_native_plan(schema: Mapping[str, Any]) -> Node | None:
    """The uniqueness checks the server enforces for one bundled built-in kind schema, or ``None``."""
    defs = schema.get("$defs")
    return _Walker(defs if isinstance(defs, Mapping) else {}).schema(schema, "")
