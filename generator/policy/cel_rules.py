"""Kyverno ``validate.cel`` rules and ``celPreconditions``, evaluated as Kyverno evaluates them.

Pure functions over parsed documents; the rule engine (``generator.policy``) calls them after
``match``/``exclude``. CEL itself comes from ``generator.cel`` (compiled once per expression).

API::

    evaluate_validate_cel(rule["validate"]["cel"], obj=..., old_obj=..., request=...,
                          namespace_object=..., params=None, preconditions=rule.get("celPreconditions", ()),
                          rule_name=rule["name"], rule_message=rule["validate"].get("message", ""))
        -> CelResult(status, message)     # status: "pass" | "fail" | "skip" | "error"

    evaluate_cel_preconditions(conditions, obj=..., old_obj=..., request=..., namespace_object=...)
        -> bool                           # raises CelError when one cannot be evaluated

    check_cel_rule(rule) -> list[(yaml_path, message)]
                                          # load-time problems: shape and CEL syntax, as Kyverno's
                                          # admission rejects them; for PolicyLoadError

Kyverno semantics reproduced (kyverno ``pkg/engine/handlers/validation/validate_cel.go``, which
delegates to Kubernetes' ValidatingAdmissionPolicy validator with failure policy ``Fail``):

* The activation is ``object`` (null on DELETE), ``oldObject`` (null unless UPDATE/DELETE),
  ``request`` (the AdmissionRequest), ``namespaceObject`` (null for cluster-scoped objects and
  for Namespaces themselves), ``params`` and ``variables`` (evaluated lazily, each at most once).
* ``celPreconditions`` are VAP match conditions: any condition that is not ``true`` ->
  ``skip`` ("cel preconditions not met"), even when another one errored; otherwise errors ->
  ``fail`` with the error text.
* ``expressions`` are checked in order; the first one that is not ``true`` or that errors
  decides: ``fail``. Its message is the ``messageExpression`` result (trimmed; ignored when
  it errors, is not a string, is empty, spans lines or exceeds 5 KiB), else ``message``, else the
  rule's ``validate.message``, else ``failed expression: <expr>``. A runtime error reads
  ``expression '<expr>' resulted in error: <reason>``.
* All true -> ``pass`` with "Validation rule '<name>' passed.".
* ``auditAnnotations`` do not affect the result and are ignored.

Our own limits are never a pass or a fail: an expression using a function this library lacks
(``generator/cel/KNOWN_GAPS.yaml``) gives ``error`` unless an earlier or later expression
already fails for certain (then ``fail``, since Kyverno would deny either way).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from generator.cel import (
    Activation,
    CelCostError,
    CelError,
    CelEvaluationError,
    CelProgram,
    CelUnsupportedError,
    LazyVariables,
    compile_expression,
)
from generator.location import YamlPath

__all__ = [
    "PRECONDITIONS_NOT_MET",
    "CelResult",
    "check_cel_rule",
    "evaluate_cel_preconditions",
    "evaluate_validate_cel",
    "kyverno_activation",
]

CelStatus = Literal["pass", "fail", "skip", "error"]
PRECONDITIONS_NOT_MET = "cel preconditions not met"
"""Kyverno's message for a rule skipped by its ``celPreconditions``."""
_MAX_MESSAGE_BYTES = 5 * 1024
"""Kubernetes' MaxEvaluatedMessageExpressionSizeBytes: a longer messageExpression result is ignored."""


@dataclass(frozen=True, slots=True)
class CelResult:
    """The outcome of one ``validate.cel`` rule on one resource."""

    status: CelStatus
    """``pass``, ``fail``, ``skip`` (celPreconditions not met) or ``error`` (cannot evaluate)."""
    message: str
    """Kyverno's message for that outcome."""


def kyverno_activation(
    *,
    obj: Mapping[str, Any] | None,
    old_obj: Mapping[str, Any] | None,
    request: Mapping[str, Any],
    namespace_object: Mapping[str, Any] | None,
    params: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The top-level CEL names Kyverno (as a VAP) binds for one admission request."""
    return {
        "object": obj,
        "oldObject": old_obj,
        "request": request,
        "namespaceObject": namespace_object,
        "params": params,
    }


def _result_error(error: CelError, expression: str | None = None) -> str:
    """Kubernetes' text for an expression that failed; ``expression`` is the one evaluated.

    An error inside a variable is reported against the expression that read it, as the
    composited-variable evaluation passes the inner error through.
    """
    if isinstance(error, CelEvaluationError):
        return f"expression '{expression or error.expression}' resulted in error: {error.reason}"
    return f"compilation error: {error.reason}"


def _is_our_gap(error: CelError) -> bool:
    """Whether the failure is this library's limit rather than the expression's own error.

    An expression refused by the cost budget was never evaluated: we cannot tell whether it
    holds, so it is an ``error`` (as an unsupported function), never a pass nor a verdict.
    """
    return isinstance(error, CelUnsupportedError | CelCostError)


def _functions_used(cel: Mapping[str, Any], preconditions: Sequence[Mapping[str, Any]]) -> set[str]:
    """Library functions the rule's CEL calls, so the activation registers only those."""
    sources = [c.get("expression") for c in preconditions if isinstance(c, Mapping)]
    for key, fields in (("expressions", ("expression", "messageExpression")), ("variables", ("expression",))):
        entries = cel.get(key) if isinstance(cel, Mapping) else None
        for entry in entries if isinstance(entries, list) else ():
            if isinstance(entry, Mapping):
                sources.extend(entry.get(field) for field in fields)
    used: set[str] = set()
    for source in sources:
        if isinstance(source, str) and source.strip():
            with contextlib.suppress(CelError):  # reported where the expression is evaluated
                used |= compile_expression(source).functions
    return used


def _lazy_variables(cel: Mapping[str, Any], activation: Activation) -> LazyVariables:
    definitions: list[tuple[str, CelProgram | CelError]] = []
    for var in cel.get("variables") or ():
        try:
            definitions.append((str(var["name"]), compile_expression(str(var["expression"]))))
        except CelError as e:
            definitions.append((str(var["name"]), e))
    return LazyVariables(definitions, activation)


def _evaluate_condition(
    expression: str, activation: Activation, variables: Mapping[str, Any] | None
) -> bool | CelError:
    """True/False for "is exactly true", or the error that prevented evaluation."""
    try:
        result = compile_expression(expression).evaluate(activation, variables=variables)
    except CelError as e:
        return e
    return result is True


def evaluate_cel_preconditions(
    conditions: Sequence[Mapping[str, Any]],
    *,
    obj: Mapping[str, Any] | None,
    old_obj: Mapping[str, Any] | None,
    request: Mapping[str, Any],
    namespace_object: Mapping[str, Any] | None,
    params: Mapping[str, Any] | None = None,
) -> bool:
    """Whether every ``celPreconditions`` entry holds (VAP ``matchConditions`` semantics).

    A condition that is not exactly ``true`` makes the result False at once, even if another
    condition errored. Only when none is false do errors count.

    Raises:
        CelError: a condition could not be evaluated (``CelUnsupportedError`` for our gaps;
            otherwise Kyverno reports the rule as ``fail`` with ``str`` of the reason).
    """
    activation = kyverno_activation(
        obj=obj, old_obj=old_obj, request=request, namespace_object=namespace_object, params=params
    )
    return _preconditions_hold(conditions, Activation(activation))


def _preconditions_hold(conditions: Sequence[Mapping[str, Any]], activation: Activation) -> bool:
    errors: list[CelError] = []
    for condition in conditions:
        outcome = _evaluate_condition(str(condition.get("expression", "")), activation, None)
        if isinstance(outcome, CelError):
            errors.append(outcome)
        elif not outcome:
            return False
    if errors:
        gaps = [e for e in errors if _is_our_gap(e)]
        if gaps:
            raise gaps[0]
        raise CelEvaluationError(_aggregate(errors), expression=errors[0].expression)
    return True


def _aggregate(errors: Sequence[CelError]) -> str:
    """``utilerrors.NewAggregate(...).Error()``: one message, or ``[a, b]`` for several."""
    messages = [_result_error(e) for e in errors]
    return messages[0] if len(messages) == 1 else "[" + ", ".join(messages) + "]"


def _message(
    entry: Mapping[str, Any],
    rule_message: str,
    activation: Activation,
    variables: Mapping[str, Any],
) -> str:
    expression = entry.get("messageExpression")
    if expression:
        try:
            value = compile_expression(str(expression)).evaluate(activation, variables=variables)
        except CelError:
            value = None
        if isinstance(value, str):
            text = value.strip()
            if text and "\n" not in text and len(text.encode()) <= _MAX_MESSAGE_BYTES:
                return text
    static = str(entry.get("message") or rule_message or "").strip()
    return static or f"failed expression: {str(entry.get('expression', '')).strip()}"


def evaluate_validate_cel(
    cel: Mapping[str, Any],
    *,
    obj: Mapping[str, Any] | None,
    old_obj: Mapping[str, Any] | None,
    request: Mapping[str, Any],
    namespace_object: Mapping[str, Any] | None,
    params: Mapping[str, Any] | None = None,
    preconditions: Sequence[Mapping[str, Any]] = (),
    rule_name: str = "",
    rule_message: str = "",
) -> CelResult:
    """Evaluate one ``validate.cel`` block (and the rule's ``celPreconditions``) on one resource.

    Args:
        cel: the rule's ``validate.cel`` mapping (``expressions``, ``variables``…).
        obj: the resource (None on DELETE).
        old_obj: the previous resource on UPDATE/DELETE, else None.
        request: the AdmissionRequest as a mapping (``operation``, ``userInfo``, ``kind``…).
        namespace_object: the namespace of a namespaced resource (``{"metadata": {"name": ns}}``
            offline), None for cluster-scoped resources and Namespaces.
        params: the parameter resource when the rule has ``paramKind``.
        preconditions: the rule's ``celPreconditions``.
        rule_name: for the pass message.
        rule_message: the rule's ``validate.message``, the fallback for expressions without one.

    Returns:
        The :class:`CelResult`; never raises for anything a policy or resource can contain.
    """
    try:
        # Converted to CEL once for every expression, variable and precondition below.
        activation = Activation(
            kyverno_activation(
                obj=obj, old_obj=old_obj, request=request, namespace_object=namespace_object, params=params
            ),
            functions=_functions_used(cel, preconditions),
        )
    except CelError as e:
        return CelResult("error", str(e))
    if preconditions:
        try:
            if not _preconditions_hold(preconditions, activation):
                return CelResult("skip", PRECONDITIONS_NOT_MET)
        except (CelUnsupportedError, CelCostError) as e:
            return CelResult("error", str(e))
        except CelError as e:
            return CelResult("fail", e.reason)
    problems = check_cel_rule({"validate": {"cel": cel}})
    if problems:
        path, message = problems[0]
        return CelResult("error", f"malformed validate.cel at {'.'.join(map(str, path[2:]))}: {message}")
    variables = _lazy_variables(cel, activation)
    undecided: CelError | None = None
    for entry in cel.get("expressions") or ():
        outcome = _evaluate_condition(str(entry.get("expression", "")), activation, variables)
        if outcome is True:
            continue
        if isinstance(outcome, CelError):
            if _is_our_gap(outcome):
                undecided = undecided or outcome
                continue
            return CelResult("fail", _result_error(outcome, str(entry.get("expression", ""))))
        return CelResult("fail", _message(entry, rule_message, activation, variables))
    if undecided is not None:
        return CelResult("error", str(undecided))
    return CelResult("pass", f"Validation rule '{rule_name}' passed.")


def _check_entries(
    entries: Any, path: YamlPath, key: str, extra: tuple[str, ...] = ()
) -> list[tuple[YamlPath, str]]:
    """Problems of a list of ``{key: <CEL>, ...}`` entries (expressions, variables, conditions)."""
    if entries is None:
        return []
    if not isinstance(entries, list):
        return [(path, "must be a list")]
    problems: list[tuple[YamlPath, str]] = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, Mapping):
            problems.append(((*path, i), "must be a mapping"))
            continue
        for field in (key, *extra):
            source = entry.get(field)
            if source is None and field != key:
                continue
            if not isinstance(source, str) or not source.strip():
                problems.append(((*path, i, field), "must be a non-empty CEL expression"))
                continue
            try:
                compile_expression(source)
            except CelUnsupportedError:
                pass  # valid CEL that this library cannot evaluate: an "error" result, not a bad policy
            except CelError as e:
                problems.append(((*path, i, field), f"invalid CEL: {e.reason}"))
    return problems


def check_cel_rule(rule: Mapping[str, Any]) -> list[tuple[YamlPath, str]]:
    """Load-time problems of a rule's ``validate.cel`` and ``celPreconditions``.

    Kyverno rejects such a policy at admission, so the engine should report these as a
    ``PolicyLoadError`` (file:line from the YAML path, relative to the rule) rather than evaluate.
    Expressions that are valid CEL but use a known gap are not problems here.

    Returns:
        ``(yaml_path, message)`` pairs, empty when the rule is well formed.
    """
    problems = _check_entries(rule.get("celPreconditions"), ("celPreconditions",), "expression")
    validate = rule.get("validate")
    cel = validate.get("cel") if isinstance(validate, Mapping) else None
    if cel is None:
        return problems
    base: YamlPath = ("validate", "cel")
    if not isinstance(cel, Mapping):
        return [*problems, (base, "must be a mapping")]
    problems += _check_entries(
        cel.get("expressions"), (*base, "expressions"), "expression", ("messageExpression",)
    )
    problems += _check_entries(cel.get("variables"), (*base, "variables"), "expression")
    for i, var in enumerate(cel.get("variables") or ()):
        if isinstance(var, Mapping) and not isinstance(var.get("name"), str):
            problems.append(((*base, "variables", i, "name"), "must be a string"))
    return problems
