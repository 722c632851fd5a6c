"""Parallel render: the clusters split into two shares of equal work; the worker inherits what was read.

``pipeline.render_files`` renders on both cores once the fleet is large. Its shares must cover every
cluster of every environment exactly once (the hub with the environment's first cluster), be about
equal in work (services x clusters), and the forked worker must not read and compile the templates
and policies again.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import generator.pipeline as pipeline
from generator.manifest import HUB_CLUSTER
from generator.model import Environment
from generator.pipeline import Project, load_env, selected_envs
from generator.plan import plan_clusters
from tests.conftest import SHIPPED_ENVS


def _envs(project: Path, copies: int = 1) -> dict[str, Environment]:
    """The shipped environments (``copies`` times each, under new names)."""
    loaded = {name: load_env(Project(project), name)[1] for name in selected_envs(Project(project), None)}
    return {f"{name}-{i}": env for i in range(copies) for name, env in loaded.items()}


@pytest.mark.parametrize("copies", [1, 2, 3])
@pytest.mark.parametrize("jobs", [1, 2, 3])
def test_shares_cover_every_cluster_once_with_the_hub_first(project: Path, copies: int, jobs: int) -> None:
    envs = _envs(project, copies)
    shares = pipeline._shares(envs, jobs)
    assert 1 <= len(shares) <= jobs
    seen: dict[str, list[str]] = {name: [] for name in envs}
    for share in shares:
        for name, only in share:
            every = [p.name for p in plan_clusters(envs[name])]
            seen[name].extend([HUB_CLUSTER, *every] if only is None else only)
    for name, env in envs.items():
        every = [p.name for p in plan_clusters(env)]
        assert sorted(seen[name]) == sorted([HUB_CLUSTER, *every]), name


def test_shares_are_about_equal_work(project: Path) -> None:
    envs = _envs(project, 3)
    shares = pipeline._shares(envs, 2)
    assert len(shares) == 2

    def work(share: pipeline.Share) -> int:
        total = 0
        for name, only in share:
            env = envs[name]
            clusters = [p.name for p in plan_clusters(env) if only is None or p.name in only]
            total += len(clusters) * (len(env.services) + 1)
        return total

    largest_unit = max(len(env.services) + 1 for env in envs.values())
    assert abs(work(shares[0]) - work(shares[1])) <= largest_unit


def test_the_forked_worker_compiles_nothing_again(
    project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Templates and policies are read once per render, before the worker forks (it inherits them)."""
    calls = tmp_path / "calls"
    calls.touch()
    real_templates, real_policies = pipeline.load_templates, pipeline.load_policy_sources

    def templates(*args: object, **kwargs: object) -> object:
        with calls.open("a") as fh:
            fh.write("templates\n")
        return real_templates(*args, **kwargs)

    def policies(*args: object, **kwargs: object) -> object:
        with calls.open("a") as fh:
            fh.write("policies\n")
        return real_policies(*args, **kwargs)

    names = list(SHIPPED_ENVS)
    serial = pipeline.render_files(Project(project), names)
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_SERVICES", 1)
    monkeypatch.setattr(pipeline, "load_templates", templates)
    monkeypatch.setattr(pipeline, "load_policy_sources", policies)
    assert pipeline.render_files(Project(project), names) == serial
    assert sorted(calls.read_text().split()) == ["policies", "templates"]
    assert pipeline._inherited == {}
