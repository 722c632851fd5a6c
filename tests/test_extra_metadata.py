"""A team's own labels and annotations (``labels``/``annotations`` of an environment or a service).

They join what the templates render (every object of the environment; a service's objects and
pods), never replace it: reserved keys are refused at the line that wrote them (exit 2), as are
keys and values Kubernetes would reject.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from generator.errors import format_yaml_path
from generator.pipeline import Project, render_environments
from tests.conftest import SHIPPED_ENVS, CliResult, add_layer, render_refused, shipped_data

SINGLE = next(n for n in SHIPPED_ENVS if shipped_data(n)["topology"]["type"] == "single")
Cli = Callable[..., CliResult]


def _layer(project: Path, text: str) -> None:
    add_layer(project, SINGLE, text)


def _service() -> str:
    return str(shipped_data(SINGLE)["services"][0]["name"])


def _error(cli: Cli, project: Path) -> str:
    return render_refused(cli, project, SINGLE)


def test_environment_and_service_labels_and_annotations_are_rendered(project: Path) -> None:
    name = _service()
    _layer(
        project,
        "labels: {example.com/owner: platform-team, example.com/cost: shared}\n"
        "annotations: {example.com/runbook: 'https://runbooks.example.com/docproc'}\n"
        f"services:\n  - name: {name}\n    labels: {{example.com/owner: {name}-team}}\n"
        "    annotations: {example.com/pager: '#oncall'}\n",
    )
    manifests = render_environments(Project(project), [SINGLE])
    assert manifests
    for m in manifests:
        meta = m.body["metadata"]
        assert meta["labels"]["example.com/cost"] == "shared", m.path
        assert meta["annotations"]["example.com/runbook"] == "https://runbooks.example.com/docproc", m.path
        own = m.component == "apps" and meta["labels"].get("app.kubernetes.io/name") == name
        assert meta["labels"]["example.com/owner"] == (f"{name}-team" if own else "platform-team"), m.path
        assert ("example.com/pager" in meta["annotations"]) == own, m.path
    workload = next(m for m in manifests if m.kind in {"Rollout", "Deployment"} and m.name == name)
    pod = workload.body["spec"]["template"]["metadata"]
    assert pod["labels"]["example.com/owner"] == f"{name}-team"
    assert pod["annotations"]["example.com/pager"] == "#oncall"
    # the platform's own labels are all still there, unchanged
    assert pod["labels"]["app.kubernetes.io/name"] == name


@pytest.mark.parametrize(
    ("field", "key"),
    [
        ("labels", "app.kubernetes.io/name"),
        ("labels", "docproc.io/team"),
        ("labels", "pod-security.kubernetes.io/enforce"),
        ("labels", "app"),
        ("labels", "istio-injection"),
        ("annotations", "sidecar.istio.io/inject"),
        ("annotations", "argocd.argoproj.io/sync-wave"),
    ],
)
def test_reserved_keys_are_refused_at_their_line(project: Path, cli: Cli, field: str, key: str) -> None:
    _layer(project, f"{field}:\n  {key}: x\n")
    err = _error(cli, project)
    path = format_yaml_path((field, key))
    assert re.search(
        rf"environments/_extra\.yaml:2(:\d+)?: {re.escape(path)}: \w+ '{re.escape(key)}' is reserved", err
    ), err


def test_reserved_key_on_a_service_is_refused(project: Path, cli: Cli) -> None:
    _layer(project, f"services:\n  - name: {_service()}\n    labels: {{docproc.io/tier: production}}\n")
    err = _error(cli, project)
    assert re.search(
        r"environments/_extra\.yaml:3(:\d+)?: services\[\d+\]\.labels\.docproc\.io/tier: ", err
    ), err


@pytest.mark.parametrize(
    "text",
    [
        "labels: {example.com/owner: 'not valid!'}",
        "labels: {-bad: x}",
        "labels: {example.com/owner: " + "x" * 64 + "}",
        "labels: {example.com/flag: true}",  # a YAML boolean: label values are strings
        "annotations: {'example.com/a b': x}",
    ],
    ids=["value-chars", "key-start", "value-length", "value-boolean", "annotation-key"],
)
def test_keys_and_values_kubernetes_rejects_are_schema_errors(project: Path, cli: Cli, text: str) -> None:
    _layer(project, text + "\n")
    assert re.search(r"environments/_extra\.yaml:1(:\d+)?: (labels|annotations)", _error(cli, project))


def _template_annotates_namespaces(project: Path, annotation: str) -> None:
    template = next((project / "templates").rglob("namespaces.yaml.j2"))
    text = template.read_text()
    head = "kind: Namespace\nmetadata:\n"
    assert head in text
    template.write_text(text.replace(head, f"{head}  annotations: {{{annotation}}}\n", 1))


def test_a_key_a_template_sets_keeps_the_templates_value(project: Path, cli: Cli) -> None:
    """Backstop for keys outside the reserved domains: a template's value is never replaced."""
    _template_annotates_namespaces(project, "example.com/owner: platform")
    _layer(project, "annotations: {example.com/owner: me}\n")
    err = _error(cli, project)
    assert re.search(
        r"environments/_extra\.yaml:1(:\d+)?: annotations\.example\.com/owner: annotation example\.com/owner: "
        r"'me' would replace 'platform', which the platform \(templates/\S+namespaces\.yaml\.j2\) sets on Namespace \S+",
        err,
    ), err


def test_same_value_as_the_template_is_accepted(project: Path, cli: Cli) -> None:
    _template_annotates_namespaces(project, "example.com/owner: platform")
    _layer(project, "annotations: {example.com/owner: platform}\n")
    result = cli("render", "--root", str(project), "--env", SINGLE, "-q")
    assert result.code == 0, result.err
