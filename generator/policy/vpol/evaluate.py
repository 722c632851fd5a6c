"""One CEL policy × one resource → its rule response, as Kyverno's engines compute it.

``ValidatingPolicy`` follows kyverno ``pkg/cel/policies/vpol/engine/engine.go``: not matched by
``matchConstraints`` (nor by an autogen copy) → no response; a ``matchConditions`` entry false →
``skip``; a policies.kyverno.io ``PolicyException`` whose conditions hold → ``skip`` (``pass``
with ``reportResult: pass``); an expression that cannot be evaluated → ``error``; every
``validations[].expression`` true → ``pass``, else ``fail`` with the first failure's message
(``messageExpression`` first). ``ValidatingAdmissionPolicy`` follows kyverno
``pkg/admissionpolicy/validate.go``: with bindings only their ``matchResources`` decide (the last
matching binding wins and supplies ``paramRef``), always as ``CREATE``. The response's rule name is
``""`` for a ValidatingPolicy and the policy's name for a VAP. Pure.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from generator.cel import (
    Activation,
    CelError,
    CelEvaluationError,
    CelProgram,
    LazyVariables,
    compile_expression,
)
from generator.policy.context import build_context
from generator.policy.match import UserInfo
from generator.policy.model import RuleResult, Status
from generator.policy.vpol.match import CelRequest, constraints_match, selector_matches
from generator.policy.vpol.model import VALIDATING_ADMISSION_POLICY, CelPolicy

__all__ = ["CelAdmission", "evaluate_cel_policy"]

_MAX_MESSAGE_BYTES = 5 * 1024


@dataclass(frozen=True, slots=True)
class CelAdmission:
    """The offline admission inputs of a CEL policy evaluation (a Test's or ``policy apply``'s)."""

    operation: str = "CREATE"
    user: UserInfo = field(default_factory=UserInfo)
    namespaces: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Namespace name → Namespace object (from a Values file's ``namespaceSelector``/``namespaces``)."""
    exceptions: tuple[Mapping[str, Any], ...] = ()
    """policies.kyverno.io ``PolicyException`` bodies."""
    params: tuple[Mapping[str, Any], ...] = ()
    """Parameter resources for VAP ``paramRef`` (a Values file's ``paramResources``)."""


def _namespace_object(admission: CelAdmission, namespace: str) -> dict[str, Any]:
    found = admission.namespaces.get(namespace)
    if found is not None:
        return dict(found)
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}


def _labels(obj: Mapping[str, Any] | None) -> Mapping[str, Any]:
    meta = obj.get("metadata") if isinstance(obj, Mapping) else None
    labels = meta.get("labels") if isinstance(meta, Mapping) else None
    return labels if isinstance(labels, Mapping) else {}


def _condition(
    program: CelProgram, activation: Activation, variables: Mapping[str, Any] | None
) -> bool | CelError:
    try:
        return program.evaluate(activation, variables=variables) is True
    except CelError as e:
        return e


def _conditions_hold(
    conditions: Sequence[Mapping[str, Any]], activation: Activation, variables: Mapping[str, Any] | None
) -> bool | CelError:
    """VAP ``matchConditions``: one false → False (even beside errors); else the first error, or True."""
    error: CelError | None = None
    for condition in conditions:
        try:
            program = compile_expression(str(condition.get("expression", "")))
        except CelError as e:
            error = error or e
            continue
        outcome = _condition(program, activation, variables)
        if outcome is False:
            return False
        if isinstance(outcome, CelError):
            error = error or outcome
    return error if error is not None else True


def _message(entry: Mapping[str, Any], activation: Activation, variables: Mapping[str, Any]) -> str:
    expression = entry.get("messageExpression")
    if expression:
        value = None
        with contextlib.suppress(CelError):
            value = compile_expression(str(expression)).evaluate(activation, variables=variables)
        if isinstance(value, str):
            text = value.strip()
            if text and "\n" not in text and len(text.encode()) <= _MAX_MESSAGE_BYTES:
                return text
    static = " ".join(str(entry.get("message") or "").split())
    return static or f"failed expression: {str(entry.get('expression', '')).strip()}"


def _error_text(error: CelError, expression: str) -> str:
    if isinstance(error, CelEvaluationError):
        return f"expression '{expression.strip()}' resulted in error: {error.reason}"
    return str(error)


def _exception_outcome(
    policy: CelPolicy, admission: CelAdmission, activation: Activation
) -> tuple[Status, str] | None:
    for exc in admission.exceptions:
        spec = exc.get("spec") if isinstance(exc.get("spec"), Mapping) else {}
        assert isinstance(spec, Mapping)
        refs = spec.get("policyRefs") or ()
        if not any(
            isinstance(r, Mapping)
            and r.get("name") == policy.name
            and str(r.get("kind") or policy.kind) == policy.kind
            for r in refs
        ):
            continue
        held = _conditions_hold(list(spec.get("matchConditions") or ()), activation, None)
        if held is True:
            name = str((exc.get("metadata") or {}).get("name", ""))
            if str(spec.get("reportResult", "")).lower() == "pass":
                return "pass", f"rule is skipped due to policy exception {name}"
            return "skip", f"rule is skipped due to policy exception {name}"
    return None


def _validate(policy: CelPolicy, activation: Activation, admission: CelAdmission) -> tuple[Status, str]:
    definitions: list[tuple[str, CelProgram | CelError]] = []
    for var in policy.variables:
        try:
            definitions.append((str(var.get("name", "")), compile_expression(str(var.get("expression", "")))))
        except CelError as e:
            definitions.append((str(var.get("name", "")), e))
    variables = LazyVariables(definitions, activation)
    activation.variables = variables
    held = _conditions_hold(policy.match_conditions, activation, variables)
    if held is False:
        return "skip", "match conditions not met"
    if isinstance(held, CelError):
        return "error", f"failed to evaluate match conditions: {held}"
    if policy.kind != VALIDATING_ADMISSION_POLICY:
        excepted = _exception_outcome(policy, admission, activation)
        if excepted is not None:
            return excepted
    for entry in policy.validations:
        expression = str(entry.get("expression", ""))
        try:
            result = compile_expression(expression).evaluate(activation, variables=variables)
        except CelError as e:
            return "error", _error_text(e, expression)
        if result is True:
            continue
        if result is not False:
            return "error", f"expression '{expression.strip()}' returned {result!r}, not a bool"
        return "fail", _message(entry, activation, variables)
    return "pass", ""


def _binding(policy: CelPolicy, request: CelRequest) -> Mapping[str, Any] | None:
    """The last binding whose ``matchResources`` select the request (Kyverno's offline path)."""
    found = None
    for binding in policy.bindings:
        resources = binding.get("matchResources")
        if constraints_match(resources if isinstance(resources, Mapping) else {}, request, binding=True):
            found = binding
    return found


def _params(
    binding: Mapping[str, Any] | None, policy: CelPolicy, admission: CelAdmission
) -> Mapping[str, Any] | None:
    ref = binding.get("paramRef") if binding else None
    if not isinstance(ref, Mapping) or policy.param_kind is None:
        return None
    kind = str(policy.param_kind.get("kind", ""))
    for param in admission.params:
        meta = param.get("metadata") or {}
        if param.get("kind") != kind:
            continue
        if ref.get("name") and meta.get("name") != ref.get("name"):
            continue
        if ref.get("namespace") and meta.get("namespace") != ref.get("namespace"):
            continue
        if isinstance(ref.get("selector"), Mapping) and not selector_matches(ref["selector"], _labels(param)):
            continue
        return param
    return None


def _applicable(policy: CelPolicy, request: CelRequest) -> CelPolicy | None:
    if constraints_match(policy.match_constraints, request):
        return policy
    for variant in policy.autogen:
        if constraints_match(variant.match_constraints, request):
            return variant
    return None


def evaluate_cel_policy(
    policy: CelPolicy,
    resource: Mapping[str, Any],
    admission: CelAdmission = CelAdmission(),
    *,
    namespaced: bool = True,
    resource_index: int = -1,
) -> list[RuleResult]:
    """The policy's response for one resource: [] when it does not apply, else one ``RuleResult``."""
    meta = resource.get("metadata") if isinstance(resource.get("metadata"), Mapping) else {}
    assert isinstance(meta, Mapping)
    name = str(meta.get("name", "") or "")
    namespace = str(meta.get("namespace", "") or "")
    if policy.namespace and namespace != policy.namespace:
        return []
    vap = policy.kind == VALIDATING_ADMISSION_POLICY
    operation = "CREATE" if vap else admission.operation
    ns_name = name if resource.get("kind") == "Namespace" else namespace
    ns_object = _namespace_object(admission, ns_name) if ns_name else None
    request = CelRequest(resource, operation, _labels(ns_object), namespaced=namespaced)
    binding = None
    actions = policy.validation_actions
    applied: CelPolicy | None
    if vap and policy.bindings:
        binding = _binding(policy, request)
        applied = policy if binding is not None else None
        actions = tuple(str(a) for a in (binding or {}).get("validationActions") or ())
    else:
        applied = _applicable(policy, request)
    if applied is None:
        return []
    ctx = build_context(resource, operation=operation, user=admission.user)
    req = dict(ctx["request"])
    activation = Activation(
        {
            "object": req.get("object"),
            "oldObject": req.get("oldObject") if operation in ("UPDATE", "DELETE") else None,
            "request": req,
            "namespaceObject": ns_object if namespaced and resource.get("kind") != "Namespace" else None,
            "params": _params(binding, policy, admission),
        }
    )
    try:
        status, message = _validate(applied, activation, admission)
    except CelError as e:  # the activation itself could not be built
        status, message = "error", str(e)
    if status == "fail" and not policy.scored:
        status = "warn"
    return [
        RuleResult(
            policy=policy.name,
            rule=policy.name if vap else "",
            status=status,
            message=message,
            kind=str(resource.get("kind", "")),
            namespace=namespace,
            name=name,
            failure_action="Enforce" if "Deny" in actions else "Audit",
            resource_index=resource_index,
        )
    ]
