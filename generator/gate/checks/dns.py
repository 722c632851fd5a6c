"""The ``dns-targets`` check: every DNS record points at something the tree creates.

Stage: beside ``generator.gate.checks.cluster`` (an ``EnvView`` in, ``Finding`` out, pure). A Route 53
record that targets a hand-copied ELB host name keeps pointing at it after the load balancer is
replaced, and no review notices. Names the tree creates are those ExternalDNS publishes from a
``LoadBalancer`` Service carrying ``external-dns.alpha.kubernetes.io/hostname`` (the target is then
the load balancer the AWS Load Balancer Controller made for that Service), and the ``dnsName`` of
every ``DNSEndpoint``. Services come from the rendered tree and from the charts the cluster's
Applications install (the Kong proxy, an Istio gateway), read from their Helm values.

Findings: a ``DNSEndpoint`` target or an ``external-dns.alpha.kubernetes.io/target`` annotation
that names anything else (an IP address included); a hostname annotation on a Service that is not
``type: LoadBalancer``; a hostname annotation, or a ``DNSEndpoint``, in a cluster whose ExternalDNS
(delivered to it by an Application) does not read that source (``service`` / ``crd``). A cluster
with no ExternalDNS in the tree runs one installed elsewhere, whose sources are not judged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from generator.findings import Finding
from generator.gate.checks.cluster import ClusterView, finding, get_path, list_of
from generator.gate.checks.paths import helm_releases
from generator.gate.checks.topology import EnvView
from generator.manifest import HUB_CLUSTER, Manifest

__all__ = ["CHECK", "DNS_CHECKS", "check_dns_targets"]

CHECK = "dns-targets"
HOSTNAME = "external-dns.alpha.kubernetes.io/hostname"
TARGET = "external-dns.alpha.kubernetes.io/target"
#: ExternalDNS chart's ``sources`` default (external-dns chart values.yaml).
DEFAULT_SOURCES = ("service", "ingress")
#: Record types whose targets are addresses or names to resolve (TXT, MX… carry data).
ADDRESS_RECORDS = frozenset({"A", "AAAA", "CNAME"})


@dataclass(frozen=True)
class _Service:
    """A Service as ExternalDNS would see it: rendered, or installed by a chart.

    For a chart's Service, ``manifest`` is the Application and ``path`` leads to its values there.
    """

    manifest: Manifest
    path: tuple[str | int, ...]
    what: str
    type: str
    annotations: Mapping[str, Any]


def _annotations(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _chart_services(view: ClusterView) -> Iterator[_Service]:
    """Services a chart renders from its values: Kong's proxy, an Istio gateway's Service."""
    values_path: tuple[str | int, ...] = ("spec", "source", "helm", "valuesObject")
    for app, chart, release, _ns, values in helm_releases(view):
        parts: list[tuple[tuple[str, ...], str, str]] = []
        if chart == "ingress":
            parts.append((("gateway", "proxy"), f"{release}-gateway-proxy", "LoadBalancer"))
        elif chart == "kong":
            parts.append((("proxy",), f"{release}-kong-proxy", "LoadBalancer"))
        elif chart == "gateway":
            parts.append((("service",), release, "LoadBalancer"))
        for at, name, default_type in parts:
            spec = get_path(values, *at)
            yield _Service(
                manifest=app,
                path=(*values_path, *at),
                what=f"Service {name} of chart {chart} (Application {app.name})",
                type=str(get_path(spec, "type") or default_type),
                annotations=_annotations(get_path(spec, "annotations")),
            )


def _services(view: ClusterView) -> Iterator[_Service]:
    for m in view.of_kind("Service"):
        yield _Service(
            manifest=m,
            path=("metadata",),
            what=f"Service {m.namespace}/{m.name}",
            type=str(get_path(m.body, "spec", "type") or "ClusterIP"),
            annotations=_annotations(get_path(m.body, "metadata", "annotations")),
        )
    yield from _chart_services(view)


def _sources(view: ClusterView) -> set[str] | None:
    """What the cluster's ExternalDNS releases read (``None``: no ExternalDNS is delivered)."""
    found: set[str] | None = None
    for _app, chart, _release, _ns, values in helm_releases(view):
        if chart == "external-dns":
            sources = values.get("sources", list(DEFAULT_SOURCES))
            found = (found or set()) | {str(s) for s in list_of(sources)}
    return found


def _names(value: Any) -> list[str]:
    return [n.strip().rstrip(".") for n in str(value).split(",") if n.strip()] if value else []


def _reader(sources: set[str] | None, source: str) -> str | None:
    """Why nothing reads ``source`` in a cluster, or ``None`` when its ExternalDNS does.

    A cluster the tree installs no ExternalDNS into runs one installed elsewhere: not judged.
    """
    if sources is not None and source not in sources:
        return f"this cluster's ExternalDNS reads sources {sorted(sources)}, not {source!r}"
    return None


def _published(view: EnvView) -> dict[str, str]:
    """Every DNS name the environment's tree creates → what creates it."""
    out: dict[str, str] = {}
    for cluster, cv in sorted(view.clusters.items()):
        if cluster == HUB_CLUSTER:
            continue
        sources = _sources(cv)
        for svc in _services(cv):
            if svc.type == "LoadBalancer" and _reader(sources, "service") is None:
                for name in _names(svc.annotations.get(HOSTNAME)):
                    out.setdefault(name, f"{svc.what} in cluster {cluster}")
        if _reader(sources, "crd") is None:
            for m in cv.of_kind("DNSEndpoint"):
                for ep in list_of(get_path(m.body, "spec", "endpoints")):
                    name = get_path(ep, "dnsName")
                    if isinstance(name, str):
                        out.setdefault(name.rstrip("."), f"DNSEndpoint {m.namespace}/{m.name}")
    return out


def _hint(published: Mapping[str, str]) -> str:
    names = ", ".join(sorted(published)[:4]) or "none"
    return (
        f"Point it at a name the tree publishes (here: {names}): a LoadBalancer Service's {HOSTNAME} "
        "annotation (the Kong proxy's is kong-<env>-<cluster>.<zone>), never at a copied ELB host name."
    )


def _cluster_findings(cluster: str, cv: ClusterView, published: Mapping[str, str]) -> Iterator[Finding]:
    sources = _sources(cv)
    for svc in _services(cv):
        names = _names(svc.annotations.get(HOSTNAME))
        path = (*svc.path, "annotations", HOSTNAME)
        if names and svc.type != "LoadBalancer":
            yield finding(
                svc.manifest,
                path,
                CHECK,
                f"{svc.what} asks ExternalDNS for {', '.join(names)} but is type {svc.type}, not "
                "LoadBalancer: no load balancer exists to point the record at. Publish the name from "
                "the LoadBalancer Service in front of it.",
            )
        elif names and (why := _reader(sources, "service")) is not None:
            yield finding(
                svc.manifest,
                path,
                CHECK,
                f"{svc.what} asks ExternalDNS for {', '.join(names)}, but {why}: the record is never "
                "created. Add 'service' to the ExternalDNS sources of this cluster.",
            )
        for target in _names(svc.annotations.get(TARGET)):
            if target not in published:
                yield finding(
                    svc.manifest,
                    (*svc.path, "annotations", TARGET),
                    CHECK,
                    f"{svc.what} sets the DNS target by hand to {target}, which nothing in this tree "
                    f"creates. {_hint(published)}",
                )
    for ing in cv.of_kind("Ingress"):
        notes = _annotations(get_path(ing.body, "metadata", "annotations"))
        for target in _names(notes.get(TARGET)):
            if target not in published:
                yield finding(
                    ing,
                    ("metadata", "annotations", TARGET),
                    CHECK,
                    f"Ingress {ing.namespace}/{ing.name} sets the DNS target by hand to {target}, which "
                    f"nothing in this tree creates. {_hint(published)}",
                )
    for m in cv.of_kind("DNSEndpoint"):
        why = _reader(sources, "crd")
        if why is not None:
            yield finding(
                m,
                ("spec", "endpoints"),
                CHECK,
                f"DNSEndpoint {m.namespace}/{m.name} is never read: {why}. Add 'crd' to the ExternalDNS "
                "sources of this cluster.",
            )
        for i, ep in enumerate(list_of(get_path(m.body, "spec", "endpoints"))):
            if str(get_path(ep, "recordType") or "A") not in ADDRESS_RECORDS:
                continue
            own = str(get_path(ep, "dnsName") or "").rstrip(".")
            for j, raw in enumerate(list_of(get_path(ep, "targets"))):
                target = str(raw).rstrip(".")
                if target in published and target != own:
                    continue
                yield finding(
                    m,
                    ("spec", "endpoints", i, "targets", j),
                    CHECK,
                    f"DNS record {own or '?'} (cluster {cluster}) points at {target}, which nothing in "
                    f"this tree creates: a hand-copied host name or address that no longer follows the "
                    f"load balancer. {_hint(published)}",
                )


def check_dns_targets(view: EnvView) -> Iterator[Finding]:
    """Every DNS record of the environment targets a name its own tree publishes (module docstring).

    A cluster the tree installs no operator into (no Helm Application delivers to it) runs Kong and
    ExternalDNS installed elsewhere, whose Services the tree cannot see: it is not judged.
    """
    published = _published(view)
    for cluster, cv in sorted(view.clusters.items()):
        if cluster != HUB_CLUSTER and any(helm_releases(cv)):
            yield from _cluster_findings(cluster, cv, published)


DNS_CHECKS: dict[str, Callable[[EnvView], Iterator[Finding]]] = {CHECK: check_dns_targets}
"""Environment-wide DNS checks by the name their findings carry."""
