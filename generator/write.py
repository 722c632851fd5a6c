"""Write stage: the only code that touches ``rendered/``.

Compares bytes before writing and reports ``create`` / ``identical`` / ``update`` / ``delete`` per
path. ``check=True`` writes nothing (the CI and pre-commit gate). Otherwise the complete new tree
is built aside (``rendered/../.rendered.new-*``) and swapped in atomically, under a lock, by
``generator.treeswap``, so a failed, interrupted or concurrent render leaves ``rendered/`` wholly
old or wholly new. Only the smallest subtree holding every change is rebuilt and exchanged
(``rendered/<env>`` when one environment changed, ``rendered/`` itself when several did): one
exchange is as atomic as swapping the whole tree, and the rest is not touched at all. The new
subtree is incremental: every file whose bytes do not change is a hard link to the old one (its
inode and mtime stay; editors, ``make`` and ``git status`` see only real changes), only changed
files are written, and nothing at all happens when nothing changed. When an environment has no
directory in ``rendered/`` yet (a from-scratch render), the render processes write its files ahead
into an owned work tree (``staging``/``stage``) as they render, and the new tree is built around
them.
Pruning deletes only files this tool generated (they start with ``HEADER_PREFIX``) inside the
environments being rendered, or inside environments that no longer exist; anything else is kept
and reported as ``foreign``. Symlinks and other special entries in
``rendered/`` are never read or followed: they are foreign, kept as they are, and a generated file
is never written through one.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import stat
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from generator.documents import DocumentSource
from generator.dump import dump
from generator.errors import WriteError
from generator.manifest import HEADER_PREFIX, Manifest
from generator.stamps import Recorded, as_recorded, signature
from generator.treeswap import (
    Special,
    clean_strays,
    copy_entry,
    copy_tree,
    link_file,
    read_entry,
    retire,
    swap,
    tree_lock,
    work_tree,
)

__all__ = [
    "HEADER_PREFIX",
    "Change",
    "Staging",
    "WriteReport",
    "file_text",
    "plan_files",
    "stage",
    "staging",
    "write_tree",
]

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


#: What ``_existing`` gives for a kept file still as its stamp recorded it (``same``).
KNOWN = Special("a file known to the render")


class Unproven(Exception):  # control flow, not an error: the caller renders instead
    """Files the render meant to keep (``same``) are not as their stamp recorded them."""

    def __init__(self, paths: Sequence[str]) -> None:
        super().__init__(f"{len(paths)} kept file(s) changed: {', '.join(paths[:3])}")
        self.paths = tuple(paths)


def _existing(
    root: Path, envs: Iterable[str], same: Mapping[str, Recorded] | None = None
) -> dict[str, bytes | Special]:
    """Every entry under ``root/<env>`` for ``envs``; links and special files are never followed.

    ``os.scandir`` (its ``d_type`` says symlink, directory or file without a ``stat``) and string
    paths: this reads every file of the environments being rendered, thousands per run, but for
    those of ``same`` in their recorded status (``KNOWN``, not read).
    """
    found: dict[str, bytes | Special] = {}
    top = os.fspath(root)
    for env in envs:
        base = os.path.join(top, env)
        if os.path.islink(base) or (os.path.lexists(base) and not os.path.isdir(base)):
            found[env] = read_entry(Path(base))
        elif os.path.isdir(base):
            _scan(base, env, found, same or {})
    return found


def _scan(directory: str, rel: str, found: dict[str, bytes | Special], same: Mapping[str, Recorded]) -> None:
    """``found[rel/name]`` for every entry below ``directory``, in sorted order; links not followed."""
    with os.scandir(directory) as it:
        entries = sorted(it, key=lambda e: e.name)
    for entry in entries:
        path = f"{rel}/{entry.name}"
        if entry.is_dir(follow_symlinks=False):
            _scan(entry.path, path, found, same)
            continue
        recorded = same.get(path)
        if (
            recorded is not None
            and entry.is_file(follow_symlinks=False)
            and as_recorded(entry.path, signature(entry.stat(follow_symlinks=False)), recorded)
        ):
            found[path] = KNOWN
        else:
            found[path] = read_entry(entry.path)


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
    root: Path,
    files: Mapping[str, str],
    envs: Sequence[str],
    stale_envs: Sequence[str] = (),
    same: Mapping[str, Recorded] | None = None,
) -> tuple[Change, ...]:
    """Changes that writing ``files`` for ``envs`` (and pruning ``stale_envs``) would make.

    ``same``: files the new tree keeps as they are (``generator.reuse``), each as its stamp
    recorded it: in its recorded status, else with its recorded bytes.

    Raises:
        Unproven: files of ``same`` are not as recorded (edited by hand, or meanwhile).
    """
    same = same or {}
    existing = _existing(root, [*envs, *stale_envs], same)
    unproven = [rel for rel in same if existing.get(rel) is not KNOWN]
    if unproven:
        raise Unproven(sorted(unproven))
    changes: list[Change] = [Change("identical", rel) for rel in same]
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
        if rel in files or rel in same:
            continue
        if isinstance(old, Special):
            changes.append(Change("foreign", rel, note=old.what))
            continue
        generated = old.startswith(HEADER_PREFIX.encode())
        changes.append(Change("delete" if generated else "foreign", rel))
    return tuple(sorted(changes, key=lambda c: c.path))


def _write_file(path: str | Path, text: str) -> None:
    """One file of the new tree, its directory made already (a seam the atomicity tests break on purpose)."""
    data = text.encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
    try:  # three system calls: open() would add an fstat and an isatty per file
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def _copy_tree_except(src: Path, dst: Path, skip_envs: set[str]) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    if not src.is_dir():
        return
    for entry in sorted(src.iterdir()):
        if entry.name not in skip_envs:
            copy_tree(entry, dst / entry.name)


def _no_link_above(rel: str, specials: set[str]) -> None:
    """A generated file is never written through a symlink a foreign entry put in its way.

    ``specials``: the foreign entries that are not regular files nor directories (symlinks...),
    the only ones the new tree can hold above a generated file.
    """
    parts = rel.split("/")
    for end in range(1, len(parts)):
        above = "/".join(parts[:end])
        if above in specials:
            shown = f"rendered/{above}"
            raise WriteError(
                f"{shown} is a symlink; a generated file would be written through it",
                path=shown,
                hint="remove the symlink: nothing under rendered/ may point elsewhere",
            )


def _changed_top(root: Path, changes: Sequence[Change]) -> str:
    """The smallest subtree of ``root`` (``/``-separated, ``""`` for all of it) holding every change.

    It is a real directory of ``root``, or a directory that does not exist yet directly under one
    (a new environment or cluster): one exchange (or rename) of it swaps every change at once.
    """
    common: list[str] | None = None
    for c in changes:
        if c.action in ("create", "update", "delete"):
            parts = c.path.split("/")[:-1]
            if common is None:
                common = parts
            else:
                n = 0
                while n < min(len(common), len(parts)) and common[n] == parts[n]:
                    n += 1
                del common[n:]
            if not common:
                return ""
    here = os.fspath(root)
    common = common or []
    if not os.path.isdir(here):
        return ""
    for end, part in enumerate(common):
        here = os.path.join(here, part)
        try:
            mode = os.lstat(here).st_mode
        except FileNotFoundError:
            return "/".join(common[: end + 1])
        if not stat.S_ISDIR(mode):
            return "/".join(common[:end])
    return "/".join(common)


def _fill(
    new: Path,
    top: str,
    root: Path,
    files: Mapping[str, str],
    changes: Sequence[Change],
    *,
    staged: Collection[str] = (),
) -> None:
    """Put the subtree ``top`` of the new tree at ``new/top``: changed files written, the rest linked.

    Files of the ``staged`` environments are in ``new`` already (``stage``): a changed one stays,
    an unchanged one is replaced by a link to the old file.
    """
    prefix = f"{top}/" if top else ""
    src, dst = os.fspath(root), os.fspath(new)
    made = {dst}

    def parent_of(rel: str) -> str:
        path = f"{dst}/{rel}"  # string paths: thousands per render
        parent = path.rsplit("/", 1)[0]
        if parent not in made:
            os.makedirs(parent, exist_ok=True)
            made.add(parent)
        return path

    foreign = [c for c in changes if c.action == "foreign" and c.path.startswith(prefix)]
    specials = {c.path for c in foreign if c.note}
    inside = [c.path for c in changes if c.action in _NEW_TREE and c.path.startswith(prefix)]
    for rel in inside if specials else ():
        _no_link_above(rel, specials)
    os.makedirs(os.path.join(dst, top), exist_ok=True)
    for c in foreign:
        copy_entry(Path(src, c.path), Path(parent_of(c.path)))
    unchanged = {c.path for c in changes if c.action == "identical"}
    links: list[tuple[str, str]] = []
    relinks: list[tuple[str, str]] = []
    writes: list[tuple[str, str]] = []
    for rel in inside:
        path = parent_of(rel)
        ahead = rel.split("/", 1)[0] in staged
        if rel in unchanged:  # inode and mtime stay
            (relinks if ahead else links).append((f"{src}/{rel}", path))
        elif not ahead:
            writes.append((path, files[rel]))
    _run_all(link_file, links)
    _run_all(_relink, relinks)
    _run_all(_write_file, writes)


#: The changes whose file the new tree holds (written, or linked to the old one).
_NEW_TREE = frozenset({"create", "update", "identical"})


def _relink(src: str, dst: str) -> None:
    """Replace the file written ahead at ``dst`` by a link to the old, identical ``src``."""
    os.unlink(dst)
    link_file(src, dst)


@dataclass(frozen=True, slots=True)
class Staging:
    """A work tree beside ``rendered/`` that a render's processes write their files into as they go.

    Creating thousands of files is kernel time; written by each render process as soon as its share
    is rendered, it runs on both cores beside the rendering instead of after it. ``write_tree`` then
    builds the new tree around these files (picklable: a worker gets it).
    """

    work: Path
    envs: frozenset[str]
    """The environments whose files are written ahead (those with no directory in ``rendered/``)."""


@contextlib.contextmanager
def staging(root: Path, envs: Collection[str]) -> Iterator[Staging]:
    """A ``Staging`` beside ``root``, owned by this run (``clean_strays`` leaves it), removed at exit.

    Raises:
        WriteError: the work tree cannot be made, or another render holds ``rendered/`` too long.
    """
    _check_root(root)
    root = Path(os.path.abspath(root))
    with contextlib.ExitStack() as stack:
        try:
            root.parent.mkdir(parents=True, exist_ok=True)
            with tree_lock(root, exclusive=True):
                clean_strays(root)
                work = stack.enter_context(work_tree(root))
        except OSError as e:
            raise WriteError(
                f"cannot create a work directory beside rendered/: {e}", path=str(root.parent)
            ) from e
        yield Staging(work, frozenset(envs))


def stage(staged: Staging, files: Mapping[str, str]) -> None:
    """Write the files of ``staged.envs`` into its work tree (in any process of the render).

    Raises:
        WriteError: a file cannot be written (``rendered/`` is untouched).
    """
    new = os.path.join(staged.work, "rendered")
    made: set[str] = set()
    writes: list[tuple[str, str]] = []
    try:
        for rel, text in files.items():
            if rel.split("/", 1)[0] in staged.envs:
                path = os.path.join(new, _safe_rel(rel))
                parent = os.path.dirname(path)
                if parent not in made:
                    os.makedirs(parent, exist_ok=True)
                    made.add(parent)
                writes.append((path, text))
        _run_all(_write_file, writes)
    except OSError as e:
        raise WriteError(f"writing rendered/ failed, nothing changed: {e}", path=str(new)) from e


#: From this many files on, they are created by ``WRITE_THREADS`` threads: creating a file is
#: kernel time (``open``, ``write`` and ``link`` release the GIL), which a from-scratch render spends
#: 11,000 times, and the file system serves several directories at once.
THREADED_FROM = 1000
WRITE_THREADS = 4


def _run_all(fn: Callable[[str, str], None], calls: Sequence[tuple[str, str]]) -> None:
    """``fn(a, b)`` for every pair, on a few threads when there are many; the first error is raised."""
    if len(calls) < THREADED_FROM:
        for a, b in calls:
            fn(a, b)
        return
    step = -(-len(calls) // (WRITE_THREADS * 4))
    chunks = [calls[i : i + step] for i in range(0, len(calls), step)]

    def run(chunk: Sequence[tuple[str, str]]) -> None:
        for a, b in chunk:
            fn(a, b)

    with ThreadPoolExecutor(WRITE_THREADS) as pool:
        futures = [pool.submit(run, chunk) for chunk in chunks]
        try:
            for future in futures:
                future.result()
        except BaseException:
            for future in futures:
                future.cancel()
            raise


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
    staged: Staging | None = None,
    same: Mapping[str, Recorded] | None = None,
) -> WriteReport:
    """Make ``root`` hold exactly ``files`` for ``envs``; prune generated files of ``stale_envs``.

    ``same``: files of ``envs`` kept as they are besides ``files`` (``compare``).

    Raises:
        Unproven: files of ``same`` are not as recorded; nothing was written.

    Raises:
        WriteError: the tree cannot be written, or another render holds it too long; ``root`` is
            then left as it was.
    """
    _check_root(root)
    if check:
        with tree_lock(root, exclusive=False):
            return WriteReport(compare(root, files, envs, stale_envs, same))
    root = Path(os.path.abspath(root))
    try:
        root.parent.mkdir(parents=True, exist_ok=True)
        lock = tree_lock(root, exclusive=True)
    except OSError as e:
        raise WriteError(f"cannot prepare {root.parent}: {e.strerror}", path=str(root.parent)) from e
    with lock:
        clean_strays(root)
        report = WriteReport(compare(root, files, envs, stale_envs, same))
        if report.drift:
            _swap_in(root, files, envs, stale_envs, report.changes, staged=staged)
    return report


def _emptied(root: Path, top: str) -> str:
    """The highest directory left empty once ``top`` goes: no empty directories are left behind."""
    while "/" in top:
        parent = top.rsplit("/", 1)[0]
        if os.listdir(root.joinpath(*parent.split("/"))) != [top.rsplit("/", 1)[1]]:
            break
        top = parent
    return top


def _swap_in(
    root: Path,
    files: Mapping[str, str],
    envs: Sequence[str],
    stale_envs: Sequence[str],
    changes: Sequence[Change],
    *,
    staged: Staging | None = None,
) -> None:
    """Build the new subtree beside ``root`` and swap it in (holding the writer lock).

    Only the smallest subtree holding every change is rebuilt (``rendered/<env>`` when one
    environment changed); the rest of ``rendered/`` is not touched at all. The work tree mirrors
    ``rendered/``: the new subtree is ``<work>/rendered/<top>``.
    """
    with contextlib.ExitStack() as stack:
        if staged is not None:
            work = staged.work
        else:
            try:
                work = stack.enter_context(work_tree(root))
            except OSError as e:
                raise WriteError(
                    f"cannot create a work directory beside rendered/: {e}", path=str(root.parent)
                ) from e
        new, aside = work / "rendered", work / "rendered.old"
        top = _changed_top(root, changes)
        target = root.joinpath(*top.split("/")) if top else root
        built = new.joinpath(*top.split("/")) if top else new
        try:
            if not top:
                _copy_tree_except(root, new, {*envs, *stale_envs})
            _fill(new, top, root, files, changes, staged=staged.envs if staged else ())
            if top and not os.listdir(built):
                retire(root, _emptied(root, top), work / "gone")  # every file in it deleted
            else:
                swap(built, root, aside, top)
        except OSError as e:
            if not os.path.lexists(target) and aside.exists():
                os.replace(aside, target)
            raise WriteError(f"writing rendered/ failed, nothing changed: {e}", path=str(root)) from e
