"""Cross-resource checks: a consistent cluster passes; each break is found, named and traced."""

from __future__ import annotations

from typing import Any

import pytest
from suite_fleet import cluster, edit, files

from generator.findings import Finding
from generator.gate.checks.cluster import CLUSTER_CHECKS, ClusterView, run_cluster_checks, service_fqdn
from generator.gate.checks.topology import ENV_CHECKS, EnvView, run_env_checks
from generator.manifest import Manifest


def view(manifests: list[Manifest], *others: list[Manifest]) -> ClusterView:
    first = manifests[0]
    return ClusterView(first.env, first.cluster, tuple(manifests), files(manifests, *others))


def cluster_findings(manifests: list[Manifest]) -> list[Finding]:
    return [f for fs in run_cluster_checks(view(manifests)).values() for f in fs]


def dual(even: list[Manifest], odd: list[Manifest]) -> EnvView:
    return EnvView("prod", {"even": view(even, odd), "odd": view(odd, even)})


def env_findings(env: EnvView) -> list[Finding]:
    return [f for fs in run_env_checks(env).values() for f in fs]


def only(findings: list[Finding], rule: str) -> Finding:
    assert [f.rule for f in findings] == [rule], [(f.rule, f.message) for f in findings]
    return findings[0]


def test_a_consistent_cluster_passes_every_check() -> None:
    assert cluster_findings(cluster("dev", "main")) == []


def test_a_consistent_dual_environment_passes_every_check() -> None:
    even, odd = cluster("prod", "even", weight=90), cluster("prod", "odd", weight=10)
    assert env_findings(dual(even, odd)) == []
    assert cluster_findings(even) == cluster_findings(odd) == []


def test_registries_name_every_check() -> None:
    assert set(CLUSTER_CHECKS).isdisjoint(ENV_CHECKS)
    assert len(CLUSTER_CHECKS) + len(ENV_CHECKS) == 12


# --- one break per check ----------------------------------------------------------------


def _dangling(body: dict[str, Any]) -> None:
    body["spec"]["template"]["spec"]["nodeClassRef"]["name"] = "missing"


def test_dangling_node_class_ref() -> None:
    manifests = cluster("dev", "main", leaves=[(("karpenter", "nodeClass"), "missing", 40)])
    f = only(cluster_findings(edit(manifests, "NodePool", _dangling)), "nodepool-nodeclass")
    assert "'missing'" in f.message
    assert "main-nodes" in f.message
    assert f.json_path == "$.spec.template.spec.nodeClassRef.name"
    assert str(f.source) == "environments/dev.yaml:40"
    assert f.file == "rendered/dev/main/operators/_cluster/nodepool-general.yaml"


def test_node_class_ref_of_the_wrong_kind() -> None:
    def wrong(body: dict[str, Any]) -> None:
        body["spec"]["template"]["spec"]["nodeClassRef"]["kind"] = "NodeClass"

    f = only(cluster_findings(edit(cluster("dev", "main"), "NodePool", wrong)), "nodepool-nodeclass")
    assert "EC2NodeClass" in f.message


def test_duplicate_identity_across_versions_of_one_group() -> None:
    manifests = cluster("dev", "main")
    dr = next(m for m in manifests if m.kind == "DestinationRule")
    body = {**dr.body, "apiVersion": "networking.istio.io/v1beta1"}
    manifests.append(Manifest("dev", "main", "platform", body))
    f = only(cluster_findings(manifests), "duplicate-identity")
    assert "rendered twice" in f.message
    assert dr.path in f.message


def test_rollout_stable_service_missing() -> None:
    def rename(body: dict[str, Any]) -> None:
        body["spec"]["strategy"]["canary"]["stableService"] = "ingest-api-main"

    manifests = cluster("dev", "main", leaves=[(("services", 0, "stableService"), "ingest-api-main", 24)])
    findings = cluster_findings(edit(manifests, "Rollout", rename))
    assert {f.rule for f in findings} == {"rollout-traffic-routing"}
    messages = " ".join(f.message for f in findings)
    assert "stableService 'ingest-api-main' is not rendered" in messages
    assert "no destination for Service 'ingest-api-main'" in messages
    assert str(findings[0].source) == "environments/dev.yaml:24"


def test_rollout_route_name_missing() -> None:
    def rename(body: dict[str, Any]) -> None:
        body["spec"]["strategy"]["canary"]["trafficRouting"]["istio"]["virtualService"]["routes"] = ["main"]

    f = only(cluster_findings(edit(cluster("dev", "main"), "Rollout", rename)), "rollout-traffic-routing")
    assert "no HTTP route named 'main'" in f.message


def test_rollout_service_selector_disagrees() -> None:
    def select_other(body: dict[str, Any]) -> None:
        body["spec"]["selector"] = {"app.kubernetes.io/name": "query-api"}

    f = only(
        cluster_findings(edit(cluster("dev", "main"), "Service", select_other)), "rollout-traffic-routing"
    )
    assert "does not match the Rollout's pod template labels" in f.message


def test_rollout_virtual_service_missing() -> None:
    def rename(body: dict[str, Any]) -> None:
        body["spec"]["strategy"]["canary"]["trafficRouting"]["istio"]["virtualService"]["name"] = "nope"

    f = only(cluster_findings(edit(cluster("dev", "main"), "Rollout", rename)), "rollout-traffic-routing")
    assert "VirtualService 'nope' is not rendered" in f.message


def test_rollout_analysis_template_missing() -> None:
    def rename(body: dict[str, Any]) -> None:
        body["spec"]["strategy"]["canary"]["analysis"]["templates"][0]["templateName"] = "latency"

    f = only(cluster_findings(edit(cluster("dev", "main"), "Rollout", rename)), "rollout-traffic-routing")
    assert "AnalysisTemplate 'latency'" in f.message


def test_virtual_service_without_destination_rule() -> None:
    def reroute(body: dict[str, Any]) -> None:
        body["spec"]["http"].append(
            {"name": "legacy", "route": [{"destination": {"host": "legacy.docproc-apps"}}]}
        )

    manifests = cluster("dev", "main", leaves=[(("services", 1, "host"), "legacy.docproc-apps", 30)])
    f = only(cluster_findings(edit(manifests, "VirtualService", reroute)), "virtualservice-destinationrule")
    assert "legacy.docproc-apps.svc.cluster.local" in f.message
    assert str(f.source) == "environments/dev.yaml:30"


def test_virtual_service_subset_missing() -> None:
    def subset(body: dict[str, Any]) -> None:
        body["spec"]["http"][0]["route"][0]["destination"]["subset"] = "v2"

    f = only(
        cluster_findings(edit(cluster("dev", "main"), "VirtualService", subset)),
        "virtualservice-destinationrule",
    )
    assert "subset 'v2'" in f.message


def test_external_hosts_need_no_destination_rule() -> None:
    def external(body: dict[str, Any]) -> None:
        body["spec"]["http"].append(
            {"name": "ext", "route": [{"destination": {"host": "api.partner.example.com"}}]}
        )

    assert cluster_findings(edit(cluster("dev", "main"), "VirtualService", external)) == []


def test_namespace_without_strict_peer_authentication() -> None:
    def permissive(body: dict[str, Any]) -> None:
        body["spec"]["mtls"]["mode"] = "PERMISSIVE"

    f = only(
        cluster_findings(edit(cluster("dev", "main"), "PeerAuthentication", permissive)),
        "peer-authentication-per-namespace",
    )
    assert f.name == "docproc-apps"
    assert str(f.source) == "environments/dev.yaml:3"


def test_mesh_wide_peer_authentication_covers_every_namespace() -> None:
    def mesh_wide(body: dict[str, Any]) -> None:
        body["metadata"]["namespace"] = "istio-system"

    assert cluster_findings(edit(cluster("dev", "main"), "PeerAuthentication", mesh_wide)) == []


def test_kong_route_without_rate_limit() -> None:
    def drop(body: dict[str, Any]) -> None:
        body["metadata"]["annotations"]["konghq.com/plugins"] = "ingest-api-oidc"

    manifests = cluster("dev", "main", leaves=[(("services", 0, "plugins", 0), "ingest-api-oidc", 33)])
    f = only(cluster_findings(edit(manifests, "Ingress", drop)), "kong-route-plugins")
    assert "no rate-limiting plugin" in f.message
    assert str(f.source) == "environments/dev.yaml:33"


def test_kong_route_with_unknown_plugin() -> None:
    def unknown(body: dict[str, Any]) -> None:
        body["metadata"]["annotations"]["konghq.com/plugins"] += ",ingest-api-cors"

    f = only(cluster_findings(edit(cluster("dev", "main"), "Ingress", unknown)), "kong-route-plugins")
    assert "'ingest-api-cors' is bound but not rendered" in f.message


def test_kong_plugins_bound_on_the_backend_service_count() -> None:
    manifests = edit(cluster("dev", "main"), "Ingress", lambda b: b["metadata"].pop("annotations"))

    def bind(body: dict[str, Any]) -> None:
        body["metadata"]["annotations"] = {"konghq.com/plugins": "ingest-api-oidc,ingest-api-rate-limit"}

    assert cluster_findings(edit(manifests, "Service", bind)) == []


def test_application_path_missing() -> None:
    def move(body: dict[str, Any]) -> None:
        body["spec"]["source"]["path"] = "rendered/dev/main/nothing"

    manifests = cluster("dev", "main", leaves=[(("argocd", "path"), "rendered/dev/main/nothing", 2)])
    f = only(cluster_findings(edit(manifests, "Application", move)), "argocd-application-path")
    assert "does not exist" in f.message
    assert str(f.source) == "environments/dev.yaml:2"


def test_application_path_without_recurse_syncs_nothing() -> None:
    def flat(body: dict[str, Any]) -> None:
        del body["spec"]["source"]["directory"]

    f = only(cluster_findings(edit(cluster("dev", "main"), "Application", flat)), "argocd-application-path")
    assert "directory.recurse" in f.message


def test_workload_without_environment_label() -> None:
    def relabel(body: dict[str, Any]) -> None:
        body["metadata"]["labels"]["docproc.io/environment"] = "prod"

    f = only(cluster_findings(edit(cluster("dev", "main"), "Rollout", relabel)), "environment-label")
    assert "'prod', expected 'dev'" in f.message


# --- dual topology ------------------------------------------------------------------------


def test_weights_adding_up_to_90() -> None:
    findings = env_findings(dual(cluster("prod", "even", weight=80), cluster("prod", "odd", weight=10)))
    assert {f.rule for f in findings} == {"dns-weights"}
    assert {str(f.source) for f in findings} == {"environments/prod.yaml:7", "environments/prod.yaml:8"}
    assert all("add up to 90, not 100" in f.message for f in findings)
    assert findings[0].json_path == "$.spec.endpoints[0].providerSpecific[0].value"


def test_weight_that_is_not_a_number() -> None:
    odd = edit(
        cluster("prod", "odd"),
        "DNSEndpoint",
        lambda b: b["spec"]["endpoints"][0]["providerSpecific"][0].update(value="ten"),
    )
    f = only(env_findings(dual(cluster("prod", "even", weight=90), odd)), "dns-weights")
    assert "'ten'" in f.message


def test_set_identifiers_must_be_unique() -> None:
    odd = edit(
        cluster("prod", "odd", weight=10),
        "DNSEndpoint",
        lambda b: b["spec"]["endpoints"][0].update(setIdentifier="even"),
    )
    f = only(env_findings(dual(cluster("prod", "even", weight=90), odd)), "dns-set-identifiers")
    assert "'even'" in f.message
    assert f.file.startswith("rendered/prod/odd/")


def test_weighted_record_without_set_identifier() -> None:
    even = edit(
        cluster("prod", "even", weight=90),
        "DNSEndpoint",
        lambda b: b["spec"]["endpoints"][0].pop("setIdentifier"),
    )
    f = only(env_findings(dual(even, cluster("prod", "odd", weight=10))), "dns-set-identifiers")
    assert "needs a setIdentifier" in f.message


@pytest.mark.parametrize(
    ("clusters", "expected", "ok"),
    [
        (("main",), None, True),
        (("even", "odd"), None, True),
        (("even",), None, False),
        (("even", "odd", "blue"), None, False),
        (("main",), ("even", "odd"), False),
        (("even", "odd"), ("even", "odd"), True),
    ],
    ids=[
        "single",
        "dual",
        "dual-missing-odd",
        "extra-cluster",
        "declared-dual-rendered-single",
        "declared-dual",
    ],
)
def test_topology_clusters(clusters: tuple[str, ...], expected: tuple[str, ...] | None, ok: bool) -> None:
    env = EnvView("prod", {c: view(cluster("prod", c)) for c in clusters}, expected)
    findings = run_env_checks(env, ["topology-clusters"])["topology-clusters"]
    assert (findings == ()) is ok
    if not ok:
        assert str(findings[0].source) == "environments/prod.yaml"


def test_cluster_parity_reports_the_object_only_one_cluster_renders() -> None:
    even = cluster("prod", "even", weight=90)
    extra = Manifest(
        "prod",
        "even",
        "apps",
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "beta-only", "namespace": "docproc-apps"},
        },
    )
    f = only(env_findings(dual([*even, extra], cluster("prod", "odd", weight=10))), "cluster-parity")
    assert "no counterpart in cluster odd" in f.message
    assert f.file == "rendered/prod/even/apps/docproc-apps/configmap-beta-only.yaml"


@pytest.mark.parametrize(
    ("host", "namespace", "fqdn"),
    [
        ("svc", "ns", "svc.ns.svc.cluster.local"),
        ("svc.other", "ns", "svc.other.svc.cluster.local"),
        ("svc.other.svc", "ns", "svc.other.svc.cluster.local"),
        ("svc.other.svc.cluster.local", "ns", "svc.other.svc.cluster.local"),
        ("api.example.com", "ns", None),
    ],
)
def test_service_fqdn(host: str, namespace: str, fqdn: str | None) -> None:
    assert service_fqdn(host, namespace) == fqdn


def test_checks_never_raise_on_malformed_bodies() -> None:
    junk: list[Any] = [None, 3, "x", [], {"spec": None}, {"spec": {"template": 5}}]
    for kind in (
        "Rollout",
        "NodePool",
        "VirtualService",
        "DestinationRule",
        "Ingress",
        "Application",
        "DNSEndpoint",
    ):
        for value in junk:
            manifests = edit(cluster("prod", "even"), kind, lambda b, v=value: b.update(spec=v))
            cluster_findings(manifests)
            env_findings(dual(manifests, cluster("prod", "odd")))


def test_cluster_parity_allows_release_fields_only() -> None:
    even, odd = cluster("prod", "even", weight=90), cluster("prod", "odd", weight=10)

    def release(body: dict[str, Any]) -> None:
        container = body["spec"]["template"]["spec"]["containers"][0]
        container["image"] = container["image"].replace("1.4.2", "1.5.0")
        body["spec"]["template"]["metadata"]["labels"]["docproc.io/version"] = "1.5.0"

    assert env_findings(dual(edit(even, "Rollout", release), odd)) == []

    def drift(body: dict[str, Any]) -> None:
        body["spec"]["ports"][0]["port"] = 8080

    f = only(env_findings(dual(even, edit(odd, "Service", drift))), "cluster-parity")
    assert f.json_path == "$.spec.ports[0].port"
    assert f.file.startswith("rendered/prod/odd/")
    assert "differs between clusters even and odd" in f.message


def test_images_from_a_registry_the_environment_does_not_list() -> None:
    from generator.gate.checks.images import check_image_registries

    manifests = cluster("dev", "main")
    registries = ("123456789012.dkr.ecr.eu-west-1.amazonaws.com",)
    assert list(check_image_registries(view(manifests), registries, require_digest=False)) == []
    (f,) = check_image_registries(view(manifests), ("444455556666.dkr.ecr.eu-west-1.amazonaws.com",), False)
    assert f.rule == "image-registries"
    assert f.json_path == "$.spec.template.spec.containers[0].image"
    assert "images.registries: 444455556666" in f.message
    assert str(f.source) == "environments/dev.yaml:10"  # the service entry whose name composes the image


def test_images_without_digest_where_the_environment_requires_one() -> None:
    from generator.gate.checks.images import check_image_registries

    registries = ("123456789012.dkr.ecr.eu-west-1.amazonaws.com",)
    (f,) = check_image_registries(view(cluster("prod", "even")), registries, require_digest=True)
    assert "images.requireDigest" in f.message
