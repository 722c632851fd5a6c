"""A release and a new environment keep the suite green (issue 10, point 6).

In a temporary copy of the project: drive the shipped ``prod`` through ``gitops-gen release`` to a
freshly finished release (``release finish``), copy ``staging.yaml`` to a new environment, render,
then run the tests that read the shipped environments against the copy.

Why a bounded selection in a subprocess rather than the whole suite: the whole suite would run
inside itself (minutes, and recursion); the modules in ``SHIPPED_DATA_TESTS`` are the ones whose
outcome depends on the shipped environments' values: the ones that broke when values were
hard-coded. ``test_every_module_reading_shipped_data_is_selected_or_excused`` keeps that list
honest: a new module that reads the shipped project must join it or say here why it need not.
It runs on one core with ``-x``; the slowest data-independent tests are deselected by name.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import yaml

from tests.conftest import ROOT, CliResult

#: Test modules whose outcome depends on the shipped environments' values.
SHIPPED_DATA_TESTS = (
    "tests/test_plan.py",
    "tests/test_render.py",
    "tests/test_render_shares.py",
    "tests/test_write_incremental.py",
    "tests/test_template_cache.py",
    "tests/test_env_errors.py",
    "tests/test_secret_scan.py",
    "tests/test_golden.py",
    "tests/test_rendered_valid.py",
    "tests/test_release_cmd.py::test_shift_prod_changes_only_weight_lines_and_dns_endpoints",
    "tests/suite/test_check_gate.py",
    "tests/test_graph.py::test_docs_show_prods_graph_as_rendered_today",
    "tests/test_layering.py",
    "tests/test_tier.py",
    "tests/test_defaults.py",
    "tests/test_explain.py",
)
#: Modules that read the shipped project but need not run again after a release, and why.
EXCUSED = {
    "tests/conftest.py": "fixtures only",
    "tests/test_env_fuzz.py": "shipped environments are only the base it mutates; asserts properties, never values",
    "tests/test_survives_release.py": "this module (it would recurse)",
    "tests/test_cli.py": "start-up and entry-point behaviour; reads no release values",
    "tests/test_docs.py": "documentation links and the schema reference",
    "tests/test_release_state.py": "fixture environments under tests/; only the single-topology case copies shipped",
    "tests/schema/test_rendered.py": "strict schema of rendered/: covered by the gate's schema scopes",
    "tests/schema/test_declared_version.py": "reads eks.version only",
    "tests/suite/test_check_tree.py": "check_tree serial == parallel: independent of values",
    "tests/suite/test_check_parallel.py": "check serial == parallel: independent of values",
    "tests/suite/test_check_stream.py": "check per environment == whole fleet: independent of values",
    "tests/policy/test_apply_stream.py": "policy apply streamed == whole set: independent of values",
    "tests/test_dump_fast.py": "fast dump == PyYAML dump byte for byte: independent of values",
    "tests/suite/test_checkov.py": "checkov is slow; its skips live in templates, not data",
    "tests/test_release_cmd.py": "fixture environments under tests/, but for the prod shift (selected)",
    "tests/suite/test_check_command.py": "checks dev only, with values read from its file",
    "tests/suite/test_check_breaks.py": "breaks rendered manifests in memory; asserts rules, not values",
    "tests/test_request_path_doc.py": "the README diagram names services, queues and hops, no release values",
    "tests/suite/test_chart_values.py": "operator values against the charts: a release changes none of them",
    "tests/test_pytest_plugin.py": "compares the plugin with api.check on the same copy; asserts no values",
    "tests/test_yaml_fast.py": "fast and PyYAML parsers agree on whatever the files hold; asserts no values",
    "tests/test_reread.py": "whatever objects the environments render read back equal: asserts no values",
    "tests/test_stamps.py": "which environments re-render after an edit; names them from the directory",
    "tests/test_semantics.py": "breaks whichever single environment and services exist; asserts rules, not values",
    "tests/test_secret_refs.py": "secrets on whichever single environment and services exist; asserts rules only",
    "tests/suite/test_check_team_policies.py": "a team policy over whichever single environment exists; rules only",
    "tests/test_extra_manifests.py": "extra objects beside whichever environments exist; asserts rules only",
    "tests/test_extra_metadata.py": "labels on whichever single environment and services exist; asserts rules only",
    "tests/test_name_lengths.py": "renames whichever first service, queue and pool exist; lengths from the schema",
}
#: Data-independent and slow (subprocess renders): not re-run in the copy.
DESELECT = "not deterministic_across_runs and not parallel and not worker_process"
READS_SHIPPED = re.compile(
    r'SHIPPED_ENVS|shipped_data|envs_of_topology|Project\(ROOT\)|ROOT / "environments"|ROOT / "rendered"'
    r"|def project\("
)
COPY = (
    "environments",
    "templates",
    "policies",
    "rendered",
    "tests",
    "generator",
    "pyproject.toml",
    "README.md",
    "docs",
)


def test_every_module_reading_shipped_data_is_selected_or_excused() -> None:
    readers = {
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "tests").rglob("*.py")
        if READS_SHIPPED.search(p.read_text(encoding="utf-8"))
    }
    selected = {m.split("::")[0] for m in SHIPPED_DATA_TESTS}
    unlisted = sorted(readers - selected - set(EXCUSED))
    assert not unlisted, f"add to SHIPPED_DATA_TESTS or EXCUSED (with a reason): {unlisted}"
    assert all((ROOT / m).is_file() for m in selected | set(EXCUSED))


def _finish_a_release(cli: Callable[..., CliResult], root: Path, env: str) -> list[str]:
    """Move ``env`` to a freshly finished release from whatever state it is in; the steps taken."""

    def release(*argv: str) -> None:
        result = cli("release", argv[0], env, "--root", str(root), *argv[1:])
        assert result.code == 0, f"release {' '.join(argv)}: {result.err}"
        taken.append(argv[0])

    taken: list[str] = []
    phase = json.loads(cli("release", "status", env, "--root", str(root), "-o", "json").out)["phase"]
    if phase in ("live", "rolledBack"):
        data = yaml.safe_load((root / "environments" / f"{env}.yaml").read_text(encoding="utf-8"))
        digests = [f"--digest={s['name']}=sha256:{'5' * 64}" for s in data["services"]]
        release("start", "--version", "9999.1.0", *digests)
        phase = "beta"
    if phase == "beta":
        release("approve", "--by", "survival-test")
    release("finish")
    return taken


def test_suite_passes_after_a_release_and_a_new_environment(
    tmp_path: Path, cli: Callable[..., CliResult]
) -> None:
    root = tmp_path / "copy"
    for name in COPY:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, root / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(src, root / name)
    steps = _finish_a_release(cli, root, "prod")
    assert steps[-1] == "finish"
    envs = root / "environments"
    new = next(f"copy{i}" for i in range(100) if not (envs / f"copy{i}.yaml").exists())
    # A new environment runs on its own clusters: the hub registers each API server once.
    text = (envs / "staging.yaml").read_text(encoding="utf-8")
    (envs / f"{new}.yaml").write_text(
        re.sub(r"server: https://", f"server: https://{new}-", text), encoding="utf-8"
    )
    # what `make render` runs
    assert cli("render", "--root", str(root), "-q").code == 0
    assert (
        cli("graph", "prod", "--root", str(root), "--embed", str(root / "docs" / "request-path.md")).code == 0
    )
    assert (root / "rendered" / new).is_dir()

    env = dict(os.environ)
    for var, default in (
        ("GITOPS_GEN_CRDS", "crds"),
        ("GITOPS_GEN_CONFORMANCE", "kyverno-conformance"),
        ("GITOPS_GEN_CHARTS", "charts"),
    ):
        env[var] = str(Path(os.environ.get(var) or ROOT.parent / "shared" / default).resolve())
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-x",
            "-n",
            "0",
            "-p",
            "no:cacheprovider",
            "-k",
            DESELECT,
            *SHIPPED_DATA_TESTS,
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-30:])
    assert proc.returncode == 0, tail
    assert re.search(r"\d+ passed", proc.stdout), tail
