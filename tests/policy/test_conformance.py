"""Upstream Kyverno CLI tests, read in place from ../shared/kyverno-conformance, drive these tests.

One parametrized test per case (id = the case folder). Every row must agree with upstream except
the rows of ``known_gaps.yaml``, which are reported as xfail with their reason; a known gap that
starts to agree fails the test so the list only shrinks. A last test asserts the agreement floor.
"""

from __future__ import annotations

import os
from functools import cache, lru_cache
from pathlib import Path

import pytest
import yaml

from generator.policy.kyverno_test import TestRow, find_test_files, run_test_file

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
FLOOR = 0.97
MIN_ROWS = 1641


def _corpus() -> Path:
    return Path(os.environ.get("GITOPS_GEN_CONFORMANCE") or ROOT.parent / "shared" / "kyverno-conformance")


def _case_files() -> list[Path]:
    cases = _corpus() / "cases"
    return find_test_files(cases) if cases.is_dir() else []


@lru_cache(maxsize=1)
def _gaps() -> tuple[dict[str, str], dict[str, str]]:
    data = yaml.safe_load((HERE / "known_gaps.yaml").read_text(encoding="utf-8"))
    return dict(data.get("rows") or {}), dict(data.get("reasons") or {})


@cache
def _rows(test_file: Path, cases: Path) -> tuple[TestRow, ...]:
    """Rows of one case, computed once per worker (the floor test reuses the per-case runs)."""
    return tuple(run_test_file(test_file, cases))


def row_key(row: TestRow) -> str:
    return f"{row.test_file}#{row.index}#{row.resource}"


CASES = _case_files()


def test_known_gaps_have_reasons() -> None:
    rows, reasons = _gaps()
    assert all(reason in reasons for reason in rows.values())


@pytest.mark.needs_shared
@pytest.mark.parametrize(
    "test_file",
    CASES or [None],
    ids=[p.parent.relative_to(_corpus() / "cases").parts[0] for p in CASES] or ["corpus"],
)
def test_case(conformance_dir: Path, test_file: Path | None) -> None:
    assert test_file is not None, "conformance corpus has no cases"
    cases = conformance_dir / "cases"
    rows = _rows(test_file, cases)
    assert rows, "every case has result rows"
    gaps, reasons = _gaps()
    disagree = [r for r in rows if not r.passed and row_key(r) not in gaps]
    assert not disagree, "\n".join(
        f"{row_key(r)}: expected {r.expected}, got {r.actual}: {r.message}" for r in disagree
    )
    fixed = [row_key(r) for r in rows if r.passed and row_key(r) in gaps]
    assert not fixed, f"known gaps now agree, remove them from known_gaps.yaml: {fixed}"
    open_gaps = [r for r in rows if not r.passed]
    if open_gaps:
        pytest.xfail("; ".join(sorted({reasons[gaps[row_key(r)]] for r in open_gaps})))


@pytest.mark.needs_shared
def test_agreement_floor(conformance_dir: Path) -> None:
    cases = conformance_dir / "cases"
    rows = [row for path in find_test_files(cases) for row in _rows(path, cases)]
    distinct = {(r.test_file, r.index, r.resource) for r in rows}
    agree = sum(r.passed for r in rows)
    assert len(distinct) >= MIN_ROWS
    assert agree / len(rows) >= FLOOR, f"{agree}/{len(rows)} rows agree with upstream Kyverno"
