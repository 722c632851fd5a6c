"""The release state of a dual-topology environment, read from ``release:`` and checked for consistency.

An environment file records, per dual environment (see the state diagram in README):

* ``release.sprint`` and ``release.cluster``: the sprint and its release (beta) cluster, which must be
  the cluster of the sprint's parity;
* ``release.phase``: ``beta`` (validating, no production traffic) → ``approved`` (validated; traffic
  may shift) → ``live`` (release cluster at 100), or ``rolledBack`` (traffic back on the other cluster);
* ``release.versions``: the version each cluster runs;
* ``release.approvedBy`` / ``release.approvedVersion``: who approved which version (no timestamps:
  git records when);
* ``topology.weights``: the Route 53 weights.

Everything here is checked from the file alone, so a hand edit gets the same error the ``release``
commands would give. Pure; imports only ``errors``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from generator.errors import ErrorAt

__all__ = [
    "CLUSTERS",
    "PHASES",
    "Phase",
    "ReleaseState",
    "check_transition",
    "parity_cluster",
    "read_release_state",
    "recorded_state",
]

Phase = Literal["beta", "approved", "live", "rolledBack"]
PHASES: tuple[Phase, ...] = ("beta", "approved", "live", "rolledBack")
CLUSTERS = ("even", "odd")
#: Keys of ``release:`` that only a dual topology has.
DUAL_KEYS = ("cluster", "phase", "versions", "approvedBy", "approvedVersion")


def parity_cluster(sprint: int) -> str:
    """The cluster that receives sprint ``sprint``'s release: even sprints → ``even``."""
    return "even" if sprint % 2 == 0 else "odd"


def other_cluster(cluster: str) -> str:
    """The other cluster of a dual topology."""
    return "odd" if cluster == "even" else "even"


@dataclass(frozen=True, slots=True)
class ReleaseState:
    """Where a dual environment's release stands: enough to check every transition from the file."""

    sprint: int
    """Current sprint."""
    cluster: str
    """Release (beta) cluster of the sprint: the cluster of its parity."""
    phase: Phase
    """beta → approved → live, or rolledBack."""
    versions: Mapping[str, str]
    """Cluster name → the version it runs."""
    weights: Mapping[str, int]
    """Cluster name → Route 53 weight of the public record (adds up to 100)."""
    approved_by: str | None = None
    """Who recorded that beta validation passed (``release approve --by``)."""
    approved_version: str | None = None
    """The version that was approved: must be the one the release cluster runs."""

    @property
    def other(self) -> str:
        """The cluster that is not the release cluster (it runs the previous release)."""
        return other_cluster(self.cluster)

    @property
    def version(self) -> str:
        """The version of this sprint's release."""
        return self.versions[self.cluster]

    @property
    def previous_version(self) -> str:
        """The version the other cluster runs."""
        return self.versions[self.other]

    @property
    def shifting(self) -> bool:
        """Approved, and production traffic is split between both clusters."""
        return self.phase == "approved" and 0 < self.weights[self.cluster] < 100


def read_release_state(data: Mapping[str, Any], error_at: ErrorAt) -> ReleaseState | None:
    """The release state of schema-valid ``data``; ``None`` for a single topology.

    Raises:
        EnvFileError: built by ``error_at`` for the first inconsistency (see the module docstring).
    """
    release = data["release"]
    if data["topology"]["type"] == "single":
        for key in DUAL_KEYS:
            if key in release:
                raise error_at(
                    f"release.{key} is for dual topologies",
                    ("release", key),
                    "a single cluster runs release.version",
                )
        return None
    for key in ("version", "previousVersion"):
        if key in release:
            raise error_at(
                f"a dual topology records the version of each cluster, not release.{key}",
                ("release", key),
                "write release.versions: {even: <version>, odd: <version>} (see README, Releases)",
            )
    for key in ("cluster", "phase", "versions"):
        if key not in release:
            raise error_at(
                f"a dual topology needs release.{key}",
                ("release",),
                "record the release state: cluster, phase and versions (see README, Releases)",
            )
    versions: Mapping[str, str] = release["versions"]
    if sorted(versions) != list(CLUSTERS):
        raise error_at(
            f"release.versions names {sorted(versions)}, not each of even and odd",
            ("release", "versions"),
            "give the version each cluster runs: versions: {even: …, odd: …}",
        )
    state = ReleaseState(
        sprint=release["sprint"],
        cluster=release["cluster"],
        phase=release["phase"],
        versions={c: versions[c] for c in CLUSTERS},
        weights={c: data["topology"]["weights"][c] for c in CLUSTERS},
        approved_by=release.get("approvedBy"),
        approved_version=release.get("approvedVersion"),
    )
    _check(state, error_at)
    return state


def _check(s: ReleaseState, error_at: ErrorAt) -> None:
    """The invariants every recorded state satisfies, whoever wrote it."""
    expected = parity_cluster(s.sprint)
    if s.cluster != expected:
        raise error_at(
            f"sprint {s.sprint} releases to cluster {expected!r}, but release.cluster is {s.cluster!r}",
            ("release", "cluster"),
            "a new sprint starts with `gitops-gen release start ENV --version V`, which sets sprint, "
            "cluster, phase and versions together",
        )
    weight = s.weights[s.cluster]
    approved = s.approved_by is not None or s.approved_version is not None
    if s.phase == "beta":
        if weight != 0:
            raise error_at(
                f"release cluster {s.cluster!r} is in beta (not approved) but takes {weight}% of production",
                ("topology", "weights", s.cluster),
                "beta takes no production traffic: approve it first (`gitops-gen release approve ENV`), "
                "then shift",
            )
        if approved:
            raise error_at(
                "a release in beta has no approval yet",
                ("release", "approvedBy" if s.approved_by is not None else "approvedVersion"),
                "remove approvedBy/approvedVersion, or set phase: approved via `gitops-gen release approve`",
            )
        return
    if s.phase in ("approved", "live"):
        if s.approved_by is None or s.approved_version is None:
            raise error_at(
                f"phase {s.phase} needs release.approvedBy and release.approvedVersion",
                ("release", "phase"),
                "approval is recorded by `gitops-gen release approve ENV --by NAME`",
            )
        if s.approved_version != s.version:
            raise error_at(
                f"approved version {s.approved_version!r} is not the version cluster {s.cluster!r} runs "
                f"({s.version!r})",
                ("release", "approvedVersion"),
                "a changed release needs a new beta: start it with `gitops-gen release start`",
            )
    if s.phase == "live" and weight != 100:
        raise error_at(
            f"phase live means cluster {s.cluster!r} takes 100% of production, not {weight}%",
            ("release", "phase"),
            "`gitops-gen release finish ENV` sets both",
        )
    if s.phase == "rolledBack" and weight != 0:
        raise error_at(
            f"a rolled-back release takes no production traffic, but cluster {s.cluster!r} takes {weight}%",
            ("topology", "weights", s.cluster),
            "`gitops-gen release rollback ENV` sets both",
        )


def recorded_state(data: Mapping[str, str]) -> dict[str, Any] | None:
    """The release state a rendered ``release-state`` ConfigMap records (``None`` if unreadable)."""
    try:
        return {
            "sprint": int(data["sprint"]),
            "cluster": data["cluster"],
            "phase": data["phase"],
            "versions": {c: str(data[f"versions.{c}"]) for c in CLUSTERS},
        }
    except (KeyError, TypeError, ValueError):
        return None


def check_transition(recorded: Mapping[str, Any], new: ReleaseState, where: str, error_at: ErrorAt) -> None:
    """``new`` is reachable from the ``recorded`` (rendered) state by the release steps.

    Sprints only move forward; a cluster's version changes only in a new sprint, and only on the
    cluster that was idle (the other cluster after a finished release, the release cluster after
    a rollback), so a cluster serving production never changes version under it. ``where`` names
    the rendered record in messages.

    Raises:
        EnvFileError: built by ``error_at``, located at the offending key.
    """
    old_sprint, old_phase, old_cluster = recorded["sprint"], recorded["phase"], recorded["cluster"]
    if new.sprint < old_sprint:
        raise error_at(
            f"sprint {new.sprint} is behind sprint {old_sprint} recorded in {where}",
            ("release", "sprint"),
            "sprints only move forward",
        )
    idle = {"live": other_cluster(old_cluster), "rolledBack": old_cluster}.get(old_phase)
    for c in CLUSTERS:
        old_version, version = recorded["versions"][c], new.versions[c]
        if version == old_version:
            continue
        if new.sprint == old_sprint:
            raise error_at(
                f"cluster {c!r} runs {old_version} in sprint {old_sprint} ({where}); a new version needs "
                "a new sprint",
                ("release", "versions", c),
                "start it with `gitops-gen release start ENV --version V`",
            )
        if c != idle:
            release = f"release {recorded['versions'][old_cluster]} on {old_cluster}"
            state = f"{release} is {old_phase}, not finished" if idle is None else f"{c} serves production"
            raise error_at(
                f"cluster {c!r} cannot change from {old_version} to {version}: {state} ({where})",
                ("release", "versions", c),
                "a new release goes only to the idle cluster of a finished (`release finish`) or "
                "rolled-back release",
            )
