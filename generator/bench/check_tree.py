"""Check a rendered tree on disk (no environments, no source map), on every core when it is large.

Stage: beside ``generator.gate.check``, for trees checked without rendering them (the bench fleet, a
checkout's ``rendered/`` alone). Loading is most of the cost, so whole clusters go to worker
processes, balanced by file count: each loads its files, runs schema validation, the cluster's
ClusterPolicies and the cluster checks, and returns located findings plus its manifests (pickled
bodies cost a fraction of parsing them). The first group runs in this process; the environment
checks (which compare the clusters of an environment) run here once every cluster is back, and
only their findings are located on disk. Results are identical to a serial run. Reads files;
writes nothing.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from generator.documents import load_file, locate
from generator.findings import Finding
from generator.gate.check import CheckResult, Scope, Subject, cluster_scopes, env_scopes
from generator.manifest import Manifest
from generator.workers import worker_pool

__all__ = ["check_tree"]

#: Trees smaller than this many files are checked in-process: a pool costs ~0.3 s to start.
PARALLEL_MIN_FILES = 2000


Cluster = tuple[str, str]


def _cluster_files(rendered: Path) -> dict[Cluster, list[Path]]:
    """Manifest files per cluster: ``<env>/<cluster>/<component>/<scope>/<file>.yaml``."""
    out: dict[Cluster, list[Path]] = {}
    cut = len(str(rendered)) + 1  # string slicing: Path.relative_to costs ~10 µs a file
    for path in sorted(rendered.rglob("*.yaml")):
        rel = str(path)[cut:].split(os.sep)
        if len(rel) == 5:
            out.setdefault((rel[0], rel[1]), []).append(path)
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


def _check_clusters(
    rendered: Path, paths: Sequence[Path], crd_dirs: Sequence[str] | None, repo_files: frozenset[str]
) -> tuple[dict[Scope, tuple[Finding, ...]], list[Manifest]]:
    subjects = _subjects(rendered, paths)
    scopes = cluster_scopes(subjects, crd_dirs=crd_dirs, repo_files=repo_files)
    return scopes, [s.manifest for s in subjects]


def _groups(clusters: Mapping[Cluster, list[Path]], jobs: int) -> list[list[Path]]:
    """Whole environments into ``jobs`` groups of similar file counts (largest first, greedy).

    An environment stays in one group: its hub's Applications tell each cluster what deploys into it.
    """
    envs: dict[str, list[Path]] = {}
    for (env, _), paths in sorted(clusters.items()):
        envs.setdefault(env, []).extend(paths)
    groups: list[list[Path]] = [[] for _ in range(jobs)]
    for key in sorted(envs, key=lambda k: (-len(envs[k]), k)):
        min(groups, key=len).extend(envs[key])
    return [g for g in groups if g]


def _locate_on_disk(root: Path, f: Finding) -> Finding:
    """Line of an environment-check finding, read from its file (only findings pay for this)."""
    path = root / f.file
    if f.line is not None or not path.is_file():
        return f
    docs = load_file(path)
    if not docs:
        return f
    at = locate(docs[0], f.yaml_path)
    return dataclasses.replace(f, line=at.line, column=at.column)


def check_tree(rendered: Path, *, crd_dirs: Sequence[str] | None, jobs: int | None = None) -> CheckResult:
    """Check every ``<env>/<cluster>/<component>/<scope>/<file>.yaml`` under ``rendered``.

    Args:
        rendered: the ``rendered/`` directory.
        crd_dirs: CRD directories for schema validation; ``None`` skips the schema stage.
        jobs: worker processes (default: every core when the tree is large).
    """
    clusters = _cluster_files(rendered)
    count = sum(len(p) for p in clusters.values())
    cut = len(str(rendered)) + 1
    repo_files = frozenset(
        "rendered/" + str(p)[cut:].replace(os.sep, "/") for ps in clusters.values() for p in ps
    )
    if jobs is None:
        jobs = (os.cpu_count() or 1) if count >= PARALLEL_MIN_FILES else 1
    groups = _groups(clusters, max(1, min(jobs, len({env for env, _ in clusters})))) or [[]]
    if len(groups) == 1:
        parts = [_check_clusters(rendered, groups[0], crd_dirs, repo_files)]
    else:
        with worker_pool(len(groups) - 1) as pool:
            futures = [pool.submit(_check_clusters, rendered, g, crd_dirs, repo_files) for g in groups[1:]]
            parts = [_check_clusters(rendered, groups[0], crd_dirs, repo_files)]
            parts += [f.result() for f in futures]
    scopes: dict[Scope, tuple[Finding, ...]] = {}
    manifests: list[Manifest] = []
    for part_scopes, part_manifests in parts:
        scopes.update(part_scopes)
        manifests.extend(part_manifests)
    envs = sorted({env for env, _ in clusters})
    for scope, found in env_scopes(manifests, envs).items():
        scopes[scope] = tuple(_locate_on_disk(rendered.parent, f) for f in found)
    return CheckResult(scopes=scopes, documents=len(manifests), environments=tuple(envs))
