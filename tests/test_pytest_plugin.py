"""The pytest plugin, run by pytester in a repository laid out for gitops-gen (a copy of this one).

Subprocess runs, and the engines imported here first: pytester restores ``sys.modules`` after each
test, and the Rust-backed extensions (pyo3) cannot be initialised twice in one interpreter.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

import generator.policy
import generator.schema  # noqa: F401 - imported before pytester snapshots sys.modules (see above)
from generator import api
from tests.conftest import ROOT

ENV = "dev"


@pytest.fixture
def repo(pytester: pytest.Pytester, crd_dir: Path, charts_dir: Path) -> pytest.Pytester:
    """One environment of this repository, with its rendered tree, as another repository would hold it."""
    root = pytester.path
    (root / "environments").mkdir()
    for name in (f"{ENV}.yaml", "_defaults.yaml"):
        shutil.copy(ROOT / "environments" / name, root / "environments" / name)
    shutil.copytree(ROOT / "templates", root / "templates")
    shutil.copytree(ROOT / "policies", root / "policies")
    shutil.copytree(ROOT / "rendered" / ENV, root / "rendered" / ENV)
    pytester.makeini(
        f"[pytest]\ngitops_gen = true\ngitops_gen_crd_dirs = {crd_dir}\ngitops_gen_charts_dir = {charts_dir}\n"
    )
    return pytester


def _expected_ids(root: Path, crd_dir: Path, charts_dir: Path) -> set[str]:
    result = api.check(root=root, envs=[ENV], crd_dirs=[crd_dir], charts_dir=charts_dir)
    return {f"environments/{ENV}.yaml::{s.cluster}/{s.check}" for s in result.scopes}


def test_one_test_per_cluster_and_check(repo: pytest.Pytester, crd_dir: Path, charts_dir: Path) -> None:
    run = repo.runpytest_subprocess("environments", "-v", "-p", "no:cacheprovider")
    expected = _expected_ids(repo.path, crd_dir, charts_dir)
    assert any(i.endswith("/chart-values") for i in expected)
    assert any(i.endswith("/render") for i in expected)
    assert any("/policy/" in i for i in expected)
    assert any(i.endswith("/schema") for i in expected)
    outcomes = run.parseoutcomes()
    assert outcomes.get("passed", 0) + outcomes.get("failed", 0) == len(expected)
    collected = set(re.findall(r"^(environments/\S+::\S+) (?:PASSED|FAILED)", run.stdout.str(), re.MULTILINE))
    assert collected == expected


def test_a_stale_file_fails_the_render_test(repo: pytest.Pytester) -> None:
    victim = sorted((repo.path / "rendered").rglob("*.yaml"))[0]
    victim.write_text(victim.read_text() + "# edited\n")
    run = repo.runpytest_subprocess("environments", "-p", "no:cacheprovider", "-k", "render")
    assert run.parseoutcomes().get("failed") == 1  # the stale file's scope; the hub's passes
    assert "make render" in run.stdout.str()


def test_a_broken_environment_is_one_failing_test_with_every_error(repo: pytest.Pytester) -> None:
    env = repo.path / "environments" / f"{ENV}.yaml"
    text = env.read_text().replace("  routing: latency\n", "  routng: latency\n")
    env.write_text(re.sub(r"cpuLimit: \d+", "cpuLimit: lots", text, count=1))
    run = repo.runpytest_subprocess("environments", "-p", "no:cacheprovider")
    run.assert_outcomes(failed=1)
    out = run.stdout.str()
    assert f"environments/{ENV}.yaml::load" in out
    assert "unknown key 'routng'" in out
    assert "cpuLimit" in out


def test_inert_unless_enabled(repo: pytest.Pytester) -> None:
    repo.makeini("[pytest]\n")
    run = repo.runpytest_subprocess("environments", "-p", "no:cacheprovider")
    assert run.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    enabled = repo.runpytest_subprocess(
        "environments", "--gitops-gen", "-p", "no:cacheprovider", "-q", "--co"
    )
    assert f"environments/{ENV}.yaml::" in enabled.stdout.str()


def test_api_load_render_validate_check(crd_dir: Path) -> None:
    env = api.load(ENV, root=ROOT)
    assert env.name == ENV
    files = api.render(root=ROOT, envs=[ENV])
    assert files
    for path, text in files.items():
        assert (ROOT / "rendered" / path).read_text() == text
    assert not [
        f
        for f in api.validate([ROOT / "rendered" / ENV], crd_dirs=[crd_dir], strict=True)
        if f.severity == "error"
    ]
    result = api.check(root=ROOT, envs=[ENV], crd_dirs=[crd_dir])
    assert result.scopes
    assert all(s.env == ENV for s in result.scopes)


def test_a_misspelt_chart_value_fails_the_chart_values_test(repo: pytest.Pytester) -> None:
    defaults = repo.path / "environments" / "_defaults.yaml"
    text = defaults.read_text()
    assert "txtOwnerId:" in text
    defaults.write_text(text.replace("txtOwnerId:", "txtOwnerID:", 1))
    run = repo.runpytest_subprocess("environments", "-p", "no:cacheprovider", "-k", "chart-values")
    assert run.parseoutcomes().get("failed", 0) >= 1
    assert "chart-values" in run.stdout.str()
    assert "txtOwnerId" in run.stdout.str()  # the chart reads txtOwnerId: the misspelt key leaves it unset
