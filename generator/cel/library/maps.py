"""Map builders behind the map-producing macros and optional map entries (see ``generator.cel.macros``).

No cel-rust macro builds a map with computed keys, so ``transformMap``, ``transformMapEntry``
and ``{?k: v}`` are expanded into a native comprehension producing ``[key, value]`` pairs or
one-entry maps, then one of these callbacks assembles the map. Duplicate keys are an error, as
in a CEL map literal and in cel-go's ``transformMapEntry``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from generator.cel.library.opaque import type_name

__all__ = ["FUNCTIONS", "MAP_FROM_PAIRS", "MERGE_MAPS"]

MAP_FROM_PAIRS = "_map_from_pairs"
"""Name of the function turning ``[[k, v], …]`` into ``{k: v, …}``."""
MERGE_MAPS = "_merge_maps"
"""Name of the function merging ``[{…}, {…}]`` into one map."""


def map_from_pairs(pairs: Any) -> dict[Any, Any]:
    """``[[k, v], …]`` → ``{k: v, …}``; a repeated key is an error."""
    if not isinstance(pairs, list):
        raise TypeError(f"no such overload: {MAP_FROM_PAIRS}({type_name(pairs)})")
    return merge_maps([{pair[0]: pair[1]} for pair in pairs])


def merge_maps(maps: Any) -> dict[Any, Any]:
    """The union of ``maps``; a key present in two of them is an error."""
    out: dict[Any, Any] = {}
    for entry in maps if isinstance(maps, list) else ():
        if not isinstance(entry, dict):
            raise TypeError(f"no such overload: {MERGE_MAPS}(list({type_name(entry)}))")
        for key, value in entry.items():
            if key in out:
                raise ValueError(f"duplicate map key {key!r}")
            out[key] = value
    return out


FUNCTIONS: dict[str, Callable[..., Any]] = {MAP_FROM_PAIRS: map_from_pairs, MERGE_MAPS: merge_maps}
