"""Write stage, file-system half: lock, read, copy and swap a tree without ever following a link out.

Used only by ``generator.write``. What it guarantees:

- ``tree_lock``: one writer at a time per ``rendered/`` (``flock`` on ``.rendered.lock`` beside
  it); readers (``render --check``, ``check``) take it shared, so they never see a swap half done.
  Two renders of different environments no longer lose an update: the second waits, then compares
  against the first one's result.
- ``read_entry``: a regular file's bytes, or a ``Special`` describing a symlink, FIFO, socket or
  device, which is never opened (a FIFO would hang; a symlink to ``/usr/lib`` would be read whole).
- ``copy_entry`` / ``copy_tree``: hard links (or copies) of files, symlinks copied as symlinks.
- ``swap``: ``renameat2(RENAME_EXCHANGE)`` of the smallest subtree holding every change (all of
  ``rendered/`` at worst), where the kernel has it, so a SIGKILL at any instant leaves
  ``rendered/`` wholly old or wholly new; two renames elsewhere (then ``clean_strays`` restores a
  subtree a kill left aside). ``retire`` takes a subtree whose every file goes out in one rename.
- ``clean_strays``: work trees (``.rendered.new-*``) that a killed run left are removed by the next
  writer, under the lock. They are also git-ignored, so they are never committed nor synced.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from generator.errors import WriteError

__all__ = [
    "LOCK_NAME",
    "LOCK_WAIT_SECONDS",
    "OWNER_NAME",
    "TARGET_NAME",
    "WORK_PREFIX",
    "Special",
    "clean_strays",
    "copy_entry",
    "copy_tree",
    "link_file",
    "read_entry",
    "retire",
    "swap",
    "tree_lock",
    "work_tree",
]

LOCK_NAME = ".rendered.lock"
WORK_PREFIX = ".rendered.new-"
#: In a work tree: locked by the run that owns it while that run lives (``work_tree``).
OWNER_NAME = "owner.lock"
#: In a work tree: which subtree of ``rendered/`` its ``rendered.old`` was taken from (see ``swap``).
TARGET_NAME = "target"
#: How long a render waits for another one to finish writing before it gives up.
LOCK_WAIT_SECONDS = 120.0
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


@dataclass(frozen=True, slots=True)
class Special:
    """An entry under ``rendered/`` that is not a regular file: never read, never followed."""

    what: str
    """``a symlink to …``, ``a FIFO``…: for messages."""


def read_entry(path: str | Path) -> bytes | Special:
    """The bytes of a regular file; a ``Special`` for anything else (without opening it)."""
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        return Special(f"a symlink to {os.readlink(path)}")
    if not stat.S_ISREG(info.st_mode):
        return Special("not a regular file (FIFO, socket or device)")
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as fh:
        return fh.read()


def copy_entry(src: Path, dst: Path) -> None:
    """Hard-link ``src`` at ``dst`` (a copy across devices); a symlink stays a symlink."""
    if src.is_symlink():
        os.symlink(os.readlink(src), dst)
        return
    try:
        os.link(src, dst, follow_symlinks=False)
    except OSError:
        shutil.copy2(src, dst, follow_symlinks=False)


def link_file(src: str, dst: str) -> None:
    """Hard-link the regular file ``src`` at ``dst`` (a copy across devices)."""
    try:
        os.link(src, dst, follow_symlinks=False)
    except OSError:
        shutil.copy2(src, dst, follow_symlinks=False)


def _copy_function(src: str, dst: str) -> None:
    copy_entry(Path(src), Path(dst))


def copy_tree(src: Path, dst: Path) -> None:
    """``src`` (a directory or any entry) at ``dst``, links kept as links."""
    if src.is_dir() and not src.is_symlink():
        shutil.copytree(src, dst, symlinks=True, copy_function=_copy_function)
    else:
        copy_entry(src, dst)


def _renameat2(a: Path, b: Path) -> bool:
    """Atomically exchange ``a`` and ``b``; False when the platform cannot."""
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def swap(new: Path, root: Path, aside: Path, rel: str = "") -> None:
    """Put the tree ``new`` at ``root/rel``; the old one ends at ``aside`` (or at ``new`` if exchanged).

    ``rel`` (``/``-separated, ``""`` for ``root`` itself) is the smallest subtree holding every
    change: one exchange of it is as atomic as exchanging the whole tree, and the rest is never
    touched. Without ``renameat2`` the old subtree goes aside first; ``TARGET_NAME`` beside
    ``aside`` records where it belongs, so ``clean_strays`` can put it back after a kill.
    """
    target = root.joinpath(*rel.split("/")) if rel else root
    if not os.path.lexists(target):
        os.replace(new, target)
    elif not _renameat2(new, target):
        (aside.parent / TARGET_NAME).write_text(rel, encoding="utf-8")
        os.replace(target, aside)
        os.replace(new, target)


def retire(root: Path, rel: str, aside: Path) -> None:
    """Take the subtree ``root/rel`` out of the tree in one rename (every file in it is gone)."""
    os.replace(root.joinpath(*rel.split("/")), aside)


def _recorded_target(work: Path) -> str | None:
    """The subtree a killed run's aside tree belongs to; ``None`` when the record is not sound."""
    try:
        rel = (work / TARGET_NAME).read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""
    except (OSError, UnicodeDecodeError):
        return None
    parts = rel.split("/")
    if rel and any(p in ("", ".", "..") or p.startswith(".") or "\\" in p or "\0" in p for p in parts):
        return None
    return rel


@contextlib.contextmanager
def work_tree(root: Path) -> Iterator[Path]:
    """A new work directory beside ``root``, owned by this run while the context lasts, then removed.

    The owner lock (``OWNER_NAME`` inside, ``flock``-ed) tells ``clean_strays`` the tree is alive;
    the kernel releases it when the run dies, however it dies. Create one under the writer lock
    (``clean_strays`` runs under it too), so no writer sees it before it is owned.
    """
    work = Path(tempfile.mkdtemp(prefix=WORK_PREFIX, dir=root.parent))
    try:
        fd = os.open(work / OWNER_NAME, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    except OSError:
        shutil.rmtree(work, ignore_errors=True)
        raise
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)
        os.close(fd)


def _owned(work: Path) -> bool:
    """True while the run that made ``work`` lives (it holds the owner lock)."""
    try:
        fd = os.open(work / OWNER_NAME, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(fd)
    return False


def clean_strays(root: Path) -> None:
    """Remove work trees of runs killed before they cleaned up; restore a subtree one left aside.

    Call only while holding the writer lock. A work tree whose owner still lives (files a render
    writes ahead, ``generator.write.staging``) is left alone.
    """
    for work in sorted(root.parent.glob(WORK_PREFIX + "*")):
        if _owned(work):
            continue
        aside = work / "rendered.old"
        rel = _recorded_target(work)
        if rel is not None and aside.is_dir() and not os.path.islink(aside):
            target = root.joinpath(*rel.split("/")) if rel else root
            if not os.path.lexists(target) and (not rel or target.parent.is_dir()):
                os.replace(aside, target)
        shutil.rmtree(work, ignore_errors=True)


@contextlib.contextmanager
def tree_lock(root: Path, *, exclusive: bool) -> Iterator[None]:
    """Hold the lock of ``root``: exclusive to write, shared to read.

    A reader never creates the lock file (``check`` writes nothing): without one, no writer ran.

    Raises:
        WriteError: another run held the lock for ``LOCK_WAIT_SECONDS``.
    """
    path = root.parent / LOCK_NAME
    try:
        fd = os.open(path, (os.O_RDWR | os.O_CREAT) if exclusive else os.O_RDONLY, 0o644)
    except FileNotFoundError:
        if exclusive:
            raise
        yield
        return
    except OSError as e:
        if exclusive:
            raise WriteError(f"cannot create the lock {path.name}: {e.strerror}", path=str(path)) from e
        yield
        return
    try:
        _acquire(fd, exclusive, path)
        yield
    finally:
        os.close(fd)  # closing releases the flock


def _acquire(fd: int, exclusive: bool, path: Path) -> None:
    mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise WriteError(
                    f"another gitops-gen render held rendered/ for over {LOCK_WAIT_SECONDS:.0f} s",
                    path=str(path),
                    hint="wait for it to finish (or end it), then run again; renders never write at once",
                ) from None
            time.sleep(0.05)
