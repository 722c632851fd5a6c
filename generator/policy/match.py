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

__all__ = ["Request", "UserInfo", "namespace_selected", "parse_kind_selector", "rule_matches"]


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
    """Subresource name (``scale``) when the resource is a subresource of ``parent_kind``."""
    parent_api_version: str = ""
    parent_kind: str = ""
    """For a subresource (a Values file's ``subresources``): the parent's apiVersion and kind."""
    kind: str = field(init=False, default="")
    """The kind matched against ``kinds`` (the parent's for a subresource), read once."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", self.parent_kind or str(self.resource.get("kind", "")))

    @property
    def group_version(self) -> tuple[str, str]:
        api = self.parent_api_version or str(self.resource.get("apiVersion", ""))
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


_KIND_RESULTS: dict[tuple[int, str, str, str], tuple[Any, bool]] = {}


def _kind_matches(kinds: Iterable[Any], request: Request) -> bool:
    simple = _simple_kinds(kinds)
    if simple is not None:
        return request.kind in simple and not request.subresource
    key = (id(kinds), "/".join(request.group_version), request.kind, request.subresource)
    cached = _KIND_RESULTS.get(key)
    if cached is not None and cached[0] is kinds:
        return cached[1]
    result = _kind_matches_slow(kinds, request)
    if len(_KIND_RESULTS) > 10_000:
        _KIND_RESULTS.clear()
    _KIND_RESULTS[key] = (kinds, result)
    return result


def _kind_matches_slow(kinds: Iterable[Any], request: Request) -> bool:
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


_FIELDS = (
    "kinds",
    "name",
    "names",
    "namespaces",
    "annotations",
    "selector",
    "namespaceSelector",
    "operations",
)
_COMPILED: dict[int, tuple[Any, tuple[tuple[str, Any], ...]]] = {}


def _set_fields(desc: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    """The (field, value) pairs a filter sets, computed once per filter."""
    cached = _COMPILED.get(id(desc))
    if cached is not None and cached[0] is desc:
        return cached[1]
    fields = tuple((f, desc[f]) for f in _FIELDS if not _empty(desc.get(f)))
    if len(_COMPILED) > 10_000:
        _COMPILED.clear()
    _COMPILED[id(desc)] = (desc, fields)
    return fields


def _field_matches(field_name: str, value: Any, request: Request) -> bool:
    if field_name == "kinds":
        return _kind_matches(value, request)
    if field_name == "operations":
        return request.operation in [str(o) for o in value]
    meta = request.metadata
    name = str(meta.get("name", "") or "")
    if field_name == "name":
        return wildcard.match(str(value), name)
    if field_name == "names":
        return any(wildcard.match(str(n), name) for n in value)
    if field_name == "namespaces":
        namespace = name if request.kind == "Namespace" else str(meta.get("namespace", "") or "")
        return any(wildcard.match(str(n), namespace) for n in value)
    if field_name == "annotations":
        return wildcard.match_labels(value, meta.get("annotations") or {})
    if field_name == "selector":
        return _selector_matches(value, meta.get("labels") or {})
    return _selector_matches(value, request.namespace_labels)


def _user_matches(block: Mapping[str, Any], user: UserInfo) -> bool:
    roles = block.get("roles")
    if roles and not any(r in user.roles for r in roles):
        return False
    cluster_roles = block.get("clusterRoles")
    if cluster_roles and not any(r in user.cluster_roles for r in cluster_roles):
        return False
    subjects = block.get("subjects")
    return not (subjects and not _subjects_match(subjects, user))


@dataclass(frozen=True, slots=True)
class _Filter:
    """One resource filter compiled once: the description fields it sets, and its user info."""

    fields: tuple[tuple[str, Any], ...]
    block: Mapping[str, Any]
    has_user: bool

    @property
    def empty(self) -> bool:
        return not self.fields and not self.has_user


@dataclass(frozen=True, slots=True)
class _Block:
    """A ``match``/``exclude`` block compiled once: ``any`` filters, ``all`` filters, or one legacy filter."""

    mode: str
    filters: tuple[_Filter, ...]


_BLOCKS: dict[int, tuple[Any, _Block]] = {}


def _compile_filter(block: Mapping[str, Any]) -> _Filter:
    desc = block.get("resources")
    fields = _set_fields(desc) if isinstance(desc, dict) else ()
    has_user = any(block.get(k) for k in ("roles", "clusterRoles", "subjects"))
    return _Filter(fields, block, has_user)


def _compile_block(block: Mapping[str, Any]) -> _Block:
    cached = _BLOCKS.get(id(block))
    if cached is not None and cached[0] is block:
        return cached[1]
    any_filters = tuple(_compile_filter(f) for f in block.get("any") or () if isinstance(f, dict))
    all_filters = tuple(_compile_filter(f) for f in block.get("all") or () if isinstance(f, dict))
    if any_filters:
        compiled = _Block("any", any_filters)
    elif all_filters:
        compiled = _Block("all", all_filters)
    else:
        compiled = _Block("one", (_compile_filter(block),))
    if len(_BLOCKS) > 10_000:
        _BLOCKS.clear()
    _BLOCKS[id(block)] = (block, compiled)
    return compiled


def _filter_matches(compiled: _Filter, request: Request) -> bool:
    if compiled.empty:
        return False
    if not all(_field_matches(f, value, request) for f, value in compiled.fields):
        return False
    return not compiled.has_user or _user_matches(compiled.block, request.user)


def _block_matches(block: Mapping[str, Any] | None, request: Request, *, exclude: bool) -> bool:
    if not isinstance(block, dict):
        return False
    compiled = _compile_block(block)
    if compiled.mode == "all":
        return all(_filter_matches(f, request) for f in compiled.filters)
    return any(_filter_matches(f, request) for f in compiled.filters)


def namespace_selected(entry: Mapping[str, Any], request: Request) -> bool:
    """A failure-action override applies: its ``namespaces`` (wildcards) and ``namespaceSelector`` match."""
    meta = request.metadata
    namespace = str(meta.get("name", "") if request.kind == "Namespace" else meta.get("namespace", "") or "")
    namespaces = entry.get("namespaces")
    if namespaces and not any(wildcard.match(str(n), namespace) for n in namespaces):
        return False
    selector = entry.get("namespaceSelector")
    if isinstance(selector, dict) and not _selector_matches(selector, request.namespace_labels):
        return False
    return bool(namespaces) or isinstance(selector, dict)


def rule_matches(match: Mapping[str, Any], exclude: Mapping[str, Any] | None, request: Request) -> bool:
    """The rule applies to the request: ``match`` matches and ``exclude`` does not.

    When both blocks read only ``kinds`` and ``operations`` (most rules), the answer depends on
    the request's apiVersion, kind, subresource and operation alone, so it is computed once per
    such combination and rule (``_kind_only``), not once per document.
    """
    if not _kind_only(match, exclude):
        return _rule_matches(match, exclude, request)
    key = (
        id(match),
        id(exclude),
        request.parent_api_version or str(request.resource.get("apiVersion", "")),
        request.kind,
        request.subresource,
        request.operation,
    )
    cached = _KIND_ONLY_RESULTS.get(key)
    if cached is not None and cached[0] is match and cached[1] is exclude:
        return cached[2]
    result = _rule_matches(match, exclude, request)
    if len(_KIND_ONLY_RESULTS) > 10_000:
        _KIND_ONLY_RESULTS.clear()
    _KIND_ONLY_RESULTS[key] = (match, exclude, result)
    return result


def _rule_matches(match: Mapping[str, Any], exclude: Mapping[str, Any] | None, request: Request) -> bool:
    if not _block_matches(match, request, exclude=False):
        return False
    return not (exclude and _block_matches(exclude, request, exclude=True))


_KIND_ONLY_FIELDS = frozenset({"kinds", "operations"})
_KIND_ONLY: dict[tuple[int, int], tuple[Any, Any, bool]] = {}
_KIND_ONLY_RESULTS: dict[tuple[int, int, str, str, str, str], tuple[Any, Any, bool]] = {}


def _kind_only(match: Mapping[str, Any], exclude: Mapping[str, Any] | None) -> bool:
    """Neither block reads anything of the request but its kind, apiVersion and operation."""
    key = (id(match), id(exclude))
    cached = _KIND_ONLY.get(key)
    if cached is not None and cached[0] is match and cached[1] is exclude:
        return cached[2]
    blocks = [b for b in (match, exclude) if isinstance(b, dict)]
    result = all(
        not f.has_user and all(name in _KIND_ONLY_FIELDS for name, _ in f.fields)
        for b in blocks
        for f in _compile_block(b).filters
    )
    if len(_KIND_ONLY) > 10_000:
        _KIND_ONLY.clear()
    _KIND_ONLY[key] = (match, exclude, result)
    return result
