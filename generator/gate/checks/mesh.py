"""Cross-resource checks of the mesh and the network: can each declared flow actually pass?

Stage: beside ``generator.gate.checks.cluster`` (``ClusterView`` in, ``Finding`` out, pure). The platform's
flows are derived from the rendered objects, not listed by hand:

- an app pod → RabbitMQ AMQP (5672): every workload reading a RabbitMQ credential Secret;
- RabbitMQ peer → peer: epmd (4369) and Erlang distribution (25672);
- the messaging-topology operator → RabbitMQ management API (15672), when topology objects exist;
- Kong → every pod behind a Service a ``kong`` Ingress routes to;
- Prometheus → every meshed pod's merged metrics port (15020).

Each flow is judged as the cluster would: NetworkPolicy egress at the source and ingress at the
destination (default-deny included), then Istio at the destination unless the port is excluded
from the sidecar: STRICT mTLS refuses a source outside the mesh, and ALLOW AuthorizationPolicies
(deny-by-default included) must admit the source's namespace or identity on that port.

Also here: ``mesh-pss-cni`` (sidecars under Pod Security ``restricted`` need istio-cni); the Kong
checks (``generator.gate.checks.kong``) are registered with these.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from generator.findings import Finding
from generator.gate.checks.bylabels import ByLabels, Labelled
from generator.gate.checks.cluster import ClusterView, finding, get_path, list_of
from generator.gate.checks.kong import (
    KONG_CHARTS,
    check_kong_mesh_upstream,
    check_kong_oss_plugins,
    check_kong_rate_limits,
)
from generator.gate.checks.paths import helm_releases, pod_spec_path
from generator.manifest import Manifest

__all__ = ["MESH_CHECKS", "Endpoint", "flows"]

ROOT_NAMESPACE = "istio-system"
#: Ports of the Istio sidecar itself: never intercepted, never subject to authorization.
SIDECAR_PORTS = frozenset({15020, 15021, 15090})


@dataclass(frozen=True)
class Endpoint:
    """One side of a flow: pods of a namespace, as far as the rendered tree knows them."""

    namespace: str
    labels: Mapping[str, str]
    what: str
    manifest: Manifest | None = None
    service_account: str = ""
    meshed: bool = False
    excluded_inbound: frozenset[int] = frozenset()
    excluded_outbound: frozenset[int] = frozenset()
    known_labels: bool = True
    """False for pods installed by a chart: their labels are not in the tree."""
    ports: Mapping[str, int] = field(default_factory=dict)
    """Named container ports."""
    mesh_known: bool = True
    """False for a peer the tree does not install (its sidecar, if any, is not in the tree)."""


@dataclass(frozen=True)
class Flow:
    source: Endpoint
    dest: Endpoint
    port: int
    purpose: str
    carries_jwt: bool = False


# --- endpoints ------------------------------------------------------------------------------------


def _namespace_labels(view: ClusterView, namespace: str) -> dict[str, str]:
    ns = view.get("Namespace", "", namespace)
    labels = get_path(ns.body, "metadata", "labels") if ns else None
    out = {str(k): str(v) for k, v in labels.items()} if isinstance(labels, Mapping) else {}
    out["kubernetes.io/metadata.name"] = namespace
    return out


def _ports(value: Any) -> frozenset[int]:
    if not isinstance(value, str):
        return frozenset()
    return frozenset(int(p) for p in value.replace(" ", "").split(",") if p.isdigit())


def _meshed(
    view: ClusterView, namespace: str, labels: Mapping[str, Any], annotations: Mapping[str, Any]
) -> bool:
    choice = labels.get("sidecar.istio.io/inject", annotations.get("sidecar.istio.io/inject"))
    if str(choice).lower() == "false":
        return False
    if str(choice).lower() == "true":
        return True
    return _namespace_labels(view, namespace).get("istio-injection") == "enabled"


def _pod_endpoint(view: ClusterView, m: Manifest, template: Any, what: str) -> Endpoint:
    meta = get_path(template, "metadata")
    labels = get_path(meta, "labels")
    labels = {str(k): str(v) for k, v in labels.items()} if isinstance(labels, Mapping) else {}
    annotations = get_path(meta, "annotations")
    annotations = annotations if isinstance(annotations, Mapping) else {}
    spec = get_path(template, "spec")
    ports = {
        str(p.get("name")): int(p["containerPort"])
        for c in list_of(get_path(spec, "containers"))
        for p in list_of(get_path(c, "ports"))
        if isinstance(p, Mapping) and p.get("name") and isinstance(p.get("containerPort"), int)
    }
    return Endpoint(
        namespace=m.namespace,
        labels=labels,
        what=what,
        manifest=m,
        service_account=str(get_path(spec, "serviceAccountName") or "default"),
        meshed=_meshed(view, m.namespace, labels, annotations),
        excluded_inbound=_ports(annotations.get("traffic.sidecar.istio.io/excludeInboundPorts")),
        excluded_outbound=_ports(annotations.get("traffic.sidecar.istio.io/excludeOutboundPorts")),
        ports=ports,
    )


def _workloads(view: ClusterView) -> Iterator[Endpoint]:
    for m in view.manifests:
        path = pod_spec_path(m)
        if path is None or m.kind == "Pod":
            continue
        template = get_path(m.body, *path[:-1])
        yield _pod_endpoint(view, m, template, f"{m.kind} {m.namespace}/{m.name}")


def _rabbitmq(view: ClusterView, m: Manifest) -> Endpoint:
    """The pods the RabbitMQ cluster operator creates for ``m`` (its labels, our overrides)."""
    template = get_path(m.body, "spec", "override", "statefulSet", "spec", "template")
    base = _pod_endpoint(view, m, template or {}, f"RabbitMQ {m.namespace}/{m.name}")
    labels = {
        "app.kubernetes.io/name": m.name,
        "app.kubernetes.io/component": "rabbitmq",
        "app.kubernetes.io/part-of": "rabbitmq",
    }
    return Endpoint(**{**base.__dict__, "labels": labels, "service_account": f"{m.name}-server"})


def _chart_endpoint(view: ClusterView, charts: frozenset[str], what: str, fallback: str) -> Endpoint | None:
    for app, chart, _release, namespace, values in helm_releases(view):
        if chart not in charts:
            continue
        pod_labels: dict[str, Any] = {}
        pod_annotations: dict[str, Any] = {}
        for part in (values, get_path(values, "gateway"), get_path(values, "server")):
            if isinstance(part, Mapping):
                pod_labels.update(part.get("podLabels") or {})
                pod_annotations.update(part.get("podAnnotations") or {})
        return Endpoint(
            namespace=namespace,
            labels={str(k): str(v) for k, v in pod_labels.items()},
            what=f"{what} ({app.name})",
            manifest=app,
            meshed=_meshed(view, namespace, pod_labels, pod_annotations),
            known_labels=False,
        )
    if fallback:
        return Endpoint(namespace=fallback, labels={}, what=what, known_labels=False, mesh_known=False)
    return None


def _service_pods(
    view: ClusterView, namespace: str, name: str, pods: Labelled[Endpoint]
) -> tuple[Endpoint, int] | None:
    """The first workload (of ``pods``: ``_workloads``) the Service selects, and its target port."""
    svc = view.get("Service", namespace, name)
    selector = get_path(svc.body, "spec", "selector") if svc else None
    if not isinstance(selector, Mapping) or not selector:
        return None
    for ep in pods.candidates(namespace, selector):
        if ep.namespace == namespace and all(ep.labels.get(k) == v for k, v in selector.items()):
            target = get_path(svc.body, "spec", "ports", 0, "targetPort") if svc else None
            port = ep.ports.get(target) if isinstance(target, str) else target
            return ep, int(port) if isinstance(port, int) else 0
    return None


# --- flows ------------------------------------------------------------------------------------------


def _credential_clusters(view: ClusterView) -> dict[tuple[str, str], Manifest]:
    """(namespace, Secret name) of RabbitMQ credentials → the RabbitmqCluster they open."""
    out: dict[tuple[str, str], Manifest] = {}
    for rmq in view.of_kind("RabbitmqCluster"):
        out[(rmq.namespace, f"{rmq.name}-default-user")] = rmq
    for user in view.of_kind("User"):
        ref = get_path(user.body, "spec", "rabbitmqClusterReference")
        name = get_path(ref, "name")
        target = view.get("RabbitmqCluster", str(get_path(ref, "namespace") or user.namespace), str(name))
        if target is not None:
            out[(user.namespace, f"{user.name}-user-credentials")] = target
    return out


def flows(view: ClusterView) -> Iterator[Flow]:
    """Every flow the rendered platform depends on (see the module docstring)."""
    workloads = list(_workloads(view))
    labelled = Labelled((ep.namespace, ep.labels, ep) for ep in workloads)
    credentials = _credential_clusters(view)
    for ep in workloads:
        base = pod_spec_path(ep.manifest) if ep.manifest else None
        spec = get_path(ep.manifest.body, *base) if ep.manifest and base else None
        secrets = {
            str(get_path(e, "valueFrom", "secretKeyRef", "name"))
            for c in list_of(get_path(spec, "containers"))
            for e in list_of(get_path(c, "env"))
        }
        for secret in sorted(secrets):
            rmq = credentials.get((ep.namespace, secret))
            if rmq is not None:
                yield Flow(ep, _rabbitmq(view, rmq), 5672, "AMQP to RabbitMQ")
    topology = any(view.of_kind(k) for k in ("Queue", "Exchange", "Binding", "User", "Permission"))
    operator = _chart_endpoint(
        view, frozenset({"rabbitmq-cluster-operator"}), "messaging-topology operator", "rabbitmq-system"
    )
    for rmq in view.of_kind("RabbitmqCluster"):
        pods = _rabbitmq(view, rmq)
        for port in (4369, 25672):
            yield Flow(pods, pods, port, "RabbitMQ peer clustering")
        if topology and operator is not None:
            yield Flow(operator, pods, 15672, "topology operator to the management API")
    kong = _chart_endpoint(view, KONG_CHARTS, "Kong proxy", "kong")
    for ing in view.of_kind("Ingress"):
        cls = get_path(ing.body, "spec", "ingressClassName")
        if cls != "kong" or kong is None:
            continue
        for rule in list_of(get_path(ing.body, "spec", "rules")):
            for p in list_of(get_path(rule, "http", "paths")):
                name = get_path(p, "backend", "service", "name")
                found = (
                    _service_pods(view, ing.namespace, str(name), labelled) if isinstance(name, str) else None
                )
                if found is not None:
                    yield Flow(kong, found[0], found[1], f"Kong route to Service {name}", carries_jwt=True)
    yield from _rate_limit_store_flows(view, kong, labelled)
    prometheus = _chart_endpoint(
        view, frozenset({"prometheus", "kube-prometheus-stack"}), "Prometheus", "monitoring"
    )
    for ep in workloads:
        if ep.meshed and prometheus is not None and view.of_kind("AnalysisTemplate"):
            yield Flow(prometheus, ep, 15020, "Prometheus scraping Istio metrics")


def _service_host(host: str) -> tuple[str, str] | None:
    """``name.namespace[.svc[.cluster.local]]`` → (namespace, name)."""
    labels = host.split(".")
    if len(labels) >= 2 and labels[2:] in ([], ["svc"], ["svc", "cluster", "local"]):
        return labels[1], labels[0]
    return None


def _rate_limit_store_flows(
    view: ClusterView, kong: Endpoint | None, pods: Labelled[Endpoint]
) -> Iterator[Flow]:
    """Kong → the Redis its rate-limiting plugins count in (``policy: redis``)."""
    if kong is None:
        return
    for m in [*view.of_kind("KongPlugin"), *view.of_kind("KongClusterPlugin")]:
        config = m.body.get("config")
        if m.body.get("plugin") not in ("rate-limiting", "response-ratelimiting"):
            continue
        if get_path(config, "policy") != "redis":
            continue
        host = get_path(config, "redis", "host") or get_path(config, "redis_host")
        port = get_path(config, "redis", "port") or get_path(config, "redis_port") or 6379
        where = _service_host(host) if isinstance(host, str) else None
        found = _service_pods(view, *where, pods) if where else None
        if found is not None and isinstance(port, int):
            yield Flow(kong, found[0], port, f"Kong rate-limit counters ({m.name})")


# --- NetworkPolicy ------------------------------------------------------------------------------


def _selector_matches(selector: Any, labels: Mapping[str, str], known: bool) -> bool:
    if not isinstance(selector, Mapping):
        return False
    match = selector.get("matchLabels") or {}
    exprs = list_of(selector.get("matchExpressions"))
    if not match and not exprs:
        return True
    if not known:
        return False
    if any(labels.get(k) != v for k, v in match.items()):
        return False
    for e in exprs:
        key, op, values = e.get("key"), e.get("operator"), list_of(e.get("values"))
        ok = {
            "In": labels.get(key) in values,
            "NotIn": labels.get(key) not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }.get(str(op), False)
        if not ok:
            return False
    return True


def _peer_matches(view: ClusterView, peer: Any, policy_ns: str, other: Endpoint) -> bool:
    pod_sel, ns_sel = get_path(peer, "podSelector"), get_path(peer, "namespaceSelector")
    if pod_sel is None and ns_sel is None:
        return False  # ipBlock: cluster-external addresses
    if ns_sel is None:
        in_ns = other.namespace == policy_ns
    else:
        in_ns = _selector_matches(ns_sel, _namespace_labels(view, other.namespace), True)
    return in_ns and (pod_sel is None or _selector_matches(pod_sel, other.labels, other.known_labels))


def _port_matches(rule_ports: list[Any], port: int, dest: Endpoint) -> bool:
    if not rule_ports:
        return True
    for p in rule_ports:
        value = get_path(p, "port")
        if value is None or value == port or (isinstance(value, str) and dest.ports.get(value) == port):
            return True
        end = get_path(p, "endPort")
        if isinstance(value, int) and isinstance(end, int) and value <= port <= end:
            return True
    return False


def _network_block(
    view: ClusterView, flow: Flow, direction: str, policies: ByLabels[Manifest]
) -> Manifest | None:
    """The first NetworkPolicy isolating the flow's pod in ``direction`` that no rule opens, if any.

    ``policies``: the cluster's NetworkPolicies by their pod selectors.
    """
    local, other = (flow.dest, flow.source) if direction == "Ingress" else (flow.source, flow.dest)
    rules_key, peer_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    selecting = []
    for np in policies.candidates([local.namespace], local.labels):
        if np.namespace != local.namespace:
            continue
        types = list_of(get_path(np.body, "spec", "policyTypes")) or (
            ["Ingress", "Egress"] if get_path(np.body, "spec", "egress") is not None else ["Ingress"]
        )
        if direction in types and _selector_matches(
            get_path(np.body, "spec", "podSelector"), local.labels, local.known_labels
        ):
            selecting.append(np)
    if not selecting:
        return None
    for np in selecting:
        for rule in list_of(get_path(np.body, "spec", rules_key)):
            peers = list_of(get_path(rule, peer_key))
            if (
                not peers or any(_peer_matches(view, p, np.namespace, other) for p in peers)
            ) and _port_matches(list_of(get_path(rule, "ports")), flow.port, flow.dest):
                return None
    # The pod's own policy (a non-empty selector) is where the missing rule belongs.
    return next(
        (np for np in selecting if get_path(np.body, "spec", "podSelector", "matchLabels")), selecting[0]
    )


# --- Istio --------------------------------------------------------------------------------------


def _strict(view: ClusterView, namespace: str, port: int) -> bool:
    mode = None
    for ns in (ROOT_NAMESPACE, namespace):
        for pa in view.of_kind("PeerAuthentication"):
            if pa.namespace == ns and not get_path(pa.body, "spec", "selector"):
                mode = get_path(pa.body, "spec", "mtls", "mode") or mode
                level = get_path(pa.body, "spec", "portLevelMtls", str(port), "mode")
                mode = level or mode
    return mode == "STRICT"


def _source_matches(src: Any, flow: Flow) -> bool:
    if not isinstance(src, Mapping):
        return False
    namespaces = [str(n) for n in list_of(src.get("namespaces"))]
    principals = [str(p) for p in list_of(src.get("principals"))]
    identity = f"cluster.local/ns/{flow.source.namespace}/sa/{flow.source.service_account or 'default'}"
    if namespaces and not any(fnmatch.fnmatchcase(flow.source.namespace, n) for n in namespaces):
        return False
    if principals and (
        not flow.source.known_labels or not any(fnmatch.fnmatchcase(identity, p) for p in principals)
    ):
        return False
    return not (list_of(src.get("requestPrincipals")) and not flow.carries_jwt)


def _rule_admits(rule: Any, flow: Flow) -> bool:
    sources = list_of(get_path(rule, "from"))
    if sources and not any(_source_matches(get_path(s, "source"), flow) for s in sources):
        return False
    targets = list_of(get_path(rule, "to"))
    if not targets:
        return True
    return any(
        not list_of(get_path(t, "operation", "ports"))
        or str(flow.port) in [str(p) for p in list_of(get_path(t, "operation", "ports"))]
        for t in targets
    )


def _authorization_block(view: ClusterView, flow: Flow, policies: ByLabels[Manifest]) -> Manifest | None:
    """The first ALLOW AuthorizationPolicy of the destination that admits nothing of the flow.

    ``policies``: the cluster's AuthorizationPolicies by their workload selectors.
    """
    allows = [
        ap
        for ap in policies.candidates(dict.fromkeys((flow.dest.namespace, ROOT_NAMESPACE)), flow.dest.labels)
        if ap.namespace in (flow.dest.namespace, ROOT_NAMESPACE)
        and get_path(ap.body, "spec", "action") in (None, "ALLOW")
        and _selector_matches(
            {"matchLabels": get_path(ap.body, "spec", "selector", "matchLabels") or {}},
            flow.dest.labels,
            flow.dest.known_labels,
        )
    ]
    if not allows:
        return None
    if any(_rule_admits(r, flow) for ap in allows for r in list_of(get_path(ap.body, "spec", "rules"))):
        return None
    return next((ap for ap in allows if get_path(ap.body, "spec", "rules")), allows[0])


def check_network_paths(view: ClusterView) -> Iterator[Finding]:
    """Every declared flow passes NetworkPolicy (both ends) and, where intercepted, Istio."""
    seen: set[tuple[str, str, int]] = set()
    network = ByLabels(
        (np.namespace, get_path(np.body, "spec", "podSelector"), np) for np in view.of_kind("NetworkPolicy")
    )
    authorization = ByLabels(
        (ap.namespace, {"matchLabels": get_path(ap.body, "spec", "selector", "matchLabels")}, ap)
        for ap in view.of_kind("AuthorizationPolicy")
    )
    for flow in flows(view):
        key = (flow.source.what, flow.dest.what, flow.port)
        if key in seen:
            continue  # one route per host and path: judged once
        seen.add(key)
        what = f"{flow.purpose}: {flow.source.what} → {flow.dest.what} port {flow.port}"
        for direction in ("Egress", "Ingress"):
            np = _network_block(view, flow, direction, network)
            if np is not None:
                yield finding(
                    np,
                    ("spec", "podSelector"),
                    "network-paths",
                    f"{what} is denied by NetworkPolicy {np.namespace}/{np.name} ({direction.lower()} of "
                    f"{'the destination' if direction == 'Ingress' else 'the source'}): no rule allows it. "
                    f"Add an {direction.lower()} rule for this peer and port.",
                )
        dest = flow.dest
        if not dest.meshed or flow.port in dest.excluded_inbound or flow.port in SIDECAR_PORTS:
            continue
        plaintext = not flow.source.meshed or flow.port in flow.source.excluded_outbound
        if plaintext and flow.source.mesh_known and _strict(view, dest.namespace, flow.port):
            target = dest.manifest or flow.source.manifest
            if target is not None:
                yield finding(
                    target,
                    ("metadata", "name"),
                    "network-paths",
                    f"{what}: the source is outside the mesh (plaintext) and namespace {dest.namespace} "
                    "requires STRICT mTLS, so the sidecar refuses the connection. Put the source in "
                    "the mesh, or exclude the port from interception on the destination "
                    "(traffic.sidecar.istio.io/excludeInboundPorts) and guard it with NetworkPolicy.",
                )
            continue
        ap = _authorization_block(view, flow, authorization)
        if ap is not None:
            yield finding(
                ap,
                ("spec",),
                "network-paths",
                f"{what} is refused by the mesh: no ALLOW AuthorizationPolicy rule in {dest.namespace} "
                f"admits namespace {flow.source.namespace} "
                f"(identity sa/{flow.source.service_account or '?'}) "
                f"on port {flow.port} (first policy: {ap.name}). Add a rule for this source and port.",
            )


# --- Pod Security vs sidecar injection ----------------------------------------------------------

RESTRICTIVE_PSS = frozenset({"baseline", "restricted"})


def _cni_enabled(view: ClusterView) -> tuple[bool, bool, bool]:
    """(istiod is deployed by the tree, an istio-cni chart is, istiod is configured to rely on it)."""
    istiod, cni_chart, istiod_cni = False, False, False
    for _, chart, _release, _ns, values in helm_releases(view):
        if chart == "cni":
            cni_chart = True
        if chart == "istiod":
            istiod = True
            istiod_cni = bool(
                get_path(values, "cni", "enabled") or get_path(values, "pilot", "cni", "enabled")
            )
    return istiod, cni_chart, istiod_cni


def check_mesh_pss_cni(view: ClusterView) -> Iterator[Finding]:
    """Namespaces that inject sidecars under Pod Security baseline/restricted need istio-cni.

    Without it the injector adds the ``istio-init`` container, which needs NET_ADMIN and NET_RAW:
    the API server's Pod Security admission rejects every meshed pod. Judged where the tree installs
    the mesh (an istiod chart delivered to the cluster); a mesh installed outside it is not seen.
    """
    istiod, cni_chart, istiod_cni = _cni_enabled(view)
    if not istiod or (cni_chart and istiod_cni):
        return
    missing = (
        "istio-cni is not deployed" if not cni_chart else "istiod does not enable cni (values cni.enabled)"
    )
    for ns in view.of_kind("Namespace"):
        labels = get_path(ns.body, "metadata", "labels")
        labels = labels if isinstance(labels, Mapping) else {}
        level = labels.get("pod-security.kubernetes.io/enforce")
        if labels.get("istio-injection") == "enabled" and level in RESTRICTIVE_PSS:
            yield finding(
                ns,
                ("metadata", "labels"),
                "mesh-pss-cni",
                f"namespace {ns.name} injects sidecars and enforces Pod Security {level!r}, but {missing}: "
                "the injected istio-init container needs NET_ADMIN/NET_RAW, so every meshed pod is "
                "rejected. Deploy the istio-cni chart and set cni.enabled on istiod.",
            )


MESH_CHECKS: dict[str, Callable[[ClusterView], Iterator[Finding]]] = {
    "kong-mesh-upstream": check_kong_mesh_upstream,
    "kong-oss-plugins": check_kong_oss_plugins,
    "kong-rate-limits": check_kong_rate_limits,
    "mesh-pss-cni": check_mesh_pss_cni,
    "network-paths": check_network_paths,
}
"""Mesh and network checks by the name their findings carry.

They read the operators' Helm values (istio-cni, istiod, Kong's sidecar, Prometheus) from the
Applications that deploy into the cluster, the hub's included (``ClusterView.applications``).
"""
