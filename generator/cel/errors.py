"""Errors of the CEL library: an expression that *cannot be evaluated*.

Raised by ``generator.cel`` at compile or evaluation time. Callers (the schema validator, the
Kyverno engine) must turn them into an explicit "error" result, never into a pass: a rule we
cannot evaluate tells us nothing about the document.

    CelError (GeneratorError, ValueError)   cannot evaluate this expression
    ├── CelSyntaxError                      the expression does not parse
    ├── CelUnsupportedError                 it uses a function or syntax this library lacks
    │                                       (listed in generator/cel/KNOWN_GAPS.yaml)
    └── CelEvaluationError                  runtime failure: no such key, no matching
        │                                   overload, division by zero, wrong result type…
        └── CelCostError                    over the cost budget (generator/cel/cost.py):
                                            refused before it runs

They derive from ``GeneratorError`` so that one escaping to the CLI still prints one clear line
(exit 2) rather than a traceback.
"""

from __future__ import annotations

from generator.errors import GeneratorError

__all__ = ["CelCostError", "CelError", "CelEvaluationError", "CelSyntaxError", "CelUnsupportedError"]


class CelError(GeneratorError, ValueError):
    """A CEL expression cannot be evaluated; ``expression`` is its source, ``reason`` the cause."""

    def __init__(self, reason: str, *, expression: str, hint: str | None = None) -> None:
        super().__init__(f"CEL expression {expression!r}: {reason}", hint=hint)
        self.expression = expression
        self.reason = reason


class CelSyntaxError(CelError):
    """The expression is not valid CEL (the parser rejected it)."""


class CelUnsupportedError(CelError):
    """The expression needs a function, macro or syntax that this library does not provide.

    ``feature`` names it (``cel.bind``, ``authorizer``, ``optional list literal``…) as written in
    ``KNOWN_GAPS.yaml``.
    """

    def __init__(self, feature: str, *, expression: str, reason: str | None = None) -> None:
        super().__init__(
            reason or f"{feature!r} is not supported by the CEL library",
            expression=expression,
            hint="see generator/cel/KNOWN_GAPS.yaml for the functions that are not implemented",
        )
        self.feature = feature


class CelEvaluationError(CelError):
    """Evaluation failed at run time (missing key, no matching overload, bad argument…)."""


class CelCostError(CelEvaluationError):
    """The expression may cost more than the budget on this input, so it was not evaluated.

    The API server cancels such an evaluation ("operation cancelled: actual cost limit
    exceeded"); we refuse it up front, as cel-rust cannot be interrupted once it runs.
    """
