"""``match``/``exclude`` of a rule against one admission request (upstream ``pkg/engine/utils/match.go``).

A filter (``resources`` + user info) matches when every field it sets matches: kinds (``Kind``,
``version/Kind``, ``group/version/Kind``, ``Kind/subresource``, wildcards), names, namespaces,
annotations, label ``selector``, ``namespaceSelector`` (labels from the Values file), operations,
roles, clusterRoles and subjects. ``any`` needs one filter, ``all`` every filter; ``exclude``
removes the resource when its filters match. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from generator.policy import wildcard

__all__ = ["Request", "UserInfo", "parse_kind_selector", "rule_matches"]


@dataclass(frozen=True, slots=True)
class UserInfo:
    """Who sends the admission request (a ``UserInfo`` file of the Kyverno CLI)."""

    username: str = ""
    groups: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    cluster_roles: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Request:
    """What match/exclude look at for one resource."""

    resource: Mapping[str, Any]
    operation: str = "CREATE"
    user: UserInfo = field(default_factory=UserInfo)
    namespace_labels: Mapping[str, str] = field(default_factory=dict)
    subresource: str = ""
    kind: str = field(init=False, default="")
    """The resource's kind, read once (match/exclude look at it for every rule)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", str(self.resource.get("kind", "")))

    @property
    def group_version(self) -> tuple[str, str]:
        api = str(self.resource.get("apiVersion", ""))
        group, _, version = api.rpartition("/")
        return group, version

    @property
    def metadata(self) -> Mapping[str, Any]:
        meta = self.resource.get("metadata")
        return meta if isinstance(meta, Mapping) else {}


@lru_cache(maxsize=1024)
def parse_kind_selector(selector: str) -> tuple[str, str, str, str]:
    """``"apps/v1/Deployment"`` → ``(group, version, kind, subresource)``; unspecified parts are ``*``."""
    parts = selector.split("/")
    if len(parts) == 1:
        return "*", "*", parts[0], ""
    if len(parts) == 2:
        if parts[0][:1].isupper() or (parts[0] == "*" and parts[1][:1].islower()):
            return "*", "*", parts[0], parts[1]
        return "*", parts[0], parts[1], ""
    if len(parts) == 3:
        if parts[1][:1].isupper():
            return "*", parts[0], parts[1], parts[2]
        return parts[0], parts[1], parts[2], ""
    return parts[0], parts[1], parts[2], "/".join(parts[3:])


_SIMPLE: dict[int, tuple[Any, frozenset[str] | None]] = {}


def _simple_kinds(kinds: Any) -> frozenset[str] | None:
    """Plain kind names (no group, version, subresource or wildcard) as a set; else ``None``."""
    cached = _SIMPLE.get(id(kinds))
    if cached is not None and cached[0] is kinds:
        return cached[1]
    texts = [str(k) for k in kinds]
    simple = None if any("/" in t or wildcard.contains_wildcard(t) for t in texts) else frozenset(texts)
    if len(_SIMPLE) > 10_000:
        _SIMPLE.clear()
    _SIMPLE[id(kinds)] = (kinds, simple)
    return simple


def _kind_matches(kinds: Iterable[Any], request: Request) -> bool:
    simple = _simple_kinds(kinds)
    if simple is not None:
        return request.kind in simple and not request.subresource
    group, version = request.group_version
    for raw in kinds:
        text = str(raw)
        if text == "*":
            return True
        g, v, k, sub = parse_kind_selector(text)
        if not wildcard.match(k, request.kind):
            continue
        if g != "*" and not wildcard.match(g, group):
            continue
        if v != "*" and not wildcard.match(v, version):
            continue
        if sub != request.subresource and not (sub and wildcard.match(sub, request.subresource)):
            continue
        return True
    return False


def _selector_matches(selector: Mapping[str, Any], labels: Mapping[str, Any]) -> bool:
    match_labels = selector.get("matchLabels") or {}
    for key, value in match_labels.items():
        if not any(
            wildcard.match(str(key), str(lk)) and wildcard.match(str(value), str(lv))
            for lk, lv in labels.items()
        ):
            return False
    for expr in selector.get("matchExpressions") or ():
        key = str(expr.get("key", ""))
        op = str(expr.get("operator", ""))
        values = [str(v) for v in expr.get("values") or ()]
        present = key in labels
        if op == "In" and not (present and str(labels[key]) in values):
            return False
        if op == "NotIn" and present and str(labels[key]) in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True


def _subjects_match(subjects: Iterable[Mapping[str, Any]], user: UserInfo) -> bool:
    for subject in subjects:
        kind = subject.get("kind")
        name = str(subject.get("name", ""))
        if kind == "ServiceAccount":
            if user.username == f"system:serviceaccount:{subject.get('namespace', '')}:{name}":
                return True
        elif kind == "User":
            if wildcard.match(name, user.username):
                return True
        elif kind == "Group" and any(wildcard.match(name, g) for g in user.groups):
            return True
    return False


def _empty(value: Any) -> bool:
    return value is None or value in ("", [], {})


def _description_matches(desc: Mapping[str, Any], request: Request) -> bool:
    """Every field the filter sets matches (unset fields match anything)."""
    kinds: Any = desc.get("kinds")
    if not _empty(kinds) and not _kind_matches(kinds, request):
        return False
    meta = request.metadata
    name = str(meta.get("name", "") or "")
    namespace = name if request.kind == "Namespace" else str(meta.get("namespace", "") or "")
    value: Any = desc.get("name")
    if not _empty(value) and not wildcard.match(str(value), name):
        return False
    value = desc.get("names")
    if not _empty(value) and not any(wildcard.match(str(n), name) for n in value):
        return False
    value = desc.get("namespaces")
    if not _empty(value) and not any(wildcard.match(str(n), namespace) for n in value):
        return False
    value = desc.get("annotations")
    if not _empty(value) and not wildcard.match_labels(value, meta.get("annotations") or {}):
        return False
    value = desc.get("selector")
    if not _empty(value) and not _selector_matches(value, meta.get("labels") or {}):
        return False
    value = desc.get("namespaceSelector")
    if not _empty(value) and not _selector_matches(value, request.namespace_labels):
        return False
    value = desc.get("operations")
    return _empty(value) or request.operation in [str(o) for o in value]


def _user_matches(block: Mapping[str, Any], user: UserInfo) -> bool:
    roles = block.get("roles")
    if roles and not any(r in user.roles for r in roles):
        return False
    cluster_roles = block.get("clusterRoles")
    if cluster_roles and not any(r in user.cluster_roles for r in cluster_roles):
        return False
    subjects = block.get("subjects")
    return not (subjects and not _subjects_match(subjects, user))


def _is_empty(block: Mapping[str, Any]) -> bool:
    desc = block.get("resources") or {}
    return not any(desc.get(k) for k in desc) and not any(
        block.get(k) for k in ("roles", "clusterRoles", "subjects")
    )


def _filter_matches(block: Mapping[str, Any], request: Request) -> bool:
    if _is_empty(block):
        return False
    desc = block.get("resources") or {}
    return _description_matches(desc, request) and _user_matches(block, request.user)


def _block_matches(block: Mapping[str, Any] | None, request: Request, *, exclude: bool) -> bool:
    if not isinstance(block, Mapping):
        return False
    any_filters = [f for f in block.get("any") or () if isinstance(f, Mapping)]
    all_filters = [f for f in block.get("all") or () if isinstance(f, Mapping)]
    if any_filters:
        return any(_filter_matches(f, request) for f in any_filters)
    if all_filters:
        return all(_filter_matches(f, request) for f in all_filters)
    return _filter_matches(block, request)


def rule_matches(match: Mapping[str, Any], exclude: Mapping[str, Any] | None, request: Request) -> bool:
    """The rule applies to the request: ``match`` matches and ``exclude`` does not."""
    if not _block_matches(match, request, exclude=False):
        return False
    return not (exclude and _block_matches(exclude, request, exclude=True))
