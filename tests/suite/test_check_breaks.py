"""Each policy and check broken on purpose in the shipped render: the gate names it and the env line.

The shipped ``dev`` and ``prod`` environments are rendered once in memory; each case changes one
object the way a bad template or environment value would, runs the check over that environment,
and asserts an error naming the policy rule (or check) whose ``source`` points into the
environment entry that produced the object.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import suite_fleet

from generator.findings import Finding
from generator.gate.check import CheckResult, check_subjects, subjects_from_manifests
from generator.manifest import HUB_CLUSTER, Manifest
from generator.pipeline import Project, render_environments

ROOT = Path(__file__).resolve().parents[2]
ENV_DIR = ROOT / "environments"
Body = dict[str, Any]


def entry_lines(file: str, needle: str) -> range:
    """Lines of the YAML block that starts at the first line matching ``needle`` (a list item or key)."""
    lines = (ENV_DIR / file).read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if re.search(needle, line))
    indent = len(lines[start]) - len(lines[start].lstrip(" "))
    end = start + 1
    while end < len(lines) and (
        not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip(" ")) > indent
    ):
        end += 1
    return range(start + 1, end + 1)


def source_line(f: Finding) -> tuple[str, int]:
    assert f.source is not None, f
    assert f.source.file.startswith("environments/"), f.source
    assert f.source.line is not None, f.source
    return f.source.file.removeprefix("environments/"), f.source.line


@pytest.fixture(scope="session")
def shipped() -> tuple[Manifest, ...]:
    return render_environments(Project(ROOT), ["dev", "prod"])


def run(manifests: list[Manifest], env: str) -> CheckResult:
    return check_subjects(subjects_from_manifests(manifests), crd_dirs=None, environments=[env])


def edit(manifests: list[Manifest], kind: str, name: str, change: Callable[[Body], object]) -> list[Manifest]:
    return suite_fleet.edit(manifests, kind, change, name)


def drop(manifests: list[Manifest], kind: str, name: str, namespace: str = "docproc") -> list[Manifest]:
    out = [m for m in manifests if not (m.kind == kind and m.name == name and m.namespace in ("", namespace))]
    assert len(out) == len(manifests) - 1, (kind, name)
    return out


def container(body: Body) -> Body:
    c: Body = body["spec"]["template"]["spec"]["containers"][0]
    return c


def _weight(body: Body, value: str) -> None:
    for ep in body["spec"]["endpoints"]:
        for prop in ep.get("providerSpecific", []):
            if prop["name"] == "aws/weight":
                prop["value"] = value


INGEST = ("_defaults.yaml", r"- name: ingest-api")
CASES: list[tuple[str, str, Callable[[list[Manifest]], list[Manifest]], str, tuple[str, str] | None]] = [
    # (id, env, break, rule or check, environment entry the source must point into)
    (
        "privileged-container",
        "dev",
        lambda ms: edit(
            ms, "Rollout", "ingest-api", lambda b: container(b)["securityContext"].update(privileged=True)
        ),
        "pod-security-restricted/restricted-containers",
        INGEST,
    ),
    (
        "privilege-escalation",
        "dev",
        lambda ms: edit(
            ms,
            "Rollout",
            "ocr-worker",
            lambda b: container(b)["securityContext"].update(allowPrivilegeEscalation=True),
        ),
        "pod-security-restricted/restricted-containers",
        ("_defaults.yaml", r"- name: ocr-worker"),
    ),
    (
        "root-pod",
        "dev",
        lambda ms: edit(
            ms,
            "Rollout",
            "query-api",
            lambda b: b["spec"]["template"]["spec"]["securityContext"].update(runAsNonRoot=False),
        ),
        "pod-security-restricted/restricted-pod",
        ("_defaults.yaml", r"- name: query-api"),
    ),
    (
        "host-path",
        "dev",
        lambda ms: edit(
            ms,
            "Rollout",
            "ingest-api",
            lambda b: (
                b["spec"]["template"]["spec"]
                .setdefault("volumes", [])
                .append({"name": "host", "hostPath": {"path": "/"}})
            ),
        ),
        "pod-security-restricted/host-path",
        INGEST,
    ),
    (
        "host-network",
        "dev",
        lambda ms: edit(
            ms, "Rollout", "ingest-api", lambda b: b["spec"]["template"]["spec"].update(hostNetwork=True)
        ),
        "pod-security-restricted/host-namespaces",
        INGEST,
    ),
    (
        "latest-image",
        "dev",
        lambda ms: edit(
            ms,
            "Rollout",
            "ingest-api",
            lambda b: container(b).update(image=container(b)["image"].rsplit(":", 1)[0] + ":latest"),
        ),
        "restrict-images/disallow-latest-tag",
        None,
    ),
    (
        "docker-hub-image",
        "dev",
        lambda ms: edit(
            ms, "Rollout", "ingest-api", lambda b: container(b).update(image="docker.io/library/nginx:1.27")
        ),
        "restrict-images/allowed-registries",
        INGEST,
    ),
    (
        "no-digest-in-prod",
        "prod",
        lambda ms: edit(
            ms,
            "Rollout",
            "ingest-api",
            lambda b: container(b).update(image=container(b)["image"].split("@")[0]),
        ),
        "restrict-images/require-digest-in-prod",
        None,
    ),
    (
        "missing-memory-limit",
        "dev",
        lambda ms: edit(ms, "Rollout", "ingest-api", lambda b: container(b)["resources"].pop("limits")),
        "require-resources-and-probes/require-requests-and-memory-limit",
        INGEST,
    ),
    (
        "http-without-readiness-probe",
        "dev",
        lambda ms: edit(ms, "Rollout", "ingest-api", lambda b: container(b).pop("readinessProbe")),
        "require-resources-and-probes/require-probes-on-http",
        INGEST,
    ),
    (
        "missing-team-label",
        "dev",
        lambda ms: edit(
            ms, "Service", "ingest-api", lambda b: b["metadata"]["labels"].pop("docproc.io/team")
        ),
        "require-labels/require-platform-labels",
        INGEST,
    ),
    (
        "plaintext-password",
        "dev",
        lambda ms: edit(
            ms,
            "Rollout",
            "ingest-api",
            lambda b: container(b)["env"].append({"name": "DB_PASSWORD", "value": "hunter2"}),
        ),
        "disallow-plaintext-secrets/no-credentials-in-env",
        INGEST,
    ),
    (
        "injection-off",
        "dev",
        lambda ms: edit(
            ms,
            "Namespace",
            "docproc",
            lambda b: b["metadata"]["labels"].update({"istio-injection": "disabled"}),
        ),
        "istio-mesh-security/app-namespace-sidecar-injection",
        None,
    ),
    (
        "permissive-mtls",
        "dev",
        lambda ms: edit(
            ms, "PeerAuthentication", "default", lambda b: b["spec"]["mtls"].update(mode="PERMISSIVE")
        ),
        "istio-mesh-security/peer-authentication-strict",
        None,
    ),
    (
        "unencrypted-efs",
        "dev",
        lambda ms: edit(ms, "FileSystem", "documents", lambda b: b["spec"].update(encrypted=False)),
        "storage-encryption/efs-encrypted-with-kms",
        None,
    ),
    (
        "public-bucket",
        "dev",
        lambda ms: edit(
            ms, "Bucket", "backups", lambda b: b["spec"]["publicAccessBlock"].update(blockPublicPolicy=False)
        ),
        "storage-encryption/s3-public-access-blocked",
        None,
    ),
    (
        "no-glacier",
        "dev",
        lambda ms: edit(ms, "Bucket", "backups", lambda b: b["spec"].pop("lifecycle")),
        "storage-encryption/s3-glacier-transition",
        None,
    ),
    (
        "nodepool-without-limits",
        "dev",
        lambda ms: edit(ms, "NodePool", "general", lambda b: b["spec"].pop("limits")),
        "karpenter-guardrails/nodepool-limits",
        ("dev.yaml", r"- name: general"),
    ),
    (
        "imds-hop-limit-2",
        "dev",
        lambda ms: edit(
            ms,
            "EC2NodeClass",
            "docproc",
            lambda b: b["spec"]["metadataOptions"].update(httpPutResponseHopLimit=2),
        ),
        "karpenter-guardrails/ec2nodeclass-imdsv2",
        None,
    ),
    (
        "rollout-without-analysis",
        "dev",
        lambda ms: edit(
            ms, "Rollout", "ingest-api", lambda b: b["spec"]["strategy"]["canary"].pop("analysis")
        ),
        "progressive-delivery/http-rollout-analysis",
        INGEST,
    ),
    (
        "kong-route-without-plugins",
        "dev",
        lambda ms: edit(
            ms, "Ingress", "ingest-api", lambda b: b["metadata"]["annotations"].pop("konghq.com/plugins")
        ),
        "kong-internet-routes/internet-route-binds-plugins",
        INGEST,
    ),
    # cross-resource checks
    (
        "dangling-node-class-ref",
        "dev",
        lambda ms: edit(
            ms,
            "NodePool",
            "general",
            lambda b: b["spec"]["template"]["spec"]["nodeClassRef"].update(name="gone"),
        ),
        "nodepool-nodeclass",
        None,
    ),
    (
        "virtual-service-without-destination-rule",
        "dev",
        lambda ms: drop(ms, "DestinationRule", "ingest-api"),
        "virtualservice-destinationrule",
        INGEST,
    ),
    (
        "canary-service-missing",
        "dev",
        lambda ms: drop(ms, "Service", "ingest-api-canary"),
        "rollout-traffic-routing",
        INGEST,
    ),
    (
        "kong-rate-limit-plugin-missing",
        "dev",
        lambda ms: drop(ms, "KongPlugin", "docproc-rate-limit"),
        "kong-route-plugins",
        INGEST,
    ),
    (
        "namespace-without-peer-authentication",
        "dev",
        lambda ms: drop(ms, "PeerAuthentication", "default"),
        "peer-authentication-per-namespace",
        None,
    ),
    (
        "duplicate-identity",
        "dev",
        lambda ms: [*ms, next(m for m in ms if m.kind == "Service" and m.name == "ingest-api")],
        "duplicate-identity",
        INGEST,
    ),
    (
        "weight-sum-90",
        "prod",
        lambda ms: [
            Manifest(m.env, m.cluster, m.component, _with_weight(m), m.sources)
            if m.kind == "DNSEndpoint" and m.cluster == "even"
            else m
            for m in ms
        ],
        "dns-weights",
        None,
    ),
    # delivery: would Argo CD converge (issue 8)
    (
        "destination-not-registered",
        "dev",
        lambda ms: [m for m in ms if not (m.kind == "Secret" and m.cluster == HUB_CLUSTER)],
        "argocd-hub",
        None,
    ),
    (
        "root-deploys-children-to-a-workload-cluster",
        "prod",
        lambda ms: edit_app(
            ms,
            "-root",
            lambda b: b["spec"]["destination"].update(server=_workload_server(ms)),
        ),
        "argocd-hub",
        None,
    ),
    (
        "cluster-secret-with-a-token",
        "dev",
        lambda ms: suite_fleet.edit(ms, "Secret", _add_token),
        "argocd-hub",
        None,
    ),
    (
        "project-held-twice",
        "dev",
        lambda ms: [*ms, next(m for m in ms if m.kind == "AppProject")],
        "argocd-hub",
        None,
    ),
    (
        "crs-without-skip-dry-run",
        "dev",
        lambda ms: edit_app(
            ms,
            "-platform",
            lambda b: b["spec"]["syncPolicy"]["syncOptions"].remove("SkipDryRunOnMissingResource=true"),
        ),
        "argocd-sync-ordering",
        None,
    ),
    (
        "retries-run-out",
        "dev",
        lambda ms: edit_app(ms, "-platform", lambda b: b["spec"]["syncPolicy"]["retry"].update(limit=2)),
        "argocd-sync-ordering",
        None,
    ),
    (
        "no-operator-installs-the-crds",
        "dev",
        lambda ms: [
            m
            for m in ms
            if not (
                m.kind == "Application"
                and m.body["spec"]["source"].get("chart") == "rabbitmq-cluster-operator"
            )
        ],
        "argocd-sync-ordering",
        None,
    ),
    (
        "hpa-scaled-rollout-sets-replicas",
        "dev",
        lambda ms: edit(ms, "Rollout", "ingest-api", lambda b: b["spec"].update(replicas=2)),
        "argocd-controller-fields",
        INGEST,
    ),
    (
        "virtualservice-weights-not-ignored",
        "dev",
        lambda ms: edit_app(ms, "-apps", lambda b: b["spec"].pop("ignoreDifferences")),
        "argocd-controller-fields",
        None,
    ),
    (
        "ignore-differences-not-respected",
        "dev",
        lambda ms: edit_app(
            ms,
            "-apps",
            lambda b: b["spec"]["syncPolicy"]["syncOptions"].remove("RespectIgnoreDifferences=true"),
        ),
        "argocd-controller-fields",
        None,
    ),
    (
        "rabbitmq-cluster-prunable",
        "dev",
        lambda ms: suite_fleet.edit(
            ms,
            "RabbitmqCluster",
            lambda b: b["metadata"]["annotations"].pop("argocd.argoproj.io/sync-options"),
        ),
        "argocd-stateful-retention",
        None,
    ),
    (
        "ack-file-system-deleted-with-its-object",
        "dev",
        lambda ms: edit(
            ms,
            "FileSystem",
            "documents",
            lambda b: b["metadata"]["annotations"].pop("services.k8s.aws/deletion-policy"),
        ),
        "argocd-stateful-retention",
        None,
    ),
    (
        "odd-cluster-misses-an-object",
        "prod",
        lambda ms: [
            m for m in ms if not (m.cluster == "odd" and m.kind == "Service" and m.name == "query-api")
        ],
        "cluster-parity",
        None,
    ),
]


def edit_app(manifests: list[Manifest], suffix: str, change: Callable[[Body], object]) -> list[Manifest]:
    """``change`` applied to the first hub Application whose name ends with ``suffix``."""
    name = next(m.name for m in manifests if m.kind == "Application" and m.name.endswith(suffix))
    return edit(manifests, "Application", name, change)


def _workload_server(manifests: list[Manifest]) -> str:
    return next(
        str(m.body["stringData"]["server"])
        for m in manifests
        if m.kind == "Secret" and m.cluster == HUB_CLUSTER
    )


def _add_token(body: Body) -> None:
    config = json.loads(body["stringData"]["config"])
    body["stringData"]["config"] = json.dumps({**config, "bearerToken": "eyJhbGciOi"})


def _with_weight(m: Manifest) -> Body:
    body = copy.deepcopy(dict(m.body))
    _weight(body, "80")
    return body


def _errors(result: CheckResult, rule: str) -> list[Finding]:
    return [
        f
        for f in result.findings
        if f.severity == "error" and (f.rule == rule or f.rule.startswith(rule + "/"))
    ]


@pytest.mark.parametrize(
    ("env", "breaker", "rule", "entry"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_break_is_named_and_traced(
    shipped: tuple[Manifest, ...],
    env: str,
    breaker: Callable[[list[Manifest]], list[Manifest]],
    rule: str,
    entry: tuple[str, str] | None,
) -> None:
    manifests = [m for m in shipped if m.env == env]
    assert not _errors(run(manifests, env), rule), "the shipped render must pass this rule"
    errors = _errors(run(breaker(manifests), env), rule)
    assert errors, f"no {rule} error"
    f = errors[0]
    assert f.file.startswith(f"rendered/{env}/")
    assert f.line is not None
    assert f.line >= 1
    assert f.message
    file, line = source_line(f)
    assert file in ("_defaults.yaml", f"{env}.yaml")
    if entry is not None:
        assert (file, line in entry_lines(*entry)) == (entry[0], True), (f.source, entry)


def test_latest_image_points_at_a_value_that_composes_the_image(shipped: tuple[Manifest, ...]) -> None:
    manifests = [m for m in shipped if m.env == "dev"]
    broken = CASES[[c[0] for c in CASES].index("latest-image")][2](manifests)
    (f, *_) = _errors(run(broken, "dev"), "restrict-images/disallow-latest-tag")
    file, line = source_line(f)
    text = (ENV_DIR / file).read_text(encoding="utf-8").splitlines()[line - 1]
    value = re.sub(r"^\s*(- )?([\w.]+: )?", "", text).strip("\"'")
    image = next(m for m in broken if m.kind == "Rollout" and m.name == "ingest-api").body["spec"]["template"]
    assert value, text
    assert value in image["spec"]["containers"][0]["image"], (text, f.source)
