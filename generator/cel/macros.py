"""CEL macros that cel-rust's parser lacks, spelled with the macros it has.

cel-rust expands only ``has``, ``all``, ``exists``, ``exists_one``, ``map`` and ``filter``.
A macro cannot be a Python function (its variable is bound, not evaluated), but the one-element
list trick binds a name natively: ``[v].map(x, e)[0]`` is ``e`` with ``x = v``. So:

* ``cel.bind(x, v, e)`` → ``([v].map(x, e)[0])``
* ``o.optMap(x, e)`` → ``(o.hasValue() ? optional.of([o.value()].map(x, e)[0]) : optional.none())``
* ``o.optFlatMap(x, e)`` → the same, testing ``e.hasValue()`` and reading ``e.value()``
  apart (cel-rust's ``map`` unwraps an optional result)
* ``r.all(i, v, p)`` (and ``exists``, ``existsOne``/``exists_one``): two-variable comprehensions
  (Kubernetes 1.33): index/key ``i`` and value ``v``, over ``lists.range(size(r))`` for a list
  or the keys for a map.
* ``r.transformList(i, v, [f,] e)``: the list of ``e`` (for entries where ``f`` holds).

* ``x.orValue(d)`` where ``x`` is not an optional chain → ``_or_value(x, d)``: ``x``'s value when
  it is a present optional, ``d`` when it is ``none``, and ``x`` itself when it is no optional.
* ``r.transformMap(i, v, [f,] e)``: the same comprehension yields ``[i, e]`` pairs and
  ``_map_from_pairs`` (``generator.cel.library.maps``) builds the map: no cel-rust macro
  builds a map with computed keys. ``transformMapEntry`` yields one-entry maps, merged by
  ``_merge_maps``.

Receivers and arguments are source text already rewritten by ``generator.cel.syntax``; these
functions only assemble text.
"""

from __future__ import annotations

import re

from generator.cel.library.maps import MAP_FROM_PAIRS, MERGE_MAPS

__all__ = ["METHOD_MACROS", "OR_VALUE", "bind", "method_macro"]

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
METHOD_MACROS = frozenset(
    {"optMap", "optFlatMap", "all", "exists", "existsOne", "exists_one", "transformList", "transformMap",
     "transformMapEntry", "orValue"}
)  # fmt: skip
"""Method names that may be a macro this module expands (depending on the argument count)."""
OR_VALUE = "_or_value"
"""Stands in for ``x.orValue(d)`` off an optional chain (``generator.cel.library.optional``)."""


def _is_ident(text: str) -> bool:
    return bool(_IDENT.match(text.strip()))


def bind(args: list[str]) -> str | None:
    """``cel.bind(x, v, e)`` as native CEL, or None when the arguments do not fit."""
    if len(args) != 3 or not _is_ident(args[0]):
        return None
    name, value, body = (a.strip() for a in args)
    return f"([{value}].map({name}, {body})[0])"


def _each(receiver: str, index: str, over_list: str, over_map: str) -> str:
    """A comprehension over a list's indices or a map's keys, chosen at run time."""
    return f"(type({receiver}) == map ? {receiver}.{over_map} : lists.range(size({receiver})).{over_list})"


def method_macro(name: str, receiver: str, args: list[str]) -> str | None:
    """Native CEL for ``receiver.name(args)``, or None when it is not a macro form we expand."""
    args = [a.strip() for a in args]
    r = receiver
    if name == "orValue" and len(args) == 1:
        # Kyverno's CEL returns a plain (non-optional) receiver as is, where cel-rust has no
        # overload: upstream tests rely on `object.spec.volumes.orValue([])`.
        return f"{OR_VALUE}({r}, {args[0]})"
    if name == "optMap" and len(args) == 2 and _is_ident(args[0]):
        applied = f"[{r}.value()].map({args[0]}, {args[1]})[0]"
        return f"({r}.hasValue() ? optional.of({applied}) : optional.none())"
    if name == "optFlatMap" and len(args) == 2 and _is_ident(args[0]):
        # cel-rust's map() unwraps optional results, so test and read the inner optional apart.
        x, e = args
        present = f"[{r}.value()].all({x}, ({e}).hasValue())"
        value = f"[{r}.value()].map({x}, ({e}).value())[0]"
        return f"({r}.hasValue() && {present} ? optional.of({value}) : optional.none())"
    if name in ("all", "exists", "existsOne", "exists_one") and len(args) == 3:
        i, v, pred = args
        if not (_is_ident(i) and _is_ident(v)):
            return None
        macro = "exists_one" if name == "existsOne" else name
        inner = f"[{r}[{i}]].all({v}, {pred})"
        call = f"{macro}({i}, {inner})"
        return _each(r, i, call, call)
    if name in ("transformList", "transformMap", "transformMapEntry") and len(args) in (3, 4):
        i, v = args[0], args[1]
        if not (_is_ident(i) and _is_ident(v)):
            return None
        value = f"[{r}[{i}]].map({v}, {args[-1]})[0]"
        if name == "transformMap":
            value = f"[{i}, {value}]"
        if len(args) == 4:
            call = f"map({i}, [{r}[{i}]].all({v}, {args[2]}), {value})"
        else:
            call = f"map({i}, {value})"
        listed = _each(r, i, call, call)
        if name == "transformMap":
            return f"{MAP_FROM_PAIRS}({listed})"
        return listed if name == "transformList" else f"{MERGE_MAPS}({listed})"
    return None
