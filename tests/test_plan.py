"""Plan stage: which cluster gets the sprint's release, and the traffic it takes.

Exact values come from the fixture environments under ``tests/golden/`` (they never change with a
release); the shipped environments are checked against their own files, whatever release they are in.
"""

from __future__ import annotations

import pytest

from generator.pipeline import Project, load_env
from generator.plan import plan_clusters, release_cluster
from tests.conftest import ROOT, SHIPPED_ENVS, cluster_versions, cluster_weights, shipped_data

DUAL_FIXTURE = Project(ROOT / "tests" / "golden" / "minimal-dual")
SINGLE_FIXTURE = Project(ROOT / "tests" / "golden" / "minimal-single")


@pytest.mark.parametrize(("sprint", "cluster"), [(42, "even"), (43, "odd"), (1, "odd"), (100, "even")])
def test_release_goes_to_cluster_of_sprint_parity(sprint: int, cluster: str) -> None:
    assert release_cluster(sprint) == cluster


def test_dual_plan_roles_versions_and_weights() -> None:
    _, env = load_env(DUAL_FIXTURE, "duo")
    even, odd = plan_clusters(env)
    assert (even.name, even.role, even.version, even.weight, even.beta_weight) == (
        "even",
        "release",
        "1.1.0",
        0,
        100,
    )
    assert (odd.name, odd.role, odd.version, odd.weight, odd.beta_weight) == (
        "odd",
        "stable",
        "1.0.0",
        100,
        0,
    )


def test_next_sprint_targets_the_other_cluster() -> None:
    from dataclasses import replace

    _, env = load_env(DUAL_FIXTURE, "duo")
    roles = {p.name: p.role for p in plan_clusters(replace(env, sprint=env.sprint + 1))}
    assert roles == {"even": "stable", "odd": "release"}


def test_single_plan() -> None:
    (name,) = [p.stem for p in SINGLE_FIXTURE.environments.glob("*.yaml") if not p.stem.startswith("_")]
    _, env = load_env(SINGLE_FIXTURE, name)
    (only,) = plan_clusters(env)
    assert (only.role, only.weight, only.version) == ("single", 100, env.version)


@pytest.mark.parametrize("name", SHIPPED_ENVS)
def test_shipped_plan_follows_the_file(name: str) -> None:
    """Each shipped environment's clusters run the versions and take the weights its file records."""
    data = shipped_data(name)
    _, env = load_env(Project(ROOT), name)
    plans = plan_clusters(env)
    assert {p.name: p.version for p in plans} == cluster_versions(data)
    assert {p.name: p.weight for p in plans} == cluster_weights(data)
    assert sum(p.weight for p in plans) == 100
