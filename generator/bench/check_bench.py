"""Check figures (issue 5): the CI gate over the bench fleet as a multiple of the C-loader parse time.

Measures what ``gitops-gen check`` proves about a rendered tree (load, strict schema validation,
every rendered ClusterPolicy on its cluster, cross-resource checks) on the fleet's ``rendered/``,
with the per-stage split. Rendering in memory and the drift comparison are the render section's
figures (``render`` and ``render --check``) and are not counted again here.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from typing import Any

from generator.bench import Fleet, parse_seconds

__all__ = ["run"]

CHECK_TARGET = 2.0


def _cpu() -> float:
    """CPU seconds of this process and its reaped children: insensitive to other load on the machine."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def run(fleet: Fleet) -> list[str]:
    from generator.bench.check_tree import check_tree

    crd_dirs = [str(fleet.crd_dir)] if fleet.crd_dir else None
    result, total = _timed(lambda: check_tree(fleet.root, crd_dirs=crd_dirs))
    _, again = _timed(lambda: check_tree(fleet.root, crd_dirs=crd_dirs))
    total = min(total, again)  # best of 2, as the parse yardstick is a best-of
    serial, serial_s = _timed(lambda: check_tree(fleet.root, crd_dirs=crd_dirs, jobs=1))
    assert serial.scopes == result.scopes, "parallel and serial checks disagree"
    ratio = total / fleet.parse_seconds
    cpu = _cpu()
    parse_seconds(fleet.files, repeat=1)
    parse_cpu = _cpu() - cpu
    cpu = _cpu()
    check_tree(fleet.root, crd_dirs=crd_dirs)
    check_cpu = _cpu() - cpu
    summary = result.summary()
    verdict = "ok" if ratio <= CHECK_TARGET else "MISSED"
    lines = [
        f"check: {result.documents} documents in {total:.2f} s "
        f"= {result.documents / total:,.0f} documents/s; "
        f"{ratio:.2f}x the parse time (target <= {CHECK_TARGET}x) [{verdict}]",
        f"check: load + strict schema + every cluster's ClusterPolicies + cross-resource checks; "
        f"{summary['checks']} checks, {summary['errors']} errors, {summary['warnings']} warnings; "
        f"one process: {serial_s:.2f} s = {serial_s / fleet.parse_seconds:.2f}x",
        f"check CPU time, all processes: {check_cpu:.2f} s vs the parse's {parse_cpu:.2f} s "
        f"({check_cpu / parse_cpu:.2f}x; insensitive to other load on the machine)",
    ]
    if crd_dirs is None:
        lines.append("check: no CRD directory, schema stage skipped (figures are not comparable)")
    return lines
