"""A parser for plain CEL (the text cel-rust runs, after ``generator.cel.syntax``): source → tree.

cel-rust parses and evaluates in Rust and exposes no syntax tree, yet the cost budget
(``generator.cel.cost``) must see the comprehensions and operators of an expression before it
runs. This is the CEL grammar of the language definition (cel-spec ``doc/langdef.md``, "Syntax"),
precedence climbing over a regex tokenizer; macros stay calls (``x.all(v, p)`` is a ``Call``
whose first argument is the ``Ident`` ``v``), as the cost model tells them apart.

Pure functions; nothing is evaluated.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from generator.cel.errors import CelSyntaxError

__all__ = [
    "MAX_DEPTH",
    "Call",
    "Ident",
    "ListLit",
    "Literal",
    "MapLit",
    "Node",
    "Select",
    "deep_recursion",
    "guarded",
    "literal_size",
    "parse",
]

MAX_DEPTH = 250
"""Nesting limit (cel-go's default parser recursion limit); ``cel.bind`` uses three a level."""

_STACK = 20 * MAX_DEPTH + 2000
"""Python frames the parser and the estimator may need for :data:`MAX_DEPTH` levels."""

T = TypeVar("T")


@contextmanager
def deep_recursion() -> Iterator[None]:
    """Allow the recursion a tree of :data:`MAX_DEPTH` levels needs (Python 3.11+ frames are cheap)."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, _STACK))
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def guarded(fn: Callable[[], T], on_overflow: Callable[[], T]) -> T:
    """``fn()`` with :func:`deep_recursion`; ``on_overflow()`` if it still runs out of stack."""
    try:
        with deep_recursion():
            return fn()
    except RecursionError:
        return on_overflow()


@dataclass(frozen=True, slots=True)
class Literal:
    """A constant; ``value`` is the int/float/bool/None value, or the text for strings and bytes."""

    value: object


@dataclass(frozen=True, slots=True)
class Ident:
    """A name (``self``, ``object``, a comprehension variable)."""

    name: str


@dataclass(frozen=True, slots=True)
class Select:
    """``operand.field`` (``has(x.f)`` is a ``Call`` of ``has`` around one)."""

    operand: Node
    field: str


@dataclass(frozen=True, slots=True)
class Call:
    """A function, method or operator call; operators use cel-go's names (``_+_``, ``_[_]``…)."""

    function: str
    target: Node | None
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class ListLit:
    """``[a, b]``."""

    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class MapLit:
    """``{k: v}`` and message literals ``T{f: v}`` alike (keys of the latter are field names)."""

    entries: tuple[tuple[Node, Node], ...]


Node = Literal | Ident | Select | Call | ListLit | MapLit

_TOKEN = re.compile(
    r"""
    (?P<space>\s+|//[^\n]*)
  | (?P<string>(?:[rR][bB]?|[bB][rR]?)?(?:\"\"\"[\s\S]*?(?<!\\)\"\"\"|'''[\s\S]*?(?<!\\)'''
        |"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'))
  | (?P<number>0[xX][0-9a-fA-F]+[uU]?|\d*\.\d+(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+|\d+[uU]?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\|\||&&|==|!=|<=|>=|[-+*/%!<>?:.,()\[\]{}])
    """,
    re.VERBOSE,
)

_BINARY: dict[str, tuple[int, str]] = {
    "||": (1, "_||_"),
    "&&": (2, "_&&_"),
    "==": (3, "_==_"),
    "!=": (3, "_!=_"),
    "<": (3, "_<_"),
    "<=": (3, "_<=_"),
    ">": (3, "_>_"),
    ">=": (3, "_>=_"),
    "in": (3, "@in"),
    "+": (4, "_+_"),
    "-": (4, "_-_"),
    "*": (5, "_*_"),
    "/": (5, "_/_"),
    "%": (5, "_%_"),
}


def _tokens(source: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(source):
        m = _TOKEN.match(source, pos)
        if m is None:
            raise CelSyntaxError(f"unexpected character {source[pos]!r} at {pos}", expression=source)
        kind = m.lastgroup or ""
        if kind != "space":
            out.append((kind, m.group()))
        pos = m.end()
    out.append(("end", ""))
    return out


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = _tokens(source)
        self.pos = 0
        self.depth = 0

    def fail(self, what: str) -> CelSyntaxError:
        kind, text = self.tokens[self.pos]
        return CelSyntaxError(f"{what}, got {text or kind!r}", expression=self.source)

    def peek(self) -> str:
        return self.tokens[self.pos][1]

    def take(self, text: str | None = None) -> tuple[str, str]:
        token = self.tokens[self.pos]
        if text is not None and token[1] != text:
            raise self.fail(f"expected {text!r}")
        self.pos += 1
        return token

    def nest(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise CelSyntaxError(f"nesting deeper than {MAX_DEPTH}", expression=self.source)

    def expr(self) -> Node:
        self.nest()
        condition = self.binary(1)
        if self.peek() == "?":
            self.take()
            then = self.binary(1)
            self.take(":")
            condition = Call("_?_:_", None, (condition, then, self.expr()))
        self.depth -= 1
        return condition

    def binary(self, level: int) -> Node:
        start = self.depth
        left = self.unary()
        while True:
            kind, text = self.tokens[self.pos]
            op = _BINARY.get(text) if kind in ("op", "ident") else None
            if op is None or op[0] < level:
                self.depth = start
                return left
            self.take()
            self.nest()  # a long chain nests the tree as deep as it is long
            left = Call(op[1], None, (left, self.binary(op[0] + 1)))

    def unary(self) -> Node:
        if self.peek() in ("!", "-"):
            op = self.take()[1]
            self.nest()
            operand = self.unary()
            self.depth -= 1
            if op == "-" and isinstance(operand, Literal) and isinstance(operand.value, int | float):
                return Literal(-operand.value)
            return Call("!_" if op == "!" else "-_", None, (operand,))
        return self.member(self.primary())

    def member(self, node: Node) -> Node:
        while True:
            text = self.peek()
            if text == ".":
                self.take()
                kind, name = self.take()
                if kind != "ident":
                    self.pos -= 1
                    raise self.fail("expected a field name")
                if self.peek() == "(":
                    node = Call(name, node, self.arguments(")"))
                elif self.peek() == "{" and _qualified(node):
                    node = self.message()
                else:
                    node = Select(node, name)
            elif text == "[":
                self.take()
                node = Call("_[_]", None, (node, self.expr()))
                self.take("]")
            else:
                return node

    def arguments(self, closer: str) -> tuple[Node, ...]:
        self.take()
        args: list[Node] = []
        while self.peek() != closer:
            args.append(self.expr())
            if self.peek() != ",":
                break
            self.take()
        self.take(closer)
        return tuple(args)

    def message(self) -> Node:
        self.take("{")
        entries: list[tuple[Node, Node]] = []
        while self.peek() != "}":
            kind, name = self.take()
            if kind != "ident":
                self.pos -= 1
                raise self.fail("expected a field name")
            self.take(":")
            entries.append((Literal(name), self.expr()))
            if self.peek() != ",":
                break
            self.take()
        self.take("}")
        return MapLit(tuple(entries))

    def primary(self) -> Node:
        kind, text = self.take()
        if kind == "string":
            return Literal(text)
        if kind == "number":
            return Literal(_number(text))
        if kind == "ident":
            if text in ("true", "false", "null"):
                return Literal({"true": True, "false": False, "null": None}[text])
            if self.peek() == "(":
                return Call(text, None, self.arguments(")"))
            if self.peek() == "{":
                return self.message()
            return Ident(text)
        if text == ".":  # a leading dot: a name from the root scope
            return self.primary()
        if text == "(":
            inner = self.expr()
            self.take(")")
            return inner
        if text == "[":
            self.pos -= 1
            return ListLit(self.arguments("]"))
        if text == "{":
            entries: list[tuple[Node, Node]] = []
            while self.peek() != "}":
                key = self.expr()
                self.take(":")
                entries.append((key, self.expr()))
                if self.peek() != ",":
                    break
                self.take()
            self.take("}")
            return MapLit(tuple(entries))
        self.pos -= 1
        raise self.fail("expected an operand")


def _qualified(node: Node) -> bool:
    """A dotted name (``google.protobuf.Duration``) that may open a message literal."""
    while isinstance(node, Select):
        node = node.operand
    return isinstance(node, Ident)


def _number(text: str) -> int | float:
    digits = text.rstrip("uU")
    if digits[:2] in ("0x", "0X"):
        return int(digits, 16)
    if any(c in digits for c in ".eE"):
        return float(digits)
    return int(digits)


def literal_size(text: str) -> int:
    """The length of a string or bytes literal's value, at most (its source length, unquoted)."""
    body = text.lstrip("rRbB")
    quotes = 3 if body[:3] in ('"""', "'''") else 1
    return max(0, len(body) - 2 * quotes)


def parse(source: str) -> Node:
    """The syntax tree of ``source`` (plain CEL: no optional syntax, no ``cel.bind``).

    Raises:
        CelSyntaxError: it does not parse, or nests deeper than :data:`MAX_DEPTH`.
    """
    parser = _Parser(source)

    def overflow() -> Node:
        raise CelSyntaxError("nested too deeply", expression=source)

    node = guarded(parser.expr, overflow)
    if parser.tokens[parser.pos][0] != "end":
        raise parser.fail("expected the end of the expression")
    return node
