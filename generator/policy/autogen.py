"""Auto-generated rules for Pod controllers, as Kyverno generates them (upstream ``pkg/autogen``).

A policy whose rules match ``Pod`` (and only Pod, without names, selectors or annotations) also
gets, per such rule, ``autogen-<rule>`` for Deployment, DaemonSet, StatefulSet, Job, ReplicaSet and
ReplicationController (the pattern moves under ``spec.template``) and ``autogen-cronjob-<rule>``
for CronJob (under ``spec.jobTemplate.spec.template``). The annotation
``pod-policies.kyverno.io/autogen-controllers`` limits the controllers (``none`` disables autogen).
Pure: takes raw rule mappings, returns new ones.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["ANNOTATION", "autogen_controllers", "generate_mutate_rules", "generate_rules", "rewrite_cel"]

ANNOTATION = "pod-policies.kyverno.io/autogen-controllers"
_POD_CONTROLLERS = ("DaemonSet", "Deployment", "Job", "StatefulSet", "ReplicaSet", "ReplicationController")
_ALL = (*_POD_CONTROLLERS, "CronJob")


def _bare_kind(kind: str) -> str:
    """``apps/v1/Deployment`` → ``Deployment``; ``Pod/exec`` → ``Pod``; ``v1/Pod`` → ``Pod``."""
    parts = kind.split("/")
    if len(parts) == 2 and not kind[:1].islower():
        return parts[0]
    return parts[-1] if len(parts) < 4 else parts[2]


def _descriptions(block: Mapping[str, Any] | None) -> Iterable[Mapping[str, Any]]:
    if not isinstance(block, Mapping):
        return
    if isinstance(block.get("resources"), Mapping):
        yield block["resources"]
    for key in ("any", "all"):
        for item in block.get(key) or ():
            if isinstance(item, Mapping) and isinstance(item.get("resources"), Mapping):
                yield item["resources"]


def _has_pod(desc: Mapping[str, Any]) -> bool:
    return any(_bare_kind(str(k)) == "Pod" for k in desc.get("kinds") or ())


def _supported(desc: Mapping[str, Any]) -> bool:
    kinds = [str(k) for k in desc.get("kinds") or ()]
    other_than_pod = len(kinds) > 1 and any(_bare_kind(k) == "Pod" for k in kinds)
    return not (
        desc.get("name")
        or desc.get("names")
        or desc.get("selector")
        or desc.get("annotations")
        or other_than_pod
    )


def autogen_controllers(
    annotations: Mapping[str, Any], rules: Iterable[Mapping[str, Any]]
) -> tuple[str, ...]:
    """Controllers rules are generated for; empty when autogen does not apply."""
    needed = False
    for rule in rules:
        for desc in _descriptions(rule.get("match")):
            if not _supported(desc):
                return ()
            needed = needed or _has_pod(desc)
        for desc in _descriptions(rule.get("exclude")):
            if not _supported(desc):
                return ()
    if not needed:
        return ()
    wanted = annotations.get(ANNOTATION)
    if wanted is None:
        return _ALL
    if str(wanted).strip() == "none":
        return ()
    listed = {w.strip() for w in str(wanted).split(",")}
    return tuple(c for c in _ALL if c in listed)


def _replace_kinds(block: Any, kinds: list[str]) -> Any:
    if isinstance(block, Mapping):
        out = {}
        for key, value in block.items():
            if key == "kinds" and isinstance(value, list) and any(_bare_kind(str(k)) == "Pod" for k in value):
                out[key] = list(kinds)
            else:
                out[key] = _replace_kinds(value, kinds)
        return out
    if isinstance(block, list):
        return [_replace_kinds(v, kinds) for v in block]
    return block


def _wrap(pattern: Any, cronjob: bool) -> Any:
    inner = {"spec": {"template": pattern}}
    return {"spec": {"jobTemplate": inner}} if cronjob else inner


def _rewrite_text(node: Any, cronjob: bool) -> Any:
    """Point ``request.object.spec``/``metadata`` (and CEL ``object.spec``) at the pod template."""
    prefix = "spec.jobTemplate.spec.template" if cronjob else "spec.template"
    text = json.dumps(node)
    for root in ("request.object", "request.oldObject"):
        text = text.replace(f"{root}.spec", f"{root}.{prefix}.__SPEC__")
        text = text.replace(f"{root}.metadata", f"{root}.{prefix}.metadata")
    text = text.replace(".__SPEC__", ".spec")
    return json.loads(text)


def rewrite_cel(validate: Any, cronjob: bool) -> Any:
    """Point CEL ``object.spec``/``metadata`` (and ``oldObject``'s) in ``validate`` at the pod template."""
    prefix = "object.spec.jobTemplate.spec.template" if cronjob else "object.spec.template"
    text = json.dumps(validate)
    for old in ("oldObject", "object"):
        marker = "__OLD__" if old == "oldObject" else "__OBJ__"
        text = text.replace(f"{old}.spec", f"{marker}.spec").replace(f"{old}.metadata", f"{marker}.metadata")
    text = text.replace("__OLD__.", "old" + prefix[0].upper() + prefix[1:] + ".")
    text = text.replace("__OBJ__.", prefix + ".")
    return json.loads(text)


def _retargeted(rule: Mapping[str, Any], kinds: list[str], cronjob: bool) -> dict[str, Any]:
    """A copy of ``rule`` named and matched as Kyverno's autogen names and matches it for ``kinds``."""
    out = dict(rule)
    out["name"] = ("autogen-cronjob-" if cronjob else "autogen-") + str(rule.get("name", ""))
    out["match"] = _replace_kinds(rule.get("match"), kinds)
    if rule.get("exclude") is not None:
        out["exclude"] = _replace_kinds(rule.get("exclude"), kinds)
    return out


def _generate(rule: Mapping[str, Any], kinds: list[str], cronjob: bool) -> dict[str, Any]:
    out = _retargeted(rule, kinds, cronjob)
    validate = dict(rule.get("validate") or {})
    if "pattern" in validate:
        validate["pattern"] = _wrap(validate["pattern"], cronjob)
    if isinstance(validate.get("anyPattern"), list):
        validate["anyPattern"] = [_wrap(p, cronjob) for p in validate["anyPattern"]]
    if "cel" in validate:
        validate = rewrite_cel(validate, cronjob)
    out["validate"] = validate
    for key in ("validate", "preconditions", "context"):
        if key in out:
            out[key] = _rewrite_text(out[key], cronjob)
    if "celPreconditions" in out:
        out["celPreconditions"] = rewrite_cel({"p": out["celPreconditions"]}, cronjob)["p"]
    return out


def generate_rules(annotations: Mapping[str, Any], rules: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The auto-generated rules for ``rules`` (the written rules themselves are not included)."""
    controllers = autogen_controllers(annotations, rules)
    if not controllers:
        return []
    plain = [c for c in controllers if c != "CronJob"]
    pod_rules = [
        r
        for r in rules
        if isinstance(r.get("validate"), Mapping) and any(_has_pod(d) for d in _descriptions(r.get("match")))
    ]
    generated = [_generate(r, plain, cronjob=False) for r in pod_rules] if plain else []
    if "CronJob" in controllers:
        generated += [_generate(r, ["CronJob"], cronjob=True) for r in pod_rules]
    return generated


def _generate_mutate(rule: Mapping[str, Any], kinds: list[str], cronjob: bool) -> dict[str, Any]:
    out = _retargeted(rule, kinds, cronjob)
    mutate = dict(rule.get("mutate") or {})
    if "patchStrategicMerge" in mutate:
        mutate["patchStrategicMerge"] = _wrap(mutate["patchStrategicMerge"], cronjob)
    if isinstance(mutate.get("foreach"), list):
        mutate["foreach"] = [
            dict(f, patchStrategicMerge=_wrap(f["patchStrategicMerge"], cronjob))
            if isinstance(f, Mapping) and "patchStrategicMerge" in f
            else f
            for f in mutate["foreach"]
        ]
    out["mutate"] = mutate
    for key in ("mutate", "preconditions", "context"):
        if key in out:
            out[key] = _rewrite_text(out[key], cronjob)
    return out


def generate_mutate_rules(
    annotations: Mapping[str, Any], rules: list[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The auto-generated rules for Pod ``mutate`` rules: overlays move under the pod template.

    Upstream ``pkg/autogen`` wraps ``patchStrategicMerge`` (also inside ``foreach``) in
    ``spec.template`` (CronJob: ``spec.jobTemplate.spec.template``) and points
    ``request.object.spec``/``metadata`` at the template, as for validate rules.
    """
    mutating = [r for r in rules if isinstance(r.get("mutate"), Mapping) and "targets" not in r["mutate"]]
    controllers = autogen_controllers(annotations, mutating)
    if not controllers:
        return []
    plain = [c for c in controllers if c != "CronJob"]
    pod_rules = [r for r in mutating if any(_has_pod(d) for d in _descriptions(r.get("match")))]
    generated = [_generate_mutate(r, plain, cronjob=False) for r in pod_rules] if plain else []
    if "CronJob" in controllers:
        generated += [_generate_mutate(r, ["CronJob"], cronjob=True) for r in pod_rules]
    return generated
