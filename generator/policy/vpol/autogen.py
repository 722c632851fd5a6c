"""Pod-controller copies of a ``ValidatingPolicy`` that matches Pods (upstream ``pkg/cel/autogen``).

A policy whose ``matchConstraints`` is exactly one resourceRule for core ``v1`` ``pods`` (no
``resourceNames``, ``objectSelector`` or ``excludeResourceRules``) also applies, under the same
name, to Deployment/DaemonSet/StatefulSet/ReplicaSet/Job (pod template under ``spec.template``)
and CronJob (under ``spec.jobTemplate.spec.template``), or to those listed in
``spec.autogen.podControllers.controllers``. Expressions are rewritten as for ClusterPolicy CEL
rules (``generator.policy.autogen.rewrite_cel``). Pure: returns new mappings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from generator.policy.autogen import rewrite_cel

__all__ = ["autogen_variants"]

#: controller kind → (group, plural); CronJob is handled on its own (a deeper template).
_CONTROLLERS = {
    "DaemonSet": ("apps", "daemonsets"),
    "Deployment": ("apps", "deployments"),
    "ReplicaSet": ("apps", "replicasets"),
    "StatefulSet": ("apps", "statefulsets"),
    "Job": ("batch", "jobs"),
}
_ALL = (*_CONTROLLERS, "CronJob")


def _pod_rule(constraints: Mapping[str, Any]) -> Mapping[str, Any] | None:
    rules: Any = constraints.get("resourceRules") or []
    if len(rules) != 1 or not isinstance(rules[0], Mapping):
        return None
    rule = rules[0]
    if [str(g) for g in rule.get("apiGroups") or ()] != [""]:
        return None
    if "v1" not in [str(v) for v in rule.get("apiVersions") or ()]:
        return None
    if [str(r) for r in rule.get("resources") or ()] != ["pods"] or rule.get("resourceNames"):
        return None
    if constraints.get("objectSelector") or constraints.get("excludeResourceRules"):
        return None
    return rule


def _controllers(spec: Mapping[str, Any]) -> tuple[str, ...]:
    autogen = spec.get("autogen")
    pod_controllers = autogen.get("podControllers") if isinstance(autogen, Mapping) else None
    listed = pod_controllers.get("controllers") if isinstance(pod_controllers, Mapping) else None
    if listed is None:
        return _ALL
    names = {str(c) for c in listed}
    return tuple(c for c in _ALL if c in names)


def autogen_variants(spec: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``spec`` copies (matchConstraints + rewritten CEL) for the Pod controllers; [] if none apply."""
    constraints = spec.get("matchConstraints")
    if not isinstance(constraints, Mapping):
        return []
    pod = _pod_rule(constraints)
    if pod is None:
        return []
    controllers = _controllers(spec)
    operations = list(pod.get("operations") or ["*"])
    cel_fields = {
        k: spec[k] for k in ("matchConditions", "variables", "validations", "auditAnnotations") if k in spec
    }
    variants = []
    plain = [c for c in controllers if c != "CronJob"]
    if plain:
        groups: dict[str, list[str]] = {}
        for kind in plain:
            group, plural = _CONTROLLERS[kind]
            groups.setdefault(group, []).append(plural)
        rules = [
            {"apiGroups": [g], "apiVersions": ["v1"], "operations": operations, "resources": sorted(r)}
            for g, r in groups.items()
        ]
        variants.append((rules, False))
    if "CronJob" in controllers:
        variants.append(
            (
                [
                    {
                        "apiGroups": ["batch"],
                        "apiVersions": ["v1"],
                        "operations": operations,
                        "resources": ["cronjobs"],
                    }
                ],
                True,
            )
        )
    out = []
    for rules, cronjob in variants:
        copy = dict(spec) | rewrite_cel(cel_fields, cronjob)
        copy["matchConstraints"] = dict(constraints) | {"resourceRules": rules}
        out.append(copy)
    return out
