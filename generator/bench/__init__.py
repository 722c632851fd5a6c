"""Benchmarks behind ``make bench``: every figure an issue asks for, measured in one run.

Not timed tests: they print figures, they do not fail on them. ``__main__`` builds (or takes) a
fleet of rendered manifests, measures the PyYAML C-loader parse time of the same files once, and
hands a ``Fleet`` to each section module listed in ``SECTIONS``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import yaml

__all__ = ["Fleet", "parse_seconds"]


@dataclass(frozen=True, slots=True)
class Fleet:
    """What every benchmark section measures against."""

    root: Path
    """Directory holding the rendered fleet (``<env>/<cluster>/…``)."""
    files: tuple[Path, ...]
    """Every manifest file under ``root``, sorted."""
    documents: int
    """Number of YAML documents in ``files``."""
    parse_seconds: float
    """Best-of-3 wall time for PyYAML's C loader to parse all ``files``: the yardstick."""
    crd_dir: Path | None
    """``../shared/crds`` when present."""
    env_dir: Path | None = None
    """Environment files the fleet was rendered from, when the fleet was generated."""
    render_seconds: float | None = None
    """Wall time to load, render and write the generated fleet (None for a given ``--fleet``)."""


def parse_seconds(files: tuple[Path, ...], repeat: int = 3) -> tuple[float, int]:
    """Best-of-``repeat`` seconds to read and parse ``files`` with the C loader, and the doc count."""
    best = float("inf")
    count = 0
    for _ in range(repeat):
        start = time.perf_counter()
        count = 0
        for f in files:
            # the floor is PyYAML's C loader by definition, not our reader (which is measured against it)
            count += sum(
                1 for d in yaml.load_all(f.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader) if d
            )
        best = min(best, time.perf_counter() - start)
    return best, count
