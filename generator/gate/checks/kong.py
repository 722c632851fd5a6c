"""Kong checks: routes into the mesh, plugins the edition has, rate limits that hold.

Stage: beside ``generator.gate.checks.cluster`` (``ClusterView`` in, ``Finding`` out, pure); registered
with the mesh checks (``generator.gate.checks.mesh.MESH_CHECKS``). Kong's own settings are read from
the Helm values of the Application that installs it (the hub's included).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from generator.findings import Finding
from generator.gate.checks.cluster import ClusterView, finding, get_path, list_of
from generator.gate.checks.paths import helm_releases

__all__ = [
    "KONG_CHARTS",
    "check_kong_mesh_upstream",
    "check_kong_oss_plugins",
    "check_kong_rate_limits",
]

#: Kong's charts: ``ingress`` wraps ``kong`` as ``controller`` and ``gateway`` (the proxy).
KONG_CHARTS = frozenset({"ingress", "kong"})

# --- Kong ---------------------------------------------------------------------------------------

#: Plugins only Kong Enterprise ships (docs.konghq.com/hub, "Enterprise" tier); OSS Kong's admission
#: webhook rejects a KongPlugin naming one.
KONG_ENTERPRISE_PLUGINS = frozenset(
    {
        "openid-connect",
        "rate-limiting-advanced",
        "oauth2-introspection",
        "jwt-signer",
        "key-auth-enc",
        "ldap-auth-advanced",
        "mtls-auth",
        "opa",
        "vault-auth",
        "canary",
        "forward-proxy",
        "graphql-proxy-cache-advanced",
        "graphql-rate-limiting-advanced",
        "proxy-cache-advanced",
        "request-validator",
        "route-by-header",
        "exit-transformer",
        "application-registration",
        "degraphql",
        "websocket-size-limit",
        "websocket-validator",
        "xml-threat-protection",
        "json-threat-protection",
        "saml",
        "header-cert-auth",
        "upstream-oauth",
        "ai-semantic-cache",
        "ai-rate-limiting-advanced",
    }
)


def _kong_enterprise(view: ClusterView) -> bool:
    for _, chart, _release, _ns, values in helm_releases(view):
        if chart not in KONG_CHARTS:
            continue
        for part in (values, get_path(values, "gateway")):
            image = get_path(part, "image", "repository")
            if isinstance(image, str) and "kong-gateway" in image:
                return True
            if get_path(part, "enterprise", "enabled") is True:
                return True
    return False


def check_kong_oss_plugins(view: ClusterView) -> Iterator[Finding]:
    """No Enterprise-only plugin on open-source Kong (the chart's default image)."""
    if _kong_enterprise(view):
        return
    for m in [*view.of_kind("KongPlugin"), *view.of_kind("KongClusterPlugin")]:
        name = m.body.get("plugin")
        if name in KONG_ENTERPRISE_PLUGINS:
            yield finding(
                m,
                ("plugin",),
                "kong-oss-plugins",
                f"plugin {name!r} exists only in Kong Enterprise; this cluster runs open-source Kong, "
                "whose admission webhook rejects it and fails the sync. Use an OSS plugin (jwt, "
                "rate-limiting) or Istio RequestAuthentication, or declare kong.edition: enterprise.",
            )


def check_kong_mesh_upstream(view: ClusterView) -> Iterator[Finding]:
    """Kong routes into the mesh through the Service, not around it to pod IPs.

    Without ``ingress.kubernetes.io/service-upstream: "true"`` Kong load-balances over the
    endpoints itself: its requests skip the VirtualService (no canary weights) and, from outside
    the sidecar's service routing, arrive as plaintext that STRICT mTLS refuses. With it, the host
    Kong sends must name the Service (``konghq.com/host-header`` or preserve-host off), or the
    sidecar cannot match the request to the Service's routes.
    """
    for ing in view.of_kind("Ingress"):
        if get_path(ing.body, "spec", "ingressClassName") != "kong":
            continue
        preserve = get_path(ing.body, "metadata", "annotations", "konghq.com/preserve-host")
        for i, rule in enumerate(list_of(get_path(ing.body, "spec", "rules"))):
            for j, p in enumerate(list_of(get_path(rule, "http", "paths"))):
                name = get_path(p, "backend", "service", "name")
                svc = view.get("Service", ing.namespace, str(name)) if isinstance(name, str) else None
                if svc is None:
                    continue
                path = ("spec", "rules", i, "http", "paths", j, "backend", "service", "name")
                notes = get_path(svc.body, "metadata", "annotations")
                notes = notes if isinstance(notes, Mapping) else {}
                if str(notes.get("ingress.kubernetes.io/service-upstream")).lower() != "true":
                    yield finding(
                        ing,
                        path,
                        "kong-mesh-upstream",
                        f"Kong routes to Service {name} by pod IP (no "
                        'ingress.kubernetes.io/service-upstream: "true" on it): external traffic '
                        "bypasses the canary weights and mTLS. Annotate "
                        "the Service.",
                    )
                elif str(preserve).lower() != "false" and not notes.get("konghq.com/host-header"):
                    yield finding(
                        ing,
                        path,
                        "kong-mesh-upstream",
                        f"Kong forwards the client's Host to Service {name}: the sidecar matches no route "
                        "for it and the canary weights never apply. Set konghq.com/preserve-host: "
                        '"false" on the Ingress or konghq.com/host-header on the Service.',
                    )


# --- rate limits --------------------------------------------------------------------------------

RATE_LIMIT_PLUGINS = frozenset({"rate-limiting", "response-ratelimiting"})


def _kong_gateway(view: ClusterView) -> tuple[Any, Mapping[str, Any]] | None:
    """(Application, the proxy's values) of the Kong the cluster runs, if the tree installs it."""
    for app, chart, _release, _ns, values in helm_releases(view):
        if chart == "ingress":
            gateway = get_path(values, "gateway")
            return app, gateway if isinstance(gateway, Mapping) else {}
        if chart == "kong":
            return app, values
    return None


def _replicas(gateway: Mapping[str, Any]) -> int:
    if get_path(gateway, "autoscaling", "enabled") is True:
        high = get_path(gateway, "autoscaling", "maxReplicas")
        return high if isinstance(high, int) else 2
    count = gateway.get("replicaCount", 1)
    return count if isinstance(count, int) else 1


def _service_exists(view: ClusterView, host: Any) -> bool:
    labels = str(host).split(".")
    if len(labels) < 2 or labels[2:] not in ([], ["svc"], ["svc", "cluster", "local"]):
        return False  # outside the cluster: not judged here
    return view.get("Service", labels[1], labels[0]) is not None


def check_kong_rate_limits(view: ClusterView) -> Iterator[Finding]:
    """Each rate limit is one limit per client, whatever Kong replica serves it.

    ``policy: local`` (the plugin's default) counts per replica, so N replicas allow N times the
    limit; ``cluster`` needs Kong's database, which the DB-less chart does not run; ``redis`` needs
    a store the tree renders. ``limit_by: ip`` (the default fallback) behind a load balancer counts
    the balancer's addresses unless Kong takes the client's from a trusted header
    (``real_ip_header`` and ``trusted_ips`` in the proxy's ``env``).
    """
    found = _kong_gateway(view)
    if found is None:
        return
    _app, gateway = found
    replicas = _replicas(gateway)
    env = get_path(gateway, "env")
    env = env if isinstance(env, Mapping) else {}
    dbless = str(env.get("database", "off")) == "off"
    behind_lb = str(get_path(gateway, "proxy", "type") or "LoadBalancer") == "LoadBalancer"
    trusts_client = bool(env.get("real_ip_header")) and bool(env.get("trusted_ips"))
    for m in [*view.of_kind("KongPlugin"), *view.of_kind("KongClusterPlugin")]:
        if m.body.get("plugin") not in RATE_LIMIT_PLUGINS:
            continue
        config = m.body.get("config")
        config = config if isinstance(config, Mapping) else {}
        policy = str(config.get("policy", "local"))
        path = ("config", "policy") if "policy" in config else ("config",)
        if policy == "local" and replicas > 1:
            yield finding(
                m,
                path,
                "kong-rate-limits",
                f"rate limit {m.name} counts per Kong replica (policy local) and Kong runs {replicas}: "
                f"a client gets up to {replicas} times the limit. Use policy: redis with a store the "
                "tree renders.",
            )
        elif policy == "cluster" and dbless:
            yield finding(
                m,
                path,
                "kong-rate-limits",
                f"rate limit {m.name} uses policy cluster, which needs Kong's database; this Kong runs "
                "DB-less, so the plugin is rejected. Use policy: redis.",
            )
        elif policy == "redis":
            host = get_path(config, "redis", "host") or config.get("redis_host")
            if not _service_exists(view, host) and str(host).endswith((".svc", ".svc.cluster.local")):
                yield finding(
                    m,
                    ("config", "redis", "host") if get_path(config, "redis", "host") else path,
                    "kong-rate-limits",
                    f"rate limit {m.name} counts in Redis at {host}, which this cluster does not render: "
                    "every replica falls back to allowing all requests. Render the store or fix the host.",
                )
        if str(config.get("limit_by", "consumer")) in ("ip", "consumer") and behind_lb and not trusts_client:
            yield finding(
                m,
                ("config", "limit_by") if "limit_by" in config else ("config",),
                "kong-rate-limits",
                f"rate limit {m.name} is keyed on the client address, but Kong sits behind a load "
                "balancer and trusts no header for the real client (gateway env real_ip_header and "
                "trusted_ips unset): every client shares the balancer's addresses. Enable the NLB's "
                "PROXY protocol and set real_ip_header: proxy_protocol with trusted_ips.",
            )
