"""``validate.podSecurity``: the Pod Security Standards (baseline, restricted) on a pod spec.

Each check of the standard is a small pure function (``pss_controls.CHECKS``, with its control
name and versions) that yields violations ``(container image or None, field path, message)`` for
the pod of a Pod, Pod controller or CronJob.
``exclude`` entries remove a control, or only the violations their ``images`` (container image
wildcards), ``restrictedField`` (``spec.containers[*].securityContext.capabilities.add``) and
``values`` cover. ``version`` (``latest`` or ``v1.<minor>``) picks the versions of each check as
Kyverno does (``active_checks``; the checks and their versions live in ``pss_controls``). Pure;
never raises on malformed resources.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

from generator.policy import wildcard
from generator.policy.conditions import go_string
from generator.policy.context import pod_spec
from generator.policy.pss_controls import CHECKS, Control, Violation
from generator.policy.validation import Outcome

__all__ = ["active_checks", "evaluate", "parse_version", "violations"]

_VERSION = re.compile(r"v1\.(0|[1-9][0-9]*)")


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def parse_version(version: str) -> int | None:
    """The v1 minor version a ``podSecurity.version`` names; ``None`` for ``latest`` (or unset).

    Raises:
        ValueError: not ``latest`` nor ``v1.<minor>`` (the pod-security-admission syntax).
    """
    if version in ("", "latest"):
        return None
    found = _VERSION.fullmatch(version)
    if found is None:
        raise ValueError(f"invalid podSecurity version {version!r}: use 'latest' or 'v1.<minor>'")
    return int(found.group(1))


@functools.cache
def active_checks(level: str, minor: int | None) -> tuple[tuple[str, Control], ...]:
    """The ``(control name, check)`` pairs Kyverno runs for ``level`` at version ``minor``.

    As Kyverno's ``pkg/pss/evaluate.go`` uses the library's ``DefaultChecks``: at ``latest`` only
    the newest version of each check runs; at an explicit version *every* version of a check
    whose minimum is at or below it runs. So a check that became stricter applies from its
    version, while a relaxation (more sysctls, ``container_engine_t``, the Windows and user
    namespace exemptions) only shows at ``latest``: the older, stricter version still runs beside
    it. A check newer than the requested version does not run. ``baseline`` runs baseline checks,
    ``restricted`` all of them.
    """
    checks = [c for c in CHECKS if level == "restricted" or c.level == "baseline"]
    chosen = {
        c.id: (c.versions[-1:] if minor is None else tuple(v for v in c.versions if v[0] <= minor))
        for c in checks
    }
    active: list[tuple[str, Control]] = []
    for c in checks:
        versions = chosen[c.id]
        if c.shadowed_by is not None and chosen.get(c.shadowed_by[0]):
            versions = tuple(v for v in versions if v[0] < c.shadowed_by[1])
        active.extend((c.control, check) for _, check in versions)
    return tuple(active)


def _field(path: tuple[str | int, ...]) -> str:
    """A violation's path in ``restrictedField`` spelling: ``spec.containers[*].securityContext``."""
    if path[:2] == ("metadata", "annotations") and len(path) == 3:
        return f'metadata.annotations["{path[2]}"]'
    out = "spec"
    for part in path:
        out += "[*]" if isinstance(part, int) else f".{part}"
    return out


def _value_at(root: Mapping[str, Any], path: tuple[str | int, ...]) -> Any:
    current: Any = root
    for part in path:
        if isinstance(part, int) and isinstance(current, list) and part < len(current):
            current = current[part]
        elif isinstance(part, str) and isinstance(current, dict):
            current = current.get(part)
        else:
            return None
    return current


def _excluded(
    control: str,
    violation: Violation,
    excludes: list[Mapping[str, Any]],
    spec: Mapping[str, Any],
    meta: Mapping[str, Any],
) -> bool:
    """An ``exclude`` entry exempts this violation.

    It must name the same control, and its ``images``, ``restrictedField`` and ``values`` (each
    optional) must all cover the violation.
    """
    image, path, _message = violation
    for exc in excludes:
        if str(exc.get("controlName", "")) != control:
            continue
        images = exc.get("images")
        if images and (image is None or not any(wildcard.match(str(p), image) for p in images)):
            continue
        field = exc.get("restrictedField")
        fields = {_field(path)} | ({_field(path[:-1])} if path and isinstance(path[-1], int) else set())
        if field and not any(wildcard.match(str(field), f) for f in fields):
            continue
        allowed = exc.get("values")
        if allowed:
            root = meta if path[:1] == ("metadata",) else spec
            value = _value_at({"metadata": meta} if root is meta else root, path)
            items = value if isinstance(value, list) else [value]
            if not all(go_string(v) in [go_string(a) for a in allowed] for v in items):
                continue
        return True
    return False


def violations(
    level: str, excludes: list[Mapping[str, Any]], resource: Mapping[str, Any], minor: int | None = None
) -> list[tuple[str, Violation]]:
    """Every (control, violation) of ``resource`` at ``level`` and version ``minor`` after ``excludes``.

    ``minor`` is the v1 minor version (``parse_version``); ``None`` is ``latest``.
    """
    spec = pod_spec(resource)
    if spec is None:
        return []
    meta = _map(resource.get("metadata"))
    if resource.get("kind") != "Pod":
        root = _map(resource.get("spec"))
        if resource.get("kind") == "CronJob":
            root = _map(_map(_map(root.get("jobTemplate")).get("spec")))
        meta = _map(_map(root.get("template")).get("metadata"))
    found: list[tuple[str, Violation]] = []
    seen: set[tuple[str, Violation]] = set()
    for name, check in active_checks(level, minor):
        for violation in check(spec, meta):
            # Two versions of one check (an explicit version runs all of them) report a shared
            # violation once.
            if (name, violation) not in seen and not _excluded(name, violation, excludes, spec, meta):
                seen.add((name, violation))
                found.append((name, violation))
    return found


def evaluate(spec: Mapping[str, Any], resource: Mapping[str, Any], rule: str) -> Outcome:
    """The rule response of a ``podSecurity`` block for one resource."""
    level = str(spec.get("level", "baseline")).lower()
    version = str(spec.get("version", "latest"))
    excludes = [e for e in spec.get("exclude") or () if isinstance(e, Mapping)]
    if level == "privileged":
        return Outcome("pass", f"Validation rule '{rule}' passed.")
    try:
        minor = parse_version(version)
    except ValueError as e:
        return Outcome("error", f"Validation rule '{rule}' error: {e}")
    found = violations(level, excludes, resource, minor)
    if not found:
        return Outcome("pass", f"Validation rule '{rule}' passed.")
    reasons = "; ".join(sorted({f"{name}: {v[2]}" for name, v in found}))
    first_path = found[0][1][1]
    prefix: tuple[str | int, ...] = (
        ("spec",) if resource.get("kind") == "Pod" else ("spec", "template", "spec")
    )
    if resource.get("kind") == "CronJob":
        prefix = ("spec", "jobTemplate", "spec", "template", "spec")
    path = first_path if first_path[:1] == ("metadata",) else (*prefix, *first_path)
    return Outcome(
        "fail",
        f"Validation rule '{rule}' failed. It violates PodSecurity \"{level}:{version}\": {reasons}",
        path,
    )
