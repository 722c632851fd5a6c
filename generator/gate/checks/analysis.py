"""The ``analysis-evidence`` check: a canary analysis judges a release on real measurements.

Stage: beside ``generator.gate.checks.cluster`` (``ClusterView`` in, ``Finding`` out, pure). Argo Rollouts
promotes a canary when its analysis succeeds, so every Prometheus metric of an
``AnalysisTemplate`` must (1) fail or be inconclusive when the query returns no data or NaN,
(2) query an address that resolves to a Prometheus the tree delivers to that cluster (a rendered
Service, the ``prometheus`` chart's server Service, the operator's ``prometheus-operated``, or an
Amazon Managed Prometheus workspace the tree's Prometheus writes to; a cluster the tree installs
no operator into has its Prometheus managed elsewhere and is not judged), and (3) when it asks for
Istio's standard metrics (``istio_*``), find them scraped: the chart's ``kubernetes-pods`` job (which
keeps pods annotated ``prometheus.io/scrape``, as Istio's metrics merging annotates every sidecar)
or a PodMonitor/ServiceMonitor, with istiod's ``meshConfig.enablePrometheusMerge`` left on. That
Prometheus may reach the pods (NetworkPolicy, port 15020) is ``network-paths``.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from generator.findings import Finding
from generator.gate.checks.cluster import ClusterView, finding, get_path, list_of
from generator.gate.checks.paths import helm_releases
from generator.manifest import Manifest

__all__ = ["ANALYSIS_CHECKS", "check_analysis_evidence"]

CHECK = "analysis-evidence"
#: Amazon Managed Prometheus query endpoints: ``https://aps-workspaces.<region>.amazonaws.com/workspaces/<id>/``.
AMP_HOST = re.compile(r"^aps-workspaces\.[a-z0-9-]+\.amazonaws\.com$")
AMP_WORKSPACE = re.compile(r"/workspaces/(ws-[A-Za-z0-9-]+)")

# --- success condition --------------------------------------------------------------------------

_EXPR_TOKENS = (("&&", " and "), ("||", " or "))
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}


def _condition_holds(expr: str, result: list[float]) -> bool | None:
    """Evaluate an Argo Rollouts (expr-lang) condition on ``result``; ``None`` if not understood.

    Only the subset analysis conditions use: ``result``, indexing, ``len``, ``isNaN``, ``isInf``,
    comparisons, ``&&``/``||``/``!``, numbers. Anything else is not guessed at.
    """
    text = expr
    for a, b in _EXPR_TOKENS:
        text = text.replace(a, b)
    text = re.sub(r"!(?!=)", " not ", text)
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        return None
    functions: dict[str, Callable[[Any], Any]] = {
        "len": len,
        "isNaN": lambda v: isinstance(v, float) and math.isnan(v),
        "isInf": lambda v: isinstance(v, float) and math.isinf(v),
    }

    def ev(node: ast.AST) -> Any:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.BoolOp):
            values = (ev(v) for v in node.values)
            return all(values) if isinstance(node.op, ast.And) else any(values)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return not ev(node.operand)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -ev(node.operand)
        if isinstance(node, ast.Compare):
            left = ev(node.left)
            for op, right_node in zip(node.ops, node.comparators, strict=True):
                right = ev(right_node)
                ok = _COMPARE[type(op)](left, right)
                if not ok:
                    return False
                left = right
            return True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in functions:
            return functions[node.func.id](*(ev(a) for a in node.args))
        if isinstance(node, ast.Subscript):
            return ev(node.value)[ev(node.slice)]
        if isinstance(node, ast.Name) and node.id == "result":
            return result
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return node.value
        raise ValueError(node)

    try:
        return bool(ev(tree))
    except (ValueError, KeyError, IndexError, TypeError):
        return False  # expr-lang errors on an empty result: the measurement errors, never passes


# --- data source --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Prometheus:
    """A Prometheus an analysis can query: where it answers and what scrapes into it."""

    what: str
    namespace: str
    service: str
    ports: frozenset[int]
    scrapes_pods: bool | None
    """Whether sidecars' merged metrics are scraped (``None``: not known from the tree)."""
    writes_to: frozenset[str] = frozenset()
    """Amazon Managed Prometheus workspaces it remote-writes to."""


def _workspaces(values: Any) -> frozenset[str]:
    urls = [get_path(w, "url") for w in list_of(get_path(values, "server", "remoteWrite"))]
    return frozenset(m.group(1) for u in urls if isinstance(u, str) for m in [AMP_WORKSPACE.search(u)] if m)


def _prometheus_sources(view: ClusterView) -> list[_Prometheus]:
    """Every Prometheus the tree delivers to the cluster, with the Services it answers on."""
    monitors = bool(view.of_kind("PodMonitor") or view.of_kind("ServiceMonitor"))
    out: list[_Prometheus] = []
    for app, chart, release, namespace, values in helm_releases(view):
        if chart == "prometheus" and get_path(values, "server", "enabled") is not False:
            name = get_path(values, "server", "fullnameOverride")
            if not isinstance(name, str) or not name:
                base = release if "prometheus" in release else f"{release}-prometheus"
                name = f"{base}-server"
            port = get_path(values, "server", "service", "servicePort")
            job = get_path(values, "scrapeConfigs", "kubernetes-pods", "enabled")
            out.append(
                _Prometheus(
                    f"chart prometheus (Application {app.name})",
                    namespace,
                    name,
                    frozenset({port if isinstance(port, int) else 80}),
                    job is not False or monitors,
                    _workspaces(values),
                )
            )
        elif chart == "kube-prometheus-stack":
            out.append(
                _Prometheus(
                    f"chart kube-prometheus-stack (Application {app.name})",
                    namespace,
                    "prometheus-operated",
                    frozenset({9090}),
                    monitors,
                )
            )
    for m in view.of_kind("Service"):
        ports = frozenset(
            int(p["port"])
            for p in list_of(get_path(m.body, "spec", "ports"))
            if isinstance(p.get("port"), int)
        )
        out.append(_Prometheus(f"Service {m.namespace}/{m.name}", m.namespace, m.name, ports, None))
    return out


def _resolve(address: str, namespace: str, sources: list[_Prometheus]) -> tuple[_Prometheus | None, str]:
    """The Prometheus ``address`` reaches from ``namespace``, or ``None`` with the reason."""
    parts = urlsplit(address)
    host = parts.hostname or ""
    if AMP_HOST.match(host):
        found = AMP_WORKSPACE.search(parts.path)
        workspace = found.group(1) if found else ""
        for src in sources:
            if workspace and workspace in src.writes_to:
                return src, ""
        return None, (
            f"Amazon Managed Prometheus workspace {workspace or '?'}: no Prometheus this cluster runs "
            "remote-writes to it (server.remoteWrite), so it holds no data of this cluster"
        )
    labels = host.split(".")
    if len(labels) == 1:
        labels.append(namespace)
    if len(labels) < 2 or labels[2:] not in ([], ["svc"], ["svc", "cluster", "local"]):
        return None, f"{host} is not an in-cluster Service name (<service>.<namespace>.svc)"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    for src in sources:
        if (src.service, src.namespace) == (labels[0], labels[1]):
            if port in src.ports:
                return src, ""
            return None, f"{src.what} answers on port {', '.join(map(str, sorted(src.ports)))}, not {port}"
    return None, f"no Service {labels[1]}/{labels[0]} is rendered or installed by a chart in this cluster"


def _merge_disabled(view: ClusterView) -> Manifest | None:
    for app, chart, _release, _ns, values in helm_releases(view):
        if chart == "istiod" and get_path(values, "meshConfig", "enablePrometheusMerge") is False:
            return app
    return None


@dataclass
class _Sources:
    """What every analysis of one cluster is judged against, found once per cluster (not per metric)."""

    view: ClusterView
    _found: list[_Prometheus] | None = None
    _releases: bool | None = None
    _istiod: tuple[Manifest | None] | None = None

    @property
    def prometheus(self) -> list[_Prometheus]:
        if self._found is None:
            self._found = _prometheus_sources(self.view)
        return self._found

    @property
    def any_release(self) -> bool:
        if self._releases is None:
            self._releases = any(helm_releases(self.view))
        return self._releases

    @property
    def merge_disabled(self) -> Manifest | None:
        if self._istiod is None:
            self._istiod = (_merge_disabled(self.view),)
        return self._istiod[0]


def _source_findings(sources: _Sources, m: Manifest, i: int, prom: Mapping[str, Any]) -> Iterator[Finding]:
    address = prom.get("address")
    if not isinstance(address, str) or "{{" in address:
        return  # an argument: resolved per Rollout, not judged here
    path = ("spec", "metrics", i, "provider", "prometheus", "address")
    source, why = _resolve(address, m.namespace, sources.prometheus)
    if source is None and not sources.any_release:
        return  # the tree installs no operator here: its Prometheus is managed elsewhere
    if source is None:
        yield finding(
            m,
            path,
            CHECK,
            f"the analysis queries {address}, which resolves to nothing this cluster runs ({why}): "
            "every measurement errors and the canary is judged on no evidence. Point it at the "
            "Prometheus the environment deploys (argocd.operators.prometheus).",
        )
        return
    query = str(prom.get("query") or "")
    if "istio_" not in query:
        return
    if source.scrapes_pods is False:
        yield finding(
            m,
            path,
            CHECK,
            f"the analysis asks for Istio's metrics, but {source.what} scrapes no sidecar: its "
            "kubernetes-pods job is disabled and no PodMonitor/ServiceMonitor is rendered, so the "
            "query returns no data. Enable the job (it keeps pods Istio annotates prometheus.io/scrape).",
        )
    elif (istiod := sources.merge_disabled) is not None:
        yield finding(
            m,
            path,
            CHECK,
            f"the analysis asks for Istio's metrics, but istiod (Application {istiod.name}) sets "
            "meshConfig.enablePrometheusMerge: false, so sidecars are not annotated for scraping and "
            "the query returns no data. Leave metrics merging on, or render a PodMonitor for port 15090.",
        )


def check_analysis_evidence(view: ClusterView) -> Iterator[Finding]:
    """Every Prometheus analysis has a data source with data, and fails (or is inconclusive) on none.

    A success condition that holds for an empty result (no series: no traffic reached the canary)
    or for NaN (0/0) promotes a release on no evidence at all; so does a query against a
    Prometheus that does not exist or does not scrape the sidecars.
    """
    sources = _Sources(view)
    for m in [*view.of_kind("AnalysisTemplate"), *view.of_kind("ClusterAnalysisTemplate")]:
        for i, metric in enumerate(list_of(get_path(m.body, "spec", "metrics"))):
            prom = get_path(metric, "provider", "prometheus")
            if not isinstance(prom, Mapping):
                continue
            yield from _source_findings(sources, m, i, prom)
            condition = metric.get("successCondition")
            if not isinstance(condition, str):
                continue
            for label, sample in (("no data", []), ("NaN (0/0)", [math.nan])):
                if _condition_holds(condition, sample):
                    yield finding(
                        m,
                        ("spec", "metrics", i, "successCondition"),
                        CHECK,
                        f"successCondition {condition!r} passes when the query returns {label}: a "
                        "canary that received no traffic would be promoted. Require data, e.g. "
                        "len(result) > 0 && !isNaN(result[0]) && result[0] >= 0.99.",
                    )
                    break


ANALYSIS_CHECKS: dict[str, Callable[[ClusterView], Iterator[Finding]]] = {CHECK: check_analysis_evidence}
"""Canary analysis checks by the name their findings carry."""
