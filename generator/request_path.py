"""The request path of one rendered cluster, drawn as a Mermaid flowchart (docs/request-path.md).

Stage: after rendering, beside the checks: reads one ``ClusterView`` and returns text, nothing
else. The diagram is derived from the objects that make each hop work (DNSEndpoint, the Kong
Ingresses and their Services, the mesh's RequestAuthentication, the workloads' AMQP credentials
and queues, the EFS claim and the S3 bucket), so it cannot drift from what is deployed: a test
regenerates it from the shipped render and compares it with the committed document.
"""

from __future__ import annotations

from collections.abc import Iterator

from generator.gate.checks.cluster import ClusterView, get_path, list_of
from generator.gate.checks.mesh import flows
from generator.gate.checks.paths import pod_spec_path
from generator.manifest import Manifest

__all__ = ["request_path"]


def _env(m: Manifest, name: str) -> str:
    base = pod_spec_path(m)
    for c in list_of(get_path(m.body, *base, "containers")) if base else []:
        for e in list_of(get_path(c, "env")):
            if get_path(e, "name") == name and isinstance(get_path(e, "value"), str):
                return str(e["value"])
    return ""


def _mounts_claim(m: Manifest, claim: str) -> bool:
    base = pod_spec_path(m)
    volumes = list_of(get_path(m.body, *base, "volumes")) if base else []
    return any(get_path(v, "persistentVolumeClaim", "claimName") == claim for v in volumes)


def _lines(view: ClusterView) -> Iterator[str]:
    yield "flowchart LR"
    yield '  client(["client"]) --> r53["Route 53<br/>(ExternalDNS records)"]'
    yield '  r53 --> nlb["NLB<br/>(AWS Load Balancer Controller,<br/>Kong proxy Service)"]'
    yield '  nlb --> kong["Kong<br/>(rate limiting; in the mesh)"]'
    jwt = {
        get_path(r.body, "spec", "selector", "matchLabels", "app.kubernetes.io/name")
        for r in view.of_kind("RequestAuthentication")
    }
    routed: dict[str, list[str]] = {}
    for ing in view.of_kind("Ingress"):
        for rule in list_of(get_path(ing.body, "spec", "rules")):
            for p in list_of(get_path(rule, "http", "paths")):
                name = get_path(p, "backend", "service", "name")
                path = get_path(p, "path")
                if (
                    isinstance(name, str)
                    and isinstance(path, str)
                    and path not in routed.setdefault(name, [])
                ):
                    routed[name].append(path)
    for name, paths in sorted(routed.items()):
        auth = "JWT checked by Istio" if name in jwt else "mTLS"
        yield f'  kong -->|"{", ".join(paths)}<br/>(Service, mesh: canary weights, {auth})"| {name}'
    amqp = sorted(
        {(f.source.what.split("/")[-1], f.dest.what.split("/")[-1]) for f in flows(view) if f.port == 5672}
    )
    brokers = sorted({dest for _, dest in amqp})
    for broker in brokers:
        yield f'  {broker}[("RabbitMQ {broker}<br/>(quorum queues, on-demand nodes)")]'
    workloads = [m for m in view.manifests if pod_spec_path(m) and m.kind != "Pod"]
    for m in workloads:
        publishes = _env(m, "PUBLISH_ROUTING_KEYS")
        if publishes:
            for broker in brokers:
                yield f'  {m.name} -->|"publish {publishes}"| {broker}'
    for m in workloads:
        consumes = _env(m, "CONSUME_QUEUES")
        if consumes:
            for broker in brokers:
                yield f'  {broker} -->|"consume {consumes}"| {m.name}'
    for pvc in view.of_kind("PersistentVolumeClaim"):
        users = [m.name for m in workloads if _mounts_claim(m, pvc.name)]
        if users:
            yield f'  efs[("EFS {pvc.name}<br/>(access point, mount target per subnet)")]'
            for user in users:
                yield f"  {user} --> efs"
    for bucket in view.of_kind("Bucket"):
        name = get_path(bucket.body, "spec", "name")
        users = [m.name for m in workloads if _env(m, "DOCPROC_BACKUP_BUCKET") == name]
        if users:
            yield '  s3[("S3 backups<br/>(Glacier after N days; one bucket per environment)")]'
            for user in users:
                yield f"  {user} --> s3"


def request_path(view: ClusterView) -> str:
    """The Mermaid flowchart of ``view``'s request path, one edge per line, final newline."""
    return "\n".join(_lines(view)) + "\n"
