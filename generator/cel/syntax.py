"""Source rewriting: the CEL syntax the Rust parser lacks, turned into plain function calls.

``common-expression-language`` (cel-rust) parses the CEL core grammar but rejects the
*optional* field and index syntax that Kubernetes and Kyverno CEL use constantly
(``object.metadata.?labels[?'app'].orValue('')``). Its evaluator does have optional values
(``optional.of``, ``.orValue``, ``.hasValue``…), so a lexical rewrite is enough:

* ``x.?name``   → ``x._opt_field('name')``   (``.?`` binds exactly like ``.``)
* ``x[?key]``   → ``x._opt_index(key)``       (the matching ``]`` becomes ``)``)
* ``variables.name`` → ``_variable('name')``  so that Kyverno/ValidatingAdmissionPolicy
  variables are evaluated lazily, only when reached (composition semantics: an erroring
  variable behind a short-circuited ``&&`` is never evaluated).

The rewrite walks tokens, so string literals and comments are never touched. Optional entries
in list and map literals (``[?x]``, ``{?'k': v}``) are reported as unsupported.

Pure functions; no CEL evaluation here.
"""

from __future__ import annotations

from dataclasses import dataclass

from generator.cel.errors import CelSyntaxError, CelUnsupportedError

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
    """Rewrite optional-syntax and ``variables.x`` references into function calls.

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


class _Scanner:
    """One left-to-right pass over the tokens; each ``_on_*`` method consumes one token."""

    def __init__(self, src: str) -> None:
        self.src = src
        self.out: list[str] = []
        self.stack: list[tuple[str, str]] = []  # (closing bracket expected, text to emit)
        self.names: set[str] = set()
        self.whole = False
        self.i = 0
        # Whether the previous token ends an operand (identifier, literal, ``)``, ``]``): then
        # ``[`` indexes, otherwise it opens a list literal.
        self.after_operand = False
        self.prev_dot = False

    def run(self) -> None:
        src = self.src
        while self.i < len(src):
            ch = src[self.i]
            if ch in " \t\r\n":
                self.out.append(ch)
                self.i += 1
            elif src.startswith("//", self.i):
                end = src.find("\n", self.i)
                self._emit(src[self.i : len(src) if end < 0 else end], len(src) if end < 0 else end, None)
            elif _is_string_start(src, self.i):
                end = _string_end(src, self.i)
                self._emit(src[self.i : end], end, operand=True)
            elif ch in _IDENT_START:
                self._on_identifier()
            elif ch == "." and src.startswith("?", _skip_space(src, self.i + 1)):
                self._on_optional_field()
            elif ch in "[{" and src.startswith("?", _skip_space(src, self.i + 1)):
                self._on_optional_index(ch)
            elif ch in "([{":
                closer = {"(": ")", "[": "]", "{": "}"}[ch]
                self.stack.append((closer, closer))
                self._emit(ch, self.i + 1, operand=False)
            elif ch in ")]}":
                if not self.stack or self.stack[-1][0] != ch:
                    raise CelSyntaxError(f"unbalanced {ch!r}", expression=src)
                self._emit(self.stack.pop()[1], self.i + 1, operand=True)
            elif ch.isdigit():
                j = self.i
                while j < len(src) and (src[j].isalnum() or (src[j] == "." and src[j + 1 : j + 2].isdigit())):
                    j += 1
                self._emit(src[self.i : j], j, operand=True)
            else:
                self._emit(ch, self.i + 1, operand=False)
                self.prev_dot = ch == "."
        if self.stack:
            raise CelSyntaxError(f"missing {self.stack[-1][0]!r}", expression=src)

    def _emit(self, text: str, end: int, operand: bool | None) -> None:
        """Append ``text``, move to ``end``; ``operand`` None leaves the token state unchanged."""
        self.out.append(text)
        self.i = end
        if operand is not None:
            self.after_operand, self.prev_dot = operand, False

    def _on_identifier(self) -> None:
        src = self.src
        end = _ident_end(src, self.i)
        word = src[self.i : end]
        if word == "variables" and not self.prev_dot:
            j = _skip_space(src, end)
            if src.startswith(".", j) and not src.startswith(".?", j):
                k = _skip_space(src, j + 1)
                name_end = _ident_end(src, k)
                if name_end > k and not src.startswith("(", _skip_space(src, name_end)):
                    self.names.add(src[k:name_end])
                    self._emit(f"{VARIABLE}('{src[k:name_end]}')", name_end, operand=True)
                    return
            self.whole = True
        self._emit(word, end, operand=True)

    def _on_optional_field(self) -> None:
        j = _skip_space(self.src, _skip_space(self.src, self.i + 1) + 1)
        name_end = _ident_end(self.src, j) if self.src[j : j + 1] in _IDENT_START else j
        if name_end == j:
            raise CelSyntaxError("'.?' must be followed by a field name", expression=self.src)
        self._emit(f".{OPT_FIELD}('{self.src[j:name_end]}')", name_end, operand=True)

    def _on_optional_index(self, ch: str) -> None:
        if ch == "{" or not self.after_operand:
            raise CelUnsupportedError(
                "optional list/map literal entries",
                expression=self.src,
                reason="optional entries in list or map literals ('[?x]', '{?k: v}') are not supported",
            )
        self.stack.append(("]", ")"))
        self._emit(f".{OPT_INDEX}(", _skip_space(self.src, self.i + 1) + 1, operand=False)
