"""The CI gate in pytest: one test per (environment, cluster, check) of the shipped tree.

``gitops-gen check`` runs once per test session; each scope is its own test, so a CI log names
the environment, the cluster and the check (``render``, ``schema``, ``policy/<name>`` or a
cross-resource check) that failed, with the findings and the environment lines behind them.
Known failures live in ``known_failures.yaml`` with their reason (strict xfail: fixed ones must be
removed from it).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from generator.gate.check import CheckResult, Scope
from generator.gate.checks.analysis import ANALYSIS_CHECKS
from generator.gate.checks.argocd import ARGOCD_CHECKS, ARGOCD_ENV_CHECKS
from generator.gate.checks.cluster import CLUSTER_CHECKS
from generator.gate.checks.dns import DNS_CHECKS
from generator.gate.checks.mesh import MESH_CHECKS
from generator.gate.checks.paths import ENV_PATH_CHECKS, PATH_CHECKS
from generator.gate.checks.secrets import CHECK as SECRETS
from generator.gate.checks.topology import ENV_CHECKS, ENV_SCOPE
from generator.gate.report import get_formatter
from generator.manifest import HUB_CLUSTER
from generator.pipeline import Project, check

ROOT = Path(__file__).resolve().parents[2]
KNOWN = yaml.safe_load((Path(__file__).parent / "known_failures.yaml").read_text(encoding="utf-8")) or {}


def _expected_scopes() -> list[Scope]:
    """Scopes derived from the tree on disk (collection must not render)."""
    envs = sorted(p.stem for p in (ROOT / "environments").glob("*.yaml") if not p.stem.startswith("_"))
    policies = sorted(p.parent.name for p in (ROOT / "policies").glob("*/policy.yaml"))
    per_cluster = [
        "render",
        "schema",
        *(f"policy/{p}" for p in policies),
        *CLUSTER_CHECKS,
        *PATH_CHECKS,
        *ANALYSIS_CHECKS,
        *MESH_CHECKS,
        SECRETS,
        *ARGOCD_CHECKS,
        "chart-values",
        "image-registries",
    ]
    scopes = []
    for env in envs:
        env_dir = ROOT / "rendered" / env
        clusters = sorted(p.name for p in env_dir.iterdir() if p.is_dir()) if env_dir.is_dir() else []
        for c in clusters:  # the hub renders no ClusterPolicies: it runs none of their scopes
            scopes += [
                Scope(env, c, k) for k in per_cluster if c != HUB_CLUSTER or not k.startswith("policy/")
            ]
        scopes += [
            Scope(env, ENV_SCOPE, check)
            for check in (*ENV_CHECKS, *ARGOCD_ENV_CHECKS, *ENV_PATH_CHECKS, *DNS_CHECKS)
        ]
    return scopes


SCOPES = _expected_scopes()


@pytest.fixture(scope="session")
def gate(crd_dir: Path, charts_dir: Path) -> CheckResult:
    return check(Project(ROOT), crd_dirs=[str(crd_dir)], charts_dir=str(charts_dir))


def test_every_scope_that_ran_is_collected(gate: CheckResult) -> None:
    assert sorted(gate.scopes) == sorted(SCOPES)


def test_known_failures_name_real_scopes() -> None:
    assert set(KNOWN) <= {s.id for s in SCOPES}


@pytest.mark.needs_shared
@pytest.mark.parametrize(
    "scope",
    [
        pytest.param(s, marks=pytest.mark.xfail(strict=True, reason=KNOWN[s.id])) if s.id in KNOWN else s
        for s in SCOPES
    ],
    ids=[s.id for s in SCOPES],
)
def test_check(gate: CheckResult, scope: Scope) -> None:
    findings = gate.scopes[scope]
    errors = [f for f in findings if f.severity == "error"]
    assert not errors, get_formatter("text")(errors, {}, tool=scope.id)
