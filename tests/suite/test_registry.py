"""The one registry of the gate's checks: the runner runs what it lists, in its order, and nothing else."""

from __future__ import annotations

from suite_fleet import cluster

from generator.gate.check import RENDER, ImageRules, Scope, check_subjects, subjects_from_manifests
from generator.gate.checks.argocd import HUB
from generator.gate.checks.topology import ENV_SCOPE
from generator.gate.registry import CLUSTER_CHECKS, ENV_CHECKS, IMAGES

OPTIONAL = {"chart-values", IMAGES}


def _scopes(**kwargs: object) -> list[Scope]:
    subjects = subjects_from_manifests(cluster("dev", "main"))
    return list(check_subjects(subjects, crd_dirs=None, environments=["dev"], **kwargs).scopes)  # type: ignore[arg-type]


def test_the_runner_runs_the_registered_checks_in_order() -> None:
    scopes = _scopes(image_rules={"dev": ImageRules(("registry.example",), False)})
    per_cluster = [
        s.check for s in scopes if s.cluster == "main" and s.check != RENDER and "/" not in s.check
    ]
    assert per_cluster == [name for name in CLUSTER_CHECKS if name != "chart-values"]
    per_env = [s.check for s in scopes if s.cluster == ENV_SCOPE]
    assert per_env == [*ENV_CHECKS, HUB]


def test_checks_that_need_options_do_not_run_without_them() -> None:
    names = {s.check for s in _scopes()}
    assert not names & OPTIONAL
    assert set(CLUSTER_CHECKS) - OPTIONAL <= names


def test_names_are_unique_within_a_scope() -> None:
    assert len(set(CLUSTER_CHECKS)) == len(CLUSTER_CHECKS)
    assert len(set(ENV_CHECKS)) == len(ENV_CHECKS)
