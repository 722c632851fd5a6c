"""The user's private cache directory: state a run may reuse, which no commit can plant.

``$GITOPS_GEN_CACHE``, else ``$XDG_CACHE_HOME/gitops-gen``, else ``~/.cache/gitops-gen``. Only a
directory the user owns and nobody else may write is used (not a symlink): compiled template
bytecode runs outside the sandbox, and the stamp key decides which render stamps are trusted, so
neither may come from a repository or another account. Reads and creates directories only.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

__all__ = ["cache_root", "private_dir"]


def cache_root() -> Path:
    """``$GITOPS_GEN_CACHE``, else ``$XDG_CACHE_HOME/gitops-gen``, else ``~/.cache/gitops-gen``."""
    if os.environ.get("GITOPS_GEN_CACHE"):
        return Path(os.environ["GITOPS_GEN_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "gitops-gen"


def private_dir(name: str) -> Path | None:
    """``cache_root()/name``, created private (0700); ``None`` when it is not the user's alone."""
    directory = cache_root() / name
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = os.lstat(directory)
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o022:
        return None  # a symlink, or a directory others may write: not trusted
    return directory
