"""``gitops-gen check``: exit codes, output formats and the path from a finding to the env line.

Each test works on a copy of the project (environments, templates, policies) rendered into a
temporary root with ``gitops-gen render``, then changed the way an author would change it.
"""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
KNOWN = yaml.safe_load((Path(__file__).parent / "known_failures.yaml").read_text(encoding="utf-8")) or {}
pytestmark = pytest.mark.needs_shared


@pytest.fixture
def project(tmp_path: Path, cli: Callable[..., object]) -> Path:
    for name in ("environments", "templates", "policies"):
        shutil.copytree(ROOT / name, tmp_path / name)
    result = cli("render", "--root", str(tmp_path), "--env", "dev", "-q")
    assert result.code == 0, result  # type: ignore[attr-defined]
    return tmp_path


def edit(path: Path, old: str, new: str) -> int:
    """Replace ``old`` (once) in ``path``; returns the 1-based line where ``new`` now starts."""
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


def check(cli, project: Path, crd_dir: Path, *args: str):  # type: ignore[no-untyped-def]
    return cli("check", "--root", str(project), "--env", "dev", "--crd-dir", str(crd_dir), *args)


def test_shipped_dev_passes_but_for_known_failures(cli, project: Path, crd_dir: Path) -> None:
    result = check(cli, project, crd_dir, "--output", "json")
    doc = json.loads(result.out)
    failing = {f["rule"] for f in doc["findings"] if f["severity"] == "error"}
    known = {k.split("/", 2)[2] for k in KNOWN if k.startswith("dev/")}
    assert failing == known
    assert result.code == (1 if known else 0)
    assert doc["summary"]["documents"] > 50
    assert doc["summary"]["environments"] == ["dev"]


def test_plaintext_password_in_the_environment_fails_at_its_line(cli, project: Path, crd_dir: Path) -> None:
    defaults = project / "environments" / "_defaults.yaml"
    entry = edit(defaults, "  - name: ingest-api\n", "  - name: ingest-api\n")
    edit(defaults, "env: {LOG_LEVEL: info}", "env: {LOG_LEVEL: info, DB_PASSWORD: hunter2}")
    assert cli("render", "--root", str(project), "--env", "dev", "-q").code == 0
    result = check(cli, project, crd_dir, "--output", "json")
    assert result.code == 1
    (finding,) = [
        f for f in json.loads(result.out)["findings"] if f["rule"].startswith("disallow-plaintext-secrets/")
    ]
    assert finding["rule"] == "disallow-plaintext-secrets/no-credentials-in-env"
    assert finding["file"] == "rendered/dev/main/apps/docproc/rollout-ingest-api.yaml"
    assert finding["severity"] == "error"
    assert finding["source"] == f"environments/_defaults.yaml:{entry}"
    github = check(cli, project, crd_dir, "--output", "github")
    title = "disallow-plaintext-secrets/no-credentials-in-env"
    assert f"::error file=environments/_defaults.yaml,line={entry},title={title}::" in github.out


def test_a_latest_version_fails_the_image_policy(cli, project: Path, crd_dir: Path) -> None:
    dev = project / "environments" / "dev.yaml"
    version = yaml.safe_load(dev.read_text(encoding="utf-8"))["release"]["version"]
    edit(dev, f'version: "{version}"', 'version: "latest"')
    assert cli("render", "--root", str(project), "--env", "dev", "-q").code == 0
    result = check(cli, project, crd_dir)
    assert result.code == 1
    assert "[restrict-images/disallow-latest-tag]" in result.out
    assert "rollout-ingest-api.yaml:" in result.out
    assert "  from environments/" in result.out


def test_stale_rendered_tree_is_drift(cli, project: Path, crd_dir: Path) -> None:
    edit(project / "environments" / "dev.yaml", "rateLimitPerMinute: 120", "rateLimitPerMinute: 90")
    result = check(cli, project, crd_dir, "--output", "json")
    assert result.code == 1
    drift = [f for f in json.loads(result.out)["findings"] if f["rule"] == "render-drift"]
    assert drift
    assert all("run `make render`" in f["message"] for f in drift)
    assert {f["file"].split("/")[1] for f in drift} == {"dev"}


def test_weights_that_do_not_add_up_are_a_user_error(cli, project: Path, crd_dir: Path) -> None:
    prod = project / "environments" / "prod.yaml"
    text = prod.read_text(encoding="utf-8")
    weights = yaml.safe_load(text)["topology"]["weights"]
    first = sorted(weights)[0]
    prod.write_text(
        text.replace(f"{first}: {weights[first]}", f"{first}: {weights[first] - 10}", 1), encoding="utf-8"
    )
    result = cli("check", "--root", str(project), "--env", "prod", "--crd-dir", str(crd_dir))
    assert result.code == 2
    assert "environments/prod.yaml:" in result.err
    assert "Traceback" not in result.err


def test_junit_has_one_case_per_check(cli, project: Path, crd_dir: Path) -> None:
    result = check(cli, project, crd_dir, "--output", "junit")
    suite = ET.fromstring(result.out)
    cases = suite.findall(".//testcase")
    names = {(c.get("classname"), c.get("name")) for c in cases}
    assert ("dev/main", "render") in names
    assert ("dev/main/policy", "restrict-images") in names
    assert ("dev/*", "dns-weights") in names
    assert int(suite.get("failures", "0")) == len([c for c in cases if c.find("failure") is not None])


def test_sarif_links_the_environment_line(cli, project: Path, crd_dir: Path) -> None:
    edit(
        project / "environments" / "_defaults.yaml",
        "env: {LOG_LEVEL: info}",
        "env: {LOG_LEVEL: info, API_TOKEN: abc}",
    )
    assert cli("render", "--root", str(project), "--env", "dev", "-q").code == 0
    doc = json.loads(check(cli, project, crd_dir, "--output", "sarif").out)
    assert doc["version"] == "2.1.0"
    results = doc["runs"][0]["results"]
    (hit,) = [r for r in results if r["ruleId"] == "disallow-plaintext-secrets/no-credentials-in-env"]
    related = hit["relatedLocations"][0]["physicalLocation"]
    assert related["artifactLocation"]["uri"] == "environments/_defaults.yaml"
    assert related["region"]["startLine"] > 1


def test_missing_crd_dir_is_a_user_error(cli, project: Path, tmp_path: Path) -> None:
    result = cli("check", "--root", str(project), "--crd-dir", str(tmp_path / "nope"))
    assert result.code == 2
    assert "CRD directory" in result.err


def test_unknown_environment_is_a_user_error(cli, project: Path, crd_dir: Path) -> None:
    result = cli("check", "--root", str(project), "--env", "qa", "--crd-dir", str(crd_dir))
    assert result.code == 2
    assert "unknown environment 'qa'" in result.err


def test_schema_stage_uses_each_environments_eks_version(
    monkeypatch: pytest.MonkeyPatch, crd_dir: Path
) -> None:
    """Built-in kinds are validated against the schemas of the EKS version the environment declares."""
    from generator.gate.check import _engine
    from generator.pipeline import Project, check
    from generator.schema import Engine

    seen: list[str | None] = []
    real_init = Engine.__init__

    def spy(self, options):  # type: ignore[no-untyped-def]
        seen.append(options.kubernetes_version)
        real_init(self, options)

    monkeypatch.setattr(Engine, "__init__", spy)
    _engine.cache_clear()  # engines live for the process: an earlier test may have built this one
    check(
        Project(Path(__file__).resolve().parents[2]),
        ["dev"],
        crd_dirs=[str(crd_dir)],
    )
    assert seen == ["1.33"]


def test_a_misspelt_operator_value_fails_at_its_line(
    cli, project: Path, crd_dir: Path, charts_dir: Path
) -> None:
    line = edit(project / "environments" / "_defaults.yaml", "clusterName: ", "clustername: ")
    assert cli("render", "--root", str(project), "--env", "dev", "-q").code == 0
    result = check(cli, project, crd_dir, "--charts-dir", str(charts_dir), "--output", "json")
    assert result.code == 1
    found = [f for f in json.loads(result.out)["findings"] if f["rule"] == "chart-values"]
    misspelt = [
        f for f in found if "'settings.clustername' is not a value of chart karpenter" in f["message"]
    ]
    assert len(misspelt) == 1, found
    assert misspelt[0]["source"] == f"environments/_defaults.yaml:{line}"
    assert any("settings.clusterName is not set" in f["message"] for f in found)


def test_missing_charts_dir_is_a_user_error(cli, project: Path, crd_dir: Path, tmp_path: Path) -> None:
    result = check(cli, project, crd_dir, "--charts-dir", str(tmp_path / "nope"))
    assert result.code == 2
    assert "charts directory" in result.err
