"""Render stage: topologies, the kinds every cluster gets, determinism."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml

from generator.manifest import HUB_CLUSTER
from generator.pipeline import Project, render_environments
from generator.write import plan_files
from tests.conftest import (
    ROOT,
    SHIPPED_ENVS,
    cluster_names,
    cluster_versions,
    cluster_weights,
    envs_of_topology,
    shipped_data,
    tree_bytes,
)

#: Kinds issue 2 requires in every cluster's tree.
REQUIRED_KINDS = {
    "Rollout", "AnalysisTemplate", "Service", "VirtualService", "DestinationRule",
    "PeerAuthentication", "RequestAuthentication", "Certificate", "User", "Permission", "MountTarget", "AuthorizationPolicy", "KongPlugin", "DNSEndpoint", "RabbitmqCluster",
    "Queue", "Exchange", "Binding", "Policy", "FileSystem", "StorageClass", "PersistentVolumeClaim",
    "NodePool", "EC2NodeClass", "ClusterPolicy", "Namespace", "ServiceAccount", "HorizontalPodAutoscaler",
    "PodDisruptionBudget", "NetworkPolicy",
}  # fmt: skip

#: Every (environment, cluster) the shipped files declare: read from them, never listed by hand.
CLUSTERS = [(e, c) for e in SHIPPED_ENVS for c in cluster_names(shipped_data(e))]
DUAL = envs_of_topology("dual")
SINGLE = envs_of_topology("single")


@pytest.fixture(scope="module")
def shipped() -> dict[tuple[str, str], list]:
    manifests = render_environments(Project(ROOT))
    out: dict[tuple[str, str], list] = {}
    for m in manifests:
        out.setdefault((m.env, m.cluster), []).append(m)
    return out


def test_clusters_per_topology(shipped: dict) -> None:
    assert sorted(shipped) == sorted([*CLUSTERS, *((e, HUB_CLUSTER) for e in SHIPPED_ENVS)])


@pytest.mark.parametrize("env", SHIPPED_ENVS)
def test_the_hub_holds_every_argo_cd_object_once(shipped: dict, env: str) -> None:
    hub = shipped[(env, HUB_CLUSTER)]
    assert {m.kind for m in hub} == {"AppProject", "Application", "Secret"}
    for (e, cluster), manifests in shipped.items():
        if e == env and cluster != HUB_CLUSTER:
            assert not {m.kind for m in manifests} & {"AppProject", "Application"}, cluster
    servers = {c: d["server"] for c, d in shipped_data(env)["topology"]["clusters"].items()}
    secrets = [m.body for m in hub if m.kind == "Secret"]
    assert sorted(s["stringData"]["server"] for s in secrets) == sorted(servers.values())
    for secret in secrets:
        assert secret["metadata"]["labels"]["argocd.argoproj.io/secret-type"] == "cluster"
        assert set(json.loads(secret["stringData"]["config"])) <= {"awsAuthConfig", "tlsClientConfig"}
    (root,) = [m.body for m in hub if m.kind == "Application" and m.name == f"{env}-root"]
    assert root["spec"]["destination"] == {"server": "https://kubernetes.default.svc", "namespace": "argocd"}
    assert root["spec"]["source"]["path"] == f"rendered/{env}/{HUB_CLUSTER}/argocd"


@pytest.mark.parametrize(("env", "cluster"), CLUSTERS, ids=[f"{e}-{c}" for e, c in CLUSTERS])
def test_every_required_kind_is_rendered(shipped: dict, env: str, cluster: str) -> None:
    kinds = {m.kind for m in shipped[(env, cluster)]}
    assert kinds >= REQUIRED_KINDS, REQUIRED_KINDS - kinds


def _one(manifests: list, kind: str, name: str) -> dict:
    (hit,) = [m.body for m in manifests if m.kind == kind and m.name == name]
    return hit


@pytest.mark.parametrize("env", DUAL)
def test_dual_clusters_run_the_versions_of_the_release_state(shipped: dict, env: str) -> None:
    for cluster, version in cluster_versions(shipped_data(env)).items():
        image = _one(shipped[(env, cluster)], "Rollout", "ingest-api")["spec"]["template"]["spec"]
        assert f":{version}@sha256:" in image["containers"][0]["image"], (cluster, version)


@pytest.mark.parametrize("env", DUAL)
def test_dual_weights_and_beta_record(shipped: dict, env: str) -> None:
    def weight(cluster: str, name: str) -> tuple[str, str]:
        (endpoint,) = _one(shipped[(env, cluster)], "DNSEndpoint", name)["spec"]["endpoints"]
        (ps,) = endpoint["providerSpecific"]
        assert ps["name"] == "aws/weight"
        return endpoint["setIdentifier"], ps["value"]

    data = shipped_data(env)
    release = "even" if data["release"]["sprint"] % 2 == 0 else "odd"
    for cluster, share in cluster_weights(data).items():
        assert weight(cluster, "api") == (f"{env}-{cluster}", str(share))
        beta = "100" if cluster == release else "0"
        assert weight(cluster, "api-beta") == (f"{env}-beta-{cluster}", beta)


@pytest.mark.parametrize("env", SINGLE)
def test_single_gets_latency_or_failover_record(shipped: dict, env: str) -> None:
    data = shipped_data(env)
    (cluster,) = cluster_names(data)
    (endpoint,) = _one(shipped[(env, cluster)], "DNSEndpoint", "api")["spec"]["endpoints"]
    if data["dns"].get("routing", "latency") == "failover":
        assert {p["name"] for p in endpoint["providerSpecific"]} == {"aws/failover", "aws/health-check-id"}
    else:
        assert endpoint["providerSpecific"] == [{"name": "aws/region", "value": data["aws"]["region"]}]
    assert not any(m.kind == "DNSEndpoint" and m.name == "api-beta" for m in shipped[(env, cluster)])


@pytest.mark.parametrize("env", DUAL)
def test_dual_clusters_render_the_same_resources(shipped: dict, env: str) -> None:
    ids = [
        Counter(
            (m.kind, m.namespace, m.name.replace(m.cluster, ""))
            for m in shipped[(env, c)]
            if "docproc.io/shared-with" not in m.body["metadata"].get("annotations", {})
        )
        for c in ("even", "odd")
    ]
    assert ids[0] == ids[1]


@pytest.mark.parametrize("env", [*DUAL, *SINGLE])
def test_one_cluster_owns_the_bucket(shipped: dict, env: str) -> None:
    """The seed's dual design shares one S3 bucket: exactly one cluster renders (owns) it."""
    owners = [c for e, c in CLUSTERS if e == env and any(m.kind == "Bucket" for m in shipped[(e, c)])]
    assert len(owners) == 1, owners


@pytest.mark.parametrize(("env", "cluster"), CLUSTERS, ids=[f"{e}-{c}" for e, c in CLUSTERS])
def test_argocd_children_point_inside_rendered(shipped: dict, env: str, cluster: str) -> None:
    server = shipped_data(env)["topology"]["clusters"][cluster]["server"]
    apps = [
        m.body
        for m in shipped[(env, HUB_CLUSTER)]
        if m.kind == "Application" and m.body["spec"]["destination"]["server"] == server
    ]
    paths = {a["spec"]["source"].get("path") for a in apps} - {None}
    assert paths == {f"rendered/{env}/{cluster}/{c}" for c in ("platform", "apps")}
    for app in apps:
        assert app["spec"]["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}
    waves = {
        a["metadata"]["name"]: a["metadata"].get("annotations", {}).get("argocd.argoproj.io/sync-wave")
        for a in apps
    }
    assert waves[f"{env}-{cluster}-karpenter"] == "0"
    assert waves[f"{env}-{cluster}-platform"] == "1"
    assert waves[f"{env}-{cluster}-apps"] == "2"


def test_every_resource_carries_the_standard_labels(shipped: dict) -> None:
    for manifests in shipped.values():
        for m in manifests:
            labels = m.body["metadata"]["labels"]
            assert {
                "app.kubernetes.io/name",
                "app.kubernetes.io/part-of",
                "docproc.io/team",
                "docproc.io/cost-centre",
            } <= set(labels), m.path


def _rollout_text(project: Path, env_value: str) -> str:
    defaults = project / "environments" / "_defaults.yaml"
    defaults.write_text(
        defaults.read_text().replace("env: {LOG_LEVEL: info}", f"env: {{LOG_LEVEL: {env_value}}}", 1)
    )
    files = plan_files(render_environments(Project(project), ["dev"]))
    return next(t for p, t in files.items() if p.endswith("rollout-ingest-api.yaml"))


def test_values_are_data_never_templates(project: Path) -> None:
    text = _rollout_text(project, '"{{ 7 * 7 }}\\n- injected: true"')
    body = yaml.safe_load(text.split("\n", 1)[1])
    env = body["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "LOG_LEVEL", "value": "{{ 7 * 7 }}\n- injected: true"} in env


def test_ambiguous_strings_are_quoted(project: Path) -> None:
    text = _rollout_text(project, '"on"')
    assert "value: 'on'" in text
    assert yaml.safe_load(text.split("\n", 1)[1])["kind"] == "Rollout"


def test_render_is_deterministic_across_runs_and_hash_seeds(project: Path) -> None:
    def run(seed: str) -> dict[str, bytes]:
        subprocess.run(
            [sys.executable, "-m", "generator", "render", "--root", str(project), "-q"],
            env={**os.environ, "PYTHONHASHSEED": seed},
            check=True,
            capture_output=True,
        )
        return tree_bytes(project / "rendered")

    first = run("1")
    import shutil

    shutil.rmtree(project / "rendered")
    assert run("4242") == first


def _reorder(text: str) -> str:
    """Reverse the order of the top-level keys of a YAML mapping document (same data)."""
    data = yaml.safe_load(text)
    return yaml.safe_dump(dict(reversed(list(data.items()))), sort_keys=False)


def test_input_key_order_does_not_change_output(project: Path) -> None:
    before = plan_files(render_environments(Project(project)))
    for name in (*SHIPPED_ENVS, "_defaults"):
        path = project / "environments" / f"{name}.yaml"
        path.write_text(_reorder(path.read_text()))
    assert plan_files(render_environments(Project(project))) == before


def test_template_error_names_template_line_and_what_was_rendered(project: Path, cli) -> None:
    tpl = project / "templates" / "apps" / "service" / "workload.yaml.j2"
    tpl.write_text(
        tpl.read_text().replace("{{ service.min_replicas | q }}", "{{ service.no_such_field | q }}", 1)
    )
    result = cli("render", "--root", str(project), "--env", "dev")
    assert result.code == 2
    assert "templates/apps/service/workload.yaml.j2:" in result.err
    assert "env dev, cluster main, service ingest-api" in result.err
    assert "Traceback" not in result.err


def test_template_syntax_error(project: Path, cli) -> None:
    tpl = project / "templates" / "platform" / "dns.yaml.j2"
    tpl.write_text(tpl.read_text() + "{% if %}\n")
    result = cli("render", "--root", str(project))
    assert result.code == 2
    assert "templates/platform/dns.yaml.j2:" in result.err


def test_parallel_render_gives_the_same_files(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import generator.pipeline as pipeline

    names = list(SHIPPED_ENVS)
    sequential = pipeline.render_files(Project(project), names)
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_SERVICES", 1)
    assert pipeline.render_files(Project(project), names) == sequential


def test_template_error_in_worker_process_is_a_clean_error(
    project: Path, monkeypatch: pytest.MonkeyPatch, cli
) -> None:
    import generator.pipeline as pipeline

    monkeypatch.setattr(pipeline, "PARALLEL_MIN_SERVICES", 1)
    tpl = project / "templates" / "platform" / "dns.yaml.j2"
    tpl.write_text(tpl.read_text().replace("env.hostname", "env.no_such_hostname", 1))
    result = cli("render", "--root", str(project))
    assert result.code == 2
    assert "templates/platform/dns.yaml.j2" in result.err
    assert "Traceback" not in result.err


def test_cluster_level_objects_trace_to_their_section(shipped: dict) -> None:
    manifests = shipped[("prod", "even")]
    pool = next(m for m in manifests if m.kind == "NodePool" and m.name == "ocr")
    text = (ROOT / "environments" / "prod.yaml").read_text().splitlines()
    source = pool.source_for(("spec", "template", "spec", "nodeClassRef", "name"))
    assert source is not None
    assert source.file == "environments/prod.yaml"
    assert source.line is not None
    start = text.index("    - name: ocr") + 1
    assert start <= source.line <= start + 7, source
    queue = next(m for m in manifests if m.kind == "Queue" and m.name == "classify-dead")
    assert queue.source_for(("spec", "name")).file == "environments/_defaults.yaml"
    limit = pool.source_for(("spec", "limits", "memory"))
    assert limit is not None
    assert limit.line is not None
    assert "memoryLimit: 1024Gi" in text[limit.line - 1]
