"""Smoke test of the command benchmark harness (``make bench``) at a tiny size: figures, not timings.

It checks that the harness runs a real command as a process, pairs it with its baseline, edits the
fleet for the incremental case and reports wall, CPU and peak RSS; it asserts nothing about speed.
"""

from __future__ import annotations

import sys
from pathlib import Path

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
