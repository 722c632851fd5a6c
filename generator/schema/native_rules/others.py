"""HPA, PDB, storage, config, RBAC and namespace kinds as their upstream ``validation.go`` check them.

``pkg/apis/autoscaling/validation`` (HPA), ``pkg/apis/policy/validation`` (PDB),
``pkg/apis/core/validation`` (PVC, ConfigMap, Secret, ServiceAccount, Namespace),
``pkg/apis/storage/validation`` (StorageClass) and ``pkg/apis/rbac/validation`` (Role, RoleBinding
and their cluster variants). Pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from generator.schema.native_rules.fields import Issue, Path, int_or_percent, label_selector, quantity

__all__ = ["OTHERS"]

_CONFIG_KEY = re.compile(r"[-._a-zA-Z0-9]+")
_ACCESS_MODES = ("ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod")
_SECRET_KEYS = {
    "kubernetes.io/tls": ("tls.crt", "tls.key"),
    "kubernetes.io/dockerconfigjson": (".dockerconfigjson",),
    "kubernetes.io/dockercfg": (".dockercfg",),
    "kubernetes.io/basic-auth": (),
    "kubernetes.io/ssh-auth": ("ssh-privatekey",),
}
_MAX_SECRET_SIZE = 1024 * 1024


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _unsupported(value: Any, allowed: tuple[str, ...]) -> str:
    return f"Unsupported value: {value!r}: supported values: " + ", ".join(f'"{a}"' for a in allowed)


def _hpa(body: Mapping[str, Any]) -> Iterator[Issue]:
    spec = _map(body.get("spec"))
    rule = "k8s:validateHorizontalPodAutoscalerSpec"
    low, high = _int(spec.get("minReplicas")), _int(spec.get("maxReplicas"))
    if low is not None and low < 1:
        yield ("spec", "minReplicas"), rule, f"Invalid value: {low}: must be greater than or equal to 1"
    if high is not None and high < 1:
        yield ("spec", "maxReplicas"), rule, f"Invalid value: {high}: must be greater than or equal to 1"
    if low is not None and high is not None and low > high:
        yield (
            ("spec", "maxReplicas"),
            rule,
            f"Invalid value: {high}: must be greater than or equal to `minReplicas`",
        )
    ref = _map(spec.get("scaleTargetRef"))
    for key in ("kind", "name"):
        if spec.get("scaleTargetRef") is not None and not ref.get(key):
            yield ("spec", "scaleTargetRef", key), "k8s:ValidateCrossVersionObjectReference", "Required value"
    types = ("Object", "Pods", "Resource", "ContainerResource", "External")
    for i, metric in enumerate(_list(spec.get("metrics"))):
        if not isinstance(metric, Mapping):
            continue
        kind = metric.get("type")
        if kind not in types:
            yield ("spec", "metrics", i, "type"), "k8s:validateMetricSpec", _unsupported(kind, types)
            continue
        source = _map(metric.get(kind[0].lower() + kind[1:]))
        target = _map(source.get("target"))
        utilization = _int(target.get("averageUtilization"))
        if utilization is not None and utilization <= 0:
            yield (
                ("spec", "metrics", i, kind[0].lower() + kind[1:], "target", "averageUtilization"),
                "k8s:validateMetricTarget",
                f"Invalid value: {utilization}: must be greater than 0",
            )
        for key in ("value", "averageValue"):
            if key in target:
                number, errs = quantity(target[key])
                where = ("spec", "metrics", i, kind[0].lower() + kind[1:], "target", key)
                for err in errs:
                    yield where, "k8s:validateMetricTarget", f"Invalid value: {target[key]!r}: {err}"
                if number is not None and number <= 0:
                    yield (
                        where,
                        "k8s:validateMetricTarget",
                        f"Invalid value: {target[key]!r}: must be positive",
                    )


def _pdb(body: Mapping[str, Any]) -> Iterator[Issue]:
    spec = _map(body.get("spec"))
    rule = "k8s:ValidatePodDisruptionBudgetSpec"
    if spec.get("minAvailable") is not None and spec.get("maxUnavailable") is not None:
        yield ("spec",), rule, "Invalid value: minAvailable and maxUnavailable cannot be both set"
    for key in ("minAvailable", "maxUnavailable"):
        for err in int_or_percent(spec.get(key)):
            yield ("spec", key), rule, f"Invalid value: {spec.get(key)!r}: {err}"
    yield from label_selector(spec.get("selector"), ("spec", "selector"), "k8s:ValidateLabelSelector")
    policy = spec.get("unhealthyPodEvictionPolicy")
    if policy is not None and policy not in ("IfHealthyBudget", "AlwaysAllow"):
        yield (
            ("spec", "unhealthyPodEvictionPolicy"),
            rule,
            _unsupported(policy, ("IfHealthyBudget", "AlwaysAllow")),
        )


def _pvc(body: Mapping[str, Any]) -> Iterator[Issue]:
    spec = _map(body.get("spec"))
    rule = "k8s:ValidatePersistentVolumeClaimSpec"
    modes = _list(spec.get("accessModes"))
    if not modes and spec.get("dataSourceRef") is None:
        yield ("spec", "accessModes"), rule, "Required value: at least 1 access mode is required"
    for i, mode in enumerate(modes):
        if mode not in _ACCESS_MODES:
            yield ("spec", "accessModes", i), rule, _unsupported(mode, _ACCESS_MODES)
    if "ReadWriteOncePod" in modes and len(modes) > 1:
        yield ("spec", "accessModes"), rule, "Forbidden: may not use ReadWriteOncePod with other access modes"
    requests = _map(_map(spec.get("resources")).get("requests"))
    storage = requests.get("storage")
    if storage is None:
        yield ("spec", "resources", "requests", "storage"), rule, "Required value"
    else:
        number, errs = quantity(storage)
        for err in errs:
            yield ("spec", "resources", "requests", "storage"), rule, f"Invalid value: {storage!r}: {err}"
        if number is not None and number <= 0:
            yield (
                ("spec", "resources", "requests", "storage"),
                rule,
                f"Invalid value: {storage!r}: must be greater than zero",
            )
    mode = spec.get("volumeMode")
    if mode is not None and mode not in ("Block", "Filesystem"):
        yield ("spec", "volumeMode"), rule, _unsupported(mode, ("Block", "Filesystem"))


def _storage_class(body: Mapping[str, Any]) -> Iterator[Issue]:
    rule = "k8s:ValidateStorageClass"
    reclaim = body.get("reclaimPolicy")
    if reclaim is not None and reclaim not in ("Delete", "Retain"):
        yield ("reclaimPolicy",), rule, _unsupported(reclaim, ("Delete", "Retain"))
    binding = body.get("volumeBindingMode")
    if binding is not None and binding not in ("Immediate", "WaitForFirstConsumer"):
        yield (
            ("volumeBindingMode",),
            "k8s:validateVolumeBindingMode",
            _unsupported(binding, ("Immediate", "WaitForFirstConsumer")),
        )
    provisioner = body.get("provisioner")
    if isinstance(provisioner, str) and not re.fullmatch(
        r"[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?", provisioner
    ):
        yield (
            ("provisioner",),
            "k8s:validateProvisioner",
            f"Invalid value: {provisioner!r}: must be a qualified name",
        )
    params = body.get("parameters")
    if isinstance(params, Mapping) and len(params) > 512:
        yield ("parameters",), "k8s:validateParameters", "Too many: must have at most 512 parameters"


def _keys(body: Mapping[str, Any], sections: tuple[str, ...], rule: str) -> Iterator[Issue]:
    seen: set[str] = set()
    for section in sections:
        for key in _map(body.get(section)):
            text = str(key)
            if len(text) > 253 or not _CONFIG_KEY.fullmatch(text) or text in (".", ".."):
                yield (
                    (section, text),
                    rule,
                    f"Invalid value: {text!r}: a valid config key must consist of alphanumeric"
                    " characters, '-', '_' or '.'",
                )
            if text in seen:
                yield (
                    (section, text),
                    rule,
                    f"Invalid value: {text!r}: duplicate of key present in {sections[0]}",
                )
            seen.add(text)


def _config_map(body: Mapping[str, Any]) -> Iterator[Issue]:
    yield from _keys(body, ("data", "binaryData"), "k8s:ValidateConfigMap")


def _secret(body: Mapping[str, Any]) -> Iterator[Issue]:
    rule = "k8s:ValidateSecret"
    yield from _keys(body, ("data", "stringData"), rule)
    kind = body.get("type")
    present = set(_map(body.get("data"))) | set(_map(body.get("stringData")))
    for key in _SECRET_KEYS.get(str(kind), ()):
        if key not in present:
            yield ("data", key), rule, f"Required value: a Secret of type {kind} needs `{key}`"
    size = sum(len(str(v)) for section in ("data", "stringData") for v in _map(body.get(section)).values())
    if size > _MAX_SECRET_SIZE:
        yield ("data",), rule, f"Too long: must have at most {_MAX_SECRET_SIZE} bytes"


def _policy_rules(body: Mapping[str, Any], namespaced: bool) -> Iterator[Issue]:
    name = "k8s:ValidatePolicyRule"
    for i, rule in enumerate(_list(body.get("rules"))):
        if not isinstance(rule, Mapping):
            continue
        where: Path = ("rules", i)
        if not _list(rule.get("verbs")):
            yield (*where, "verbs"), name, "Required value: verbs must contain at least one value"
        if _list(rule.get("nonResourceURLs")):
            if namespaced:
                yield (
                    (*where, "nonResourceURLs"),
                    name,
                    "Invalid value: namespaced rules cannot apply to non-resource URLs",
                )
            if rule.get("apiGroups") or rule.get("resources") or rule.get("resourceNames"):
                yield (
                    (*where, "nonResourceURLs"),
                    name,
                    "Invalid value: rules cannot apply to both regular resources and non-resource URLs",
                )
            continue
        if not _list(rule.get("apiGroups")):
            yield (
                (*where, "apiGroups"),
                name,
                "Required value: resource rules must supply at least one api group",
            )
        if not _list(rule.get("resources")):
            yield (
                (*where, "resources"),
                name,
                "Required value: resource rules must supply at least one resource",
            )


def _role(body: Mapping[str, Any]) -> Iterator[Issue]:
    yield from _policy_rules(body, namespaced=True)


def _cluster_role(body: Mapping[str, Any]) -> Iterator[Issue]:
    if body.get("aggregationRule") is None:
        yield from _policy_rules(body, namespaced=False)


def _binding(body: Mapping[str, Any], namespaced: bool) -> Iterator[Issue]:
    ref = _map(body.get("roleRef"))
    kinds = ("Role", "ClusterRole") if namespaced else ("ClusterRole",)
    if ref.get("apiGroup") != "rbac.authorization.k8s.io":
        yield (
            ("roleRef", "apiGroup"),
            "k8s:ValidateRoleBinding",
            f'Unsupported value: {ref.get("apiGroup")!r}: supported values: "rbac.authorization.k8s.io"',
        )
    if ref.get("kind") not in kinds:
        yield ("roleRef", "kind"), "k8s:ValidateRoleBinding", _unsupported(ref.get("kind"), kinds)
    if not ref.get("name"):
        yield ("roleRef", "name"), "k8s:ValidateRoleBinding", "Required value"
    rule = "k8s:ValidateRoleBindingSubject"
    for i, subject in enumerate(_list(body.get("subjects"))):
        if not isinstance(subject, Mapping):
            continue
        kind, group = subject.get("kind"), subject.get("apiGroup")
        where: Path = ("subjects", i)
        if not subject.get("name"):
            yield (*where, "name"), rule, "Required value"
        if kind == "ServiceAccount":
            if group not in (None, ""):
                yield (*where, "apiGroup"), rule, f'Unsupported value: {group!r}: supported values: ""'
            if not namespaced and not subject.get("namespace"):
                yield (*where, "namespace"), rule, "Required value"
        elif kind in ("User", "Group"):
            if group != "rbac.authorization.k8s.io":
                yield (
                    (*where, "apiGroup"),
                    rule,
                    f'Unsupported value: {group!r}: supported values: "rbac.authorization.k8s.io"',
                )
        else:
            yield (*where, "kind"), rule, _unsupported(kind, ("ServiceAccount", "User", "Group"))


def _role_binding(body: Mapping[str, Any]) -> Iterator[Issue]:
    yield from _binding(body, namespaced=True)


def _cluster_role_binding(body: Mapping[str, Any]) -> Iterator[Issue]:
    yield from _binding(body, namespaced=False)


def _service_account(body: Mapping[str, Any]) -> Iterator[Issue]:
    for section in ("secrets", "imagePullSecrets"):
        for i, ref in enumerate(_list(body.get(section))):
            if isinstance(ref, Mapping) and not ref.get("name"):
                yield (section, i, "name"), "k8s:ValidateServiceAccount", "Required value"


def _namespace(body: Mapping[str, Any]) -> Iterator[Issue]:
    for i, name in enumerate(_list(_map(body.get("spec")).get("finalizers"))):
        if isinstance(name, str) and "/" not in name and name != "kubernetes":
            yield (
                ("spec", "finalizers", i),
                "k8s:validateFinalizerName",
                f"Invalid value: {name!r}: name is neither a standard finalizer name nor is it"
                " fully qualified",
            )


OTHERS = {
    "HorizontalPodAutoscaler": _hpa,
    "PodDisruptionBudget": _pdb,
    "PersistentVolumeClaim": _pvc,
    "StorageClass": _storage_class,
    "ConfigMap": _config_map,
    "Secret": _secret,
    "Role": _role,
    "ClusterRole": _cluster_role,
    "RoleBinding": _role_binding,
    "ClusterRoleBinding": _cluster_role_binding,
    "ServiceAccount": _service_account,
    "Namespace": _namespace,
}
"""kind → checker."""
