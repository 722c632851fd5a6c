"""Small builders for policy tests: a policy body → ``Policy``, a pod → resource body."""

from __future__ import annotations

from typing import Any

from generator.documents import Document
from generator.policy.engine import Admission, evaluate_policy
from generator.policy.load import policy_from_document


def policy(rules: list[dict[str, Any]], *, name: str = "p", kind: str = "ClusterPolicy", **spec: Any):
    meta: dict[str, Any] = {"name": name}
    if "annotations" in spec:
        meta["annotations"] = spec.pop("annotations")
    if kind == "Policy":
        meta["namespace"] = spec.pop("namespace", "default")
    body = {"apiVersion": "kyverno.io/v1", "kind": kind, "metadata": meta, "spec": {"rules": rules, **spec}}
    return policy_from_document(Document("policy.yaml", 0, 1, body))


def rule(validate: dict[str, Any], *, name: str = "r", kinds: tuple[str, ...] = ("Pod",), **extra: Any):
    return {
        "name": name,
        "match": {"any": [{"resources": {"kinds": list(kinds)}}]},
        "validate": validate,
        **extra,
    }


def pod(name: str = "web", *, namespace: str = "default", labels: dict[str, str] | None = None, **spec: Any):
    spec.setdefault("containers", [{"name": "c", "image": "nginx:1.0"}])
    meta: dict[str, Any] = {"name": name, "namespace": namespace}
    if labels is not None:
        meta["labels"] = labels
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


def statuses(pol, resource, admission: Admission | None = None) -> dict[str, str]:
    return {r.rule: r.status for r in evaluate_policy(pol, resource, admission or Admission())}
