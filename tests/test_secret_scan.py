"""Secrets never in git (issue 11 point 7): the scan of rendered/, and each class found at its env line.

``rendered/`` as committed must hold no credential; and every class the scanner knows, written
into an environment file, must come out of ``check``'s ``secrets`` check naming the rendered file
and the environment line it came from.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.documents import load_file
from generator.gate.checks.cluster import ClusterView
from generator.gate.checks.secrets import check_secrets, scan_text
from generator.manifest import Manifest
from generator.pipeline import Project, render_environments
from tests.conftest import ROOT, CliResult

PRIVATE_KEY = "-----BEGIN RSA PRIVATE KEY-----\\nMIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgHcTz6sE2I2yPB\\n-----END RSA PRIVATE KEY-----"


def test_committed_rendered_tree_holds_no_secret() -> None:
    files = sorted((ROOT / "rendered").rglob("*.yaml"))
    assert files, "rendered/ is empty"
    manifests = []
    for path in files:
        rel = path.relative_to(ROOT / "rendered").parts
        manifests.extend(Manifest(rel[0], rel[1], rel[2], doc.body) for doc in load_file(path))
    found = list(check_secrets(ClusterView("all", "all", tuple(manifests))))
    assert found == [], [f"{f.file}: {f.message}" for f in found]


def _services_env(text: str, extra: str) -> str:
    """``text`` with ``extra`` (``NAME: value``) added to the first service's env."""
    old = "env: {LOG_LEVEL: info}"
    assert old in text
    return text.replace(old, "env: {LOG_LEVEL: info, " + extra + "}", 1)


ENV_CASES = [
    pytest.param("DB_PASS: hunter2hunter2", "literal credential", id="db-pass"),
    pytest.param("PWD: s3cr3t-pw", "literal credential", id="pwd"),
    pytest.param(f'TLS_KEY: "{PRIVATE_KEY}"', "a private key", id="private-key"),
    pytest.param("AWS_ACCESS_KEY_ID: AKIAIOSFODNN7EXAMPLE", "an AWS access key id", id="aws-access-key-id"),
    pytest.param(
        'DATABASE_URL: "postgres://app:pa55word@db.internal:5432/docs"',
        "credentials in a URL",
        id="password-in-url",
    ),
    pytest.param(
        'UPSTREAM_HEADER: "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc123"',
        "a bearer token",
        id="bearer-token",
    ),
    pytest.param("SIGNING_SEED: Zx8Qw2Lp9Vt4Rk7Ys1Mn6Bc3", "high-entropy", id="high-entropy-value"),
    pytest.param("GH: ghp_abcdefghijklmnopqrstuvwxyz0123456789", "a GitHub token", id="github-token"),
]


def _scan(project: Path) -> list:
    manifests = render_environments(Project(project), ["dev"])
    clusters: dict[str, list[Manifest]] = {}
    for m in manifests:
        clusters.setdefault(m.cluster, []).append(m)
    return [f for c, ms in clusters.items() for f in check_secrets(ClusterView("dev", c, tuple(ms)))]


@pytest.mark.parametrize(("entry", "what"), ENV_CASES)
def test_each_class_in_an_env_value_is_found_at_its_line(project: Path, entry: str, what: str) -> None:
    defaults = project / "environments" / "_defaults.yaml"
    text = defaults.read_text()
    defaults.write_text(_services_env(text, entry))
    line = text[: text.index("env: {LOG_LEVEL: info}")].count("\n") + 1
    found = _scan(project)
    assert found, "nothing found"
    assert all(what in f.message for f in found), [f.message for f in found]
    assert {str(f.source) for f in found} == {f"environments/_defaults.yaml:{line}"}
    assert all(entry.split(":", 1)[1].strip().strip('"')[:12] not in f.message for f in found), (
        "never print it"
    )


@pytest.mark.parametrize(
    ("file", "old", "new"),
    [
        (
            "_defaults.yaml",
            "repoURL: https://git.example.com/",
            "repoURL: https://bot:t0ken-value@git.example.com/",
        ),
        ("dev.yaml", "server: https://", "server: https://admin:hunter22@"),
        ("_defaults.yaml", "oidcIssuer: https://", "oidcIssuer: https://client:s3cret@"),
    ],
    ids=["argocd-repo-url", "cluster-server", "oidc-issuer"],
)
def test_credentials_in_other_urls(project: Path, file: str, old: str, new: str) -> None:
    path = project / "environments" / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    line = text[: text.index(old)].count("\n") + 1
    found = _scan(project)
    assert found
    assert any("credentials in a URL" in f.message for f in found)
    assert any(str(f.source or "").startswith("environments/") for f in found)
    if "oidcIssuer" not in old:  # the issuer is rendered into per-service objects: traced to the service
        assert f"environments/{file}:{line}" in {str(f.source) for f in found}


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("https://issuer.example.com", None),
        ("sha256:" + "a" * 64, None),
        ("https://user:pw@issuer.example.com/realms/x", "credentials in a URL"),
        ("-----BEGIN OPENSSH PRIVATE KEY-----", "a private key"),
        ("-----BEGIN CERTIFICATE-----", None),
        ("Authorization: Basic dXNlcjpwYXNzd29yZA==", "basic-auth credentials"),
    ],
)
def test_scan_text(text: str, what: str | None) -> None:
    assert scan_text(text) == what


@pytest.mark.needs_shared
def test_check_reports_a_secret_with_the_environment_line(
    project: Path, cli: Callable[..., CliResult], crd_dir: Path, charts_dir: Path
) -> None:
    defaults = project / "environments" / "_defaults.yaml"
    text = defaults.read_text()
    defaults.write_text(_services_env(text, "AWS_ACCESS_KEY_ID: AKIAIOSFODNN7EXAMPLE"))
    line = text[: text.index("env: {LOG_LEVEL: info}")].count("\n") + 1
    assert cli("render", "--root", str(project), "--env", "dev", "-q").code == 0
    foreign = project / "rendered" / "dev" / "main" / "apps" / "docproc" / "secret-by-hand.yaml"
    foreign.write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: by-hand, namespace: docproc}\nstringData: {password: x}\n"
    )
    result = cli(
        "check",
        "--root",
        str(project),
        "--env",
        "dev",
        "--crd-dir",
        str(crd_dir),
        "--charts-dir",
        str(charts_dir),
        "--output",
        "json",
    )
    assert result.code == 1
    secrets = [f for f in json.loads(result.out)["findings"] if f["rule"] == "secrets"]
    assert any(f["source"] == f"environments/_defaults.yaml:{line}" for f in secrets), secrets
    assert any(
        f["file"].endswith("secret-by-hand.yaml") and "stringData.password" in f["message"] for f in secrets
    )


# --- the prefilter (speed, issue 14) -------------------------------------------------------------

_FRAGMENTS = [
    PRIVATE_KEY,
    "AKIAIOSFODNN7EXAMPLE",
    "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    "xoxb-1234567890-abc",
    "AIzaSyA1234567890abcdefghijklmnopqrstu",
    "postgres://app:pa55word@db",
    "https://",
    "app:pw@",
    "Bearer",
    "bearer\tabcdefghijklmnop",
    "Basic dXNlcjpwYXNzd29yZA==",
    "Zx8Qw2Lp9Vt4Rk7Ys1Mn6Bc3",
    "hunter2",
    "changeme",
    " ",
    "\n",
    "-",
    "x",
]
_TEXT = st.lists(st.sampled_from(_FRAGMENTS), max_size=4).map("".join) | st.text(max_size=30)
_ENV = st.lists(
    st.fixed_dictionaries(
        {"name": st.sampled_from(["DB_PASS", "LOG_LEVEL", "API_KEY", "MODE", ""]), "value": _TEXT}
    ),
    max_size=3,
)
_BODY = st.recursive(
    _TEXT | st.integers() | st.booleans() | st.none(),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["a", "b", "data", "value", "url"]), inner, max_size=3)
        | st.fixed_dictionaries({"name": _TEXT, "env": _ENV})
    ),
    max_leaves=12,
)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # slow to draw on a loaded machine
@given(body=_BODY, kind=st.sampled_from(["ConfigMap", "Deployment", "Secret"]))
def test_prefilter_never_hides_a_finding(body: object, kind: str) -> None:
    """The one-pass prefilter only skips manifests the exact scan reports nothing in."""
    from generator.gate.checks import secrets

    manifest = Manifest(
        "e", "c", "apps", {"apiVersion": "v1", "kind": kind, "metadata": {"name": "x"}, "x": body}
    )
    fast = list(secrets._manifest_findings(manifest))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(secrets, "_may_hold_secret", lambda _body: True)
        exact = list(secrets._manifest_findings(manifest))
    assert fast == exact


def test_prefilter_skips_a_clean_manifest() -> None:
    """The fast path is the one taken for a manifest without secrets (else it would save nothing)."""
    from generator.gate.checks import secrets

    body = {
        "kind": "Deployment",
        "spec": {"containers": [{"name": "a", "env": [{"name": "MODE", "value": "x"}]}]},
    }
    assert not secrets._may_hold_secret(body)
    assert secrets._may_hold_secret({"a": ["x", {"b": "AKIAIOSFODNN7EXAMPLE"}]})
