"""Kyverno's wildcard matching: ``*`` any run of characters, ``?`` exactly one; nothing else is special.

Pure helpers used by patterns, match/exclude and condition operators. Compiled patterns are cached
because the same few hundred pattern strings are matched against every document of a fleet.

Linear time on hostile input: with two or more ``*`` a backtracking regex is polynomial of the
star count's degree (``*a*a*a*a*a*a*b`` against 100 characters took 32 s), so such patterns are
matched by RE2 (``generator.linear_re``), as Go matches them upstream; the common one-star patterns
keep Python's faster ``re``, where backtracking stays linear.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from generator import linear_re

__all__ = ["contains_wildcard", "match", "match_labels"]


@lru_cache(maxsize=4096)
def _compile(pattern: str) -> Any:
    """A compiled matcher of ``pattern`` with a ``fullmatch`` method (``re`` or RE2, see above)."""
    parts = []
    for ch in pattern:
        if ch == "*":
            parts.append(".*")
        elif ch == "?":
            parts.append(".")
        else:
            parts.append(re.escape(ch))
    if pattern.count("*") < 2:
        return re.compile("".join(parts), re.DOTALL)
    return linear_re.compile_re("(?s)" + "".join(parts))


def contains_wildcard(text: str) -> bool:
    """True when ``text`` holds ``*`` or ``?`` (so it must be matched, not compared)."""
    return "*" in text or "?" in text


def match(pattern: str, text: str) -> bool:
    """``pattern`` matches the whole of ``text`` (case-sensitive, as ``wildcard.Match`` upstream)."""
    if pattern == text:
        return True
    if not contains_wildcard(pattern):
        return False
    return _compile(pattern).fullmatch(text) is not None


def match_labels(selector: Mapping[str, Any], labels: Mapping[str, Any]) -> bool:
    """Every ``key: value`` of ``selector`` (wildcards allowed on both) is matched by some label."""
    for key, value in selector.items():
        found = False
        for lkey, lvalue in labels.items():
            if match(str(key), str(lkey)) and match(str(value), str(lvalue)):
                found = True
                break
        if not found:
            return False
    return True
