"""The rendered platform of one environment as a picture: Mermaid or Graphviz dot.

Pure: built from the environment's rendered manifests (what Argo CD will sync) plus the service
relations of its model (who publishes to, consumes from or calls whom). Per cluster: Kong and the
services behind it (with Istio's stable/canary split), RabbitMQ queues (dead-letter queues
omitted), EFS and S3, and the Argo CD applications by sync wave; outside the clusters, the
Route 53 records with their routing (weights on a dual topology). Deterministic: nodes and edges
are emitted in a fixed order, so the README's copy can be kept fresh by a test.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from generator.manifest import HUB_CLUSTER, Manifest
from generator.model import Environment

__all__ = ["FORMATS", "Edge", "Graph", "Node", "build_graph", "format_graph"]

FORMATS = ("mermaid", "dot")
WAVE = "argocd.argoproj.io/sync-wave"
WORKLOADS = ("Rollout", "Deployment", "StatefulSet")


@dataclass(frozen=True, slots=True)
class Node:
    id: str
    label: str
    shape: str = "box"
    """box, hexagon (Kong), cylinder (queues, storage), note (Argo CD)."""


@dataclass(frozen=True, slots=True)
class Edge:
    source: str
    target: str
    label: str = ""


@dataclass(frozen=True, slots=True)
class Graph:
    env: str
    outside: tuple[Node, ...]
    """Nodes outside every cluster (Route 53 records)."""
    clusters: tuple[tuple[str, str, tuple[Node, ...]], ...]
    """(cluster name, title, its nodes)."""
    edges: tuple[Edge, ...] = field(default=())


def _id(*parts: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", "_".join(parts))


def _routing(endpoint: Mapping[str, Any]) -> str:
    props = {p.get("name"): p.get("value") for p in endpoint.get("providerSpecific") or []}
    if "aws/weight" in props:
        return f"weight {props['aws/weight']}"
    if "aws/failover" in props:
        return f"failover {str(props['aws/failover']).lower()}"
    if "aws/region" in props:
        return f"latency {props['aws/region']}"
    return str(endpoint.get("recordType", ""))


def _istio(body: Mapping[str, Any]) -> str:
    weights = [
        str(r.get("weight", 100))
        for h in body.get("spec", {}).get("http") or []
        for r in h.get("route") or []
    ]
    return "Istio " + "/".join(weights) if len(weights) > 1 else "Istio"


def _argocd(apps: Sequence[Mapping[str, Any]]) -> str:
    waves: dict[int, int] = {}
    for app in apps:
        wave = int((app["metadata"].get("annotations") or {}).get(WAVE, 0))
        waves[wave] = waves.get(wave, 0) + 1
    parts = [f"wave {w}: {n} app{'s' if n != 1 else ''}" for w, n in sorted(waves.items())]
    return "Argo CD · " + ", ".join(parts)


def _by_cluster(
    env: Environment, manifests: Sequence[Manifest]
) -> tuple[dict[str, list[Manifest]], dict[str, list[Mapping[str, Any]]]]:
    """``env``'s manifests per workload cluster, and the hub's Applications deploying into each."""
    by_cluster: dict[str, list[Manifest]] = {}
    hub: list[Mapping[str, Any]] = []
    for m in sorted(manifests, key=lambda m: (m.cluster, m.path)):
        if m.env == env.name and m.cluster == HUB_CLUSTER:
            hub += [m.body] if m.kind == "Application" else []
        elif m.env == env.name:
            by_cluster.setdefault(m.cluster, []).append(m)
    delivered: dict[str, list[Mapping[str, Any]]] = {}
    for c in env.topology.clusters:
        delivered[c.name] = [
            a for a in hub if a.get("spec", {}).get("destination", {}).get("server") == c.server
        ]
    return by_cluster, delivered


def build_graph(env: Environment, manifests: Sequence[Manifest]) -> Graph:
    """The graph of ``env`` from its rendered ``manifests`` (any order)."""
    by_cluster, delivered = _by_cluster(env, manifests)
    outside: dict[str, Node] = {}
    edges: list[Edge] = []
    clusters = []
    versions = env.cluster_versions()
    release = env.release
    for cluster, ms in by_cluster.items():
        nodes: list[Node] = []
        kong = _id(cluster, "kong")
        nodes.append(Node(kong, "Kong", "hexagon"))
        mesh = {m.name: _istio(m.body) for m in ms if m.kind == "VirtualService"}
        services = {s.name for s in env.services}  # the platform's own pods (Kong's store) are not drawn
        workloads = {m.name for m in ms if m.kind in WORKLOADS and m.name in services}
        for name in sorted(workloads):
            label = f"{name}" + (f" · {mesh[name]}" if name in mesh else "")
            nodes.append(Node(_id(cluster, "svc", name), label))
        queue_names = {
            m.name: str(m.body.get("spec", {}).get("name", m.name))
            for m in ms
            if m.kind == "Queue" and not m.name.endswith("-dead")
        }
        queues = sorted(queue_names)
        nodes += [Node(_id(cluster, "queue", q), f"queue {queue_names[q]}", "cylinder") for q in queues]
        for m in ms:
            if m.kind == "FileSystem":
                nodes.append(Node(_id(cluster, "efs"), "EFS documents", "cylinder"))
            elif m.kind == "Bucket":
                bucket = m.body.get("spec", {}).get("name", m.name)
                nodes.append(Node(_id(cluster, "s3", m.name), f"S3 {bucket}", "cylinder"))
        apps = [m.body for m in ms if m.kind == "Application"] + delivered.get(cluster, [])
        if apps:
            nodes.append(Node(_id(cluster, "argocd"), _argocd(apps), "note"))
        for m in ms:
            if m.kind == "DNSEndpoint":
                for ep in m.body.get("spec", {}).get("endpoints") or []:
                    dns = _id("dns", str(ep.get("dnsName", "")))
                    outside.setdefault(dns, Node(dns, str(ep.get("dnsName", "")), "box"))
                    edges.append(Edge(dns, kong, _routing(ep)))
            elif m.kind == "Ingress":
                routes: dict[str, list[str]] = {}
                for rule in m.body.get("spec", {}).get("rules") or []:
                    for p in (rule.get("http") or {}).get("paths") or []:
                        backend = ((p.get("backend") or {}).get("service") or {}).get("name", "")
                        if p.get("path") not in routes.setdefault(backend, []):
                            routes[backend].append(str(p.get("path")))
                for backend, paths in sorted(routes.items()):
                    if backend in workloads:
                        edges.append(Edge(kong, _id(cluster, "svc", backend), " ".join(paths)))
        for s in env.services:
            if s.name not in workloads:
                continue
            src = _id(cluster, "svc", s.name)
            edges += [Edge(src, _id(cluster, "queue", q), "publishes") for q in s.publishes if q in queues]
            edges += [Edge(_id(cluster, "queue", q), src, "consumes") for q in s.consumes if q in queues]
            edges += [Edge(src, _id(cluster, "svc", c), "calls") for c in s.calls if c in workloads]
            if s.documents and any(n.id == _id(cluster, "efs") for n in nodes):
                edges.append(Edge(src, _id(cluster, "efs"), "documents"))
        role = ""
        if release is not None:
            role = " · release" if cluster == release.cluster else " · previous"
        clusters.append((cluster, f"cluster {cluster} · {versions.get(cluster, '')}{role}", tuple(nodes)))
    return Graph(env.name, tuple(outside[k] for k in sorted(outside)), tuple(clusters), tuple(edges))


MERMAID_SHAPES = {"box": '["{}"]', "hexagon": '{{{{"{}"}}}}', "cylinder": '[("{}")]', "note": '>"{}"]'}
DOT_SHAPES = {"box": "box", "hexagon": "hexagon", "cylinder": "cylinder", "note": "note"}


def _mermaid(g: Graph) -> str:
    def node(n: Node) -> str:
        return n.id + MERMAID_SHAPES[n.shape].format(n.label.replace('"', "'"))

    lines = ["flowchart LR"]
    lines += [f"  {node(n)}" for n in g.outside]
    for name, title, nodes in g.clusters:
        lines.append(f'  subgraph {_id("cluster", name)}["{title}"]')
        lines += [f"    {node(n)}" for n in nodes]
        lines.append("  end")
    grouped: dict[tuple[str, str], list[str]] = {}  # same label and target: one `a & b --> c` line
    for e in g.edges:
        grouped.setdefault((e.target, e.label), []).append(e.source)
    for (target, label), sources in grouped.items():
        arrow = f'-- "{label}" -->' if label else "-->"
        lines.append(f"  {' & '.join(sources)} {arrow} {target}")
    return "\n".join(lines) + "\n"


def _dot(g: Graph) -> str:
    def q(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    def node(n: Node) -> str:
        return f"{n.id} [label={q(n.label)}, shape={DOT_SHAPES[n.shape]}];"

    lines = [f"digraph {q(g.env)} {{", "  rankdir=LR;"]
    lines += [f"  {node(n)}" for n in g.outside]
    for name, title, nodes in g.clusters:
        lines.append(f"  subgraph {_id('cluster', name)} {{")
        lines.append(f"    label={q(title)};")
        lines += [f"    {node(n)}" for n in nodes]
        lines.append("  }")
    lines += [
        f"  {e.source} -> {e.target}" + (f" [label={q(e.label)}]" if e.label else "") + ";" for e in g.edges
    ]
    lines.append("}")
    return "\n".join(lines) + "\n"


def format_graph(graph: Graph, fmt: str) -> str:
    """``graph`` as Mermaid (``flowchart``) or Graphviz dot text."""
    return _dot(graph) if fmt == "dot" else _mermaid(graph)
