"""Mesh and network checks: each flow the platform depends on, broken on purpose, is named.

The shipped render is checked with the checks of ``generator.gate.checks.mesh``; each case breaks
one object and asserts a new error of the expected check whose message names the broken flow.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from test_check_breaks import Body, edit, shipped

from generator.gate.checks.argocd import delivered_to
from generator.gate.checks.cluster import ClusterView
from generator.gate.checks.mesh import MESH_CHECKS
from generator.gate.checks.paths import ENV_PATH_CHECKS
from generator.gate.checks.topology import EnvView
from generator.manifest import HUB_CLUSTER, Manifest

__all__ = ["shipped"]  # the session fixture, shared with test_check_breaks

Breaker = Callable[[list[Manifest]], list[Manifest]]


def _messages(manifests: list[Manifest], check: str) -> set[str]:
    by_cluster: dict[str, list[Manifest]] = {}
    for m in manifests:
        by_cluster.setdefault(m.cluster, []).append(m)
    hub = by_cluster.get(HUB_CLUSTER, [])
    views = {
        c: ClusterView(ms[0].env, c, tuple(ms), delivered_by=delivered_to(ms[0].env, c, hub))
        for c, ms in by_cluster.items()
    }
    if check in ENV_PATH_CHECKS:
        env = next(iter(views.values())).env
        return {f"{f.file}: {f.message}" for f in ENV_PATH_CHECKS[check](EnvView(env, views))}
    return {f"{f.file}: {f.message}" for v in views.values() for f in MESH_CHECKS[check](v)}


def _no_peer_egress(body: Body) -> None:
    body["spec"]["egress"] = [
        r for r in body["spec"]["egress"] if {"port": 4369, "protocol": "TCP"} not in r["ports"]
    ]


def _intercept_management(body: Body) -> None:
    annotations = body["spec"]["override"]["statefulSet"]["spec"]["template"]["metadata"]["annotations"]
    annotations["traffic.sidecar.istio.io/excludeInboundPorts"] = "4369,25672"


def _amqp_port(body: Body) -> None:
    body["spec"]["rules"][0]["to"][0]["operation"]["ports"] = ["5671"]


def _no_monitoring(body: Body) -> None:
    body["spec"]["ingress"] = [r for r in body["spec"]["ingress"] if "monitoring" not in str(r.get("from"))]


def _no_upstream(body: Body) -> None:
    body["metadata"]["annotations"].pop("ingress.kubernetes.io/service-upstream")


def _keep_host(body: Body) -> None:
    body["metadata"]["annotations"]["konghq.com/preserve-host"] = "true"


def _client_host(manifests: list[Manifest]) -> list[Manifest]:
    no_header = edit(
        manifests,
        "Service",
        "query-api",
        lambda b: b["metadata"]["annotations"].pop("konghq.com/host-header"),
    )
    return edit(no_header, "Ingress", "query-api", _keep_host)


def _enterprise_plugin(manifests: list[Manifest]) -> list[Manifest]:
    template = next(m for m in manifests if m.kind == "KongPlugin")
    body: dict[str, Any] = copy.deepcopy(dict(template.body))
    body["metadata"]["name"] = "docproc-oidc"
    body.update(plugin="openid-connect", config={"issuer": "https://login.example.com"})
    return [*manifests, Manifest(template.env, template.cluster, template.component, body, template.sources)]


def _second_owner(manifests: list[Manifest]) -> list[Manifest]:
    bucket = next(m for m in manifests if m.kind == "Bucket")
    other = next(m.cluster for m in manifests if m.cluster != bucket.cluster)
    return [*manifests, Manifest(bucket.env, other, bucket.component, bucket.body, bucket.sources)]


def _unknown_bucket(body: Body) -> None:
    for e in body["spec"]["template"]["spec"]["containers"][0]["env"]:
        if e["name"].endswith("_BUCKET"):
            e["value"] = "someone-elses-bucket"


CASES: list[tuple[str, str, Breaker, str, str]] = [
    # (id, env, break, check, words the new finding must contain)
    (
        "rabbitmq-peers-denied-egress",
        "prod",
        lambda ms: edit(ms, "NetworkPolicy", "allow-amqp-from-docproc", _no_peer_egress),
        "network-paths",
        "RabbitMQ peer clustering",
    ),
    (
        "management-api-behind-strict-mtls",
        "dev",
        lambda ms: edit(ms, "RabbitmqCluster", "docproc-rabbitmq", _intercept_management),
        "network-paths",
        "topology operator to the management API",
    ),
    (
        "amqp-refused-by-authorization",
        "dev",
        lambda ms: edit(ms, "AuthorizationPolicy", "allow-amqp-from-docproc", _amqp_port),
        "network-paths",
        "AMQP to RabbitMQ",
    ),
    (
        "prometheus-denied",
        "dev",
        lambda ms: edit(ms, "NetworkPolicy", "ingest-api", _no_monitoring),
        "network-paths",
        "Prometheus scraping",
    ),
    (
        "kong-to-pod-ips",
        "dev",
        lambda ms: edit(ms, "Service", "ingest-api", _no_upstream),
        "kong-mesh-upstream",
        "service-upstream",
    ),
    (
        "kong-keeps-client-host",
        "dev",
        _client_host,
        "kong-mesh-upstream",
        "Host",
    ),
    ("enterprise-plugin-on-oss-kong", "dev", _enterprise_plugin, "kong-oss-plugins", "openid-connect"),
    ("bucket-with-two-owners", "prod", _second_owner, "shared-storage", "one store must have one owner"),
    (
        "bucket-nobody-creates",
        "prod",
        lambda ms: edit(ms, "Rollout", "ingest-api", _unknown_bucket),
        "shared-storage",
        "someone-elses-bucket",
    ),
]


@pytest.mark.parametrize(
    ("env", "breaker", "check", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_broken_flow_is_named(
    shipped: tuple[Manifest, ...], env: str, breaker: Breaker, check: str, words: str
) -> None:
    manifests = [m for m in shipped if m.env == env]
    before = _messages(manifests, check)
    new = _messages(breaker(manifests), check) - before
    assert new, f"no new {check} finding"
    assert any(words in message for message in new), new
    assert all(message.startswith(f"rendered/{env}/") for message in new)


def test_mesh_pss_cni_needs_both_the_chart_and_istiod(shipped: tuple[Manifest, ...]) -> None:
    manifests = [m for m in shipped if m.env == "dev"]
    apps = [m for m in manifests if m.kind == "Application" and m.body["spec"]["source"].get("chart")]
    template = apps[0]

    def app(chart: str, values: dict[str, Any]) -> Manifest:
        body = copy.deepcopy(dict(template.body))
        body["metadata"] = {**body["metadata"], "name": f"probe-{chart}"}
        body["spec"]["source"] = {**body["spec"]["source"], "chart": chart, "helm": {"valuesObject": values}}
        workload_cluster = next(m.cluster for m in manifests if m.kind == "Namespace")
        return Manifest(template.env, workload_cluster, template.component, body, template.sources)

    others = [
        m
        for m in manifests
        if not (m.kind == "Application" and m.body["spec"]["source"].get("chart") in ("cni", "istiod"))
    ]
    assert not _messages(others, "mesh-pss-cni"), "a mesh the tree does not install is not judged"
    without = _messages([*others, app("istiod", {"cni": {"enabled": True}})], "mesh-pss-cni")
    assert any("istio-cni is not deployed" in m for m in without)
    chart_only = _messages([*others, app("cni", {}), app("istiod", {})], "mesh-pss-cni")
    assert any("istiod does not enable cni" in m for m in chart_only)
    assert not _messages([*others, app("cni", {}), app("istiod", {"cni": {"enabled": True}})], "mesh-pss-cni")
