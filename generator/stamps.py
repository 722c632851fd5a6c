"""Render stamps: which environments, and which services of one, can skip rendering.

A stamp records, per environment, a digest of everything its render reads (its environment file
and the file it extends, every template and policy file, and the tool itself: its version, its
source and the versions of the libraries that shape the output) and a digest of every file
``rendered/<env>/`` held right after a render or a clean ``render --check``, with the part of the
environment file each file's object came from (its origin: ``("services", 2)``, what locates a
finding at the environment's line). When both digests still match, rendering that environment
again would produce exactly the files it already has, so ``render`` and ``render --check`` report
them ``identical`` without rendering, and ``check`` reads the objects back from their files
(``generator.reread``) instead of rendering them again. It also records each render unit's key
(``generator.units``): a render of an edited environment keeps the files of every unit whose key
is unchanged (``generator.reuse``).

How a file is proven to be as recorded: ``check`` reads and hashes every file (it reads them
anyway). ``render`` first compares each file's status (inode, size, modification and change
times, as git's index does): any write to a file changes its change time, which no program can
set back (only the system clock can). A file whose status differs is read and hashed; a file
changed in the same clock tick as the stamp looked at it is recorded without a status, so it is
always read (git's "racily clean" entries). So a hand edit, a deleted or added file or a symlink
under ``rendered/<env>/`` is seen as before.

Stamps live in ``.gitops-gen/stamps/<env>.json`` (a line with the seal, then the JSON) at the
project root (git-ignored by a ``.gitignore`` written inside it): never under ``rendered/``, which
Argo CD syncs. They are only a cache: a missing, corrupt or foreign stamp means "render it". Each
stamp is sealed with a key only this user on this machine holds (``stamps/key`` in the private
cache, ``generator.usercache``): a stamp committed to the repository, or rewritten to match a hand
edit, never holds, so CI's ``check`` on a clean clone compares every file.
Reads files; writes only its own directory (never ``rendered/``).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import re
import stat
import tempfile
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from generator.location import YamlPath
from generator.usercache import private_dir

__all__ = [
    "STAMP_DIR",
    "Kept",
    "Recorded",
    "Stamp",
    "UnitRecord",
    "as_recorded",
    "digest",
    "inputs_digest",
    "read_stamp",
    "record",
    "recorded_size",
    "shared_digest",
    "signature",
    "tool_digest",
    "unchanged_files",
    "unchanged_paths",
]

#: Where stamps live, relative to the project root.
STAMP_DIR = Path(".gitops-gen") / "stamps"
_FORMAT = 3
_EXTENDS = re.compile(r"^extends:[ \t]*['\"]?([^'\"\s#]+)", re.MULTILINE)
#: Libraries whose version can change the rendered bytes (gitops-gen's own files are hashed).
_LIBRARIES = ("jinja2", "PyYAML", "yaml-rs")


def digest(data: bytes) -> str:
    """The digest a stamp records of a file's bytes."""
    return hashlib.blake2b(data, digest_size=20).hexdigest()


def _read_regular(path: Path) -> bytes | None:
    """The bytes of a regular file; ``None`` for anything else.

    A FIFO would block a read forever, and a symlink must reach the loader, which checks where it
    points: such inputs are never cached.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read()
    finally:
        os.close(fd)


def _tree_files(base: Path) -> list[Path]:
    """Regular files under ``base`` (sorted); directories followed, nothing else skipped silently."""
    if not base.is_dir():
        return []
    return sorted(p for p in base.rglob("*") if p.is_file())


#: The ``generator`` package's directory: the tool's fingerprint covers its files.
_PACKAGE = os.path.dirname(os.path.abspath(__file__))


@functools.cache
def tool_digest() -> str:
    """The tool's fingerprint: library versions and every file of the ``generator`` package.

    The libraries' versions come from their modules (``__version__``, equal to their installed
    metadata; tested), which every render has imported anyway: reading the metadata instead costs
    20 ms of every command's start-up. Hashing the package's files is 10 ms more: the digest is
    kept in the private cache, keyed by the files' status (``signature``, as stamps trust rendered
    files), and computed again when any file changed (or changed too recently to tell).
    """
    versions = "".join(f"{lib}={_version(lib)}\n" for lib in _LIBRARIES)
    files = _package_files(_PACKAGE)
    statuses = [(rel, os.lstat(path)) for rel, path in files]
    key = digest((versions + "".join(f"{rel}\0{signature(st)}\n" for rel, st in statuses)).encode())
    directory = private_dir("stamps")
    cache = directory / "tool" if directory is not None else None
    cached = _read_regular(cache) if cache is not None else None
    if cached is not None and cached.startswith(key.encode() + b" "):
        return cached.split(b" ", 1)[1].decode()
    h = hashlib.blake2b(digest_size=20)
    h.update(versions.encode())
    for rel, path in files:
        with open(path, "rb") as fh:
            h.update(rel.encode() + b"\0" + fh.read() + b"\0")
    value = h.hexdigest()
    since = _now_in(directory) if directory is not None else None
    if cache is not None and since is not None and all(st.st_ctime_ns < since for _, st in statuses):
        with contextlib.suppress(OSError):
            _replace(cache, f"{key} {value}".encode())
    return value


def _package_files(package: str) -> list[tuple[str, str]]:
    """``(path relative to the package, path)`` of each file the tool's behaviour comes from, sorted."""
    out = []
    for directory, dirs, names in os.walk(package):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for name in names:
            if name.endswith((".py", ".json", ".j2", ".yaml")):
                path = os.path.join(directory, name)
                out.append((os.path.relpath(path, package).replace(os.sep, "/"), path))
    return sorted(out)


#: The module that carries each library's ``__version__``.
_MODULES = {"jinja2": "jinja2", "PyYAML": "yaml", "yaml-rs": "yaml_rs"}


def _version(lib: str) -> str:
    """``lib``'s version as its module states it, else as its installed metadata does."""
    import importlib

    module = _MODULES.get(lib)
    stated = getattr(importlib.import_module(module), "__version__", None) if module else None
    if isinstance(stated, str):
        return stated
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(lib)
    except PackageNotFoundError:
        return "?"


def shared_digest(root: Path) -> str | None:
    """Digest of what every environment's render reads: templates, policies, the tool."""
    h = hashlib.blake2b(digest_size=20)
    h.update(tool_digest().encode())
    for top in ("templates", "policies"):
        for path in _tree_files(root / top):
            data = _read_regular(path)
            if data is None:
                return None  # a symlinked or special file: never cached
            h.update(path.relative_to(root).as_posix().encode() + b"\0" + data + b"\0")
    return h.hexdigest()


def _chain(env_dir: Path, text: bytes) -> list[Path]:
    """The files ``text`` extends, nearest first, to the chain's end (``_defaults`` unless ``extends: none``).

    A chain the pattern cannot follow (written some other way, a cycle, too deep) depends on every
    file in ``environments/``: a needless render, never a stale skip.
    """
    bases: list[Path] = []
    while True:
        found = _EXTENDS.search(text.decode("utf-8", "replace"))
        if found is None and b"extends" in text:
            return sorted(env_dir.glob("*.yaml"))
        parent = found.group(1) if found else "_defaults"
        if parent == "none" or (found is None and bases and bases[-1].name == "_defaults.yaml"):
            return bases
        path = env_dir / f"{parent}.yaml"
        if path in bases or len(bases) > 16:
            return sorted(env_dir.glob("*.yaml"))
        bases.append(path)
        data = _read_regular(path)
        if data is None:
            return bases  # absent or special: the digest records it, the render reports it
        text = data


def inputs_digest(root: Path, env: str, shared: str | None) -> str | None:
    """Digest of everything rendering ``env`` reads; ``None`` when it cannot be told (then render).

    ``shared``: ``shared_digest(root)``, taken once for all environments.
    """
    env_dir = root / "environments"
    text = _read_regular(env_dir / f"{env}.yaml")
    if text is None:
        return None  # missing or not a regular file: the render reports it
    bases = _chain(env_dir, text)
    if any(b"extraManifests" in (_read_regular(path) or b"") for path in [env_dir / f"{env}.yaml", *bases]):
        return None  # its render reads a directory of files too: always rendered, never stale
    if shared is None:
        return None
    h = hashlib.blake2b(digest_size=20)
    h.update(f"{_FORMAT}\0{env}\0{shared}\0".encode() + text)
    for base in bases:
        data = _read_regular(base)
        if data is None and (base.exists() or base.is_symlink()):
            return None  # a FIFO, a dangling link...: the render reports it
        h.update(b"\0" + base.name.encode() + b"\0" + (data if data is not None else b"(absent)"))
    return h.hexdigest()


#: A file's status as a stamp records it: ``"inode:size:mtime:ctime"`` (times in ns).
Signature = str
#: A file as a stamp recorded it: its status (if it had settled) and the digest of its bytes.
Recorded = tuple[Signature | None, str]
#: A unit as a stamp records it (``generator.units``): its render key, the services it read (``None``:
#: all of them) and, for a template unit, its files.
UnitRecord = tuple[str, tuple[str, ...] | None, tuple[str, ...] | None]


def signature(st: os.stat_result) -> Signature:
    """A file's ``Signature`` from its ``lstat``."""
    return f"{st.st_ino}:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}"


@dataclass(frozen=True, slots=True)
class Stamp:
    """What an environment's stamp recorded, sealed by this user (whatever its inputs now)."""

    inputs: str
    files: dict[str, str]
    """``{path relative to rendered/: digest of its bytes}``."""
    signatures: dict[str, Signature]
    """The status of each file that had settled when it was recorded (``_settled``)."""
    origins: dict[str, YamlPath]
    """The origin of each file's object (``Manifest.sources``) where it has one."""
    units: dict[str, UnitRecord]
    """``{unit: its record}`` (``generator.units``, ``generator.reuse``)."""


@dataclass(frozen=True, slots=True)
class Kept:
    """An environment whose stamp holds: its rendered files, as its last render wrote them."""

    texts: dict[str, str]
    """``{path relative to rendered/: text}``, sorted by path."""
    origins: dict[str, YamlPath]
    """The origin of each file's object (``Manifest.sources``) where it has one."""


def _key() -> bytes | None:
    """This user's stamp key (created on first use); ``None``: no private cache, so no stamps."""
    directory = private_dir("stamps")
    return _read_key(directory / "key") if directory is not None else None


@functools.cache
def _read_key(path: Path) -> bytes | None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        pass
    except OSError:
        return None
    else:
        with os.fdopen(fd, "wb") as fh:
            fh.write(os.urandom(32))
    data = _read_regular(path)
    return data if data is not None and len(data) == 32 else None


def _seal(key: bytes, body: bytes) -> bytes:
    """The MAC of a stamp's body: only a holder of ``key`` can write a stamp that holds."""
    return hashlib.blake2b(body, key=key, digest_size=20).hexdigest().encode()


def _stamp_path(root: Path, env: str) -> Path:
    return root / STAMP_DIR / f"{env}.json"


def _parsed(inputs: str, body: dict[str, object]) -> Stamp | None:
    """The stamp's fields, typed; ``None`` unless it has the shape ``_write`` gives it.

    The seal proves ``_write`` wrote it with this user's key, so only the shape of what a bug or
    another release of the same format could leave is checked, as the fields are unpacked.
    """
    files, units = body.get("files"), body.get("units")
    if body.get("format") != _FORMAT or not isinstance(files, dict) or not isinstance(units, dict):
        return None
    digests: dict[str, str] = {}
    statuses: dict[str, Signature] = {}
    origins: dict[str, YamlPath] = {}
    try:
        for path, (recorded, status, origin) in files.items():
            digests[path] = recorded
            if status is not None:
                statuses[path] = status
            if origin is not None:
                origins[path] = tuple(origin)
        keys = {
            u: (key, tuple(reads) if reads is not None else None, tuple(made) if made is not None else None)
            for u, (key, reads, made) in units.items()
        }
    except (TypeError, ValueError):
        return None
    return Stamp(inputs, digests, statuses, origins, keys)


def read_stamp(root: Path, env: str, inputs: str | None = None) -> Stamp | None:
    """``env``'s stamp if this user wrote it (sealed) in the current format, else ``None``.

    ``inputs``: only a stamp of these inputs (``inputs_digest``), told before its body is parsed.
    A stamp says what the last render wrote, not that the files are still so: see
    ``unchanged_files``, ``unchanged_paths`` and ``write.compare``. The file is a line with the seal and
    the inputs' digest, then the JSON body; the seal covers both.
    """
    key = _key()
    try:
        head, _, body = _stamp_path(root, env).read_bytes().partition(b"\n")
    except OSError:
        return None
    seal, _, recorded = head.partition(b" ")
    if key is None or (inputs is not None and recorded != inputs.encode()):
        return None
    if seal != _seal(key, recorded + b"\n" + body):
        return None  # not written by this user here: committed, copied or edited
    try:
        fields = json.loads(body)
    except ValueError:
        return None
    return _parsed(recorded.decode(), fields) if isinstance(fields, dict) else None


def recorded_size(root: Path, env: str, inputs: str | None) -> int | None:
    """The size of ``env``'s stamp if its first line names ``inputs``, else ``None`` (not sealed yet)."""
    if inputs is None:
        return None
    try:
        with open(_stamp_path(root, env), "rb") as fh:
            head = fh.readline()
            size = os.fstat(fh.fileno()).st_size
    except OSError:
        return None
    return size if head.rstrip(b"\n").partition(b" ")[2] == inputs.encode() else None


def unchanged_files(root: Path, env: str, inputs: str) -> Kept | None:
    """The files of ``rendered/<env>/`` when its stamp still holds, else ``None`` (for ``check``).

    The stamp holds when ``inputs`` (``inputs_digest``, taken before anything was read) is the
    recorded digest and the files on disk are exactly the recorded ones, byte for byte: every file
    is read (``check`` needs its text) and hashed.
    """
    stamp = read_stamp(root, env, inputs)
    if stamp is None:
        return None
    texts = _recorded_texts(root / "rendered", env, stamp.files)
    return Kept(texts, stamp.origins) if texts is not None else None


def unchanged_paths(root: Path, env: str, inputs: str) -> list[str] | None:
    """The paths of ``rendered/<env>/``'s files when its stamp still holds, else ``None`` (for ``render``).

    As ``unchanged_files``, but a file whose status is the recorded one is not read (module
    docstring). When some files had to be read, their new status is recorded for the next run.
    """
    stamp = read_stamp(root, env, inputs)
    if stamp is None:
        return None
    base = os.path.join(root, "rendered", env)
    if os.path.islink(base) or not os.path.isdir(base):
        return None
    since = _now(root)
    found: dict[str, Signature | None] = {}
    if not _walk(base, env, stamp, since, found) or len(found) != len(stamp.files):
        return None
    fresh = {p: s for p, s in found.items() if s is not None and stamp.signatures.get(p) != s}
    if fresh:
        _write(root, env, stamp, {p: s for p, s in {**stamp.signatures, **fresh}.items() if p in found})
    return sorted(found)


def as_recorded(path: str, status: Signature, recorded: Recorded) -> bool:
    """True when the file at ``path`` (whose status is ``status``) is as a stamp recorded it.

    Its recorded status, else its recorded bytes (read and hashed): see the module docstring.
    """
    if status == recorded[0]:
        return True
    try:
        with open(path, "rb") as fh:
            return digest(fh.read()) == recorded[1]
    except OSError:
        return False


def _files(directory: str, rel: str) -> Iterator[tuple[str, os.DirEntry[str] | None]]:
    """``(path under rendered/, entry)`` of each regular file below ``directory``, ``None`` for others.

    Anything that is neither a directory nor a regular file (a symlink, a FIFO...) comes with
    ``None``. ``os.scandir`` and string paths: this walks every file of every unchanged environment.
    """
    with os.scandir(directory) as it:
        for entry in it:
            path = f"{rel}/{entry.name}"
            if entry.is_dir(follow_symlinks=False):
                yield from _files(entry.path, path)
            else:
                yield path, entry if entry.is_file(follow_symlinks=False) else None


def _walk(base: str, env: str, stamp: Stamp, since: int | None, found: dict[str, Signature | None]) -> bool:
    """Add each file of ``base`` to ``found`` (its status if settled); False on any difference."""
    for path, entry in _files(base, env):
        recorded = stamp.files.get(path)
        if entry is None or recorded is None:
            return False  # a symlink, FIFO... or a file the stamp does not know: the compare reports it
        st = entry.stat(follow_symlinks=False)
        sig = signature(st)
        if not as_recorded(entry.path, sig, (stamp.signatures.get(path), recorded)):
            return False
        found[path] = sig if since is not None and st.st_ctime_ns < since else None
    return True


def _now(root: Path) -> int | None:
    """The file system's clock now (ns): the change time of a file made for the purpose.

    A file whose change time is not before it may still change within the same tick without its
    status showing it: its status is not recorded (``_settled``). ``None`` when it cannot be told.
    """
    return _now_in(root / STAMP_DIR)


def _now_in(directory: Path) -> int | None:
    """``_now`` in ``directory`` (made if missing)."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".now.", dir=directory)
    except OSError:
        return None
    try:
        return os.fstat(fd).st_ctime_ns
    finally:
        os.close(fd)
        os.unlink(tmp)


def _recorded_texts(rendered: Path, env: str, recorded: Mapping[str, str]) -> dict[str, str] | None:
    """The texts of ``rendered/<env>``'s files (paths relative to ``rendered/``) if each is as recorded.

    ``None`` on a file that is not recorded, not its recorded bytes (each one's digest) or not
    UTF-8, on a special entry, and when a recorded file is missing. Each file's bytes are let go
    once decoded: the texts of an environment of 1,000 services are 70 MB. ``os.scandir`` and
    string paths: this reads every file of every unchanged environment.
    """
    base = os.path.join(rendered, env)
    if os.path.islink(base) or not os.path.isdir(base):
        return None
    out: dict[str, str] = {}
    if not _read_tree(base, env, recorded, out) or len(out) != len(recorded):
        return None
    return dict(sorted(out.items()))


def _read_tree(base: str, env: str, recorded: Mapping[str, str], out: dict[str, str]) -> bool:
    """Add ``{path: text}`` of the files of ``base`` to ``out``; False on any difference."""
    for path, entry in _files(base, env):
        if entry is None:
            return False  # a symlink, FIFO...: the full compare reports it
        with open(entry.path, "rb") as fh:
            data = fh.read()
        if recorded.get(path) != digest(data):
            return False
        try:
            out[path] = data.decode("utf-8")
        except UnicodeDecodeError:
            return False
    return True


def _settled(root: Path, paths: Iterable[str], since: int | None) -> dict[str, Signature]:
    """The status of each of ``paths`` that changed before ``since`` (``_now``): those can be trusted."""
    out: dict[str, Signature] = {}
    if since is None:
        return out
    top = os.path.join(root, "rendered")
    for path in paths:
        try:
            st = os.lstat(f"{top}/{path}")
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode) and st.st_ctime_ns < since:
            out[path] = signature(st)
    return out


def _replace(path: Path, data: bytes) -> None:
    """Write ``path`` whole or not at all (a temporary file beside it, renamed over it)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _write(root: Path, env: str, stamp: Stamp, signatures: Mapping[str, Signature]) -> None:
    """Write ``env``'s stamp (``stamp`` with ``signatures``), sealed (``read_stamp``); best effort."""
    key = _key()
    if key is None:
        return
    origins = stamp.origins
    fields: dict[str, object] = {
        "format": _FORMAT,
        "files": {p: [d, signatures.get(p), origins.get(p)] for p, d in stamp.files.items()},
        "units": {u: [k, r, m] for u, (k, r, m) in stamp.units.items()},
    }
    directory = root / STAMP_DIR
    try:
        directory.mkdir(parents=True, exist_ok=True)
        ignore = directory.parent / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# gitops-gen's local cache: never committed\n*\n", encoding="utf-8")
        sealed = stamp.inputs.encode() + b"\n" + json.dumps(fields, separators=(",", ":")).encode()
        _replace(_stamp_path(root, env), _seal(key, sealed) + b" " + sealed)
    except OSError:
        return


def record(
    root: Path,
    envs: Iterable[str],
    files: Mapping[str, str],
    inputs: Mapping[str, str | None],
    origins: Mapping[str, YamlPath],
    *,
    reused: Mapping[str, tuple[Stamp, Collection[str]]] | None = None,
    units: Mapping[str, Mapping[str, UnitRecord]] | None = None,
) -> None:
    """Stamp each of ``envs`` as rendered from ``inputs[env]`` into exactly its ``files``.

    ``origins``: each file's object's origin, where it has one (``Kept.origins``). ``reused``: per
    environment, its previous stamp and the paths of the files it still stands for (reused, not
    rendered: ``generator.reuse``). ``units``: each environment's unit records.

    Best effort: a stamp that cannot be written only means the next run renders.
    """
    if _key() is None:
        return
    since = _now(root)
    for env in envs:
        given = inputs.get(env)
        if given is None:
            continue
        prefix = f"{env}/"
        hashes = {p: digest(t.encode("utf-8")) for p, t in files.items() if p.startswith(prefix)}
        located = {p: o for p, o in origins.items() if p in hashes}
        old, same = (reused or {}).get(env, (None, ()))
        if old is not None:
            hashes.update({p: old.files[p] for p in same})
            located.update({p: old.origins[p] for p in same if p in old.origins})
        stamp = Stamp(given, dict(sorted(hashes.items())), {}, located, dict((units or {}).get(env, {})))
        _write(root, env, stamp, _settled(root, hashes, since))
