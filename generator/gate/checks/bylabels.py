"""Objects that select pods by label, found by a pod's labels without testing every one of them.

The mesh checks ask, for each flow, which NetworkPolicies and AuthorizationPolicies select a pod,
and which workload a Service selects: a scan of every object per flow is quadratic in the number
of services (a 1,000-service cluster has a thousand of each). A selector whose ``matchLabels`` has
a first pair of strings can only select a pod carrying that pair, so it is filed under it; any
other selector (empty, malformed, non-string values) is a candidate for every pod. Candidates come
back in the objects' own order, so the first match is the one a full scan finds; the caller still
applies its exact predicate to each.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from typing import Any, Generic, TypeVar

__all__ = ["ByLabels", "Labelled"]

T = TypeVar("T")


def _first_pair(selector: Any) -> tuple[str, str] | None:
    """The pair a pod must carry for ``selector`` (its ``matchLabels``) to select it, if one."""
    match = selector.get("matchLabels") if isinstance(selector, Mapping) else None
    if not isinstance(match, Mapping) or not match:
        return None
    key, value = next(iter(match.items()))
    return (key, value) if isinstance(key, str) and isinstance(value, str) else None


class ByLabels(Generic[T]):
    """``items`` ((namespace, selector, object) triples) indexed by namespace and selector pair."""

    def __init__(self, items: Iterable[tuple[str, Any, T]]) -> None:
        """File each item under its selector's first pair, or as a candidate for every pod."""
        self.items: list[T] = []
        self._always: dict[str, list[int]] = {}
        self._by_pair: dict[tuple[str, str, str], list[int]] = {}
        for i, (namespace, selector, item) in enumerate(items):
            self.items.append(item)
            pair = _first_pair(selector)
            if pair is None:
                self._always.setdefault(namespace, []).append(i)
            else:
                self._by_pair.setdefault((namespace, *pair), []).append(i)

    def candidates(self, namespaces: Iterable[str], labels: Mapping[str, Hashable]) -> list[T]:
        """Every item of ``namespaces`` that may select a pod with ``labels``, in item order."""
        found: set[int] = set()
        for namespace in namespaces:
            found.update(self._always.get(namespace, ()))
            for key, value in labels.items():
                if isinstance(value, str):
                    found.update(self._by_pair.get((namespace, key, value), ()))
        return [self.items[i] for i in sorted(found)]


class Labelled(Generic[T]):
    """The other way round: pods (``(namespace, labels, pod)``) found by a selector's labels."""

    def __init__(self, items: Iterable[tuple[str, Mapping[str, str], T]]) -> None:
        """File each pod under every label pair it carries."""
        self.items: list[T] = []
        self._by_pair: dict[tuple[str, str, str], list[T]] = {}
        for namespace, labels, item in items:
            self.items.append(item)
            for key, value in labels.items():
                self._by_pair.setdefault((namespace, key, value), []).append(item)

    def candidates(self, namespace: str, selector: Mapping[Any, Any]) -> list[T]:
        """The pods that may carry every pair of a non-empty ``selector``, in pod order."""
        key, value = next(iter(selector.items()))
        if isinstance(key, str) and isinstance(value, str):
            return self._by_pair.get((namespace, key, value), [])
        return self.items
