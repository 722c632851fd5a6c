"""Validate many files: serially for small inputs, on every core for large ones.

Parsing YAML is most of the cost (the C loader reads 1,200-3,000 documents/s here; validation
adds 10-15 %), so large inputs are split into contiguous chunks of similar byte size and handed to
a process pool: each worker builds one ``Engine`` (compiling each kind once) and returns plain
``Finding`` records. Chunks are contiguous and results are joined in chunk order, so the output is
identical to a serial run. Reads the manifests; writes nothing.
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


def _check_chunk(files: Sequence[str]) -> _ChunkResult:
    return _check_files(_WORKER["engine"], files)


@dataclass(slots=True)
class _ChunkResult:
    """What one chunk of files yields: findings per file, counts, and files that hold CRDs."""

    per_file: list[tuple[str, list[Finding]]] = field(default_factory=list)
    documents: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    crd_files: list[str] = field(default_factory=list)


def _check_files(engine: Engine, files: Sequence[str]) -> _ChunkResult:
    out = _ChunkResult()
    for file in files:
        findings: list[Finding] = []
        for doc in load_file(file):
            out.documents += 1
            out.kinds[f"{doc.api_version} {doc.kind}"] += 1
            if doc.kind == "CustomResourceDefinition" and file not in out.crd_files:
                out.crd_files.append(file)
            findings.extend(engine.check(doc))
        out.per_file.append((file, findings))
    return out


def _chunks(files: Sequence[str], sizes: Sequence[int], count: int) -> list[list[str]]:
    """Contiguous runs of ``files`` of about equal total size (order preserved)."""
    target = max(sum(sizes) / max(count, 1), 1)
    out: list[list[str]] = [[]]
    acc = 0
    for file, size in zip(files, sizes, strict=True):
        if acc >= target and len(out) < count:
            out.append([])
            acc = 0
        out[-1].append(file)
        acc += size
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
        parts.append(_check_files(engine, files))
    else:
        chunks = _chunks(files, sizes, jobs * CHUNKS_PER_WORKER)
        with worker_pool(jobs, initializer=_init_worker, initargs=(options,)) as pool:
            parts.extend(pool.map(_check_chunk, chunks))
    crd_files = [f for p in parts for f in p.crd_files]
    if crd_files:
        engine.register_input_crds(crd_files)
    findings: list[Finding] = []
    kinds: Counter[str] = Counter()
    for part in parts:
        kinds.update(part.kinds)
        for file, found in part.per_file:
            if crd_files and any(f.rule == "unknown-kind" for f in found):
                findings.extend(_check_files(engine, [file]).per_file[0][1])
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


def _size(file: str) -> int:
    """Bytes of ``file`` for balancing work; 0 when unreadable (``load_file`` then says why)."""
    try:
        return os.path.getsize(file)
    except OSError:
        return 0
