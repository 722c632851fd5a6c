"""Kubernetes quantities (``500m``, ``1Gi``, ``2e3``) and Go durations (``1h30m``) as exact numbers.

The environment model compares requests with limits; the policy engine's pattern and condition
operators compare values as quantities or durations before falling back to strings, exactly as
Kyverno does with ``resource.ParseQuantity`` and ``time.ParseDuration``. Both parsers return
``None`` for text that is not a quantity/duration (never raise). A leaf: imports no ``generator``.
"""

from __future__ import annotations

import re
from fractions import Fraction
from functools import lru_cache

__all__ = ["parse_duration", "parse_quantity"]

_QUANTITY = re.compile(
    r"^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(?:([eE][+-]?[0-9]+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?$"
)
_SUFFIX = {
    "": Fraction(1),
    "n": Fraction(1, 10**9),
    "u": Fraction(1, 10**6),
    "m": Fraction(1, 1000),
    "k": Fraction(10**3),
    "M": Fraction(10**6),
    "G": Fraction(10**9),
    "T": Fraction(10**12),
    "P": Fraction(10**15),
    "E": Fraction(10**18),
    "Ki": Fraction(2**10),
    "Mi": Fraction(2**20),
    "Gi": Fraction(2**30),
    "Ti": Fraction(2**40),
    "Pi": Fraction(2**50),
    "Ei": Fraction(2**60),
}
_DURATION_PART = re.compile(r"([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)")
_UNIT_SECONDS = {
    "ns": Fraction(1, 10**9),
    "us": Fraction(1, 10**6),
    "µs": Fraction(1, 10**6),
    "μs": Fraction(1, 10**6),
    "ms": Fraction(1, 1000),
    "s": Fraction(1),
    "m": Fraction(60),
    "h": Fraction(3600),
}


@lru_cache(maxsize=4096)
def parse_quantity(text: str) -> Fraction | None:
    """``"1Gi"`` → ``Fraction(1073741824)``; ``None`` when ``text`` is not a Kubernetes quantity."""
    m = _QUANTITY.match(text.strip()) if isinstance(text, str) else None
    if not m or m.group(1) in {"", "+", "-", "."}:
        return None
    number = Fraction(m.group(1))
    if m.group(2):
        return number * Fraction(10) ** int(m.group(2)[1:])
    return number * _SUFFIX[m.group(3) or ""]


@lru_cache(maxsize=4096)
def parse_duration(text: str) -> Fraction | None:
    """Go ``time.ParseDuration``: ``"1h30m"`` → seconds; ``"0"`` is zero; ``None`` when invalid."""
    if not isinstance(text, str):
        return None
    s = text.strip()
    sign = 1
    if s[:1] in "+-" and s:
        sign = -1 if s[0] == "-" else 1
        s = s[1:]
    if s == "0":
        return Fraction(0)
    if not s:
        return None
    total = Fraction(0)
    pos = 0
    while pos < len(s):
        m = _DURATION_PART.match(s, pos)
        if not m or m.group(1) in {"", "."}:
            return None
        total += Fraction(m.group(1)) * _UNIT_SECONDS[m.group(2)]
        pos = m.end()
    return sign * total
