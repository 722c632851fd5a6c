"""Lazily composited variables (``variables.<name>``), as Kubernetes and Kyverno evaluate them.

ValidatingAdmissionPolicy and Kyverno ``validate.cel`` declare ``variables: [{name, expression}]``;
each may read the request (``object``…) and earlier variables. They are evaluated only when an
expression reaches them, at most once per admission request, and an error in one surfaces
only where it is used (k8s.io/apiserver/pkg/cel/environment "composition").
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from generator.cel.activation import Activation
from generator.cel.errors import CelError, CelEvaluationError
from generator.cel.program import CelProgram

__all__ = ["LazyVariables"]

_PENDING = object()


class LazyVariables(Mapping[str, Any]):
    """A read-only mapping whose values are CEL programs evaluated on first access.

    Args:
        definitions: ``(name, program)`` in declaration order. A ``CelError`` in place of a
            program (the variable did not compile) is raised when the variable is read, as
            Kubernetes reports a broken variable only where it is used.
        activation: the top-level names the programs see (``object``, ``request``…).
    """

    def __init__(
        self,
        definitions: Sequence[tuple[str, CelProgram | CelError]],
        activation: Mapping[str, Any] | Activation,
    ) -> None:
        self._programs = dict(definitions)
        self._activation = activation
        self._values: dict[str, Any] = {}
        self._errors: dict[str, CelError] = {}

    def __getitem__(self, name: str) -> Any:
        if name in self._errors:
            raise self._errors[name].with_traceback(None)
        if name in self._values:
            value = self._values[name]
            if value is _PENDING:
                raise CelEvaluationError(
                    f"variable {name!r} refers to itself", expression=f"variables.{name}"
                )
            return value
        program = self._programs[name]  # KeyError for an unknown name, as Mapping requires
        if isinstance(program, CelError):
            raise program.with_traceback(None)
        self._values[name] = _PENDING
        try:
            value = program.evaluate(self._activation, variables=self)
        except CelError as e:
            del self._values[name]
            self._errors[name] = e
            raise
        self._values[name] = value
        return value

    def __contains__(self, name: object) -> bool:
        # Mapping's default would evaluate the variable (and raise its error) just to test it.
        return name in self._programs

    def __iter__(self) -> Iterator[str]:
        return iter(self._programs)

    def __len__(self) -> int:
        return len(self._programs)
