"""A policy's ``mutate`` rules applied offline to one resource → patched resource + rule responses.

Order as upstream (``pkg/engine/handlers/mutation``, ``pkg/engine/mutate/mutation.go``): for each
mutate rule (written, then auto-generated) that matches and is not excluded, load ``context``,
check ``preconditions`` (``skip`` when not met), substitute ``{{ }}`` variables in the patch, then
apply ``patchStrategicMerge`` (``generator.policy.mutate.overlay``) or ``patchesJson6902``
(``jsonpatch``), or each ``foreach`` entry per element (``element``/``elementIndex``, nested
foreach, ``order: Descending``; later elements see earlier patches). A rule is ``pass`` when it
changed the resource, ``skip`` when it did not ("no patches applied") or its conditions/anchors do
not hold, ``error`` when a patch cannot apply or needs a cluster (``mutate.targets``, context
from an API call). Later rules and validation see the patched resource. Pure.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from generator import yamlread
from generator.errors import GeneratorError
from generator.policy.context import build_context
from generator.policy.engine import Admission
from generator.policy.match import Request, rule_matches
from generator.policy.model import Policy, Rule, RuleResult
from generator.policy.mutate.jsonpatch import JsonPatchError, apply_json_patch
from generator.policy.mutate.overlay import ConditionNotMet, apply_strategic_merge
from generator.policy.validation import check_conditions, load_context
from generator.policy.variables import VariableError, query, set_path, substitute

__all__ = ["mutate_all", "mutate_resource"]


class _RuleError(Exception):
    """A patch that cannot be applied: the rule's response is ``error``."""


def _patch_once(resource: Any, block: Mapping[str, Any], ctx: Mapping[str, Any]) -> Any:
    """``resource`` after one block's ``patchStrategicMerge`` or ``patchesJson6902``."""
    try:
        if "patchStrategicMerge" in block:
            patch = substitute(block["patchStrategicMerge"], ctx)
            return apply_strategic_merge(resource, patch)
        if "patchesJson6902" in block:
            text = substitute(str(block["patchesJson6902"]), ctx)
            operations = (
                yamlread.load(text, "patchesJson6902", GeneratorError) if isinstance(text, str) else text
            )
            return apply_json_patch(resource, operations)
    except VariableError as e:
        raise _RuleError(f"variable substitution failed: {e}") from e
    except JsonPatchError as e:
        raise _RuleError(f"failed to apply patchesJson6902: {e}") from e
    except GeneratorError as e:
        raise _RuleError(f"patchesJson6902 is not valid YAML: {e.message}") from e
    return resource


def _set_object(ctx: dict[str, Any], resource: Any) -> None:
    request = dict(ctx.get("request") or {})
    request["object"] = resource
    ctx["request"] = request


def _foreach(
    resource: Any, entries: Any, ctx: dict[str, Any], provided: Mapping[str, Any], nesting: int
) -> Any:
    for entry in entries or ():
        if not isinstance(entry, Mapping):
            continue
        try:
            elements = query(str(entry.get("list", "")), ctx, strict=True)
        except VariableError as e:
            raise _RuleError(f"failed to evaluate foreach list {entry.get('list')!r}: {e}") from e
        if elements is None:
            continue
        if not isinstance(elements, list):
            elements = [elements]
        indices = list(range(len(elements)))
        if str(entry.get("order", "")).lower() == "descending":
            indices.reverse()
        for index in indices:
            ectx = dict(ctx)
            ectx["element"] = elements[index]
            ectx["elementIndex"] = index
            ectx[f"element{nesting}"] = elements[index]
            ectx[f"elementIndex{nesting}"] = index
            error = load_context(entry.get("context"), ectx, provided)
            if error:
                raise _RuleError(f"failed to load context: {error}")
            try:
                held, _ = check_conditions(entry.get("preconditions"), ectx)
            except (ValueError, VariableError) as e:
                raise _RuleError(f"failed to evaluate preconditions: {e}") from e
            if not held:
                continue
            if "foreach" in entry:
                resource = _foreach(resource, entry.get("foreach"), ectx, provided, nesting + 1)
            else:
                try:
                    resource = _patch_once(resource, entry, ectx)
                except ConditionNotMet:
                    continue
            _set_object(ctx, resource)
    return resource


def _apply_rule(
    rule: Rule, resource: Any, ctx: dict[str, Any], provided: Mapping[str, Any]
) -> tuple[str, str, Any]:
    mutate = rule.mutate or {}
    if "targets" in mutate:
        return (
            "error",
            "mutate.targets (mutate existing resources) needs a cluster; not evaluated offline",
            resource,
        )
    error = load_context(rule.context, ctx, provided)
    if error:
        return "error", f"failed to load context: {error}", resource
    try:
        held, message = check_conditions(rule.preconditions, ctx)
    except (ValueError, VariableError) as e:
        return "error", f"failed to evaluate preconditions: {e}", resource
    if not held:
        return "skip", "; ".join(p for p in ("preconditions not met", message) if p), resource
    try:
        if "foreach" in mutate:
            patched = _foreach(resource, mutate.get("foreach"), ctx, provided, 0)
        else:
            patched = _patch_once(resource, mutate, ctx)
    except ConditionNotMet as e:
        return "skip", str(e), resource
    except _RuleError as e:
        return "error", str(e), resource
    if patched == resource:
        return "skip", "no patches applied", resource
    kind = str(patched.get("kind", "")) if isinstance(patched, Mapping) else ""
    return "pass", f"mutated {kind} {_name(patched)}", patched


def _name(resource: Any) -> str:
    meta = resource.get("metadata") if isinstance(resource, Mapping) else None
    if not isinstance(meta, Mapping):
        return ""
    namespace = meta.get("namespace")
    return f"{namespace}/{meta.get('name', '')}" if namespace else str(meta.get("name", ""))


def _excepted(
    exceptions: tuple[Mapping[str, Any], ...], policy: Policy, rule: Rule, request: Request
) -> bool:
    for exc in exceptions:
        spec = exc.get("spec") or {}
        names = {rule.name, rule.origin} - {""}
        listed = any(
            isinstance(e, Mapping)
            and e.get("policyName") in (policy.name, f"{policy.namespace}/{policy.name}")
            and names & set(e.get("ruleNames") or ())
            for e in spec.get("exceptions") or ()
        )
        if listed and rule_matches(spec.get("match") or {}, spec.get("exclude"), request):
            return True
    return False


def mutate_resource(
    policy: Policy, resource: Mapping[str, Any], admission: Admission | None = None
) -> tuple[Mapping[str, Any], list[RuleResult]]:
    """``resource`` after every mutate rule of ``policy``, and each rule's response.

    A rule that does not match gives no response. The input is never modified.
    """
    admission = admission or Admission()
    if not policy.mutate_rules:
        return resource, []
    meta = resource.get("metadata") if isinstance(resource.get("metadata"), Mapping) else {}
    assert isinstance(meta, Mapping)
    name, namespace = str(meta.get("name", "") or ""), str(meta.get("namespace", "") or "")
    if policy.kind == "Policy" and namespace != policy.namespace:
        return resource, []
    values = admission.values
    resource_values = values.for_resource(policy.name, name)
    operation = admission.forced_operation or str(
        resource_values.get("request.operation") or admission.operation
    )
    ns_key = name if resource.get("kind") == "Namespace" else namespace
    current: Any = resource
    results: list[RuleResult] = []
    for rule in policy.mutate_rules:
        request = Request(
            resource=current,
            operation=operation,
            user=admission.user,
            namespace_labels=values.namespace_labels.get(ns_key, {}),
        )
        if not rule_matches(rule.match, rule.exclude, request):
            continue
        if _excepted(admission.exceptions, policy, rule, request):
            status, message = "skip", "rule is skipped due to policy exception"
        else:
            ctx = build_context(
                copy.deepcopy(current), operation=operation, user=admission.user, values=resource_values
            )
            for key, value in values.for_rule(policy.name, rule.origin or rule.name).items():
                set_path(ctx, str(key), copy.deepcopy(value))
            provided = {**resource_values, **values.for_rule(policy.name, rule.origin or rule.name)}
            status, message, current = _apply_rule(rule, current, ctx, provided)
        results.append(
            RuleResult(
                policy=policy.name,
                rule=rule.name,
                status=status,  # type: ignore[arg-type]
                message=message,
                kind=str(resource.get("kind", "")),
                namespace=namespace,
                name=name,
            )
        )
    return current, results


def mutate_all(
    policies: Sequence[Policy], resource: Mapping[str, Any], admission: Admission | None = None
) -> tuple[Mapping[str, Any], list[RuleResult]]:
    """``resource`` after the mutate rules of every policy in order, and every mutate response.

    Each policy sees the previous ones' patches, as the Kyverno CLI chains them.
    """
    admission = admission or Admission()
    results: list[RuleResult] = []
    for policy in policies:
        resource, found = mutate_resource(policy, resource, admission)
        results += found
    return resource, results
