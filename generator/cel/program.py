"""Compile-once CEL programs and their evaluation over Python values.

:func:`compile_expression` parses an expression once per distinct source text (a process-wide
cache, so a rule evaluated on 10,000 documents is parsed once), rewrites the syntax cel-rust
lacks (``generator.cel.syntax``) and checks statically that every function it calls is native
or in our library: an unsupported one is reported at compile time, never as a pass.

:meth:`CelProgram.evaluate` runs it with an *activation* (``self``, ``object``, ``request``…)
and returns a Python value. Every failure becomes a :class:`CelEvaluationError`.

Values in: dicts, lists, str, int, float, bool, None, bytes; ``datetime``/``timedelta`` are
CEL timestamps/durations. ``date`` objects (PyYAML's reading of an unquoted ``2024-01-01``),
tuples, sets and other mappings are normalised to what the API server would see (strings,
lists, dicts). Values out: the same types, plus ``cel.OptionalValue`` and the tagged maps of
``generator.cel.library.opaque``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import cel

from generator.cel.activation import Activation, new_context, normalize_value
from generator.cel.cost import BUDGET, estimate, needs_estimate
from generator.cel.errors import (
    CelCostError,
    CelError,
    CelEvaluationError,
    CelSyntaxError,
    CelUnsupportedError,
)
from generator.cel.library import FUNCTIONS, short_name
from generator.cel.native import NATIVE_FUNCTIONS, NATIVE_OPERATORS
from generator.cel.parse import Node, guarded, parse
from generator.cel.syntax import VARIABLE, rewrite

__all__ = ["CelProgram", "compile_expression", "normalize_value"]

# cel-rust logs every failing Python callback on the "cel" logger before raising; we turn the
# failure into a CelEvaluationError ourselves, so the log line would only be noise on stderr.
_cel_log = logging.getLogger("cel")
_cel_log.addHandler(logging.NullHandler())
_cel_log.propagate = False

_BY_SHORT_NAME: dict[str, list[str]] = {}
for _name in FUNCTIONS:
    _BY_SHORT_NAME.setdefault(short_name(_name), []).append(_name)

_KNOWN = NATIVE_FUNCTIONS | NATIVE_OPERATORS | frozenset(_BY_SHORT_NAME) | {VARIABLE}
_UNDEFINED = re.compile(r"Undefined variable or function: '([^']+)'")
_CALLBACK = re.compile(
    r"Function '([^']+)' error: (?:Python function call failed: )?(.*?)(?:\. Check function.*)?$", re.S
)

_NEEDS_CLUSTER = frozenset({"authorizer"})
"""Bindings that need a live API server (Kubernetes' authz library): never evaluable offline."""

_FEATURE_NAMES = {"bind": "cel.bind", "optMap": "optMap", "optFlatMap": "optFlatMap"}
"""Display names for unsupported functions whose reported name is only the last segment."""


@dataclass(frozen=True, slots=True, eq=False)
class CelProgram:
    """A parsed, checked CEL expression; evaluate it any number of times."""

    source: str
    """The expression as written."""
    variable_names: frozenset[str]
    """Names read as ``variables.<name>`` (Kyverno/ValidatingAdmissionPolicy variables)."""
    uses_whole_variables: bool
    """``variables`` is used as a value of its own, so every variable must be evaluated."""
    _program: Any
    _functions: Mapping[str, Callable[..., Any]]
    _costed: Node | None = None
    """The syntax tree, when the cost may be superlinear (``generator.cel.cost``); else None."""

    def evaluate(
        self, activation: Mapping[str, Any] | Activation, *, variables: Mapping[str, Any] | None = None
    ) -> Any:
        """Evaluate with ``activation`` (top-level names) and optional ``variables``.

        Args:
            activation: ``{"self": ..., "object": ..., "request": ...}``, or an
                :class:`Activation` to convert those values once for many evaluations; a name
                the expression reads but the activation lacks is an evaluation error.
            variables: values of ``variables.<name>``; a lazy mapping (see
                ``generator.cel.variables.LazyVariables``) is read only for the names the
                evaluation actually reaches.

        Returns:
            The result as a Python value.

        Raises:
            CelEvaluationError: evaluation failed (missing key, no such overload, an error in a
                variable, a value that cannot be converted…).
        """
        if self._costed is not None:
            values = activation.values if isinstance(activation, Activation) else activation
            if isinstance(activation, Activation) and variables is None:
                variables = activation.variables
            self._check_cost(values, variables)
        if isinstance(activation, Activation) and self.shares(activation):
            return self._evaluate_shared(activation, variables)
        if isinstance(activation, Activation):
            activation = activation.values
        failures: list[CelError] = []
        functions = dict(self._functions)
        if self.variable_names or self.uses_whole_variables:
            functions[VARIABLE] = self._variable_reader(variables, failures)
        values = dict(activation)
        if self.uses_whole_variables:
            values["variables"] = (
                {name: variables[name] for name in variables} if variables is not None else {}
            )
        try:
            return self._execute(values, functions)
        except CelError:
            raise
        except Exception as e:
            if failures:
                raise failures[0] from e
            raise CelEvaluationError(_describe(e), expression=self.source) from e

    def _check_cost(self, values: Mapping[str, Any], variables: Mapping[str, Any] | None) -> None:
        """Refuse to run when the estimated cost on these values exceeds :data:`BUDGET`."""
        tree = self._costed
        assert tree is not None
        cost = guarded(lambda: estimate(tree, values, variables), lambda: float("inf"))
        if cost > BUDGET:
            raise CelCostError(
                f"estimated cost {cost:,.0f} exceeds the budget of {BUDGET:,} "
                "(the API server's per-call limit); not evaluated",
                expression=self.source,
                hint="nest fewer comprehensions over large lists, or build smaller strings; "
                "see docs/limits.md",
            )

    @property
    def functions(self) -> frozenset[str]:
        """The library functions this program calls (for ``Activation(functions=...)``)."""
        return frozenset(self._functions)

    def shares(self, activation: Activation) -> bool:
        """Whether this program can run in ``activation``'s converted context."""
        return not self.uses_whole_variables and self._functions.keys() <= activation.functions

    def _evaluate_shared(self, activation: Activation, variables: Mapping[str, Any] | None) -> Any:
        if variables is not None and variables is not activation.variables:
            activation.variables = variables
        seen = len(activation.failures)
        try:
            return activation.execute(self._program)
        except CelError:
            raise
        except Exception as e:
            if len(activation.failures) > seen:
                raise activation.failures[seen].with_traceback(None) from e
            raise CelEvaluationError(_describe(e), expression=self.source) from e

    def _execute(self, values: dict[str, Any], functions: dict[str, Callable[..., Any]]) -> Any:
        """Run the program; a plain dict is the cheaper context when no function is needed."""
        if not functions:
            try:
                return self._program.execute(values)
            except ValueError as e:
                if "onversion" not in str(e) and "convert" not in str(e):
                    raise
            return self._program.execute(normalize_value(values))
        return self._program.execute(new_context(values, functions))

    def _variable_reader(
        self, variables: Mapping[str, Any] | None, failures: list[CelError]
    ) -> Callable[[str], Any]:
        def read(name: str) -> Any:
            try:
                if variables is None or name not in variables:
                    raise CelEvaluationError(
                        f"undeclared reference to 'variables.{name}'", expression=self.source
                    )
                return variables[name]
            except CelError as e:
                failures.append(e)
                raise

        return read


def _describe(error: Exception) -> str:
    """A one-line reason for a cel-rust exception."""
    text = str(error).strip()
    if isinstance(error, KeyError):
        return f"no such key: {error.args[0] if error.args else text}"
    m = _UNDEFINED.search(text)
    if m:
        return f"undeclared reference to {m.group(1)!r}"
    m = _CALLBACK.search(text)
    if m:
        reason = re.sub(r"^\w+(?:Error|Exception): ", "", m.group(2).strip())
        return f"{m.group(1)}(): {reason}"
    if isinstance(error, TypeError) and text.startswith("No such overload"):
        return "no such overload (CEL does not convert between types)"
    first = text.splitlines()[0] if text else type(error).__name__
    # cel-rust appends advice for the expression author ("CEL does not coerce…"); keep the fact.
    return first.split(". CEL does not", 1)[0]


_CACHE: dict[str, CelProgram | CelError] = {}


def compile_expression(source: str) -> CelProgram:
    """Parse and check ``source`` once; later calls with the same text return the same program.

    Raises:
        CelSyntaxError: the expression does not parse.
        CelUnsupportedError: it calls a function (or uses syntax) this library lacks.
    """
    if not isinstance(source, str):
        raise CelSyntaxError(
            f"expected an expression string, got {type(source).__name__}", expression=repr(source)
        )
    cached = _CACHE.get(source)
    if cached is None:
        try:
            cached = _compile(source)
        except CelError as e:
            cached = e
        _CACHE[source] = cached
    if isinstance(cached, CelError):
        # The same instance is raised on every call: drop the last traceback, or it would grow.
        raise cached.with_traceback(None)
    return cached


def _compile(source: str) -> CelProgram:
    if not isinstance(source, str) or not source.strip():
        raise CelSyntaxError("empty expression", expression=str(source))
    rewritten = rewrite(source)
    try:
        program = cel.compile(rewritten.source)
    except Exception as e:
        first = str(e).split("\n", 1)[0].replace(f"Failed to parse expression '{rewritten.source}': ", "")
        raise CelSyntaxError(first, expression=source) from e
    if _NEEDS_CLUSTER & set(program.variables()):
        raise CelUnsupportedError(sorted(_NEEDS_CLUSTER & set(program.variables()))[0], expression=source)
    used = set(program.functions())
    unknown = sorted(used - _KNOWN)
    if unknown:
        raise CelUnsupportedError(_FEATURE_NAMES.get(unknown[0], unknown[0]), expression=source)
    functions = {name: FUNCTIONS[name] for short in used for name in _BY_SHORT_NAME.get(short, ())}
    try:
        tree = parse(rewritten.source)
    except CelSyntaxError as e:
        # cel-rust parsed it, so this is a gap of generator.cel.parse: never run it unbounded.
        raise CelUnsupportedError(
            "cost estimate", expression=source, reason=f"cannot estimate its cost: {e.reason}"
        ) from e
    costed = tree if guarded(lambda: needs_estimate(tree), lambda: True) else None
    return CelProgram(source, rewritten.variables, rewritten.whole_variables, program, functions, costed)
