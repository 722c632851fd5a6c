"""``gitops-gen check --policies DIR``: a team's own Kyverno policies, evaluated but never deployed.

Each test renders a copy of the project (one single-topology environment) and checks it with a
team policy directory written beside it.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import ROOT, SHIPPED_ENVS, CliResult, add_layer, shipped_data, tree_bytes

pytestmark = pytest.mark.needs_shared
SINGLE = next(n for n in SHIPPED_ENVS if shipped_data(n)["topology"]["type"] == "single")
Cli = Callable[..., CliResult]

OWNER_POLICY = """
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: team-require-owner
spec:
  validationFailureAction: Enforce
  rules:
    - name: owner-label
      match:
        any:
          - resources:
              kinds: [Rollout]
      validate:
        message: "every Rollout names its owning team (label example.com/owner)"
        pattern:
          metadata:
            labels:
              example.com/owner: "?*"
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    for name in ("environments", "templates", "policies"):
        shutil.copytree(ROOT / name, root / name)
    return root


def _team_dir(tmp_path: Path, text: str = OWNER_POLICY, name: str = "owner.yaml") -> Path:
    d = tmp_path / "team-policies"
    (d / "nested").mkdir(parents=True, exist_ok=True)
    (d / "nested" / name).write_text(textwrap.dedent(text).lstrip())
    (d / "README.md").write_text("not YAML: ignored\n")
    return d


def _check(cli: Cli, project: Path, crd_dir: Path, *args: str) -> CliResult:
    assert cli("render", "--root", str(project), "--env", SINGLE, "-q").code == 0
    charts = crd_dir.parent / "charts"
    argv = ["--root", str(project), "--env", SINGLE, "--crd-dir", str(crd_dir), "--charts-dir", str(charts)]
    result = cli("check", *argv, "-o", "json", *args)
    if result.code != 2:
        assert "findings" in json.loads(result.out)
    return result


def _rules(result: CliResult) -> set[str]:
    return {f["rule"] for f in json.loads(result.out)["findings"] if f["severity"] == "error"}


def test_a_team_policy_that_fails_a_rendered_resource_is_a_finding(
    cli: Cli, project: Path, crd_dir: Path, tmp_path: Path
) -> None:
    team = _team_dir(tmp_path)
    without = _check(cli, project, crd_dir)
    assert without.code in {0, 1}, without.err
    assert not any(r.startswith("team-require-owner") for r in _rules(without))
    before = tree_bytes(project)
    result = _check(cli, project, crd_dir, "--policies", str(team))
    assert result.code == 1, result.err
    found = [f for f in json.loads(result.out)["findings"] if f["rule"].startswith("team-require-owner/")]
    assert found
    assert all(f["file"].startswith(f"rendered/{SINGLE}/") and f["kind"] == "Rollout" for f in found), found
    assert "example.com/owner" in found[0]["message"]
    assert tree_bytes(project) == before  # check writes nothing: the policy is not rendered
    assert not any("team-require-owner" in p for p in before)


def test_the_team_policy_passes_once_the_environment_labels_its_objects(
    cli: Cli, project: Path, crd_dir: Path, tmp_path: Path
) -> None:
    """The labels hatch and the policies hatch together: the finding goes away, nothing else changes."""
    team = _team_dir(tmp_path)
    add_layer(project, SINGLE, "labels: {example.com/owner: docs-team}\n")
    result = _check(cli, project, crd_dir, "--policies", str(team))
    assert not any(r.startswith("team-require-owner") for r in _rules(result)), result.out


def test_flag_absent_leaves_check_unchanged(cli: Cli, project: Path, crd_dir: Path, tmp_path: Path) -> None:
    passing = _team_dir(tmp_path, OWNER_POLICY.replace("kinds: [Rollout]", "kinds: [CronJob]"))
    plain = _check(cli, project, crd_dir)
    with_flag = _check(cli, project, crd_dir, "--policies", str(passing))
    assert plain.code == with_flag.code
    assert json.loads(plain.out)["findings"] == json.loads(with_flag.out)["findings"]


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing", "does not exist"),
        ("empty", "holds no Kyverno ClusterPolicy or Policy"),
        ("clash", "is named like another one checked beside it"),
        ("malformed", ""),
    ],
)
def test_unusable_policy_directories_are_user_errors(
    cli: Cli, project: Path, crd_dir: Path, tmp_path: Path, setup: str, message: str
) -> None:
    if setup == "missing":
        team = tmp_path / "nowhere"
    elif setup == "empty":
        team = tmp_path / "empty"
        team.mkdir()
        (team / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    elif setup == "clash":
        shipped = sorted(p.parent.name for p in (ROOT / "policies").glob("*/policy.yaml"))[0]
        team = _team_dir(tmp_path, OWNER_POLICY.replace("team-require-owner", shipped))
    else:
        team = _team_dir(tmp_path, OWNER_POLICY.replace("rules:", "rules: 42\n  notRules:"))
    result = _check(cli, project, crd_dir, "--policies", str(team))
    assert result.code == 2, (result.out, result.err)
    assert "Traceback" not in result.err
    assert message in result.err
    assert str(team.name) in result.err or setup == "clash"


def test_several_directories_are_all_evaluated(
    cli: Cli, project: Path, crd_dir: Path, tmp_path: Path
) -> None:
    one = _team_dir(tmp_path / "a")
    two = _team_dir(tmp_path / "b", OWNER_POLICY.replace("team-require-owner", "team-require-owner-too"))
    rules = _rules(_check(cli, project, crd_dir, "--policies", str(one), "--policies", str(two)))
    assert any(r.startswith("team-require-owner/") for r in rules)
    assert any(r.startswith("team-require-owner-too/") for r in rules)
