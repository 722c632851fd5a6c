"""Linear-time regular expressions: RE2 semantics, as Kubernetes CEL and Kyverno (Go ``regexp``) have.

Python's ``re`` backtracks: ``(a|aa)+$`` against 40 characters took 44 s, and a policy or CEL rule
is input the gate must survive. RE2 (``google-re2``) matches in time linear in the text, bounds
its memory (``MAX_MEMORY``) and, like Go, refuses backreferences and lookaround, so a pattern
behaves here as it does in the API server and in Kyverno. A pattern that does not compile raises
``RegexError`` (a ``ValueError``), which the engines turn into an ``error`` result, never a pass.
Leaf module: imports nothing from ``generator``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

import re2

__all__ = ["MAX_MEMORY", "RegexError", "compile_re", "find_all", "search", "sub"]

#: Bytes RE2 may use for one compiled pattern (RE2's own default; a bigger pattern is an error).
MAX_MEMORY = 8 << 20


class RegexError(ValueError):
    """A pattern RE2 (and so Go, Kubernetes and Kyverno) does not accept."""


def _options() -> Any:
    options = re2.Options()
    options.log_errors = False  # RE2 would print its own copy of the error on stderr
    options.max_mem = MAX_MEMORY
    return options


_OPTIONS = _options()


@lru_cache(maxsize=4096)
def compile_re(pattern: str) -> Any:
    """``pattern`` compiled by RE2 (cached: policies repeat the same few patterns per document).

    Raises:
        RegexError: the pattern does not compile, or needs more than ``MAX_MEMORY``.
    """
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error as e:
        reason = e.args[0].decode("utf-8", "replace") if e.args and isinstance(e.args[0], bytes) else str(e)
        raise RegexError(f"invalid regular expression {pattern!r}: {reason}") from None


def search(pattern: str, text: str) -> Any:
    """The first match of ``pattern`` in ``text`` (a match object) or ``None``."""
    return compile_re(pattern).search(text)


def find_all(pattern: str, text: str) -> Iterator[str]:
    """Every non-overlapping match of ``pattern`` in ``text``, in order."""
    for m in compile_re(pattern).finditer(text):
        yield m.group(0)


def sub(pattern: str, replace: Callable[[Any], str], text: str) -> str:
    """``text`` with every match of ``pattern`` replaced by ``replace(match)``."""
    result: str = compile_re(pattern).sub(replace, text)
    return result
