"""Write stage: the only code that touches ``rendered/``.

Compares bytes before writing and reports ``create`` / ``identical`` / ``update`` / ``delete`` per
path. ``check=True`` writes nothing (the CI and pre-commit gate). Otherwise the complete new tree
is built aside (``rendered/../.rendered.new-*``) and swapped in atomically, under a lock, by
``generator.treeswap``, so a failed, interrupted or concurrent render leaves ``rendered/`` wholly
old or wholly new. The new tree is incremental: every file whose bytes do not change is a hard
link to the old one (its inode and mtime stay; editors, ``make`` and ``git status`` see only real
changes), only changed files are written, and nothing at all happens when nothing changed.
Pruning deletes only files this tool generated (they start with ``HEADER_PREFIX``) inside the
environments being rendered, or inside environments that no longer exist; anything else is kept
and reported as ``foreign``. Symlinks and other special entries in
``rendered/`` are never read or followed: they are foreign, kept as they are, and a generated file
is never written through one.
"""

from __future__ import annotations

import difflib
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from generator.documents import DocumentSource
from generator.dump import dump
from generator.errors import WriteError
from generator.manifest import HEADER_PREFIX, Manifest
from generator.treeswap import (
    WORK_PREFIX,
    Special,
    clean_strays,
    copy_entry,
    copy_tree,
    read_entry,
    swap,
    tree_lock,
)

__all__ = ["HEADER_PREFIX", "Change", "WriteReport", "file_text", "plan_files", "write_tree"]

MAX_DIFF_LINES = 20
#: <env>/<cluster>/<component>/<namespace>/<kind>-<name>.yaml: a name with '/' would add a level.
PATH_DEPTH = 5
Action = Literal["create", "identical", "update", "delete", "foreign"]


@dataclass(frozen=True, slots=True)
class Change:
    action: Action
    """What happened (or would happen, under check) to ``path``."""
    path: str
    """Relative to ``rendered/``."""
    diff: str = ""
    """Short unified diff for ``update`` under check."""
    note: str = ""
    """What a ``foreign`` or replaced entry is when it is not a regular file (``a symlink to …``)."""


@dataclass(frozen=True, slots=True)
class WriteReport:
    changes: tuple[Change, ...]

    @property
    def drift(self) -> bool:
        """True when rendered/ differs from what the environments render."""
        return any(c.action in ("create", "update", "delete") for c in self.changes)

    def count(self, action: Action) -> int:
        return sum(1 for c in self.changes if c.action == action)


def file_text(m: Manifest) -> str:
    """Full text of a manifest's file: generated-file header, canonical YAML, LF, final newline."""
    source = f"environments/{m.env}.yaml"
    if isinstance(m.sources, DocumentSource):  # an extra manifest: name the file the team edits
        source = f"{m.sources.document.file} (extraManifests of {source})"
    header = f"{HEADER_PREFIX} from {source}. Do not edit: run `make render`.\n"
    return header + dump(m.body)


def _safe_rel(path: str) -> str:
    parts = path.split("/")
    bad = [p for p in parts if p in ("", ".", "..") or p.startswith(".") or "\\" in p or "\0" in p]
    if len(parts) != PATH_DEPTH or bad:
        raise WriteError(
            f"refusing to write {path!r}: it would escape rendered/ or create a hidden file",
            path=path,
            hint="resource names must be DNS-1123; check the template that names this object",
        )
    return path


def plan_files(manifests: Iterable[Manifest]) -> dict[str, str]:
    """``{path relative to rendered/: text}``; pure.

    Raises:
        WriteError: a path that would escape ``rendered/``, or two manifests on one path.
    """
    files: dict[str, str] = {}
    for m in manifests:
        rel = _safe_rel(m.path)
        if rel in files:
            raise WriteError(f"two resources render to {rel}", path=rel, hint="rename one of them")
        files[rel] = file_text(m)
    return dict(sorted(files.items()))


def _existing(root: Path, envs: Iterable[str]) -> dict[str, bytes | Special]:
    """Every entry under ``root/<env>`` for ``envs``; links and special files are never followed."""
    found: dict[str, bytes | Special] = {}
    for env in envs:
        base = root / env
        if base.is_symlink() or (base.exists() and not base.is_dir()):
            found[env] = read_entry(base)
            continue
        if not base.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames.sort()
            for name in [d for d in dirnames if Path(dirpath, d).is_symlink()]:
                dirnames.remove(name)  # os.walk would not descend, but it must be seen
                filenames.append(name)
            for name in sorted(filenames):
                full = Path(dirpath, name)
                found[full.relative_to(root).as_posix()] = read_entry(full)
    return found


def _diff(old: bytes, new: str, path: str) -> str:
    lines = list(
        difflib.unified_diff(
            old.decode("utf-8", "replace").splitlines(),
            new.splitlines(),
            f"a/{path}",
            f"b/{path}",
            lineterm="",
            n=1,
        )
    )
    if len(lines) > MAX_DIFF_LINES:
        lines = [*lines[:MAX_DIFF_LINES], f"... ({len(lines) - MAX_DIFF_LINES} more diff lines)"]
    return "\n".join(lines)


def compare(
    root: Path, files: Mapping[str, str], envs: Sequence[str], stale_envs: Sequence[str] = ()
) -> tuple[Change, ...]:
    """Changes that writing ``files`` for ``envs`` (and pruning ``stale_envs``) would make."""
    existing = _existing(root, [*envs, *stale_envs])
    changes: list[Change] = []
    for rel, text in files.items():
        old = existing.get(rel)
        if old is None:
            changes.append(Change("create", rel))
        elif isinstance(old, Special):
            changes.append(Change("update", rel, f"replaces {old.what}", note=old.what))
        elif old == text.encode("utf-8"):
            changes.append(Change("identical", rel))
        else:
            changes.append(Change("update", rel, _diff(old, text, rel)))
    for rel, old in existing.items():
        if rel in files:
            continue
        if isinstance(old, Special):
            changes.append(Change("foreign", rel, note=old.what))
            continue
        generated = old.startswith(HEADER_PREFIX.encode())
        changes.append(Change("delete" if generated else "foreign", rel))
    return tuple(sorted(changes, key=lambda c: c.path))


def _write_file(path: Path, text: str) -> None:
    """One file of the new tree (a seam the atomicity tests break on purpose)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)


def _copy_tree_except(src: Path, dst: Path, skip_envs: set[str]) -> None:
    dst.mkdir(parents=True)
    if not src.is_dir():
        return
    for entry in sorted(src.iterdir()):
        if entry.name not in skip_envs:
            copy_tree(entry, dst / entry.name)


def _no_link_above(top: Path, rel: str) -> None:
    """A generated file is never written through a symlink a foreign entry put in its way."""
    parts = rel.split("/")
    for end in range(1, len(parts)):
        here = top.joinpath(*parts[:end])
        if here.is_symlink():
            shown = f"rendered/{'/'.join(parts[:end])}"
            raise WriteError(
                f"{shown} is a symlink; a generated file would be written through it",
                path=shown,
                hint="remove the symlink: nothing under rendered/ may point elsewhere",
            )


def _check_root(root: Path) -> None:
    if root.is_symlink():
        raise WriteError(
            "rendered/ is a symlink; refusing to write through it",
            path=str(root),
            hint="make rendered/ a plain directory of the repository",
        )


def write_tree(
    root: Path,
    files: Mapping[str, str],
    envs: Sequence[str],
    *,
    stale_envs: Sequence[str] = (),
    check: bool = False,
) -> WriteReport:
    """Make ``root`` hold exactly ``files`` for ``envs``; prune generated files of ``stale_envs``.

    Raises:
        WriteError: the tree cannot be written, or another render holds it too long; ``root`` is
            then left as it was.
    """
    _check_root(root)
    if check:
        with tree_lock(root, exclusive=False):
            return WriteReport(compare(root, files, envs, stale_envs))
    root = Path(os.path.abspath(root))
    try:
        root.parent.mkdir(parents=True, exist_ok=True)
        lock = tree_lock(root, exclusive=True)
    except OSError as e:
        raise WriteError(f"cannot prepare {root.parent}: {e.strerror}", path=str(root.parent)) from e
    with lock:
        clean_strays(root)
        report = WriteReport(compare(root, files, envs, stale_envs))
        if report.drift:
            _swap_in(root, files, envs, stale_envs, report.changes)
    return report


def _swap_in(
    root: Path,
    files: Mapping[str, str],
    envs: Sequence[str],
    stale_envs: Sequence[str],
    changes: Sequence[Change],
) -> None:
    """Build the new tree beside ``root`` and swap it in (holding the writer lock)."""
    try:
        work = Path(tempfile.mkdtemp(prefix=WORK_PREFIX, dir=root.parent))
    except OSError as e:
        raise WriteError(
            f"cannot create a work directory beside rendered/: {e}", path=str(root.parent)
        ) from e
    new = work / "rendered"
    try:
        _copy_tree_except(root, new, {*envs, *stale_envs})
        for rel in (c.path for c in changes if c.action == "foreign"):
            (new / rel).parent.mkdir(parents=True, exist_ok=True)
            copy_entry(root / rel, new / rel)
        unchanged = {c.path for c in changes if c.action == "identical"}
        for rel, text in files.items():
            _no_link_above(new, rel)
            if rel in unchanged:
                (new / rel).parent.mkdir(parents=True, exist_ok=True)
                copy_entry(root / rel, new / rel)  # a hard link: inode and mtime stay
            else:
                _write_file(new / rel, text)
        swap(new, root, work / "rendered.old")
    except OSError as e:
        if not root.exists() and (work / "rendered.old").exists():
            os.replace(work / "rendered.old", root)
        raise WriteError(f"writing rendered/ failed, nothing changed: {e}", path=str(root)) from e
    finally:
        shutil.rmtree(work, ignore_errors=True)
