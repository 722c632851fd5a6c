"""Cross-resource checks: what no single-document policy can see.

Stage: after rendering, beside schema validation and the Kyverno policies. Reads ``Manifest``
records grouped per cluster (``ClusterView``) and per environment (``EnvView``); returns
``Finding`` records and nothing else: no I/O, no clock, no exceptions for bad input (a
malformed field is a finding or is left to the schema validator).

Cluster checks (``CLUSTER_CHECKS``) see one cluster; environment checks (``ENV_CHECKS``, in
``generator.gate.checks.topology``) see every cluster of one environment at once. Each check is
a small generator registered under the name that findings carry in ``Finding.rule``, so a CI
log names the check that failed.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from generator.findings import Finding, finding_on
from generator.gate.checks.bylabels import ByLabels
from generator.location import Location
from generator.manifest import Manifest

__all__ = [
    "CLUSTER_CHECKS",
    "ClusterCheck",
    "ClusterView",
    "finding",
    "get_path",
    "group_of",
    "list_of",
    "run_cluster_checks",
    "source_of",
]

#: Kinds whose ``spec.template`` is a Pod template (the Rollout is Argo's, the rest are core).
POD_TEMPLATE_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet", "Rollout"})
#: Label that names the environment on workloads: ``restrict-images`` selects prod by it.
ENVIRONMENT_LABEL = "docproc.io/environment"
#: Kong plugins that authenticate a consumer, and those that limit its rate.
KONG_AUTH_PLUGINS = frozenset(
    {"openid-connect", "jwt", "oauth2", "key-auth", "basic-auth", "hmac-auth", "ldap-auth"}
)
KONG_RATE_LIMIT_PLUGINS = frozenset({"rate-limiting", "rate-limiting-advanced"})
#: Istio's root namespace: a PeerAuthentication there without a selector is mesh-wide.
ISTIO_ROOT_NAMESPACE = "istio-system"


def group_of(api_version: str) -> str:
    """``apps/v1`` → ``apps``; ``v1`` → ``""`` (the core group)."""
    return api_version.rpartition("/")[0]


def _get(body: Any, *path: str | int) -> Any:
    """The value at ``path`` or ``None``: rendered bodies are untrusted here, never indexed blindly."""
    node = body
    for part in path:
        if type(node) is dict and type(part) is str:  # the usual step: a key of a plain mapping
            node = node.get(part)
        elif isinstance(part, int):
            if not isinstance(node, list) or not 0 <= part < len(node):
                return None
            node = node[part]
        elif isinstance(node, Mapping):
            node = node.get(part)
        else:
            return None
    return node


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


#: Public names of the two helpers for the sibling check modules.
get_path = _get
list_of = _list


def source_of(m: Manifest, yaml_path: tuple[str | int, ...]) -> Location | None:
    """The environment line behind the field at ``yaml_path`` of ``m`` (see ``SourceMap.lookup``).

    A value no environment entry produced (a template constant such as ``privileged: true``, or a
    whole-object finding) leads to the entry the object was rendered from, never to an unrelated
    sibling.
    """
    return m.source_for(yaml_path)


def finding(m: Manifest, yaml_path: tuple[str | int, ...], check: str, message: str) -> Finding:
    """A finding on ``m`` at ``yaml_path``, pointing back at the environment line behind it."""
    return finding_on(m, yaml_path, check, message, file=f"rendered/{m.path}", source=source_of(m, yaml_path))


@dataclass(frozen=True)
class ClusterView:
    """The manifests of one cluster of one environment, with lookups built once."""

    env: str
    cluster: str
    manifests: tuple[Manifest, ...]
    repo_files: frozenset[str] = field(default_factory=frozenset)
    """Repository-relative paths of every file the render produces (``rendered/…``), for the
    Argo CD path check; empty means "unknown" and that check reports nothing."""
    delivered_by: tuple[Manifest, ...] = ()
    """Argo CD Applications held elsewhere (the environment's hub) that deploy into this cluster."""

    def selecting(self, kind: str) -> ByLabels[Manifest]:
        """The objects of ``kind`` (Istio policies) by the pod labels their ``spec.selector`` can select.

        One index per kind and cluster, instead of a scan of every policy per workload.
        """
        index = self._selecting.get(kind)
        if index is None:
            index = self._selecting[kind] = ByLabels(
                (m.namespace, _get(m.body, "spec", "selector"), m) for m in self.of_kind(kind)
            )
        return index

    @cached_property
    def _selecting(self) -> dict[str, ByLabels[Manifest]]:
        return {}

    def applications(self) -> list[Manifest]:
        """Every Application that deploys into this cluster: its own and its hub's."""
        return [*self.of_kind("Application"), *self.delivered_by]

    @cached_property
    def _by_kind(self) -> dict[str, list[Manifest]]:
        out: dict[str, list[Manifest]] = {}
        for m in self.manifests:
            out.setdefault(m.kind, []).append(m)
        return out

    @cached_property
    def _by_key(self) -> dict[tuple[str, str, str], Manifest]:
        out: dict[tuple[str, str, str], Manifest] = {}
        for m in self.manifests:
            out.setdefault((m.kind, m.namespace, m.name), m)
        return out

    def of_kind(self, kind: str) -> list[Manifest]:
        """Manifests of ``kind`` (any group), in render order."""
        return self._by_kind.get(kind, [])

    def get(self, kind: str, namespace: str, name: str) -> Manifest | None:
        """The first manifest with this kind, namespace ('' for cluster-scoped) and name."""
        return self._by_key.get((kind, namespace, name))


ClusterCheck = Callable[[ClusterView], Iterator[Finding]]


# --- identity -----------------------------------------------------------------------------------


def check_duplicate_identity(view: ClusterView) -> Iterator[Finding]:
    """Two manifests of one cluster may not be the same object.

    The key is (group, kind, namespace, name), not the full apiVersion: ``v1beta1`` and ``v1`` of
    one group name the same stored object, so Argo CD would fight over it.
    """
    first: dict[tuple[str, str, str, str], Manifest] = {}
    for m in view.manifests:
        key = (group_of(m.api_version), m.kind, m.namespace, m.name)
        if key in first:
            yield finding(
                m,
                ("metadata", "name"),
                "duplicate-identity",
                f"{m.kind} {m.namespace or '(cluster)'}/{m.name} is rendered twice in cluster "
                f"{view.cluster}; first in rendered/{first[key].path}. Rename one of them.",
            )
        else:
            first[key] = m


def check_environment_label(view: ClusterView) -> Iterator[Finding]:
    """Workloads carry ``docproc.io/environment: <env>``: the prod-digest policy selects by it."""
    for m in view.manifests:
        if m.kind not in POD_TEMPLATE_KINDS and m.kind not in ("CronJob", "Pod"):
            continue
        value = _get(m.body, "metadata", "labels", ENVIRONMENT_LABEL)
        if value != view.env:
            yield finding(
                m,
                ("metadata", "labels"),
                "environment-label",
                f"label {ENVIRONMENT_LABEL} is {value!r}, expected {view.env!r}: the image policies "
                "of the environment select workloads by it.",
            )


# --- Karpenter ----------------------------------------------------------------------------------


def check_nodepool_nodeclass(view: ClusterView) -> Iterator[Finding]:
    """Every NodePool's ``nodeClassRef`` names an EC2NodeClass rendered into the same cluster."""
    for m in view.of_kind("NodePool"):
        path: tuple[str | int, ...] = ("spec", "template", "spec", "nodeClassRef")
        ref = _get(m.body, *path)
        if not isinstance(ref, Mapping):
            yield finding(m, path, "nodepool-nodeclass", "NodePool has no nodeClassRef.")
            continue
        kind, group, name = ref.get("kind"), ref.get("group"), ref.get("name")
        if (group, kind) != ("karpenter.k8s.aws", "EC2NodeClass"):
            yield finding(
                m,
                path,
                "nodepool-nodeclass",
                f"nodeClassRef must refer to karpenter.k8s.aws EC2NodeClass, not {group}/{kind}.",
            )
        elif view.get("EC2NodeClass", "", str(name)) is None:
            known = sorted(n.name for n in view.of_kind("EC2NodeClass"))
            yield finding(
                m,
                (*path, "name"),
                "nodepool-nodeclass",
                f"nodeClassRef names EC2NodeClass {name!r}, which this cluster does not render "
                f"(known: {', '.join(known) or 'none'}).",
            )


# --- Argo CD ------------------------------------------------------------------------------------


def _application_sources(
    body: Mapping[str, Any],
) -> Iterator[tuple[tuple[str | int, ...], Mapping[str, Any]]]:
    source = _get(body, "spec", "source")
    if isinstance(source, Mapping):
        yield ("spec", "source"), source
    for i, item in enumerate(_list(_get(body, "spec", "sources"))):
        if isinstance(item, Mapping):
            yield ("spec", "sources", i), item


def check_application_paths(view: ClusterView) -> Iterator[Finding]:
    """Argo CD Application paths exist in the rendered tree and would sync something.

    Argo CD's directory source reads only the files directly in ``path`` unless
    ``directory.recurse`` is true (https://argo-cd.readthedocs.io/en/stable/user-guide/directory/),
    so a component directory whose manifests sit one level down syncs nothing without it.
    """
    if not view.repo_files:
        return
    for m in view.of_kind("Application"):
        if group_of(m.api_version) != "argoproj.io":
            continue
        for base, source in _application_sources(m.body):
            raw = source.get("path")
            if not isinstance(raw, str) or not raw:
                continue
            path = posixpath.normpath(raw.strip("/")).removeprefix("./")
            recurse = _get(source, "directory", "recurse") is True
            prefix = f"{path}/"
            under = [f for f in view.repo_files if f.startswith(prefix)]
            direct = [f for f in under if "/" not in f[len(prefix) :]]
            if not under:
                yield finding(
                    m,
                    (*base, "path"),
                    "argocd-application-path",
                    f"source.path {raw!r} does not exist in the rendered tree or holds no manifests.",
                )
            elif not recurse and not direct:
                yield finding(
                    m,
                    (*base, "path"),
                    "argocd-application-path",
                    f"source.path {raw!r} holds manifests only in subdirectories and "
                    "directory.recurse is not true: Argo CD would sync nothing.",
                )


# --- Istio --------------------------------------------------------------------------------------


def service_fqdn(host: str, namespace: str) -> str | None:
    """Istio's reading of a short host in ``namespace``; ``None`` for hosts outside the cluster."""
    if host.endswith(".svc.cluster.local"):
        return host
    parts = host.split(".")
    if len(parts) == 1:
        return f"{host}.{namespace}.svc.cluster.local"
    if len(parts) == 2:
        return f"{host}.svc.cluster.local"
    if len(parts) == 3 and parts[2] == "svc":
        return f"{host}.cluster.local"
    return None


def _route_destinations(vs: Manifest) -> Iterator[tuple[tuple[str | int, ...], Mapping[str, Any]]]:
    for proto in ("http", "tcp", "tls"):
        for i, route in enumerate(_list(_get(vs.body, "spec", proto))):
            for j, dest in enumerate(_list(_get(route, "route"))):
                destination = _get(dest, "destination")
                if isinstance(destination, Mapping):
                    yield ("spec", proto, i, "route", j, "destination"), destination


def _destination_rules(view: ClusterView) -> dict[str, list[Manifest]]:
    out: dict[str, list[Manifest]] = {}
    for dr in view.of_kind("DestinationRule"):
        host = _get(dr.body, "spec", "host")
        fqdn = service_fqdn(host, dr.namespace) if isinstance(host, str) else None
        if fqdn:
            out.setdefault(fqdn, []).append(dr)
    return out


def _subsets(dr: Manifest) -> set[str]:
    return {str(s.get("name")) for s in _list(_get(dr.body, "spec", "subsets")) if isinstance(s, Mapping)}


def check_virtualservice_destinationrule(view: ClusterView) -> Iterator[Finding]:
    """Every in-cluster destination of a VirtualService has a DestinationRule (and its subset)."""
    rules = _destination_rules(view)
    for vs in view.of_kind("VirtualService"):
        for path, dest in _route_destinations(vs):
            host = dest.get("host")
            fqdn = service_fqdn(host, vs.namespace) if isinstance(host, str) else None
            if fqdn is None:
                continue
            matching = rules.get(fqdn, [])
            if not matching:
                yield finding(
                    vs,
                    (*path, "host"),
                    "virtualservice-destinationrule",
                    f"destination host {host!r} ({fqdn}) has no DestinationRule in this cluster.",
                )
                continue
            subset = dest.get("subset")
            if subset and not any(subset in _subsets(dr) for dr in matching):
                yield finding(
                    vs,
                    (*path, "subset"),
                    "virtualservice-destinationrule",
                    f"subset {subset!r} of host {host!r} is not defined by DestinationRule "
                    f"{matching[0].namespace}/{matching[0].name}.",
                )


def _is_strict_namespace_wide(pa: Manifest) -> bool:
    selector = _get(pa.body, "spec", "selector")
    return not selector and _get(pa.body, "spec", "mtls", "mode") == "STRICT"


def check_peer_authentication(view: ClusterView) -> Iterator[Finding]:
    """Each namespace with sidecar injection has a namespace-wide STRICT PeerAuthentication.

    A mesh-wide one (no selector, in the Istio root namespace) covers every namespace.
    """
    strict = {pa.namespace for pa in view.of_kind("PeerAuthentication") if _is_strict_namespace_wide(pa)}
    if ISTIO_ROOT_NAMESPACE in strict:
        return
    for ns in view.of_kind("Namespace"):
        if group_of(ns.api_version) or _get(ns.body, "metadata", "labels", "istio-injection") != "enabled":
            continue
        if ns.name not in strict:
            yield finding(
                ns,
                ("metadata", "name"),
                "peer-authentication-per-namespace",
                f"namespace {ns.name} has sidecar injection but no namespace-wide PeerAuthentication "
                "with mtls.mode STRICT.",
            )


# --- Argo Rollouts ------------------------------------------------------------------------------


def _virtual_services(istio: Mapping[str, Any]) -> Iterator[tuple[tuple[str | int, ...], Mapping[str, Any]]]:
    base = ("spec", "strategy", "canary", "trafficRouting", "istio")
    single = istio.get("virtualService")
    if isinstance(single, Mapping):
        yield (*base, "virtualService"), single
    for i, item in enumerate(_list(istio.get("virtualServices"))):
        if isinstance(item, Mapping):
            yield (*base, "virtualServices", i), item


def _check_rollout_services(view: ClusterView, ro: Manifest, canary: Mapping[str, Any]) -> Iterator[Finding]:
    labels = _get(ro.body, "spec", "template", "metadata", "labels")
    labels = labels if isinstance(labels, Mapping) else {}
    names = [canary.get("stableService"), canary.get("canaryService")]
    if names[0] and names[0] == names[1]:
        yield finding(
            ro,
            ("spec", "strategy", "canary", "canaryService"),
            "rollout-traffic-routing",
            "stableService and canaryService must be two different Services.",
        )
    for field_name, name in zip(("stableService", "canaryService"), names, strict=True):
        if not isinstance(name, str) or not name:
            continue
        path = ("spec", "strategy", "canary", field_name)
        svc = view.get("Service", ro.namespace, name)
        if svc is None:
            yield finding(ro, path, "rollout-traffic-routing", f"{field_name} {name!r} is not rendered.")
            continue
        selector = _get(svc.body, "spec", "selector")
        selector = selector if isinstance(selector, Mapping) else {}
        if not selector or any(labels.get(k) != v for k, v in selector.items()):
            yield finding(
                ro,
                path,
                "rollout-traffic-routing",
                f"Service {name!r} selects {dict(selector)}, which does not match the Rollout's pod "
                f"template labels {dict(labels)}.",
            )


def _check_rollout_route(
    view: ClusterView,
    ro: Manifest,
    canary: Mapping[str, Any],
    path: tuple[str | int, ...],
    ref: Mapping[str, Any],
) -> Iterator[Finding]:
    raw = str(ref.get("name") or "")
    name, _, ns = raw.partition(".")
    vs = view.get("VirtualService", ns or ro.namespace, name)
    if vs is None:
        yield finding(
            ro, (*path, "name"), "rollout-traffic-routing", f"VirtualService {raw!r} is not rendered."
        )
        return
    http = [r for r in _list(_get(vs.body, "spec", "http")) if isinstance(r, Mapping)]
    wanted = [str(r) for r in _list(ref.get("routes"))]
    if not wanted:
        if len(http) != 1:
            yield finding(
                ro,
                (*path, "routes"),
                "rollout-traffic-routing",
                f"VirtualService {vs.name!r} has {len(http)} HTTP routes: name the one to shift in routes.",
            )
            return
        routes = http
    else:
        by_name = {str(r.get("name")): r for r in http}
        missing = [w for w in wanted if w not in by_name]
        if missing:
            yield finding(
                ro,
                (*path, "routes"),
                "rollout-traffic-routing",
                f"VirtualService {vs.name!r} has no HTTP route named {', '.join(map(repr, missing))}.",
            )
        routes = [by_name[w] for w in wanted if w in by_name]
    services = {canary.get("stableService"), canary.get("canaryService")} - {None}
    for route in routes:
        hosts = {
            service_fqdn(str(_get(d, "destination", "host")), vs.namespace) for d in _list(route.get("route"))
        }
        for svc in sorted(str(s) for s in services):
            if service_fqdn(svc, ro.namespace) not in hosts:
                yield finding(
                    ro,
                    (*path, "name"),
                    "rollout-traffic-routing",
                    f"route {route.get('name')!r} of VirtualService {vs.name!r} has no destination for "
                    f"Service {svc!r}: Argo Rollouts could not shift its weight.",
                )


def _analysis_refs(canary: Mapping[str, Any]) -> Iterator[tuple[tuple[str | int, ...], Mapping[str, Any]]]:
    base = ("spec", "strategy", "canary")
    for i, ref in enumerate(_list(_get(canary, "analysis", "templates"))):
        if isinstance(ref, Mapping):
            yield (*base, "analysis", "templates", i), ref
    for i, step in enumerate(_list(canary.get("steps"))):
        for j, ref in enumerate(_list(_get(step, "analysis", "templates"))):
            if isinstance(ref, Mapping):
                yield (*base, "steps", i, "analysis", "templates", j), ref


def check_rollout_traffic_routing(view: ClusterView) -> Iterator[Finding]:
    """Each Istio-routed canary's Services, VirtualService route and analyses exist and agree."""
    for ro in view.of_kind("Rollout"):
        canary = _get(ro.body, "spec", "strategy", "canary")
        if not isinstance(canary, Mapping):
            continue
        for path, ref in _analysis_refs(canary):
            name = str(ref.get("templateName"))
            cluster_scope = ref.get("clusterScope") is True
            kind = "ClusterAnalysisTemplate" if cluster_scope else "AnalysisTemplate"
            if view.get(kind, "" if cluster_scope else ro.namespace, name) is None:
                yield finding(
                    ro,
                    (*path, "templateName"),
                    "rollout-traffic-routing",
                    f"{kind} {name!r} is not rendered.",
                )
        istio = _get(canary, "trafficRouting", "istio")
        if not isinstance(istio, Mapping):
            continue
        yield from _check_rollout_services(view, ro, canary)
        for path, ref in _virtual_services(istio):
            yield from _check_rollout_route(view, ro, canary, path, ref)


# --- Kong ---------------------------------------------------------------------------------------


def _is_kong_ingress(m: Manifest) -> bool:
    cls = _get(m.body, "spec", "ingressClassName") or _get(
        m.body, "metadata", "annotations", "kubernetes.io/ingress.class"
    )
    return bool(cls == "kong")


def _plugin_names(m: Manifest | None) -> list[str]:
    value = _get(m.body, "metadata", "annotations", "konghq.com/plugins") if m else None
    return [p.strip() for p in value.split(",") if p.strip()] if isinstance(value, str) else []


def _backend_services(ingress: Manifest) -> Iterator[str]:
    default = _get(ingress.body, "spec", "defaultBackend", "service", "name")
    if isinstance(default, str):
        yield default
    for rule in _list(_get(ingress.body, "spec", "rules")):
        for p in _list(_get(rule, "http", "paths")):
            name = _get(p, "backend", "service", "name")
            if isinstance(name, str):
                yield name


def _selects(selector: Any, labels: Mapping[str, Any]) -> bool:
    """An Istio ``selector.matchLabels`` (absent: the whole namespace) selects pods with ``labels``."""
    match = _get(selector, "matchLabels") if selector is not None else {}
    return isinstance(match, Mapping) and all(labels.get(k) == v for k, v in match.items())


def mesh_jwt_protected(view: ClusterView, namespace: str, service: str) -> bool:
    """The pods behind ``service`` validate JWTs and admit edge requests only with a principal.

    A RequestAuthentication selects them and every ALLOW rule open to the edge requires
    ``requestPrincipals``: Istio's replacement for a Kong auth plugin on open-source Kong.
    """
    svc = view.get("Service", namespace, service)
    labels = _get(svc.body, "spec", "selector") if svc else None
    if not isinstance(labels, Mapping) or not labels:
        return False
    if not any(
        ra.namespace == namespace and _selects(_get(ra.body, "spec", "selector"), labels)
        for ra in view.selecting("RequestAuthentication").candidates([namespace], labels)
        if _list(_get(ra.body, "spec", "jwtRules"))
    ):
        return False
    allows = [
        ap
        for ap in view.selecting("AuthorizationPolicy").candidates([namespace], labels)
        if ap.namespace == namespace
        and _get(ap.body, "spec", "action") in (None, "ALLOW")
        and _selects(_get(ap.body, "spec", "selector"), labels)
    ]
    rules = [r for ap in allows for r in _list(_get(ap.body, "spec", "rules"))]
    edge = [r for r in rules if not _rule_is_mesh_internal(r)]
    return bool(edge) and all(_requires_principal(r) for r in edge)


def _requires_principal(rule: Any) -> bool:
    sources = _list(_get(rule, "from"))
    return bool(sources) and all(_list(_get(s, "source", "requestPrincipals")) for s in sources)


def _rule_is_mesh_internal(rule: Any) -> bool:
    """A rule admitting only named workloads (principals) of the mesh, not the edge."""
    sources = _list(_get(rule, "from"))
    return bool(sources) and all(
        _list(_get(s, "source", "principals")) and not _list(_get(s, "source", "namespaces")) for s in sources
    )


def check_kong_route_plugins(view: ClusterView) -> Iterator[Finding]:
    """Internet-facing (class ``kong``) routes bind existing auth and rate-limiting plugins.

    Plugins bound on the route's backend Services count too: Kong applies a Service's plugins
    to every route of that Service. Authentication may instead be the mesh's: every backend's pods
    validate JWTs with an Istio RequestAuthentication and admit edge traffic only with a request
    principal (``mesh_jwt_protected``), the design for open-source Kong.
    """
    for ing in view.of_kind("Ingress"):
        if not _is_kong_ingress(ing):
            continue
        path = ("metadata", "annotations", "konghq.com/plugins")
        names = _plugin_names(ing)
        for svc in sorted(set(_backend_services(ing))):
            names += _plugin_names(view.get("Service", ing.namespace, svc))
        types: set[str] = set()
        for name in names:
            plugin = view.get("KongPlugin", ing.namespace, name) or view.get("KongClusterPlugin", "", name)
            if plugin is None:
                yield finding(ing, path, "kong-route-plugins", f"plugin {name!r} is bound but not rendered.")
            else:
                types.add(str(plugin.body.get("plugin")))
        backends = sorted(set(_backend_services(ing)))
        mesh_auth = bool(backends) and all(mesh_jwt_protected(view, ing.namespace, b) for b in backends)
        if not types & KONG_AUTH_PLUGINS and not mesh_auth:
            yield finding(
                ing,
                path,
                "kong-route-plugins",
                "internet-facing route has no authentication: bind an auth plugin (Kong Enterprise: "
                "openid-connect) or validate JWTs in the mesh (RequestAuthentication on the backend's "
                "pods and an ALLOW rule requiring requestPrincipals).",
            )
        if not types & KONG_RATE_LIMIT_PLUGINS:
            yield finding(
                ing, path, "kong-route-plugins", "internet-facing route has no rate-limiting plugin."
            )


CLUSTER_CHECKS: dict[str, ClusterCheck] = {
    "duplicate-identity": check_duplicate_identity,
    "environment-label": check_environment_label,
    "nodepool-nodeclass": check_nodepool_nodeclass,
    "argocd-application-path": check_application_paths,
    "virtualservice-destinationrule": check_virtualservice_destinationrule,
    "peer-authentication-per-namespace": check_peer_authentication,
    "rollout-traffic-routing": check_rollout_traffic_routing,
    "kong-route-plugins": check_kong_route_plugins,
}
"""Every cluster check by the name its findings carry; ordered as reported."""


def run_cluster_checks(
    view: ClusterView, only: Iterable[str] | None = None
) -> dict[str, tuple[Finding, ...]]:
    """Findings of each cluster check (all, or ``only`` these) on ``view``, keyed by check name."""
    names = list(CLUSTER_CHECKS) if only is None else list(only)
    return {name: tuple(CLUSTER_CHECKS[name](view)) for name in names}
