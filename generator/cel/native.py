"""Names cel-rust (``common-expression-language`` 0.10.0) evaluates natively, without our library.

``Program.functions()`` reports every function and operator an expression calls. A name that
is neither here nor in ``generator.cel.library.FUNCTIONS`` cannot be evaluated, so compiling
reports it at once (``CelUnsupportedError``) instead of failing on the first document that
reaches it. ``tests/cel/test_native.py`` probes each name against the package, so this list
cannot drift from the pinned version silently.
"""

from __future__ import annotations

__all__ = ["NATIVE_FUNCTIONS", "NATIVE_OPERATORS"]

NATIVE_OPERATORS = frozenset(
    {
        "_+_", "_-_", "_*_", "_/_", "_%_", "-_", "!_", "_&&_", "_||_", "_==_", "_!=_",
        "_<_", "_<=_", "_>_", "_>=_", "_?_:_", "@in", "@not_strictly_false", "_[_]",
    }
)  # fmt: skip
"""Operator overload identifiers (macros such as ``all``, ``exists``, ``map`` expand into these)."""

NATIVE_FUNCTIONS = frozenset(
    {
        # core
        "size", "contains", "startsWith", "endsWith", "matches",
        "int", "uint", "double", "string", "bytes", "dyn", "type", "timestamp", "duration",
        # timestamp and duration accessors (UTC only; the time-zone overloads are ours)
        "getFullYear", "getMonth", "getDayOfYear", "getDayOfMonth", "getDate", "getDayOfWeek",
        "getHours", "getMinutes", "getSeconds", "getMilliseconds",
        # optional values (``optional.of`` reports as ``of``)
        "of", "none", "ofNonZeroValue", "hasValue", "value", "orValue", "or",
    }
)  # fmt: skip
"""Named functions and methods cel-rust implements itself."""
