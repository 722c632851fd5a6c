"""Cross-resource checks of the paths a request and a document take once Argo CD has synced.

Stage: beside ``generator.gate.checks.cluster`` (same ``ClusterView`` input, ``Finding`` output, pure). Each
check answers "would this work in the cluster?" for one class of break that no single-document
policy sees: a Secret nothing creates, a stateful pod on spot capacity, an EFS volume that can
never mount, a Kyverno rule that blocks the operators. Network and mesh paths are in
``generator.gate.checks.mesh``, canary analysis in ``generator.gate.checks.analysis``, DNS in
``generator.gate.checks.dns``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from typing import Any

from generator import yamlread
from generator.findings import Finding
from generator.gate.checks.cluster import POD_TEMPLATE_KINDS, ClusterView, finding, get_path, list_of
from generator.gate.checks.policy_scope import check_policy_scope
from generator.gate.checks.topology import EnvView
from generator.manifest import Manifest

__all__ = ["ENV_PATH_CHECKS", "PATH_CHECKS", "check_shared_storage", "helm_releases", "pod_spec_path"]


def pod_spec_path(m: Manifest) -> tuple[str | int, ...] | None:
    """Where ``m`` keeps its pod spec (``None`` for kinds without one)."""
    if m.kind in POD_TEMPLATE_KINDS:
        return ("spec", "template", "spec")
    if m.kind == "CronJob":
        return ("spec", "jobTemplate", "spec", "template", "spec")
    if m.kind == "Pod":
        return ("spec",)
    return None


# --- secrets and TLS ----------------------------------------------------------------------------


def _secret_producers(view: ClusterView) -> dict[tuple[str, str], str]:
    """(namespace, Secret name) → what creates it: rendered Secrets and the controllers' outputs."""
    out: dict[tuple[str, str], str] = {}
    for m in view.of_kind("Secret"):
        out[(m.namespace, m.name)] = "rendered Secret"
    for m in view.of_kind("Certificate"):
        name = get_path(m.body, "spec", "secretName")
        if isinstance(name, str):
            out[(m.namespace, name)] = f"cert-manager Certificate {m.name}"
    for m in view.of_kind("ExternalSecret"):
        name = get_path(m.body, "spec", "target", "name") or m.name
        out[(m.namespace, str(name))] = f"ExternalSecret {m.name}"
    for m in view.of_kind("RabbitmqCluster"):
        out[(m.namespace, f"{m.name}-default-user")] = f"RabbitMQ cluster operator ({m.name})"
    for m in view.of_kind("User"):
        if m.api_version.startswith("rabbitmq.com/"):
            out[(m.namespace, f"{m.name}-user-credentials")] = f"RabbitMQ topology operator (User {m.name})"
    return out


def _secret_refs(m: Manifest) -> Iterator[tuple[tuple[str | int, ...], str, str]]:
    """(path, Secret name, how it is read) of every Secret a manifest's pods or routes read."""
    base = pod_spec_path(m)
    if base is not None:
        spec = get_path(m.body, *base)
        for field_name in ("initContainers", "containers"):
            for i, c in enumerate(list_of(get_path(spec, field_name))):
                for j, e in enumerate(list_of(get_path(c, "env"))):
                    name = get_path(e, "valueFrom", "secretKeyRef", "name")
                    if (
                        isinstance(name, str)
                        and get_path(e, "valueFrom", "secretKeyRef", "optional") is not True
                    ):
                        path = (*base, field_name, i, "env", j, "valueFrom", "secretKeyRef", "name")
                        yield path, name, "secretKeyRef"
                for j, e in enumerate(list_of(get_path(c, "envFrom"))):
                    name = get_path(e, "secretRef", "name")
                    if isinstance(name, str) and get_path(e, "secretRef", "optional") is not True:
                        yield (*base, field_name, i, "envFrom", j, "secretRef", "name"), name, "envFrom"
        for i, v in enumerate(list_of(get_path(spec, "volumes"))):
            name = get_path(v, "secret", "secretName")
            if isinstance(name, str) and get_path(v, "secret", "optional") is not True:
                yield (*base, "volumes", i, "secret", "secretName"), name, "secret volume"
    if m.kind == "Ingress":
        for i, tls in enumerate(list_of(get_path(m.body, "spec", "tls"))):
            name = get_path(tls, "secretName")
            if isinstance(name, str):
                yield ("spec", "tls", i, "secretName"), name, "Ingress TLS"


def _store_refs(view: ClusterView, configured: Collection[tuple[str, str]] | None) -> Iterator[Finding]:
    """Every ExternalSecret reads from a store the tree renders or the environment declares."""
    cluster_stores = {m.name for m in view.of_kind("ClusterSecretStore")}
    namespaced = {(m.namespace, m.name) for m in view.of_kind("SecretStore")}
    for m in view.of_kind("ExternalSecret"):
        name = get_path(m.body, "spec", "secretStoreRef", "name")
        if not isinstance(name, str):
            continue
        kind = get_path(m.body, "spec", "secretStoreRef", "kind") or "SecretStore"  # the operator's default
        if kind == "ClusterSecretStore" and name in cluster_stores:
            continue
        if kind == "SecretStore" and (m.namespace, name) in namespaced:
            continue
        if (kind, name) in (configured or ()):
            continue
        declared = ", ".join(f"{k} {n}" for k, n in sorted(configured or ())) or "none"
        yield finding(
            m,
            ("spec", "secretStoreRef", "name"),
            "secret-refs",
            f"ExternalSecret reads from {kind} {name!r}, which this cluster's tree does not render and "
            f"the environment does not declare (secretStores: {declared}): the operator never creates "
            "its Secret. Declare the store under secretStores (or render it), or name one that exists.",
        )


def check_secret_refs(
    view: ClusterView, secret_stores: Collection[tuple[str, str]] | None = None
) -> Iterator[Finding]:
    """Every Secret a pod or an Ingress reads exists in its own namespace once synced.

    ``secret_stores``: (kind, name) of the stores the environment declares (``secretStores``): an
    ExternalSecret must read from one of them or from a store the tree renders.

    A Secret counts when it is rendered or created by a rendered controller object: a cert-manager
    Certificate (``spec.secretName``), an ExternalSecret, a RabbitmqCluster (``<name>-default-user``)
    or a messaging-topology ``User`` (``<name>-user-credentials``). A missing one leaves pods in
    ``CreateContainerConfigError`` (Kong serves its default certificate for a missing TLS Secret).
    An Istio Gateway's ``credentialName`` must live in the gateway workload's namespace.
    """
    producers = _secret_producers(view)
    yield from _store_refs(view, secret_stores)
    for m in view.manifests:
        for path, name, how in _secret_refs(m):
            if (m.namespace, name) in producers:
                continue
            elsewhere = sorted(ns for ns, n in producers if n == name)
            where = (
                f" (it exists in namespace {', '.join(elsewhere)}: Secrets are not shared across namespaces)"
            )
            yield finding(
                m,
                path,
                "secret-refs",
                f"{how} reads Secret {m.namespace}/{name}, which nothing in this cluster creates"
                f"{where if elsewhere else ''}: the pods stay in CreateContainerConfigError. Render "
                "its producer in this namespace (Certificate, ExternalSecret, RabbitMQ User) or "
                "reference one that exists.",
            )
    for gw in view.of_kind("Gateway"):
        if not gw.api_version.startswith("networking.istio.io/"):
            continue
        namespaces = gateway_workload_namespaces(view, gw)
        for i, server in enumerate(list_of(get_path(gw.body, "spec", "servers"))):
            name = get_path(server, "tls", "credentialName")
            if not isinstance(name, str):
                continue
            if any((ns, name) in producers for ns in namespaces):
                continue
            yield finding(
                gw,
                ("spec", "servers", i, "tls", "credentialName"),
                "secret-refs",
                f"Gateway credential {name!r} must be a Secret in the gateway workload's namespace "
                f"({', '.join(sorted(namespaces)) or 'no gateway workload found'}); nothing creates it "
                "there, so the listener has no certificate. Issue a Certificate in that namespace.",
            )


# --- Istio gateway workloads ----------------------------------------------------------------------


def _helm_values(app: Manifest) -> Mapping[str, Any]:
    helm = get_path(app.body, "spec", "source", "helm")
    values = get_path(helm, "valuesObject")
    if isinstance(values, Mapping):
        return values
    text = get_path(helm, "values")
    if isinstance(text, str):
        loaded = yamlread.load_or_none(text)
        return loaded if isinstance(loaded, Mapping) else {}
    return {}


def helm_releases(view: ClusterView) -> Iterator[tuple[Manifest, str, str, str, Mapping[str, Any]]]:
    """(Application, chart, release name, namespace, values) of every Argo CD Helm Application."""
    for app in view.applications():
        chart = get_path(app.body, "spec", "source", "chart")
        if not isinstance(chart, str):
            continue
        release = get_path(app.body, "spec", "source", "helm", "releaseName") or app.name
        namespace = get_path(app.body, "spec", "destination", "namespace") or ""
        yield app, chart, str(release), str(namespace), _helm_values(app)


def gateway_pod_labels(release: str, values: Mapping[str, Any]) -> dict[str, str]:
    """Labels Istio's ``gateway`` chart puts on its pods.

    ``istio: <release minus "istio-">`` and ``app: <release>``, then the values' ``labels`` (which
    may override them).
    """
    name = str(values.get("name") or release)
    labels = {"app": name, "istio": name.removeprefix("istio-")}
    extra = values.get("labels")
    if isinstance(extra, Mapping):
        labels.update({str(k): str(v) for k, v in extra.items()})
    return labels


def gateway_workload_namespaces(view: ClusterView, gw: Manifest) -> set[str]:
    """Namespaces of the gateway workloads an Istio Gateway's selector picks (any namespace)."""
    selector = get_path(gw.body, "spec", "selector")
    selector = selector if isinstance(selector, Mapping) else {}
    out: set[str] = set()
    for _, chart, release, namespace, values in helm_releases(view):
        if chart == "gateway" and all(
            gateway_pod_labels(release, values).get(k) == v for k, v in selector.items()
        ):
            out.add(namespace)
    for m in view.manifests:
        path = pod_spec_path(m)
        labels = get_path(m.body, "spec", "template", "metadata", "labels") if path else None
        if isinstance(labels, Mapping) and selector and all(labels.get(k) == v for k, v in selector.items()):
            out.add(m.namespace)
    return out


def check_gateway_selector(view: ClusterView) -> Iterator[Finding]:
    """Every Istio Gateway's selector matches a gateway workload this cluster deploys.

    Istio's ``gateway`` chart labels its pods ``istio: <release name without "istio-">`` where the
    release name is the Argo CD Application's (``helm.releaseName`` or the Application name); a
    Gateway selecting ``istio: ingressgateway`` by habit configures nothing.
    """
    for gw in view.of_kind("Gateway"):
        if not gw.api_version.startswith("networking.istio.io/"):
            continue
        if gateway_workload_namespaces(view, gw):
            continue
        labels = [
            gateway_pod_labels(release, values)
            for _, chart, release, _, values in helm_releases(view)
            if chart == "gateway"
        ]
        yield finding(
            gw,
            ("spec", "selector"),
            "gateway-selector",
            f"Gateway selector {get_path(gw.body, 'spec', 'selector')} matches no gateway workload "
            f"(gateway chart pods here are labelled {labels or 'nothing: no gateway chart is deployed'}): "
            "its listeners serve nothing. Select the labels the chart puts on its pods.",
        )


# --- spot capacity ------------------------------------------------------------------------------

CAPACITY_TYPE = "karpenter.sh/capacity-type"


def _spot_pools(view: ClusterView) -> Iterator[tuple[Manifest, list[Mapping[str, Any]]]]:
    """NodePools that may launch spot nodes, with their NoSchedule/NoExecute taints."""
    for pool in view.of_kind("NodePool"):
        spec = get_path(pool.body, "spec", "template", "spec")
        allows_spot = any(
            get_path(r, "key") == CAPACITY_TYPE
            and (
                (get_path(r, "operator") == "In" and "spot" in list_of(get_path(r, "values")))
                or (get_path(r, "operator") == "NotIn" and "spot" not in list_of(get_path(r, "values")))
                or get_path(r, "operator") == "Exists"
            )
            for r in list_of(get_path(spec, "requirements"))
        )
        if allows_spot:
            taints = [
                t
                for t in list_of(get_path(spec, "taints"))
                if isinstance(t, Mapping) and t.get("effect") in ("NoSchedule", "NoExecute")
            ]
            yield pool, taints


def _pinned_on_demand(pod: Any) -> bool:
    if get_path(pod, "nodeSelector", CAPACITY_TYPE) == "on-demand":
        return True
    terms = list_of(
        get_path(
            pod,
            "affinity",
            "nodeAffinity",
            "requiredDuringSchedulingIgnoredDuringExecution",
            "nodeSelectorTerms",
        )
    )
    return bool(terms) and all(
        any(
            get_path(e, "key") == CAPACITY_TYPE
            and get_path(e, "operator") == "In"
            and list_of(get_path(e, "values")) == ["on-demand"]
            for e in list_of(get_path(t, "matchExpressions"))
        )
        for t in terms
    )


def _tolerates(pod: Any, taint: Mapping[str, Any]) -> bool:
    for t in list_of(get_path(pod, "tolerations")):
        if not isinstance(t, Mapping):
            continue
        if t.get("effect") not in (None, "", taint.get("effect")):
            continue
        if t.get("operator") == "Exists" and t.get("key") in (None, "", taint.get("key")):
            return True
        if t.get("key") == taint.get("key") and t.get("value") == taint.get("value"):
            return True
    return False


def _stateful_pods(view: ClusterView) -> Iterator[tuple[Manifest, tuple[str | int, ...], Any]]:
    """StatefulSets and RabbitmqClusters: pods that lose state or quorum when a node is reclaimed."""
    for m in view.of_kind("StatefulSet"):
        yield m, ("spec", "template", "spec"), get_path(m.body, "spec", "template", "spec")
    for m in view.of_kind("RabbitmqCluster"):
        yield m, ("spec",), get_path(m.body, "spec")


def check_stateful_on_spot(view: ClusterView) -> Iterator[Finding]:
    """Stateful pods can never land on spot capacity.

    A spot node is reclaimed at two minutes' notice; a RabbitMQ quorum member or a StatefulSet
    replica on it is lost with it. Stateful pods must require ``karpenter.sh/capacity-type:
    on-demand``, or every spot-capable NodePool must carry a taint they do not tolerate.
    """
    spot = list(_spot_pools(view))
    for m, path, pod in _stateful_pods(view):
        if _pinned_on_demand(pod):
            continue
        reachable = [p.name for p, taints in spot if not taints or all(_tolerates(pod, t) for t in taints)]
        if reachable:
            yield finding(
                m,
                path,
                "stateful-on-spot",
                f"{m.kind} {m.name} is stateful but may run on spot capacity (NodePool "
                f"{', '.join(reachable)}): require node affinity {CAPACITY_TYPE} In [on-demand].",
            )


# --- EFS ----------------------------------------------------------------------------------------


def check_efs_mounts(view: ClusterView) -> Iterator[Finding]:
    """EFS volumes can mount: file system id, mount targets, StorageClass.

    Each EFS StorageClass names a file system, each file system has mount targets, and each PVC's
    StorageClass is rendered.

    Without ``parameters.fileSystemId`` the EFS CSI driver cannot provision (PVCs stay Pending);
    without a MountTarget in the nodes' subnets nothing can mount the file system.
    """
    classes = {m.name: m for m in view.of_kind("StorageClass")}
    for sc in classes.values():
        if sc.body.get("provisioner") != "efs.csi.aws.com":
            continue
        fs_id = get_path(sc.body, "parameters", "fileSystemId")
        if not isinstance(fs_id, str) or not fs_id:
            yield finding(
                sc,
                ("parameters",),
                "efs-mount",
                f"StorageClass {sc.name} (EFS) has no parameters.fileSystemId: every PVC of this class "
                "stays Pending, and so does every pod mounting one. Record the file system's id in "
                "the environment (storage.efs.clusters.<cluster>.fileSystemId) once ACK created it.",
            )
    targets = {
        str(get_path(t.body, "spec", "fileSystemRef", "from", "name") or "")
        for t in view.of_kind("MountTarget")
    } | {str(get_path(t.body, "spec", "fileSystemID") or "") for t in view.of_kind("MountTarget")}
    for fs in view.of_kind("FileSystem"):
        if not fs.api_version.startswith("efs.services.k8s.aws/"):
            continue
        if fs.name not in targets:
            yield finding(
                fs,
                ("metadata", "name"),
                "efs-mount",
                f"FileSystem {fs.name} has no MountTarget: nodes cannot reach it. Declare the nodes' "
                "subnets (storage.efs.clusters.<cluster>.subnetIds) to get one MountTarget each.",
            )
    for pvc in view.of_kind("PersistentVolumeClaim"):
        cls = get_path(pvc.body, "spec", "storageClassName")
        if isinstance(cls, str) and cls and cls not in classes:
            yield finding(
                pvc,
                ("spec", "storageClassName"),
                "efs-mount",
                f"PVC {pvc.name} asks for StorageClass {cls!r}, which this cluster does not render: "
                "it stays Pending.",
            )


PATH_CHECKS: dict[str, Callable[[ClusterView], Iterator[Finding]]] = {
    "policy-scope": check_policy_scope,
    "secret-refs": check_secret_refs,
    "gateway-selector": check_gateway_selector,
    "stateful-on-spot": check_stateful_on_spot,
    "efs-mount": check_efs_mounts,
}
"""The path checks by the name their findings carry (registered beside ``CLUSTER_CHECKS``)."""


# --- storage shared between the clusters of an environment --------------------------------------


def _bucket_references(view: ClusterView) -> Iterator[tuple[Manifest, tuple[str | int, ...], str]]:
    """(workload, path, bucket name) of every ``*_BUCKET`` environment variable of a pod."""
    for m in view.manifests:
        base = pod_spec_path(m)
        if base is None:
            continue
        for i, c in enumerate(list_of(get_path(m.body, *base, "containers"))):
            for j, e in enumerate(list_of(get_path(c, "env"))):
                name, value = get_path(e, "name"), get_path(e, "value")
                if isinstance(name, str) and name.endswith("_BUCKET") and isinstance(value, str):
                    yield m, (*base, "containers", i, "env", j, "value"), value


def check_shared_storage(view: EnvView) -> Iterator[Finding]:
    """Each S3 bucket has exactly one owning cluster, and every bucket a pod uses is created.

    Each bucket is created in exactly one cluster of the environment; every bucket a pod is told
    to use is created by some cluster of it.
    Two clusters creating one bucket name fight over it (ACK adopts or fails, and deleting either
    cluster's platform app deletes the shared store); a pod pointed at a bucket nobody creates
    fails on its first write.
    """
    owners: dict[str, list[Manifest]] = {}
    for cluster in sorted(view.clusters):
        for b in view.clusters[cluster].of_kind("Bucket"):
            name = get_path(b.body, "spec", "name")
            if isinstance(name, str):
                owners.setdefault(name, []).append(b)
    for name, made in sorted(owners.items()):
        for dup in made[1:]:
            yield finding(
                dup,
                ("spec", "name"),
                "shared-storage",
                f"bucket {name} is created by clusters {', '.join(m.cluster for m in made)}: one store "
                "must have one owner. Render the Bucket in one cluster (storage.s3.ownerCluster) and "
                "reference it from the others.",
            )
    for cluster in sorted(view.clusters):
        for m, path, bucket in _bucket_references(view.clusters[cluster]):
            if bucket not in owners:
                yield finding(
                    m,
                    path,
                    "shared-storage",
                    f"{m.kind} {m.name} uses bucket {bucket}, which no cluster of environment {view.env} "
                    f"creates (created: {', '.join(sorted(owners)) or 'none'}).",
                )


ENV_PATH_CHECKS: dict[str, Callable[[EnvView], Iterator[Finding]]] = {
    "shared-storage": check_shared_storage,
}
"""Environment-wide path checks (every cluster of one environment at once)."""
