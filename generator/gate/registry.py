"""The one registry of the gate's cross-resource and integration checks.

Every check is registered here under the name its findings carry (``Finding.rule``) and its scope
is named: ``CLUSTER_CHECKS`` see one cluster (``ClusterView``), ``ENV_CHECKS`` every cluster of one
environment (``EnvView``). The runner (``generator.gate.check``) iterates these two mappings and
nothing else, so adding a check is one entry here; the order of each mapping is the order
reported. The check modules under ``generator.gate.checks`` group the checks by concern and stay
free of the runner's options: a check that needs one (the charts directory, an environment's image
rules) reads it from ``CheckOptions`` here, and returns ``None`` when it does not run (its scope is
then absent rather than passed). Pure: no I/O beyond what a check itself reads (chart values).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from generator.findings import Finding
from generator.gate.checks import analysis, argocd, cluster, dns, mesh, paths, topology
from generator.gate.checks.chart_values import CHECK as CHART_VALUES
from generator.gate.checks.chart_values import check_chart_values
from generator.gate.checks.cluster import ClusterView
from generator.gate.checks.images import check_image_registries
from generator.gate.checks.secrets import CHECK as SECRETS
from generator.gate.checks.secrets import check_secrets
from generator.gate.checks.topology import EnvView

__all__ = ["CLUSTER_CHECKS", "ENV_CHECKS", "IMAGES", "CheckOptions", "ImageRules"]

IMAGES = "image-registries"


@dataclass(frozen=True, slots=True)
class ImageRules:
    """An environment's own image rules (from its file), checked as ``image-registries``."""

    registries: tuple[str, ...]
    """``images.registries``: every image starts with one of these."""
    require_digest: bool
    """``images.requireDigest``: every image is pinned by ``@sha256:``."""


@dataclass(frozen=True, slots=True)
class CheckOptions:
    """What some checks need beyond the manifests; the defaults skip those checks."""

    charts_dir: str | None = None
    """Pinned charts' values (``<dir>/<chart>/<version>/``) for ``chart-values``; ``None`` skips it."""
    image_rules: ImageRules | None = None
    """The environment's image rules for ``image-registries``; ``None`` skips it."""
    secret_stores: tuple[tuple[str, str], ...] | None = None
    """(kind, name) of the secret stores the environment declares, for ``secret-refs``; ``None``:
    only the stores the tree renders count."""


ClusterCheck = Callable[[ClusterView, CheckOptions], Iterable[Finding] | None]
EnvCheck = Callable[[EnvView], Iterable[Finding]]


def _plain(check: Callable[[ClusterView], Iterable[Finding]]) -> ClusterCheck:
    """A check that needs no options, as a registry entry."""
    return lambda view, _options: check(view)


def _chart_values(view: ClusterView, options: CheckOptions) -> Iterable[Finding] | None:
    return None if options.charts_dir is None else check_chart_values(view, options.charts_dir)


def _image_registries(view: ClusterView, options: CheckOptions) -> Iterable[Finding] | None:
    rules = options.image_rules
    return None if rules is None else check_image_registries(view, rules.registries, rules.require_digest)


def _secret_refs(view: ClusterView, options: CheckOptions) -> Iterable[Finding]:
    return paths.check_secret_refs(view, options.secret_stores)


CLUSTER_CHECKS: Mapping[str, ClusterCheck] = {
    **{name: _plain(check) for name, check in cluster.CLUSTER_CHECKS.items()},
    **{name: _plain(check) for name, check in paths.PATH_CHECKS.items()},
    "secret-refs": _secret_refs,
    **{name: _plain(check) for name, check in analysis.ANALYSIS_CHECKS.items()},
    **{name: _plain(check) for name, check in mesh.MESH_CHECKS.items()},
    SECRETS: _plain(check_secrets),
    **{name: _plain(check) for name, check in argocd.ARGOCD_CHECKS.items()},
    CHART_VALUES: _chart_values,
    IMAGES: _image_registries,
}
"""Every check of one cluster by the name its findings carry; ordered as reported."""


def _over_clusters(check: Callable[[Mapping[str, ClusterView]], Iterable[Finding]]) -> EnvCheck:
    """A check of an environment's clusters (no topology needed), as a registry entry."""
    return lambda view: check(view.clusters)


ENV_CHECKS: Mapping[str, EnvCheck] = {
    **topology.ENV_CHECKS,
    **paths.ENV_PATH_CHECKS,
    **dns.DNS_CHECKS,
    **{name: _over_clusters(check) for name, check in argocd.ARGOCD_ENV_CHECK_FUNCTIONS.items()},
}
"""Every check of one environment by the name its findings carry; ordered as reported. (The
``argocd-hub`` check sees every environment a hub serves at once; the runner calls it itself.)"""
