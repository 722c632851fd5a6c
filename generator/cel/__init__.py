"""The shared CEL library: compile-once programs with the Kubernetes CEL functions.

Used by the schema validator (CRD ``x-kubernetes-validations``) and the Kyverno engine
(``validate.cel``, ``celPreconditions``). Built on ``common-expression-language`` (cel-rust),
extended with the Kubernetes libraries (regex ``find``, strings, lists, quantity, URL, IP/CIDR,
semver, format), cel-go extensions, the optional syntax (``x.?f``, ``m[?k]``, ``[?x]``,
``{?k: v}``) and the macros (``cel.bind``, ``optMap``, two-variable comprehensions…) that the
Rust parser lacks.

    program = compile_expression("self.all(k, k.find('^[a-z]+') != '')")   # cached by source
    program.evaluate({"self": {...}})                                       # -> Python value
    evaluate("object.spec.replicas > 1", {"object": obj})                  # both at once

To evaluate several expressions over the same values, build an :class:`Activation` once and
pass it instead of the mapping: the values are converted to CEL once (most of the cost).

For CRD rules, pass ``self`` through :func:`cel_value` with the node's schema: Kubernetes
escapes property names such as ``namespace`` (``self.__namespace__``) in rules.

Anything that cannot be evaluated raises a :class:`CelError` (syntax, unsupported function,
runtime failure, or :class:`CelCostError`: over the cost budget of ``generator.cel.cost`` on
this input, refused before it runs): report it, never count it as a pass. ``KNOWN_GAPS.yaml`` lists what is
not supported and why.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from generator.cel import _no_repl  # noqa: F401  (first: before anything imports the cel package)
from generator.cel.activation import Activation
from generator.cel.errors import (
    CelCostError,
    CelError,
    CelEvaluationError,
    CelSyntaxError,
    CelUnsupportedError,
)
from generator.cel.program import CelProgram, compile_expression, normalize_value
from generator.cel.schema_values import cel_value, escape_field_name
from generator.cel.variables import LazyVariables

__all__ = [
    "Activation",
    "CelCostError",
    "CelError",
    "CelEvaluationError",
    "CelProgram",
    "CelSyntaxError",
    "CelUnsupportedError",
    "LazyVariables",
    "cel_value",
    "compile_expression",
    "escape_field_name",
    "evaluate",
    "evaluate_bool",
    "normalize_value",
]


def evaluate(
    source: str, activation: Mapping[str, Any], *, variables: Mapping[str, Any] | None = None
) -> Any:
    """Compile (cached) and evaluate ``source``; see :meth:`CelProgram.evaluate`.

    Raises:
        CelError: the expression cannot be compiled or evaluated.
    """
    return compile_expression(source).evaluate(activation, variables=variables)


def evaluate_bool(
    source: str, activation: Mapping[str, Any], *, variables: Mapping[str, Any] | None = None
) -> bool:
    """Evaluate a validation rule or condition, which must yield a bool.

    Raises:
        CelError: it cannot be evaluated, or its result is not a bool.
    """
    result = evaluate(source, activation, variables=variables)
    if not isinstance(result, bool):
        raise CelEvaluationError(
            f"expected a bool result, got {type(result).__name__} {result!r}", expression=source
        )
    return result
