"""``Manifest``: one rendered Kubernetes object, its place in ``rendered/`` and where it came from.

Produced by ``generator.render``, consumed by ``generator.write`` and ``generator.gate.check``. Frozen;
the body is never mutated after rendering.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from generator.location import Location
from generator.sourcemap import SourceMap

__all__ = ["CLUSTER_SCOPE_DIR", "HUB_CLUSTER", "SINCE_ANNOTATION", "Identity", "Manifest"]

#: Directory name used instead of a namespace for cluster-scoped objects.
CLUSTER_SCOPE_DIR = "_cluster"
#: Directory used instead of a cluster name for what the environment's Argo CD hub holds
#: (``rendered/<env>/_hub/``); cluster names are DNS labels, so it never collides with one.
HUB_CLUSTER = "_hub"

#: Annotation on every object of a service new in a release (``services[].since``): the version that
#: brought it, so the cluster-parity check knows why a cluster on an older version lacks the object.
SINCE_ANNOTATION = "docproc.io/since"

#: (apiVersion, kind, namespace, name): unique per cluster.
Identity = tuple[str, str, str, str]


@dataclass(frozen=True, slots=True)
class Manifest:
    """A rendered object of one cluster of one environment."""

    env: str
    """Environment name (``environments/<env>.yaml``)."""
    cluster: str
    """Cluster name inside the environment (``main`` for single, ``even``/``odd`` for dual), or
    ``HUB_CLUSTER`` for the objects the Argo CD hub holds."""
    component: str
    """Argo CD component it belongs to: ``argocd``, ``operators``, ``platform`` or ``apps``."""
    body: Mapping[str, Any]
    """The Kubernetes object."""
    sources: SourceMap | None = None
    """Traces fields of ``body`` back to ``environments/<env>.yaml:<line>`` (lazily)."""

    @property
    def api_version(self) -> str:
        return str(self.body["apiVersion"])

    @property
    def kind(self) -> str:
        return str(self.body["kind"])

    @property
    def name(self) -> str:
        return str(self.body["metadata"]["name"])

    @property
    def namespace(self) -> str:
        return str(self.body["metadata"].get("namespace") or "")

    @property
    def identity(self) -> Identity:
        return (self.api_version, self.kind, self.namespace, self.name)

    @property
    def path(self) -> str:
        """Path relative to ``rendered/``, derived from identity only (deterministic)."""
        scope = self.namespace or CLUSTER_SCOPE_DIR
        return f"{self.env}/{self.cluster}/{self.component}/{scope}/{self.kind.lower()}-{self.name}.yaml"

    def source_for(self, yaml_path: tuple[str | int, ...]) -> Location | None:
        """``environments/<env>.yaml:<line>`` of the value behind ``yaml_path``, where one did."""
        return self.sources.lookup(self.body, yaml_path) if self.sources else None
