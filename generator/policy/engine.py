"""Policies × resources → ``RuleResult`` per (policy, rule, resource): the engine's entry point.

For each policy and resource: a namespaced ``Policy`` only sees its namespace; each rule (written
or auto-generated) that ``match``es and is not ``exclude``d gets a response from its kind of
validation (pattern/anyPattern/deny/foreach here, ``podSecurity`` in ``pss``, ``cel`` in
``cel_rules``). A PolicyException that matches turns the rule into ``skip``; a fail
of a policy annotated ``policies.kyverno.io/scored: "false"`` becomes ``warn``. Rules are indexed by
kind so a document is only matched against rules that can match it. Pure: no I/O.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from generator.cel import CelError
from generator.documents import Document
from generator.policy import cel_rules, pss
from generator.policy.context import build_context
from generator.policy.match import Request, UserInfo, namespace_selected, rule_matches
from generator.policy.model import FailureAction, Policy, Rule, RuleResult, Status
from generator.policy.validation import Frame, Outcome, check_conditions, load_context, validate_block
from generator.policy.values import Values
from generator.policy.variables import VariableError, forget, remember, set_path

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
    forced_operation: str = ""
    """An operation that wins over the Values file (a Test result's ``operation:``)."""


_DEFAULT_ADMISSION = Admission()


def _exception_applies(admission: Admission, policy: Policy, rule: Rule, request: Request) -> bool:
    for exc in admission.exceptions:
        spec = exc.get("spec") or {}
        names = [rule.name, rule.origin] if rule.origin else [rule.name]
        listed = any(
            e.get("policyName") in (policy.name, f"{policy.namespace}/{policy.name}")
            and any(n in (e.get("ruleNames") or ()) for n in names)
            for e in spec.get("exceptions") or ()
            if isinstance(e, dict)
        )
        if listed and rule_matches(spec.get("match") or {}, spec.get("exclude"), request):
            return True
    return False


def _cel_kwargs(ctx: Mapping[str, Any], request: Request) -> dict[str, Any]:
    req = ctx.get("request") or {}
    namespace = str(req.get("namespace", "") or "")
    ns_object = None
    if namespace and request.kind != "Namespace":
        ns_object = {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": namespace, "labels": dict(request.namespace_labels)},
        }
    operation = request.operation
    return {
        "obj": req.get("object"),
        "old_obj": req.get("oldObject") if operation in ("UPDATE", "DELETE") else None,
        "request": req,
        "namespace_object": ns_object,
    }


def _cel(rule: Rule, ctx: Mapping[str, Any], request: Request) -> Outcome:
    result = cel_rules.evaluate_validate_cel(
        rule.validate.get("cel") or {},
        **_cel_kwargs(ctx, request),
        preconditions=rule.cel_preconditions,
        rule_name=rule.name,
        rule_message=str(rule.validate.get("message") or ""),
    )
    return Outcome(result.status, result.message)


def _cel_preconditions_hold(rule: Rule, ctx: Mapping[str, Any], request: Request) -> Outcome | None:
    """``celPreconditions`` on a non-CEL rule: ``skip`` when one is false, ``error`` when one fails."""
    try:
        held = cel_rules.evaluate_cel_preconditions(rule.cel_preconditions, **_cel_kwargs(ctx, request))
    except CelError as e:
        return Outcome("error", f"failed to evaluate celPreconditions: {e}")
    return None if held else Outcome("skip", cel_rules.PRECONDITIONS_NOT_MET)


def _rule_outcome(
    rule: Rule, ctx: dict[str, Any], request: Request, values: Values, policy: Policy
) -> Outcome | None:
    resource = request.resource
    provided: dict[str, Any] = {}
    if values.policies or values.global_values:
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
            return _cel(rule, ctx, request)
        if request.operation == "DELETE":
            return None
        return pss.evaluate(rule.validate.get("podSecurity") or {}, resource, rule.name)
    if rule.cel_preconditions:
        skipped = _cel_preconditions_hold(rule, ctx, request)
        if skipped is not None:
            return skipped
    frame = Frame(
        rule.name,
        rule.validate,
        ctx,
        resource,
        request.operation == "DELETE",
        provided,
        values.foreach_values(policy.name, rule.origin or rule.name) if values.policies else None,
    )
    return validate_block(frame, rule.validate, preconditions=rule.preconditions, context=rule.context)


_BY_KIND: dict[int, tuple[Policy, dict[str, tuple[Rule, ...]]]] = {}


def _rules_for(policy: Policy, kind: str) -> tuple[Rule, ...]:
    """The policy's rules that can match ``kind`` (indexed once per policy and kind)."""
    cached = _BY_KIND.get(id(policy))
    if cached is None or cached[0] is not policy:
        if len(_BY_KIND) > 10_000:
            _BY_KIND.clear()
        cached = (policy, {})
        _BY_KIND[id(policy)] = cached
    index = cached[1]
    rules = index.get(kind)
    if rules is None:
        rules = tuple(r for r in policy.rules if kind in r.kinds or "*" in r.kinds)
        index[kind] = rules
    return rules


def _failure_action(rule: Rule, request: Request) -> FailureAction:
    """The rule's action, or the first override whose namespaces/namespaceSelector select the resource."""
    for entry in rule.action_overrides:
        action = str(entry.get("action", "")).lower()
        if action in ("audit", "enforce") and namespace_selected(entry, request):
            return "Enforce" if action == "enforce" else "Audit"
    return rule.failure_action


def _status(outcome: Outcome, policy: Policy) -> Status:
    status = outcome.status
    if status == "fail" and not policy.scored:
        return "warn"
    if status in ("pass", "fail", "skip", "warn", "error"):
        return status  # type: ignore[return-value]
    return "error"


def _match_kind(resource: Mapping[str, Any], admission: Admission) -> str:
    """The kind rules are matched on: the parent's for a subresource named in the Values file."""
    kind = str(resource.get("kind", ""))
    if admission.values.subresources:
        parent = admission.values.subresources.get((str(resource.get("apiVersion", "")), kind))
        if parent:
            return parent[1]
    return kind


def _request(resource: Mapping[str, Any], operation: str, admission: Admission) -> Request:
    meta = resource.get("metadata") if isinstance(resource.get("metadata"), dict) else {}
    assert isinstance(meta, dict)
    kind = str(resource.get("kind", ""))
    namespace = (
        str(meta.get("name", "") or "") if kind == "Namespace" else str(meta.get("namespace", "") or "")
    )
    parent = admission.values.subresources.get((str(resource.get("apiVersion", "")), kind))
    return Request(
        resource=resource,
        operation=operation,
        user=admission.user,
        namespace_labels=admission.values.namespace_labels.get(namespace, {}),
        subresource=parent[2] if parent else "",
        parent_api_version=parent[0] if parent else "",
        parent_kind=parent[1] if parent else "",
    )


_LAST_CONTEXT: list[Any] = [None, None, None, None]


def _forget() -> None:
    """Start afresh: a caller may have changed a resource since the last evaluation."""
    _LAST_CONTEXT[:] = [None, None, None, None]
    forget()


def _base_context(
    resource: Mapping[str, Any], operation: str, user: UserInfo, values: Mapping[str, Any]
) -> dict[str, Any]:
    """The request context, shared by every policy evaluated on the same resource.

    Rules only ever add keys to a shallow copy (or deep-copy before writing values), so one base
    per (resource, operation, user) is safe; values from a Values file make it policy-specific.
    """
    if values:
        return build_context(resource, operation=operation, user=user, values=values)
    last = _LAST_CONTEXT
    if last[0] is resource and last[1] == operation and last[2] is user:
        ctx: dict[str, Any] = last[3]
        return ctx
    ctx = build_context(resource, operation=operation, user=user)
    last[:] = [resource, operation, user, ctx]
    remember(ctx)
    return ctx


def evaluate_policy(
    policy: Policy,
    resource: Mapping[str, Any],
    admission: Admission = Admission(),
    *,
    resource_index: int = -1,
    request: Request | None = None,
) -> list[RuleResult]:
    """Every rule response of ``policy`` for one resource (rules that do not apply give none).

    ``request`` may be passed when it is the same for every policy (no per-policy values); only
    ``evaluate`` does so, and only then is the document's context shared between policies.
    """
    if request is None:
        _forget()
    kind = str(resource.get("kind", ""))
    candidates = _rules_for(policy, _match_kind(resource, admission))
    if not candidates:
        return []
    meta = resource.get("metadata") if isinstance(resource.get("metadata"), dict) else {}
    assert isinstance(meta, dict)
    name = str(meta.get("name", "") or "")
    namespace = str(meta.get("namespace", "") or "")
    if policy.kind == "Policy" and namespace != policy.namespace:
        return []
    values = admission.values
    resource_values = values.for_resource(policy.name, name)
    operation = admission.forced_operation or str(
        resource_values.get("request.operation") or admission.operation
    )
    if request is None:
        request = _request(resource, operation, admission)
    base: dict[str, Any] | None = None
    results: list[RuleResult] = []
    for rule in candidates:
        if not rule_matches(rule.match, rule.exclude, request):
            continue
        if admission.exceptions and _exception_applies(admission, policy, rule, request):
            outcome: Outcome | None = Outcome("skip", "rule is skipped due to policy exception")
        else:
            if base is None:
                base = _base_context(resource, operation, admission.user, resource_values)
            # rules without context entries only read the context: they share the base (and its
            # memoized queries); others get a copy they may add entries to
            ctx = dict(base) if rule.context else base
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
                failure_action=_failure_action(rule, request),
                path=outcome.path,
                resource_index=resource_index,
                context=tuple((alt.path, alt.message) for alt in outcome.context) if outcome.context else (),
            )
        )
        if policy.apply_one and outcome.status in ("fail", "error"):
            break
    return results


def evaluate(
    policies: Sequence[Policy],
    documents: Iterable[Document | Mapping[str, Any]],
    admission: Admission = _DEFAULT_ADMISSION,
) -> Iterator[RuleResult]:
    """Lazily evaluate every policy on every document, in document then policy order.

    Policies are indexed by the kinds their rules can match, so a document only meets the
    policies that may apply to it.
    """
    by_kind: dict[str, list[Policy]] = {}
    _forget()
    for index, doc in enumerate(documents):
        body = doc.body if isinstance(doc, Document) else doc
        kind = _match_kind(body, admission)
        relevant = by_kind.get(kind)
        if relevant is None:
            relevant = [p for p in policies if _rules_for(p, kind)]
            by_kind[kind] = relevant
        if not relevant:
            continue
        shared = None
        if not admission.values.policies:
            operation = admission.forced_operation or str(
                admission.values.global_values.get("request.operation") or admission.operation
            )
            shared = _request(body, operation, admission)
        for policy in relevant:
            yield from evaluate_policy(policy, body, admission, resource_index=index, request=shared)
