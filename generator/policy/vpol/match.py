"""``matchConstraints`` / binding ``matchResources`` against one resource, as the API server matches.

Follows k8s.io/apiserver ``pkg/admission/plugin/policy/matching`` (``Matcher.Matches``): a request
matches when some ``resourceRules`` entry matches its group, version, resource (plural),
operation and scope (and ``resourceNames`` when set), no ``excludeResourceRules`` entry does, the
``namespaceSelector`` selects its namespace's labels (cluster-scoped objects other than Namespaces
always pass) and the ``objectSelector`` selects its labels. Offline, the plural comes from the kind
(``kind_to_resource``) and namespace labels from the Test's Values file. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["CelRequest", "constraints_match", "kind_to_resource", "selector_matches"]

#: Plurals that the simple English rules get wrong.
_IRREGULAR = {"Endpoints": "endpoints", "PodSecurityPolicy": "podsecuritypolicies"}


def kind_to_resource(kind: str) -> str:
    """``NetworkPolicy`` → ``networkpolicies``, ``Ingress`` → ``ingresses``: the REST mapper's guess.

    The same rule as ``k8s.io/apimachinery/pkg/api/meta`` ``UnsafeGuessKindToResource``.
    """
    if kind in _IRREGULAR:
        return _IRREGULAR[kind]
    lower = kind.lower()
    if not lower:
        return ""
    if lower.endswith("s"):
        return lower + "es"
    if lower.endswith("y") and len(lower) > 1 and lower[-2] not in "aeiou":
        return lower[:-1] + "ies"
    return lower + "s"


@dataclass(frozen=True, slots=True)
class CelRequest:
    """What matching reads of one admission request."""

    resource: Mapping[str, Any]
    operation: str = "CREATE"
    namespace_labels: Mapping[str, str] = field(default_factory=dict)
    namespaced: bool = True

    @property
    def metadata(self) -> Mapping[str, Any]:
        meta = self.resource.get("metadata")
        return meta if isinstance(meta, Mapping) else {}

    @property
    def gvr(self) -> tuple[str, str, str]:
        group, _, version = str(self.resource.get("apiVersion", "")).rpartition("/")
        return group, version, kind_to_resource(str(self.resource.get("kind", "")))


def _listed(values: Iterable[Any] | None, value: str) -> bool:
    items = [str(v) for v in values or ()]
    return "*" in items or value in items


def _resource_listed(resources: Iterable[Any] | None, plural: str) -> bool:
    """``pods``, ``*``, ``*/*`` match the main resource; ``pods/status`` or ``*/scale`` do not."""
    for entry in resources or ():
        text = str(entry)
        main, _, sub = text.partition("/")
        if sub and sub != "*":
            continue
        if main in ("*", plural):
            return True
    return False


def _rule_matches(rule: Mapping[str, Any], request: CelRequest) -> bool:
    group, version, plural = request.gvr
    if not _listed(rule.get("operations"), request.operation):
        return False
    if not (_listed(rule.get("apiGroups"), group) and _listed(rule.get("apiVersions"), version)):
        return False
    if not _resource_listed(rule.get("resources"), plural):
        return False
    scope = str(rule.get("scope") or "*")
    if (scope == "Cluster" and request.namespaced) or (scope == "Namespaced" and not request.namespaced):
        return False
    names = rule.get("resourceNames")
    return not names or str(request.metadata.get("name", "")) in [str(n) for n in names]


def selector_matches(selector: Any, labels: Mapping[str, Any]) -> bool:
    """A Kubernetes ``LabelSelector`` (exact values, no wildcards); ``None`` or ``{}`` selects all."""
    if not isinstance(selector, Mapping):
        return True
    for key, value in (selector.get("matchLabels") or {}).items():
        if str(labels.get(str(key), "\0")) != str(value):
            return False
    for expr in selector.get("matchExpressions") or ():
        if not isinstance(expr, Mapping):
            return False
        key = str(expr.get("key", ""))
        operator = str(expr.get("operator", ""))
        values = [str(v) for v in expr.get("values") or ()]
        present = key in labels
        if operator == "In" and not (present and str(labels[key]) in values):
            return False
        if operator == "NotIn" and present and str(labels[key]) in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


def constraints_match(constraints: Mapping[str, Any], request: CelRequest, *, binding: bool = False) -> bool:
    """``matchConstraints`` (or, ``binding``, a binding's ``matchResources``) select the request.

    A binding's ``matchResources`` without ``resourceRules`` selects every resource (its
    selectors still apply); a policy's ``matchConstraints`` without them selects none.
    """
    rules = [r for r in constraints.get("resourceRules") or () if isinstance(r, Mapping)]
    if (rules or not binding) and not any(_rule_matches(r, request) for r in rules):
        return False
    excludes = constraints.get("excludeResourceRules") or ()
    if any(_rule_matches(r, request) for r in excludes if isinstance(r, Mapping)):
        return False
    kind = str(request.resource.get("kind", ""))
    if (request.namespaced or kind == "Namespace") and not selector_matches(
        constraints.get("namespaceSelector"),
        request.metadata.get("labels") or {} if kind == "Namespace" else request.namespace_labels,
    ):
        return False
    return selector_matches(constraints.get("objectSelector"), request.metadata.get("labels") or {})
