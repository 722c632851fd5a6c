"""Environment-file and usage errors under --output json|junit|sarif|github: findings like any other.

A pull request can only annotate what the tool prints on stdout in the chosen format; an error in
an environment file is the most common failure, so it must reach the same place as a finding:
file, line, column, rule, message, severity. Every error a file holds is reported in one run.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tests.conftest import CliResult


def _break(project: Path) -> tuple[Path, dict[str, int]]:
    """dev.yaml with two independent schema errors: an unknown key and a bad type."""
    env = project / "environments" / "dev.yaml"
    text = env.read_text()
    text = re.sub(r"\n  routing: latency\n", "\n  routng: latency\n", text, count=1)
    text = re.sub(r"\n(\s+)cpuLimit: \d+\n", r"\n\1cpuLimit: lots\n", text, count=1)
    env.write_text(text)
    lines = text.splitlines()

    def line_of(fragment: str) -> int:
        return next(i for i, line in enumerate(lines, 1) if fragment in line)

    return env, {"routng": line_of("routng:"), "cpuLimit": line_of("cpuLimit: lots")}


def test_every_schema_error_of_a_file_in_one_run(project: Path, cli: Callable[..., CliResult]) -> None:
    _, lines = _break(project)
    result = cli("render", "--root", str(project), "--output", "json")
    assert result.code == 2
    findings = json.loads(result.out)["findings"]
    by_line = {f["line"]: f for f in findings}
    assert {lines["routng"], lines["cpuLimit"]} <= set(by_line), findings
    assert by_line[lines["routng"]]["rule"] == "env-file"
    assert "unknown key 'routng'" in by_line[lines["routng"]]["message"]
    assert "did you mean 'routing'" in by_line[lines["routng"]]["message"]
    assert '"lots" is a string, expected integer' in by_line[lines["cpuLimit"]]["message"]
    for f in findings:
        assert f["file"] == "environments/dev.yaml"
        assert f["severity"] == "error"
        assert isinstance(f["column"], int)
    assert result.err.count("error: environments/dev.yaml:") == len(findings) >= 2


def test_every_bad_reference_in_one_run(project: Path, cli: Callable[..., CliResult]) -> None:
    """Every queue/service reference renamed to one that does not exist: each is reported."""
    envs = project / "environments"
    refs = 0
    for path in envs.glob("*.yaml"):
        text, n = re.subn(r"\b(consumes|publishes|calls): \[([a-z-]+)", r"\1: [\2-gone", path.read_text())
        path.write_text(text)
        refs += n
    assert refs >= 2, "the shipped services reference queues and services"
    result = cli("render", "--root", str(project), "--output", "json")
    assert result.code == 2
    findings = json.loads(result.out)["findings"]
    unknown = [f for f in findings if f["message"].startswith("unknown ")]
    assert len(unknown) >= 2, findings
    assert all(f["line"] and f["column"] and f["file"].startswith("environments/") for f in unknown)


@pytest.mark.parametrize("command", ["render", "check"])
def test_sarif_result_for_an_environment_error(
    project: Path, cli: Callable[..., CliResult], crd_dir: Path, command: str
) -> None:
    _, lines = _break(project)
    extra = ["--crd-dir", str(crd_dir)] if command == "check" else []
    result = cli(command, "--root", str(project), "--output", "sarif", *extra)
    assert result.code == 2
    run = json.loads(result.out)["runs"][0]
    assert run["tool"]["driver"]["version"] == version("gitops-gen")
    located = {
        r["locations"][0]["physicalLocation"]["region"]["startLine"]: r
        for r in run["results"]
        if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "environments/dev.yaml"
    }
    hit = located[lines["routng"]]
    assert hit["ruleId"] == "env-file"
    assert hit["level"] == "error"
    assert hit["locations"][0]["physicalLocation"]["region"]["startColumn"] == 3
    assert "unknown key 'routng'" in hit["message"]["text"]


def test_github_annotations_for_an_environment_error(project: Path, cli: Callable[..., CliResult]) -> None:
    _, lines = _break(project)
    result = cli("check", "--root", str(project), "--output", "github", "--crd-dir", str(project))
    assert result.code == 2
    assert f"::error file=environments/dev.yaml,line={lines['routng']},title=env-file::" in result.out


def test_junit_for_an_environment_error(project: Path, cli: Callable[..., CliResult]) -> None:
    _break(project)
    result = cli("check", "--root", str(project), "--output", "junit", "--crd-dir", str(project))
    assert result.code == 2
    failures = ElementTree.fromstring(result.out).findall(".//failure")
    assert failures
    assert any("environments/dev.yaml" in (f.text or "") for f in failures)


def test_render_check_drift_as_findings(project: Path, cli: Callable[..., CliResult]) -> None:
    assert cli("render", "--root", str(project)).code == 0
    victim = sorted((project / "rendered").rglob("*.yaml"))[0]
    victim.write_text("edited\n")
    result = cli("render", "--root", str(project), "--check", "--output", "sarif")
    assert result.code == 1
    (hit,) = json.loads(result.out)["runs"][0]["results"]
    assert hit["ruleId"] == "render-drift"
    uri = hit["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == str(victim.relative_to(project))


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "--output", "json", "--bogus"],
        ["check", "--output=json", "--env"],
        ["validate", "-o", "json"],
    ],
)
def test_usage_errors_are_findings_too(cli: Callable[..., CliResult], argv: list[str]) -> None:
    result = cli(*argv)
    assert result.code == 2
    (finding,) = json.loads(result.out)["findings"]
    assert finding["rule"] == "usage"
    assert finding["severity"] == "error"
    assert finding["message"]
    assert "usage:" in result.err


def test_text_output_keeps_stdout_empty_on_errors(project: Path, cli: Callable[..., CliResult]) -> None:
    _break(project)
    result = cli("render", "--root", str(project))
    assert result.code == 2
    assert result.out == ""


def test_render_json_on_success(project: Path, cli: Callable[..., CliResult]) -> None:
    first = json.loads(cli("render", "--root", str(project), "--output", "json").out)
    assert first["findings"] == []
    assert first["summary"]["create"] == len(first["changes"]) > 0
    assert {c["action"] for c in first["changes"]} == {"create"}
    again = cli("render", "--root", str(project), "--check", "--output", "json")
    assert again.code == 0
    doc = json.loads(again.out)
    assert doc["changes"] == []
    assert doc["summary"]["drift"] is False
    assert doc["summary"]["identical"] == first["summary"]["create"]
