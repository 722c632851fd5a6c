"""Render stamps: which environments can skip rendering because nothing they depend on changed.

A stamp records, per environment, a digest of everything its render reads (its environment file
and the file it extends, every template and policy file, and the tool itself: its version, its
source and the versions of the libraries that shape the output) and a digest of every file
``rendered/<env>/`` held right after a render or a clean ``render --check``, with the part of the
environment file each file's object came from (its origin: ``("services", 2)``, what locates a
finding at the environment's line). When both digests still match, rendering that environment
again would produce exactly the files it already has, so ``render`` and ``render --check`` report
them ``identical`` without rendering, and ``check`` reads the objects back from their files
(``generator.reread``) instead of rendering them again.

Stamps live in ``.gitops-gen/stamps/`` at the project root (git-ignored by a ``.gitignore`` written
inside it): never under ``rendered/``, which Argo CD syncs. They are only a cache: a missing,
corrupt or foreign stamp means "render it". The rendered files are always re-read and hashed, so
a hand edit, a deleted or added file or a symlink under ``rendered/<env>/`` is seen as before.
Each stamp is sealed with a key only this user on this machine holds (``stamps/key`` in the private
cache, ``generator.usercache``): a stamp committed to the repository, or rewritten to match a hand
edit, never holds, so CI's ``check`` on a clean clone compares every file.
Reads files; writes only its own directory (never ``rendered/``).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import stat
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from generator.location import YamlPath
from generator.usercache import private_dir

__all__ = ["STAMP_DIR", "Kept", "inputs_digest", "record", "unchanged_files"]

#: Where stamps live, relative to the project root.
STAMP_DIR = Path(".gitops-gen") / "stamps"
_FORMAT = 2
_EXTENDS = re.compile(r"^extends:[ \t]*['\"]?([^'\"\s#]+)", re.MULTILINE)
#: Libraries whose version can change the rendered bytes (gitops-gen's own files are hashed).
_LIBRARIES = ("jinja2", "PyYAML", "yaml-rs")


def _digest(data: bytes) -> str:
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


@functools.cache
def _tool() -> str:
    """The tool's fingerprint: library versions and every file of the ``generator`` package.

    The libraries' versions come from their modules (``__version__``, equal to their installed
    metadata; tested), which every render has imported anyway: reading the metadata instead costs
    20 ms of every command's start-up.
    """
    h = hashlib.blake2b(digest_size=20)
    for lib in _LIBRARIES:
        h.update(f"{lib}={_version(lib)}\n".encode())
    package = Path(__file__).resolve().parent
    for path in _tree_files(package):
        if path.suffix in (".py", ".json", ".j2", ".yaml") and "__pycache__" not in path.parts:
            h.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


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


def _shared(root: Path) -> str | None:
    """Digest of what every environment's render reads: templates, policies, the tool."""
    h = hashlib.blake2b(digest_size=20)
    h.update(_tool().encode())
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


def inputs_digest(root: Path, env: str) -> str | None:
    """Digest of everything rendering ``env`` reads; ``None`` when it cannot be told (then render)."""
    env_dir = root / "environments"
    text = _read_regular(env_dir / f"{env}.yaml")
    if text is None:
        return None  # missing or not a regular file: the render reports it
    bases = _chain(env_dir, text)
    if any(b"extraManifests" in (_read_regular(path) or b"") for path in [env_dir / f"{env}.yaml", *bases]):
        return None  # its render reads a directory of files too: always rendered, never stale
    shared = _shared(root)
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


def _read_tree(directory: str, rel: str, recorded: Mapping[str, str], out: dict[str, str]) -> bool:
    """Add ``{rel/name: text}`` of the files below ``directory`` to ``out``; False on any difference."""
    with os.scandir(directory) as it:
        for entry in it:
            path = f"{rel}/{entry.name}"
            if entry.is_dir(follow_symlinks=False):
                if not _read_tree(entry.path, path, recorded, out):
                    return False
            elif entry.is_file(follow_symlinks=False):
                with open(entry.path, "rb") as fh:
                    data = fh.read()
                if recorded.get(path) != _digest(data):
                    return False
                try:
                    out[path] = data.decode("utf-8")
                except UnicodeDecodeError:
                    return False
            else:
                return False  # a symlink, FIFO...: the full compare reports it
    return True


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


def _seal(key: bytes, inputs: str, files: Mapping[str, str], origins: object) -> str:
    """The stamp's MAC: only a holder of ``key`` can write a stamp that holds."""
    text = json.dumps({"files": files, "inputs": inputs, "origins": origins}, sort_keys=True)
    return hashlib.blake2b(text.encode(), key=key, digest_size=20).hexdigest()


def _stamp_path(root: Path, env: str) -> Path:
    return root / STAMP_DIR / f"{env}.json"


@dataclass(frozen=True, slots=True)
class Kept:
    """An environment whose stamp holds: its rendered files, as its last render wrote them."""

    texts: dict[str, str]
    """``{path relative to rendered/: text}``, sorted by path."""
    origins: dict[str, YamlPath]
    """The origin of each file's object (``Manifest.sources``) where it has one."""


def _recorded_origins(recorded: object, paths: Iterable[str]) -> dict[str, YamlPath] | None:
    """The recorded origins as YAML paths; ``None`` unless each is a list of keys and indices of a file."""
    if not isinstance(recorded, dict) or not recorded.keys() <= set(paths):
        return None
    out: dict[str, YamlPath] = {}
    for path, origin in recorded.items():
        if not isinstance(origin, list) or not all(type(k) in (str, int) for k in origin):
            return None
        out[path] = tuple(origin)
    return out


def unchanged_files(root: Path, env: str, inputs: str) -> Kept | None:
    """The files of ``rendered/<env>/`` when its stamp still holds, else ``None``.

    The stamp holds when ``inputs`` (``inputs_digest``, taken before anything was read) is the
    recorded digest and the files on disk are exactly the recorded ones, byte for byte (every file
    is read and hashed).
    """
    key = _key()
    try:
        stamp = json.loads(_stamp_path(root, env).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if key is None or not isinstance(stamp, dict) or stamp.get("inputs") != inputs:
        return None
    recorded = stamp.get("files")
    origins = stamp.get("origins")
    if not isinstance(recorded, dict) or stamp.get("seal") != _seal(key, inputs, recorded, origins):
        return None  # not written by this user here: committed, copied or edited
    located = _recorded_origins(origins, recorded)
    if located is None:
        return None
    texts = _recorded_texts(root / "rendered", env, recorded)
    return Kept(texts, located) if texts is not None else None


def record(
    root: Path,
    envs: Iterable[str],
    files: Mapping[str, str],
    inputs: Mapping[str, str | None],
    origins: Mapping[str, YamlPath],
) -> None:
    """Stamp each of ``envs`` as rendered from ``inputs[env]`` into exactly its ``files``.

    ``origins``: each file's object's origin, where it has one (``Kept.origins``).

    Best effort: a stamp that cannot be written only means the next run renders.
    """
    directory = root / STAMP_DIR
    key = _key()
    if key is None:
        return
    try:
        directory.mkdir(parents=True, exist_ok=True)
        ignore = directory.parent / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# gitops-gen's local cache: never committed\n*\n", encoding="utf-8")
        for env in envs:
            digest = inputs.get(env)
            if digest is None:
                continue
            prefix = f"{env}/"
            hashes = {p: _digest(t.encode("utf-8")) for p, t in files.items() if p.startswith(prefix)}
            located = {p: list(o) for p, o in origins.items() if p in hashes}
            seal = _seal(key, digest, hashes, located)
            stamp = {"inputs": digest, "files": hashes, "origins": located, "seal": seal}
            fd, tmp = tempfile.mkstemp(prefix=f".{env}.", dir=directory)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(stamp, fh, sort_keys=True)
            os.replace(tmp, _stamp_path(root, env))
    except OSError:
        return
