"""Smoke test of the command benchmark harness (``make bench``) at a tiny size: figures, not timings.

It checks that the harness runs a real command as a process, pairs it with its baseline, edits the
fleet for the incremental case and reports wall, CPU and peak RSS; it asserts nothing about speed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from generator.bench.commands import HEADER, measure, run_sizes, update_doc

ROOT = Path(__file__).resolve().parents[1]


def test_measure_reports_a_child_processes_usage(tmp_path: Path) -> None:
    sample = measure([sys.executable, "-c", "x = bytearray(50 * 2**20); print(len(x))"], tmp_path)
    assert sample.code == 0
    assert sample.wall > 0
    assert sample.cpu > 0
    assert sample.rss_mib >= 50


def test_incremental_case_at_a_tiny_size(tmp_path: Path) -> None:
    rows: list[str] = []
    table = run_sizes(ROOT, tmp_path, [1], 1, None, only=["after editing one service"], emit=rows.append)
    assert rows[0] == HEADER
    (row,) = rows[1:]
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[0] == "1"
    assert cells[2] == "`render after editing one service`"
    assert cells[6].startswith("render from scratch: ")
    assert float(cells[7].strip("*").split()[0]) > 0
    assert "LOG_LEVEL: debug" in (tmp_path / "s1" / "environments" / "bench-a.yaml").read_text()
    doc = tmp_path / "bench.md"
    doc.write_text("# b\n<!-- bench:commands:start -->\nold\n<!-- bench:commands:end -->\ntail\n")
    update_doc(doc, table, "make bench")
    text = doc.read_text()
    assert "old" not in text
    assert row in text
    assert text.endswith("<!-- bench:commands:end -->\ntail\n")


def test_check_case_is_given_the_charts_directory(tmp_path: Path) -> None:
    """`check` refuses to run without pinned charts: the harness passes them as `make check` does."""
    from generator.bench.commands import _cases

    (check,) = [c for c in _cases(tmp_path, tmp_path / "crds", tmp_path / "charts") if c.name == "check"]
    at = check.argv.index("--charts-dir")
    assert check.argv[at + 1] == str(tmp_path / "charts")
    assert check.argv[check.argv.index("--crd-dir") + 1] == str(tmp_path / "crds")


def test_from_scratch_sets_the_old_tree_aside_until_the_case_is_done(tmp_path: Path) -> None:
    """The timed render starts without rendered/, and nothing is deleted right before it is timed."""
    from generator.bench import commands

    seen: list[tuple[bool, bool]] = []
    real = commands.measure

    def spy(argv: list[str], cwd: Path) -> commands.Sample:
        project = tmp_path / "s1"
        if "render" in argv and "--check" not in argv:
            trash = project / commands.TRASH
            seen.append(((project / "rendered").exists(), trash.is_dir() and any(trash.iterdir())))
        return real(argv, cwd)

    commands.measure = spy  # type: ignore[assignment]
    try:
        run_sizes(ROOT, tmp_path, [1], 2, None, only=["render (from scratch)"], emit=lambda _row: None)
    finally:
        commands.measure = real  # type: ignore[assignment]
    # the first render builds the fleet's tree; each timed one starts with it set aside
    assert seen[0] == (False, False)
    assert (False, True) in seen[1:]
    assert not (tmp_path / "s1" / commands.TRASH).exists()
    assert (tmp_path / "s1" / "rendered").is_dir()


@pytest.mark.needs_shared
def test_the_fleet_passes_check(tmp_path: Path, crd_dir: Path, charts_dir: Path) -> None:
    """The benchmark times `check` on a tree that passes it (no finding shortcuts or adds work)."""
    from generator.bench.fleet import make_fleet_project

    project = make_fleet_project(ROOT, tmp_path / "fleet", 2)
    assert (
        measure([sys.executable, "-m", "generator", "render", "--root", str(project), "-q"], ROOT).code == 0
    )
    argv = ["check", "--root", str(project), "--crd-dir", str(crd_dir), "--charts-dir", str(charts_dir), "-q"]
    assert measure([sys.executable, "-m", "generator", *argv], ROOT).code == 0


def test_the_package_is_measured_byte_compiled() -> None:
    """Commands are timed as an installed tool runs: its modules compiled, whatever the environment says."""
    import importlib.util

    from generator.bench.commands import compile_package

    source = ROOT / "generator" / "pipeline.py"
    cached = Path(importlib.util.cache_from_source(str(source)))
    cached.unlink(missing_ok=True)
    compile_package()
    assert cached.is_file()
    assert cached.stat().st_mtime >= source.stat().st_mtime
