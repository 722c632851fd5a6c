"""The request, identity, messaging and storage paths: each class of break, made on purpose in the
shipped render, is caught by its check with an error that names the rendered file and, where one
exists, the environment line behind it."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from test_check_breaks import Body, drop, edit, run, shipped, source_line

from generator.findings import Finding
from generator.manifest import Manifest

__all__ = ["shipped"]  # the session fixture, shared with test_check_breaks

Breaker = Callable[[list[Manifest]], list[Manifest]]


def _errors(manifests: list[Manifest], env: str, check: str) -> list[Finding]:
    return [f for f in run(manifests, env).findings if f.severity == "error" and f.rule == check]


def _add(manifests: list[Manifest], like: tuple[str, str], body: Body) -> list[Manifest]:
    """``manifests`` plus ``body``, rendered as if beside the object ``like`` (kind, name)."""
    template = next(m for m in manifests if (m.kind, m.name) == like)
    return [*manifests, Manifest(template.env, template.cluster, template.component, body, template.sources)]


def _unscoped(body: Body) -> None:
    """The policy as it was before issue 9: every rule on every namespace, owned objects too."""
    for rule in body["spec"]["rules"]:
        for entry in rule["match"]["any"]:
            entry["resources"].pop("namespaces", None)
        rule.pop("preconditions", None)
        rule.pop("exclude", None)


def _old_condition(body: Body) -> None:
    body["spec"]["metrics"][0]["successCondition"] = "len(result) == 0 || result[0] >= 0.99"


def _gateway(selector: dict[str, str]) -> Body:
    return {
        "apiVersion": "networking.istio.io/v1",
        "kind": "Gateway",
        "metadata": {"name": "edge", "namespace": "docproc"},
        "spec": {
            "selector": selector,
            "servers": [{"hosts": ["*"], "port": {"name": "http", "number": 80, "protocol": "HTTP"}}],
        },
    }


def _gateway_release(manifests: list[Manifest]) -> str:
    app = next(
        m for m in manifests if m.kind == "Application" and m.body["spec"]["source"].get("chart") == "gateway"
    )
    return str(app.body["spec"]["source"].get("helm", {}).get("releaseName") or app.name)


def _rabbitmq_anywhere(body: Body) -> None:
    body["spec"].pop("affinity")


def _chart_app(manifests: list[Manifest], chart: str) -> str:
    """Name of the first Application (the hub's included) that installs ``chart``."""
    return next(
        m.name
        for m in manifests
        if m.kind == "Application" and m.body["spec"]["source"].get("chart") == chart
    )


def _without_chart(manifests: list[Manifest], chart: str) -> list[Manifest]:
    return [
        m
        for m in manifests
        if not (m.kind == "Application" and m.body["spec"]["source"].get("chart") == chart)
    ]


def _address(address: str) -> Callable[[Body], None]:
    def change(body: Body) -> None:
        body["spec"]["metrics"][0]["provider"]["prometheus"]["address"] = address

    return change


def _elb_target(body: Body) -> None:
    body["spec"]["endpoints"][0]["targets"] = ["k8s-kong-abc123.elb.eu-west-1.amazonaws.com"]


def _hostname_on_cluster_ip(body: Body) -> None:
    body["metadata"].setdefault("annotations", {})["external-dns.alpha.kubernetes.io/hostname"] = (
        "q.example.com"
    )


def _chart_values(manifests: list[Manifest], chart: str, change: Callable[[Body], object]) -> list[Manifest]:
    """``change`` applied to the Helm values of the first Application installing ``chart``."""
    name = _chart_app(manifests, chart)
    return edit(manifests, "Application", name, lambda b: change(b["spec"]["source"]["helm"]["valuesObject"]))


def _no_peer_egress(body: Body) -> None:
    body["spec"]["egress"] = [
        r for r in body["spec"]["egress"] if {"port": 4369, "protocol": "TCP"} not in r.get("ports", [])
    ]


CASES: list[tuple[str, str, Breaker, str, bool]] = [
    # (id, env, break, check, the finding traces to an environment line)
    (
        "restrict-images-on-every-namespace",
        "dev",
        lambda ms: edit(ms, "ClusterPolicy", "restrict-images", _unscoped),
        "policy-scope",
        False,
    ),
    (
        "pod-security-blocks-istio-init",
        "prod",
        lambda ms: edit(ms, "ClusterPolicy", "pod-security-restricted", _unscoped),
        "policy-scope",
        False,
    ),
    (
        "plaintext-secrets-blocks-operator-secrets",
        "dev",
        lambda ms: edit(ms, "ClusterPolicy", "disallow-plaintext-secrets", _unscoped),
        "policy-scope",
        False,
    ),
    (
        "rabbitmq-user-missing",
        "dev",
        lambda ms: drop(ms, "User", "docproc-app"),
        "secret-refs",
        True,
    ),
    (
        "tls-certificate-missing",
        "dev",
        lambda ms: drop(ms, "Certificate", "docproc-tls"),
        "secret-refs",
        True,
    ),
    (
        "gateway-selects-ingressgateway",
        "dev",
        lambda ms: _add(ms, ("DNSEndpoint", "api"), _gateway({"istio": "ingressgateway"})),
        "gateway-selector",
        True,
    ),
    (
        "rabbitmq-may-run-on-spot",
        "dev",
        lambda ms: edit(ms, "RabbitmqCluster", "docproc-rabbitmq", _rabbitmq_anywhere),
        "stateful-on-spot",
        True,
    ),
    (
        "analysis-passes-on-no-data",
        "dev",
        lambda ms: edit(ms, "AnalysisTemplate", "success-rate-ingest-api", _old_condition),
        "analysis-evidence",
        True,
    ),
    (
        "storage-class-without-file-system-id",
        "prod",
        lambda ms: edit(ms, "StorageClass", "efs-documents", lambda b: b["parameters"].pop("fileSystemId")),
        "efs-mount",
        True,
    ),
    (
        "file-system-without-mount-targets",
        "dev",
        lambda ms: [m for m in ms if m.kind != "MountTarget"],
        "efs-mount",
        True,
    ),
    (
        "meshed-namespace-without-istio-cni",
        "dev",
        lambda ms: _without_chart(ms, "cni"),
        "mesh-pss-cni",
        True,
    ),
    (
        "kong-outside-the-mesh",
        "dev",
        lambda ms: _chart_values(ms, "ingress", lambda v: v["gateway"].pop("podLabels")),
        "network-paths",
        True,
    ),
    (
        "rabbitmq-peer-ports-denied",
        "prod",
        lambda ms: edit(ms, "NetworkPolicy", "allow-amqp-from-docproc", _no_peer_egress),
        "network-paths",
        True,
    ),
    (
        "analysis-queries-a-prometheus-nobody-runs",
        "dev",
        lambda ms: edit(
            ms,
            "AnalysisTemplate",
            "success-rate-ingest-api",
            _address("http://prometheus.observability.svc:9090"),
        ),
        "analysis-evidence",
        True,
    ),
    (
        "no-prometheus-delivered",
        "prod",
        lambda ms: _without_chart(ms, "prometheus"),
        "analysis-evidence",
        True,
    ),
    (
        "sidecars-not-scraped",
        "dev",
        lambda ms: _chart_values(
            ms, "prometheus", lambda v: v.update(scrapeConfigs={"kubernetes-pods": {"enabled": False}})
        ),
        "analysis-evidence",
        True,
    ),
    (
        "rate-limit-counted-per-replica",
        "prod",
        lambda ms: edit(ms, "KongPlugin", "docproc-rate-limit", lambda b: b["config"].update(policy="local")),
        "kong-rate-limits",
        True,
    ),
    (
        "rate-limit-keyed-on-the-load-balancer",
        "dev",
        lambda ms: _chart_values(ms, "ingress", lambda v: v["gateway"]["env"].pop("real_ip_header")),
        "kong-rate-limits",
        True,
    ),
    (
        "rate-limit-store-not-rendered",
        "dev",
        lambda ms: drop(ms, "Service", "kong-rate-limit-redis"),
        "kong-rate-limits",
        True,
    ),
    (
        "rate-limit-store-closed-to-kong",
        "dev",
        lambda ms: edit(ms, "NetworkPolicy", "kong-rate-limit-redis", lambda b: b["spec"]["ingress"].pop(0)),
        "network-paths",
        True,
    ),
    (
        "dns-record-targets-a-copied-elb-name",
        "prod",
        lambda ms: edit(ms, "DNSEndpoint", "api", _elb_target),
        "dns-targets",
        True,
    ),
    (
        "external-dns-does-not-read-services",
        "dev",
        lambda ms: _chart_values(ms, "external-dns", lambda v: v.update(sources=["crd"])),
        "dns-targets",
        True,
    ),
    (
        "hostname-on-a-cluster-ip-service",
        "dev",
        lambda ms: edit(ms, "Service", "query-api", _hostname_on_cluster_ip),
        "dns-targets",
        True,
    ),
    (
        "public-route-without-jwt-validation",
        "dev",
        lambda ms: drop(ms, "RequestAuthentication", "jwt-ingest-api"),
        "kong-route-plugins",
        True,
    ),
]


@pytest.mark.parametrize(
    ("env", "breaker", "check", "traced"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_path_break_is_caught(
    shipped: tuple[Manifest, ...], env: str, breaker: Breaker, check: str, traced: bool
) -> None:
    manifests = [copy.copy(m) for m in shipped if m.env == env]
    assert not _errors(manifests, env, check), "the shipped render must pass this check"
    errors = _errors(breaker(manifests), env, check)
    assert errors, f"no {check} error"
    f = errors[0]
    assert f.file.startswith(f"rendered/{env}/")
    assert f.line is not None
    assert f.message.endswith(".") or "." in f.message
    if traced:
        file, _ = source_line(f)
        assert file in ("_defaults.yaml", f"{env}.yaml")


def test_gateway_selecting_the_chart_labels_passes(shipped: tuple[Manifest, ...]) -> None:
    manifests = [m for m in shipped if m.env == "dev"]
    release = _gateway_release(manifests)
    good = _add(manifests, ("DNSEndpoint", "api"), _gateway({"istio": release.removeprefix("istio-")}))
    assert not _errors(good, "dev", "gateway-selector")


def test_gateway_credential_outside_the_gateway_namespace(shipped: tuple[Manifest, ...]) -> None:
    manifests = [m for m in shipped if m.env == "dev"]
    release = _gateway_release(manifests)
    gw: dict[str, Any] = _gateway({"istio": release.removeprefix("istio-")})
    gw["spec"]["servers"][0].update(
        port={"name": "https", "number": 443, "protocol": "HTTPS"},
        tls={"mode": "SIMPLE", "credentialName": "docproc-tls"},
    )
    errors = _errors(_add(manifests, ("DNSEndpoint", "api"), gw), "dev", "secret-refs")
    assert errors
    assert "gateway workload's namespace" in errors[0].message


@pytest.mark.parametrize(
    ("condition", "passes_empty"),
    [
        ("len(result) == 0 || result[0] >= 0.99", True),
        ("result[0] >= 0.99", False),
        ("isNaN(result[0]) || result[0] >= 0.99", True),
        ("len(result) > 0 && !isNaN(result[0]) && result[0] >= 0.99", False),
    ],
)
def test_success_condition_on_no_data(
    shipped: tuple[Manifest, ...], condition: str, passes_empty: bool
) -> None:
    manifests = [m for m in shipped if m.env == "dev"]

    def set_condition(body: Body) -> None:
        body["spec"]["metrics"][0]["successCondition"] = condition

    broken = edit(manifests, "AnalysisTemplate", "success-rate-ingest-api", set_condition)
    assert bool(_errors(broken, "dev", "analysis-evidence")) is passes_empty


def test_policy_scope_names_the_victims(shipped: tuple[Manifest, ...]) -> None:
    manifests = [m for m in shipped if m.env == "prod"]
    broken = edit(manifests, "ClusterPolicy", "pod-security-restricted", _unscoped)
    errors = _errors(broken, "prod", "policy-scope")
    assert "Deployment of an operator" in errors[0].message
    assert errors[0].file.endswith("clusterpolicy-pod-security-restricted.yaml")


def test_policy_scope_sees_the_injected_istio_init(shipped: tuple[Manifest, ...]) -> None:
    """Scoped to the application namespaces but judging owned Pods: Istio's istio-init is refused."""
    manifests = [m for m in shipped if m.env == "dev"]

    def judge_owned(body: Body) -> None:
        for rule in body["spec"]["rules"]:
            rule.pop("preconditions", None)

    errors = _errors(
        edit(manifests, "ClusterPolicy", "pod-security-restricted", judge_owned), "dev", "policy-scope"
    )
    assert any("meshed Pod" in f.message for f in errors)


@pytest.mark.parametrize(
    ("case", "file_part", "words"),
    [
        ("meshed-namespace-without-istio-cni", "/namespace-docproc.yaml", "istio-cni is not deployed"),
        ("kong-outside-the-mesh", "/rollout-", "Kong route to Service"),
        ("rabbitmq-peer-ports-denied", "/networkpolicy-allow-amqp-from-docproc.yaml", "port 4369"),
        ("analysis-queries-a-prometheus-nobody-runs", "/analysistemplate-", "prometheus.observability"),
        ("no-prometheus-delivered", "/analysistemplate-", "no Service monitoring/prometheus"),
        ("sidecars-not-scraped", "/analysistemplate-", "scrapes no sidecar"),
        ("rate-limit-counted-per-replica", "/kongplugin-docproc-rate-limit.yaml", "counts per Kong replica"),
        ("rate-limit-keyed-on-the-load-balancer", "/kongplugin-docproc-rate-limit.yaml", "real client"),
        ("rate-limit-store-not-rendered", "/kongplugin-docproc-rate-limit.yaml", "does not render"),
        (
            "rate-limit-store-closed-to-kong",
            "/networkpolicy-kong-rate-limit-redis.yaml",
            "rate-limit counters",
        ),
        ("dns-record-targets-a-copied-elb-name", "/dnsendpoint-api.yaml", "k8s-kong-abc123.elb"),
        ("external-dns-does-not-read-services", "/_hub/", "not 'service'"),
        ("hostname-on-a-cluster-ip-service", "/service-query-api.yaml", "not LoadBalancer"),
    ],
)
def test_break_points_at_the_object_to_change(
    shipped: tuple[Manifest, ...], case: str, file_part: str, words: str
) -> None:
    """The finding sits on the object to change (the namespace, the refused pod, the policy)."""
    _, env, breaker, check, _ = next(c for c in CASES if c[0] == case)
    errors = _errors(breaker([m for m in shipped if m.env == env]), env, check)
    assert any(file_part in f.file and words in f.message for f in errors), [
        (f.file, f.message) for f in errors
    ]


@pytest.mark.parametrize(
    ("remote_write", "resolves"),
    [
        ([], False),
        (
            [
                {
                    "url": "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1a2b/api/v1/remote_write"
                }
            ],
            True,
        ),
    ],
    ids=["not-written", "written"],
)
def test_managed_prometheus_counts_when_the_tree_writes_to_it(
    shipped: tuple[Manifest, ...], remote_write: list[Body], resolves: bool
) -> None:
    manifests = [m for m in shipped if m.env == "dev"]
    amp = "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1a2b/"
    broken = edit(manifests, "AnalysisTemplate", "success-rate-ingest-api", _address(amp))
    broken = _chart_values(broken, "prometheus", lambda v: v["server"].update(remoteWrite=remote_write))
    errors = [f for f in _errors(broken, "dev", "analysis-evidence") if "ws-1a2b" in f.message]
    assert bool(errors) is not resolves, errors
