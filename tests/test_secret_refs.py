"""Secret references instead of values (``services[].secrets``, ``secretStores``).

A service names where a variable's value is kept; the render holds an ExternalSecret per store and
a ``secretKeyRef`` in the container, never the value. References to undeclared stores are user
errors at their line; ``check`` proves every ExternalSecret reads from a declared or rendered store.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from generator.gate.checks.cluster import ClusterView
from generator.gate.checks.paths import check_secret_refs
from generator.pipeline import Project, render_environments
from tests.conftest import SHIPPED_ENVS, CliResult, add_layer, render_refused, shipped_data

SINGLE = next(n for n in SHIPPED_ENVS if shipped_data(n)["topology"]["type"] == "single")
Cli = Callable[..., CliResult]
CHARTS = Path(__file__).resolve().parents[2] / "shared" / "charts"


def _service() -> str:
    return str(shipped_data(SINGLE)["services"][0]["name"])


def _secrets_layer(store: str = "aws-secrets", declared: str = "[{name: aws-secrets}]") -> str:
    name = _service()
    return (
        f"secretStores: {declared}\n"
        f"services:\n  - name: {name}\n    secrets:\n"
        f"      DB_PASSWORD: {{store: {store}, key: docproc/db, property: password}}\n"
        f"      API_TOKEN: {{store: {store}, key: docproc/token}}\n"
    )


def test_secrets_render_an_external_secret_and_secret_key_refs(project: Path) -> None:
    name = _service()
    add_layer(project, SINGLE, _secrets_layer())
    manifests = render_environments(Project(project), [SINGLE])
    (es,) = [m for m in manifests if m.kind == "ExternalSecret" and m.cluster != "_hub"][:1]
    assert es.name == f"{name}-aws-secrets"
    assert es.body["spec"]["secretStoreRef"] == {"name": "aws-secrets", "kind": "ClusterSecretStore"}
    assert es.body["spec"]["target"]["name"] == es.name
    assert es.body["spec"]["data"] == [
        {"secretKey": "API_TOKEN", "remoteRef": {"key": "docproc/token"}},
        {"secretKey": "DB_PASSWORD", "remoteRef": {"key": "docproc/db", "property": "password"}},
    ]
    workload = next(m for m in manifests if m.kind in {"Rollout", "Deployment"} and m.name == name)
    env = workload.body["spec"]["template"]["spec"]["containers"][0]["env"]
    refs = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in env if "valueFrom" in e}
    assert refs["DB_PASSWORD"] == {"name": es.name, "key": "DB_PASSWORD"}
    assert refs["API_TOKEN"] == {"name": es.name, "key": "API_TOKEN"}
    assert not [m for m in manifests if m.kind == "Secret" and m.namespace == "docproc"]


def test_a_service_without_secrets_renders_no_external_secret(project: Path) -> None:
    manifests = render_environments(Project(project), [SINGLE])
    assert not [m for m in manifests if m.kind == "ExternalSecret"]


def test_undeclared_store_is_refused_at_its_line(project: Path, cli: Cli) -> None:
    add_layer(project, SINGLE, _secrets_layer(store="vault"))
    err = render_refused(cli, project, SINGLE)
    assert re.search(
        r"environments/_extra\.yaml:5(:\d+)?: services\[\d+\]\.secrets\.DB_PASSWORD\.store: "
        r"secret store 'vault' is not declared",
        err,
    ), err
    assert "secretStores (known: aws-secrets)" in err


def test_a_variable_both_in_env_and_secrets_is_refused(project: Path, cli: Cli) -> None:
    name = _service()
    add_layer(
        project,
        SINGLE,
        f"secretStores: [{{name: s}}]\nservices:\n  - name: {name}\n    env: {{TOKEN: plain}}\n"
        "    secrets: {TOKEN: {store: s, key: k}}\n",
    )
    assert re.search(
        r"services\[\d+\]\.secrets\.TOKEN: .* both as a value", render_refused(cli, project, SINGLE)
    )


def test_a_store_name_that_makes_the_external_secret_name_too_long_is_refused(
    project: Path, cli: Cli
) -> None:
    store = "s" * (63 - len(_service()))  # <service>-<store>: 64 characters
    add_layer(project, SINGLE, _secrets_layer(store, f"[{{name: {store}}}]"))
    err = render_refused(cli, project, SINGLE)
    assert re.search(r"services\[\d+\]\.secrets\.API_TOKEN\.store: .*longer than 63 characters", err), err


def test_duplicate_store_names_are_refused(project: Path, cli: Cli) -> None:
    add_layer(project, SINGLE, "secretStores: [{name: s}, {name: s, kind: SecretStore}]\n")
    assert re.search(r"secretStores\[1\]\.name: duplicate name 's'", render_refused(cli, project, SINGLE))


# --- check --------------------------------------------------------------------------------------


def _operator_layer() -> str:
    version = sorted(p.name for p in (CHARTS / "external-secrets").iterdir())[-1]
    return (
        "argocd:\n  operators:\n    external-secrets:\n      namespace: external-secrets\n"
        "      repoURL: https://charts.external-secrets.io\n      chart: external-secrets\n"
        f"      version: {version}\n      values: {{installCRDs: true}}\n"
    )


def _check(cli: Cli, project: Path, crd_dir: Path, charts_dir: Path) -> dict:  # type: ignore[type-arg]
    args = [
        "--root",
        str(project),
        "--env",
        SINGLE,
        "--crd-dir",
        str(crd_dir),
        "--charts-dir",
        str(charts_dir),
    ]
    result = cli("check", *args, "-o", "json")
    assert result.code in {0, 1}, result.err
    return json.loads(result.out)  # type: ignore[no-any-return]


@pytest.mark.needs_shared
def test_check_passes_a_declared_store(cli: Cli, project: Path, crd_dir: Path, charts_dir: Path) -> None:
    add_layer(project, SINGLE, _secrets_layer() + _operator_layer())
    assert cli("render", "--root", str(project), "--env", SINGLE, "-q").code == 0
    doc = _check(cli, project, crd_dir, charts_dir)
    assert not [f for f in doc["findings"] if f["kind"] == "ExternalSecret" or f["rule"] == "secret-refs"], (
        doc
    )


@pytest.mark.parametrize(
    ("store", "declared", "rendered_store", "ok"),
    [
        (("ClusterSecretStore", "aws-secrets"), (("ClusterSecretStore", "aws-secrets"),), None, True),
        (("ClusterSecretStore", "elsewhere"), (("ClusterSecretStore", "aws-secrets"),), None, False),
        (("SecretStore", "aws-secrets"), (("ClusterSecretStore", "aws-secrets"),), None, False),
        (("ClusterSecretStore", "team"), None, "ClusterSecretStore", True),
        (("SecretStore", "team"), None, "SecretStore", True),
        (("ClusterSecretStore", "team"), None, None, False),
    ],
    ids=["declared", "undeclared", "wrong-kind", "rendered-cluster-store", "rendered-store", "nothing"],
)
def test_the_secret_refs_check_wants_a_declared_or_rendered_store(
    project: Path,
    store: tuple[str, str],
    declared: tuple[tuple[str, str], ...] | None,
    rendered_store: str | None,
    ok: bool,
) -> None:
    """The gate's side, on any ExternalSecret (a hand-written one too): the store must exist."""
    add_layer(project, SINGLE, _secrets_layer())
    manifests = [m for m in render_environments(Project(project), [SINGLE]) if m.cluster != "_hub"]
    cluster = next(m.cluster for m in manifests if m.kind == "ExternalSecret")
    members = []
    for m in manifests:
        if m.cluster != cluster:
            continue
        spec = {**m.body.get("spec", {}), "secretStoreRef": {"kind": store[0], "name": store[1]}}
        members.append(
            dataclasses.replace(m, body={**m.body, "spec": spec}) if m.kind == "ExternalSecret" else m
        )
    if rendered_store:
        meta = {"name": store[1], **({"namespace": "docproc"} if rendered_store == "SecretStore" else {})}
        body = {"apiVersion": "external-secrets.io/v1", "kind": rendered_store, "metadata": meta, "spec": {}}
        members.append(dataclasses.replace(members[0], body=body))
    found = [
        f
        for f in check_secret_refs(ClusterView(SINGLE, cluster, tuple(members)), declared)
        if "ExternalSecret" in f.message
    ]
    assert (not found) == ok, found
    if not ok:
        assert f"{store[0]} {store[1]!r}" in found[0].message
        assert found[0].yaml_path == ("spec", "secretStoreRef", "name")


@pytest.mark.needs_shared
def test_check_wants_the_operator_that_serves_external_secrets(
    cli: Cli, project: Path, crd_dir: Path, charts_dir: Path
) -> None:
    add_layer(project, SINGLE, _secrets_layer())
    assert cli("render", "--root", str(project), "--env", SINGLE, "-q").code == 0
    doc = _check(cli, project, crd_dir, charts_dir)
    assert any(f["kind"] == "ExternalSecret" and f["rule"] == "argocd-sync-ordering" for f in doc["findings"])
