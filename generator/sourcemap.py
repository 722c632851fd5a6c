"""Source maps: which line of ``environments/<env>.yaml`` produced a rendered field.

Computed lazily, only when a finding needs it, so rendering stays fast: a rendered scalar is
traced back to the environment value it equals (or contains, for composed strings such as image
references), searching first the subtree the manifest was rendered from (its service), then the
whole environment. A heuristic, documented as one: equal values in two places resolve to the
first in document order of the origin subtree.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from generator.location import Location, YamlPath

__all__ = ["KIND_ORIGINS", "SourceMap", "flatten_leaves"]

MIN_CONTAINED = 4


#: Environment section behind each cluster-level kind, so a finding on it traces to that section's
#: lines first (a value equal to one elsewhere in the file must not win). Lists get the entry by name.
KIND_ORIGINS: Mapping[str, YamlPath] = {
    "AppProject": ("argocd",),
    "Application": ("argocd",),
    "EC2NodeClass": ("karpenter",),
    "NodePool": ("karpenter", "nodePools"),
    "RabbitmqCluster": ("rabbitmq",),
    "Exchange": ("rabbitmq",),
    "Policy": ("rabbitmq",),
    "Queue": ("rabbitmq", "queues"),
    "Binding": ("rabbitmq", "queues"),
    "FileSystem": ("storage", "efs"),
    "MountTarget": ("storage", "efs"),
    "PersistentVolumeClaim": ("storage", "efs"),
    "StorageClass": ("storage",),
    "Bucket": ("storage", "s3"),
    "DNSEndpoint": ("dns",),
    "Gateway": ("dns",),
    "KongPlugin": ("kong",),
    "Certificate": ("dns",),
    "ClusterIssuer": ("dns",),
    "User": ("rabbitmq",),
    "Permission": ("rabbitmq",),
}


def flatten_leaves(data: Any, path: YamlPath = ()) -> Iterator[tuple[YamlPath, Any]]:
    """Every scalar of ``data`` with its path, in document order."""
    if isinstance(data, Mapping):
        for key, value in data.items():
            yield from flatten_leaves(value, (*path, key))
    elif isinstance(data, list | tuple):
        for i, value in enumerate(data):
            yield from flatten_leaves(value, (*path, i))
    else:
        yield path, data


@dataclass(frozen=True, slots=True)
class SourceMap:
    """Resolves rendered YAML paths to the ``Location`` (file, line) of the environment value behind them."""

    leaves: tuple[tuple[YamlPath, Any, Location], ...]
    """(env path, value, where it is written: file and line) for every scalar of the environment."""
    origin: YamlPath = ()
    """Env subtree the manifest was rendered from, e.g. ``("services", 2)``; searched first."""

    def _candidates(self, *, origin_only: bool) -> Iterator[tuple[YamlPath, Any, Location]]:
        n = len(self.origin)
        if n:
            yield from (leaf for leaf in self.leaves if leaf[0][:n] == self.origin)
        if not origin_only:
            yield from self.leaves

    def resolve(self, value: Any, *, origin_only: bool = False, contained_ok: bool = True) -> Location | None:
        """Where the env value equal to (else contained in) ``value``."""
        if isinstance(value, bool) or value is None:
            return None
        contained: tuple[int, Location] | None = None
        text = str(value)
        for _path, leaf, where in self._candidates(origin_only=origin_only):
            if isinstance(leaf, bool) or leaf is None:
                continue
            if leaf == value or str(leaf) == text:
                return where
            leaf_text = str(leaf)
            if (
                contained_ok
                and isinstance(value, str)
                and len(leaf_text) >= MIN_CONTAINED
                and leaf_text in text
                and (contained is None or len(leaf_text) > contained[0])
            ):
                contained = (len(leaf_text), where)
        return contained[1] if contained else None

    def lookup(self, body: Mapping[str, Any], yaml_path: YamlPath) -> Location | None:
        """Source of the value at ``yaml_path`` in ``body``, inside it, or at its nearest ancestor.

        The nearest existing ancestor stands in for a missing field. With an origin, the origin's
        entry wins over the rest of the file: a template constant that equals (or contains) a value
        elsewhere must not point there, nor may an unrelated sibling field. Outside the origin only
        an exact match counts; failing all, the origin entry itself. Without an origin, the nearest
        ancestor holding an environment value answers.
        """
        node: Any = body
        chain: list[Any] = [body]
        for part in yaml_path:
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                break
            chain.append(node)
        leaves = [leaf for _path, leaf in flatten_leaves(node)]
        for leaf in leaves:
            hit = self.resolve(leaf, origin_only=bool(self.origin))
            if hit is not None:
                return hit
        if not self.origin:
            # Rendered from no particular entry: the nearest ancestor that holds an env value.
            for ancestor in reversed(chain[:-1]):
                for _path, leaf in flatten_leaves(ancestor):
                    hit = self.resolve(leaf)
                    if hit is not None:
                        return hit
            return None
        for leaf in leaves:
            hit = self.resolve(leaf, contained_ok=False)
            if hit is not None:
                return hit
        return self.resolve_origin()

    def at(self, path: YamlPath) -> tuple[Any, Location] | None:
        """The value written at exactly ``path`` and where (``None``: no file of the chain wrote it)."""
        return next(((value, where) for p, value, where in self.leaves if p == path), None)

    def resolve_origin(self) -> Location | None:
        """Where the origin entry itself is written (its first scalar)."""
        for path, _value, where in self.leaves:
            if self.origin and path[: len(self.origin)] == self.origin:
                return where
        return None
