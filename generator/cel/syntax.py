"""Source rewriting: the CEL syntax the Rust parser lacks, turned into plain function calls.

``common-expression-language`` (cel-rust) parses the CEL core grammar but rejects the
*optional* field and index syntax that Kubernetes and Kyverno CEL use constantly
(``object.metadata.?labels[?'app'].orValue('')``). Its evaluator does have optional values
(``optional.of``, ``.orValue``, ``.hasValue``…), so a lexical rewrite is enough:

* An optional chain that ends in ``.orValue(d)`` or ``.hasValue()`` (every one in the
  Kyverno corpus does) becomes native CEL, with no Python callback on the way:
  ``r.?a[?k].orValue(d)`` → ``((has(r.a) && <k present in r.a>) ? r.a[k] : d)``, where "k
  present" is ``k in m`` for a map and a bounds check for a list. This matters for speed: a
  callback receives its receiver converted to Python (``object.?spec`` would copy the spec).
* Any other ``x.?name`` → ``x._opt_field('name')`` and ``x[?key]`` → ``x._opt_index(key)``
  (``generator.cel.library.optional``), which return real optional values.
* ``variables.name`` → ``_variable('name')`` so that Kyverno/ValidatingAdmissionPolicy
  variables are evaluated lazily, only when reached (composition semantics: an erroring
  variable behind a short-circuited ``&&`` is never evaluated).

The rewrite walks tokens, so string literals and comments are never touched. Optional entries
in list and map literals (``[?x]``, ``{?'k': v}``) are reported as unsupported.

Pure functions; no CEL evaluation here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from generator.cel import macros
from generator.cel.errors import CelSyntaxError, CelUnsupportedError
from generator.cel.library.maps import MERGE_MAPS
from generator.cel.macros import METHOD_MACROS

__all__ = ["OPT_FIELD", "OPT_INDEX", "VARIABLE", "Rewritten", "rewrite"]

OPT_FIELD = "_opt_field"
"""Name of the function standing in for ``.?name``."""
OPT_INDEX = "_opt_index"
"""Name of the function standing in for ``[?key]``."""
VARIABLE = "_variable"
"""Name of the function standing in for ``variables.name``."""

_IDENT_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_IDENT_CHARS = _IDENT_START | frozenset("0123456789")
_STRING_PREFIX = frozenset("rRbB")


@dataclass(frozen=True, slots=True)
class Rewritten:
    """The result of :func:`rewrite`."""

    source: str
    """The expression as given to the Rust parser."""
    variables: frozenset[str]
    """Names used as ``variables.<name>`` (rewritten into lazy look-ups)."""
    whole_variables: bool
    """``variables`` is also used as a value of its own (not only ``variables.<name>``)."""


def _string_end(src: str, start: int) -> int:
    """Index just past the string literal starting at ``start`` (prefix letters included)."""
    i = start
    raw = False
    while src[i] in _STRING_PREFIX:
        raw = raw or src[i] in "rR"
        i += 1
    quote = src[i]
    triple = src.startswith(quote * 3, i)
    delim = quote * 3 if triple else quote
    i += len(delim)
    while i < len(src):
        if src[i] == "\\" and not raw:
            i += 2
            continue
        if src.startswith(delim, i):
            return i + len(delim)
        if src[i] == "\n" and not triple:
            break
        i += 1
    raise CelSyntaxError("unterminated string literal", expression=src)


def _is_string_start(src: str, i: int) -> bool:
    j = i
    while j < len(src) and src[j] in _STRING_PREFIX and j - i < 2:
        j += 1
    return j < len(src) and src[j] in "'\""


def _skip_space(src: str, i: int) -> int:
    while i < len(src) and src[i] in " \t\r\n":
        i += 1
    return i


def _ident_end(src: str, i: int) -> int:
    while i < len(src) and src[i] in _IDENT_CHARS:
        i += 1
    return i


def rewrite(src: str) -> Rewritten:
    """Rewrite optional-syntax and ``variables.x`` references into plain CEL.

    Args:
        src: the CEL expression as written in the CRD or policy.

    Returns:
        The rewritten source and the variable names it reads.

    Raises:
        CelSyntaxError: an unterminated string or unbalanced brackets.
        CelUnsupportedError: optional entries in list or map literals.
    """
    scanner = _Scanner(src)
    scanner.run()
    return Rewritten("".join(scanner.out), frozenset(scanner.names), scanner.whole)


def _code(src: str, start: int = 0) -> Iterator[tuple[int, str, int]]:
    """``(index, char, depth)`` of every character outside string literals, from ``start``.

    ``depth`` is the bracket depth *after* the character, so an opener reports its inner depth
    and a closer the outer one: the one scanner behind argument splitting, map-entry splitting and
    bracket matching.
    """
    depth, i = 0, start
    while i < len(src):
        at_token = i == 0 or not (src[i - 1].isalnum() or src[i - 1] == "_")
        if at_token and _is_string_start(src, i):
            i = _string_end(src, i)
            continue
        if src[i] in "([{":
            depth += 1
        elif src[i] in ")]}":
            depth -= 1
        yield i, src[i], depth
        i += 1


def _split_args(text: str) -> list[str]:
    """Split call arguments on top-level commas (brackets and strings respected)."""
    args, start = [], 0
    for i, char, depth in _code(text):
        if char == "," and depth == 0:
            args.append(text[start:i])
            start = i + 1
    tail = text[start:]
    return [*args, tail] if tail.strip() or args else []


def _split_entry(text: str) -> tuple[str, str] | None:
    """``key: value`` of a map literal entry at its top-level ``:`` (None if unclear, e.g. a ternary key)."""
    for i, char, depth in _code(text):
        if depth == 0 and char == "?":
            return None
        if depth == 0 and char == ":":
            return text[:i], text[i + 1 :]
    return None


def _matching(src: str, start: int) -> int:
    """Index of the bracket closing the one at ``start`` (strings skipped)."""
    for i, char, depth in _code(src, start):
        if depth == 0 and char in ")]}":
            return i
    raise CelSyntaxError(f"missing closing bracket for {src[start]!r}", expression=src)


@dataclass(slots=True)
class _Open:
    """An open bracket: what closes it, and how the postfix chain resumes after it."""

    closer: str
    chain_after: int | None
    """``chain_start`` after closing: the bracket for a group or literal, the outer chain for a call."""


class _Scanner:
    """One left-to-right pass over the tokens; each ``_on_*`` method consumes one token.

    ``chain_start`` is the index in ``out`` where the current postfix chain (primary, then
    ``.f``, ``(…)``, ``[…]``) began: the receiver of an optional selection.
    """

    def __init__(self, src: str) -> None:
        self.src = src
        self.out: list[str] = []
        self.stack: list[_Open] = []
        self.names: set[str] = set()
        self.whole = False
        self.i = 0
        # Whether the previous token ends an operand (identifier, literal, ``)``, ``]``): then
        # ``[`` indexes and ``(`` calls; otherwise they open a list literal or a group.
        self.after_operand = False
        self.prev_dot = False
        self.chain_start: int | None = None

    def run(self) -> None:
        src = self.src
        while self.i < len(src):
            ch = src[self.i]
            if ch in " \t\r\n":
                self.out.append(ch)
                self.i += 1
            elif src.startswith("//", self.i):
                end = src.find("\n", self.i)
                end = len(src) if end < 0 else end
                self.out.append(src[self.i : end])
                self.i = end
            elif _is_string_start(src, self.i):
                self._primary(src[self.i : _string_end(src, self.i)])
            elif ch in _IDENT_START:
                self._on_identifier()
            elif src.startswith("?", _skip_space(src, self.i + 1)) and (
                ch == "." or (ch == "[" and self.after_operand)
            ):
                self._on_optional_chain()  # ``x.?f`` or ``x[?k]``
            elif ch in "([{":
                self._on_open(ch)
            elif ch in ")]}":
                self._on_close(ch)
            elif ch.isdigit():
                j = self.i
                while j < len(src) and (src[j].isalnum() or (src[j] == "." and src[j + 1 : j + 2].isdigit())):
                    j += 1
                self._primary(src[self.i : j])
            else:
                self._emit(ch, self.i + 1, operand=False)
                self.prev_dot = ch == "."
                if ch != ".":
                    self.chain_start = None
        if self.stack:
            raise CelSyntaxError(f"missing {self.stack[-1].closer!r}", expression=src)

    def _emit(self, text: str, end: int, operand: bool) -> None:
        """Append ``text`` and move to ``end``."""
        self.out.append(text)
        self.i = end
        self.after_operand, self.prev_dot = operand, False

    def _primary(self, text: str, end: int | None = None) -> None:
        """Emit a token that starts a postfix chain (literal, identifier, rewritten variable)."""
        self.chain_start = len(self.out)
        self._emit(text, self.i + len(text) if end is None else end, operand=True)

    def _on_open(self, ch: str) -> None:
        if ch == "[" and not self.after_operand and self._on_optional_list():
            return
        if ch == "{" and not self.after_operand and self._on_optional_map():
            return
        closer = {"(": ")", "[": "]", "{": "}"}[ch]
        chain_after = self.chain_start if self.after_operand else len(self.out)
        self.stack.append(_Open(closer, chain_after))
        self._emit(ch, self.i + 1, operand=False)

    def _on_optional_list(self) -> bool:
        """``[a, ?b, c]``: ``[a] + (b.hasValue() ? [b.value()] : []) + [c]``; False if no ``?`` entry."""
        close = _matching(self.src, self.i)
        elements = _split_args(self.src[self.i + 1 : close])
        if not any(e.lstrip().startswith("?") for e in elements):
            return False
        parts: list[str] = []
        plain: list[str] = []
        for element in elements:
            if element.lstrip().startswith("?"):
                if plain:
                    parts.append("[" + ", ".join(plain) + "]")
                    plain = []
                opt = self._sub(element.lstrip()[1:])
                parts.append(f"(({opt}).hasValue() ? [({opt}).value()] : [])")
            else:
                plain.append(self._sub(element))
        if plain:
            parts.append("[" + ", ".join(plain) + "]")
        self._primary("(" + " + ".join(parts) + ")", close + 1)
        return True

    def _on_optional_map(self) -> bool:
        """``{'a': 1, ?'b': o}`` → ``_merge_maps([{'a': 1}, (o.hasValue() ? {'b': o.value()} : {})])``."""
        close = _matching(self.src, self.i)
        entries = _split_args(self.src[self.i + 1 : close])
        if not any(e.lstrip().startswith("?") for e in entries):
            return False
        parts: list[str] = []
        plain: list[str] = []
        for entry in entries:
            optional = entry.lstrip().startswith("?")
            split = _split_entry(entry.lstrip()[1:] if optional else entry)
            if split is None:
                raise _literal_gap(self.src)
            key, value = (self._sub(part) for part in split)
            if not optional:
                plain.append(f"{key}: {value}")
                continue
            if plain:
                parts.append("{" + ", ".join(plain) + "}")
                plain = []
            parts.append(f"(({value}).hasValue() ? {{{key}: ({value}).value()}} : {{}})")
        if plain:
            parts.append("{" + ", ".join(plain) + "}")
        self._primary(f"{MERGE_MAPS}([" + ", ".join(parts) + "])", close + 1)
        return True

    def _on_close(self, ch: str) -> None:
        if not self.stack or self.stack[-1].closer != ch:
            raise CelSyntaxError(f"unbalanced {ch!r}", expression=self.src)
        opened = self.stack.pop()
        self._emit(ch, self.i + 1, operand=True)
        self.chain_start = opened.chain_after

    def _on_identifier(self) -> None:
        src = self.src
        end = _ident_end(src, self.i)
        word = src[self.i : end]
        if self.prev_dot:
            if not (word in METHOD_MACROS and self._on_method_macro(word, end)):
                self._emit(word, end, operand=True)
            return
        if word == "cel" and self._on_bind(end):
            return
        if word == "variables":
            j = _skip_space(src, end)
            if src.startswith(".", j) and not src.startswith("?", _skip_space(src, j + 1)):
                k = _skip_space(src, j + 1)
                name_end = _ident_end(src, k)
                if name_end > k and not src.startswith("(", _skip_space(src, name_end)):
                    self.names.add(src[k:name_end])
                    self._primary(f"{VARIABLE}('{src[k:name_end]}')", name_end)
                    return
            self.whole = True
        self._primary(word, end)

    def _call_args(self, name_end: int) -> tuple[list[str], int] | None:
        """The rewritten arguments of a call whose ``(`` follows ``name_end``, and its ``)``."""
        paren = _skip_space(self.src, name_end)
        if not self.src.startswith("(", paren):
            return None
        close = _matching(self.src, paren)
        return [self._sub(arg) for arg in _split_args(self.src[paren + 1 : close])], close

    def _on_bind(self, end: int) -> bool:
        j = _skip_space(self.src, end)
        k = _skip_space(self.src, j + 1)
        if not (self.src.startswith(".", j) and self.src.startswith("bind", k)):
            return False
        call = self._call_args(_ident_end(self.src, k))
        text = macros.bind(call[0]) if call else None
        if call is None or text is None:
            return False
        self._primary(text, call[1] + 1)
        return True

    def _on_method_macro(self, name: str, end: int) -> bool:
        if self.chain_start is None:
            return False
        call = self._call_args(end)
        receiver = "".join(self.out[self.chain_start :]).rstrip()
        if call is None or not receiver.endswith("."):
            return False
        text = macros.method_macro(name, receiver[:-1].rstrip(), call[0])
        if text is None:
            return False
        del self.out[self.chain_start :]
        self._primary(text, call[1] + 1)
        return True

    def _sub(self, text: str) -> str:
        """Rewrite a nested expression (an index key, an ``orValue`` default) on its own."""
        inner = rewrite(text)
        self.names |= inner.variables
        self.whole = self.whole or inner.whole_variables
        return inner.source

    def _segments(self) -> list[tuple[str, str]]:
        """Consume ``.?f`` / ``[?k]`` from ``self.i``: ``("field", f)`` / ``("index", rewritten k)``."""
        src, segments = self.src, []
        while True:
            j = _skip_space(src, self.i)
            after = _skip_space(src, j + 1)
            if src.startswith(".", j) and src.startswith("?", after):
                k = _skip_space(src, after + 1)
                name_end = _ident_end(src, k) if src[k : k + 1] in _IDENT_START else k
                if name_end == k:
                    raise CelSyntaxError("'.?' must be followed by a field name", expression=src)
                segments.append(("field", src[k:name_end]))
                self.i = name_end
            elif src.startswith("[", j) and src.startswith("?", after):
                close = _matching(src, j)
                segments.append(("index", self._sub(src[after + 1 : close])))
                self.i = close + 1
            else:
                return segments

    def _on_optional_chain(self) -> None:
        if self.chain_start is None:
            raise CelSyntaxError("optional selection without a receiver", expression=self.src)
        receiver = "".join(self.out[self.chain_start :]).strip()
        segments = self._segments()
        src = self.src
        j = _skip_space(src, self.i)
        k = _skip_space(src, j + 1)
        method_end = _ident_end(src, k)
        method = src[k:method_end] if src.startswith(".", j) else ""
        paren = _skip_space(src, method_end)
        if method in {"orValue", "hasValue"} and src.startswith("(", paren):
            close = _matching(src, paren)
            path, tests = _native_chain(receiver, segments)
            condition = " && ".join(tests)
            if method == "hasValue":
                text = f"({condition})"
            else:
                text = f"(({condition}) ? {path} : ({self._sub(src[paren + 1 : close])}))"
            del self.out[self.chain_start :]
            self._primary(text, close + 1)
            return
        for kind, value in segments:
            self.out.append(f".{OPT_FIELD}('{value}')" if kind == "field" else f".{OPT_INDEX}({value})")
        self.after_operand, self.prev_dot = True, False


def _native_chain(receiver: str, segments: list[tuple[str, str]]) -> tuple[str, list[str]]:
    """The plain path ``r.a[k]`` and the presence test of each optional step along it."""
    path, tests = receiver, []
    for kind, value in segments:
        if kind == "field":
            tests.append(f"has({path}.{value})")
            path = f"{path}.{value}"
        else:
            key = f"({value})"
            tests.append(f"(type({path}) == list ? ({key} >= 0 && {key} < size({path})) : {key} in {path})")
            path = f"{path}[{key}]"
    return path, tests


def _literal_gap(src: str) -> CelUnsupportedError:
    return CelUnsupportedError(
        "optional map entry with a conditional key",
        expression=src,
        reason="an optional map entry whose key is not a plain expression ('{?a ? b : c: v}')",
    )
