"""Structural matching of ``validate.pattern``: anchors, arrays, maps (upstream ``pkg/engine/validate``).

``match_pattern(resource, pattern)`` returns a ``PatternOutcome``: ``pass``, ``fail`` (with the
path of the offending field), ``skip`` (a conditional ``(key)`` or global ``<(key)`` anchor does not
hold, here or in every element of an array) or ``error`` (a failure while a conditional/existence
anchor key never appeared, as upstream's ``AnchorMap``).

Each pattern map is compiled once into a plan (``_plan``): plain keys are checked inline, anchored
keys by a small function picked from ``_HANDLERS``. ``_descend`` is the single recursion, and every
step returns an error whose path is *relative*: the caller prepends its key or index (``_at``), so
leaf checks never build absolute paths.
Variables must already be substituted; this module reads no context.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from generator.policy import wildcard
from generator.policy.operators import validate_value

__all__ = ["AnchorState", "PatternError", "match_pattern", "parse_anchor"]

ErrorKind = Literal["fail", "conditional", "global", "negation"]
_FIRST = frozenset({"(", "^(", "=(", "X("})
_ANCHOR = re.compile(r"^([+<^=X]?)\((.+)\)$")


@dataclass(frozen=True, slots=True)
class PatternError:
    """Why a resource does not satisfy a pattern; ``path`` is relative to where it was produced."""

    kind: ErrorKind
    """``conditional``/``global`` mean *skip*; ``negation`` and ``fail`` mean the rule fails."""
    message: str
    path: tuple[str | int, ...] = ()

    @property
    def skip(self) -> bool:
        return self.kind in ("conditional", "global")


@dataclass(slots=True)
class AnchorState:
    """Upstream's ``AnchorMap``: whether each conditional/existence anchor key was ever present."""

    seen: dict[str, bool] = field(default_factory=dict)

    def check(self, tracked: tuple[tuple[str, str], ...], resource: Mapping[str, Any]) -> None:
        for key, name in tracked:
            self.seen[key] = self.seen.get(key, False) or name in resource

    def keys_missing(self) -> bool:
        return not all(self.seen.values())


@dataclass(frozen=True, slots=True)
class _Plan:
    """A pattern map compiled once: handler steps in upstream's order, anchors to track."""

    steps: tuple[tuple[int, Callable[..., PatternError | None], str, Any], ...]
    """(step kind, handler, key name, sub-pattern); kinds ``_STAR``/``_SCALAR``/``_NESTED`` are plain
    keys checked inline (the hot path), ``_ANCHORED`` calls the anchor's handler."""
    tracked: tuple[tuple[str, str], ...]
    """(key, name) of conditional/existence anchors; negation keys are not tracked since
    kyverno/kyverno#8953 (an absent ``X(key)`` is the normal case)."""
    metadata_wildcards: bool
    """The map has a ``metadata`` key whose labels/annotations use wildcard keys."""


_PLANS: dict[int, tuple[Mapping[str, Any], _Plan]] = {}


def _plan(pattern: Mapping[str, Any]) -> _Plan:
    """The compiled plan of a pattern map, cached by identity (patterns are compiled once per rule)."""
    cached = _PLANS.get(id(pattern))
    if cached is not None and cached[0] is pattern:
        return cached[1]
    parsed = {k: parse_anchor(k) for k in pattern}
    # upstream evaluates condition/existence/equality/negation anchors first, sorted by key; global
    # (``<(``) and add (``+(``) anchors go with the plain keys, nested-anchor keys first
    anchors = sorted(k for k in pattern if parsed[k][0] in _FIRST)
    plain = [k for k in pattern if parsed[k][0] not in _FIRST]
    plain.sort(key=lambda k: not _has_anchor(pattern[k]))
    steps = tuple(
        (
            _step_kind(parsed[k][0], pattern[k]),
            _HANDLERS.get(parsed[k][0], _default),
            parsed[k][1],
            pattern[k],
        )
        for k in anchors + plain
    )
    tracked = tuple((k, parsed[k][1]) for k in pattern if parsed[k][0] in ("(", "^("))
    meta_key = _find(pattern, "metadata")
    wild = False
    if meta_key is not None and isinstance(pattern[meta_key], dict):
        for section in pattern[meta_key].values():
            if isinstance(section, dict) and any(
                wildcard.contains_wildcard(parse_anchor(k)[1]) for k in section
            ):
                wild = True
    plan = _Plan(steps, tracked, wild)
    if len(_PLANS) > 100_000:
        _PLANS.clear()
    _PLANS[id(pattern)] = (pattern, plan)
    return plan


_STAR, _SCALAR, _NESTED, _ANCHORED = range(4)


def _step_kind(modifier: str, sub: Any) -> int:
    if modifier:
        return _ANCHORED
    if sub == "*":
        return _STAR
    return _NESTED if isinstance(sub, (dict, list)) else _SCALAR


def parse_anchor(key: str) -> tuple[str, str]:
    """``"=(name)"`` → ``("=(", "name")``; a plain key → ``("", key)``; ``"(a)"`` → ``("(", "a")``."""
    if not key.endswith(")") or "(" not in key:
        return "", key
    m = _ANCHOR.match(key)
    if not m:
        return "", key
    return (m.group(1) + "(", m.group(2))


def _at(err: PatternError | None, step: str | int) -> PatternError | None:
    return None if err is None else replace(err, path=(step, *err.path))


def _descend(resource: Any, pattern: Any, state: AnchorState) -> PatternError | None:
    if isinstance(pattern, dict):
        if not isinstance(resource, dict):
            return PatternError("fail", "pattern and resource have different structures")
        plan = _plan(pattern)
        if plan.metadata_wildcards:
            expanded = _expand_metadata(pattern, resource)
            if expanded is not pattern:
                plan = _plan(expanded)
        if plan.tracked:
            state.check(plan.tracked, resource)
        return _validate_map(resource, plan, state)
    if isinstance(pattern, list):
        if not isinstance(resource, list):
            return PatternError("fail", "resource does not satisfy the expected overlay pattern")
        return _validate_array(resource, pattern, state)
    if type(resource) is list:
        for item in resource:
            if not validate_value(item, pattern):
                return PatternError("fail", f"resource value '{item}' does not match '{pattern}'")
        return None
    if not validate_value(resource, pattern):
        return PatternError("fail", f"resource value '{resource}' does not match '{pattern}'")
    return None


def _has_anchor(pattern: Any) -> bool:
    if isinstance(pattern, dict):
        return any(parse_anchor(k)[0] or _has_anchor(v) for k, v in pattern.items())
    if isinstance(pattern, list):
        return any(_has_anchor(v) for v in pattern)
    return False


def _find(pattern: Mapping[str, Any], name: str) -> str | None:
    return next((k for k in pattern if parse_anchor(k)[1] == name), None)


def _expand_keys(pattern: Mapping[str, Any], resource: Mapping[str, Any]) -> dict[str, Any] | None:
    expanded: dict[str, Any] = {}
    changed = False
    for key, value in pattern.items():
        modifier, name = parse_anchor(key)
        if not wildcard.contains_wildcard(name):
            expanded[key] = value
            continue
        changed = True
        hits = [str(k) for k in resource if wildcard.match(name, str(k))]
        for hit in hits or [name]:
            expanded[f"{modifier}{hit})" if modifier else hit] = value
    return expanded if changed else None


def _expand_metadata(pattern: Mapping[str, Any], resource: Mapping[str, Any]) -> Mapping[str, Any]:
    """Wildcard label/annotation keys under ``metadata`` become the resource's matching keys."""
    meta_key = _find(pattern, "metadata")
    res_meta = resource.get("metadata")
    if meta_key is None or not isinstance(pattern[meta_key], dict) or not isinstance(res_meta, dict):
        return pattern
    meta = pattern[meta_key]
    new_meta = dict(meta)
    changed = False
    for section in ("labels", "annotations"):
        key = _find(meta, section)
        res = res_meta.get(section)
        if key is None or not isinstance(meta[key], dict) or not isinstance(res, dict):
            continue
        expanded = _expand_keys(meta[key], res)
        if expanded is not None:
            new_meta[key] = expanded
            changed = True
    if not changed:
        return pattern
    out = dict(pattern)
    out[meta_key] = new_meta
    return out


def _validate_map(resource: Mapping[str, Any], plan: _Plan, state: AnchorState) -> PatternError | None:
    for kind, handler, name, sub in plan.steps:
        if kind == _SCALAR:
            value = resource.get(name)
            if type(value) is not list and validate_value(value, sub):
                continue
            err = _default(resource, name, sub, state)
        elif kind == _STAR:
            if resource.get(name) is not None:
                continue
            err = _default(resource, name, sub, state)
        elif kind == _NESTED:
            err = _descend(resource.get(name), sub, state)
            if err is not None:
                err = replace(err, path=(name, *err.path))
        else:
            err = handler(resource, name, sub, state)
        if err is not None:
            return err
    return None


def _default(resource: Mapping[str, Any], key: str, pattern: Any, state: AnchorState) -> PatternError | None:
    value = resource.get(key)
    if pattern == "*":
        return None if value is not None else PatternError("fail", f"field {key} not found")
    return _at(_descend(value, pattern, state), key)


def _conditional(
    resource: Mapping[str, Any], key: str, pattern: Any, state: AnchorState
) -> PatternError | None:
    if key not in resource:
        return PatternError("conditional", "conditional anchor key doesn't exist in the resource", (key,))
    err = _descend(resource[key], pattern, state)
    if err is None:
        return None
    return PatternError("conditional", f"conditional anchor mismatch: {err.message}", (key, *err.path))


def _global(resource: Mapping[str, Any], key: str, pattern: Any, state: AnchorState) -> PatternError | None:
    if key not in resource:
        return None
    err = _descend(resource[key], pattern, state)
    if err is None:
        return None
    return PatternError("global", f"global anchor mismatch: {err.message}", (key, *err.path))


def _equality(resource: Mapping[str, Any], key: str, pattern: Any, state: AnchorState) -> PatternError | None:
    if key not in resource:
        return None
    return _at(_descend(resource[key], pattern, state), key)


def _negation(resource: Mapping[str, Any], key: str, pattern: Any, state: AnchorState) -> PatternError | None:
    if key in resource:
        return PatternError(
            "negation", f"negation anchor matched in resource: /{key}/ is not allowed", (key,)
        )
    return None


def _existence(
    resource: Mapping[str, Any], key: str, pattern: Any, state: AnchorState
) -> PatternError | None:
    if key not in resource:
        return None
    value = resource[key]
    if not isinstance(value, list):
        return PatternError(
            "fail", "existence ^() anchor can be used only on list/array type resource", (key,)
        )
    if not isinstance(pattern, list):
        return PatternError("fail", "invalid pattern type: pattern has to be a list", (key,))
    for item in pattern:
        if not isinstance(item, dict):
            return PatternError("fail", "invalid pattern type: list items have to be maps", (key,))
        if not any(_descend(elem, item, state) is None for elem in value):
            return PatternError("fail", "existence anchor validation failed", (key,))
    return None


_Handler = Callable[[Mapping[str, Any], str, Any, AnchorState], "PatternError | None"]
_HANDLERS: dict[str, _Handler] = {
    "": _default,
    "(": _conditional,
    "<(": _global,
    "=(": _equality,
    "X(": _negation,
    "^(": _existence,
    "+(": _equality,  # add-if-not-present is a mutate anchor; as a check it behaves like equality
}


def _validate_items(resource: list[Any], patterns: list[Any], state: AnchorState) -> PatternError | None:
    applied = 0
    skips: list[PatternError] = []
    for index, (item, pattern) in enumerate(zip(resource, patterns, strict=False)):
        err = _descend(item, pattern, state)
        if err is not None:
            if err.skip:
                skips.append(err)
                continue
            return _at(err, index)
        applied += 1
    if applied == 0 and skips:
        return replace(skips[0], path=())
    return None


def _validate_array(resource: list[Any], pattern: list[Any], state: AnchorState) -> PatternError | None:
    if not pattern:
        return PatternError("fail", "pattern Array empty")
    first = pattern[0]
    if isinstance(first, dict):
        return _validate_items(resource, [first] * len(resource), state)
    if not isinstance(first, list):
        return _descend(resource, first, state)
    if len(resource) < len(pattern):
        return PatternError(
            "fail",
            f"validate Array failed, array length mismatch, resource Array len is {len(resource)} "
            f"and pattern Array len is {len(pattern)}",
            ("",),
        )
    return _validate_items(resource, pattern, state)


@dataclass(frozen=True, slots=True)
class PatternOutcome:
    """What ``match_pattern`` concluded: ``pass``, ``fail``, ``skip`` or ``error``."""

    status: Literal["pass", "fail", "skip", "error"]
    message: str = ""
    path: tuple[str | int, ...] = ()


def match_pattern(resource: Any, pattern: Any) -> PatternOutcome:
    """Match a whole resource against a pattern, classifying the outcome as upstream ``MatchPattern``."""
    state = AnchorState()
    err = _descend(resource, pattern, state)
    if err is None:
        return PatternOutcome("pass")
    if err.skip:
        return PatternOutcome("skip", err.message, err.path)
    if err.kind == "negation":
        return PatternOutcome("fail", err.message, err.path)
    if state.keys_missing() or err.path == ("",):
        return PatternOutcome("error", err.message)
    return PatternOutcome("fail", err.message, err.path)
