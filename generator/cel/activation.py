"""Activations: the top-level names of an evaluation, converted to CEL once and shared.

Converting a Python value into cel-rust values is most of the cost of an evaluation (~80 µs
for a small Pod against ~7 µs to run a typical rule). A Kyverno rule evaluates several
expressions, variables and preconditions over the same ``object``; a CRD node often carries
several rules over the same ``self``. An :class:`Activation` converts once and every program
evaluated with it reuses the converted context.

It carries the function library (all of it, or what the given programs need: registering
~120 Python functions costs about a third of converting a small Pod) and one ``_variable``
dispatcher that reads ``activation.variables`` when called, so nested evaluations (a lazy
variable evaluated while another expression runs) never mutate the context that cel-rust is
executing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

import cel

from generator.cel.errors import CelError, CelEvaluationError
from generator.cel.library import FUNCTIONS
from generator.cel.syntax import VARIABLE

__all__ = ["Activation", "new_context", "normalize_value"]


def normalize_value(value: Any) -> Any:
    """Turn a loaded YAML/JSON value into one cel-rust can convert, as the API server sees it.

    ``date`` becomes its ISO text (Kubernetes objects carry strings, never dates); tuples and
    sets become lists; other mappings become dicts with keys as given.
    """
    if isinstance(value, bool | int | float | str | bytes | timedelta | datetime) or value is None:
        return value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {_normalize_key(k): normalize_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [normalize_value(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(normalize_value(v) for v in value)
    if isinstance(value, cel.OptionalValue):
        return value
    raise CelEvaluationError(f"cannot pass a {type(value).__name__} value to CEL", expression="")


def _normalize_key(key: Any) -> Any:
    if isinstance(key, bool | int | str):
        return key
    if isinstance(key, date):
        return key.isoformat()
    return str(key)


def new_context(values: Mapping[str, Any], functions: Mapping[str, Any]) -> Any:
    """A ``cel.Context``; values cel-rust cannot convert are normalised first."""
    try:
        return cel.Context(dict(values), dict(functions))
    except ValueError as e:
        if "onversion" not in str(e) and "convert" not in str(e):
            raise
    return cel.Context(normalize_value(dict(values)), dict(functions))


class Activation:
    """Top-level names (``self``, ``object``, ``request``…) converted to CEL once.

    Args:
        values: the names and their Python values.
        variables: what ``variables.<name>`` reads (a mapping or ``LazyVariables``); may be
            assigned later, e.g. once a ``LazyVariables`` over this activation exists.
        functions: register only these library functions (``CelProgram.functions`` of the
            programs to run); None registers the whole library. A program needing another one
            still evaluates, on the slower per-call path.
    """

    __slots__ = ("_context", "failures", "functions", "values", "variables")

    def __init__(
        self,
        values: Mapping[str, Any],
        variables: Mapping[str, Any] | None = None,
        *,
        functions: Iterable[str] | None = None,
    ) -> None:
        self.values = dict(values)
        self.variables = variables
        self.failures: list[CelError] = []
        """Errors raised inside ``variables.<name>`` reads, kept to report the cause."""
        names = FUNCTIONS.keys() if functions is None else set(functions) & FUNCTIONS.keys()
        self.functions = frozenset(names)
        """The library functions registered on this activation's context."""
        registered = {name: FUNCTIONS[name] for name in names}
        self._context = new_context(self.values, {**registered, VARIABLE: self._read_variable})

    def _read_variable(self, name: str) -> Any:
        variables = self.variables
        if variables is None or name not in variables:
            self.failures.append(
                CelEvaluationError(
                    f"undeclared reference to 'variables.{name}'", expression=f"variables.{name}"
                )
            )
            raise KeyError(name)
        try:
            return variables[name]
        except CelError as e:
            self.failures.append(e)
            raise

    def execute(self, program: Any) -> Any:
        """Run a compiled cel-rust program in this activation's context."""
        return program.execute(self._context)
