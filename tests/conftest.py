"""Shared fixtures: the ../shared data (skip with a reason, or fail under CI), a CLI runner, build_tree."""

from __future__ import annotations

import io
import os
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from generator.cli import run

ROOT = Path(__file__).resolve().parent.parent

#: Every property test (environment, YAML, policy engine, validator fuzzing) draws the same examples
#: on every ``make test`` run, so CI is deterministic and a red run reproduces; ``make fuzz`` sets
#: ``GITOPS_GEN_FUZZ_EXAMPLES`` and explores new random examples (and more of them).
FUZZING = "GITOPS_GEN_FUZZ_EXAMPLES" in os.environ
settings.register_profile("make-test", derandomize=True, database=None)
settings.register_profile("make-fuzz", derandomize=False)
settings.load_profile("make-fuzz" if FUZZING else "make-test")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/golden/*/expected from the current renderer (review the diff!)",
    )


#: Tests that ``make test-fast`` leaves out (``-m "not slow"``), each with why it is slow. The figures
#: are seconds on 2 shared cores (``pytest --durations``); ``make test`` (CI) runs everything.
SLOW: Mapping[str, str] = {
    "tests/test_survives_release.py": "runs the whole suite again in a copy after a release (~130 s)",
    "tests/test_pytest_plugin.py": "pytester runs of another repository's suite (10-30 s each)",
    "tests/test_precommit.py": "pre-commit hooks as subprocesses (7-11 s each)",
    "tests/test_bench_commands.py": "times whole CLI processes (~28 s)",
    "tests/test_bench_peers.py::test_main_runs_every_peer_and_writes_the_table": (
        "the peer harness end to end with stand-in peers: renders and validates a fleet as processes (~15-28 s)"
    ),
    "tests/test_env_fuzz.py": "hypothesis renders generated environments (10-30 s)",
    "tests/policy/test_fuzz.py": "hypothesis over the policy engine (~11 s)",
    "tests/suite/test_checkov.py": "runs checkov in its own virtualenv (~22 s; needs .venv-checkov)",
    "tests/cel/test_cel_corpus.py": "compiles every CEL rule of every shipped CRD (~15 s)",
    "tests/schema/test_all_crds.py": "compiles every CRD's CEL rules for each Kubernetes version (~15 s)",
    "tests/test_docs.py::test_quick_start_works_verbatim_in_a_copy": "make render and make test in a copy (~31 s)",
    "tests/test_write_hardening.py::test_sigkill_at_random_points_leaves_old_or_new": "kills renders (~22 s)",
    "tests/test_write_hardening.py::test_two_renders_at_once_lose_no_update": "concurrent renders (~9 s)",
    "tests/test_write_hardening.py::test_sigkill_while_writing_ahead_leaves_nothing_or_everything": (
        "kills from-scratch renders (~3-6 s)"
    ),
    "tests/test_render.py::test_render_is_deterministic_across_runs_and_hash_seeds": "subprocess renders (~13 s)",
    "tests/test_rendered_valid.py": "every shipped environment against the CRDs and Kubernetes schemas (5-25 s)",
    "tests/test_write.py::test_render_check_cli_lists_drift_and_exits_1": "renders every environment twice (~16 s)",
    "tests/suite/test_check_parallel.py::test_shipped_environments_serial_and_parallel_agree": "gate twice (~9 s)",
    "tests/schema/test_rendered.py::test_rendered_tree_is_valid_under_strict": "validates rendered/ (~8 s)",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the tests listed in ``SLOW`` (by module or by test) ``slow``."""
    for item in items:
        module = item.nodeid.split("::", 1)[0]
        test = item.nodeid.split("[", 1)[0]
        if module in SLOW or test in SLOW:
            item.add_marker(pytest.mark.slow)


def shared_path(env_var: str, default: str) -> Path:
    """A directory of ../shared, or skip (fail under CI) with a visible reason."""
    path = Path(os.environ.get(env_var) or ROOT.parent / "shared" / default).resolve()
    if not path.is_dir():
        reason = f"{path} not found (set {env_var} or put shared/ beside the project)"
        if os.environ.get("CI"):
            pytest.fail(f"CI is set and {reason}")
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def crd_dir() -> Path:
    return shared_path("GITOPS_GEN_CRDS", "crds")


@pytest.fixture(scope="session")
def charts_dir() -> Path:
    return shared_path("GITOPS_GEN_CHARTS", "charts")


@pytest.fixture(scope="session")
def conformance_dir() -> Path:
    return shared_path("GITOPS_GEN_CONFORMANCE", "kyverno-conformance")


@pytest.fixture(scope="session")
def conformance_v2_dir() -> Path:
    return shared_path("GITOPS_GEN_CONFORMANCE_V2", "kyverno-conformance-v2")


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def cli() -> Callable[..., CliResult]:
    """Run ``gitops-gen`` in-process with captured streams."""

    def _run(*argv: str) -> CliResult:
        out, err = io.StringIO(), io.StringIO()
        code = run(list(argv), out, err)
        return CliResult(code, out.getvalue(), err.getvalue())

    return _run


def build_tree(root: Path, files: Mapping[str, str]) -> Path:
    """Write ``{relative path: dedented text}`` under ``root``; returns ``root``."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


@pytest.fixture
def tree(tmp_path: Path) -> Callable[[Mapping[str, str]], Path]:
    return lambda files: build_tree(tmp_path, files)


def fail_nth_write(monkeypatch: pytest.MonkeyPatch, n: int) -> None:
    """Make the writer's ``n``-th file write raise ``OSError("disk full (injected)")``."""
    from generator import write

    calls = {"n": 0}
    real = write._write_file

    def failing(path: str | Path, text: str) -> None:
        calls["n"] += 1
        if calls["n"] == n:
            raise OSError("disk full (injected)")
        real(path, text)

    monkeypatch.setattr(write, "_write_file", failing)


def tree_bytes(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` with its bytes (to prove a tree unchanged)."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def fixture_project(root: Path, environments: Path) -> Path:
    """A project at ``root`` with the fixture ``environments`` (a dir under tests/), the shipped
    templates and no policies: the inputs of the release, diff and graph tests."""
    import shutil

    shutil.copytree(environments, root / "environments")
    shutil.copytree(ROOT / "templates", root / "templates")
    (root / "policies").mkdir()
    return root


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A private copy of the project's inputs (environments, templates, policies) to render into."""
    import shutil

    root = tmp_path / "project"
    for name in ("environments", "templates", "policies"):
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, root / name)
        else:
            (root / name).mkdir(parents=True)
    return root


def _shipped() -> tuple[str, ...]:
    from generator.load import list_environments

    return tuple(list_environments(ROOT / "environments"))


SHIPPED_ENVS = _shipped()
"""The environments shipped in ``environments/``, read from the directory: never a hard-coded list."""


def shipped_data(name: str) -> Mapping[str, Any]:
    """The merged, schema-valid data of a shipped environment (the values tests must take, not copy)."""
    from generator.load import load_environment

    return load_environment(ROOT / "environments", name).data


def envs_of_topology(kind: str) -> tuple[str, ...]:
    """Shipped environments of topology ``kind`` (``single``/``dual``), as the files say today."""
    return tuple(n for n in SHIPPED_ENVS if shipped_data(n)["topology"]["type"] == kind)


def cluster_names(data: Mapping[str, Any]) -> tuple[str, ...]:
    """The clusters an environment's data declares, sorted."""
    return tuple(sorted(data["topology"]["clusters"]))


def cluster_versions(data: Mapping[str, Any]) -> dict[str, str]:
    """Which version each cluster of an environment runs, from its release state."""
    release = data["release"]
    names = cluster_names(data)
    if data["topology"]["type"] == "single":
        return {names[0]: release["version"]}
    return {n: release["versions"][n] for n in names}


def cluster_weights(data: Mapping[str, Any]) -> dict[str, int]:
    """The Route 53 weight of each cluster (100 for a single cluster)."""
    names = cluster_names(data)
    if data["topology"]["type"] == "single":
        return {names[0]: 100}
    return {n: int(data["topology"]["weights"][n]) for n in names}


def add_layer(project: Path, env: str, text: str) -> Path:
    """``text`` (top-level keys) in a layer ``environments/_extra.yaml`` that ``env`` now extends.

    ``env`` must extend nothing yet (its parent is ``_defaults``), so the layer sits between them.
    """
    import re

    extra = project / "environments" / "_extra.yaml"
    extra.write_text(text)
    path = project / "environments" / f"{env}.yaml"
    assert not re.search(r"(?m)^extends:", path.read_text())
    path.write_text("extends: _extra\n" + path.read_text())
    return extra


def render_refused(cli: Callable[..., CliResult], project: Path, env: str) -> str:
    """Render ``env`` expecting a user error: exit 2, no traceback, nothing written; its message."""
    result = cli("render", "--root", str(project), "--env", env)
    assert result.code == 2, result.err
    assert "Traceback" not in result.err
    assert not (project / "rendered").exists()
    return result.err
