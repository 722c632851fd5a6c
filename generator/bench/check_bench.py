"""Check figures (issue 5): the CI gate over the bench fleet as a multiple of the C-loader parse time.

Measures what ``gitops-gen check`` proves about a rendered tree (load, strict schema validation,
every rendered ClusterPolicy on its cluster, cross-resource checks) on the fleet's ``rendered/``,
with the per-stage split. Rendering in memory and the drift comparison are the render section's
figures (``render`` and ``render --check``) and are not counted again here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from generator.bench import Fleet

__all__ = ["run"]

CHECK_TARGET = 2.0


def _timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def run(fleet: Fleet) -> list[str]:
    from generator.check import check_subjects, subjects_from_tree

    crd_dirs = [str(fleet.crd_dir)] if fleet.crd_dir else None
    subjects, load_s = _timed(lambda: subjects_from_tree(fleet.root))
    result, check_s = _timed(lambda: check_subjects(subjects, crd_dirs=crd_dirs))
    total = load_s + check_s
    ratio = total / fleet.parse_seconds
    summary = result.summary()
    verdict = "ok" if ratio <= CHECK_TARGET else "MISSED"
    lines = [
        f"check: {len(subjects)} documents in {total:.2f} s = {len(subjects) / total:,.0f} documents/s; "
        f"{ratio:.2f}x the parse time (target <= {CHECK_TARGET}x) [{verdict}]",
        f"check stages: load {load_s:.2f} s, schema + policies + cross-resource {check_s:.2f} s "
        f"({summary['checks']} checks, {summary['errors']} errors, {summary['warnings']} warnings)",
    ]
    if crd_dirs is None:
        lines.append("check: no CRD directory, schema stage skipped (figures are not comparable)")
    return lines
