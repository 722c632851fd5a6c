"""Plan stage: ``Environment`` → one ``ClusterPlan`` per cluster (who runs which release, who gets traffic).

Dual topology: the sprint's release goes to the cluster of its parity (even sprint → ``even``), which
also serves the beta hostname; the other cluster keeps the previous release. Route 53 weights from
the environment decide the production split; once the release cluster holds 100, the other cluster
becomes the next sprint's target simply because the sprint number flips parity. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from generator.model import Cluster, Environment
from generator.release.state import parity_cluster

__all__ = ["ClusterPlan", "plan_clusters", "release_cluster"]


@dataclass(frozen=True, slots=True)
class ClusterPlan:
    """What one cluster runs and how much traffic it takes."""

    cluster: Cluster
    role: Literal["single", "release", "stable"]
    """single topology; dual: ``release`` runs this sprint's version, ``stable`` the previous one."""
    version: str
    """Image tag every service runs on this cluster."""
    weight: int
    """Route 53 weight of the public record (0–100)."""
    beta_weight: int
    """Weight of the beta record: 100 on the release cluster, 0 elsewhere (dual only)."""

    @property
    def name(self) -> str:
        return self.cluster.name


def release_cluster(sprint: int) -> str:
    """Cluster that receives sprint ``sprint``'s release in a dual topology."""
    return parity_cluster(sprint)


def plan_clusters(env: Environment) -> tuple[ClusterPlan, ...]:
    """One plan per cluster of ``env``, sorted by cluster name."""
    if env.topology.kind == "single":
        (cluster,) = env.topology.clusters
        return (ClusterPlan(cluster, "single", env.version, 100, 0),)
    target = release_cluster(env.sprint)
    versions = env.cluster_versions()
    plans = []
    for cluster in env.topology.clusters:
        is_release = cluster.name == target
        plans.append(
            ClusterPlan(
                cluster=cluster,
                role="release" if is_release else "stable",
                version=versions[cluster.name],
                weight=env.topology.weights[cluster.name],
                beta_weight=100 if is_release else 0,
            )
        )
    return tuple(plans)
