"""Validate many files: serially for small inputs, on every core for large ones.

Reading is most of the cost, so large inputs are split into chunks of similar byte size and handed
to a process pool: each worker reads its own files, builds one ``Engine`` (compiling each kind it
meets once) and returns only ``Finding`` records, keyed by the file's position in the input. Files
are grouped by the kind their name suggests (``rendered/`` names each file ``<kind>-<name>.yaml``)
before chunking, so each worker meets, and compiles, about half of the kinds instead of all of
them (compiling is ~15 % of a worker's time at 200 services). The grouping is only a hint: any
names work, and the parent puts the findings back in input order, so the output is identical to a
serial run. Reads the manifests; writes nothing.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from generator.documents import Document, iter_manifest_files, load_file
from generator.errors import GeneratorError, ManifestLoadError
from generator.findings import Finding
from generator.schema.cel_rules import EVALUATION_ERROR, NOT_COMPILED
from generator.schema.engine import Engine, Options
from generator.workers import worker_pool

__all__ = ["Result", "validate_files", "validate_paths"]

#: Inputs smaller than this many bytes are validated in-process: a pool costs ~0.2 s to start.
PARALLEL_MIN_BYTES = 2 * 1024 * 1024
CHUNKS_PER_WORKER = 4
#: How long a worker waits for the parent to decide the Kubernetes version (it takes 0.2 s).
VERSION_WAIT_SECONDS = 600.0


@dataclass(frozen=True, slots=True)
class Result:
    """Findings (file order, best match first within a document) and the summary counts."""

    findings: tuple[Finding, ...]
    files: int
    documents: int
    kinds: dict[str, int] = field(default_factory=dict)
    kubernetes_version: str = ""

    def summary(self, options: Options) -> dict[str, Any]:
        """The ``summary`` object of every output format (a contract: keys are only ever added)."""
        severities = Counter(f.severity for f in self.findings)
        return {
            "files": self.files,
            "documents": self.documents,
            "errors": severities.get("error", 0),
            "warnings": severities.get("warning", 0),
            "unknown_kinds": sum(1 for f in self.findings if f.rule == "unknown-kind"),
            "cel_unevaluated": sum(1 for f in self.findings if f.message.startswith(NOT_COMPILED)),
            "cel_errors": sum(1 for f in self.findings if f.message.startswith(EVALUATION_ERROR)),
            "kubernetes_version": self.kubernetes_version,
            "strict": options.strict,
        }


class _PendingVersion:
    """The Kubernetes version, decided by the parent while the workers already read their files.

    ``validate`` reads ``environments/`` for the EKS version (0.15 s at 200 services): parsing
    manifests needs no version, so the pool starts first and each worker waits here only before
    building its ``Engine``. Shared memory of the pool's own (default) ``multiprocessing`` context.
    """

    def __init__(self) -> None:
        context = multiprocessing.get_context()
        self._ready = context.Event()
        self._value = context.Array("c", 64, lock=False)

    def set(self, version: str) -> None:
        """Publish the version (``""``: the parent failed, the workers give up at once)."""
        self._value.value = version.encode()
        self._ready.set()

    def abandoned(self) -> bool:
        return self._ready.is_set() and not self._value.value

    def ready(self) -> bool:
        return self._ready.is_set()

    def wait(self) -> str:
        if not self._ready.wait(VERSION_WAIT_SECONDS) or self.abandoned():
            raise RuntimeError("the parent process decided no Kubernetes version")
        return bytes(self._value.value).decode()


#: ``engine(block)``: the engine, or ``None`` while its version is undecided and ``block`` is false.
EngineSource = Callable[[bool], Engine | None]


#: The worker process's options and engine: kinds compile once per process, not once per chunk.
_WORKER: dict[str, Any] = {}


def _init_worker(options: Options, version: _PendingVersion | None) -> None:
    _WORKER["options"] = options
    _WORKER["version"] = version


def _worker_engine(block: bool) -> Engine | None:
    if "engine" not in _WORKER:
        options, version = _WORKER["options"], _WORKER["version"]
        if version is not None:
            if not (block or version.ready()):
                return None
            options = dataclasses.replace(options, kubernetes_version=version.wait())
        _WORKER["engine"] = Engine(options)
    engine: Engine = _WORKER["engine"]
    return engine


def _check_chunk(chunk: Sequence[tuple[int, str]]) -> _ChunkResult:
    version: _PendingVersion | None = _WORKER["version"]
    if version is not None and version.abandoned():  # the parent is failing: let its pool close fast
        return _ChunkResult()
    return _check_files(_worker_engine, chunk)


@dataclass(slots=True)
class _ChunkResult:
    """What one chunk of files yields: findings per input position, counts, and files that hold CRDs."""

    per_file: list[tuple[int, str, list[Finding]]] = field(default_factory=list)
    documents: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    crd_files: list[tuple[int, str]] = field(default_factory=list)
    """``(position, file)`` of files holding a CRD: registered in input order (the first one wins)."""
    error: tuple[int, GeneratorError] | None = None
    """The error of the earliest file (in input order) that failed: the one a serial run raises."""

    def failed_before(self, position: int) -> bool:
        return self.error is not None and self.error[0] < position

    def fail(self, position: int, error: GeneratorError) -> None:
        if self.error is None or position < self.error[0]:
            self.error = (position, error)


def _check_files(engine: EngineSource, chunk: Sequence[tuple[int, str]]) -> _ChunkResult:
    """Read each file of ``chunk`` and check its documents, streaming once the engine exists.

    Until its version is decided (see ``_PendingVersion``) files are read ahead, so the wait is
    spent reading. A file that fails records its error and the files after it in input order are
    skipped, so the error kept is the one a serial run stops at, whatever order the chunk is in.
    """
    out = _ChunkResult()
    waiting: list[tuple[int, str, list[Document]]] = []
    for position, file in chunk:
        if out.failed_before(position):
            continue
        try:
            waiting.append((position, file, load_file(file)))
        except GeneratorError as e:
            out.fail(position, e)
            continue
        checker = engine(False)
        if checker is not None:
            _check_read(checker, waiting, out)
    if waiting:
        checker = engine(True)
        assert checker is not None, "a blocking engine source always gives one"
        _check_read(checker, waiting, out)
    return out


def _check_read(engine: Engine, waiting: list[tuple[int, str, list[Document]]], out: _ChunkResult) -> None:
    """Check the documents of the files read so far into ``out`` (``waiting`` is emptied)."""
    for position, file, docs in waiting:
        if out.failed_before(position):
            continue
        findings: list[Finding] = []
        try:
            for doc in docs:
                if doc.kind == "CustomResourceDefinition" and (position, file) not in out.crd_files[-1:]:
                    out.crd_files.append((position, file))
                findings.extend(engine.check(doc))
        except GeneratorError as e:
            out.fail(position, e)
            continue
        out.documents += len(docs)
        out.kinds.update(f"{doc.api_version} {doc.kind}" for doc in docs)
        out.per_file.append((position, file, findings))
    waiting.clear()


def _kind_hint(file: str) -> str:
    """The kind a file's name suggests: ``rendered/`` writes ``<kind>-<name>.yaml``; else any word."""
    return os.path.basename(file).partition("-")[0].lower()


def _chunks(files: Sequence[str], sizes: Sequence[int], count: int) -> list[list[tuple[int, str]]]:
    """``count`` runs of ``(position, file)`` of about equal total size, files of one kind together."""
    order = sorted(range(len(files)), key=lambda i: (_kind_hint(files[i]), i))
    target = max(sum(sizes) / max(count, 1), 1)
    out: list[list[tuple[int, str]]] = [[]]
    acc = 0
    for i in order:
        if acc >= target and len(out) < count:
            out.append([])
            acc = 0
        out[-1].append((i, files[i]))
        acc += sizes[i]
    return [c for c in out if c]


def validate_files(
    files: Sequence[str],
    options: Options,
    *,
    jobs: int | None = None,
    version: Callable[[], str | None] | None = None,
) -> Result:
    """Validate ``files``; ``jobs`` workers (default: every core when the input is large).

    ``version``, when given, decides ``options.kubernetes_version`` (``validate`` reads it from
    ``environments/``); on every core it runs while the workers read their files.

    CRDs among the input define kinds too. Rather than parse every file twice, documents of kinds
    no schema knows are validated again at the end, once every input CRD has been registered.

    Raises:
        GeneratorError: the first file (in input order) that cannot be read, as a serial run
            raises it; bad options (version, CRD directories).
    """
    sizes = [_size(f) for f in files]
    if jobs is None:
        jobs = (os.cpu_count() or 1) if sum(sizes) >= PARALLEL_MIN_BYTES else 1
    if jobs <= 1 or len(files) < 2:
        engine = Engine(_decided(options, version))
        parts = [_check_files(lambda _: engine, list(enumerate(files)))]
    else:
        parts, engine = _in_workers(files, sizes, jobs, options, version)
    failures = [part.error for part in parts if part.error is not None]
    if failures:
        raise min(failures, key=_first)[1]
    crd_files = [file for _, file in sorted(entry for part in parts for entry in part.crd_files)]
    if crd_files:
        engine.register_input_crds(crd_files)
    findings: list[Finding] = []
    kinds: Counter[str] = Counter()
    for part in parts:
        kinds.update(part.kinds)
    for position, file, found in sorted((p for part in parts for p in part.per_file), key=_first):
        if crd_files and any(f.rule == "unknown-kind" for f in found):
            again = _check_files(lambda _: engine, [(position, file)])
            if again.error is not None:
                raise again.error[1]
            findings.extend(again.per_file[0][2])
        else:
            findings.extend(found)
    return Result(
        findings=tuple(findings),
        files=len(files),
        documents=sum(p.documents for p in parts),
        kinds=dict(sorted(kinds.items())),
        kubernetes_version=engine.version,
    )


def _in_workers(
    files: Sequence[str],
    sizes: Sequence[int],
    jobs: int,
    options: Options,
    version: Callable[[], str | None] | None,
) -> tuple[list[_ChunkResult], Engine]:
    """Every chunk's result from ``jobs`` workers, and the parent's engine for the same options."""
    chunks = _chunks(files, sizes, jobs * CHUNKS_PER_WORKER)
    if version is None:
        engine = Engine(options)  # validates the options before any worker starts
        shared, pending = dataclasses.replace(options, kubernetes_version=engine.version), None
    else:
        shared, pending = options, _PendingVersion()
    with worker_pool(jobs, initializer=_init_worker, initargs=(shared, pending)) as pool:
        results = pool.map(_check_chunk, chunks)  # all submitted: the workers start reading
        if pending is not None:
            decided = ""
            try:
                engine = Engine(_decided(options, version))
                decided = engine.version
            finally:  # on an error too: the pool waits for its running chunks before it closes
                pending.set(decided)
        return list(results), engine


def _decided(options: Options, version: Callable[[], str | None] | None) -> Options:
    return options if version is None else dataclasses.replace(options, kubernetes_version=version())


def validate_paths(
    paths: Sequence[str],
    options: Options,
    *,
    jobs: int | None = None,
    version: Callable[[], str | None] | None = None,
) -> Result:
    """Validate every manifest file under ``paths`` (files or directories, recursively).

    Raises:
        ManifestLoadError: a path does not exist, or no manifest file was found at all (an empty
            ``rendered/`` passing as valid would hide a broken pipeline).
    """
    files = list(iter_manifest_files(paths))
    if not files:
        raise ManifestLoadError(
            "no manifest files (*.yaml, *.yml, *.json) found",
            path=", ".join(paths),
            hint="check the path, or run `make render` first",
        )
    return validate_files(files, options, jobs=jobs, version=version)


def _first(entry: tuple[int, Any] | tuple[int, str, list[Finding]]) -> int:
    """The input position an entry is about (sort key)."""
    return entry[0]


def _size(file: str) -> int:
    """Bytes of ``file`` for balancing work; 0 when unreadable (``load_file`` then says why)."""
    try:
        return os.path.getsize(file)
    except OSError:
        return 0
