"""Validate many files: serially for small inputs, on every core for large ones.

Parsing YAML is most of the cost (the C loader reads ~1,200 documents/s here; validation adds a
few percent), so large inputs are split into contiguous chunks of similar byte size and handed to
a process pool: each worker builds one ``Engine`` (compiling each kind once) and returns plain
``Finding`` records. Chunks are contiguous and results are joined in chunk order, so the output is
identical to a serial run. Reads the manifests; writes nothing.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.documents import iter_manifest_files, load_file
from generator.findings import Finding
from generator.schema.engine import Engine, Options

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
            "cel_unevaluated": sum(1 for f in self.findings if f.message.startswith("CEL rule could not")),
            "kubernetes_version": self.kubernetes_version,
            "strict": options.strict,
        }


#: The worker process's engine: kinds compile once per process, not once per chunk.
_WORKER: dict[str, Engine] = {}


def _init_worker(options: Options) -> None:
    _WORKER["engine"] = Engine(options)


def _check_chunk(files: Sequence[str]) -> tuple[list[Finding], int, Counter[str]]:
    return _check_files(_WORKER["engine"], files)


def _check_files(engine: Engine, files: Sequence[str]) -> tuple[list[Finding], int, Counter[str]]:
    findings: list[Finding] = []
    kinds: Counter[str] = Counter()
    documents = 0
    for file in files:
        for doc in load_file(file):
            documents += 1
            kinds[f"{doc.api_version} {doc.kind}"] += 1
            findings.extend(engine.check(doc))
    return findings, documents, kinds


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


def _crd_files(files: Sequence[str]) -> tuple[str, ...]:
    """Input files that hold a CustomResourceDefinition (a byte scan, no YAML parse)."""
    found = []
    for file in files:
        try:
            if b"CustomResourceDefinition" in Path(file).read_bytes():
                found.append(file)
        except OSError:
            continue
    return tuple(found)


def validate_files(files: Sequence[str], options: Options, *, jobs: int | None = None) -> Result:
    """Validate ``files``; ``jobs`` workers (default: every core when the input is large)."""
    sizes = [os.path.getsize(f) for f in files]
    options = Options(
        crd_dirs=options.crd_dirs,
        kubernetes_version=options.kubernetes_version,
        strict=options.strict,
        input_crd_files=_crd_files(files),
    )
    engine = Engine(options)  # validates options (version, CRD dirs) before any worker starts
    if jobs is None:
        jobs = (os.cpu_count() or 1) if sum(sizes) >= PARALLEL_MIN_BYTES else 1
    findings: list[Finding] = []
    kinds: Counter[str] = Counter()
    documents = 0
    if jobs <= 1 or len(files) < 2:
        found, documents, kinds = _check_files(engine, files)
        findings.extend(found)
    else:
        chunks = _chunks(files, sizes, jobs * CHUNKS_PER_WORKER)
        with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(options,)) as pool:
            for found, docs, chunk_kinds in pool.map(_check_chunk, chunks):
                findings.extend(found)
                documents += docs
                kinds.update(chunk_kinds)
    return Result(
        findings=tuple(findings),
        files=len(files),
        documents=documents,
        kinds=dict(sorted(kinds.items())),
        kubernetes_version=engine.version,
    )


def validate_paths(paths: Sequence[str], options: Options, *, jobs: int | None = None) -> Result:
    """Validate every manifest file under ``paths`` (files or directories, recursively)."""
    return validate_files(list(iter_manifest_files(paths)), options, jobs=jobs)
