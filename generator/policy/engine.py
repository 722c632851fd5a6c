"""Policies × resources → ``RuleResult`` per (policy, rule, resource): the engine's entry point.

For each policy and resource: a namespaced ``Policy`` only sees its namespace; each rule (written
or auto-generated) that ``match``es and is not ``exclude``d gets a response from its kind of
validation (pattern/anyPattern/deny/foreach here, ``podSecurity`` in ``pss``, ``cel`` in
``cel_rules`` when available). A PolicyException that matches turns the rule into ``skip``; a fail
of a policy annotated ``policies.kyverno.io/scored: "false"`` becomes ``warn``. Rules are indexed by
kind so a document is only matched against rules that can match it. Pure: no I/O.
"""

from __future__ import annotations

import copy
import importlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from generator.documents import Document
from generator.policy import pss
from generator.policy.context import build_context
from generator.policy.match import Request, UserInfo, rule_matches
from generator.policy.model import Policy, Rule, RuleResult, Status
from generator.policy.validation import Frame, Outcome, check_conditions, load_context, validate_block
from generator.policy.values import Values
from generator.policy.variables import VariableError, set_path

__all__ = ["Admission", "evaluate", "evaluate_policy"]


@dataclass(frozen=True, slots=True)
class Admission:
    """How the resources are admitted: operation, user, values, exceptions (the CLI's inputs)."""

    operation: str = "CREATE"
    """Default operation; a Values file's ``request.operation`` overrides it per resource."""
    user: UserInfo = field(default_factory=UserInfo)
    values: Values = field(default_factory=Values)
    exceptions: tuple[Mapping[str, Any], ...] = ()
    """``PolicyException`` bodies."""


def _cel_module() -> Any:
    try:
        return importlib.import_module("generator.policy.cel_rules")
    except ImportError:
        return None


_CEL = _cel_module()
_DEFAULT_ADMISSION = Admission()


def _exception_applies(admission: Admission, policy: Policy, rule: Rule, request: Request) -> bool:
    for exc in admission.exceptions:
        spec = exc.get("spec") or {}
        names = [rule.name, rule.origin] if rule.origin else [rule.name]
        listed = any(
            e.get("policyName") in (policy.name, f"{policy.namespace}/{policy.name}")
            and any(n in (e.get("ruleNames") or ()) for n in names)
            for e in spec.get("exceptions") or ()
            if isinstance(e, Mapping)
        )
        if listed and rule_matches(spec.get("match") or {}, spec.get("exclude"), request):
            return True
    return False


def _cel(rule: Rule, ctx: Mapping[str, Any], resource: Mapping[str, Any], request: Request) -> Outcome | None:
    if _CEL is None:
        return Outcome(
            "error", "CEL rules are not available in this build (generator.policy.cel_rules missing)"
        )
    req = ctx.get("request") or {}
    ns_object = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": req.get("namespace", ""), "labels": dict(request.namespace_labels)},
    }
    kwargs = {
        "obj": req.get("object"),
        "old_obj": req.get("oldObject"),
        "request": req,
        "namespace_object": ns_object if req.get("namespace") else None,
    }
    try:
        if rule.cel_preconditions and not _CEL.evaluate_cel_preconditions(rule.cel_preconditions, **kwargs):
            return Outcome("skip", "cel preconditions not met")
        result = _CEL.evaluate_validate_cel(rule.validate.get("cel"), **kwargs)
    except Exception as e:  # a CEL failure is the rule's error result, never a crash
        return Outcome("error", f"CEL evaluation failed: {e}")
    return Outcome(str(result.status), str(result.message or ""))


def _rule_outcome(
    rule: Rule, ctx: dict[str, Any], request: Request, values: Values, policy: Policy
) -> Outcome | None:
    resource = request.resource
    provided = values.for_resource(policy.name, request.metadata.get("name", "") or "")
    provided.update(values.for_rule(policy.name, rule.origin or rule.name))
    kind = rule.kind
    if kind in ("podSecurity", "cel"):
        error = load_context(rule.context, ctx, provided)
        if error:
            return Outcome("error", f"failed to load context: {error}")
        try:
            held, msg = check_conditions(rule.preconditions, ctx)
        except (ValueError, VariableError) as e:
            return Outcome("error", f"failed to evaluate preconditions: {e}")
        if not held:
            return Outcome("skip", "; ".join(p for p in ("preconditions not met", msg) if p))
        if kind == "cel":
            return _cel(rule, ctx, resource, request)
        if request.operation == "DELETE":
            return None
        outcome: Outcome = pss.evaluate(rule.validate.get("podSecurity") or {}, resource, rule.name)
        return outcome
    if rule.cel_preconditions:
        cel = _cel(
            Rule(rule.name, {}, None, {"cel": {"expressions": []}}, cel_preconditions=rule.cel_preconditions),
            ctx,
            resource,
            request,
        )
        if cel is not None and cel.status == "skip":
            return cel
    frame = Frame(rule.name, rule.validate, ctx, resource, request.operation == "DELETE", provided)
    return validate_block(frame, rule.validate, preconditions=rule.preconditions, context=rule.context)


def _status(outcome: Outcome, policy: Policy) -> Status:
    status = outcome.status
    if status == "fail" and not policy.scored:
        return "warn"
    if status in ("pass", "fail", "skip", "warn", "error"):
        return status  # type: ignore[return-value]
    return "error"


def evaluate_policy(
    policy: Policy,
    resource: Mapping[str, Any],
    admission: Admission = Admission(),
    *,
    resource_index: int = -1,
) -> list[RuleResult]:
    """Every rule response of ``policy`` for one resource (rules that do not apply give none)."""
    meta = resource.get("metadata") if isinstance(resource.get("metadata"), Mapping) else {}
    assert isinstance(meta, Mapping)
    name = str(meta.get("name", "") or "")
    namespace = str(meta.get("namespace", "") or "")
    kind = str(resource.get("kind", ""))
    if policy.kind == "Policy" and namespace != policy.namespace:
        return []
    candidates = [r for r in policy.rules if kind in r.kinds or "*" in r.kinds]
    if not candidates:
        return []
    values = admission.values
    resource_values = values.for_resource(policy.name, name)
    operation = str(resource_values.get("request.operation") or admission.operation)
    request = Request(
        resource=resource,
        operation=operation,
        user=admission.user,
        namespace_labels=values.namespace_labels.get(namespace if kind != "Namespace" else name, {}),
    )
    base: dict[str, Any] | None = None
    results: list[RuleResult] = []
    for rule in candidates:
        if not rule_matches(rule.match, rule.exclude, request):
            continue
        if _exception_applies(admission, policy, rule, request):
            outcome: Outcome | None = Outcome("skip", "rule is skipped due to policy exception")
        else:
            if base is None:
                base = build_context(
                    resource, operation=operation, user=admission.user, values=resource_values
                )
            ctx = dict(base)
            rule_values = values.for_rule(policy.name, rule.origin or rule.name)
            if rule_values:
                ctx = copy.deepcopy(base)
                for key, value in rule_values.items():
                    set_path(ctx, str(key), copy.deepcopy(value))
            outcome = _rule_outcome(rule, ctx, request, values, policy)
        if outcome is None:
            continue
        results.append(
            RuleResult(
                policy=policy.name,
                rule=rule.name,
                status=_status(outcome, policy),
                message=outcome.message,
                kind=kind,
                namespace=namespace,
                name=name,
                failure_action=rule.failure_action,
                path=outcome.path,
                resource_index=resource_index,
            )
        )
        if policy.apply_one and outcome.status in ("fail", "error"):
            break
    return results


def evaluate(
    policies: Sequence[Policy],
    documents: Iterable[Document | Mapping[str, Any]],
    admission: Admission = Admission(),
) -> Iterator[RuleResult]:
    """Lazily evaluate every policy on every document, in document then policy order."""
    for index, doc in enumerate(documents):
        body = doc.body if isinstance(doc, Document) else doc
        for policy in policies:
            yield from evaluate_policy(policy, body, admission, resource_index=index)
