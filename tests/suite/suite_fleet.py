"""A small, consistent cluster of manifests (as the renderer would produce) for the check tests.

``cluster(env, name)`` returns Manifests that pass every cross-resource check; tests break one
field and assert the finding. Sources map a few fields to invented environment-file lines so
that findings can be traced to them.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Sequence
from typing import Any

import yaml

from generator.manifest import Manifest
from generator.sourcemap import SourceMap

LABELS = {
    "app.kubernetes.io/part-of": "docproc",
    "app.kubernetes.io/managed-by": "gitops-gen",
    "docproc.io/team": "ingest",
    "docproc.io/cost-centre": "cc-1001",
}

_CLUSTER = """
- component: platform
  body:
    apiVersion: v1
    kind: Namespace
    metadata: {name: docproc-apps, labels: {istio-injection: enabled}}
- component: platform
  body:
    apiVersion: security.istio.io/v1
    kind: PeerAuthentication
    metadata: {name: default, namespace: docproc-apps}
    spec: {mtls: {mode: STRICT}}
- component: apps
  body:
    apiVersion: argoproj.io/v1alpha1
    kind: Rollout
    metadata: {name: ingest-api, namespace: docproc-apps, labels: {docproc.io/environment: ENV}}
    spec:
      selector: {matchLabels: {app.kubernetes.io/name: ingest-api}}
      template:
        metadata: {labels: {app.kubernetes.io/name: ingest-api}}
        spec:
          containers:
            - name: app
              image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/docproc/ingest-api:1.4.2
              ports: [{name: http, containerPort: 8080}]
      strategy:
        canary:
          stableService: ingest-api-stable
          canaryService: ingest-api-canary
          analysis: {templates: [{templateName: success-rate}]}
          trafficRouting:
            istio:
              virtualService: {name: ingest-api, routes: [primary]}
          steps: [{setWeight: 10}, {pause: {duration: 5m}}]
- component: apps
  body:
    apiVersion: argoproj.io/v1alpha1
    kind: AnalysisTemplate
    metadata: {name: success-rate, namespace: docproc-apps}
    spec: {metrics: [{name: success-rate, provider: {prometheus: {query: up}}}]}
- component: apps
  body:
    apiVersion: v1
    kind: Service
    metadata: {name: ingest-api-stable, namespace: docproc-apps}
    spec: {selector: {app.kubernetes.io/name: ingest-api}, ports: [{name: http, port: 80}]}
- component: apps
  body:
    apiVersion: v1
    kind: Service
    metadata: {name: ingest-api-canary, namespace: docproc-apps}
    spec: {selector: {app.kubernetes.io/name: ingest-api}, ports: [{name: http, port: 80}]}
- component: apps
  body:
    apiVersion: networking.istio.io/v1
    kind: VirtualService
    metadata: {name: ingest-api, namespace: docproc-apps}
    spec:
      hosts: [ingest-api]
      http:
        - name: primary
          route:
            - {destination: {host: ingest-api-stable}, weight: 100}
            - {destination: {host: ingest-api-canary}, weight: 0}
- component: apps
  body:
    apiVersion: networking.istio.io/v1
    kind: DestinationRule
    metadata: {name: ingest-api-stable, namespace: docproc-apps}
    spec: {host: ingest-api-stable.docproc-apps.svc.cluster.local}
- component: apps
  body:
    apiVersion: networking.istio.io/v1
    kind: DestinationRule
    metadata: {name: ingest-api-canary, namespace: docproc-apps}
    spec: {host: ingest-api-canary}
- component: apps
  body:
    apiVersion: networking.k8s.io/v1
    kind: Ingress
    metadata:
      name: ingest-api
      namespace: docproc-apps
      annotations: {konghq.com/plugins: "ingest-api-oidc, ingest-api-rate-limit"}
    spec:
      ingressClassName: kong
      defaultBackend: {service: {name: ingest-api-stable, port: {name: http}}}
- component: apps
  body:
    apiVersion: configuration.konghq.com/v1
    kind: KongPlugin
    metadata: {name: ingest-api-oidc, namespace: docproc-apps}
    plugin: jwt
- component: apps
  body:
    apiVersion: configuration.konghq.com/v1
    kind: KongPlugin
    metadata: {name: ingest-api-rate-limit, namespace: docproc-apps}
    plugin: rate-limiting
- component: operators
  body:
    apiVersion: karpenter.sh/v1
    kind: NodePool
    metadata: {name: general}
    spec:
      template:
        spec:
          nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: CLUSTER-nodes}
          requirements: []
- component: operators
  body:
    apiVersion: karpenter.k8s.aws/v1
    kind: EC2NodeClass
    metadata: {name: CLUSTER-nodes}
    spec: {role: KarpenterNodeRole}
- component: platform
  body:
    apiVersion: externaldns.k8s.io/v1alpha1
    kind: DNSEndpoint
    metadata: {name: ingest-api, namespace: docproc-apps}
    spec:
      endpoints:
        - dnsName: ingest.docproc.example.com
          recordType: CNAME
          targets: [CLUSTER.lb.example.com]
          setIdentifier: CLUSTER
          providerSpecific: [{name: aws/weight, value: "WEIGHT"}]
- component: argocd
  body:
    apiVersion: argoproj.io/v1alpha1
    kind: Application
    metadata: {name: apps, namespace: argocd}
    spec:
      project: default
      source:
        repoURL: "https://git.example.com/docproc.git"
        path: rendered/ENV/CLUSTER/apps
        directory: {recurse: true}
      destination: {server: "https://kubernetes.default.svc", namespace: docproc-apps}
      ignoreDifferences:
        - {group: networking.istio.io, kind: VirtualService, jqPathExpressions: [".spec.http[].route[].weight"]}
      syncPolicy:
        syncOptions: [SkipDryRunOnMissingResource=true, RespectIgnoreDifferences=true]
        retry: {limit: -1}
"""

#: Invented environment-file values: (env path, value, line). The renderer's source map traces a
#: rendered value back to the environment value it equals (or contains).
LEAVES: tuple[tuple[tuple[str | int, ...], Any, int], ...] = (
    (("namespace",), "docproc-apps", 3),
    (("services", 0, "name"), "ingest-api", 10),
    (("services", 0, "version"), "1.4.2", 12),
)

Leaf = tuple[tuple[str | int, ...], Any, int]


@functools.cache
def _parsed(text: str) -> list[dict[str, Any]]:
    parsed: list[dict[str, Any]] = yaml.load(text, Loader=yaml.CSafeLoader)
    return parsed


def cluster(env: str, name: str, *, weight: int = 100, leaves: Sequence[Leaf] = ()) -> list[Manifest]:
    """The consistent cluster; ``leaves`` add environment values (path, value, line) to the map."""
    text = _CLUSTER.replace("ENV", env).replace("CLUSTER", name).replace("WEIGHT", str(weight))
    env_leaves = [*LEAVES, (("topology", "weights", name), weight, 7 if name != "odd" else 8), *leaves]
    sources = SourceMap(
        tuple((path, value, f"environments/{env}.yaml:{line}") for path, value, line in env_leaves)
    )
    out = []
    for item in copy.deepcopy(_parsed(text)):
        body: dict[str, Any] = item["body"]
        body["metadata"].setdefault("labels", {}).update(LABELS)
        body["metadata"]["labels"].setdefault("app.kubernetes.io/name", body["metadata"]["name"])
        out.append(Manifest(env, name, item["component"], body, sources))
    return out


def edit(
    manifests: list[Manifest], kind: str, change: Callable[[dict[str, Any]], object], name: str | None = None
) -> list[Manifest]:
    """A copy of ``manifests`` with ``change`` applied to the body of the first ``kind`` (named ``name``)."""
    out, done = [], False
    for m in manifests:
        if m.kind == kind and name in (None, m.name) and not done:
            body = copy.deepcopy(dict(m.body))
            change(body)
            out.append(Manifest(m.env, m.cluster, m.component, body, m.sources))
            done = True
        else:
            out.append(m)
    assert done, (kind, name)
    return out


def files(*clusters: list[Manifest]) -> frozenset[str]:
    return frozenset(f"rendered/{m.path}" for c in clusters for m in c)
