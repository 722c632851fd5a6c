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

import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from generator.documents import iter_manifest_files, load_file
from generator.errors import ManifestLoadError
from generator.findings import Finding
from generator.schema.cel_rules import EVALUATION_ERROR, NOT_COMPILED
from generator.schema.engine import Engine, Options
from generator.workers import worker_pool

__all__ = ["Result", "validate_files", "validate_paths"]

#: Inputs smaller than this many bytes are validated in-process: a pool costs ~0.2 s to start.
PARALLEL_MIN_BYTES = 2 * 1024 * 1024
CHUNKS_PER_WORKER = 4


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


#: The worker process's engine: kinds compile once per process, not once per chunk.
_WORKER: dict[str, Engine] = {}


def _init_worker(options: Options) -> None:
    _WORKER["engine"] = Engine(options)


def _check_chunk(chunk: Sequence[tuple[int, str]]) -> _ChunkResult:
    return _check_files(_WORKER["engine"], chunk)


@dataclass(slots=True)
class _ChunkResult:
    """What one chunk of files yields: findings per input position, counts, and files that hold CRDs."""

    per_file: list[tuple[int, str, list[Finding]]] = field(default_factory=list)
    documents: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    crd_files: list[tuple[int, str]] = field(default_factory=list)
    """``(position, file)`` of files holding a CRD: registered in input order (the first one wins)."""


def _check_files(engine: Engine, chunk: Sequence[tuple[int, str]]) -> _ChunkResult:
    out = _ChunkResult()
    for position, file in chunk:
        findings: list[Finding] = []
        for doc in load_file(file):
            out.documents += 1
            out.kinds[f"{doc.api_version} {doc.kind}"] += 1
            if doc.kind == "CustomResourceDefinition" and (position, file) not in out.crd_files[-1:]:
                out.crd_files.append((position, file))
            findings.extend(engine.check(doc))
        out.per_file.append((position, file, findings))
    return out


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


def validate_files(files: Sequence[str], options: Options, *, jobs: int | None = None) -> Result:
    """Validate ``files``; ``jobs`` workers (default: every core when the input is large).

    CRDs among the input define kinds too. Rather than parse every file twice, documents of kinds
    no schema knows are validated again at the end, once every input CRD has been registered.
    """
    sizes = [_size(f) for f in files]
    engine = Engine(options)  # validates options (version, CRD dirs) before any worker starts
    if jobs is None:
        jobs = (os.cpu_count() or 1) if sum(sizes) >= PARALLEL_MIN_BYTES else 1
    parts: list[_ChunkResult] = []
    if jobs <= 1 or len(files) < 2:
        parts.append(_check_files(engine, list(enumerate(files))))
    else:
        chunks = _chunks(files, sizes, jobs * CHUNKS_PER_WORKER)
        with worker_pool(jobs, initializer=_init_worker, initargs=(options,)) as pool:
            parts.extend(pool.map(_check_chunk, chunks))
    crd_files = [file for _, file in sorted(entry for part in parts for entry in part.crd_files)]
    if crd_files:
        engine.register_input_crds(crd_files)
    findings: list[Finding] = []
    kinds: Counter[str] = Counter()
    for part in parts:
        kinds.update(part.kinds)
    for position, file, found in sorted((p for part in parts for p in part.per_file), key=_position):
        if crd_files and any(f.rule == "unknown-kind" for f in found):
            findings.extend(_check_files(engine, [(position, file)]).per_file[0][2])
        else:
            findings.extend(found)
    return Result(
        findings=tuple(findings),
        files=len(files),
        documents=sum(p.documents for p in parts),
        kinds=dict(sorted(kinds.items())),
        kubernetes_version=engine.version,
    )


def validate_paths(paths: Sequence[str], options: Options, *, jobs: int | None = None) -> Result:
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
    return validate_files(files, options, jobs=jobs)


def _position(entry: tuple[int, str, list[Finding]]) -> int:
    return entry[0]


def _size(file: str) -> int:
    """Bytes of ``file`` for balancing work; 0 when unreadable (``load_file`` then says why)."""
    try:
        return os.path.getsize(file)
    except OSError:
        return 0
