"""The stages of the gate on small inputs: severities, the schema stage, scopes and summaries."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from suite_fleet import cluster

from generator.findings import exit_code
from generator.gate.check import Scope, check_subjects, scope_of, subjects_from_manifests
from generator.manifest import Manifest

ROOT = Path(__file__).resolve().parents[2]


def policy(action: str) -> Manifest:
    body: dict[str, Any] = yaml.safe_load(
        (ROOT / "policies" / "karpenter-guardrails" / "policy.yaml").read_text(encoding="utf-8")
    )
    body = copy.deepcopy(body)
    for rule in body["spec"]["rules"]:
        rule["validate"]["failureAction"] = action
    return Manifest("dev", "main", "platform", body)


def nodepool_without_limits() -> list[Manifest]:
    out = []
    for m in cluster("dev", "main"):
        if m.kind == "NodePool":
            body = copy.deepcopy(dict(m.body))
            body["spec"]["disruption"] = {"consolidationPolicy": "WhenEmpty", "budgets": [{"nodes": "10%"}]}
            m = Manifest(m.env, m.cluster, m.component, body, m.sources)  # noqa: PLW2901
        out.append(m)
    return out


@pytest.mark.parametrize(("action", "severity", "code"), [("Enforce", "error", 1), ("Audit", "warning", 0)])
def test_enforce_fails_the_gate_and_audit_warns(action: str, severity: str, code: int) -> None:
    result = check_subjects(
        subjects_from_manifests([*nodepool_without_limits(), policy(action)]), crd_dirs=None
    )
    findings = [
        f for f in result.scopes[Scope("dev", "main", "policy/karpenter-guardrails")] if f.kind == "NodePool"
    ]
    assert {f.rule for f in findings} == {"karpenter-guardrails/nodepool-limits"}
    assert {f.severity for f in findings} == {severity}
    assert exit_code(result.findings) == code
    assert result.summary()["warnings" if severity == "warning" else "errors"] >= 1


@pytest.mark.needs_shared
def test_schema_stage_is_strict(crd_dir: Path) -> None:
    manifests = cluster("dev", "main")
    bad = []
    for m in manifests:
        if m.kind == "NodePool":
            body = copy.deepcopy(dict(m.body))
            body["spec"]["limitz"] = {"cpu": "1"}
            m = Manifest(m.env, m.cluster, m.component, body, m.sources)  # noqa: PLW2901
        bad.append(m)
    result = check_subjects(subjects_from_manifests(bad), crd_dirs=[str(crd_dir)])
    findings = result.scopes[Scope("dev", "main", "schema")]
    assert any("limitz" in f.message and f.severity == "error" for f in findings), findings
    assert all(f.file.startswith("rendered/dev/main/") for f in findings)
    assert exit_code(result.findings) == 1


def test_every_scope_runs_even_when_empty() -> None:
    result = check_subjects(
        subjects_from_manifests(cluster("dev", "main")), crd_dirs=None, environments=["dev"]
    )
    checks = {s.check for s in result.scopes}
    assert {"render", "duplicate-identity", "dns-weights", "cluster-parity"} <= checks
    assert "schema" not in checks
    assert result.findings == ()
    summary = result.summary()
    assert (summary["errors"], summary["failed_checks"], summary["clusters"]) == (0, 0, 1)


@pytest.mark.parametrize(
    ("file", "scope"),
    [
        ("rendered/prod/even/apps/docproc/rollout-x.yaml", Scope("prod", "even", "c")),
        ("rendered/prod", Scope("prod", "*", "c")),
    ],
)
def test_scope_of(file: str, scope: Scope) -> None:
    assert scope_of(file, "c") == scope


def test_line_numbers_count_the_generated_header() -> None:
    manifests = nodepool_without_limits()
    result = check_subjects(subjects_from_manifests([*manifests, policy("Enforce")]), crd_dirs=None)
    (f,) = [
        f for f in result.scopes[Scope("dev", "main", "policy/karpenter-guardrails")] if f.kind == "NodePool"
    ]
    from generator.dump import dump

    nodepool = next(m for m in manifests if m.kind == "NodePool")
    lines = ["# header", *dump(nodepool.body).splitlines()]
    assert f.line is not None
    assert lines[f.line - 1].strip().startswith(("spec:", "limits:")), (f.line, f.yaml_path)
