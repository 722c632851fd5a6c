"""Kubernetes CEL regex library: ``find`` and ``findAll``.

Semantics from the Kubernetes CEL docs (k8s.io/apiserver/pkg/cel/library/regex.go):
``'abc 123'.find('[0-9]+') == '123'``; ``find`` returns ``''`` when nothing matches;
``findAll(re)`` returns every non-overlapping match; ``findAll(re, n)`` at most ``n`` (a negative
``n`` means all). ``matches`` is native to cel-rust (Rust's linear ``regex``). Patterns are RE2 in
Kubernetes, and RE2 here too (``generator.linear_re``): linear time, and the same syntax errors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from generator import linear_re

__all__ = ["FUNCTIONS", "find", "find_all"]


def find(s: object, pattern: object) -> str:
    """First match of ``pattern`` in ``s``, or ``''``."""
    if not isinstance(s, str) or not isinstance(pattern, str):
        raise TypeError("no such overload: find(string, string)")
    m = linear_re.search(pattern, s)
    return m.group(0) if m else ""


def find_all(s: object, pattern: object, limit: int = -1) -> list[str]:
    """All non-overlapping matches of ``pattern`` in ``s``, at most ``limit`` when >= 0."""
    if not isinstance(s, str) or not isinstance(pattern, str) or isinstance(limit, bool):
        raise TypeError("no such overload: findAll(string, string[, int])")
    if limit == 0:
        return []
    out = list(linear_re.find_all(pattern, s))
    return out if limit < 0 else out[:limit]


FUNCTIONS: dict[str, Callable[..., Any]] = {"find": find, "findAll": find_all}
