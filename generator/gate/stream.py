"""Check stage, one environment at a time: memory bounded by the largest environment, not the fleet.

Every check but two sees one environment at most (schema, policies and cluster checks one cluster,
topology, DNS and parity one environment), so ``check_part`` checks an environment's subjects and
keeps only what the fleet-wide steps need: its findings, its file paths and its Argo CD objects
(``is_hub_object``). ``merge_parts`` then runs the two fleet-wide steps on that residue: the
``argocd-hub`` check (one hub may serve several environments) and ``argocd-application-path``
(an Application may point anywhere in the repository, so its paths are checked against every
part's files). The result equals ``check_subjects`` over all subjects at once (tested), findings in
the same order, while a process holds one environment's documents at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from generator.documents import Document
from generator.findings import Finding
from generator.gate.check import (
    CheckResult,
    Scope,
    Subject,
    add_scopes,
    hub_scopes,
    located,
)
from generator.gate.checks.argocd import forget_index, is_hub_object
from generator.gate.checks.cluster import ClusterView
from generator.gate.parallel import Elsewhere, parallel_cluster_scopes
from generator.gate.registry import CLUSTER_CHECKS, CheckOptions, ImageRules

__all__ = ["APP_PATHS", "Part", "check_part", "merge_parts"]

#: The cluster check that reads the whole repository's file list.
APP_PATHS = "argocd-application-path"


@dataclass(frozen=True, slots=True)
class Part:
    """What checking one environment leaves for the fleet-wide steps (small, picklable)."""

    scopes: dict[Scope, tuple[Finding, ...]]
    """Every scope of the environment, its findings located (application paths still partial)."""
    documents: int
    """Subjects checked."""
    files: frozenset[str]
    """``rendered/…`` paths of its subjects."""
    clusters: tuple[tuple[str, str], ...]
    """(environment, cluster) of every cluster with a subject, in subject order."""
    hub_subjects: tuple[Subject, ...]
    """Its Argo CD objects, in subject order."""
    by_file: dict[str, Subject]
    """The subject that locates findings on each file of ``hub_subjects`` (as ``check_subjects``
    does: the last subject of the file)."""


def check_part(
    subjects: Sequence[Subject],
    *,
    crd_dirs: Sequence[str] | None,
    drift: Iterable[Finding] = (),
    foreign: Iterable[Finding] = (),
    environments: Sequence[str] = (),
    expected_clusters: Mapping[str, tuple[str, ...]] | None = None,
    image_rules: Mapping[str, ImageRules] | None = None,
    kubernetes_versions: Mapping[str, str] | None = None,
    charts_dir: str | None = None,
    extra_policies: Sequence[Document] = (),
    secret_stores: Mapping[str, tuple[tuple[str, str], ...]] | None = None,
    jobs: int = 1,
    elsewhere: Elsewhere | None = None,
) -> Part:
    """Every check of one environment's ``subjects`` but the fleet-wide steps of ``merge_parts``.

    Arguments as ``check_subjects``'; ``environments``: the one environment (or none, for files
    of a directory no environment renders any more). ``jobs``: processes for its per-cluster
    checks (``generator.gate.parallel``: whole clusters to forked workers; same result).
    ``elsewhere``: clusters another process checks meanwhile (``parallel_cluster_scopes``).
    """
    files = frozenset(s.document.file for s in subjects)
    scopes = parallel_cluster_scopes(
        subjects,
        jobs=jobs,
        elsewhere=elsewhere,
        crd_dirs=crd_dirs,
        repo_files=files,
        image_rules=image_rules,
        kubernetes_versions=kubernetes_versions,
        charts_dir=charts_dir,
        extra_policies=extra_policies,
        secret_stores=secret_stores,
    )
    by_file = add_scopes(
        scopes,
        subjects,
        drift=drift,
        foreign=foreign,
        environments=environments,
        expected_clusters=expected_clusters,
        hub_wide=False,
    )
    forget_index()  # the environment's manifests go once this returns
    hub = tuple(s for s in subjects if is_hub_object(s.manifest))
    clusters = tuple(dict.fromkeys((s.manifest.env, s.manifest.cluster) for s in subjects))
    return Part(
        scopes, len(subjects), files, clusters, hub, {s.document.file: by_file[s.document.file] for s in hub}
    )


def merge_parts(parts: Sequence[Part], environments: Sequence[str]) -> CheckResult:
    """The fleet's result: the parts' scopes plus the two checks that span environments."""
    scopes: dict[Scope, tuple[Finding, ...]] = {}
    for part in parts:
        scopes.update(part.scopes)
    files = frozenset().union(*(p.files for p in parts))
    by_file = {file: s for p in parts for file, s in p.by_file.items()}
    hub: dict[tuple[str, str], list[Subject]] = {c: [] for p in parts for c in p.clusters}
    for p in parts:
        for s in p.hub_subjects:
            hub[(s.manifest.env, s.manifest.cluster)].append(s)
    run = CLUSTER_CHECKS[APP_PATHS]
    views = []
    for (env, cluster), members in sorted(hub.items()):
        view = ClusterView(env, cluster, tuple(s.manifest for s in members), files)
        views.append(view)
        scope = Scope(env, cluster, APP_PATHS)
        if scope in scopes:
            found = run(view, CheckOptions())
            scopes[scope] = tuple(located(f, by_file) for f in found or ())
    for scope, found in hub_scopes(views).items():
        scopes[scope] = (*scopes.get(scope, ()), *(located(f, by_file) for f in found))
    envs = sorted({*environments, *(s.env for s in scopes)})
    return CheckResult(scopes=scopes, documents=sum(p.documents for p in parts), environments=tuple(envs))
