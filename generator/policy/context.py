"""The JSON context a rule's variables read: ``request.*``, ``images``, service account, values.

Built once per (resource, operation, user) and copied per rule, as Kyverno checkpoints its context.
``images`` follows upstream's image parsing (default registry ``docker.io``, tag ``latest``).
Values from a Values file (dotted paths such as ``request.object.metadata.annotations."a/b"``)
are written over the context last, so they win, as in the Kyverno CLI.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from generator.policy.match import UserInfo
from generator.policy.variables import set_path

__all__ = ["build_context", "parse_image", "pod_spec"]


def parse_image(image: str) -> dict[str, str]:
    """``ghcr.io/org/app:1.0`` → registry, path, name, tag, digest, reference (upstream ``ImageInfo``)."""
    digest = ""
    rest = image
    if "@" in rest:
        rest, digest = rest.split("@", 1)
    tag = ""
    slash = rest.rfind("/")
    colon = rest.rfind(":")
    if colon > slash:
        rest, tag = rest[:colon], rest[colon + 1 :]
    first, _, remainder = rest.partition("/")
    if remainder and ("." in first or ":" in first or first == "localhost"):
        registry, path = first, remainder
    else:
        registry, path = "docker.io", rest
    if not tag and not digest:
        tag = "latest"
    name = path.rsplit("/", 1)[-1]
    reference = f"{registry}/{path}" + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")
    return {
        "registry": registry,
        "path": path,
        "name": name,
        "tag": tag,
        "digest": digest,
        "reference": reference,
        "referenceWithTag": f"{registry}/{path}:{tag}" if tag else reference,
    }


def pod_spec(resource: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The pod spec of a Pod, a Pod controller or a CronJob, else ``None``."""
    kind = resource.get("kind")
    spec = resource.get("spec")
    if not isinstance(spec, dict):
        return None
    if kind == "Pod":
        return spec
    if kind == "CronJob":
        spec = (
            ((spec.get("jobTemplate") or {}).get("spec") or {})
            if isinstance(spec.get("jobTemplate"), dict)
            else {}
        )
    template = spec.get("template") if isinstance(spec, dict) else None
    inner = template.get("spec") if isinstance(template, dict) else None
    return inner if isinstance(inner, dict) else None


def _images(resource: Mapping[str, Any] | None) -> dict[str, Any]:
    spec = pod_spec(resource) if isinstance(resource, dict) else None
    if spec is None:
        return {}
    out: dict[str, Any] = {}
    for section in ("initContainers", "containers", "ephemeralContainers"):
        items = spec.get(section)
        if not isinstance(items, list):
            continue
        found = {
            str(c.get("name", "")): parse_image(c["image"])
            for c in items
            if isinstance(c, dict) and isinstance(c.get("image"), str)
        }
        if found:
            out[section] = found
    return out


def build_context(
    resource: Mapping[str, Any],
    *,
    operation: str = "CREATE",
    user: UserInfo | None = None,
    old_resource: Mapping[str, Any] | None = None,
    values: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Context for one admission request; ``values`` are dotted variable paths written over it."""
    user = user or UserInfo()
    meta = resource.get("metadata") if isinstance(resource.get("metadata"), dict) else {}
    assert isinstance(meta, dict)
    deleting = operation == "DELETE"
    obj = None if deleting else resource
    # the CLI has no stored object: an UPDATE compares the resource with itself, as upstream's CLI
    old = resource if deleting or (operation == "UPDATE" and old_resource is None) else old_resource
    request: dict[str, Any] = {
        "operation": operation,
        "object": obj,
        "oldObject": old,
        "userInfo": {"username": user.username, "groups": list(user.groups)},
        "roles": list(user.roles),
        "clusterRoles": list(user.cluster_roles),
        "namespace": str(meta.get("namespace", "") or ""),
        "name": str(meta.get("name", "") or ""),
        "kind": {"kind": str(resource.get("kind", ""))},
    }
    ctx: dict[str, Any] = {"request": request, "images": _images(resource)}
    if user.username.startswith("system:serviceaccount:"):
        parts = user.username.split(":")
        if len(parts) >= 4:
            ctx["serviceAccountNamespace"] = parts[2]
            ctx["serviceAccountName"] = parts[3]
    if any(str(k).startswith(("request.object", "request.oldObject")) for k in values or {}):
        # values write into these paths: work on copies so the caller's resource stays untouched
        request["object"] = copy.deepcopy(obj)
        request["oldObject"] = copy.deepcopy(old)
    for key, value in (values or {}).items():
        set_path(ctx, str(key), copy.deepcopy(value))
    return ctx
