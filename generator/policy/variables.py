"""``{{ }}`` variables and JMESPath queries over the policy context (upstream ``pkg/engine/variables``).

``substitute(node, ctx, lenient=...)`` returns a copy of a pattern/condition/message with every
``{{ expr }}`` replaced (innermost first, until none is left). A whole-string variable keeps the
query's type; inside a longer string the value is written as text (JSON for non-strings), as
upstream does. In strict mode (patterns, messages) a path that does not exist is an error, as with
Kyverno's JMESPath fork; in lenient mode (preconditions, deny conditions) it is ``null``.
Expressions are parsed and compiled to Python closures once (``jp_compile``) and cached. Never
mutates its input.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import jmespath
from jmespath import exceptions as jp_exceptions
from jmespath.parser import ParsedResult

from generator.policy.jp_compile import Evaluator, Interpreter, compile_ast
from generator.policy.jp_functions import KyvernoFunctions

__all__ = [
    "VARIABLE_PATTERN",
    "VariableError",
    "compile_error",
    "forget",
    "has_variables",
    "query",
    "remember",
    "set_path",
    "split_path",
    "substitute",
]

_VARIABLE = re.compile(r"(^|[^\\])(\{\{(?:\{[^{}]*\}|[^{}])*\}\})")
VARIABLE_PATTERN = _VARIABLE
"""``{{ expr }}`` (not escaped); group 2 is the whole variable."""
_SIMPLE_PATH = re.compile(
    r'^\s*(?:[A-Za-z_][\w-]*|"(?:[^"\\]|\\.)*")(?:\s*\.\s*(?:[A-Za-z_][\w-]*|"(?:[^"\\]|\\.)*"))*\s*$'
)
_OPTIONS = jmespath.Options(custom_functions=KyvernoFunctions())
_INTERPRETER = Interpreter(_OPTIONS)


class VariableError(ValueError):
    """A variable could not be resolved (unknown path, JMESPath error); becomes a rule ``error``.

    ``missing`` marks an unknown path, which lenient substitution (conditions) reads as ``null``;
    any other failure (an unknown function, a regex that does not compile, a type error) is an
    error everywhere, so a broken condition never passes.
    """

    def __init__(self, message: str, *, missing: bool = False) -> None:
        super().__init__(message)
        self.missing = missing


#: Deepest bracket nesting and longest text of a JMESPath expression: the parser and the compiled
#: closures recurse per level, and no real policy nests beyond a handful.
MAX_EXPRESSION_DEPTH = 64
MAX_EXPRESSION_LENGTH = 16_384


@lru_cache(maxsize=4096)
def _compile(expression: str) -> ParsedResult:
    depth = deepest = 0
    for ch in expression:
        if ch in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in ")]}":
            depth -= 1
    if deepest > MAX_EXPRESSION_DEPTH or len(expression) > MAX_EXPRESSION_LENGTH:
        raise jp_exceptions.JMESPathError(
            f"expression too deep or too long (at most {MAX_EXPRESSION_DEPTH} levels, "
            f"{MAX_EXPRESSION_LENGTH} characters)"
        )
    try:
        return jmespath.compile(expression)
    except RecursionError:
        raise jp_exceptions.JMESPathError("expression nests too deeply") from None


@lru_cache(maxsize=4096)
def _evaluator(expression: str) -> Evaluator:
    """``expression`` parsed and compiled to closures once (``jp_compile``).

    Same results as ``_compile(expression).search(data, options=_OPTIONS)``, without walking the
    AST for every document.
    """
    try:
        return compile_ast(_compile(expression).parsed, _INTERPRETER)
    except RecursionError:
        raise jp_exceptions.JMESPathError("expression nests too deeply") from None


def _normalize(expression: str) -> str:
    text = expression.strip()
    if text.startswith("@") and text != "@":
        text = text[1:].lstrip(".")
    return text


def compile_error(expression: str) -> str | None:
    """Why ``expression`` is not valid JMESPath, or ``None`` when it compiles."""
    try:
        _compile(_normalize(expression))
    except jp_exceptions.JMESPathError as e:
        return str(e).splitlines()[0]
    return None


def has_variables(node: Any) -> bool:
    """True when ``node`` (any JSON value) contains a ``{{ }}`` variable anywhere."""
    if isinstance(node, str):
        return "{{" in node
    if isinstance(node, dict):
        return any(has_variables(k) or has_variables(v) for k, v in node.items())
    if isinstance(node, list):
        return any(has_variables(v) for v in node)
    return False


def _missing(expression: str, data: Any) -> bool:
    """Does a plain dotted path step into a map that lacks the key? (the fork's ``Unknown key``)."""
    if not _SIMPLE_PATH.match(expression):
        return False
    current = data
    for raw in split_path(expression):
        if not isinstance(current, dict):
            return current is not None and not isinstance(current, dict)
        if raw not in current:
            return True
        current = current[raw]
    return False


_MEMO: list[Any] = [None, {}]
"""Results of queries over one shared, read-only context: ``[context, {(text, strict): result}]``."""


def remember(context: Mapping[str, Any]) -> None:
    """Memoize queries over ``context`` from now on (the engine's per-document base context).

    The caller promises not to mutate ``context`` while it is remembered; rules that add context
    entries work on copies, which are not memoized.
    """
    if _MEMO[0] is not context:
        _MEMO[0] = context
        _MEMO[1] = {}


def forget() -> None:
    """Drop the memo (a new evaluation starts; the remembered context may have changed)."""
    _MEMO[0] = None
    _MEMO[1] = {}


def query(expression: str, data: Any, *, strict: bool = True) -> Any:
    """Evaluate a JMESPath ``expression`` over the context ``data`` with Kyverno's functions.

    Raises:
        VariableError: the expression does not parse, fails, or (``strict``) names a missing path.
    """
    if data is _MEMO[0]:
        memo: dict[tuple[str, bool], Any] = _MEMO[1]
        key = (expression, strict)
        if key in memo:
            found = memo[key]
            if isinstance(found, VariableError):
                raise found
            return found
        try:
            memo[key] = _query(expression, data, strict)
        except VariableError as e:
            memo[key] = e
            raise
        return memo[key]
    return _query(expression, data, strict)


def _query(expression: str, data: Any, strict: bool) -> Any:
    text = _normalize(expression)
    try:
        result = _evaluator(text)(data)
    except (jp_exceptions.JMESPathError, ValueError, TypeError, ArithmeticError, KeyError) as e:
        raise VariableError(f"failed to evaluate {expression.strip()!r}: {e}") from e
    if result is None and strict and _missing(text, data):
        raise VariableError(
            f"variable {expression.strip()!r} not found (unknown key in the context)", missing=True
        )
    return result


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))


@lru_cache(maxsize=4096)
def _whole_variable(text: str) -> str | None:
    """The expression of ``text`` when ``text`` is exactly one ``{{ }}`` variable, else ``None``.

    Conditions and values are mostly one whole variable (``'{{ length(...) }}'``); knowing it per
    string spares the variable regex a search per document.
    """
    m = _VARIABLE.search(text)
    return m.group(2)[2:-2] if m is not None and m.group(2) == text else None


def _substitute_string(text: str, ctx: Mapping[str, Any], lenient: bool) -> Any:
    whole = _whole_variable(text)
    if whole is not None:  # the loop below would return this on its first turn
        try:
            return query(whole, ctx, strict=True)
        except VariableError as e:
            if not lenient or not e.missing:
                raise
            return None
    for _ in range(32):  # nested variables resolve innermost first; a bound guards against loops
        m = _VARIABLE.search(text)
        if m is None:
            break
        whole = m.group(2)
        expression = whole[2:-2]
        try:
            value = query(expression, ctx, strict=True)
        except VariableError as e:
            if not lenient or not e.missing:
                raise
            value = None
        if whole == text:
            return value
        start = m.start(2)
        text = text[:start] + _as_text(value) + text[m.end(2) :]
    return text.replace("\\{{", "{{")


_HAS_VARIABLES: dict[int, tuple[Any, bool]] = {}


def _cached_has_variables(node: Any) -> bool:
    """``has_variables`` remembered per object: rule patterns are the same objects on every document."""
    cached = _HAS_VARIABLES.get(id(node))
    if cached is not None and cached[0] is node:
        return cached[1]
    found = has_variables(node)
    if len(_HAS_VARIABLES) > 100_000:
        _HAS_VARIABLES.clear()
    _HAS_VARIABLES[id(node)] = (node, found)
    return found


def substitute(node: Any, ctx: Mapping[str, Any], *, lenient: bool = False) -> Any:
    """Copy of ``node`` with every ``{{ expr }}`` replaced by its value in ``ctx``.

    A node without variables is returned as is (not copied): callers never mutate patterns.

    Raises:
        VariableError: strict mode and a variable cannot be resolved.
    """
    if isinstance(node, (dict, list)) and not _cached_has_variables(node):
        return node
    return _substitute(node, ctx, lenient)


def _substitute(node: Any, ctx: Mapping[str, Any], lenient: bool) -> Any:
    if isinstance(node, str):
        return _substitute_string(node, ctx, lenient) if "{{" in node else node
    if isinstance(node, dict):
        return {
            (_as_text(substitute(k, ctx, lenient=lenient)) if "{{" in k else k): substitute(
                v, ctx, lenient=lenient
            )
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [substitute(v, ctx, lenient=lenient) for v in node]
    return node


def split_path(path: str) -> list[str]:
    """``request.object.metadata.annotations."a/b"`` → ``[request, object, metadata, annotations, a/b]``."""
    parts: list[str] = []
    buf = ""
    quoted = False
    i = 0
    while i < len(path):
        ch = path[i]
        if ch == "\\" and quoted and i + 1 < len(path):
            buf += path[i + 1]
            i += 2
            continue
        if ch == '"':
            quoted = not quoted
        elif ch == "." and not quoted:
            parts.append(buf.strip())
            buf = ""
        else:
            buf += ch
        i += 1
    parts.append(buf.strip())
    return [p for p in parts if p != ""]


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Set a dotted variable path (as a Values file writes it) inside ``data``, creating maps."""
    parts = split_path(path)
    current = data
    for part in parts[:-1]:
        nxt = current.get(part)
        if not isinstance(nxt, dict):
            nxt = {}
            current[part] = nxt
        current = nxt
    if parts:
        current[parts[-1]] = value
