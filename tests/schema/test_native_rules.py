"""API-server rules of built-in kinds: each rule has a failing and a passing manifest.

Every ``k8s:<function>`` rule named in ``generator/schema/native_rules`` must appear in ``CASES``
(checked below), so a new rule cannot land without its pair of manifests.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]

CONTAINER = {"name": "app", "image": "nginx:1.27"}
POD_SPEC = {"containers": [CONTAINER]}
TEMPLATE = {"metadata": {"labels": {"app": "web"}}, "spec": POD_SPEC}
BASE: dict[str, dict[str, Any]] = {
    "Pod": {"apiVersion": "v1", "spec": POD_SPEC},
    "Deployment": {
        "apiVersion": "apps/v1",
        "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": TEMPLATE},
    },
    "StatefulSet": {
        "apiVersion": "apps/v1",
        "spec": {"serviceName": "web", "selector": {"matchLabels": {"app": "web"}}, "template": TEMPLATE},
    },
    "DaemonSet": {
        "apiVersion": "apps/v1",
        "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": TEMPLATE},
    },
    "ReplicaSet": {
        "apiVersion": "apps/v1",
        "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": TEMPLATE},
    },
    "Job": {"apiVersion": "batch/v1", "spec": {"template": {"spec": {**POD_SPEC, "restartPolicy": "Never"}}}},
    "CronJob": {
        "apiVersion": "batch/v1",
        "spec": {
            "schedule": "*/5 * * * *",
            "jobTemplate": {"spec": {"template": {"spec": {**POD_SPEC, "restartPolicy": "OnFailure"}}}},
        },
    },
    "Service": {"apiVersion": "v1", "spec": {"ports": [{"port": 80, "targetPort": 8080}]}},
    "Ingress": {
        "apiVersion": "networking.k8s.io/v1",
        "spec": {
            "rules": [
                {
                    "host": "web.example.com",
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": "web", "port": {"number": 80}}},
                            }
                        ]
                    },
                }
            ]
        },
    },
    "NetworkPolicy": {
        "apiVersion": "networking.k8s.io/v1",
        "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
    },
    "HorizontalPodAutoscaler": {
        "apiVersion": "autoscaling/v2",
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "minReplicas": 1,
            "maxReplicas": 3,
        },
    },
    "PodDisruptionBudget": {
        "apiVersion": "policy/v1",
        "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}},
    },
    "PersistentVolumeClaim": {
        "apiVersion": "v1",
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
    },
    "StorageClass": {"apiVersion": "storage.k8s.io/v1", "provisioner": "ebs.csi.aws.com"},
    "ConfigMap": {"apiVersion": "v1", "data": {"app.conf": "x"}},
    "Secret": {"apiVersion": "v1", "type": "Opaque", "stringData": {"token": "x"}},
    "Role": {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}],
    },
    "ClusterRole": {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}],
    },
    "RoleBinding": {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"},
        "subjects": [{"kind": "ServiceAccount", "name": "sa"}],
    },
    "ClusterRoleBinding": {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "r"},
        "subjects": [{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "devs"}],
    },
    "ServiceAccount": {"apiVersion": "v1", "imagePullSecrets": [{"name": "regcred"}]},
    "Namespace": {"apiVersion": "v1", "spec": {"finalizers": ["kubernetes"]}},
}
CLUSTER_SCOPED = {"StorageClass", "ClusterRole", "ClusterRoleBinding", "Namespace"}


def _set(body: dict[str, Any], path: str, value: Any) -> None:
    """``a.b.0.c`` = value (list indices as integers); ``value`` None deletes."""
    keys: list[Any] = [int(k) if k.isdigit() else k for k in path.split(".")]
    node: Any = body
    for key in keys[:-1]:
        node = node[key]
    if value is None:
        del node[keys[-1]]
    else:
        node[keys[-1]] = value


def manifest(kind: str, changes: dict[str, Any]) -> str:
    body = copy.deepcopy(BASE[kind])
    meta: dict[str, Any] = {"name": "web"}
    if kind not in CLUSTER_SCOPED:
        meta["namespace"] = "default"
    body = {"apiVersion": body.pop("apiVersion"), "kind": kind, "metadata": meta, **body}
    for path, value in changes.items():
        _set(body, path, value)
    return yaml.safe_dump(body, sort_keys=False)


C0 = "spec.containers.0"
T0 = "spec.template.spec.containers.0"
#: (rule, kind, failing changes, passing changes, json path of the failing field)
CASES: list[tuple[str, str, dict[str, Any], dict[str, Any], str]] = [
    ("validateContainerPorts", "Pod", {f"{C0}.ports": [{"containerPort": 70000}]}, {f"{C0}.ports": [{"containerPort": 8080}]}, "$.spec.containers[0].ports[0].containerPort"),
    ("validateContainerPorts", "Pod", {f"{C0}.ports": [{"containerPort": 80, "name": "a-very-long-port-name"}]}, {f"{C0}.ports": [{"containerPort": 80, "name": "http"}]}, "$.spec.containers[0].ports[0].name"),
    ("validateContainerPorts", "Pod", {f"{C0}.ports": [{"containerPort": 80, "protocol": "tcp"}]}, {f"{C0}.ports": [{"containerPort": 80, "protocol": "TCP"}]}, "$.spec.containers[0].ports[0].protocol"),
    ("ValidateResourceRequirements", "Deployment", {f"{T0}.resources": {"limits": {"memory": "512MB"}}}, {f"{T0}.resources": {"limits": {"memory": "512Mi"}}}, "$.spec.template.spec.containers[0].resources.limits.memory"),
    ("ValidateResourceRequirements", "Deployment", {f"{T0}.resources": {"limits": {"cpu": "100m"}, "requests": {"cpu": "200m"}}}, {f"{T0}.resources": {"limits": {"cpu": "200m"}, "requests": {"cpu": "100m"}}}, "$.spec.template.spec.containers[0].resources.requests.cpu"),
    ("validateHTTPGetAction", "Pod", {f"{C0}.livenessProbe": {"httpGet": {"port": 0}}}, {f"{C0}.livenessProbe": {"httpGet": {"port": "http"}}}, "$.spec.containers[0].livenessProbe.httpGet.port"),
    ("validateTCPSocketAction", "Pod", {f"{C0}.readinessProbe": {"tcpSocket": {"port": "Metrics_Port"}}}, {f"{C0}.readinessProbe": {"tcpSocket": {"port": 9090}}}, "$.spec.containers[0].readinessProbe.tcpSocket.port"),
    ("validateGRPCAction", "Pod", {f"{C0}.startupProbe": {"grpc": {"port": 70000}}}, {f"{C0}.startupProbe": {"grpc": {"port": 9000}}}, "$.spec.containers[0].startupProbe.grpc.port"),
    ("validateProbe", "Pod", {f"{C0}.livenessProbe": {"tcpSocket": {"port": 80}, "successThreshold": 2}}, {f"{C0}.livenessProbe": {"tcpSocket": {"port": 80}, "successThreshold": 1}}, "$.spec.containers[0].livenessProbe.successThreshold"),
    ("ValidateEnv", "Pod", {f"{C0}.env": [{"name": "1BAD", "value": "x"}]}, {f"{C0}.env": [{"name": "GOOD_1", "value": "x"}]}, "$.spec.containers[0].env[0].name"),
    ("validateEnvVarValueFrom", "Pod", {f"{C0}.env": [{"name": "A", "value": "x", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]}, {f"{C0}.env": [{"name": "A", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]}, "$.spec.containers[0].env[0].valueFrom"),
    ("validateContainers", "Pod", {f"{C0}.name": "App_1"}, {f"{C0}.name": "app-1"}, "$.spec.containers[0].name"),
    ("validateContainers", "Pod", {"spec.initContainers": [CONTAINER]}, {"spec.initContainers": [dict(CONTAINER, name="init")]}, "$.spec.containers[0].name"),
    ("validatePullPolicy", "Pod", {f"{C0}.imagePullPolicy": "always"}, {f"{C0}.imagePullPolicy": "Always"}, "$.spec.containers[0].imagePullPolicy"),
    ("ValidateVolumeMounts", "Pod", {f"{C0}.volumeMounts": [{"name": "data", "mountPath": "/data"}]}, {f"{C0}.volumeMounts": [{"name": "data", "mountPath": "/data"}], "spec.volumes": [{"name": "data", "emptyDir": {}}]}, "$.spec.containers[0].volumeMounts[0].name"),
    ("validateVolumeSource", "Pod", {"spec.volumes": [{"name": "data"}]}, {"spec.volumes": [{"name": "data", "emptyDir": {}}]}, "$.spec.volumes[0]"),
    ("validateVolumeSource", "Pod", {"spec.volumes": [{"name": "data", "emptyDir": {}, "secret": {"secretName": "s"}}]}, {"spec.volumes": [{"name": "data", "secret": {"secretName": "s"}}]}, "$.spec.volumes[0].secret"),
    ("validateTopologySpreadConstraints", "Deployment", {"spec.template.spec.topologySpreadConstraints": [{"maxSkew": 0, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule", "labelSelector": {"matchLabels": {"app": "web"}}}]}, {"spec.template.spec.topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule", "labelSelector": {"matchLabels": {"app": "web"}}}]}, "$.spec.template.spec.topologySpreadConstraints[0].maxSkew"),
    ("validateTopologySpreadConstraints", "Pod", {"spec.topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "scheduleAnyway"}]}, {"spec.topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "ScheduleAnyway"}]}, "$.spec.topologySpreadConstraints[0].whenUnsatisfiable"),
    ("ValidateVolumes", "Pod", {"spec.volumes": [{"name": "Data", "emptyDir": {}}]}, {"spec.volumes": [{"name": "data", "emptyDir": {}}]}, "$.spec.volumes[0].name"),
    ("validateRestartPolicy", "Deployment", {"spec.template.spec.restartPolicy": "Never"}, {"spec.template.spec.restartPolicy": "Always"}, "$.spec.template.spec.restartPolicy"),
    ("validateDNSPolicy", "Pod", {"spec.dnsPolicy": "clusterFirst"}, {"spec.dnsPolicy": "ClusterFirst"}, "$.spec.dnsPolicy"),
    ("ValidatePodSpec", "Pod", {"spec.activeDeadlineSeconds": 0}, {"spec.activeDeadlineSeconds": 60}, "$.spec.activeDeadlineSeconds"),
    ("ValidateTolerations", "Pod", {"spec.tolerations": [{"key": "k", "operator": "Exists", "value": "v"}]}, {"spec.tolerations": [{"key": "k", "operator": "Exists"}]}, "$.spec.tolerations[0].operator"),
    ("ValidateDeploymentSpec", "Deployment", {"spec.template.metadata.labels": {"app": "other"}}, {}, "$.spec.template.metadata.labels"),
    ("ValidateDeploymentSpec", "Deployment", {"spec.replicas": -1}, {"spec.replicas": 0}, "$.spec.replicas"),
    ("ValidateLabelSelector", "Deployment", {"spec.selector": {"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "tier", "operator": "In"}]}}, {"spec.selector": {"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}}, "$.spec.selector.matchExpressions[0].values"),
    ("ValidateDeploymentStrategy", "Deployment", {"spec.strategy": {"type": "Recreate", "rollingUpdate": {"maxSurge": 1}}}, {"spec.strategy": {"type": "Recreate"}}, "$.spec.strategy.rollingUpdate"),
    ("ValidateRollingUpdateDeployment", "Deployment", {"spec.strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}}}, {"spec.strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}}, "$.spec.strategy.rollingUpdate.maxUnavailable"),
    ("ValidateRollingUpdateDeployment", "Deployment", {"spec.strategy": {"rollingUpdate": {"maxSurge": "150%"}}}, {"spec.strategy": {"rollingUpdate": {"maxSurge": "50%"}}}, "$.spec.strategy.rollingUpdate.maxSurge"),
    ("ValidateStatefulSetSpec", "StatefulSet", {"spec.podManagementPolicy": "parallel"}, {"spec.podManagementPolicy": "Parallel"}, "$.spec.podManagementPolicy"),
    ("ValidateDaemonSetSpec", "DaemonSet", {"spec.selector": {"matchLabels": {"app": "x"}}}, {}, "$.spec.template.metadata.labels"),
    ("ValidateReplicaSetSpec", "ReplicaSet", {"spec.replicas": -2}, {"spec.replicas": 2}, "$.spec.replicas"),
    ("validateRestartPolicy", "Job", {"spec.template.spec.restartPolicy": "Always"}, {"spec.template.spec.restartPolicy": "OnFailure"}, "$.spec.template.spec.restartPolicy"),
    ("validateJobSpec", "Job", {"spec.parallelism": -1}, {"spec.parallelism": 2}, "$.spec.parallelism"),
    ("validateJobSpec", "Job", {"spec.template.spec.restartPolicy": None}, {}, "$.spec.template.spec.restartPolicy"),
    ("validateScheduleFormat", "CronJob", {"spec.schedule": "every 5 minutes"}, {"spec.schedule": "@hourly"}, "$.spec.schedule"),
    ("ValidateCronJobSpec", "CronJob", {"spec.concurrencyPolicy": "forbid"}, {"spec.concurrencyPolicy": "Forbid"}, "$.spec.concurrencyPolicy"),
    ("validateServicePort", "Service", {"spec.ports.0.port": 80800}, {"spec.ports.0.port": 8080}, "$.spec.ports[0].port"),
    ("validateServicePort", "Service", {"spec.ports.0.targetPort": "metrics-endpoint-http"}, {"spec.ports.0.targetPort": "metrics"}, "$.spec.ports[0].targetPort"),
    ("validateServicePort", "Service", {"spec.ports": [{"port": 80}, {"port": 443, "name": "https"}]}, {"spec.ports": [{"port": 80, "name": "http"}, {"port": 443, "name": "https"}]}, "$.spec.ports[0].name"),
    ("ValidateService", "Service", {"spec.type": "Nodeport"}, {"spec.type": "NodePort"}, "$.spec.type"),
    ("ValidateService", "Service", {"spec.ports": [{"port": 80, "name": "web"}, {"port": 81, "name": "web"}]}, {"spec.ports": [{"port": 80, "name": "web"}, {"port": 81, "name": "alt"}]}, "$.spec.ports[1].name"),
    ("validateServiceExternalTrafficPolicy", "Service", {"spec.externalTrafficPolicy": "Local"}, {"spec.externalTrafficPolicy": "Local", "spec.type": "LoadBalancer"}, "$.spec.externalTrafficPolicy"),
    ("validateIngressBackend", "Ingress", {"spec.rules.0.http.paths.0.backend.service.port": {"number": 0}}, {"spec.rules.0.http.paths.0.backend.service.port": {"name": "http"}}, "$.spec.rules[0].http.paths[0].backend.service.port.number"),
    ("ValidateIngressSpec", "Ingress", {"spec.ingressClassName": "Kong_Public"}, {"spec.ingressClassName": "kong"}, "$.spec.ingressClassName"),
    ("validateIngressTLS", "Ingress", {"spec.tls": [{"hosts": ["Web.Example.com"]}]}, {"spec.tls": [{"hosts": ["web.example.com"]}]}, "$.spec.tls[0].hosts[0]"),
    ("validateIngressRules", "Ingress", {"spec.rules.0.host": "*example.com"}, {"spec.rules.0.host": "*.example.com"}, "$.spec.rules[0].host"),
    ("validateHTTPIngressPath", "Ingress", {"spec.rules.0.http.paths.0.path": "api"}, {"spec.rules.0.http.paths.0.path": "/api"}, "$.spec.rules[0].http.paths[0].path"),
    ("validateHTTPIngressPath", "Ingress", {"spec.rules.0.http.paths.0.pathType": "prefix"}, {"spec.rules.0.http.paths.0.pathType": "Exact"}, "$.spec.rules[0].http.paths[0].pathType"),
    ("ValidateNetworkPolicySpec", "NetworkPolicy", {"spec.policyTypes": ["ingress"]}, {"spec.policyTypes": ["Ingress", "Egress"]}, "$.spec.policyTypes[0]"),
    ("ValidateNetworkPolicyPort", "NetworkPolicy", {"spec.ingress": [{"ports": [{"port": 70000}]}]}, {"spec.ingress": [{"ports": [{"port": 8080, "endPort": 8090}]}]}, "$.spec.ingress[0].ports[0].port"),
    ("ValidateNetworkPolicyPeer", "NetworkPolicy", {"spec.ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}, "podSelector": {}}]}]}, {"spec.ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}}, {"podSelector": {}}]}]}, "$.spec.ingress[0].from[0]"),
    ("ValidateIPBlock", "NetworkPolicy", {"spec.ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["192.168.0.0/16"]}}]}]}, {"spec.ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}]}]}, "$.spec.ingress[0].from[0].ipBlock.except[0]"),
    ("validateHorizontalPodAutoscalerSpec", "HorizontalPodAutoscaler", {"spec.minReplicas": 5, "spec.maxReplicas": 2}, {"spec.minReplicas": 2, "spec.maxReplicas": 5}, "$.spec.maxReplicas"),
    ("ValidateCrossVersionObjectReference", "HorizontalPodAutoscaler", {"spec.scaleTargetRef.name": ""}, {}, "$.spec.scaleTargetRef.name"),
    ("validateMetricSpec", "HorizontalPodAutoscaler", {"spec.metrics": [{"type": "resource"}]}, {"spec.metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}]}, "$.spec.metrics[0].type"),
    ("validateMetricTarget", "HorizontalPodAutoscaler", {"spec.metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 0}}}]}, {"spec.metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]}, "$.spec.metrics[0].resource.target.averageUtilization"),
    ("ValidatePodDisruptionBudgetSpec", "PodDisruptionBudget", {"spec.maxUnavailable": 1}, {}, "$.spec"),
    ("ValidatePodDisruptionBudgetSpec", "PodDisruptionBudget", {"spec.minAvailable": "120%"}, {"spec.minAvailable": "50%"}, "$.spec.minAvailable"),
    ("ValidatePersistentVolumeClaimSpec", "PersistentVolumeClaim", {"spec.accessModes": ["ReadWriteAlways"]}, {"spec.accessModes": ["ReadWriteMany"]}, "$.spec.accessModes[0]"),
    ("ValidatePersistentVolumeClaimSpec", "PersistentVolumeClaim", {"spec.resources.requests.storage": "10GB2"}, {"spec.resources.requests.storage": "10G"}, "$.spec.resources.requests.storage"),
    ("ValidateStorageClass", "StorageClass", {"reclaimPolicy": "Recycle"}, {"reclaimPolicy": "Retain"}, "$.reclaimPolicy"),
    ("validateVolumeBindingMode", "StorageClass", {"volumeBindingMode": "WaitForConsumer"}, {"volumeBindingMode": "WaitForFirstConsumer"}, "$.volumeBindingMode"),
    ("validateProvisioner", "StorageClass", {"provisioner": "ebs csi"}, {"provisioner": "kubernetes.io/aws-ebs"}, "$.provisioner"),
    ("validateParameters", "StorageClass", {"parameters": {f"k{i}": "v" for i in range(513)}}, {"parameters": {"type": "gp3"}}, "$.parameters"),
    ("ValidateConfigMap", "ConfigMap", {"data": {"app conf": "x"}}, {"data": {"app_conf": "x"}}, "$.data['app conf']"),
    ("ValidateSecret", "Secret", {"type": "kubernetes.io/tls", "stringData": {"tls.crt": "x"}}, {"type": "kubernetes.io/tls", "stringData": {"tls.crt": "x", "tls.key": "y"}}, "$.data['tls.key']"),
    ("ValidatePolicyRule", "Role", {"rules": [{"resources": ["pods"], "verbs": ["get"]}]}, {}, "$.rules[0].apiGroups"),
    ("ValidatePolicyRule", "ClusterRole", {"rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": []}]}, {}, "$.rules[0].verbs"),
    ("ValidateRoleBinding", "RoleBinding", {"roleRef.kind": "Roles"}, {"roleRef.kind": "ClusterRole"}, "$.roleRef.kind"),
    ("ValidateRoleBindingSubject", "RoleBinding", {"subjects": [{"kind": "User", "name": "jane"}]}, {"subjects": [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "jane"}]}, "$.subjects[0].apiGroup"),
    ("ValidateRoleBindingSubject", "ClusterRoleBinding", {"subjects": [{"kind": "ServiceAccount", "name": "sa"}]}, {"subjects": [{"kind": "ServiceAccount", "name": "sa", "namespace": "ops"}]}, "$.subjects[0].namespace"),
    ("ValidateServiceAccount", "ServiceAccount", {"imagePullSecrets": [{"name": ""}]}, {}, "$.imagePullSecrets[0].name"),
    ("validateFinalizerName", "Namespace", {"spec.finalizers": ["cleanup"]}, {"spec.finalizers": ["example.com/cleanup"]}, "$.spec.finalizers[0]"),
]  # fmt: skip


def _native(findings: list[Any]) -> list[tuple[str, str]]:
    return [(f.json_path, f.rule) for f in findings if f.rule.startswith("k8s:")]


@pytest.mark.parametrize(
    ("rule", "kind", "bad", "good", "path"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_rule_fails_and_passes(
    check_builtin, rule: str, kind: str, bad: dict[str, Any], good: dict[str, Any], path: str
) -> None:
    failing = _native(check_builtin(manifest(kind, bad)))
    assert (path, f"k8s:{rule}") in failing, failing
    assert _native(check_builtin(manifest(kind, good))) == []


def test_every_base_manifest_is_clean(check_builtin) -> None:
    for kind in BASE:
        assert [f for f in check_builtin(manifest(kind, {})) if f.severity == "error"] == [], kind


def test_every_rule_has_cases() -> None:
    source = "".join(p.read_text() for p in (ROOT / "generator" / "schema" / "native_rules").glob("*.py"))
    rules = set(re.findall(r'"k8s:(\w+)"', source))
    assert rules == {c[0] for c in CASES}


def test_finding_carries_rule_and_line(check_builtin) -> None:
    (finding,) = [
        f
        for f in check_builtin(manifest("Service", {"spec.ports.0.port": 80800}))
        if f.rule.startswith("k8s:")
    ]
    assert finding.rule == "k8s:validateServicePort"
    assert finding.line is not None
    assert "80800" in finding.message


ROLLOUT = """\
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: web, namespace: default}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: LABEL}}
    spec:
      containers:
      - {name: app, image: nginx, ports: [{containerPort: PORT}]}
  strategy: {canary: {steps: [{setWeight: 50}]}}
"""


@pytest.mark.needs_shared
def test_rollout_pod_template_gets_the_replicaset_rules(check) -> None:
    bad = _native(check(ROLLOUT.replace("LABEL", "other").replace("PORT", "70000")))
    assert ("$.spec.template.spec.containers[0].ports[0].containerPort", "k8s:validateContainerPorts") in bad
    assert ("$.spec.template.metadata.labels", "k8s:ValidateReplicaSetSpec") in bad
    assert _native(check(ROLLOUT.replace("LABEL", "web").replace("PORT", "8080"))) == []


def _paths(node: Any, path: tuple[Any, ...] = ()) -> Any:
    yield path
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        yield from _paths(value, (*path, key))


def test_rules_never_raise_on_a_field_of_another_type() -> None:
    from generator.schema.native_rules import check_native

    bodies = [
        yaml.safe_load(manifest(kind, changes)) for _, kind, bad, good, _ in CASES for changes in (bad, good)
    ]
    for body in bodies:
        for path in [p for p in _paths(body) if len(p) > 1]:
            for value in (None, True, -1, "x", [], {}, [1], {"a": 1}):
                copy_ = copy.deepcopy(body)
                node = copy_
                for key in path[:-1]:
                    node = node[key]
                node[path[-1]] = value
                list(check_native(copy_, body["kind"]))  # must not raise
