"""Kubernetes CEL semver library (k8s.io/apiserver/pkg/cel/library/semverlib.go, Kubernetes 1.31+).

``semver('1.2.3-rc.1')``, ``semver(s, true)`` (normalise: drop a ``v`` prefix, pad a missing minor
or patch, drop leading zeros), ``isSemver(s[, normalize])``, ``major()``, ``minor()``, ``patch()``,
``compareTo``, ``isGreaterThan``, ``isLessThan``. Precedence follows semver 2.0.0: pre-releases
sort before the release, numeric identifiers numerically, build metadata is ignored (so ``==``
ignores it too: it is left out of the tagged value).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from generator.cel.library.opaque import tag, type_name, untag

__all__ = ["FUNCTIONS", "compare_semver", "parse_semver"]

_NUM = r"(0|[1-9]\d*)"
_IDENT = r"(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)"
_SEMVER = re.compile(
    rf"^{_NUM}\.{_NUM}\.{_NUM}(?:-({_IDENT}(?:\.{_IDENT})*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)

Version = tuple[int, int, int, tuple[str, ...]]


def _normalize(text: str) -> str:
    """Kubernetes' lenient form: no ``v`` prefix, missing minor/patch padded, no leading zeros."""
    text = text[1:] if text[:1] in ("v", "V") else text
    m = re.match(r"^(\d+(?:\.\d+){0,2})(.*)$", text, re.S)
    if not m:
        return text
    parts = [str(int(p)) for p in m.group(1).split(".")]
    return ".".join(parts + ["0"] * (3 - len(parts))) + m.group(2)


def parse_semver(text: str, normalize: bool = False) -> Version:
    """``(major, minor, patch, pre-release identifiers)``; ValueError when not a version."""
    candidate = _normalize(text) if normalize else text
    m = _SEMVER.match(candidate)
    if not m:
        raise ValueError(f"invalid semver: {text!r}")
    pre = tuple(m.group(4).split(".")) if m.group(4) else ()
    return int(m.group(1)), int(m.group(2)), int(m.group(3)), pre


def _pre_key(pre: tuple[str, ...]) -> tuple[Any, ...]:
    if not pre:
        return (1,)  # a release sorts after all of its pre-releases
    return (0, *((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre))


def compare_semver(a: Version, b: Version) -> int:
    """-1, 0 or 1 by semver precedence."""
    ka, kb = (*a[:3], _pre_key(a[3])), (*b[:3], _pre_key(b[3]))
    return (ka > kb) - (ka < kb)


def _text(v: Version) -> str:
    return f"{v[0]}.{v[1]}.{v[2]}" + ("-" + ".".join(v[3]) if v[3] else "")


def _value(value: Any, function: str) -> Version:
    return parse_semver(untag("semver", value, function))


def semver(text: Any, normalize: Any = False) -> dict[str, str]:
    """``semver('1.2.3')``; error when the string is not a semantic version."""
    if not isinstance(text, str) or not isinstance(normalize, bool):
        raise TypeError(f"no such overload: semver({type_name(text)}, {type_name(normalize)})")
    return tag("semver", _text(parse_semver(text, normalize)))


def is_semver(text: Any, normalize: Any = False) -> bool:
    """Whether ``semver()`` accepts the string."""
    try:
        semver(text, normalize)
    except ValueError:
        return False
    return True


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "semver": semver,
    "isSemver": is_semver,
    "major": lambda v: _value(v, "major")[0],
    "minor": lambda v: _value(v, "minor")[1],
    "patch": lambda v: _value(v, "patch")[2],
    "compareTo": lambda a, b: compare_semver(_value(a, "compareTo"), _value(b, "compareTo")),
    "isGreaterThan": lambda a, b: compare_semver(_value(a, "isGreaterThan"), _value(b, "isGreaterThan")) > 0,
    "isLessThan": lambda a, b: compare_semver(_value(a, "isLessThan"), _value(b, "isLessThan")) < 0,
}
