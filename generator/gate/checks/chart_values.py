"""Helm values an Argo CD ``Application`` sets, checked against the pinned chart's own values.

Stage: ``check`` (the ``chart-values`` check). Helm ignores a value key its chart does not read,
so ``settings.clustername`` for ``settings.clusterName`` installs a controller that cannot start
and nothing says why. This module reads each chart's ``values.yaml`` (and ``values.schema.json``
where the chart ships one) in place from a charts directory laid out as
``<charts-dir>/<chart>/<version>/`` (``../shared/charts``, see its SOURCES.md), and reports:

- a key that is neither in ``values.yaml``, nor documented there as a commented-out key
  (``# storageClass: "-"``), nor declared by the chart's schema;
- values the chart's schema rejects, once merged over the chart's defaults (as Helm validates);
- a chart ``Application`` that sets no values at all, or misses one of ``REQUIRED`` (what this
  platform's controllers cannot start without).

Chart quirks handled: Istio charts keep their defaults under ``_internal_defaults_do_not_set``
(merged with the top level here); dependencies (``Chart.yaml`` ``dependencies``, by ``alias`` or
name, versions from ``Chart.lock``) are checked against their own values, embedded under
``charts/<name>`` or beside the chart in the charts directory; a dependency whose values are not
there is left unchecked. Reads files; the comparisons are pure.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml

from generator import yamlread
from generator.errors import UsageError
from generator.findings import Finding
from generator.gate.checks.cluster import ClusterView, finding, get_path, group_of, list_of
from generator.manifest import Manifest
from generator.sourcemap import SourceMap

__all__ = [
    "CHECK",
    "REQUIRED",
    "Chart",
    "check_chart_values",
    "load_chart",
    "schema_errors",
    "unknown_keys",
]

CHECK = "chart-values"
#: Istio charts: the real defaults, merged under the user's values by ``zzz_profile.yaml``.
ISTIO_DEFAULTS = "_internal_defaults_do_not_set"
#: A commented-out key in values.yaml: ``# name:`` (a documented optional value).
_COMMENTED_KEY = re.compile(r"^(\s*)#\s?([A-Za-z_][A-Za-z0-9_.-]*):(\s|$)")

Path_ = tuple[str | int, ...]

#: Values this platform's controllers cannot run without, per chart: (path, why). A path of
#: strings; ``sources: crd`` means the list at ``sources`` contains ``crd``.
REQUIRED: Mapping[str, tuple[tuple[tuple[str, ...], str], ...]] = {
    "karpenter": (
        (("settings", "clusterName"), "Karpenter exits without the cluster it provisions nodes for"),
        (("settings", "interruptionQueue"), "spot interruptions and rebalances are not handled"),
        (
            ("serviceAccount", "annotations", "eks.amazonaws.com/role-arn"),
            "the controller has no IAM role to launch instances with",
        ),
    ),
    "s3-chart": ((("aws", "region"), "the ACK controller exits without a region"),),
    "efs-chart": ((("aws", "region"), "the ACK controller exits without a region"),),
    "external-dns": (
        (("txtOwnerId",), "clusters sharing a zone overwrite each other's records without their own owner"),
        (("sources", "crd"), "every DNSEndpoint is ignored unless the crd source is watched"),
        (("domainFilters",), "ExternalDNS would manage every zone the role can reach"),
    ),
    "aws-load-balancer-controller": (
        (("clusterName",), "the controller exits without the cluster name"),
        (("region",), "pods cannot read the region from IMDS (hop limit 1)"),
        (("vpcId",), "pods cannot read the VPC from IMDS (hop limit 1)"),
    ),
}


@dataclass(frozen=True)
class Chart:
    """One chart at one version, as its values files describe it."""

    name: str
    version: str
    defaults: Mapping[str, Any]
    """values.yaml (Istio: ``_internal_defaults_do_not_set`` merged under the top level)."""
    documented: Mapping[Path_, frozenset[str]]
    """Keys documented as commented-out lines in values.yaml, per parent mapping path."""
    raw: Mapping[str, Any]
    """values.yaml as shipped: what Helm merges the user's values onto before schema validation."""
    schema: Mapping[str, Any] | None
    """values.schema.json, where the chart ships one."""
    subcharts: Mapping[str, Chart | None] = field(default_factory=dict)
    """Dependencies by alias (or name); ``None`` when their values are not in the charts directory."""


def _documented_keys(text: str, root: yaml.Node | None) -> dict[Path_, frozenset[str]]:
    """Commented-out keys per mapping: a ``# key:`` line at a mapping's key column, inside its lines.

    ``root``: ``text`` composed (the node tree ``load_chart`` also constructs the values from).
    """
    lines = text.splitlines()
    out: dict[Path_, set[str]] = {}

    def walk(node: Any, path: Path_) -> None:
        if not isinstance(node, yaml.MappingNode) or not node.value:
            return
        column = node.value[0][0].start_mark.column
        for i in range(node.start_mark.line, min(node.end_mark.line + 1, len(lines))):
            m = _COMMENTED_KEY.match(lines[i])
            if m and len(m.group(1)) == column:
                out.setdefault(path, set()).add(m.group(2))
        for key, value in node.value:
            walk(value, (*path, str(key.value)))

    walk(root, ())
    return {k: frozenset(v) for k, v in out.items()}


def _merge(base: Any, over: Any) -> Any:
    """Helm's coalescing of ``over`` onto ``base``: mappings merge, ``null`` deletes a key."""
    if not isinstance(base, Mapping) or not isinstance(over, Mapping):
        return over
    out = dict(base)
    for key, value in over.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = _merge(base.get(key), value)
    return out


def _chart_file(path: Path) -> Mapping[str, Any]:
    """A chart's metadata file (``Chart.yaml``, ``Chart.lock``) as a mapping.

    The charts directory is the user's (``--charts-dir``): an unreadable file is a located user
    error, and one that is not a mapping reads as empty.
    """
    shown = str(path)
    data = yamlread.load(yamlread.read_text(path, shown, UsageError), shown, UsageError)
    return data if isinstance(data, Mapping) else {}


def _dependencies(directory: Path) -> list[tuple[str, str, str]]:
    """(key in values, chart name, version) of each dependency, versions from Chart.lock."""
    chart_yaml = directory / "Chart.yaml"
    if not chart_yaml.is_file():
        return []
    meta = _chart_file(chart_yaml)
    lock: dict[str, str] = {}
    lock_file = directory / "Chart.lock"
    if lock_file.is_file():
        for dep in _chart_file(lock_file).get("dependencies") or []:
            lock.setdefault(str(dep.get("name")), str(dep.get("version")))
    out = []
    for dep in meta.get("dependencies") or []:
        name = str(dep.get("name"))
        version = lock.get(name, str(dep.get("version", "")).lstrip("="))
        out.append((str(dep.get("alias") or name), name, version))
    return out


@functools.lru_cache(maxsize=256)
def load_chart(charts_dir: str, name: str, version: str, embedded_in: str | None = None) -> Chart | None:
    """The chart ``name`` at ``version`` from ``charts_dir`` (``None`` when it is not there).

    ``embedded_in``: the parent chart's directory, for a dependency kept under its ``charts/``.
    """
    candidates = [Path(embedded_in) / "charts" / name] if embedded_in else []
    candidates.append(Path(charts_dir) / name / version)
    directory = next((d for d in candidates if (d / "values.yaml").is_file()), None)
    if directory is None:
        return None
    shown = str(directory / "values.yaml")
    text = yamlread.read_text(directory / "values.yaml", shown, UsageError)
    root = yamlread.compose(text, shown, UsageError)
    documented = _documented_keys(text, root)  # before construct, which may flatten merge keys in place
    raw = yamlread.construct(root, text, shown, UsageError) or {}
    defaults = dict(raw)
    if isinstance(raw.get(ISTIO_DEFAULTS), Mapping):
        defaults = _merge(raw[ISTIO_DEFAULTS], {k: v for k, v in raw.items() if k != ISTIO_DEFAULTS})
    if ISTIO_DEFAULTS in raw:
        for path, keys in list(documented.items()):
            if path[:1] == (ISTIO_DEFAULTS,):
                documented[path[1:]] = documented.get(path[1:], frozenset()) | keys
    schema_file = directory / "values.schema.json"
    schema = json.loads(schema_file.read_text(encoding="utf-8")) if schema_file.is_file() else None
    subcharts = {
        key: load_chart(charts_dir, dep_name, dep_version, str(directory))
        for key, dep_name, dep_version in _dependencies(directory)
    }
    return Chart(name, version, defaults, documented, raw, schema, subcharts)


# --- unknown keys -------------------------------------------------------------------------------


def _resolve(schema: Any, root: Mapping[str, Any]) -> Any:
    """Follow local ``$ref``s (``#/…``) of ``schema``."""
    seen = 0
    while isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str) and seen < 32:
        ref = schema["$ref"]
        if not ref.startswith("#"):
            return {}
        node: Any = root
        for part in ref.lstrip("#/").split("/") if ref != "#" else []:
            node = node.get(part.replace("~1", "/").replace("~0", "~")) if isinstance(node, Mapping) else None
        schema, seen = node, seen + 1
    return schema


def _schema_child(schema: Any, key: str, root: Mapping[str, Any]) -> tuple[bool, Any]:
    """(does the schema declare ``key`` or allow any key, the child schema)."""
    schema = _resolve(schema, root)
    if not isinstance(schema, Mapping):
        return False, None
    props = schema.get("properties")
    if isinstance(props, Mapping) and key in props:
        return True, props[key]
    for pattern, sub in (schema.get("patternProperties") or {}).items():
        if re.search(pattern, key):
            return True, sub
    extra = schema.get("additionalProperties")
    if isinstance(extra, Mapping) or extra is True:
        return True, extra if isinstance(extra, Mapping) else None
    for combinator in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(combinator) or []:
            known, child = _schema_child(sub, key, root)
            if known:
                return True, child
    return False, None


@dataclass(frozen=True, slots=True)
class _Level:
    """Where a walk stands in the chart: its defaults and schema there, and the values path."""

    defaults: Any
    schema: Any
    at: Path_ = ()


def _walk_unknown(
    values: Mapping[str, Any], chart: Chart, level: _Level, path: Path_
) -> Iterator[tuple[Path_, str]]:
    """Unknown keys of ``values`` (at ``level.at`` in the chart's values, ``path`` in the Application)."""
    defaults, at = level.defaults, level.at
    known_here = set(defaults) if isinstance(defaults, Mapping) else set()
    known_here |= chart.documented.get(at, frozenset())
    root = chart.schema or {}
    for raw_key, value in values.items():
        key = str(raw_key)
        if not at and key in chart.subcharts:
            sub = chart.subcharts[key]
            if sub is not None and isinstance(value, Mapping):
                parent = defaults.get(key) if isinstance(defaults, Mapping) else None
                yield from _subchart_unknown(value, parent, sub, (*path, key))
            continue
        if not at and key == "global":
            continue  # shared with every dependency; each reads its own part
        in_schema, child_schema = _schema_child(level.schema, key, root) if chart.schema else (False, None)
        if key not in known_here and not in_schema:
            close = difflib.get_close_matches(key, sorted(known_here), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            where = ".".join(map(str, (*at, key)))
            yield (*path, key), f"{where!r} is not a value of chart {chart.name} {chart.version}{hint}"
        elif isinstance(value, Mapping):
            child = _Level(
                defaults.get(key) if isinstance(defaults, Mapping) else None, child_schema, (*at, key)
            )
            if _is_closed(child, root) and child.at not in OPEN_MAPS.get(chart.name, ()):
                yield from _walk_unknown(value, chart, child, (*path, key))


#: Maps a chart passes through whole although it ships defaults in them: any key is read. Kong's
#: ``env`` becomes ``KONG_<KEY>`` variables, one per kong.conf setting (its values.yaml says so).
OPEN_MAPS: Mapping[str, frozenset[Path_]] = {"kong": frozenset({("env",)})}


def _is_closed(level: _Level, root: Mapping[str, Any]) -> bool:
    """Whether the keys under ``level`` are known: a non-empty default mapping or schema properties.

    ``{}`` in values.yaml is a free-form map (annotations, labels, extra config); a scalar or
    ``null`` default says nothing about the keys a mapping there may have. Kubernetes metadata maps
    (``*annotations``, ``*labels``, ``nodeSelector``) take any key even when the chart ships some
    (Kong's ``podAnnotations`` holds Istio's and Kuma's): Helm merges ours over them.
    """
    last = str(level.at[-1]).lower() if level.at else ""
    if last.endswith(("annotations", "labels")) or last == "nodeselector":
        return False
    resolved = _resolve(level.schema, root) if level.schema is not None else None
    if isinstance(resolved, Mapping) and resolved.get("properties"):
        return True
    return isinstance(level.defaults, Mapping) and bool(level.defaults)


def _subchart_unknown(
    values: Mapping[str, Any], parent_defaults: Any, sub: Chart, path: Path_
) -> Iterator[tuple[Path_, str]]:
    """A dependency's keys: its own values, what the parent sets for it, ``enabled`` and ``global``."""
    extra = dict(parent_defaults) if isinstance(parent_defaults, Mapping) else {}
    defaults = _merge(sub.defaults, extra)
    own = {k: v for k, v in values.items() if k not in ("enabled", "global")}
    yield from _walk_unknown(own, sub, _Level(defaults, sub.schema), path)


def unknown_keys(values: Mapping[str, Any], chart: Chart, path: Path_ = ()) -> Iterator[tuple[Path_, str]]:
    """(path, message) of every key in ``values`` that ``chart`` does not read."""
    yield from _walk_unknown(values, chart, _Level(chart.defaults, chart.schema), path)


# --- schema -------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _validator(schema_text: str) -> Any:
    schema = json.loads(schema_text)
    try:
        return jsonschema_rs.validator_for(schema)
    except Exception:
        return jsonschema_rs.Draft7Validator(schema)


def schema_errors(values: Mapping[str, Any], chart: Chart, path: Path_ = ()) -> Iterator[tuple[Path_, str]]:
    """(path, message) of each schema error of ``values`` merged over the chart's defaults."""
    if chart.schema is not None:
        merged = _merge(chart.raw, values)
        validator = _validator(json.dumps(chart.schema, sort_keys=True))
        for error in validator.iter_errors(merged):
            at = tuple(error.instance_path)
            yield (*path, *at), f"chart {chart.name} {chart.version} schema: {error.message}"
    for key, sub in chart.subcharts.items():
        value = values.get(key)
        if sub is not None and isinstance(value, Mapping):
            own = {k: v for k, v in value.items() if k != "enabled"}
            yield from schema_errors(own, sub, (*path, key))


# --- the check ----------------------------------------------------------------------------------


def _helm_values(source: Mapping[str, Any]) -> tuple[Mapping[str, Any], Path_] | None:
    """The values a Helm source sets (``valuesObject``, else parsed ``values``) and their path."""
    helm = source.get("helm")
    if not isinstance(helm, Mapping):
        return None
    obj = helm.get("valuesObject")
    if isinstance(obj, Mapping):
        return obj, ("helm", "valuesObject")
    text = helm.get("values")
    if isinstance(text, str):
        parsed = yamlread.load_or_none(text)
        if isinstance(parsed, Mapping):
            return parsed, ("helm", "values")
    return None


def _chart_sources(body: Mapping[str, Any]) -> Iterator[tuple[Path_, Mapping[str, Any]]]:
    source = get_path(body, "spec", "source")
    if isinstance(source, Mapping) and source.get("chart"):
        yield ("spec", "source"), source
    for i, item in enumerate(list_of(get_path(body, "spec", "sources"))):
        if isinstance(item, Mapping) and item.get("chart"):
            yield ("spec", "sources", i), item


def _missing_required(values: Mapping[str, Any], chart: str) -> Iterator[tuple[tuple[str, ...], str]]:
    for path, why in REQUIRED.get(chart, ()):
        if path == ("sources", "crd"):
            if "crd" not in list_of(values.get("sources")):
                yield ("sources",), f"sources does not include crd: {why}"
            continue
        value = get_path(values, *path)
        if value in (None, "", [], {}):
            yield path, f"{'.'.join(path)} is not set: {why}"


def _traced(f: Finding, m: Manifest, values_at: int) -> Finding:
    """``f`` pointing at the line of its key under ``argocd.operators.<name>.values``, where written.

    The rendered values are the environment's with placeholders expanded, so the path into
    ``valuesObject`` is the path under ``values``; the longest written prefix answers.
    """
    sources = m.sources
    if not isinstance(sources, SourceMap) or sources.origin[:2] != ("argocd", "operators"):
        return f
    rel = f.yaml_path[values_at:]
    for n in range(len(rel), -1, -1):
        prefix = (*sources.origin, "values", *rel[:n])
        where = next((w for path, _v, w in sources.leaves if path[: len(prefix)] == prefix), None)
        if where is not None:
            return dataclasses.replace(f, source=where)
    return f


def check_chart_values(view: ClusterView, charts_dir: str) -> Iterator[Finding]:
    """Every Helm-chart ``Application`` sets values, all of which its pinned chart reads."""
    for m in view.of_kind("Application"):
        if group_of(m.api_version) != "argoproj.io":
            continue
        for base, source in _chart_sources(m.body):
            name, version = str(source.get("chart")), str(source.get("targetRevision", ""))
            found = _helm_values(source)
            if found is None or not found[0]:
                yield finding(
                    m,
                    base,
                    CHECK,
                    f"chart {name} {version} is installed with no Helm values: its defaults carry no "
                    "cluster name, region or IAM role, so the controller cannot work on this cluster. "
                    "Set them under argocd.operators.<name>.values.",
                )
                continue
            values, rel = found
            at = (*base, *rel)
            chart = load_chart(charts_dir, name, version)
            if chart is None:
                yield finding(
                    m,
                    (*base, "targetRevision"),
                    CHECK,
                    f"chart {name} {version} is not in {charts_dir}: its values cannot be checked. "
                    "Pin a version whose values.yaml is there.",
                )
                continue
            for path, message in unknown_keys(values, chart, at):
                text = (
                    f"{message}: Helm ignores unknown keys silently, so this setting never reaches the "
                    "controller. Fix the key in argocd.operators.<name>.values."
                )
                yield _traced(finding(m, path, CHECK, text), m, len(at))
            for path, message in schema_errors(values, chart, at):
                text = (
                    f"{message}: Helm refuses to install the chart. "
                    "Fix the value in argocd.operators.<name>.values."
                )
                yield _traced(finding(m, path, CHECK, text), m, len(at))
            for path, message in _missing_required(values, name):
                text = f"{message}. Set it in argocd.operators.<name>.values."
                yield _traced(finding(m, (*at, *path[:1]), CHECK, text), m, len(at))
