"""Each ``gitops-gen release`` step as data: the edits it makes to the environment file, or a refusal.

Pure: a step reads the current ``Environment`` (its ``ReleaseState``) and returns a ``Step`` (what
changes, as ``Edit``s plus ``old → new`` lines to print), or raises one error. Refusals about the
state point at the environment file (``EnvFileError`` located at the key that blocks the step);
refusals about arguments are ``UsageError``. Either way the CLI exits 2 and nothing is changed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from generator.errors import EnvFileError, ErrorAt, UsageError
from generator.location import YamlPath
from generator.model import VERSION_RE, Environment
from generator.release.edit import DELETE, ByName, Edit
from generator.release.edit import YamlPath as EditPath
from generator.release.state import CLUSTERS, ReleaseState, other_cluster

__all__ = [
    "NEXT_STEPS",
    "Step",
    "approve",
    "finish",
    "parse_digests",
    "parse_weights",
    "require_dual",
    "rollback",
    "shift",
    "start",
]

VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
DIGEST = re.compile(r"^sha256:[a-f0-9]{64}$")

#: Which steps each phase allows (``release status`` prints them).
NEXT_STEPS: Mapping[str, tuple[str, ...]] = {
    "beta": ("approve", "rollback"),
    "approved": ("shift", "finish", "rollback"),
    "live": ("start", "rollback"),
    "rolledBack": ("start",),
}


@dataclass(frozen=True, slots=True)
class Step:
    """What one release step changes in the environment file."""

    edits: tuple[Edit, ...]
    changes: tuple[str, ...] = field(default=())
    """Human lines, ``release.phase: beta -> approved``."""


def _change(path: EditPath, old: Any, new: Any) -> str:
    from generator.errors import format_yaml_path

    shown = "(none)" if old is None else str(old)
    where = format_yaml_path(tuple(p if isinstance(p, str | int) else str(p) for p in path))
    return f"{where}: {shown} -> {'(removed)' if new is DELETE else new}"


def _step(data: Mapping[str, Any], edits: Sequence[Edit]) -> Step:
    """A ``Step`` whose change lines compare each edited path's old value in ``data``."""
    lines = []
    kept = []
    for e in edits:
        old: Any = data
        for part in e.path:
            if isinstance(part, ByName):
                old = next((x for x in old if isinstance(x, Mapping) and x.get("name") == part.name), None)
            else:
                old = (
                    old.get(part)
                    if isinstance(old, Mapping)
                    else (old[part] if isinstance(part, int) else None)
                )
            if old is None:
                break
        if old == e.value or (old is None and e.value is DELETE):
            continue
        kept.append(e)
        lines.append(_change(e.path, old, e.value))
    return Step(tuple(kept), tuple(lines))


def _refuse(error_at: ErrorAt, message: str, path: YamlPath, hint: str) -> EnvFileError:
    return error_at(message, path, hint)


def _phase_gate(state: ReleaseState, step: str, error_at: ErrorAt) -> None:
    """Refuse ``step`` unless the phase allows it, saying what to do instead."""
    if step in NEXT_STEPS[state.phase]:
        return
    what = {
        "beta": f"release {state.version} on {state.cluster} is in beta (not approved)",
        "approved": f"release {state.version} on {state.cluster} is approved and takes "
        f"{state.weights[state.cluster]}% of production",
        "live": f"release {state.version} on {state.cluster} is live at 100%",
        "rolledBack": f"release {state.version} on {state.cluster} was rolled back",
    }[state.phase]
    allowed = " or ".join(f"`release {s}`" for s in NEXT_STEPS[state.phase])
    raise _refuse(error_at, f"cannot {step}: {what}", ("release", "phase"), f"next allowed: {allowed}")


def parse_digests(values: Sequence[str], services: Sequence[str]) -> dict[str, str]:
    """``SERVICE=sha256:HEX`` options → ``{service: digest}``.

    Raises:
        UsageError: malformed option, unknown or repeated service, malformed digest.
    """
    out: dict[str, str] = {}
    for value in values:
        name, sep, digest = value.partition("=")
        if not sep:
            raise UsageError(
                f"--digest {value!r} is not SERVICE=sha256:HEX", hint="e.g. --digest api=sha256:…"
            )
        if name not in services:
            raise UsageError(
                f"--digest names unknown service {name!r}", hint=f"services: {', '.join(services)}"
            )
        if name in out:
            raise UsageError(f"--digest given twice for {name!r}", hint="one digest per service")
        if not DIGEST.match(digest):
            raise UsageError(
                f"--digest {name}: {digest!r} is not sha256:<64 hex>", hint="copy it from the registry"
            )
        out[name] = digest
    return out


def parse_weights(value: str) -> dict[str, int]:
    """``even=N,odd=M`` → weights, both clusters named, non-negative integers adding up to 100.

    Raises:
        UsageError: anything else.
    """
    out: dict[str, int] = {}
    for item in value.split(","):
        name, sep, number = item.strip().partition("=")
        if not sep or not re.fullmatch(r"-?[0-9]+", number.strip()):
            raise UsageError(
                f"--weights {value!r}: {item!r} is not CLUSTER=N", hint="e.g. --weights even=50,odd=50"
            )
        if name not in CLUSTERS:
            raise UsageError(
                f"--weights names unknown cluster {name!r}", hint="the clusters are even and odd"
            )
        if name in out:
            raise UsageError(f"--weights names {name!r} twice", hint="e.g. --weights even=50,odd=50")
        weight = int(number)
        if weight < 0:
            raise UsageError(f"--weights {name}={weight} is negative", hint="weights are 0..100")
        out[name] = weight
    if sorted(out) != list(CLUSTERS):
        raise UsageError("--weights must name both clusters", hint="e.g. --weights even=50,odd=50")
    total = sum(out.values())
    if total != 100:
        raise UsageError(f"--weights add up to {total}, not 100", hint="e.g. --weights even=50,odd=50")
    return {c: out[c] for c in CLUSTERS}


def _weights(state: ReleaseState, release_weight: int) -> list[Edit]:
    return [
        Edit(("topology", "weights", state.cluster), release_weight),
        Edit(("topology", "weights", state.other), 100 - release_weight),
    ]


def start(
    env: Environment,
    data: Mapping[str, Any],
    error_at: ErrorAt,
    *,
    version: str,
    digests: Mapping[str, str],
) -> Step:
    """Begin the next sprint on the idle cluster as beta (weight 0).

    The idle cluster is the one without traffic: the other cluster after a finished release, the
    release cluster itself after a rollback. The sprint moves to the next number of its parity.
    Digests of the version the idle cluster ran are dropped unless the live cluster still runs it.
    """
    state = require_dual(env, error_at)
    if not VERSION.match(version):
        raise UsageError(f"--version {version!r} is not a valid image tag", hint="e.g. 2026.43.0")
    if state.phase not in ("live", "rolledBack"):
        raise _refuse(
            error_at,
            f"cannot start a new release: {state.version} on {state.cluster} is {state.phase} "
            f"(weights {_shares(state)})",
            ("release", "phase"),
            "start only when the current release is live at 100 (`release finish`) or rolled back",
        )
    live = state.cluster if state.phase == "live" else state.other
    idle = other_cluster(live)
    if version == state.versions[live]:
        raise UsageError(f"{version} already runs on the live cluster {live!r}", hint="start a new version")
    sprint = state.sprint + 1 if idle != state.cluster else state.sprint + 2
    if VERSION_RE.match(version):  # otherwise the loader explains why since cannot apply
        absent = [s.name for s in env.services if s.name in digests and not s.exists_in(version)]
        if absent:
            raise UsageError(
                f"{', '.join(absent)} {'is' if len(absent) == 1 else 'are'} not in {version} "
                f"(services[].since is later): no digest to give",
                hint="drop those --digest options, or correct since",
            )
    missing = [
        s.name
        for s in env.services
        if env.images.require_digest
        and version not in s.digests
        and s.name not in digests
        and (not VERSION_RE.match(version) or s.exists_in(version))
    ]
    if missing:
        raise UsageError(
            f"images.requireDigest is set: no digest for {', '.join(missing)} at {version}",
            hint=" ".join(f"--digest {m}=sha256:<64 hex>" for m in missing),
        )
    replaced = state.versions[idle]
    edits = [
        Edit(("release", "sprint"), sprint),
        Edit(("release", "cluster"), idle),
        Edit(("release", "phase"), "beta"),
        Edit(("release", "versions", idle), version),
        Edit(("release", "approvedBy"), DELETE),
        Edit(("release", "approvedVersion"), DELETE),
    ]
    for s in env.services:
        if s.name in digests:
            edits.append(Edit(("services", ByName(s.name), "digests", version), digests[s.name]))
        if replaced not in (version, state.versions[live]) and replaced in s.digests:
            edits.append(Edit(("services", ByName(s.name), "digests", replaced), DELETE))
    return _step(data, edits)


def approve(env: Environment, data: Mapping[str, Any], error_at: ErrorAt, *, by: str) -> Step:
    """Record that beta validation of the release passed (phase approved; no traffic moves yet)."""
    state = require_dual(env, error_at)
    _phase_gate(state, "approve", error_at)
    if not by.strip():
        raise UsageError("--by is empty", hint="name who validated the beta")
    return _step(
        data,
        [
            Edit(("release", "phase"), "approved"),
            Edit(("release", "approvedBy"), by, after="versions"),
            Edit(("release", "approvedVersion"), state.version, after="approvedBy"),
        ],
    )


def shift(
    env: Environment,
    data: Mapping[str, Any],
    error_at: ErrorAt,
    *,
    weights: Mapping[str, int] | None = None,
    step: int | None = None,
) -> Step:
    """Move production traffic: to explicit weights, or ``step`` points toward the release cluster."""
    state = require_dual(env, error_at)
    _phase_gate(state, "shift", error_at)
    if step is not None:
        if not 1 <= step <= 100:
            raise UsageError(f"--step {step} is not 1..100", hint="points toward the release cluster")
        target = min(100, state.weights[state.cluster] + step)
    else:
        assert weights is not None
        target = weights[state.cluster]
    return _step(data, _weights(state, target))


def finish(env: Environment, data: Mapping[str, Any], error_at: ErrorAt) -> Step:
    """The release cluster takes all production traffic; phase live."""
    state = require_dual(env, error_at)
    _phase_gate(state, "finish", error_at)
    return _step(data, [*_weights(state, 100), Edit(("release", "phase"), "live")])


def rollback(env: Environment, data: Mapping[str, Any], error_at: ErrorAt) -> Step:
    """All production traffic back to the other cluster (the previous release); phase rolledBack."""
    state = require_dual(env, error_at)
    _phase_gate(state, "rollback", error_at)
    return _step(data, [*_weights(state, 0), Edit(("release", "phase"), "rolledBack")])


def _shares(state: ReleaseState) -> str:
    return ", ".join(f"{c}={state.weights[c]}" for c in CLUSTERS)


def require_dual(env: Environment, error_at: ErrorAt) -> ReleaseState:
    """The release state of a dual environment; refuses a single topology."""
    if env.release is None:
        raise _refuse(
            error_at,
            f"environment {env.name!r} has a single topology: there is no release to move between clusters",
            ("topology", "type"),
            "release commands are for dual topologies; bump release.version in the file instead",
        )
    return env.release
