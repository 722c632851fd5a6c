"""Check a rendered tree on disk (no environments, no source map), on every core when it is large.

Stage: beside ``generator.check``, for trees checked without rendering them (the bench fleet, a
checkout's ``rendered/`` alone). Loading is most of the cost, so whole environments go to worker
processes (environment checks compare the clusters of one environment, so an environment is never
split): each loads its files and runs ``check_subjects`` (schema validation, each cluster's
ClusterPolicies, cluster and environment checks) and returns located findings. The first group
runs in this process. Results are identical to a serial run. Reads files; writes nothing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from generator.check import CheckResult, Scope, Subject, check_subjects
from generator.documents import load_file
from generator.findings import Finding
from generator.manifest import Manifest

__all__ = ["check_tree"]

#: Trees smaller than this many files are checked in-process: a pool costs ~0.3 s to start.
PARALLEL_MIN_FILES = 2000


def _env_files(rendered: Path) -> dict[str, list[Path]]:
    """Manifest files per environment: ``<env>/<cluster>/<component>/<scope>/<file>.yaml``."""
    out: dict[str, list[Path]] = {}
    cut = len(str(rendered)) + 1  # string slicing: Path.relative_to costs ~10 µs a file
    for path in sorted(rendered.rglob("*.yaml")):
        rel = str(path)[cut:].split(os.sep)
        if len(rel) == 5:
            out.setdefault(rel[0], []).append(path)
    return out


def _subjects(rendered: Path, paths: Sequence[Path]) -> list[Subject]:
    subjects = []
    cut = len(str(rendered)) + 1
    for path in paths:
        rel = str(path)[cut:].split(os.sep)
        shown = "rendered/" + "/".join(rel)
        for doc in load_file(shown, text=path.read_text(encoding="utf-8")):
            subjects.append(Subject(Manifest(rel[0], rel[1], rel[2], doc.body), doc))
    return subjects


def _check_group(
    rendered: Path,
    envs: Sequence[str],
    files: Mapping[str, list[Path]],
    crd_dirs: Sequence[str] | None,
    repo_files: frozenset[str],
) -> CheckResult:
    subjects = _subjects(rendered, [p for env in envs for p in files[env]])
    return check_subjects(subjects, crd_dirs=crd_dirs, repo_files=repo_files, environments=envs)


def _groups(files: Mapping[str, list[Path]], jobs: int) -> list[list[str]]:
    """Whole environments into ``jobs`` groups of similar file counts (largest first, greedy)."""
    groups: list[list[str]] = [[] for _ in range(jobs)]
    sizes = [0] * jobs
    for env in sorted(files, key=lambda e: (-len(files[e]), e)):
        i = sizes.index(min(sizes))
        groups[i].append(env)
        sizes[i] += len(files[env])
    return [sorted(g) for g in groups if g]


def check_tree(rendered: Path, *, crd_dirs: Sequence[str] | None, jobs: int | None = None) -> CheckResult:
    """Check every ``<env>/<cluster>/<component>/<scope>/<file>.yaml`` under ``rendered``.

    Args:
        rendered: the ``rendered/`` directory.
        crd_dirs: CRD directories for schema validation; ``None`` skips the schema stage.
        jobs: worker processes (default: every core when the tree is large).
    """
    files = _env_files(rendered)
    count = sum(len(p) for p in files.values())
    cut = len(str(rendered)) + 1
    repo_files = frozenset(
        "rendered/" + str(p)[cut:].replace(os.sep, "/") for ps in files.values() for p in ps
    )
    if jobs is None:
        jobs = (os.cpu_count() or 1) if count >= PARALLEL_MIN_FILES else 1
    groups = _groups(files, max(1, min(jobs, len(files)))) or [[]]
    if len(groups) == 1:
        parts = [_check_group(rendered, groups[0], files, crd_dirs, repo_files)]
    else:
        with ProcessPoolExecutor(len(groups) - 1) as pool:
            futures = [
                pool.submit(_check_group, rendered, g, files, crd_dirs, repo_files) for g in groups[1:]
            ]
            parts = [_check_group(rendered, groups[0], files, crd_dirs, repo_files)]
            parts += [f.result() for f in futures]
    scopes: dict[Scope, tuple[Finding, ...]] = {}
    for part in parts:
        scopes.update(part.scopes)
    return CheckResult(
        scopes=scopes, documents=sum(p.documents for p in parts), environments=tuple(sorted(files))
    )
