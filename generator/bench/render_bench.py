"""Render figures (issue 2): documents/s to disk vs the C-loader parse time; ``render --check`` wall time."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

from generator.bench import Fleet

__all__ = ["run"]

RENDER_TARGET = 3.0
CHECK_TARGET_S = 1.5


def _check_wall(repo_root: Path, repeat: int = 5) -> float:
    """Best-of wall time of ``gitops-gen render --check`` on the shipped environments, as a hook runs it."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "generator", "render", "--check", "-q", "--root", str(repo_root)],
            check=True,
            capture_output=True,
        )
        best = min(best, time.perf_counter() - start)
    return best


def run(fleet: Fleet) -> list[str]:
    from generator.pipeline import Project, render

    lines = []
    if fleet.render_seconds is not None:
        ratio = fleet.render_seconds / fleet.parse_seconds
        lines.append(
            f"render: {fleet.documents} documents to disk in {fleet.render_seconds:.2f} s = "
            f"{fleet.documents / fleet.render_seconds:,.0f} documents/s; "
            f"{ratio:.2f}x the parse time (target <= {RENDER_TARGET}x) "
            f"[{'ok' if ratio <= RENDER_TARGET else 'MISSED'}]"
        )
    if fleet.env_dir is not None:
        project = Project(fleet.env_dir.parent)
        shutil.rmtree(project.rendered, ignore_errors=True)
        start = time.perf_counter()
        render(project)
        again = time.perf_counter() - start
        lines.append(f"render (second run, fresh tree): {again:.2f} s")
    repo_root = Path(__file__).resolve().parents[2]
    wall = _check_wall(repo_root)
    lines.append(
        f"render --check on the shipped environments: {wall:.2f} s wall, best of 5 "
        f"(target < {CHECK_TARGET_S} s) [{'ok' if wall < CHECK_TARGET_S else 'MISSED'}]"
    )
    return lines
