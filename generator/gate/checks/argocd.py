"""Cross-resource checks of delivery: would Argo CD converge on what ``rendered/`` holds?

Stage: beside ``generator.gate.checks.cluster`` (``Manifest``s in, ``Finding``s out, pure, no I/O). Each
check is one class of break the issue-8 review found in a tree that passed every per-document check:

- ``argocd-hub``: the objects one Argo CD holds. An Argo CD instance is the hub directory of an
  environment (``rendered/<env>/_hub``, grouped across environments by the ``docproc.io/argocd-hub``
  label: one hub may serve many environments) or, in a tree without a hub, each cluster's own
  Argo CD. Within one instance: no object twice; every ``Application`` destination is the
  instance's own cluster (``https://kubernetes.default.svc``) or a cluster registered by a cluster
  ``Secret`` it holds, and allowed by the ``AppProject``; an ``Application`` that syncs
  ``Application``s deploys them to the instance's own ``argocd`` namespace; cluster Secrets carry
  no secret material; ``Application``/``AppProject``/cluster ``Secret`` live only in the hub.
- ``argocd-sync-ordering``: custom resources synced before their CRD exists. Argo CD dry-runs a
  whole sync first, so a CR whose CRD an operator ``Application`` has not installed yet fails it.
  The ``Application`` must set ``SkipDryRunOnMissingResource=true`` and retry for longer than
  operators take to start, and some operator ``Application`` on that cluster must install the
  CRD (``CHART_CRD_GROUPS``) unless the tree renders it.
- ``argocd-controller-fields``: fields a controller owns at run time. A workload an HPA scales
  sets no ``spec.replicas``; the ``Application`` syncing an Istio-routed ``Rollout`` ignores the
  ``VirtualService`` route weights that Argo Rollouts rewrites and respects that on sync.
- ``argocd-stateful-retention``: data-holding resources a sync must never prune or delete.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from generator.findings import Finding
from generator.gate.checks.cluster import ClusterView, finding, get_path, group_of, list_of
from generator.manifest import HUB_CLUSTER, Manifest

__all__ = [
    "ARGOCD_CHECKS",
    "ARGOCD_ENV_CHECKS",
    "BUILTIN_GROUPS",
    "CHART_CRD_GROUPS",
    "HUB_LABEL",
    "IN_CLUSTER",
    "MIN_RETRY_SECONDS",
    "STATEFUL_KINDS",
    "argocd_instance_findings",
    "delivered_to",
    "is_hub_object",
    "run_argocd_checks",
]

HUB, ORDERING, CONTROLLER, STATEFUL = (
    "argocd-hub",
    "argocd-sync-ordering",
    "argocd-controller-fields",
    "argocd-stateful-retention",
)
#: Where Argo CD deploys to the cluster it runs in.
IN_CLUSTER = "https://kubernetes.default.svc"
#: Label naming the Argo CD hub that holds an object (``argocd.hub.name``).
HUB_LABEL = "docproc.io/argocd-hub"
CLUSTER_SECRET_LABEL = "argocd.argoproj.io/secret-type"
SYNC_OPTIONS = "argocd.argoproj.io/sync-options"
#: Operators can take minutes to start (image pulls, webhooks, leader election, CRDs on a node
#: Karpenter still has to launch): retries must keep a failed sync alive at least this long.
MIN_RETRY_SECONDS = 600
#: API groups every Kubernetes API server serves.
BUILTIN_GROUPS = frozenset(
    {
        "",
        "apps",
        "batch",
        "policy",
        "autoscaling",
        "networking.k8s.io",
        "rbac.authorization.k8s.io",
        "storage.k8s.io",
        "admissionregistration.k8s.io",
        "apiextensions.k8s.io",
        "scheduling.k8s.io",
        "coordination.k8s.io",
        "node.k8s.io",
        "discovery.k8s.io",
        "certificates.k8s.io",
        "flowcontrol.apiserver.k8s.io",
        "events.k8s.io",
        "resource.k8s.io",
    }
)
#: API groups whose CRDs each operator chart installs (its ``crds/`` or templates, by default).
CHART_CRD_GROUPS: Mapping[str, frozenset[str]] = {
    "argo-rollouts": frozenset({"argoproj.io"}),
    "karpenter": frozenset({"karpenter.sh", "karpenter.k8s.aws"}),
    "base": frozenset(
        {"networking.istio.io", "security.istio.io", "telemetry.istio.io", "extensions.istio.io"}
    ),
    "ingress": frozenset({"configuration.konghq.com"}),
    "kong": frozenset({"configuration.konghq.com"}),
    "kyverno": frozenset({"kyverno.io", "policies.kyverno.io", "reports.kyverno.io", "wgpolicyk8s.io"}),
    "rabbitmq-cluster-operator": frozenset({"rabbitmq.com"}),
    "external-dns": frozenset({"externaldns.k8s.io"}),
    "s3-chart": frozenset({"s3.services.k8s.aws", "services.k8s.aws"}),
    "efs-chart": frozenset({"efs.services.k8s.aws", "services.k8s.aws"}),
    "cert-manager": frozenset({"cert-manager.io", "acme.cert-manager.io"}),
    "aws-load-balancer-controller": frozenset({"elbv2.k8s.aws"}),
    "external-secrets": frozenset({"external-secrets.io", "generators.external-secrets.io"}),
    "argo-cd": frozenset({"argoproj.io"}),
}
#: Kinds that hold data: pruning or deleting them loses it.
STATEFUL_KINDS = frozenset(
    {"RabbitmqCluster", "PersistentVolumeClaim", "FileSystem", "Bucket", "StatefulSet"}
)
#: Suffix of the ACK API groups; their controllers delete the AWS resource with the object unless
#: the object says ``services.k8s.aws/deletion-policy: retain``.
ACK_GROUP_SUFFIX = "services.k8s.aws"
ACK_DELETION_POLICY = "services.k8s.aws/deletion-policy"
#: Cluster Secret ``config`` keys that carry credentials (Git is no place for them).
SECRET_MATERIAL = ("bearerToken", "password", "username")
TLS_SECRET_MATERIAL = ("keyData", "certData")


# --- helpers ------------------------------------------------------------------------------------


def _is_app(m: Manifest) -> bool:
    return m.kind == "Application" and group_of(m.api_version) == "argoproj.io"


def _is_project(m: Manifest) -> bool:
    return m.kind == "AppProject" and group_of(m.api_version) == "argoproj.io"


def _is_cluster_secret(m: Manifest) -> bool:
    return m.kind == "Secret" and get_path(m.body, "metadata", "labels", CLUSTER_SECRET_LABEL) == "cluster"


def is_hub_object(m: Manifest) -> bool:
    """Whether ``m`` is an Argo CD object: all the ``argocd-hub`` check looks at, fleet-wide."""
    return _is_app(m) or _is_project(m) or _is_cluster_secret(m) or m.kind == "ApplicationSet"


def _server(m: Manifest) -> str:
    return str(get_path(m.body, "spec", "destination", "server") or "").rstrip("/")


def _sync_options(m: Manifest) -> list[str]:
    return [str(o) for o in list_of(get_path(m.body, "spec", "syncPolicy", "syncOptions"))]


def _annotation_options(m: Manifest) -> list[str]:
    raw = get_path(m.body, "metadata", "annotations", SYNC_OPTIONS)
    return [o.strip() for o in raw.split(",")] if isinstance(raw, str) else []


def _secret_config(m: Manifest) -> Mapping[str, Any]:
    import json

    for where in ("stringData", "data"):
        raw = get_path(m.body, where, "config")
        if where == "data" and isinstance(raw, str):
            import base64
            import binascii

            try:
                raw = base64.b64decode(raw).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                return {}
        if isinstance(raw, str):
            try:
                parsed = json.loads(raw)
            except ValueError:
                return {}
            return parsed if isinstance(parsed, Mapping) else {}
    return {}


def _secret_field(m: Manifest, key: str) -> str:
    value = get_path(m.body, "stringData", key)
    return str(value).rstrip("/") if isinstance(value, str) else ""


@dataclass(frozen=True)
class _Instance:
    """One Argo CD: the objects it holds and where it runs."""

    key: str
    """``hub <name>`` or ``<env>/<cluster>``."""
    objects: tuple[Manifest, ...]


def _instances(views: Iterable[ClusterView]) -> list[_Instance]:
    groups: dict[str, list[Manifest]] = {}
    for view in views:
        for m in view.manifests:
            if not is_hub_object(m):
                continue
            if view.cluster == HUB_CLUSTER:
                hub = get_path(m.body, "metadata", "labels", HUB_LABEL) or "hub"
                key = f"hub {hub}"
            else:
                key = f"{view.env}/{view.cluster}"
            groups.setdefault(key, []).append(m)
    return [_Instance(k, tuple(v)) for k, v in sorted(groups.items())]


# --- argocd-hub ---------------------------------------------------------------------------------


def _duplicates(inst: _Instance) -> Iterator[Finding]:
    first: dict[tuple[str, str, str], Manifest] = {}
    for m in inst.objects:
        key = (m.kind, m.namespace, m.name)
        if key in first:
            yield finding(
                m,
                ("metadata", "name"),
                HUB,
                f"{m.kind} {m.namespace}/{m.name} is held twice by Argo CD {inst.key} (also "
                f"rendered/{first[key].path}): both would own one object and overwrite each other on "
                "every sync. Render it once per hub (give environments distinct names).",
            )
        else:
            first[key] = m


def _registered(inst: _Instance) -> Iterator[Finding]:
    """Cluster Secrets: one per server, no secret material; returns nothing else."""
    seen: dict[str, Manifest] = {}
    for m in inst.objects:
        if not _is_cluster_secret(m):
            continue
        server = _secret_field(m, "server")
        if not server:
            yield finding(
                m, ("stringData",), HUB, "cluster Secret has no stringData.server: Argo CD ignores it."
            )
        elif server in seen:
            yield finding(
                m,
                ("stringData", "server"),
                HUB,
                f"server {server} is registered twice in Argo CD {inst.key} (also rendered/"
                f"{seen[server].path}): Argo CD keys clusters by server and keeps only one. Register "
                "each cluster once.",
            )
        else:
            seen[server] = m
        config = _secret_config(m)
        leaks = [k for k in SECRET_MATERIAL if config.get(k)]
        leaks += [k for k in TLS_SECRET_MATERIAL if get_path(config, "tlsClientConfig", k)]
        if leaks or m.body.get("data"):
            yield finding(
                m,
                ("stringData", "config") if leaks else ("data",),
                HUB,
                f"cluster Secret carries secret material ({', '.join(leaks) or 'data'}) in Git. Use "
                "awsAuthConfig (cluster name and IAM role) from the environment file instead.",
            )
        elif "awsAuthConfig" not in config and "execProviderConfig" not in config:
            yield finding(
                m,
                ("stringData", "config"),
                HUB,
                "cluster Secret has no awsAuthConfig: Argo CD cannot authenticate to the EKS cluster. "
                "Set topology.clusters.<c>.eksClusterName and argocd.hub.roleArn.",
            )


def _destinations(inst: _Instance) -> Iterator[Finding]:
    servers = {_secret_field(m, "server") for m in inst.objects if _is_cluster_secret(m)} | {IN_CLUSTER}
    projects = {m.name: m for m in inst.objects if _is_project(m)}
    for m in inst.objects:
        if not _is_app(m):
            continue
        server = _server(m)
        if server and server not in servers:
            yield finding(
                m,
                ("spec", "destination", "server"),
                HUB,
                f"destination {server} is not registered with Argo CD {inst.key} (no cluster Secret "
                "for it) and is not its own cluster: the Application never syncs. Register the "
                "cluster or deploy to https://kubernetes.default.svc.",
            )
        project = str(get_path(m.body, "spec", "project") or "default")
        holder = projects.get(project)
        if project != "default" and holder is None:
            yield finding(
                m,
                ("spec", "project"),
                HUB,
                f"AppProject {project} is not held by Argo CD {inst.key}: the Application is refused.",
            )
        elif holder is not None and server and not _permits(holder, server):
            yield finding(
                m,
                ("spec", "destination", "server"),
                HUB,
                f"AppProject {project} does not permit destination {server}: Argo CD refuses to sync. "
                "Add the cluster to the project's destinations.",
            )


def _permits(project: Manifest, server: str) -> bool:
    for dest in list_of(get_path(project.body, "spec", "destinations")):
        pattern = str(get_path(dest, "server") or "")
        if pattern and re.fullmatch(re.escape(pattern).replace(r"\*", ".*"), server):
            return True
    return False


def _paths(app: Manifest) -> list[str]:
    """``app``'s directory source paths, each ending in ``/``."""
    sources = [get_path(app.body, "spec", "source"), *list_of(get_path(app.body, "spec", "sources"))]
    paths = [get_path(source, "path") for source in sources]
    return [p.strip("/").removeprefix("./") + "/" for p in paths if isinstance(p, str) and p]


class _ByPath:
    """Manifests sorted by their ``rendered/`` path: what a directory holds is one bisected slice."""

    def __init__(self, everything: Sequence[Manifest]) -> None:
        pairs = sorted((f"rendered/{m.path}", i) for i, m in enumerate(everything))
        self.everything = everything
        self.paths = [p for p, _ in pairs]
        self.order = [i for _, i in pairs]

    def under(self, prefixes: Iterable[str]) -> list[Manifest]:
        """The manifests whose path starts with one of ``prefixes``, in their original order."""
        hits: set[int] = set()
        for prefix in prefixes:
            start = bisect.bisect_left(self.paths, prefix)
            end = bisect.bisect_left(self.paths, prefix + "\U0010ffff")
            hits.update(self.order[start:end])
        return [self.everything[i] for i in sorted(hits)]


#: The index of the last manifest list asked about (checks ask about one list hundreds of times).
_LAST_INDEX: list[_ByPath] = []


def forget_index() -> None:
    """Drop the index of the last manifest list (it holds the list): a caller moves on to others."""
    _LAST_INDEX.clear()


def _synced(app: Manifest, everything: Sequence[Manifest]) -> list[Manifest]:
    """The rendered manifests under ``app``'s directory sources."""
    if not _LAST_INDEX or _LAST_INDEX[0].everything is not everything:
        _LAST_INDEX[:] = [_ByPath(everything)]
    return _LAST_INDEX[0].under(_paths(app))


def delivered_to(env: str, cluster: str, apps: Iterable[Manifest]) -> tuple[Manifest, ...]:
    """The ``apps`` (a hub's) that deploy into ``cluster``: to the server that syncs its directory."""
    apps = [a for a in apps if _is_app(a)]
    prefix = f"rendered/{env}/{cluster}/"
    servers = {_server(a) for a in apps if any(p.startswith(prefix) for p in _paths(a))} - {"", IN_CLUSTER}
    return tuple(a for a in apps if _server(a) in servers)


def _apps_of_apps(inst: _Instance, everything: list[Manifest]) -> Iterator[Finding]:
    for m in inst.objects:
        if not _is_app(m):
            continue
        children = [c for c in _synced(m, everything) if is_hub_object(c)]
        if not children:
            continue
        namespace = str(get_path(m.body, "spec", "destination", "namespace") or "")
        if _server(m) != IN_CLUSTER or any((c.namespace or namespace) != m.namespace for c in children):
            yield finding(
                m,
                ("spec", "destination"),
                HUB,
                f"Application {m.name} syncs Argo CD objects ({children[0].kind} {children[0].name}, …) to "
                f"{_server(m) or '?'}: Argo CD only reconciles Applications in its own cluster and "
                f"namespace ({m.namespace}), so nothing it creates there would ever sync. Deploy them to "
                f"{IN_CLUSTER}, namespace {m.namespace}.",
            )


def argocd_instance_findings(views: Iterable[ClusterView]) -> Iterator[Finding]:
    """``argocd-hub`` over every cluster view of every environment (hubs span environments)."""
    views = list(views)
    everything = [m for v in views for m in v.manifests]
    has_hub = {v.env for v in views if v.cluster == HUB_CLUSTER}
    for view in views:
        if view.env in has_hub and view.cluster != HUB_CLUSTER:
            for m in view.manifests:
                if is_hub_object(m):
                    yield finding(
                        m,
                        ("metadata", "name"),
                        HUB,
                        f"{m.kind} {m.name} is rendered into workload cluster {view.cluster}, but "
                        f"environment {view.env} is deployed by its hub: render it into {HUB_CLUSTER}.",
                    )
    for inst in _instances(views):
        yield from _duplicates(inst)
        yield from _registered(inst)
        yield from _destinations(inst)
        yield from _apps_of_apps(inst, everything)


# --- argocd-sync-ordering -----------------------------------------------------------------------

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def _seconds(text: Any, default: float) -> float:
    if not isinstance(text, str) or not text:
        return default
    parts = _DURATION.findall(text)
    return sum(float(n) * _UNIT[u] for n, u in parts) if parts else default


def retry_budget(app: Mapping[str, Any]) -> float:
    """Seconds Argo CD keeps retrying a failed sync (``inf`` for a negative limit)."""
    retry = get_path(app, "spec", "syncPolicy", "retry")
    if not isinstance(retry, Mapping):
        return 0.0
    limit = retry.get("limit", 0)
    if not isinstance(limit, int):
        return 0.0
    if limit < 0:
        return float("inf")
    raw = retry.get("backoff")
    backoff: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    duration = _seconds(backoff.get("duration"), 5.0)
    factor = backoff.get("factor", 2)
    growth = float(factor) if isinstance(factor, int) else 2.0
    ceiling = _seconds(backoff.get("maxDuration"), 180.0)
    return float(sum(min(duration * growth**i, ceiling) for i in range(limit)))


def _provided_groups(app: Manifest, everything: list[Manifest]) -> set[str]:
    """Groups whose CRDs reach ``app``'s destination: chart Applications there, rendered CRDs."""
    groups = {
        str(get_path(c.body, "spec", "group"))
        for c in everything
        if c.kind == "CustomResourceDefinition" and c.env == app.env
    }
    server = _server(app)
    for other in everything:
        if not _is_app(other) or other.env != app.env or _server(other) != server:
            continue
        sources = [get_path(other.body, "spec", "source"), *list_of(get_path(other.body, "spec", "sources"))]
        for source in sources:
            chart = get_path(source, "chart")
            if isinstance(chart, str):
                groups |= CHART_CRD_GROUPS.get(chart, frozenset())
    return groups


def _installs_charts(app: Manifest, everything: list[Manifest]) -> bool:
    server = _server(app)
    return any(
        _is_app(o)
        and o.env == app.env
        and _server(o) == server
        and get_path(o.body, "spec", "source", "chart")
        for o in everything
    )


def check_sync_ordering(app: Manifest, everything: list[Manifest]) -> Iterator[Finding]:
    """The custom resources ``app`` syncs can wait for their CRDs (see the module docstring)."""
    synced = _synced(app, everything)
    present = set(BUILTIN_GROUPS)
    present |= {
        str(get_path(c.body, "spec", "group")) for c in synced if c.kind == "CustomResourceDefinition"
    }
    if _server(app) == IN_CLUSTER:
        present.add("argoproj.io")  # Argo CD's own cluster serves its CRDs before anything syncs
    crs = [c for c in synced if group_of(c.api_version) not in present]
    if not crs:
        return
    provided = _provided_groups(app, everything)
    # Operators installed outside this tree (none of its Applications installs a chart there)
    # cannot be known: the rule then says nothing.
    missing = (
        {group_of(c.api_version) for c in crs} - provided if _installs_charts(app, everything) else set()
    )
    for group in sorted(missing):
        example = next(c for c in crs if group_of(c.api_version) == group)
        yield finding(
            example,
            ("apiVersion",),
            ORDERING,
            f"no operator Application targeting {_server(app) or 'this cluster'} installs the CRDs of "
            f"{group} ({example.kind}): Argo CD's sync of {app.name} fails with 'no matches for kind' "
            "forever. Add the operator to argocd.operators.",
        )
    skip = "SkipDryRunOnMissingResource=true" in _sync_options(app)
    unguarded = [
        c for c in crs if not skip and "SkipDryRunOnMissingResource=true" not in _annotation_options(c)
    ]
    if unguarded:
        c = unguarded[0]
        yield finding(
            app,
            ("spec", "syncPolicy", "syncOptions"),
            ORDERING,
            f"{app.name} syncs {len(unguarded)} custom resource(s) ({c.kind} {c.name}, …) whose CRDs an "
            "operator installs in the same sync round: Argo CD dry-runs the whole sync first and fails it "
            "while a CRD is missing. Add SkipDryRunOnMissingResource=true to its syncOptions.",
        )
    budget = retry_budget(app.body)
    if budget < MIN_RETRY_SECONDS:
        yield finding(
            app,
            ("spec", "syncPolicy", "retry"),
            ORDERING,
            f"{app.name} retries a failed sync for {budget:.0f}s, less than the {MIN_RETRY_SECONDS}s "
            "operators can take to install their CRDs and webhooks on a fresh cluster: it stays "
            "SyncFailed. Raise retry.limit or the backoff.",
        )


# --- argocd-controller-fields -------------------------------------------------------------------

#: jq paths (or JSON pointers) that cover the route weights Argo Rollouts writes.
WEIGHT_JQ = re.compile(r"^\.spec\.http\[\]?\.route\[\]?\.weight$|^\.spec\.http$|^\.spec$")
WEIGHT_POINTERS = frozenset({"/spec/http", "/spec"})


def _hpa_targets(view: ClusterView) -> Iterator[tuple[Manifest, Manifest]]:
    for hpa in view.of_kind("HorizontalPodAutoscaler"):
        ref = get_path(hpa.body, "spec", "scaleTargetRef")
        if isinstance(ref, Mapping):
            target = view.get(str(ref.get("kind")), hpa.namespace, str(ref.get("name")))
            if target is not None:
                yield hpa, target


def check_hpa_replicas(view: ClusterView) -> Iterator[Finding]:
    """A workload an HPA scales leaves ``spec.replicas`` to it."""
    for hpa, target in _hpa_targets(view):
        if get_path(target.body, "spec", "replicas") is not None:
            yield finding(
                target,
                ("spec", "replicas"),
                CONTROLLER,
                f"{target.kind} {target.name} sets spec.replicas and HorizontalPodAutoscaler {hpa.name} "
                "scales it: every self-heal resets the replicas the HPA chose. Remove spec.replicas "
                "(the HPA's minReplicas is the floor).",
            )


def _ignores_weights(app: Manifest, vs: Manifest) -> bool:
    for rule in list_of(get_path(app.body, "spec", "ignoreDifferences")):
        if not isinstance(rule, Mapping) or rule.get("kind") != "VirtualService":
            continue
        if rule.get("group") not in (None, "networking.istio.io"):
            continue
        if rule.get("name") not in (None, vs.name) or rule.get("namespace") not in (None, vs.namespace):
            continue
        if any(WEIGHT_JQ.match(str(p)) for p in list_of(rule.get("jqPathExpressions"))):
            return True
        if any(str(p) in WEIGHT_POINTERS for p in list_of(rule.get("jsonPointers"))):
            return True
    return False


def check_rollout_weights(app: Manifest, everything: list[Manifest]) -> Iterator[Finding]:
    """The Application syncing an Istio-routed Rollout leaves the route weights to Argo Rollouts."""
    synced = _synced(app, everything)
    by_key = {(m.kind, m.namespace, m.name): m for m in synced}
    for ro in (m for m in synced if m.kind == "Rollout"):
        istio = get_path(ro.body, "spec", "strategy", "canary", "trafficRouting", "istio")
        if not isinstance(istio, Mapping):
            continue
        refs = [istio.get("virtualService"), *list_of(istio.get("virtualServices"))]
        for ref in refs:
            name, _, ns = str(get_path(ref, "name") or "").partition(".")
            vs = by_key.get(("VirtualService", ns or ro.namespace, name))
            if vs is None:
                continue
            if not _ignores_weights(app, vs):
                yield finding(
                    app,
                    ("spec", "ignoreDifferences"),
                    CONTROLLER,
                    f"Argo Rollouts rewrites the route weights of VirtualService {vs.name} during "
                    f"{ro.name}'s canary and {app.name}'s self-heal puts them back. Add ignoreDifferences "
                    "{group: networking.istio.io, kind: VirtualService, jqPathExpressions: "
                    "['.spec.http[].route[].weight']}.",
                )
            elif "RespectIgnoreDifferences=true" not in _sync_options(app):
                yield finding(
                    app,
                    ("spec", "syncPolicy", "syncOptions"),
                    CONTROLLER,
                    f"{app.name} ignores the VirtualService weights when diffing but a sync still applies "
                    "Git's weights mid-canary. Add RespectIgnoreDifferences=true to its syncOptions.",
                )


# --- argocd-stateful-retention ------------------------------------------------------------------


def check_stateful_retention(view: ClusterView) -> Iterator[Finding]:
    """Data-holding objects carry Prune=false and Delete=false; ACK objects retain the AWS resource."""
    for m in view.manifests:
        group = group_of(m.api_version)
        stateful = m.kind in STATEFUL_KINDS and (
            m.kind != "StatefulSet" or get_path(m.body, "spec", "volumeClaimTemplates")
        )
        if stateful:
            options = _annotation_options(m)
            missing = [o for o in ("Prune=false", "Delete=false") if o not in options]
            if missing:
                yield finding(
                    m,
                    ("metadata", "annotations"),
                    STATEFUL,
                    f"{m.kind} {m.name} holds data but lacks {SYNC_OPTIONS}: {','.join(missing)}: a sync "
                    "that no longer renders it (or deleting its Application) deletes it and its data. "
                    "Annotate it with Prune=false,Delete=false.",
                )
        if group.endswith(ACK_GROUP_SUFFIX) and m.kind != "AdoptedResource":
            policy = get_path(m.body, "metadata", "annotations", ACK_DELETION_POLICY)
            if policy != "retain":
                yield finding(
                    m,
                    ("metadata", "annotations"),
                    STATEFUL,
                    f"ACK {m.kind} {m.name} has no {ACK_DELETION_POLICY}: retain, so the controller "
                    "deletes the AWS resource (and its data) when the object goes. Annotate it.",
                )


# --- registry -----------------------------------------------------------------------------------

ClusterCheck = Callable[[ClusterView], Iterator[Finding]]

ARGOCD_CHECKS: dict[str, ClusterCheck] = {
    CONTROLLER: check_hpa_replicas,
    STATEFUL: check_stateful_retention,
}
"""Checks that see one cluster (findings carry these names)."""

ARGOCD_ENV_CHECKS = (HUB, ORDERING, CONTROLLER)
"""Checks reported per environment (``argocd-hub`` across the environments sharing a hub)."""


def _per_application(
    check: Callable[[Manifest, list[Manifest]], Iterator[Finding]],
) -> Callable[[Mapping[str, ClusterView]], Iterator[Finding]]:
    """``check`` run for each Application against everything the environment's clusters hold."""

    def run(views: Mapping[str, ClusterView]) -> Iterator[Finding]:
        everything = [m for v in views.values() for m in v.manifests]
        for app in (m for m in everything if _is_app(m)):
            yield from check(app, everything)

    return run


ARGOCD_ENV_CHECK_FUNCTIONS: dict[str, Callable[[Mapping[str, ClusterView]], Iterator[Finding]]] = {
    ORDERING: _per_application(check_sync_ordering),
    CONTROLLER: _per_application(check_rollout_weights),
}
"""The checks that follow each Application into the clusters of one environment."""


def run_argocd_checks(views: Mapping[str, ClusterView]) -> dict[str, tuple[Finding, ...]]:
    """The checks that follow each Application into the clusters of one environment."""
    return {name: tuple(check(views)) for name, check in ARGOCD_ENV_CHECK_FUNCTIONS.items()}
