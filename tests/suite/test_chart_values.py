"""The ``chart-values`` check: Helm values an Application sets, against the pinned chart's own values.

Small invented charts (built inline) pin the rules: keys in values.yaml, commented-out keys,
schema-declared keys, free-form ``{}`` maps, Istio's ``_internal_defaults_do_not_set``,
dependencies by alias, schema validation of the merged values, and the values this platform
requires. The shipped render is then checked against ../shared/charts.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from generator.errors import UsageError
from generator.gate.checks.chart_values import (
    CHECK,
    REQUIRED,
    check_chart_values,
    load_chart,
    schema_errors,
    unknown_keys,
)
from generator.gate.checks.cluster import ClusterView
from generator.manifest import Manifest
from generator.pipeline import Project, render_environments

ROOT = Path(__file__).resolve().parents[2]

CHARTS = {
    "demo/1.0.0/values.yaml": """\
settings:
  clusterName: ""
  # interruptionQueue: ""
  featureGates:
    drift: false
podAnnotations: {}
podLabels:
  shipped/by-chart: "yes"
replicas: 1
""",
    "demo/1.0.0/values.schema.json": json.dumps(
        {
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "properties": {
                "replicas": {"type": "integer"},
                "extra": {"$ref": "#/$defs/extra"},
            },
            "$defs": {"extra": {"type": "object", "properties": {"mode": {"enum": ["a", "b"]}}}},
        }
    ),
    "mesh/2.0.0/values.yaml": "_internal_defaults_do_not_set:\n  cni:\n    enabled: false\n  hub: dev\n",
    "wrapper/0.1.0/Chart.yaml": """\
name: wrapper
version: 0.1.0
dependencies:
  - {name: demo, version: "=1.0.0", alias: controller}
  - {name: absent, version: 9.9.9}
""",
    "wrapper/0.1.0/values.yaml": "controller:\n  enabled: true\n",
}


@pytest.fixture
def charts(tmp_path: Path, tree: Callable[[Mapping[str, str]], Path]) -> str:
    return str(tree(CHARTS))


def _unknown(charts: str, chart: str, version: str, values: Mapping[str, Any]) -> list[str]:
    loaded = load_chart(charts, chart, version)
    assert loaded is not None
    return [".".join(map(str, path)) for path, _ in unknown_keys(values, loaded)]


@pytest.mark.parametrize(
    ("values", "unknown"),
    [
        ({"settings": {"clusterName": "x"}}, []),
        ({"settings": {"clustername": "x"}}, ["settings.clustername"]),
        ({"settings": {"interruptionQueue": "q"}}, []),  # documented as a commented-out key
        ({"podAnnotations": {"any/key": "v"}}, []),  # {} is a free-form map
        ({"podLabels": {"sidecar.istio.io/inject": "true"}}, []),  # metadata maps take any key
        ({"extra": {"mode": "a"}}, []),  # declared by the schema only
        ({"extra": {"mood": "a"}}, ["extra.mood"]),  # a typo of a schema-declared key
        ({"settings": {"featureGates": {"drfit": True}}}, ["settings.featureGates.drfit"]),
        ({"replica": 2}, ["replica"]),
    ],
    ids=[
        "known",
        "misspelt",
        "commented",
        "free-form",
        "labels",
        "schema-only",
        "schema-typo",
        "nested",
        "top",
    ],
)
def test_unknown_keys(charts: str, values: Mapping[str, Any], unknown: list[str]) -> None:
    assert _unknown(charts, "demo", "1.0.0", values) == unknown


def test_unknown_key_suggests_the_close_one(charts: str) -> None:
    chart = load_chart(charts, "demo", "1.0.0")
    assert chart is not None
    ((_, message),) = unknown_keys({"settings": {"clustername": "x"}}, chart)
    assert "did you mean 'clusterName'?" in message


def test_istio_defaults_count_as_known(charts: str) -> None:
    assert _unknown(charts, "mesh", "2.0.0", {"cni": {"enabled": True}, "hub": "docker.io/istio"}) == []
    assert _unknown(charts, "mesh", "2.0.0", {"cni": {"enbled": True}}) == ["cni.enbled"]


def test_dependency_values_are_checked_under_their_alias(charts: str) -> None:
    values = {"controller": {"enabled": True, "settings": {"clustrName": "x"}}, "absent": {"anything": 1}}
    assert _unknown(charts, "wrapper", "0.1.0", values) == ["controller.settings.clustrName"]


def test_schema_validates_values_merged_over_defaults(charts: str) -> None:
    chart = load_chart(charts, "demo", "1.0.0")
    assert chart is not None
    assert list(schema_errors({"replicas": 3}, chart)) == []
    errors = list(schema_errors({"replicas": "three", "extra": {"mode": "c"}}, chart))
    assert sorted(".".join(map(str, p)) for p, _ in errors) == ["extra.mode", "replicas"]


def _application(chart: str, version: str, values: Mapping[str, Any] | None) -> Manifest:
    source: dict[str, Any] = {
        "repoURL": "https://charts.example.com",
        "chart": chart,
        "targetRevision": version,
    }
    if values is not None:
        source["helm"] = {"valuesObject": values}
    body = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": f"x-{chart}", "namespace": "argocd"},
        "spec": {"source": source},
    }
    return Manifest("dev", "main", "argocd", body)


def _messages(charts: str, *apps: Manifest) -> list[str]:
    return [f.message for f in check_chart_values(ClusterView("dev", "main", apps), charts)]


def test_check_names_missing_values_and_unpinned_charts(charts: str) -> None:
    assert _messages(charts, _application("demo", "1.0.0", {"replicas": 2})) == []
    (no_values,) = _messages(charts, _application("demo", "1.0.0", None))
    assert "no Helm values" in no_values
    (unpinned,) = _messages(charts, _application("demo", "7.0.0", {"replicas": 2}))
    assert "demo 7.0.0 is not in" in unpinned


def test_required_platform_values(charts: str, tree: Callable[[Mapping[str, str]], Path]) -> None:
    root = tree({"karpenter/1.0.0/values.yaml": "settings:\n  clusterName: ''\n  interruptionQueue: ''\n"})
    messages = _messages(
        str(root), _application("karpenter", "1.0.0", {"settings": {"interruptionQueue": "q"}})
    )
    assert any("settings.clusterName is not set" in m for m in messages), messages
    assert len(messages) == len(REQUIRED["karpenter"]) - 1


# --- the shipped environments against ../shared/charts -------------------------------------------


@pytest.fixture(scope="module")
def shipped() -> tuple[Manifest, ...]:
    return render_environments(Project(ROOT))


def test_every_shipped_operator_sets_values_the_pinned_chart_reads(
    shipped: tuple[Manifest, ...], charts_dir: Path
) -> None:
    apps = [m for m in shipped if m.kind == "Application" and "chart" in m.body["spec"].get("source", {})]
    assert apps
    clusters = {(m.env, m.cluster) for m in apps}
    for env, cluster in sorted(clusters):
        view = ClusterView(env, cluster, tuple(m for m in apps if (m.env, m.cluster) == (env, cluster)))
        assert [f.message for f in check_chart_values(view, str(charts_dir))] == []


def test_a_misspelt_shipped_key_is_named_with_its_environment_line(
    shipped: tuple[Manifest, ...], charts_dir: Path
) -> None:
    app = next(
        m
        for m in shipped
        if m.kind == "Application" and m.body["spec"].get("source", {}).get("chart") == "karpenter"
    )
    body = copy.deepcopy(dict(app.body))
    settings = body["spec"]["source"]["helm"]["valuesObject"]["settings"]
    settings["clustername"] = settings.pop("clusterName")
    broken = Manifest(app.env, app.cluster, app.component, body, app.sources)
    found = list(check_chart_values(ClusterView(app.env, app.cluster, (broken,)), str(charts_dir)))
    unknown = [f for f in found if f.yaml_path[-1] == "clustername"]
    assert len(unknown) == 1
    assert unknown[0].rule == CHECK
    assert "did you mean 'clusterName'?" in unknown[0].message
    assert unknown[0].source is not None
    source = unknown[0].source
    assert source.line is not None
    text = (ROOT / source.file).read_text(encoding="utf-8").splitlines()
    assert "clusterName:" in text[source.line - 1]


@pytest.mark.parametrize(
    ("file", "text", "line"),
    [
        ("demo/1.0.0/values.yaml", "replicas: 1\nreplicas: 2\n", 2),  # duplicate key
        ("wrapper/0.1.0/Chart.yaml", "name: wrapper\ndependencies: [\n", 3),  # truncated
    ],
    ids=["values", "chart-metadata"],
)
def test_a_malformed_chart_file_is_a_located_user_error(
    tree: Callable[[Mapping[str, str]], Path], file: str, text: str, line: int
) -> None:
    """The charts directory is the user's (--charts-dir): a broken file there is exit 2, at its line."""
    charts = tree({**CHARTS, file: text})
    chart, version = file.split("/")[:2]
    load_chart.cache_clear()
    with pytest.raises(UsageError) as raised:
        load_chart(str(charts), chart, version)
    assert raised.value.path == str(charts / file)
    assert raised.value.line == line
