"""Plan stage: which cluster gets the sprint's release, and the traffic it takes."""

from __future__ import annotations

import pytest

from generator.pipeline import Project, load_env
from generator.plan import plan_clusters, release_cluster
from tests.conftest import ROOT


@pytest.mark.parametrize(("sprint", "cluster"), [(42, "even"), (43, "odd"), (1, "odd"), (100, "even")])
def test_release_goes_to_cluster_of_sprint_parity(sprint: int, cluster: str) -> None:
    assert release_cluster(sprint) == cluster


def test_dual_plan_roles_versions_and_weights() -> None:
    _, env = load_env(Project(ROOT), "prod")
    even, odd = plan_clusters(env)
    assert (even.name, even.role, even.version, even.weight, even.beta_weight) == (
        "even",
        "release",
        "2026.42.0",
        90,
        100,
    )
    assert (odd.name, odd.role, odd.version, odd.weight, odd.beta_weight) == (
        "odd",
        "stable",
        "2026.41.3",
        10,
        0,
    )


def test_next_sprint_targets_the_other_cluster() -> None:
    from dataclasses import replace

    _, env = load_env(Project(ROOT), "prod")
    roles = {p.name: p.role for p in plan_clusters(replace(env, sprint=env.sprint + 1))}
    assert roles == {"even": "stable", "odd": "release"}


def test_single_plan() -> None:
    _, env = load_env(Project(ROOT), "dev")
    (only,) = plan_clusters(env)
    assert (only.name, only.role, only.weight) == ("main", "single", 100)
