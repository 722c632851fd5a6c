"""Kubernetes CEL regex library: ``find`` and ``findAll``.

Semantics from the Kubernetes CEL docs (k8s.io/apiserver/pkg/cel/library/regex.go):
``'abc 123'.find('[0-9]+') == '123'``; ``find`` returns ``''`` when nothing matches;
``findAll(re)`` returns every non-overlapping match; ``findAll(re, n)`` at most ``n`` (a negative
``n`` means all). ``matches`` is native to cel-rust. Patterns are RE2 in Kubernetes; Python's
``re`` agrees on the syntax these rules use (classes, anchors, groups, quantifiers).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

__all__ = ["FUNCTIONS", "find", "find_all"]


@lru_cache(maxsize=1024)
def _compiled(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as e:
        raise ValueError(f"invalid regular expression {pattern!r}: {e}") from e


def find(s: object, pattern: object) -> str:
    """First match of ``pattern`` in ``s``, or ``''``."""
    if not isinstance(s, str) or not isinstance(pattern, str):
        raise TypeError("no such overload: find(string, string)")
    m = _compiled(pattern).search(s)
    return m.group(0) if m else ""


def find_all(s: object, pattern: object, limit: int = -1) -> list[str]:
    """All non-overlapping matches of ``pattern`` in ``s``, at most ``limit`` when >= 0."""
    if not isinstance(s, str) or not isinstance(pattern, str) or isinstance(limit, bool):
        raise TypeError("no such overload: findAll(string, string[, int])")
    if limit == 0:
        return []
    out = [m.group(0) for m in _compiled(pattern).finditer(s)]
    return out if limit < 0 else out[:limit]


FUNCTIONS: dict[str, Callable[..., Any]] = {"find": find, "findAll": find_all}
