"""Check a rendered tree on disk (no environments, no source map), on every core when it is large.

Stage: beside ``generator.check``, for trees checked without rendering them (the bench fleet, a
checkout's ``rendered/`` alone). Loading is most of the cost, so whole clusters go to worker
processes: each loads its files and runs schema validation, its cluster's ClusterPolicies and the
cluster checks, and returns located findings plus a slim copy of its manifests (identity, and the
full body of the kinds that environment checks read). The environment checks then run once, here.
Results are identical to a serial run. Reads files; writes nothing.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from generator.check import CheckResult, Scope, Subject, cluster_scopes, env_scopes
from generator.documents import Document, load_file, locate
from generator.findings import Finding
from generator.manifest import Manifest

__all__ = ["check_tree"]

#: Trees smaller than this many files are checked in-process: a pool costs ~0.3 s to start.
PARALLEL_MIN_FILES = 2000
#: Kinds whose whole body the environment checks read; of every other kind only the identity.
ENV_CHECK_KINDS = frozenset({"DNSEndpoint"})

Cluster = tuple[str, str]


def _cluster_files(rendered: Path) -> dict[Cluster, list[Path]]:
    out: dict[Cluster, list[Path]] = {}
    for path in sorted(rendered.rglob("*.yaml")):
        rel = path.relative_to(rendered).parts
        if len(rel) == 5:
            out.setdefault((rel[0], rel[1]), []).append(path)
    return out


def _subjects(rendered: Path, paths: Sequence[Path]) -> list[Subject]:
    subjects = []
    for path in paths:
        rel = path.relative_to(rendered).parts
        shown = "rendered/" + "/".join(rel)
        for doc in load_file(path):
            document = Document(shown, doc.index, doc.line, doc.body, doc.text, doc.item)
            subjects.append(Subject(Manifest(rel[0], rel[1], rel[2], doc.body), document))
    return subjects


def _slim(m: Manifest) -> Manifest:
    if m.kind in ENV_CHECK_KINDS:
        return m
    meta = m.body.get("metadata") or {}
    body = {
        "apiVersion": m.body.get("apiVersion"),
        "kind": m.body.get("kind"),
        "metadata": {"name": meta.get("name"), "namespace": meta.get("namespace")},
    }
    return Manifest(m.env, m.cluster, m.component, body)


def _check_clusters(
    rendered: Path, paths: Sequence[Path], crd_dirs: Sequence[str] | None, repo_files: frozenset[str]
) -> tuple[dict[Scope, tuple[Finding, ...]], list[Manifest], int]:
    subjects = _subjects(rendered, paths)
    scopes = cluster_scopes(subjects, crd_dirs=crd_dirs, repo_files=repo_files)
    return scopes, [_slim(s.manifest) for s in subjects], len(subjects)


def _groups(clusters: Mapping[Cluster, list[Path]], jobs: int) -> list[list[Path]]:
    """Whole clusters into ``jobs`` groups of similar file counts (largest first, greedy)."""
    groups: list[list[Path]] = [[] for _ in range(jobs)]
    for key in sorted(clusters, key=lambda k: -len(clusters[k])):
        min(groups, key=len).extend(clusters[key])
    return [g for g in groups if g]


def _locate_on_disk(root: Path, f: Finding) -> Finding:
    """Line of an environment-check finding, read from its file (only findings pay for this)."""
    path = root / f.file
    if f.line is not None or not path.is_file():
        return f
    docs = load_file(path)
    if not docs:
        return f
    line, column = locate(docs[0], f.yaml_path)
    return dataclasses.replace(f, line=line, column=column)


def check_tree(rendered: Path, *, crd_dirs: Sequence[str] | None, jobs: int | None = None) -> CheckResult:
    """Check every ``<env>/<cluster>/<component>/<scope>/<file>.yaml`` under ``rendered``.

    Args:
        rendered: the ``rendered/`` directory.
        crd_dirs: CRD directories for schema validation; ``None`` skips the schema stage.
        jobs: worker processes (default: every core when the tree is large).
    """
    clusters = _cluster_files(rendered)
    count = sum(len(p) for p in clusters.values())
    repo_files = frozenset("rendered/" + str(p.relative_to(rendered)) for ps in clusters.values() for p in ps)
    if jobs is None:
        jobs = (os.cpu_count() or 1) if count >= PARALLEL_MIN_FILES else 1
    groups = _groups(clusters, max(1, min(jobs, len(clusters))))
    if len(groups) <= 1:
        parts = [_check_clusters(rendered, [p for g in groups for p in g], crd_dirs, repo_files)]
    else:
        with ProcessPoolExecutor(len(groups)) as pool:
            futures = [pool.submit(_check_clusters, rendered, g, crd_dirs, repo_files) for g in groups]
            parts = [f.result() for f in futures]
    scopes: dict[Scope, tuple[Finding, ...]] = {}
    manifests: list[Manifest] = []
    for part_scopes, part_manifests, _ in parts:
        scopes.update(part_scopes)
        manifests.extend(part_manifests)
    envs = sorted({env for env, _ in clusters})
    for scope, found in env_scopes(manifests, envs).items():
        scopes[scope] = tuple(_locate_on_disk(rendered.parent, f) for f in found)
    return CheckResult(scopes=scopes, documents=sum(n for _, _, n in parts), environments=tuple(envs))
