"""Typed, frozen views of the CEL policy kinds: Kyverno ``ValidatingPolicy`` and Kubernetes' VAP.

Built by ``generator.policy.vpol.load``; read by ``match`` and ``evaluate``. Raw YAML stays
``Mapping``s; the dataclass names only what the evaluation needs. Pure data, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["VALIDATING_ADMISSION_POLICY", "VALIDATING_POLICY", "CelPolicy"]

VALIDATING_POLICY = "ValidatingPolicy"
VALIDATING_ADMISSION_POLICY = "ValidatingAdmissionPolicy"


@dataclass(frozen=True, slots=True)
class CelPolicy:
    """A ``ValidatingPolicy`` (policies.kyverno.io) or ``ValidatingAdmissionPolicy`` (+ its bindings)."""

    name: str
    kind: str
    """``ValidatingPolicy``, ``NamespacedValidatingPolicy`` or ``ValidatingAdmissionPolicy``."""
    match_constraints: Mapping[str, Any]
    """``spec.matchConstraints``: resourceRules, excludeResourceRules, selectors."""
    match_conditions: tuple[Mapping[str, Any], ...] = ()
    """``spec.matchConditions``: ``{name, expression}``, all must be true."""
    variables: tuple[Mapping[str, Any], ...] = ()
    """``spec.variables``: ``{name, expression}``, evaluated lazily."""
    validations: tuple[Mapping[str, Any], ...] = ()
    """``spec.validations``: ``{expression, message, messageExpression, reason}``."""
    validation_actions: tuple[str, ...] = ()
    """``spec.validationActions`` (ValidatingPolicy) or the binding's (VAP): Deny, Audit, Warn."""
    bindings: tuple[Mapping[str, Any], ...] = ()
    """VAP only: the ``spec`` of each ValidatingAdmissionPolicyBinding naming this policy."""
    param_kind: Mapping[str, Any] | None = None
    """VAP ``spec.paramKind``; params come from the binding's ``paramRef``."""
    namespace: str = ""
    """Namespace of a namespaced policy kind; '' for cluster-wide ones."""
    annotations: Mapping[str, str] = field(default_factory=dict)
    autogen: tuple[CelPolicy, ...] = ()
    """Same-named copies for Pod controllers (``spec.autogen``), with rewritten expressions."""
    file: str = ""
    line: int = 1

    @property
    def scored(self) -> bool:
        """``policies.kyverno.io/scored: "false"`` turns fails into warns."""
        return str(self.annotations.get("policies.kyverno.io/scored", "true")).lower() != "false"

    @property
    def keeps_empty_response(self) -> bool:
        """Whether the Kyverno CLI keeps a policy's empty response (a resource it did not match).

        Upstream ``processor/policy_processor.go`` ``hasSelector``: it drops the empty response,
        and ``kyverno test`` then reports a listed resource as "not found", when the constraints
        are one resourceRule without resourceNames, no selectors and no excludeResourceRules.
        A VAP's unmatched resource is always "excluded" (a pass).
        """
        if self.kind == VALIDATING_ADMISSION_POLICY:
            return True
        constraints = self.match_constraints
        rules: Any = constraints.get("resourceRules") or []
        if len(rules) != 1:
            return True
        only = rules[0] if isinstance(rules[0], Mapping) else {}
        return bool(
            only.get("resourceNames")
            or constraints.get("namespaceSelector")
            or constraints.get("objectSelector")
            or constraints.get("excludeResourceRules")
        )
