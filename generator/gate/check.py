"""Check stage: the CI gate over rendered manifests (``gitops-gen check``).

Four proofs, each reported per (environment, cluster, check) so a CI log names what failed:
``render`` (``rendered/`` equals what the environments render), ``schema`` (strict validation
against the Kubernetes schemas and the CRDs, CEL included), ``policy/<name>`` (the
ClusterPolicies rendered into that cluster, applied to that cluster's manifests) and the
cross-resource checks of ``generator.gate.checks.cluster``/``generator.gate.checks.topology``.

Every finding names the rendered file and line, the resource, the rule or check, and
``Finding.source``: the environment-file line whose value produced the offending field, from the
renderer's source map. Enforce failures and schema errors are ``error`` (exit 1); Audit failures
and ``warn`` results are warnings. Reads ``rendered/`` only through ``generator.pipeline``;
writes nothing.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from generator.documents import Document, locate
from generator.dump import dump
from generator.findings import Finding
from generator.gate.checks.argocd import (
    HUB,
    argocd_instance_findings,
    delivered_to,
)
from generator.gate.checks.cluster import ClusterView, source_of
from generator.gate.checks.topology import ENV_SCOPE, EnvView
from generator.gate.registry import CLUSTER_CHECKS, ENV_CHECKS, CheckOptions, ImageRules
from generator.manifest import HUB_CLUSTER, Manifest

__all__ = [
    "CheckResult",
    "ImageRules",
    "Scope",
    "Subject",
    "add_scopes",
    "check_subjects",
    "cluster_scopes",
    "drift_findings",
    "env_scopes",
    "hub_manifests",
    "hub_scopes",
    "located",
    "policy_findings",
    "schema_findings",
    "scope_of",
    "subjects_from_manifests",
]

#: Findings of each check go to exactly one scope; these are the stage names.
RENDER, SCHEMA, POLICY, FOREIGN = "render", "schema", "policy", "foreign"


@dataclass(frozen=True, slots=True, order=True)
class Scope:
    """Where findings belong: one check on one cluster (``*``: the environment as a whole)."""

    env: str
    cluster: str
    check: str

    @property
    def id(self) -> str:
        """``prod/even/policy/restrict-images``: the pytest id and the JUnit test name."""
        return f"{self.env}/{self.cluster}/{self.check}"


@dataclass(frozen=True, slots=True)
class Subject:
    """One rendered object under check: its manifest (source map) and its document (lines)."""

    manifest: Manifest
    document: Document


def _document(m: Manifest, text: str | None) -> Document:
    """The manifest as its rendered file holds it (``text``: the file, header comment included)."""
    if text is None:
        text = dump(m.body)
        return Document(file=f"rendered/{m.path}", index=0, line=2, body=m.body, text=text)
    return Document(file=f"rendered/{m.path}", index=0, line=1, body=m.body, text=text)


def subjects_from_manifests(
    manifests: Iterable[Manifest], files: Mapping[str, str] | None = None
) -> list[Subject]:
    """Pair each manifest with the document its rendered file holds.

    ``files`` maps paths under ``rendered/`` to file texts as the writer plans them; without it the
    text comes from the canonical dumper (the file's one header line accounted for).
    """
    return [Subject(m, _document(m, files.get(m.path) if files is not None else None)) for m in manifests]


@dataclass(frozen=True)
class CheckResult:
    """Every scope that ran (empty ones too, so a passing check is visible) and its findings."""

    scopes: Mapping[Scope, tuple[Finding, ...]]
    documents: int
    environments: tuple[str, ...]

    @property
    def findings(self) -> tuple[Finding, ...]:
        """All findings, in scope order (environment, cluster, check), errors first in each."""
        out: list[Finding] = []
        for scope in sorted(self.scopes):
            out.extend(sorted(self.scopes[scope], key=lambda f: f.severity != "error"))
        return tuple(out)

    def summary(self) -> dict[str, Any]:
        """The ``summary`` object of every output format (a contract: keys are only ever added)."""
        findings = self.findings
        return {
            "environments": list(self.environments),
            "clusters": len(
                {(s.env, s.cluster) for s in self.scopes if s.cluster not in (ENV_SCOPE, HUB_CLUSTER)}
            ),
            "documents": self.documents,
            "checks": len(self.scopes),
            "failed_checks": sum(1 for fs in self.scopes.values() if any(f.severity == "error" for f in fs)),
            "errors": sum(1 for f in findings if f.severity == "error"),
            "warnings": sum(1 for f in findings if f.severity == "warning"),
        }


# --- scoping and locating -----------------------------------------------------------------------


def scope_of(file: str, check: str) -> Scope:
    """The scope of a finding on ``rendered/<env>/<cluster>/…`` (``*`` when no cluster is named)."""
    parts = file.split("/")
    env = parts[1] if len(parts) > 1 else ""
    cluster = parts[2] if len(parts) > 3 else ENV_SCOPE
    return Scope(env, cluster, check)


def located(f: Finding, by_file: Mapping[str, Subject]) -> Finding:
    """``f`` with the rendered line of its field and the source-map line behind it, where known."""
    subject = by_file.get(f.file)
    if subject is None:
        return f
    changes: dict[str, Any] = {}
    if f.line is None or f.line <= subject.document.line:
        at = locate(subject.document, f.yaml_path)
        changes.update(line=at.line, column=at.column)
    if f.source is None and f.rule != "render-drift":
        changes["source"] = source_of(subject.manifest, f.yaml_path)
    return dataclasses.replace(f, **changes) if changes else f


# --- schema -------------------------------------------------------------------------------------


def schema_findings(
    subjects: Sequence[Subject],
    crd_dirs: Sequence[str],
    kubernetes_versions: Mapping[str, str] | None = None,
) -> Iterator[Finding]:
    """Strict validation of each document: unknown fields and kinds without a schema are errors.

    Built-in kinds are checked against the schemas of the EKS version each environment declares
    (``kubernetes_versions``: env → ``X.Y``; the nearest shipped one), else the newest shipped.
    """
    from generator.schema.kube import nearest_shipped

    versions: dict[str, str | None] = {}  # per environment: nearest_shipped lists the shipped ones
    for subject in subjects:
        env = subject.manifest.env
        if env not in versions:
            declared = (kubernetes_versions or {}).get(env)
            versions[env] = nearest_shipped(declared) if declared else None
        yield from _engine(tuple(crd_dirs), versions[env]).check(subject.document)


@functools.cache
def _engine(crd_dirs: tuple[str, ...], version: str | None) -> Any:
    """One schema engine per CRD directories and version for the whole process.

    ``check`` streams environment after environment: each kind compiles once, not once per environment.
    """
    from generator.schema import Engine, Options

    return Engine(Options(crd_dirs=crd_dirs, strict=True, kubernetes_version=version))


# --- policies -----------------------------------------------------------------------------------


class _PolicyCache:
    """Compiled policies by body, so identical ClusterPolicies of many clusters load once."""

    def __init__(self) -> None:
        self._compiled: dict[str, Any] = {}

    def get(self, document: Document) -> Any:
        key = json.dumps(document.body, sort_keys=True, default=str)
        if key not in self._compiled:
            from generator.policy.load import policies_from_documents

            (self._compiled[key],) = policies_from_documents([document])
        return self._compiled[key]


#: Compiled once per process: ``check`` streams environment after environment, whose rendered
#: ClusterPolicies are mostly identical.
_POLICIES = _PolicyCache()


def policy_findings(
    subjects: Sequence[Subject],
    policies: Sequence[Subject],
    cache: _PolicyCache | None = None,
    extra: Sequence[Document] = (),
) -> dict[str, list[Finding]]:
    """Findings per policy name: each of ``policies`` (and ``extra``) applied to every one of ``subjects``.

    ``extra``: policy documents that are evaluated but not rendered (``check --policies DIR``).
    Kyverno's message and failing field come from the engine (``anyPattern`` alternatives as the
    finding's context); the severity is ``generator.policy.findings.severity``, as in ``policy apply``.
    """
    from generator.policy import evaluate, result_to_finding
    from generator.policy.findings import severity

    cache = cache or _PolicyCache()
    compiled = [cache.get(p.document) for p in policies] + [cache.get(d) for d in extra]
    out: dict[str, list[Finding]] = {p.name: [] for p in compiled}
    documents = [s.document for s in subjects]
    for result in evaluate(compiled, documents):
        if severity(result.status, result.failure_action) is None:
            continue
        out[result.policy].append(result_to_finding(result, documents[result.resource_index]))
    return out


# --- render drift -------------------------------------------------------------------------------


class Change(Protocol):
    """What ``generator.write`` reports per path (``create``/``update``/``delete``/…)."""

    @property
    def action(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def diff(self) -> str: ...


#: ``render --check`` wording: what each pending write means for the committed tree.
DRIFT_MESSAGES = {
    "create": "missing from rendered/: the environments render it",
    "update": "stale: differs from what the environments render",
    "delete": "extra: generated by an earlier render, no longer rendered",
}


def drift_findings(changes: Iterable[Change]) -> Iterator[Finding]:
    """One error per file ``render --check`` would change; the fix is always ``make render``."""
    for change in changes:
        message = DRIFT_MESSAGES.get(change.action)
        if message is None:
            continue
        detail = f"\n{change.diff}" if change.diff else ""
        yield Finding(
            file=f"rendered/{change.path}",
            line=None,
            column=None,
            yaml_path=(),
            rule="render-drift",
            message=f"{message}; run `make render` and commit the result.{detail}",
        )


# --- orchestration ------------------------------------------------------------------------------


def _clusters(subjects: Iterable[Subject]) -> dict[tuple[str, str], list[Subject]]:
    out: dict[tuple[str, str], list[Subject]] = {}
    for s in subjects:
        out.setdefault((s.manifest.env, s.manifest.cluster), []).append(s)
    return out


def hub_manifests(subjects: Iterable[Subject]) -> dict[str, list[Manifest]]:
    """Each environment's hub objects (``rendered/<env>/_hub/``): what cluster checks need of the hub."""
    out: dict[str, list[Manifest]] = {}
    for s in subjects:
        if s.manifest.cluster == HUB_CLUSTER:
            out.setdefault(s.manifest.env, []).append(s.manifest)
    return out


def cluster_scopes(
    subjects: Sequence[Subject],
    *,
    crd_dirs: Sequence[str] | None,
    repo_files: frozenset[str],
    image_rules: Mapping[str, ImageRules] | None = None,
    kubernetes_versions: Mapping[str, str] | None = None,
    charts_dir: str | None = None,
    hubs: Mapping[str, Sequence[Manifest]] | None = None,
    extra_policies: Sequence[Document] = (),
    secret_stores: Mapping[str, tuple[tuple[str, str], ...]] | None = None,
) -> dict[Scope, tuple[Finding, ...]]:
    """Schema, policy and cluster checks of ``subjects`` (whole clusters), findings located.

    ``extra_policies``: a team's Kyverno policies (``check --policies DIR``), applied to each
    workload cluster beside the ClusterPolicies rendered into it, never rendered themselves.

    ``charts_dir``: pinned charts' values (``<dir>/<chart>/<version>/``) for the ``chart-values``
    check; ``None`` skips it. ``hubs``: each environment's hub objects (``hub_manifests``), whose
    Applications deploy the operators into the clusters; by default, the hubs among ``subjects``
    (a worker checking some clusters gets every hub from its caller).

    Every scope that ran is present, empty ones included; ``render`` scopes start empty.
    """
    by_file = {s.document.file: s for s in subjects}
    clusters = _clusters(subjects)
    raw: dict[Scope, list[Finding]] = {}
    for env, cluster in clusters:
        raw[Scope(env, cluster, RENDER)] = []
        if crd_dirs is not None:
            raw[Scope(env, cluster, SCHEMA)] = []
    if crd_dirs is not None:
        for f in schema_findings(subjects, crd_dirs, kubernetes_versions):
            raw.setdefault(scope_of(f.file, SCHEMA), []).append(f)
    cache = _POLICIES
    for (env, cluster), members in sorted(clusters.items()):
        policies = [s for s in members if s.manifest.kind == "ClusterPolicy"]
        extra = extra_policies if cluster != HUB_CLUSTER else ()
        for name, found in policy_findings(members, policies, cache, extra).items():
            raw[Scope(env, cluster, f"{POLICY}/{name}")] = found
        hub = (hubs if hubs is not None else hub_manifests(subjects)).get(env, ())
        delivered = delivered_to(env, cluster, hub) if cluster != HUB_CLUSTER else ()
        view = ClusterView(env, cluster, tuple(s.manifest for s in members), repo_files, delivered)
        options = CheckOptions(
            charts_dir=charts_dir,
            image_rules=(image_rules or {}).get(env),
            secret_stores=(secret_stores or {}).get(env),
        )
        for check, run in CLUSTER_CHECKS.items():
            found_cc = run(view, options)
            if found_cc is not None:
                raw[Scope(env, cluster, check)] = list(found_cc)
    return {scope: tuple(located(f, by_file) for f in fs) for scope, fs in raw.items()}


def env_scopes(
    manifests: Iterable[Manifest],
    environments: Iterable[str],
    expected_clusters: Mapping[str, tuple[str, ...]] | None = None,
    *,
    hub_wide: bool = True,
) -> dict[Scope, tuple[Finding, ...]]:
    """The environment-wide checks (topology, DNS weights, cluster parity) of each environment.

    ``hub_wide=False`` leaves out the ``argocd-hub`` findings (their scopes stay, empty): a hub may
    serve several environments, so a caller that sees one environment at a time runs
    ``hub_scopes`` once over all of them.
    """
    members: dict[str, dict[str, list[Manifest]]] = {}
    for m in manifests:
        members.setdefault(m.env, {}).setdefault(m.cluster, []).append(m)
    out: dict[Scope, tuple[Finding, ...]] = {}
    every_view: list[ClusterView] = []
    for env in sorted({*environments, *members}):
        clusters = members.get(env, {})
        hub = clusters.get(HUB_CLUSTER, [])
        views = {
            c: ClusterView(env, c, tuple(ms), delivered_by=delivered_to(env, c, hub) if hub else ())
            for c, ms in sorted(clusters.items())
        }
        every_view.extend(views.values())
        expected = (expected_clusters or {}).get(env)
        env_view = EnvView(env, views, expected)
        for check, env_check in ENV_CHECKS.items():
            out[Scope(env, ENV_SCOPE, check)] = tuple(env_check(env_view))
        out[Scope(env, ENV_SCOPE, HUB)] = ()
    if hub_wide:
        for scope, found in hub_scopes(every_view).items():
            out[scope] = (*out.get(scope, ()), *found)
    return out


def hub_scopes(views: Iterable[ClusterView]) -> dict[Scope, tuple[Finding, ...]]:
    """``argocd-hub`` findings over every cluster of every environment (one hub serves several).

    Only Argo CD objects (``is_hub_object``) matter to it, so views holding just those give the
    same findings as whole ones; ``views`` in (environment, cluster) order.
    """
    out: dict[Scope, tuple[Finding, ...]] = {}
    for f in argocd_instance_findings(views):
        scope = scope_of(f.file, HUB)
        scope = Scope(scope.env, ENV_SCOPE, HUB)
        out[scope] = (*out.get(scope, ()), f)
    return out


def check_subjects(
    subjects: Sequence[Subject],
    *,
    crd_dirs: Sequence[str] | None,
    drift: Iterable[Finding] = (),
    expected_clusters: Mapping[str, tuple[str, ...]] | None = None,
    repo_files: frozenset[str] | None = None,
    environments: Sequence[str] = (),
    image_rules: Mapping[str, ImageRules] | None = None,
    kubernetes_versions: Mapping[str, str] | None = None,
    charts_dir: str | None = None,
    foreign: Iterable[Finding] = (),
    jobs: int = 1,
    extra_policies: Sequence[Document] = (),
    secret_stores: Mapping[str, tuple[tuple[str, str], ...]] | None = None,
) -> CheckResult:
    """Run schema, policy and cross-resource checks over rendered subjects (plus given drift).

    Args:
        subjects: every rendered object of the environments under check.
        crd_dirs: CRD directories for schema validation; ``None`` skips the schema stage.
        drift: findings of the ``render`` stage (``rendered/`` differs from the render).
        expected_clusters: clusters each environment's topology declares, where known.
        repo_files: repository-relative paths the render produces (Argo CD path check); by
            default, the files of ``subjects``.
        environments: the environments checked (also those that rendered nothing).
        image_rules: each environment's own image rules, where its file is known.
        kubernetes_versions: each environment's EKS version (``X.Y``), for built-in schemas.
        charts_dir: pinned charts' values for the ``chart-values`` check; ``None`` skips it.
        foreign: findings about files in ``rendered/`` no environment renders (``foreign`` scope);
            their documents are among ``subjects``.
        jobs: processes for the per-cluster checks (``generator.gate.parallel``); same result.
        extra_policies: policy documents evaluated on every workload cluster, not rendered.
        secret_stores: each environment's declared secret stores, (kind, name), for ``secret-refs``.
    """
    files = repo_files if repo_files is not None else frozenset(s.document.file for s in subjects)
    from generator.gate.parallel import parallel_cluster_scopes

    scopes = parallel_cluster_scopes(
        subjects,
        jobs=jobs,
        crd_dirs=crd_dirs,
        repo_files=files,
        image_rules=image_rules,
        kubernetes_versions=kubernetes_versions,
        charts_dir=charts_dir,
        extra_policies=extra_policies,
        secret_stores=secret_stores,
    )
    add_scopes(
        scopes,
        subjects,
        drift=drift,
        foreign=foreign,
        environments=environments,
        expected_clusters=expected_clusters,
    )
    envs = sorted({*environments, *(s.env for s in scopes)})
    return CheckResult(scopes=scopes, documents=len(subjects), environments=tuple(envs))


def add_scopes(
    scopes: dict[Scope, tuple[Finding, ...]],
    subjects: Sequence[Subject],
    *,
    drift: Iterable[Finding],
    foreign: Iterable[Finding],
    environments: Sequence[str],
    expected_clusters: Mapping[str, tuple[str, ...]] | None,
    hub_wide: bool = True,
) -> dict[str, Subject]:
    """Add the drift, foreign and environment-wide scopes to the cluster ``scopes`` (located).

    Returns the subject that locates findings on each file (the last of the file).
    """
    by_file = {s.document.file: s for s in subjects}
    for check_name, extra in ((RENDER, drift), (FOREIGN, foreign)):
        for f in extra:
            scope = scope_of(f.file, check_name)
            scopes[scope] = (*scopes.get(scope, ()), located(f, by_file))
    manifests = [s.manifest for s in subjects]
    for scope, found in env_scopes(manifests, environments, expected_clusters, hub_wide=hub_wide).items():
        scopes[scope] = tuple(located(f, by_file) for f in found)
    return by_file
