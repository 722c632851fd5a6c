"""Check stage on every core: the per-cluster checks of ``generator.gate.check`` split by whole clusters.

Schema validation, each cluster's ClusterPolicies and the cluster checks never look beyond one
cluster, so whole clusters go to worker processes, balanced by document count; the first group runs
in this process. Workers are forked after the subjects exist, so they inherit them instead of
receiving a pickled copy; only findings travel back. A scope's findings come from one cluster and
therefore from one worker, in the order a serial run produces them: results are identical to
``cluster_scopes`` over all subjects (tested). Where ``fork`` is unavailable, it runs serially.
"""

from __future__ import annotations

import hashlib
import multiprocessing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from generator.findings import Finding
from generator.gate.check import Scope, Subject, cluster_scopes, hub_manifests
from generator.workers import worker_pool

__all__ = ["Checked", "Elsewhere", "cluster_groups", "parallel_cluster_scopes", "subjects_digest"]

#: What forked workers inherit: ``subjects`` and ``kwargs`` (of ``cluster_scopes``), set around a pool.
_STATE: dict[str, Any] = {}


#: What a process that checked some clusters from its own render of them sends back: the
#: ``subjects_digest`` of the subjects it checked, and the scopes it found.
Checked = tuple[bytes, dict[Scope, tuple[Finding, ...]]]


def subjects_digest(subjects: Sequence[Subject]) -> bytes:
    """One digest of the files and texts of ``subjects``, in order (what ``Elsewhere`` compares).

    Sent instead of the texts themselves, which at 1,000 services are tens of megabytes.
    """
    h = hashlib.blake2b(digest_size=32)
    for s in subjects:
        for part in (s.document.file, s.document.text):
            data = part.encode("utf-8", "surrogatepass")
            h.update(len(data).to_bytes(8, "little"))
            h.update(data)
    return h.digest()


@dataclass(frozen=True, slots=True)
class Elsewhere:
    """Clusters another process checks meanwhile, from its own render of them (``check``'s last one)."""

    clusters: frozenset[tuple[str, str]]
    """(environment, cluster) of each."""
    result: Callable[[], Checked]
    """Waits for them. Used only if the subjects it checked are exactly this process's subjects of
    those clusters (same files, same texts, same order: ``subjects_digest``); otherwise they are
    checked here."""


def cluster_groups(subjects: Sequence[Subject], jobs: int) -> list[list[int]]:
    """Indices of ``subjects`` in up to ``jobs`` groups of whole clusters (largest first, greedy)."""
    clusters: dict[tuple[str, str], list[int]] = {}
    for i, s in enumerate(subjects):
        clusters.setdefault((s.manifest.env, s.manifest.cluster), []).append(i)
    groups: list[list[int]] = [[] for _ in range(max(1, jobs))]
    for key in sorted(clusters, key=lambda k: (-len(clusters[k]), k)):
        min(groups, key=len).extend(clusters[key])
    return [sorted(g) for g in groups if g]


def _run_group(indices: Sequence[int]) -> dict[Scope, tuple[Finding, ...]]:
    subjects: Sequence[Subject] = _STATE["subjects"]
    kwargs: Mapping[str, Any] = _STATE["kwargs"]
    return cluster_scopes([subjects[i] for i in indices], **kwargs)


def parallel_cluster_scopes(
    subjects: Sequence[Subject], *, jobs: int, elsewhere: Elsewhere | None = None, **kwargs: Any
) -> dict[Scope, tuple[Finding, ...]]:
    """``cluster_scopes(subjects, **kwargs)`` on up to ``jobs`` processes (same result).

    ``elsewhere``: clusters whose scopes another process is computing; the rest are checked here
    meanwhile (serially: the other process has the second core).
    """
    kwargs = {"hubs": hub_manifests(subjects), **kwargs}  # a hub's Applications serve other groups
    if elsewhere is not None:
        return _with_elsewhere(subjects, elsewhere, kwargs)
    groups = cluster_groups(subjects, jobs)
    if len(groups) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return cluster_scopes(subjects, **kwargs)
    _STATE.update(subjects=subjects, kwargs=kwargs)
    try:
        context = multiprocessing.get_context("fork")
        with worker_pool(len(groups) - 1, mp_context=context) as pool:
            futures = [pool.submit(_run_group, g) for g in groups[1:]]
            parts = [_run_group(groups[0])]
            parts += [f.result() for f in futures]
    finally:
        _STATE.clear()
    scopes: dict[Scope, tuple[Finding, ...]] = {}
    for part in parts:
        scopes.update(part)
    return scopes


def _with_elsewhere(
    subjects: Sequence[Subject], elsewhere: Elsewhere, kwargs: Mapping[str, Any]
) -> dict[Scope, tuple[Finding, ...]]:
    own: list[Subject] = []
    theirs: list[Subject] = []
    for s in subjects:
        (theirs if (s.manifest.env, s.manifest.cluster) in elsewhere.clusters else own).append(s)
    scopes = cluster_scopes(own, **kwargs)
    checked, found = elsewhere.result()
    if checked == subjects_digest(theirs):
        scopes.update(found)
    else:  # files the other process did not render (foreign ones): check them here
        scopes.update(cluster_scopes(theirs, **kwargs))
    return scopes
