"""``patchStrategicMerge`` as Kyverno applies it: anchors first, then a strategic merge.

Upstream ``pkg/engine/mutate/patch/strategicPreprocessing.go`` then kyaml ``merge2`` (with
``ListIncreaseDirection: Prepend``):

* Anchors are resolved against the resource. A conditional anchor ``(key): pattern`` whose
  resource value does not match (or is absent) drops the enclosing list element, or, outside any
  list element, the whole patch (the rule is then a ``skip``); a global anchor ``<(key)`` always
  drops the whole patch; ``=(key)`` only checks a value that is present; ``+(key): v`` adds ``v``
  only when the resource lacks ``key``. Anchor keys never reach the merge.
* A list element carrying anchors applies to every resource element that satisfies them (it
  takes that element's ``name``, so the merge lands on it).
* The merge: maps merge recursively, ``null`` deletes a key; lists of maps merge by the first
  associative key every element has (``mountPath``, ``devicePath``, ``ip``, ``type``,
  ``topologyKey``, ``name``, ``containerPort``: kyaml's ``AssociativeSequenceKeys``), new
  elements go first; other lists are replaced.

Pure: returns new objects, never mutates its inputs.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from generator.policy.pattern import match_pattern, parse_anchor

__all__ = ["ConditionNotMet", "apply_strategic_merge", "preprocess", "strategic_merge"]

_ASSOCIATIVE_KEYS = ("mountPath", "devicePath", "ip", "type", "topologyKey", "name", "containerPort")


class ConditionNotMet(Exception):
    """An anchor's condition does not hold; ``whole`` for a global anchor (drops the whole patch)."""

    def __init__(self, message: str, *, whole: bool = False) -> None:
        super().__init__(message)
        self.whole = whole


def _condition_pattern(pattern: Any) -> Any:
    """The pattern a condition checks: ``+(key)`` additions are no part of it."""
    if isinstance(pattern, Mapping):
        return {k: _condition_pattern(v) for k, v in pattern.items() if parse_anchor(str(k))[0] != "+("}
    if isinstance(pattern, list):
        return [_condition_pattern(v) for v in pattern]
    return pattern


def _holds(value: Any, pattern: Any) -> bool:
    return match_pattern(value, _condition_pattern(pattern)).status == "pass"


def _additions(pattern: Any, resource: Any) -> Any:
    """Only the ``+(key)`` additions under a satisfied condition (``(emptyDir): {+(sizeLimit): x}``)."""
    if not isinstance(pattern, Mapping):
        return None
    res = resource if isinstance(resource, Mapping) else {}
    out: dict[str, Any] = {}
    for key, value in pattern.items():
        anchor, name = parse_anchor(str(key))
        if anchor == "+(":
            if name not in res:
                out[name] = _strip_anchors(value)
        elif anchor in ("", "(") and isinstance(value, Mapping):
            inner = _additions(value, res.get(name))
            if inner:
                out[name] = inner
    return out or None


def _strip_anchors(node: Any) -> Any:
    """The patch value with anchor markup removed (for values added as they are)."""
    if isinstance(node, Mapping):
        out = {}
        for key, value in node.items():
            anchor, name = parse_anchor(str(key))
            if anchor in ("(", "<(", "=(", "X(", "^("):
                continue
            out[name if anchor == "+(" else key] = _strip_anchors(value)
        return out
    if isinstance(node, list):
        return [_strip_anchors(v) for v in node]
    return node


def _check(patch: Mapping[str, Any], resource: Mapping[str, Any]) -> None:
    for key, pattern in patch.items():
        anchor, name = parse_anchor(str(key))
        if anchor == "(" and not (name in resource and _holds(resource[name], pattern)):
            raise ConditionNotMet(f"conditional anchor ({name}) not satisfied")
        if anchor == "<(" and not (name in resource and _holds(resource[name], pattern)):
            raise ConditionNotMet(f"global anchor <({name}) not satisfied", whole=True)
        if anchor == "=(" and name in resource and not _holds(resource[name], pattern):
            raise ConditionNotMet(f"equality anchor =({name}) not satisfied")


def _map(patch: Mapping[str, Any], resource: Any) -> dict[str, Any]:
    res: Mapping[str, Any] = resource if isinstance(resource, Mapping) else {}
    _check(patch, res)
    out: dict[str, Any] = {}
    for key, value in patch.items():
        anchor, name = parse_anchor(str(key))
        if anchor in ("(", "<(", "=("):
            # the condition held; additions (``+(key)``) inside it still apply
            added = _additions(value, res.get(name)) if anchor == "(" else None
            if added:
                out[name] = added
            continue
        if anchor == "+(":
            if name not in res:
                out[name] = _strip_anchors(value)
            continue
        out[key] = _node(value, res.get(key))
    return out


def _top_anchored(element: Mapping[str, Any]) -> bool:
    return any(parse_anchor(str(k))[0] for k in element)


def _list(patch: list[Any], resource: Any) -> list[Any]:
    res = resource if isinstance(resource, list) else []
    out: list[Any] = []
    for element in patch:
        if isinstance(element, Mapping) and _top_anchored(element):
            for item in res:
                if not isinstance(item, Mapping):
                    continue
                try:
                    applied = _map(element, item)
                except ConditionNotMet as e:
                    if e.whole:
                        raise
                    continue
                if "name" in item and "name" not in applied:
                    applied = {"name": item["name"], **applied}
                out.append(applied)
        elif isinstance(element, Mapping):
            out.append(_map(element, _same_element(element, res)))
        else:
            out.append(copy.deepcopy(element))
    return out


def _same_element(element: Mapping[str, Any], items: list[Any]) -> Any:
    """The resource element a plain patch element will merge into (same ``name``), if any."""
    if "name" not in element:
        return None
    return next((i for i in items if isinstance(i, Mapping) and i.get("name") == element["name"]), None)


def _node(patch: Any, resource: Any) -> Any:
    if isinstance(patch, Mapping):
        return _map(patch, resource)
    if isinstance(patch, list):
        return _list(patch, resource)
    return patch


def preprocess(patch: Any, resource: Mapping[str, Any]) -> Any:
    """The patch with its anchors resolved against ``resource``.

    Raises:
        ConditionNotMet: a condition outside any list element does not hold (skip the rule).
    """
    return _node(patch, resource)


def _merge_key(patch: list[Any], base: list[Any]) -> str | None:
    items = [*patch, *base]
    if not items or not all(isinstance(i, Mapping) for i in items):
        return None
    for key in _ASSOCIATIVE_KEYS:
        # A key is associative only when every element holds a scalar there; a list or map in its
        # place (malformed input) makes the list atomic: replaced, never an unhashable index.
        if all(isinstance(i.get(key), (str, int, float, bool)) for i in items):
            return key
    return None


def strategic_merge(base: Any, patch: Any) -> Any:
    """kyaml-style strategic merge of ``patch`` into ``base`` (see the module docstring)."""
    if isinstance(patch, Mapping) and isinstance(base, Mapping):
        out = dict(base)
        for key, value in patch.items():
            if value is None:
                out.pop(key, None)
            elif key in out:
                out[key] = strategic_merge(out[key], value)
            else:
                out[key] = _without_nulls(value)
        return out
    if isinstance(patch, list) and isinstance(base, list):
        key = _merge_key(patch, base)
        if key is None:
            return _without_nulls(patch)
        merged = [dict(b) for b in base]
        index = {b[key]: i for i, b in enumerate(merged)}
        new = []
        for element in patch:
            at = index.get(element[key])
            if at is None:
                new.append(_without_nulls(element))
            else:
                merged[at] = strategic_merge(merged[at], element)
        return [*new, *merged]
    return _without_nulls(patch)


def _without_nulls(node: Any) -> Any:
    if isinstance(node, Mapping):
        return {k: _without_nulls(v) for k, v in node.items() if v is not None}
    if isinstance(node, list):
        return [_without_nulls(v) for v in node]
    return copy.deepcopy(node)


def apply_strategic_merge(resource: Mapping[str, Any], patch: Any) -> Any:
    """``resource`` with ``patch`` applied (anchors, then merge).

    Raises:
        ConditionNotMet: the patch's conditions do not hold for this resource.
    """
    return strategic_merge(resource, preprocess(patch, resource))
