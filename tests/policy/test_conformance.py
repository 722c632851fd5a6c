"""Upstream Kyverno CLI tests, read in place from ../shared, drive these tests.

Two corpora: ``kyverno-conformance`` (v1: ClusterPolicy/Policy validate rules) and
``kyverno-conformance-v2`` (ValidatingPolicy, ValidatingAdmissionPolicy, mutate rules). One
parametrized test per case (id = corpus/case folder). Every row must agree with upstream except the
rows of the corpus's known-gaps file, reported as xfail with their reason; a known gap that starts
to agree fails the test so the list only shrinks. A last test per corpus asserts its agreement floor.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import pytest
import yaml

from generator.policy.kyverno_test import TestRow, find_test_files, run_test_file

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


@dataclass(frozen=True)
class Corpus:
    name: str
    env_var: str
    folder: str
    gaps_file: str
    floor: float
    """Share of rows that must agree with upstream."""
    min_rows: int
    """Distinct (test, entry, resource) rows the corpus must yield (guards against a shrunk run)."""

    @property
    def path(self) -> Path:
        return Path(os.environ.get(self.env_var) or ROOT.parent / "shared" / self.folder)


CORPORA = {
    "v1": Corpus("v1", "GITOPS_GEN_CONFORMANCE", "kyverno-conformance", "known_gaps.yaml", 1.0, 1641),
    "v2": Corpus(
        "v2", "GITOPS_GEN_CONFORMANCE_V2", "kyverno-conformance-v2", "known_gaps_v2.yaml", 0.95, 562
    ),
}


def _case_files(corpus: Corpus) -> list[Path]:
    cases = corpus.path / "cases"
    return find_test_files(cases) if cases.is_dir() else []


@lru_cache(maxsize=2)
def _gaps(corpus: str) -> tuple[dict[str, str], dict[str, str]]:
    data = yaml.safe_load((HERE / CORPORA[corpus].gaps_file).read_text(encoding="utf-8"))
    return dict(data.get("rows") or {}), dict(data.get("reasons") or {})


@cache
def _rows(test_file: Path, cases: Path) -> tuple[TestRow, ...]:
    """Rows of one case, computed once per worker (the floor test reuses the per-case runs)."""
    return tuple(run_test_file(test_file, cases))


def row_key(row: TestRow) -> str:
    return f"{row.test_file}#{row.index}#{row.resource}"


def _params() -> list:
    params = []
    for corpus in CORPORA.values():
        files = _case_files(corpus)
        cases = corpus.path / "cases"
        params += [
            pytest.param(corpus.name, f, id=f"{corpus.name}/{f.parent.relative_to(cases).parts[0]}")
            for f in files
        ]
        if not files:
            params.append(pytest.param(corpus.name, None, id=f"{corpus.name}/corpus"))
    return params


@pytest.fixture
def corpus_dir(request: pytest.FixtureRequest, corpus: str) -> Path:
    fixture = "conformance_dir" if corpus == "v1" else "conformance_v2_dir"
    return request.getfixturevalue(fixture)


@pytest.mark.parametrize("corpus", sorted(CORPORA))
def test_known_gaps_have_reasons(corpus: str) -> None:
    rows, reasons = _gaps(corpus)
    assert all(reason in reasons for reason in rows.values())


@pytest.mark.needs_shared
@pytest.mark.parametrize(("corpus", "test_file"), _params())
def test_case(corpus_dir: Path, corpus: str, test_file: Path | None) -> None:
    assert test_file is not None, "conformance corpus has no cases"
    cases = corpus_dir / "cases"
    rows = _rows(test_file, cases)
    assert rows, "every case has result rows"
    gaps, reasons = _gaps(corpus)
    disagree = [r for r in rows if not r.passed and row_key(r) not in gaps]
    assert not disagree, "\n".join(
        f"{row_key(r)}: expected {r.expected}, got {r.actual}: {r.message}" for r in disagree
    )
    fixed = [row_key(r) for r in rows if r.passed and row_key(r) in gaps]
    assert not fixed, f"known gaps now agree, remove them from {CORPORA[corpus].gaps_file}: {fixed}"
    open_gaps = [r for r in rows if not r.passed]
    if open_gaps:
        pytest.xfail("; ".join(sorted({reasons[gaps[row_key(r)]] for r in open_gaps})))


@pytest.mark.needs_shared
@pytest.mark.parametrize("corpus", sorted(CORPORA))
def test_agreement_floor(corpus_dir: Path, corpus: str) -> None:
    spec = CORPORA[corpus]
    cases = corpus_dir / "cases"
    rows = [row for path in find_test_files(cases) for row in _rows(path, cases)]
    distinct = {(r.test_file, r.index, r.resource) for r in rows}
    agree = sum(r.passed for r in rows)
    assert len(distinct) >= spec.min_rows
    assert agree / len(rows) >= spec.floor, f"{agree}/{len(rows)} rows agree with upstream Kyverno ({corpus})"
