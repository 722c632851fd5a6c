"""Workload kinds as ``pkg/apis/apps/validation`` and ``pkg/apis/batch/validation`` check them.

Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob and Pod: the pod template through
``pods.check_pod_spec``, the selector against the template's labels, replicas and rollout knobs.
Pure.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from generator.schema.native_rules.fields import Issue, Path, int_or_percent, label_selector, selector_matches
from generator.schema.native_rules.pods import check_pod_spec

__all__ = ["WORKLOADS"]


def _nonnegative(spec: Mapping[str, Any], key: str, path: Path, rule: str) -> Iterator[Issue]:
    value = spec.get(key)
    if isinstance(value, int) and not isinstance(value, bool) and value < 0:
        yield (*path, key), rule, f"Invalid value: {value}: must be greater than or equal to 0"


def _template(
    spec: Mapping[str, Any], path: Path, rule: str, restart: tuple[str, ...], selector_required: bool = True
) -> Iterator[Issue]:
    """Selector (non-empty, valid, matching the template labels) and the template's pod spec."""
    selector = spec.get("selector")
    template = spec.get("template")
    if not isinstance(template, Mapping):
        return
    labels = (
        (template.get("metadata") or {}).get("labels")
        if isinstance(template.get("metadata"), Mapping)
        else None
    )
    labels = labels if isinstance(labels, Mapping) else {}
    if isinstance(selector, Mapping):
        yield from label_selector(selector, (*path, "selector"), "k8s:ValidateLabelSelector")
        if not selector.get("matchLabels") and not selector.get("matchExpressions"):
            yield (*path, "selector"), rule, "Invalid value: empty selector is invalid"
        elif not selector_matches(selector, labels):
            yield (
                (*path, "template", "metadata", "labels"),
                rule,
                f"Invalid value: {dict(labels)!r}: `selector` does not match template `labels`",
            )
    elif selector_required and selector is None:
        yield (*path, "selector"), rule, "Required value"
    yield from check_pod_spec(template.get("spec"), (*path, "template", "spec"), restart_policies=restart)


def _deployment(body: Mapping[str, Any]) -> Iterator[Issue]:
    spec = body.get("spec")
    if not isinstance(spec, Mapping):
        return
    path: Path = ("spec",)
    yield from _nonnegative(spec, "replicas", path, "k8s:ValidateDeploymentSpec")
    yield from _template(spec, path, "k8s:ValidateDeploymentSpec", ("Always",))
    strategy = spec.get("strategy")
    rolling = strategy.get("rollingUpdate") if isinstance(strategy, Mapping) else None
    if isinstance(strategy, Mapping) and strategy.get("type") not in (None, "RollingUpdate", "Recreate"):
        yield (
            (*path, "strategy", "type"),
            "k8s:ValidateDeploymentStrategy",
            f'Unsupported value: {strategy.get("type")!r}: supported values: "Recreate", "RollingUpdate"',
        )
    if isinstance(rolling, Mapping):
        where = (*path, "strategy", "rollingUpdate")
        for key in ("maxUnavailable", "maxSurge"):
            for err in int_or_percent(rolling.get(key)):
                yield (
                    (*where, key),
                    "k8s:ValidateRollingUpdateDeployment",
                    f"Invalid value: {rolling.get(key)!r}: {err}",
                )
        if rolling.get("maxUnavailable") in (0, "0%") and rolling.get("maxSurge") in (0, "0%"):
            yield (
                (*where, "maxUnavailable"),
                "k8s:ValidateRollingUpdateDeployment",
                "Invalid value: 0: may not be 0 when `maxSurge` is 0",
            )
        if isinstance(strategy, Mapping) and strategy.get("type") == "Recreate":
            yield (
                where,
                "k8s:ValidateDeploymentStrategy",
                "Forbidden: may not be specified when strategy `type` is 'Recreate'",
            )


def _statefulset(body: Mapping[str, Any]) -> Iterator[Issue]:
    spec = body.get("spec")
    if not isinstance(spec, Mapping):
        return
    yield from _nonnegative(spec, "replicas", ("spec",), "k8s:ValidateStatefulSetSpec")
    yield from _template(spec, ("spec",), "k8s:ValidateStatefulSetSpec", ("Always",))
    policy = spec.get("podManagementPolicy")
    if policy is not None and policy not in ("OrderedReady", "Parallel"):
        yield (
            ("spec", "podManagementPolicy"),
            "k8s:ValidateStatefulSetSpec",
            f"Invalid value: {policy!r}: must be 'OrderedReady' or 'Parallel'",
        )


def _daemonset(body: Mapping[str, Any]) -> Iterator[Issue]:
    spec = body.get("spec")
    if isinstance(spec, Mapping):
        yield from _template(spec, ("spec",), "k8s:ValidateDaemonSetSpec", ("Always",))


def _replicaset(body: Mapping[str, Any]) -> Iterator[Issue]:
    spec = body.get("spec")
    if isinstance(spec, Mapping):
        yield from _nonnegative(spec, "replicas", ("spec",), "k8s:ValidateReplicaSetSpec")
        yield from _template(spec, ("spec",), "k8s:ValidateReplicaSetSpec", ("Always",))


def _job_spec(spec: Any, path: Path) -> Iterator[Issue]:
    if not isinstance(spec, Mapping):
        return
    for key in ("parallelism", "completions", "backoffLimit"):
        yield from _nonnegative(spec, key, path, "k8s:validateJobSpec")
    deadline = spec.get("activeDeadlineSeconds")
    if isinstance(deadline, int) and not isinstance(deadline, bool) and deadline <= 0:
        yield (
            (*path, "activeDeadlineSeconds"),
            "k8s:validateJobSpec",
            f"Invalid value: {deadline}: must be greater than 0",
        )
    # the Job controller generates the selector unless manualSelector is set
    yield from _template(spec, path, "k8s:validateJobSpec", ("OnFailure", "Never"), selector_required=False)
    template = spec.get("template")
    template_spec = template.get("spec") if isinstance(template, Mapping) else None
    if isinstance(template_spec, Mapping) and template_spec.get("restartPolicy") is None:
        yield (
            (*path, "template", "spec", "restartPolicy"),
            "k8s:validateJobSpec",
            'Required value: valid values: "OnFailure", "Never"',
        )


def _job(body: Mapping[str, Any]) -> Iterator[Issue]:
    yield from _job_spec(body.get("spec"), ("spec",))


_CRON_FIELD_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
_CRON_MACROS = frozenset({"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"})


def _cron_field(text: str, low: int, high: int) -> bool:
    for part in text.split(","):
        base, _, step = part.partition("/")
        if step and not (step.isdigit() and int(step) > 0):
            return False
        if base in ("*", "?"):
            continue
        bounds = base.split("-")
        if len(bounds) > 2:
            return False
        for bound in bounds:
            if not bound.isdigit() and not (high in (12, 7) and bound.isalpha() and len(bound) == 3):
                return False
            if bound.isdigit() and not low <= int(bound) <= high:
                return False
    return True


def _valid_schedule(schedule: str) -> bool:
    """robfig/cron's standard parser: five fields, or a ``@`` macro (``@every`` too)."""
    text = schedule.strip()
    if text.startswith(("TZ=", "CRON_TZ=")):
        text = text.partition(" ")[2]
    if text in _CRON_MACROS or text.startswith("@every "):
        return True
    fields = text.split()
    return len(fields) == 5 and all(
        _cron_field(f, *r) for f, r in zip(fields, _CRON_FIELD_RANGES, strict=True)
    )


def _cronjob(body: Mapping[str, Any]) -> Iterator[Issue]:
    spec = body.get("spec")
    if not isinstance(spec, Mapping):
        return
    schedule = spec.get("schedule")
    if isinstance(schedule, str) and not _valid_schedule(schedule):
        yield (
            ("spec", "schedule"),
            "k8s:validateScheduleFormat",
            f"Invalid value: {schedule!r}: not a valid cron schedule",
        )
    policy = spec.get("concurrencyPolicy")
    if policy is not None and policy not in ("Allow", "Forbid", "Replace"):
        yield (
            ("spec", "concurrencyPolicy"),
            "k8s:ValidateCronJobSpec",
            f'Unsupported value: {policy!r}: supported values: "Allow", "Forbid", "Replace"',
        )
    for key in ("successfulJobsHistoryLimit", "failedJobsHistoryLimit", "startingDeadlineSeconds"):
        yield from _nonnegative(spec, key, ("spec",), "k8s:ValidateCronJobSpec")
    template = spec.get("jobTemplate")
    if isinstance(template, Mapping):
        yield from _job_spec(template.get("spec"), ("spec", "jobTemplate", "spec"))


def _pod(body: Mapping[str, Any]) -> Iterator[Issue]:
    yield from check_pod_spec(body.get("spec"), ("spec",))


WORKLOADS = {
    "Pod": _pod,
    "Deployment": _deployment,
    "StatefulSet": _statefulset,
    "DaemonSet": _daemonset,
    "ReplicaSet": _replicaset,
    "Job": _job,
    "CronJob": _cronjob,
}
"""kind → checker of its API-server validation (``apps``/``batch``/core ``Pod``)."""
