"""The policy sources in ``policies/`` are real Kyverno: valid against the upstream CRDs, well formed.

These checks need no engine: the ClusterPolicy and Test CRDs in ../shared are the contract that a
real cluster (and the real ``kyverno test``) would apply. Kubernetes extensions (``x-kubernetes-*``)
are ignored here; the full validator is ``gitops-gen validate``.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
POLICY_DIRS = sorted(p.parent for p in (ROOT / "policies").glob("*/policy.yaml"))
REQUIRED_ANNOTATIONS = ("policies.kyverno.io/title", "policies.kyverno.io/description")


@functools.cache
def _crd_validator(crd_dir: Path, group: str, kind: str, version: str) -> Any:
    """One compiled validator per CRD version (the ClusterPolicy schema is ~20,000 lines)."""
    return jsonschema_rs.validator_for(_crd_schema(crd_dir, group, kind, version))


def _crd_schema(crd_dir: Path, group: str, kind: str, version: str) -> dict[str, Any]:
    crd = yaml.load((crd_dir / group / f"{kind}.yaml").read_bytes(), Loader=yaml.CSafeLoader)
    for served in crd["spec"]["versions"]:
        if served["name"] == version:
            schema: dict[str, Any] = served["schema"]["openAPIV3Schema"]
            return schema
    raise AssertionError(f"{group}/{kind} has no version {version}")


def _load(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


def test_there_is_a_full_suite() -> None:
    assert len(POLICY_DIRS) >= 3


@pytest.mark.parametrize("policy_dir", POLICY_DIRS, ids=[p.name for p in POLICY_DIRS])
def test_policy_is_one_annotated_cluster_policy(policy_dir: Path) -> None:
    docs = _load(policy_dir / "policy.yaml")
    assert len(docs) == 1
    (policy,) = docs
    assert (policy["apiVersion"], policy["kind"]) == ("kyverno.io/v1", "ClusterPolicy")
    assert policy["metadata"]["name"] == policy_dir.name
    annotations = policy["metadata"]["annotations"]
    for key in REQUIRED_ANNOTATIONS:
        assert annotations.get(key), f"{policy_dir.name}: annotation {key} missing"
    for rule in policy["spec"]["rules"]:
        assert rule["validate"]["failureAction"] in ("Enforce", "Audit"), rule["name"]


@pytest.mark.needs_shared
@pytest.mark.parametrize("policy_dir", POLICY_DIRS, ids=[p.name for p in POLICY_DIRS])
def test_policy_validates_against_the_clusterpolicy_crd(policy_dir: Path, crd_dir: Path) -> None:
    validator = _crd_validator(crd_dir, "kyverno.io", "ClusterPolicy", "v1")
    (policy,) = _load(policy_dir / "policy.yaml")
    errors = [f"{list(e.instance_path)}: {e.message}" for e in validator.iter_errors(policy)]
    assert not errors, "\n".join(errors)


@pytest.mark.needs_shared
@pytest.mark.parametrize("policy_dir", POLICY_DIRS, ids=[p.name for p in POLICY_DIRS])
def test_kyverno_test_validates_against_the_test_crd(policy_dir: Path, crd_dir: Path) -> None:
    validator = _crd_validator(crd_dir, "cli.kyverno.io", "Test", "v1alpha1")
    for test in _load(policy_dir / "kyverno-test.yaml"):
        errors = [f"{list(e.instance_path)}: {e.message}" for e in validator.iter_errors(test)]
        assert not errors, "\n".join(errors)


@pytest.mark.parametrize("policy_dir", POLICY_DIRS, ids=[p.name for p in POLICY_DIRS])
def test_every_rule_has_a_pass_and_a_fail_resource(policy_dir: Path) -> None:
    (policy,) = _load(policy_dir / "policy.yaml")
    seen: dict[str, set[str]] = {}
    for test in _load(policy_dir / "kyverno-test.yaml"):
        for result in test["results"]:
            assert result["policy"] == policy["metadata"]["name"]
            seen.setdefault(result["rule"], set()).add(result["result"])
    for rule in policy["spec"]["rules"]:
        assert {"pass", "fail"} <= seen.get(rule["name"], set()), f"{rule['name']}: {seen.get(rule['name'])}"


@pytest.mark.parametrize("policy_dir", POLICY_DIRS, ids=[p.name for p in POLICY_DIRS])
def test_test_resources_exist_and_are_named_uniquely(policy_dir: Path) -> None:
    names: dict[str, int] = {}
    for test in _load(policy_dir / "kyverno-test.yaml"):
        for rel in test["resources"]:
            for doc in _load(policy_dir / rel):
                names[doc["metadata"]["name"]] = names.get(doc["metadata"]["name"], 0) + 1
        referenced = {r for result in test["results"] for r in result["resources"]}
        assert referenced <= set(names), referenced - set(names)
    assert all(n == 1 for n in names.values()), {k: n for k, n in names.items() if n > 1}


@pytest.mark.parametrize("policy_dir", POLICY_DIRS, ids=[p.name for p in POLICY_DIRS])
def test_policy_has_no_yaml_anchors(policy_dir: Path) -> None:
    """The renderer re-dumps policies; shared nodes would come out as ``&id001`` anchors."""
    events = yaml.parse((policy_dir / "policy.yaml").read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    assert not [e for e in events if isinstance(e, yaml.AliasEvent)]
