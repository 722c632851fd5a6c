"""The Kyverno CLI's ``Values`` and ``UserInfo`` files: variables injected instead of a cluster.

``Values`` holds ``globalValues``, per-policy per-resource ``values``, per-rule ``values`` and
``foreachValues``, and ``namespaceSelector`` labels; ``UserInfo`` the admission user, roles and
cluster roles. Loaded once per test; malformed files raise ``PolicyLoadError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator import yamlread
from generator.errors import PolicyLoadError
from generator.policy.match import UserInfo

__all__ = ["Values", "load_user_info", "load_values", "user_info_from", "values_from"]


@dataclass(frozen=True, slots=True)
class Values:
    """Variable values for the CLI; every lookup returns a fresh mapping of dotted paths."""

    global_values: Mapping[str, Any] = field(default_factory=dict)
    policies: tuple[Mapping[str, Any], ...] = ()
    namespace_labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    subresources: Mapping[tuple[str, str], tuple[str, str, str]] = field(default_factory=dict)
    """(apiVersion, kind) of a subresource object → (parent apiVersion, parent kind, subresource)."""
    namespaces: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Namespace name → Namespace object (``namespaces:``, else built from ``namespaceSelector``):
    CEL policies read it as ``namespaceObject``."""
    params: tuple[Mapping[str, Any], ...] = ()
    """``paramResources``: the objects a ValidatingAdmissionPolicy binding's ``paramRef`` selects."""

    def _entries(self, policy: str, section: str, name: str, key: str) -> dict[str, Any]:
        """Merge ``policies[name=policy].<section>[name=name].<key>`` mappings."""
        out: dict[str, Any] = {}
        for entry in self.policies:
            if entry.get("name") != policy:
                continue
            for item in entry.get(section) or ():
                if isinstance(item, Mapping) and item.get("name") == name:
                    out.update(item.get(key) or {})
        return out

    def for_resource(self, policy: str, resource_name: str) -> dict[str, Any]:
        """Global values, then ``policies[].resources[].values`` of this resource (dotted paths)."""
        out: dict[str, Any] = dict(self.global_values) if self.global_values else {}
        if self.policies:
            out.update(self._entries(policy, "resources", resource_name, "values"))
        return out

    def for_rule(self, policy: str, rule: str) -> dict[str, Any]:
        """``policies[].rules[].values`` of this rule."""
        return self._entries(policy, "rules", rule, "values") if self.policies else {}

    def foreach_values(self, policy: str, rule: str) -> dict[str, Any]:
        """``policies[].rules[].foreachValues``: variable → list, one value per foreach element."""
        return self._entries(policy, "rules", rule, "foreachValues") if self.policies else {}


def _read(path: Path) -> Mapping[str, Any]:
    data = yamlread.load(yamlread.read_text(path, str(path), PolicyLoadError), str(path), PolicyLoadError)
    if not isinstance(data, Mapping):
        raise PolicyLoadError("expected a mapping", path=str(path), line=1)
    return data


def values_from(data: Mapping[str, Any], source: str = "") -> Values:
    """Build ``Values`` from a parsed Values document (or a Test's inline ``values:``)."""
    labels: dict[str, Mapping[str, str]] = {}
    namespaces: dict[str, Mapping[str, Any]] = {}
    for item in data.get("namespaceSelector") or ():
        if isinstance(item, Mapping) and item.get("name"):
            labels[str(item["name"])] = {str(k): str(v) for k, v in (item.get("labels") or {}).items()}
            selected = {"name": str(item["name"]), "labels": dict(labels[str(item["name"])])}
            namespaces[str(item["name"])] = {"apiVersion": "v1", "kind": "Namespace", "metadata": selected}
    for item in data.get("namespaces") or ():  # whole Namespace objects win over namespaceSelector
        meta: Any = item.get("metadata") if isinstance(item, Mapping) else None
        if isinstance(meta, Mapping) and meta.get("name"):
            namespaces[str(meta["name"])] = item
            labels[str(meta["name"])] = {str(k): str(v) for k, v in (meta.get("labels") or {}).items()}
    policies = data.get("policies") or []
    if not isinstance(policies, list):
        raise PolicyLoadError("`policies` must be a list", path=source or None, yaml_path=("policies",))
    return Values(
        global_values=dict(data.get("globalValues") or {}),
        policies=tuple(p for p in policies if isinstance(p, Mapping)),
        namespace_labels=labels,
        subresources=_subresources(data.get("subresources") or []),
        namespaces=namespaces,
        params=tuple(p for p in data.get("paramResources") or () if isinstance(p, Mapping)),
    )


def _api_version(gvk: Mapping[str, Any]) -> str:
    group, version = str(gvk.get("group", "") or ""), str(gvk.get("version", "") or "")
    return f"{group}/{version}" if group else version


def _subresources(items: Any) -> dict[tuple[str, str], tuple[str, str, str]]:
    """``subresources: [{subresource: {name: deployments/scale, kind: Scale}, parentResource: …}]``."""
    out: dict[tuple[str, str], tuple[str, str, str]] = {}
    for item in items if isinstance(items, list) else ():
        sub = item.get("subresource") if isinstance(item, Mapping) else None
        parent = item.get("parentResource") if isinstance(item, Mapping) else None
        if not isinstance(sub, Mapping) or not isinstance(parent, Mapping):
            continue
        name = str(sub.get("name", ""))
        out[(_api_version(sub), str(sub.get("kind", "")))] = (
            _api_version(parent),
            str(parent.get("kind", "")),
            name.split("/", 1)[1] if "/" in name else name,
        )
    return out


def load_values(path: Path) -> Values:
    """Read a ``Values`` file."""
    return values_from(_read(path), str(path))


def user_info_from(data: Mapping[str, Any]) -> UserInfo:
    """Build ``UserInfo`` from a parsed UserInfo document (``userInfo``, ``roles``, ``clusterRoles``)."""
    info = data.get("userInfo") or {}
    return UserInfo(
        username=str(info.get("username", "") or ""),
        groups=tuple(str(g) for g in info.get("groups") or ()),
        roles=tuple(str(r) for r in data.get("roles") or ()),
        cluster_roles=tuple(str(r) for r in data.get("clusterRoles") or ()),
    )


def load_user_info(path: Path) -> UserInfo:
    """Read a ``UserInfo`` file."""
    return user_info_from(_read(path))
