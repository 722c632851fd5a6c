"""JMESPath ASTs turned into Python closures, once per expression: the interpreter without its walk.

The ``jmespath`` package evaluates a parsed expression by walking its AST for every document
(``TreeInterpreter.visit``: a dict lookup and a method dispatch per node, per value). Policy
expressions run on every document of a fleet, so ``compile_ast`` builds the walk once: one closure
per node, each doing what the matching ``TreeInterpreter.visit_*`` method does, in the same order,
with the library's own comparison and function-call code. Node types without a closure here
(``slice``, ``expref``, ``value_projection``, ``multi_select_dict`` and any future one) run through
the library's interpreter, so results, errors and their order are the interpreter's. A plain path
of fields (``request.object.metadata.name``) becomes one loop of ``dict.get`` calls.

Pure: never mutates the data; what it returns may share structure with it, as the interpreter's does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jmespath import functions, visitor
from jmespath.visitor import Options, TreeInterpreter

__all__ = ["Evaluator", "Interpreter", "compile_ast"]

Evaluator = Callable[[Any], Any]
_COMPARATORS = TreeInterpreter.COMPARATOR_FUNC
_is_comparable: Callable[[Any], bool] = vars(visitor)["_is_comparable"]
_is_actual_number: Callable[[Any], bool] = vars(visitor)["_is_actual_number"]


def _is_false(value: Any) -> bool:
    # ``TreeInterpreter._is_false``: JMESPath falsiness by equality, not Python truthiness.
    return value in ("", [], {}) or value is None or value is False


class Interpreter(TreeInterpreter):
    """The library's interpreter, with its functions (``Options.custom_functions``) in reach."""

    def __init__(self, options: Options) -> None:
        super().__init__(options)
        self.functions: Any = options.custom_functions or functions.Functions()


def compile_ast(node: Any, interpreter: Interpreter) -> Evaluator:
    """A function of the current value that returns what ``interpreter.visit(node, value)`` does.

    Args:
        node: a parsed JMESPath AST (``jmespath.compile(text).parsed``).
        interpreter: the interpreter (with the custom functions) used for function calls and for
            node types compiled no further.
    """
    build = _BUILDERS.get(node["type"])
    if build is None:
        return lambda value: interpreter.visit(node, value)
    return build(node, interpreter)


def _children(node: Any, interpreter: Interpreter) -> list[Evaluator]:
    return [compile_ast(child, interpreter) for child in node["children"]]


def _field(node: Any, interpreter: Interpreter) -> Evaluator:
    return _path([node["value"]])


def _path(names: list[str]) -> Evaluator:
    def walk(value: Any) -> Any:
        for name in names:
            try:
                value = value.get(name)
            except AttributeError:
                value = None
        return value

    return walk


def _chain(node: Any, interpreter: Interpreter) -> Evaluator:
    """``subexpression``, ``index_expression`` and ``pipe``: each child on the previous result."""
    children = node["children"]
    if node["type"] == "subexpression" and all(c["type"] == "field" for c in children):
        return _path([c["value"] for c in children])
    steps = _children(node, interpreter)

    def chain(value: Any) -> Any:
        for step in steps:
            value = step(value)
        return value

    return chain


def _comparator(node: Any, interpreter: Interpreter) -> Evaluator:
    left, right = _children(node, interpreter)
    compare = _COMPARATORS[node["value"]]
    if node["value"] in ("eq", "ne"):
        return lambda value: compare(left(value), right(value))

    def ordered(value: Any) -> Any:
        a, b = left(value), right(value)
        if not (_is_comparable(a) and _is_comparable(b)):
            return None
        return compare(a, b)

    return ordered


def _current(node: Any, interpreter: Interpreter) -> Evaluator:
    return lambda value: value


def _literal(node: Any, interpreter: Interpreter) -> Evaluator:
    literal = node["value"]
    return lambda value: literal


def _function(node: Any, interpreter: Interpreter) -> Evaluator:
    args = _children(node, interpreter)
    name = node["value"]
    table = interpreter.functions
    call = table.call_function
    checks = _argument_types(table, name, len(args))
    if checks is None:
        return lambda value: call(name, [arg(value) for arg in args])
    function = table.FUNCTION_TABLE[name]["function"]

    def called(value: Any) -> Any:
        resolved = [arg(value) for arg in args]
        for current, allowed in zip(resolved, checks, strict=True):
            if allowed is not None and type(current).__name__ not in allowed:
                return call(name, resolved)  # the library raises its own type error
        return function(table, *resolved)

    return called


def _argument_types(table: Any, name: str, count: int) -> list[frozenset[str] | None] | None:
    """Per argument, the Python type names ``Functions._type_check`` accepts (``None``: any).

    ``None`` overall when the call needs the library's full check: an unknown function, a
    variadic signature, a wrong argument count, or an array subtype (``array-string``), whose
    elements are checked too.
    """
    spec = table.FUNCTION_TABLE.get(name)
    if spec is None:
        return None
    signature = spec["signature"]
    if len(signature) != count or (signature and signature[-1].get("variadic")):
        return None
    checks: list[frozenset[str] | None] = []
    for argument in signature:
        types = argument["types"]
        if not types:
            checks.append(None)
            continue
        allowed, subtypes = table._get_allowed_pytypes(types)
        if subtypes:
            return None
        checks.append(frozenset(allowed))
    return checks


def _filter_projection(node: Any, interpreter: Interpreter) -> Evaluator:
    base_of, project, keep = _children(node, interpreter)
    return _projected(base_of, project, keep)


def _projection(node: Any, interpreter: Interpreter) -> Evaluator:
    base_of, project = _children(node, interpreter)
    return _projected(base_of, project, None)


def _projected(base_of: Evaluator, project: Evaluator, keep: Evaluator | None) -> Evaluator:
    """``project`` over each element of a list base (kept by ``keep``), dropping nulls."""

    def projected(value: Any) -> Any:
        base = base_of(value)
        if not isinstance(base, list):
            return None
        collected = []
        for element in base:
            if keep is not None and _is_false(keep(element)):
                continue
            current = project(element)
            if current is not None:
                collected.append(current)
        return collected

    return projected


def _flatten(node: Any, interpreter: Interpreter) -> Evaluator:
    (base_of,) = _children(node, interpreter)

    def flattened(value: Any) -> Any:
        base = base_of(value)
        if not isinstance(base, list):
            return None
        merged: list[Any] = []
        for element in base:
            if isinstance(element, list):
                merged.extend(element)
            else:
                merged.append(element)
        return merged

    return flattened


def _index(node: Any, interpreter: Interpreter) -> Evaluator:
    position = node["value"]

    def indexed(value: Any) -> Any:
        if not isinstance(value, list):
            return None
        try:
            return value[position]
        except IndexError:
            return None

    return indexed


def _multi_select_list(node: Any, interpreter: Interpreter) -> Evaluator:
    items = _children(node, interpreter)
    return lambda value: None if value is None else [item(value) for item in items]


def _or(node: Any, interpreter: Interpreter) -> Evaluator:
    left, right = _children(node, interpreter)

    def either(value: Any) -> Any:
        matched = left(value)
        return right(value) if _is_false(matched) else matched

    return either


def _and(node: Any, interpreter: Interpreter) -> Evaluator:
    left, right = _children(node, interpreter)

    def both(value: Any) -> Any:
        matched = left(value)
        return matched if _is_false(matched) else right(value)

    return both


def _not(node: Any, interpreter: Interpreter) -> Evaluator:
    (operand,) = _children(node, interpreter)

    def negated(value: Any) -> Any:
        original = operand(value)
        if _is_actual_number(original) and original == 0:
            return False  # JMESPath: !0 is false (0 is not falsy)
        return not original

    return negated


_BUILDERS: dict[str, Callable[[Any, Interpreter], Evaluator]] = {
    "and_expression": _and,
    "comparator": _comparator,
    "current": _current,
    "field": _field,
    "filter_projection": _filter_projection,
    "flatten": _flatten,
    "function_expression": _function,
    "identity": _current,
    "index": _index,
    "index_expression": _chain,
    "literal": _literal,
    "multi_select_list": _multi_select_list,
    "not_expression": _not,
    "or_expression": _or,
    "pipe": _chain,
    "projection": _projection,
    "subexpression": _chain,
}
