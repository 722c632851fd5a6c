"""Every rendered custom resource validates against the real upstream CRDs in ../shared/crds.

A straightforward structural check with jsonschema (int-or-string and nullable mapped to JSON
Schema); the full validator (defaults, list types, metadata, CEL, --strict) is ``gitops-gen validate``.
Built-in kinds are checked with kubernetes-validate's strict schemas for the environment's EKS version.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from tests.conftest import ROOT, SHIPPED_ENVS

BUILTIN_GROUPS = {
    "",
    "apps",
    "autoscaling",
    "policy",
    "networking.k8s.io",
    "storage.k8s.io",
    "rbac.authorization.k8s.io",
}


def _structural(schema: Any) -> Any:
    if isinstance(schema, Mapping):
        out = {k: _structural(v) for k, v in schema.items() if k != "x-kubernetes-validations"}
        if out.get("x-kubernetes-int-or-string"):
            out.pop("type", None)
            out["type"] = ["integer", "string"]
        if out.get("nullable") and isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        return out
    if isinstance(schema, list):
        return [_structural(v) for v in schema]
    return schema


@pytest.fixture(scope="module")
def crd_validators(crd_dir: Path) -> dict[tuple[str, str], jsonschema.Validator]:
    out = {}
    for path in sorted(crd_dir.glob("*/*.yaml")):
        crd = yaml.load(path.read_text(), Loader=yaml.CSafeLoader)
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            schema = _structural(version["schema"]["openAPIV3Schema"])
            out[(f"{group}/{version['name']}", kind)] = jsonschema.Draft7Validator(schema)
    return out


def _rendered(env: str) -> list[tuple[str, dict]]:
    files = sorted((ROOT / "rendered" / env).rglob("*.yaml"))
    return [(str(f.relative_to(ROOT)), yaml.load(f.read_text(), Loader=yaml.CSafeLoader)) for f in files]


@pytest.mark.needs_shared
@pytest.mark.parametrize("env", SHIPPED_ENVS)
def test_custom_resources_valid_against_upstream_crds(env: str, crd_validators: dict) -> None:
    checked = 0
    problems = []
    for path, doc in _rendered(env):
        group = doc["apiVersion"].rpartition("/")[0]
        if group in BUILTIN_GROUPS:
            continue
        validator = crd_validators.get((doc["apiVersion"], doc["kind"]))
        assert validator is not None, f"{path}: no CRD for {doc['apiVersion']} {doc['kind']}"
        checked += 1
        problems += [f"{path}: {list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(doc)]
    assert checked > 50
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("env", SHIPPED_ENVS)
def test_builtin_kinds_valid_against_kubernetes_schemas(env: str) -> None:
    checked = 0
    for path, doc in _rendered(env):
        if doc["apiVersion"].rpartition("/")[0] not in BUILTIN_GROUPS:
            continue
        checked += 1
        try:
            kubernetes_validate.validate(doc, "1.33.0", strict=True)
        except kubernetes_validate.ValidationError as e:
            pytest.fail(f"{path}: {e}")
    assert checked > 20
