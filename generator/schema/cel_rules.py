"""CEL ``x-kubernetes-validations`` rules → checks the plan walk runs at the rule's node.

Each rule is compiled once per kind. At its node, ``self`` is the (defaulted) value there; a rule
that yields ``false`` is a violation with its ``message`` (or its evaluated ``messageExpression``,
or ``failed rule: <rule>`` as the API server says), at ``fieldPath`` when given. Transition rules
(using ``oldSelf``) are skipped, as on create. Nothing is ever counted as passed that was not:
a rule that fails at run time or yields a non-boolean is an error, as the API server makes it; a
rule our CEL library cannot compile is reported as not checked (a warning, an error under
``--strict``).

The Kubernetes CEL functions come from the shared library ``generator.cel``; this module adds
nothing to the language.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from generator.schema import celenv

__all__ = ["EVALUATION_ERROR", "NOT_COMPILED", "compile_rule", "parse_field_path"]

NOT_COMPILED = "CEL rule could not be compiled, so it was not checked"
"""Message prefix of a rule the CEL library cannot compile (counted as ``cel_unevaluated``)."""
EVALUATION_ERROR = "CEL rule evaluation error"
"""Message prefix of a rule that failed at run time (an error, as the API server makes it)."""

Path = tuple[str | int, ...]
Check = Callable[[Any], Iterator[tuple[Path, str, str, bool]]]
_OLD_SELF = re.compile(r"\boldSelf\b")
_FIELD_PATH = re.compile(r"\.([A-Za-z_$][\w$-]*)|\[\s*'((?:[^'\\]|\\.)*)'\s*\]|\[(\d+)\]")


def parse_field_path(field_path: str) -> Path:
    """``.spec.ports[0]`` / ``['a.b']`` → path parts; raises ValueError on anything else."""
    out: list[str | int] = []
    pos = 0
    while pos < len(field_path):
        m = _FIELD_PATH.match(field_path, pos)
        if m is None:
            raise ValueError(f"unsupported fieldPath {field_path!r}")
        if m.group(1) is not None:
            out.append(m.group(1))
        elif m.group(2) is not None:
            out.append(m.group(2).replace("\\'", "'"))
        else:
            out.append(int(m.group(3)))
        pos = m.end()
    return tuple(out)


def compile_rule(rule: Mapping[str, Any], schema: Mapping[str, Any]) -> Check | None:
    """A check for one ``x-kubernetes-validations`` entry, or ``None`` for a transition rule."""
    text = str(rule.get("rule", ""))
    if _OLD_SELF.search(text):
        return None
    name = f"cel: {text}"
    message = rule.get("message")
    message_expr = rule.get("messageExpression")
    try:
        rel = parse_field_path(str(rule["fieldPath"])) if rule.get("fieldPath") else ()
    except ValueError:
        rel = ()
    try:
        program = celenv.compile_expression(text)
    except Exception as e:  # the library raises several types; any of them means "cannot compile"
        reason = f"{NOT_COMPILED}: {e}"

        def not_compiled(_: Any) -> Iterator[tuple[Path, str, str, bool]]:
            yield (), name, reason, True

        return not_compiled
    message_program = None
    if isinstance(message_expr, str) and message_expr:
        try:
            message_program = celenv.compile_expression(message_expr)
        except Exception:
            message_program = None
    convert = celenv.converter(schema)
    fallback = str(message) if message else f"failed rule: {text}"

    def evaluate(value: Any) -> Iterator[tuple[Path, str, str, bool]]:
        try:
            result = celenv.execute(program, value, convert)
        except Exception as e:
            # The API server rejects an object whose rule fails at run time (no such key, a bad
            # duration string...), so this is an error, not a skipped rule.
            yield (), name, f"{EVALUATION_ERROR}: {e}", False
            return
        if result is True:
            return
        if result is not False:
            yield (), name, f"{EVALUATION_ERROR}: rule returned {result!r}, not a boolean", False
            return
        shown = fallback
        if message_program is not None:
            try:
                evaluated = celenv.execute(message_program, value, convert)
                if isinstance(evaluated, str) and evaluated.strip():
                    shown = evaluated
            except Exception:
                shown = fallback
        yield rel, name, shown, False

    return _memoized(evaluate)


#: Results kept per rule; a fleet repeats few distinct values at each rule's node (7,848 evaluations
#: of 705 distinct values at 200 services), and each costs 15-50 us of CEL plus a cost estimate.
MEMO_SIZE = 512
#: Characters of keys kept per rule (a rule on a whole large object must not hold many copies of it).
MEMO_CHARS = 1 << 20


def _memoized(evaluate: Check) -> Check:
    """``evaluate`` with its results remembered by ``repr(value)``.

    A rule's outcome depends on ``self`` alone (CEL is pure; the cost estimate and the schema's
    type conversion read only the value), and ``repr`` of YAML data (dicts, lists, str, int,
    float, bool, None, dates, bytes) tells apart every two values that differ, in type, order or
    content; equal values may still miss (``{a, b}`` and ``{b, a}``), which only costs time. The
    memo is dropped whole when full (``MEMO_SIZE`` entries or ``MEMO_CHARS`` of keys), so memory
    stays bounded.
    """
    memo: dict[str, tuple[tuple[Path, str, str, bool], ...]] = {}
    chars = 0

    def check(value: Any) -> Iterator[tuple[Path, str, str, bool]]:
        nonlocal chars
        key = repr(value)
        found = memo.get(key)
        if found is None:
            found = tuple(evaluate(value))
            if len(memo) >= MEMO_SIZE or chars + len(key) > MEMO_CHARS:
                memo.clear()
                chars = 0
            memo[key] = found
            chars += len(key)
        return iter(found)

    return check
