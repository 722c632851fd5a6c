"""``patchedResources`` of a Kyverno Test compared as the CLI compares them.

Upstream ``commands/test/compare.go`` ``getAndCompareResource``: the expected document is the one
of the file with the actual object's apiVersion, kind, namespace (``default`` for namespaced kinds
without one) and name; both sides get ``FixupGenerateLabels`` (``app.kubernetes.io/managed-by``
forced to ``kyverno``, ``generate.kyverno.io/*`` labels dropped) and ``Tidy`` (nulls, empty maps
and empty lists removed, recursively); then they must be equal (lists whole and in order). Pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["describe_difference", "find_expected", "first_difference", "same_resource", "tidy"]


def tidy(node: Any) -> Any:
    """Nulls, empty maps and empty lists removed, recursively (upstream ``resource/tidy.go``)."""
    if isinstance(node, Mapping):
        out = {}
        for key, value in node.items():
            cleaned = tidy(value)
            if cleaned is None or cleaned in ({}, []):
                continue
            out[key] = cleaned
        return out
    if isinstance(node, list):
        items = [tidy(v) for v in node]
        return [i for i in items if not (i is None or i in ({}, []))]
    return node


def _fixup_labels(resource: Any) -> Any:
    meta = resource.get("metadata") if isinstance(resource, Mapping) else None
    labels = meta.get("labels") if isinstance(meta, Mapping) else None
    if not isinstance(labels, Mapping):
        return resource
    fixed = {k: v for k, v in labels.items() if not str(k).startswith("generate.kyverno.io/")}
    if "app.kubernetes.io/managed-by" in fixed:
        fixed["app.kubernetes.io/managed-by"] = "kyverno"
    assert isinstance(meta, Mapping)
    assert isinstance(resource, Mapping)
    return dict(resource) | {"metadata": dict(meta) | {"labels": fixed}}


def _identity(resource: Mapping[str, Any], cluster_scoped: frozenset[str]) -> tuple[str, str, str, str]:
    meta = resource.get("metadata") if isinstance(resource.get("metadata"), Mapping) else {}
    assert isinstance(meta, Mapping)
    kind = str(resource.get("kind", ""))
    namespace = str(meta.get("namespace", "") or "")
    if not namespace and kind not in cluster_scoped:
        namespace = "default"
    return str(resource.get("apiVersion", "")), kind, namespace, str(meta.get("name", ""))


def find_expected(
    actual: Mapping[str, Any], candidates: Sequence[Mapping[str, Any]], cluster_scoped: frozenset[str]
) -> Mapping[str, Any] | None:
    """The document of the patched-resources file that stands for ``actual``, if any."""
    wanted = _identity(actual, cluster_scoped)
    return next((c for c in candidates if _identity(c, cluster_scoped) == wanted), None)


def same_resource(actual: Mapping[str, Any], expected: Mapping[str, Any]) -> bool:
    """Equal after label fixup and tidying (the CLI requires an empty JSON merge patch)."""
    return bool(tidy(_fixup_labels(actual)) == tidy(_fixup_labels(expected)))


def first_difference(actual: Any, expected: Any, path: str = "$") -> str:
    """Where two tidied resources first differ, for a readable mismatch message."""
    if isinstance(actual, Mapping) and isinstance(expected, Mapping):
        for key in sorted(set(actual) | set(expected), key=str):
            if key not in actual:
                return f"{path}.{key}: missing (expected {expected[key]!r})"
            if key not in expected:
                return f"{path}.{key}: unexpected {actual[key]!r}"
            if actual[key] != expected[key]:
                return first_difference(actual[key], expected[key], f"{path}.{key}")
        return path
    if isinstance(actual, list) and isinstance(expected, list) and len(actual) == len(expected):
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            if a != e:
                return first_difference(a, e, f"{path}[{i}]")
    return f"{path}: got {actual!r}, expected {expected!r}"


def describe_difference(actual: Mapping[str, Any], expected: Mapping[str, Any]) -> str:
    """``first_difference`` of the two resources as the comparison sees them."""
    return first_difference(tidy(_fixup_labels(actual)), tidy(_fixup_labels(expected)))
