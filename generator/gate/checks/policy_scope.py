"""Cross-resource check ``policy-scope``: the Kyverno suite never blocks the platform it guards.

Stage: beside ``generator.gate.checks.cluster`` (a ``ClusterView`` in, ``Finding`` records out, no I/O).
A rendered ``ClusterPolicy`` is evaluated by our own engine on *probes*: the objects the
platform's operators and controllers create at run time, which are never in ``rendered/``:

- in every platform namespace (each operator Application's destination, plus ``kube-system`` and
  ``istio-system``): the namespace itself as Argo CD creates it, a Deployment/DaemonSet/
  StatefulSet/Job/Pod from the operator's upstream image with no hardening, its Service,
  ServiceAccount, ConfigMap, Secret with data, RBAC;
- in every application namespace we render: objects a controller derives from ours (they carry
  ``ownerReferences``: a Rollout's Pod with Istio's injected ``istio-init``, the RabbitMQ
  operator's StatefulSet and Secrets, the topology operator's user credentials) and the Secret
  cert-manager writes.

An ``Enforce`` rule that fails a probe would reject that object in the cluster: the operator never
becomes ready, or the meshed pod is never created.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from generator.documents import Document
from generator.dump import dump
from generator.findings import Finding
from generator.gate.checks.cluster import ClusterView, finding, get_path, list_of
from generator.manifest import Manifest

__all__ = ["check_policy_scope", "probes"]

#: Namespaces every EKS cluster with this platform runs system workloads in.
SYSTEM_NAMESPACES = ("istio-system", "kube-system")
_OWNER = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "owner", "uid": "1", "controller": True}
_UPSTREAM_IMAGE = "docker.io/example/operator:1.0.0"


def _pod_spec(init: bool) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": "manager", "image": _UPSTREAM_IMAGE}]}
    if init:  # what Istio's injector adds without istio-cni
        spec["initContainers"] = [
            {
                "name": "istio-init",
                "image": "docker.io/istio/proxyv2:1.27.1",
                "securityContext": {
                    "capabilities": {"add": ["NET_ADMIN", "NET_RAW"], "drop": ["ALL"]},
                    "runAsNonRoot": False,
                    "runAsUser": 0,
                },
            }
        ]
    return spec


def _object(api: str, kind: str, name: str, namespace: str, **extra: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    meta.update(extra.pop("metadata", {}))
    return {"apiVersion": api, "kind": kind, "metadata": meta, **extra}


def _workloads(namespace: str, owned: bool) -> Iterator[tuple[str, dict[str, Any]]]:
    meta = {"ownerReferences": [_OWNER]} if owned else {}
    template = {"metadata": {"labels": {"app": "probe"}}, "spec": _pod_spec(owned)}
    selector = {"matchLabels": {"app": "probe"}}
    for api, kind in (("apps/v1", "Deployment"), ("apps/v1", "DaemonSet"), ("apps/v1", "StatefulSet")):
        if owned and kind != "StatefulSet":
            continue
        spec = {"selector": selector, "template": template}
        yield f"{kind} of an operator", _object(api, kind, "probe", namespace, metadata=meta, spec=spec)
    if owned:
        spec = {"selector": selector, "template": template}
        yield (
            "ReplicaSet of a Rollout",
            _object("apps/v1", "ReplicaSet", "probe", namespace, metadata=meta, spec=spec),
        )
    else:
        yield (
            "Job of an operator",
            _object("batch/v1", "Job", "probe", namespace, spec={"template": template}),
        )
    yield (
        "meshed Pod (sidecar injected)" if owned else "Pod of an operator",
        _object("v1", "Pod", "probe", namespace, metadata=meta, spec=_pod_spec(owned)),
    )


def probes(platform: set[str], apps: set[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(description, object) of what controllers create in ``platform`` and ``apps`` namespaces."""
    for ns in sorted(platform):
        yield f"namespace {ns} created by Argo CD", _object("v1", "Namespace", ns, "")
        yield from _workloads(ns, owned=False)
        yield "Service of an operator", _object("v1", "Service", "probe", ns, spec={"ports": [{"port": 443}]})
        yield "ServiceAccount of an operator", _object("v1", "ServiceAccount", "probe", ns)
        yield "ConfigMap of an operator", _object("v1", "ConfigMap", "probe", ns, data={"k": "v"})
        yield "webhook Secret of an operator", _object("v1", "Secret", "probe", ns, data={"tls.key": "eA=="})
        yield "Role of an operator", _object("rbac.authorization.k8s.io/v1", "Role", "probe", ns, rules=[])
        yield (
            "ClusterRole of an operator",
            _object("rbac.authorization.k8s.io/v1", "ClusterRole", f"{ns}-operator", "", rules=[]),
        )
    owned = {"ownerReferences": [_OWNER]}
    for ns in sorted(apps):
        yield from _workloads(ns, owned=True)
        yield (
            "operator-created Secret (owned)",
            _object("v1", "Secret", "probe-owned", ns, metadata=owned, data={"password": "eA=="}),
        )
        yield "operator-created Service (owned)", _object("v1", "Service", "probe-owned", ns, metadata=owned)
        yield (
            "Secret written by cert-manager",
            _object(
                "v1",
                "Secret",
                "probe-tls",
                ns,
                metadata={"labels": {"controller.cert-manager.io/fao": "true"}},
                type="kubernetes.io/tls",
                data={"tls.key": "eA=="},
            ),
        )


def _namespaces(view: ClusterView) -> tuple[set[str], set[str]]:
    apps = {m.name for m in view.of_kind("Namespace") if not m.api_version.count("/")}
    platform = set(SYSTEM_NAMESPACES)
    for app in view.of_kind("Application"):
        ns = get_path(app.body, "spec", "destination", "namespace")
        if isinstance(ns, str) and ns and get_path(app.body, "spec", "source", "chart"):
            platform.add(ns)
    return platform - apps, apps


def _rule_index(policy: Manifest, rule: str) -> int | None:
    for i, r in enumerate(list_of(get_path(policy.body, "spec", "rules"))):
        if isinstance(r, Mapping) and r.get("name") == rule:
            return i
    return None


def check_policy_scope(view: ClusterView) -> Iterator[Finding]:
    """No Enforce rule of a rendered ClusterPolicy rejects what the platform's controllers create."""
    from generator.policy import evaluate
    from generator.policy.load import policies_from_documents

    platform, apps = _namespaces(view)
    cases = list(probes(platform, apps))
    bodies = [body for _, body in cases]
    for policy in view.of_kind("ClusterPolicy"):
        if not policy.api_version.startswith("kyverno.io/"):
            continue
        doc = Document(
            file=f"rendered/{policy.path}", index=0, line=1, body=policy.body, text=dump(policy.body)
        )
        compiled = policies_from_documents([doc])
        blocked: dict[str, list[str]] = {}
        for result in evaluate(compiled, bodies):
            if result.status in ("fail", "error") and result.failure_action == "Enforce":
                what, body = cases[result.resource_index]
                ns = get_path(body, "metadata", "namespace") or get_path(body, "metadata", "name")
                blocked.setdefault(result.rule, []).append(f"{what} ({body['kind']} in {ns})")
        for rule, victims in sorted(blocked.items()):
            index = _rule_index(policy, rule)
            path: tuple[str | int, ...] = (
                ("spec", "rules", index, "match") if index is not None else ("spec",)
            )
            shown = "; ".join(victims[:4]) + (f"; and {len(victims) - 4} more" if len(victims) > 4 else "")
            yield finding(
                policy,
                path,
                "policy-scope",
                f"Enforce rule {rule} would reject objects the platform's controllers create: {shown}. "
                "Operators would never become ready (or meshed pods never start). Scope the rule to "
                "the application namespaces (match.any[].resources.namespaces) and skip objects with "
                "ownerReferences (a precondition), or exclude the namespace.",
            )
