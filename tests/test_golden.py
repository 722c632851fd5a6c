"""Golden files: rendered output compared byte for byte.

* Shipped environments: ``rendered/<env>/`` as committed must equal a fresh render (``make render``
  regenerates it; review the diff in the commit).
* Small fixture environments under ``tests/golden/<case>/``: ``expected/`` is regenerated only by
  ``make golden`` (``pytest --update-golden``); review the diff before committing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generator.pipeline import Project, render_environments
from generator.write import plan_files
from tests.conftest import ROOT, SHIPPED_ENVS, tree_bytes

CASES = sorted(p.name for p in (ROOT / "tests" / "golden").iterdir() if p.is_dir())


@pytest.mark.parametrize("env", SHIPPED_ENVS)
def test_shipped_environment_matches_committed_rendered(env: str) -> None:
    expected = {f"{env}/{k}": v for k, v in tree_bytes(ROOT / "rendered" / env).items()}
    actual = {k: v.encode() for k, v in plan_files(render_environments(Project(ROOT), [env])).items()}
    assert sorted(actual) == sorted(expected), "run `make render` and review the diff"
    for path, text in actual.items():
        assert text == expected[path], f"{path} is stale: run `make render` and review the diff"


@pytest.mark.parametrize("case", CASES)
def test_fixture_environment_matches_golden(
    case: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    case_dir = ROOT / "tests" / "golden" / case
    root = tmp_path / case
    shutil.copytree(case_dir / "environments", root / "environments")
    shutil.copytree(ROOT / "templates", root / "templates")
    (root / "policies").mkdir()
    actual = {k: v.encode() for k, v in plan_files(render_environments(Project(root))).items()}
    expected_dir = case_dir / "expected"
    if request.config.getoption("--update-golden"):
        shutil.rmtree(expected_dir, ignore_errors=True)
        for rel, data in actual.items():
            (expected_dir / rel).parent.mkdir(parents=True, exist_ok=True)
            (expected_dir / rel).write_bytes(data)
    assert expected_dir.is_dir(), f"no golden output for {case}: run `make golden` and review it"
    assert actual == tree_bytes(expected_dir), (
        f"{case} differs from its golden output: if intended, `make golden`"
    )
