"""One validate block (a rule's or a ``foreach`` entry's) → pass/fail/skip/error, as upstream's validator.

Order as in Kyverno's ``validate_resource.go``: load ``context`` entries, check ``preconditions``
(skip when not met), then ``deny``, else ``pattern``/``anyPattern``, else ``foreach`` (nested, with
``element``/``elementIndex`` and element-scoped patterns). ``None`` means *no response* (the rule
does not apply, e.g. a pattern on a DELETE request, or a foreach list without elements).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from generator.policy.conditions import evaluate_operator
from generator.policy.pattern import match_pattern
from generator.policy.relevance import Alternative, best_match, by_relevance
from generator.policy.variables import VariableError, query, substitute

__all__ = ["Frame", "Outcome", "check_conditions", "load_context", "validate_block"]

#: Upstream returns a ``skip`` response for a foreach that applied to no element; the CLI's
#: ``kyverno test`` then reads it as *not applicable*. We report no response at all.
FOREACH_EMPTY_IS_SKIP = False


@dataclass(frozen=True, slots=True)
class Outcome:
    """A rule response before it is tied to a policy and resource."""

    status: str
    message: str = ""
    path: tuple[str | int, ...] = ()
    context: tuple[Alternative, ...] = ()
    """Failed ``anyPattern`` alternatives, most relevant first (see ``relevance``)."""


@dataclass(frozen=True, slots=True)
class Frame:
    """What every step of one rule's validation reads: the rule, its context and the resource."""

    rule: str
    validate: Mapping[str, Any]
    """The rule's ``validate`` block (its ``message`` is used by nested foreach steps too)."""
    ctx: dict[str, Any]
    resource: Any
    deleting: bool = False
    provided: Mapping[str, Any] | None = None
    """Context values from the Values file (for cluster-backed context entries)."""
    foreach_values: Mapping[str, Any] | None = None
    """A Values file's ``foreachValues``: variable → one value per foreach iteration."""


def _condition_list(block: Any) -> tuple[list[Any], list[Any]]:
    if isinstance(block, list):
        return [], block
    if isinstance(block, dict):
        return list(block.get("any") or ()), list(block.get("all") or ())
    return [], []


def _condition(cond: Mapping[str, Any], ctx: Mapping[str, Any]) -> bool:
    key = substitute(cond.get("key"), ctx, lenient=True)
    value = substitute(cond.get("value"), ctx, lenient=True)
    return evaluate_operator(str(cond.get("operator", "")), key, value)


def check_conditions(block: Any, ctx: Mapping[str, Any]) -> tuple[bool, str]:
    """Evaluate ``{any, all}`` (or a legacy list = all); returns (held, messages of failed ones).

    Raises:
        ValueError: an unknown operator.
    """
    if block is None:
        return True, ""
    any_conds, all_conds = _condition_list(block)
    messages: list[str] = []
    held = True
    if any_conds:
        results = [(_condition(c, ctx), c) for c in any_conds if isinstance(c, dict)]
        if not any(r for r, _ in results):
            held = False
            messages += [str(c.get("message")) for _, c in results if c.get("message")]
    for cond in all_conds:
        if isinstance(cond, dict) and not _condition(cond, ctx):
            held = False
            if cond.get("message"):
                messages.append(str(cond["message"]))
            break
    return held, "; ".join(messages)


def load_context(entries: Any, ctx: dict[str, Any], provided: Mapping[str, Any]) -> str | None:
    """Add ``context`` entries to ``ctx``; returns an error message, or ``None`` when all loaded.

    Only ``variable`` entries are computed; ``apiCall``, ``configMap``, ``imageRegistry`` and
    ``globalReference`` need a cluster, so they must come from the Values file (``provided``).
    """
    for entry in entries or ():
        if not isinstance(entry, dict):
            continue
        name = str(entry.get("name", ""))
        if name in provided:
            ctx[name] = copy.deepcopy(provided[name])
            continue
        var = entry.get("variable")
        if isinstance(var, dict):
            try:
                if "value" in var:
                    value = substitute(var.get("value"), ctx)
                    if var.get("jmesPath"):
                        value = query(str(substitute(var["jmesPath"], ctx)), value, strict=False)
                else:
                    value = query(str(substitute(var.get("jmesPath", ""), ctx)), ctx, strict=False)
            except VariableError as e:
                if "default" not in var:
                    return f"failed to load context entry {name}: {e}"
                value = None
            if value is None and "default" in var:
                value = substitute(var["default"], ctx, lenient=True)
            ctx[name] = value
            continue
        source = next(
            (k for k in ("apiCall", "configMap", "imageRegistry", "globalReference") if k in entry), "unknown"
        )
        return (
            f"context entry {name!r} ({source}) needs a cluster; "
            "give its value in the values file (policies[].resources[].values or globalValues)"
        )
    return None


def _message(validate: Mapping[str, Any], ctx: Mapping[str, Any]) -> tuple[str, bool]:
    raw = validate.get("message")
    if not raw:
        return "", True
    try:
        out = substitute(str(raw), ctx)
    except VariableError:
        return str(raw), False
    return (out if isinstance(out, str) else str(out)), True


def _pattern_message(
    rule: str, validate: Mapping[str, Any], ctx: Mapping[str, Any], path: str, detail: str
) -> str:
    msg, _ok = _message(validate, ctx)
    if not msg:
        return (
            f"validation error: rule {rule} failed at path {path}"
            if path
            else f"validation error: rule {rule} execution error: {detail}"
        )
    if not msg.endswith("."):
        msg += "."
    if path:
        return f"validation error: {msg} rule {rule} failed at path {path}"
    return f"validation error: {msg} rule {rule} execution error: {detail}"


def _slash(path: tuple[str | int, ...]) -> str:
    return "/" + "".join(f"{p}/" for p in path)


def _validate_patterns(
    rule: str, validate: Mapping[str, Any], block: Mapping[str, Any], target: Any, ctx: Mapping[str, Any]
) -> Outcome:
    if "pattern" in block:
        try:
            pattern = substitute(block["pattern"], ctx)
        except VariableError as e:
            return Outcome("error", f"variable substitution failed: {e}")
        result = match_pattern(target, pattern)
        if result.status == "pass":
            return Outcome("pass", f"validation rule '{rule}' passed.")
        if result.status == "skip":
            return Outcome("skip", result.message)
        path = _slash(result.path) if result.status == "fail" else ""
        return Outcome(
            result.status, _pattern_message(rule, validate, ctx, path, result.message), result.path
        )
    try:
        patterns = substitute(block.get("anyPattern") or [], ctx)
    except VariableError as e:
        return Outcome("error", f"variable substitution failed: {e}")
    failed: list[str] = []
    skipped: list[str] = []
    alternatives: list[Alternative] = []
    for index, pattern in enumerate(patterns):
        result = match_pattern(target, pattern)
        if result.status == "pass":
            return Outcome("pass", f"validation rule '{rule}' anyPattern[{index}] passed.")
        if result.status == "skip":
            skipped.append(f"rule {rule}[{index}] skipped: {result.message}")
            continue
        if result.status == "fail":
            failed.append(f"rule {rule}[{index}] failed at path {_slash(result.path)}")
        else:
            failed.append(f"rule {rule}[{index}] failed: {result.message}")
        alternatives.append(Alternative(index, result.path, f"anyPattern[{index}]: {result.message}"))
    if skipped and not failed:
        return Outcome("skip", " ".join(skipped))
    if failed:
        msg, _ok = _message(validate, ctx)
        text = " ".join(failed)
        best = best_match(alternatives)
        best_path = best.path if best else ()
        context = tuple(sorted(alternatives, key=by_relevance))
        if not msg:
            return Outcome("fail", f"validation error: {text}", best_path, context)
        sep = " " if msg.endswith(".") else ". "
        return Outcome("fail", f"validation error: {msg}{sep}{text}", best_path, context)
    msg, _ok = _message(validate, ctx)
    return Outcome("pass", msg)


def _deny(rule: str, validate: Mapping[str, Any], deny: Any, ctx: Mapping[str, Any]) -> Outcome:
    conditions = deny.get("conditions") if isinstance(deny, dict) else None
    try:
        denied, cond_msg = check_conditions(conditions, ctx)
    except (ValueError, VariableError) as e:
        return Outcome("error", f"failed to check deny conditions: {e}")
    if not denied:
        return Outcome("pass", f"validation rule '{rule}' passed.")
    msg, _ok = _message(validate, ctx)
    parts = [p for p in (msg, cond_msg) if p]
    return Outcome("fail", "; ".join(parts) if parts else f"validation error: rule {rule} failed")


def _foreach(frame: Frame, entries: Any, nesting: int) -> Outcome | None:
    applied = 0
    for entry in entries or ():
        if not isinstance(entry, dict):
            continue
        try:
            elements = query(str(entry.get("list", "")), frame.ctx, strict=True)
        except VariableError:
            continue
        if not isinstance(elements, list):
            elements = [elements]
        outcome, count = _elements(frame, entry, elements, nesting)
        if outcome.status != "pass":
            return outcome
        applied += count
    if applied == 0:
        return Outcome("skip", "rule skipped") if FOREACH_EMPTY_IS_SKIP else None
    return Outcome("pass", "rule passed")


def _elements(
    frame: Frame, entry: Mapping[str, Any], elements: list[Any], nesting: int
) -> tuple[Outcome, int]:
    applied = 0
    scope = entry.get("elementScope")
    for index, element in enumerate(elements):
        if element is None:
            continue
        ectx = dict(frame.ctx)
        ectx["element"] = element
        ectx["elementIndex"] = index
        ectx[f"element{nesting}"] = element
        ectx[f"elementIndex{nesting}"] = index
        step = frame
        if frame.foreach_values:
            per_element = {
                k: v[index] for k, v in frame.foreach_values.items() if isinstance(v, list) and index < len(v)
            }
            ectx.update(per_element)
            step = replace(frame, provided={**(frame.provided or {}), **per_element})
        scoped = isinstance(element, dict) if scope is None else bool(scope)
        if scoped and not isinstance(element, dict):
            return Outcome(
                "error", "failed to process foreach: elementScope=true needs map elements"
            ), applied
        target = element if scoped else None
        result = validate_block(replace(step, ctx=ectx), entry, nesting + 1, element=target)
        if result is None or result.status == "skip":
            continue
        if result.status == "error":
            if index < len(elements) - 1:
                continue
            return Outcome("error", f"validation failure: {result.message}", result.path), applied
        if result.status != "pass":
            return Outcome(result.status, f"validation failure: {result.message}", result.path), applied
        applied += 1
    return Outcome("pass", ""), applied


def validate_block(
    frame: Frame,
    block: Mapping[str, Any],
    nesting: int = 0,
    *,
    element: Any = None,
    preconditions: Any = None,
    context: Any = None,
) -> Outcome | None:
    """Evaluate one validate block; ``block`` is ``rule.validate`` or a ``foreach`` entry.

    ``preconditions``/``context`` are the rule's own (top level); a foreach entry carries its own.
    """
    if nesting == 0:
        conds, entries = preconditions, context
    else:
        conds, entries = block.get("preconditions"), block.get("context")
    rule, validate, ctx, resource = frame.rule, frame.validate, frame.ctx, frame.resource
    error = load_context(entries, ctx, frame.provided or {})
    if error:
        return Outcome("error", f"failed to load context: {error}")
    try:
        held, msg = check_conditions(conds, ctx)
    except (ValueError, VariableError) as e:
        return Outcome("error", f"failed to evaluate preconditions: {e}")
    if not held:
        return Outcome("skip", "; ".join(p for p in ("preconditions not met", msg) if p))
    if "deny" in block:
        return _deny(rule, validate, block.get("deny"), ctx)
    if "pattern" in block or "anyPattern" in block:
        if element is not None:
            return _validate_patterns(rule, validate, block, element, ctx)
        if frame.deleting:
            return None
        outcome = _validate_patterns(rule, validate, block, resource, ctx)
        request = ctx.get("request") or {}
        if (
            request.get("operation") == "UPDATE"
            and request.get("oldObject") is resource
            and outcome.status != "pass"
        ):
            # upstream re-validates the old object; an unchanged result on UPDATE is a skip
            return Outcome("skip", "skipping modified resource as validation results have not changed")
        return outcome
    if "foreach" in block:
        return _foreach(frame, block.get("foreach"), nesting)
    return None
