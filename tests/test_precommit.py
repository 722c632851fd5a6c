"""pre-commit: the published hooks (.pre-commit-hooks.yaml) and this repository's own config run as written."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _hooks(path: Path) -> list[dict[str, Any]]:
    data = yaml.safe_load(path.read_text())
    return data if isinstance(data, list) else [h for repo in data["repos"] for h in repo["hooks"]]


PUBLISHED = {h["id"]: h for h in _hooks(ROOT / ".pre-commit-hooks.yaml")}
OWN = {h["id"]: h for h in _hooks(ROOT / ".pre-commit-config.yaml")}


def _run_entry(entry: str, cwd: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """Run a hook entry as pre-commit would (its venv's scripts on PATH, no file names appended)."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(
        [*shlex.split(entry), *extra], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    """A copy of the repository's inputs and rendered/ (a hook must be judged on a tree it may not touch)."""
    root = tmp_path / "repo"
    for name in ("environments", "templates", "policies", "rendered"):
        shutil.copytree(ROOT / name, root / name)
    return root


def test_published_hooks_are_well_formed() -> None:
    assert {"gitops-gen-render-check", "gitops-gen-check"} <= set(PUBLISHED)
    for hook in PUBLISHED.values():
        assert {"id", "name", "entry", "language"} <= set(hook)
        assert hook["language"] == "python", "installable from this repository's pyproject"
        assert hook["pass_filenames"] is False, "any input can make any rendered file stale"
        assert shlex.split(hook["entry"])[0] == "gitops-gen"


def _stale(root: Path) -> Path:
    victim = sorted((root / "rendered").rglob("*.yaml"))[0]
    victim.write_text(victim.read_text() + "# hand edit\n")
    return victim


def test_render_check_hook_passes_on_a_fresh_tree_and_fails_on_a_stale_one(repo_copy: Path) -> None:
    entry = PUBLISHED["gitops-gen-render-check"]["entry"]
    fresh = _run_entry(entry, repo_copy)
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    victim = _stale(repo_copy)
    stale = _run_entry(entry, repo_copy)
    assert stale.returncode == 1
    assert str(victim.relative_to(repo_copy)).removeprefix("rendered/") in stale.stdout
    assert "make render" in stale.stderr


def test_check_hook_runs_the_gate(repo_copy: Path, crd_dir: Path, charts_dir: Path) -> None:
    entry = PUBLISHED["gitops-gen-check"]["entry"]
    _stale(repo_copy)
    result = _run_entry(entry, repo_copy, "--crd-dir", str(crd_dir), "--charts-dir", str(charts_dir))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "gitops-gen check:" in result.stdout


def test_own_config_uses_the_pinned_venv_and_its_entries_run() -> None:
    assert {"ruff", "ruff-format", "mypy", "gitops-gen-render-check"} <= set(OWN)
    for hook in OWN.values():
        assert hook["language"] == "system"
        assert shlex.split(hook["entry"])[0].startswith(".venv/bin/"), "pinned versions, no network"
    # ruff on one file (mypy is `make lint`'s job; here only its executable must exist)
    ruff = _run_entry(OWN["ruff"]["entry"].replace(".venv/bin/", f"{BIN}/"), ROOT, "generator/cli.py")
    assert ruff.returncode == 0, ruff.stdout
    assert (BIN / "mypy").exists()


def test_own_render_check_hook(repo_copy: Path) -> None:
    entry = OWN["gitops-gen-render-check"]["entry"].replace(".venv/bin/", f"{BIN}/")
    assert _run_entry(entry, repo_copy).returncode == 0
    _stale(repo_copy)
    assert _run_entry(entry, repo_copy).returncode == 1
