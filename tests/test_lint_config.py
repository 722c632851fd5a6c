"""The lint configuration stays honest: per-file exceptions only for files that exist."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_per_file_ignores_name_files_that_exist() -> None:
    """The per-file docstring ignores only shrink: an entry for a file that is gone must go too."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["ruff"]["lint"]["per-file-ignores"]
    stale = [p for p in patterns if not any(ROOT.glob(p))]
    assert not stale, f"remove these per-file-ignores entries (no such file): {stale}"
