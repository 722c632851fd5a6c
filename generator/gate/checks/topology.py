"""Environment-wide cross-resource checks: the clusters of one environment seen together.

Stage: beside ``generator.gate.checks.cluster`` (same inputs, same ``Finding`` outputs, no I/O). The dual
topology splits production traffic between clusters ``even`` and ``odd`` with Route 53 weighted
records (ExternalDNS ``DNSEndpoint``): the weights of one name must add up to 100 across the
clusters, set identifiers must be unique, exactly the clusters of the topology may exist, and
both clusters must render the same objects (only release-specific field values may differ).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from generator.findings import Finding, json_path
from generator.gate.checks.cluster import ClusterView, finding, group_of
from generator.location import Location
from generator.manifest import HUB_CLUSTER, SINCE_ANNOTATION, Manifest

__all__ = ["DUAL_CLUSTERS", "ENV_CHECKS", "EnvCheck", "EnvView", "run_env_checks"]

#: The clusters of the dual topology.
DUAL_CLUSTERS = ("even", "odd")
#: ExternalDNS provider-specific property carrying the Route 53 weight.
WEIGHT_PROPERTY = "aws/weight"
#: Scope of findings that belong to the environment, not to one of its clusters.
ENV_SCOPE = "*"


@dataclass(frozen=True)
class EnvView:
    """Every cluster of one environment."""

    env: str
    clusters: Mapping[str, ClusterView]
    expected_clusters: tuple[str, ...] | None = None
    """The clusters the environment's topology declares, when the caller knows them; otherwise a
    single cluster or exactly ``even`` + ``odd`` is accepted."""


EnvCheck = Callable[[EnvView], Iterator[Finding]]


@dataclass(frozen=True, slots=True)
class _Endpoint:
    manifest: Manifest
    path: tuple[str | int, ...]
    dns_name: str
    record_type: str
    set_identifier: str | None
    weight: Any
    weight_path: tuple[str | int, ...] | None


def _endpoints(view: EnvView) -> Iterator[_Endpoint]:
    for name in sorted(view.clusters):
        for m in view.clusters[name].of_kind("DNSEndpoint"):
            endpoints = (
                m.body.get("spec", {}).get("endpoints") if isinstance(m.body.get("spec"), Mapping) else None
            )
            for i, ep in enumerate(endpoints if isinstance(endpoints, list) else []):
                if not isinstance(ep, Mapping):
                    continue
                weight: Any = None
                weight_path: tuple[str | int, ...] | None = None
                props = ep.get("providerSpecific")
                for j, prop in enumerate(props if isinstance(props, list) else []):
                    if isinstance(prop, Mapping) and prop.get("name") == WEIGHT_PROPERTY:
                        weight, weight_path = (
                            prop.get("value"),
                            ("spec", "endpoints", i, "providerSpecific", j, "value"),
                        )
                set_id = ep.get("setIdentifier")
                yield _Endpoint(
                    manifest=m,
                    path=("spec", "endpoints", i),
                    dns_name=str(ep.get("dnsName", "")).rstrip(".").lower(),
                    record_type=str(ep.get("recordType", "")),
                    set_identifier=str(set_id) if set_id not in (None, "") else None,
                    weight=weight,
                    weight_path=weight_path,
                )


def _record_sets(view: EnvView) -> dict[tuple[str, str], list[_Endpoint]]:
    out: dict[tuple[str, str], list[_Endpoint]] = {}
    for ep in _endpoints(view):
        out.setdefault((ep.dns_name, ep.record_type), []).append(ep)
    return out


def _as_weight(value: Any) -> int | None:
    """Route 53 weights are integers 0..255; ExternalDNS carries them as strings."""
    try:
        weight = int(str(value).strip())
    except ValueError:
        return None
    return weight if 0 <= weight <= 255 else None


def check_dns_weights(view: EnvView) -> Iterator[Finding]:
    """The weighted records of one name add up to 100 across the environment's clusters."""
    for (dns_name, record_type), endpoints in sorted(_record_sets(view).items()):
        weighted = [ep for ep in endpoints if ep.weight_path is not None]
        if not weighted:
            continue
        weights = [(_as_weight(ep.weight), ep) for ep in weighted]
        bad = [ep for w, ep in weights if w is None]
        for ep in bad:
            assert ep.weight_path is not None
            yield finding(
                ep.manifest,
                ep.weight_path,
                "dns-weights",
                f"weight {ep.weight!r} of {dns_name} is not an integer.",
            )
        if bad:
            continue
        total = sum(w or 0 for w, _ in weights)
        if total != 100:
            shares = ", ".join(f"{ep.set_identifier or '?'}={ep.weight}" for ep in weighted)
            for ep in weighted:
                assert ep.weight_path is not None
                yield finding(
                    ep.manifest,
                    ep.weight_path,
                    "dns-weights",
                    f"the weights of {record_type} {dns_name} add up to {total}, not 100 ({shares}).",
                )


def check_dns_set_identifiers(view: EnvView) -> Iterator[Finding]:
    """Weighted records carry a set identifier, unique within their record set."""
    for (dns_name, record_type), endpoints in sorted(_record_sets(view).items()):
        seen: dict[str, _Endpoint] = {}
        for ep in endpoints:
            if ep.set_identifier is None:
                if ep.weight_path is not None or len(endpoints) > 1:
                    yield finding(
                        ep.manifest,
                        (*ep.path, "setIdentifier"),
                        "dns-set-identifiers",
                        f"{record_type} {dns_name} has several records, so each needs a setIdentifier.",
                    )
                continue
            if ep.set_identifier in seen:
                other = seen[ep.set_identifier]
                yield finding(
                    ep.manifest,
                    (*ep.path, "setIdentifier"),
                    "dns-set-identifiers",
                    f"setIdentifier {ep.set_identifier!r} of {record_type} {dns_name} is also used by "
                    f"rendered/{other.manifest.path}.",
                )
            else:
                seen[ep.set_identifier] = ep


def _env_finding(view: EnvView, message: str, check: str) -> Finding:
    return Finding(
        file=f"rendered/{view.env}",
        line=None,
        column=None,
        yaml_path=(),
        rule=check,
        message=message,
        source=Location(f"environments/{view.env}.yaml"),
    )


def check_topology_clusters(view: EnvView) -> Iterator[Finding]:
    """Exactly the clusters of the topology are rendered: one (single) or even + odd (dual)."""
    present = tuple(sorted(c for c in view.clusters if c != HUB_CLUSTER))
    if view.expected_clusters is not None:
        if present != tuple(sorted(view.expected_clusters)):
            yield _env_finding(
                view,
                f"rendered clusters {list(present)} differ from the topology's "
                f"{sorted(view.expected_clusters)}.",
                "topology-clusters",
            )
        return
    if len(present) == 1 and present[0] not in DUAL_CLUSTERS:
        return
    if present != DUAL_CLUSTERS:
        yield _env_finding(
            view,
            f"rendered clusters {list(present)}: a single topology renders one cluster, "
            f"a dual topology exactly {list(DUAL_CLUSTERS)}.",
            "topology-clusters",
        )


def _normalized(m: Manifest, cluster: str) -> tuple[str, str, str, str]:
    def strip(text: str) -> str:
        return text.replace(cluster, "{cluster}")

    return (group_of(m.api_version), m.kind, strip(m.namespace), strip(m.name))


#: Labels and annotations that carry the release and so differ between the clusters of a dual pair.
RELEASE_KEYS = frozenset({"docproc.io/version", "app.kubernetes.io/version"})
#: Container lists: their ``image`` is the release.
CONTAINER_LISTS = frozenset({"containers", "initContainers", "ephemeralContainers"})
#: Fields naming one cluster's own infrastructure (its EFS file system and subnets).
CLUSTER_SPECIFIC = frozenset(
    {
        ("MountTarget", ("spec", "subnetID")),
        ("MountTarget", ("spec", "securityGroups")),
        ("StorageClass", ("parameters", "fileSystemId")),
    }
)
#: At most this many differing fields are reported per object (the first ones, in key order).
MAX_PARITY_FINDINGS = 3


def _release_specific(kind: str, path: tuple[str | int, ...]) -> bool:
    """Fields allowed to differ between clusters: images, release labels, DNS records."""
    if kind == "DNSEndpoint" and path[:2] == ("spec", "endpoints"):
        return True  # weights, targets and the beta record are per cluster by design
    if (kind, path[:2]) in CLUSTER_SPECIFIC:
        return True  # each cluster's own file system and subnets
    if path and path[-1] in RELEASE_KEYS and len(path) >= 2 and path[-2] in ("labels", "annotations"):
        return True
    return len(path) >= 3 and path[-1] == "image" and path[-3] in CONTAINER_LISTS


def _differences(
    a: Any, b: Any, names: tuple[str, str], kind: str, path: tuple[str | int, ...] = ()
) -> Iterator[tuple[str | int, ...]]:
    """Paths where ``a`` and ``b`` differ beyond the release and the clusters' own names."""
    if _release_specific(kind, path):
        return
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        for key in sorted(set(a) | set(b), key=str):
            if key not in a or key not in b:
                if not _release_specific(kind, (*path, key)):
                    yield (*path, key)
            else:
                yield from _differences(a[key], b[key], names, kind, (*path, key))
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            yield from _differences(x, y, names, kind, (*path, i))
    elif isinstance(a, str) and isinstance(b, str):
        if a != b and a.replace(names[0], "{cluster}") != b.replace(names[1], "{cluster}"):
            yield path
    elif a != b:
        yield path


#: Annotation on an object rendered in one cluster only and used by all (the dual topology's bucket).
SHARED_ANNOTATION = "docproc.io/shared-with"


def _annotation(m: Manifest, key: str) -> Any:
    annotations = m.body.get("metadata", {}).get("annotations") if isinstance(m.body, Mapping) else None
    return annotations.get(key) if isinstance(annotations, Mapping) else None


def _shared(m: Manifest) -> bool:
    return _annotation(m, SHARED_ANNOTATION) is not None


def check_cluster_parity(view: EnvView) -> Iterator[Finding]:
    """The clusters of a dual environment render the same objects, equal but for the release.

    Objects pair up by (group, kind, namespace, name) with the cluster's own name replaced by a
    placeholder (``karpenter-even``/``karpenter-odd``). Paired bodies must then be equal except for
    release-specific fields (container images, ``docproc.io/version`` labels, the DNSEndpoint
    records) and strings that differ only by the cluster's name.
    """
    workload = {name: cluster for name, cluster in view.clusters.items() if name != HUB_CLUSTER}
    if len(workload) < 2:
        return
    keys = {
        name: {_normalized(m, name): m for m in cluster.manifests}
        for name, cluster in sorted(workload.items())
    }
    union = set().union(*(k.keys() for k in keys.values()))
    names = sorted(keys)
    for name, own in keys.items():
        others = [o for o in keys if o != name]
        for key in sorted(union - own.keys()):
            holder = next(keys[o][key] for o in others if key in keys[o])
            if _shared(holder):
                continue  # one owner by design; check shared-storage proves it is used, not duplicated
            if _annotation(holder, SINCE_ANNOTATION) is not None:
                continue  # a service new in the release its cluster runs (services[].since)
            yield finding(
                holder,
                ("metadata", "name"),
                "cluster-parity",
                f"{holder.kind} {holder.namespace or '(cluster)'}/{holder.name} is rendered in cluster "
                f"{holder.cluster} but has no counterpart in cluster {name}.",
            )
    first, second = names[0], names[1]
    for key in sorted(keys[first].keys() & keys[second].keys()):
        a, b = keys[first][key], keys[second][key]
        if a.body == b.body:
            continue  # most pairs: compared in C, no walk
        diffs = list(_differences(a.body, b.body, (first, second), a.kind))
        for path in diffs[:MAX_PARITY_FINDINGS]:
            yield finding(
                b,
                path,
                "cluster-parity",
                f"{json_path(path)} differs between clusters {first} and {second} and is not "
                "release-specific "
                f"(image, docproc.io/version, DNS records): render both clusters from the same values.",
            )


ENV_CHECKS: dict[str, EnvCheck] = {
    "topology-clusters": check_topology_clusters,
    "dns-weights": check_dns_weights,
    "dns-set-identifiers": check_dns_set_identifiers,
    "cluster-parity": check_cluster_parity,
}
"""Every environment check by the name its findings carry; ordered as reported."""


def run_env_checks(view: EnvView, only: Iterable[str] | None = None) -> dict[str, tuple[Finding, ...]]:
    """Findings of each environment check (all, or ``only`` these), keyed by check name."""
    names = list(ENV_CHECKS) if only is None else list(only)
    return {name: tuple(ENV_CHECKS[name](view)) for name in names}
