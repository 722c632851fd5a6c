"""Checks a schema cannot express: each one a located user error (exit 2), rendered/ untouched."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from generator.pipeline import Project, render_environments
from generator.quantity import parse_quantity
from tests.conftest import SHIPPED_ENVS, CliResult, add_layer, render_refused, shipped_data

SINGLE = next(n for n in SHIPPED_ENVS if shipped_data(n)["topology"]["type"] == "single")


def _services() -> list[dict]:
    return list(shipped_data(SINGLE)["services"])


def _append(project: Path, text: str) -> Path:
    return add_layer(project, SINGLE, text)


def _error(cli: Callable[..., CliResult], project: Path) -> str:
    return render_refused(cli, project, SINGLE)


def _worker() -> dict:
    return next(s for s in _services() if s["type"] == "worker")


def _http() -> dict:
    return next(s for s in _services() if s["type"] == "http")


@pytest.mark.parametrize(
    ("request_", "limit", "bad"),
    [("4Gi", "1Gi", True), ("1025Mi", "1Gi", True), ("4096Mi", "4Gi", False), ("1024Mi", "1Gi", False)],
)
def test_memory_request_above_limit(
    project: Path, cli: Callable[..., CliResult], request_: str, limit: str, bad: bool
) -> None:
    name = _worker()["name"]
    _append(
        project,
        f"services:\n  - name: {name}\n    resources: {{cpu: 100m, memory: {request_}, memoryLimit: {limit}}}\n",
    )
    if not bad:
        result = cli("render", "--root", str(project), "--env", SINGLE, "-q")
        assert result.code == 0, result.err
        return
    err = _error(cli, project)
    assert re.search(
        rf"environments/_extra\.yaml:\d+:\d+: services\[\d+\]\.resources\.memoryLimit: service '{name}' "
        rf"requests {request_} memory but is limited to {limit}",
        err,
    ), err


def test_cpu_request_above_cpu_limit(project: Path, cli: Callable[..., CliResult]) -> None:
    name = _worker()["name"]
    _append(
        project, f"services:\n  - name: {name}\n    resources: {{cpu: 1500m, cpuLimit: '1', memory: 1Gi}}\n"
    )
    err = _error(cli, project)
    assert re.search(rf"services\[\d+\]\.resources\.cpuLimit: service '{name}' requests 1500m CPU", err), err


def test_cpu_limit_is_rendered_when_stated(project: Path, cli: Callable[..., CliResult]) -> None:
    name = _worker()["name"]
    _append(
        project, f"services:\n  - name: {name}\n    resources: {{cpu: 500m, cpuLimit: '2', memory: 1Gi}}\n"
    )
    assert cli("render", "--root", str(project), "--env", SINGLE, "-q").code == 0
    manifests = render_environments(Project(project), [SINGLE])
    rollout = next(m for m in manifests if m.kind == "Rollout" and m.name == name)
    limits = rollout.body["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]
    assert limits["cpu"] == "2"  # memory: the limit inherited for this service


def test_replicas_min_above_max(project: Path, cli: Callable[..., CliResult]) -> None:
    name = _http()["name"]
    _append(project, f"services:\n  - name: {name}\n    replicas: {{min: 5, max: 2}}\n")
    err = _error(cli, project)
    assert re.search(r"services\[\d+\]\.replicas: replicas\.min \(5\) is above replicas\.max \(2\)", err), err


def test_port_taken_by_the_sidecar(project: Path, cli: Callable[..., CliResult]) -> None:
    name = _http()["name"]
    _append(project, f"services:\n  - name: {name}\n    port: 15020\n")
    err = _error(cli, project)
    assert re.search(
        r"environments/_extra\.yaml:\d+:\d+: services\[\d+\]\.port: .*15020.*Istio sidecar", err
    ), err


def test_queue_nobody_consumes(project: Path, cli: Callable[..., CliResult]) -> None:
    _append(project, "rabbitmq:\n  queues:\n    - {name: orphans}\n")
    err = _error(cli, project)
    assert re.search(
        r"environments/_extra\.yaml:\d+:\d+: rabbitmq\.queues\[\d+\]\.name: queue 'orphans' is declared "
        r"but no service consumes it",
        err,
    ), err


def test_queue_a_service_publishes_is_not_declared(project: Path, cli: Callable[..., CliResult]) -> None:
    name = _http()["name"]
    _append(project, f"services:\n  - name: {name}\n    publishes: [nowhere]\n")
    err = _error(cli, project)
    assert re.search(r"services\[\d+\]\.publishes\[0\]: unknown queue 'nowhere'", err), err


def test_queue_a_service_consumes_is_not_declared(project: Path, cli: Callable[..., CliResult]) -> None:
    name = _worker()["name"]
    _append(project, f"services:\n  - name: {name}\n    consumes: [nowhere]\n")
    err = _error(cli, project)
    assert re.search(r"services\[\d+\]\.consumes\[0\]: unknown queue 'nowhere'", err), err


def test_service_named_like_a_canary_service(project: Path, cli: Callable[..., CliResult]) -> None:
    base = _http()
    _append(
        project,
        f"services:\n  - {{name: {base['name']}-canary, type: worker, image: x/y, consumes: [{_worker()['consumes'][0]}],"
        " replicas: {min: 1, max: 1}, resources: {cpu: 100m, memory: 64Mi}}\n",
    )
    err = _error(cli, project)
    assert re.search(
        rf"services\[\d+\]\.name: service '{base['name']}-canary' would be rendered with the same name as the "
        rf"canary Service of http service '{base['name']}'",
        err,
    ), err


def test_queue_named_like_a_dead_letter_queue(project: Path, cli: Callable[..., CliResult]) -> None:
    queue = _worker()["consumes"][0]
    name = _worker()["name"]
    _append(
        project,
        f"rabbitmq:\n  queues:\n    - {{name: {queue}-dead}}\nservices:\n  - name: {name}\n"
        f"    consumes: [{queue}, {queue}-dead]\n",
    )
    err = _error(cli, project)
    assert re.search(
        rf"rabbitmq\.queues\[\d+\]\.name: queue '{queue}-dead' would be rendered with the same name as the "
        rf"dead-letter queue of '{queue}'",
        err,
    ), err


def test_every_problem_of_a_file_in_one_run(project: Path, cli: Callable[..., CliResult]) -> None:
    name = _http()["name"]
    _append(project, f"services:\n  - name: {name}\n    port: 15090\n    replicas: {{min: 9, max: 1}}\n")
    err = _error(cli, project)
    assert "Istio sidecar" in err
    assert "is above replicas.max" in err


@pytest.mark.parametrize(
    ("text", "value"), [("1Gi", 2**30), ("1536Mi", 1536 * 2**20), ("250m", 0.25), ("2", 2)]
)
def test_quantities_parse_as_kubernetes_does(text: str, value: float) -> None:
    assert parse_quantity(text) == value


@pytest.mark.parametrize(
    ("port", "bad"), [(15000, True), (15001, True), (15090, True), (14999, False), (15091, False)]
)
def test_sidecar_port_range_bounds(
    project: Path, cli: Callable[..., CliResult], port: int, bad: bool
) -> None:
    name = _http()["name"]
    _append(project, f"services:\n  - name: {name}\n    port: {port}\n")
    if bad:
        assert "15000-15090" in _error(cli, project)
    else:
        result = cli("render", "--root", str(project), "--env", SINGLE, "-q")
        assert result.code == 0, result.err


def test_queue_consumed_outside_the_platform_is_allowed(project: Path, cli: Callable[..., CliResult]) -> None:
    _append(project, "rabbitmq:\n  queues:\n    - {name: exports, consumedOutside: true}\n")
    result = cli("render", "--root", str(project), "--env", SINGLE, "-q")
    assert result.code == 0, result.err
    manifests = render_environments(Project(project), [SINGLE])
    assert any(m.kind == "Queue" and m.name == "exports" for m in manifests)


def test_queue_published_but_not_consumed_is_refused(project: Path, cli: Callable[..., CliResult]) -> None:
    """Publishing alone does not empty a queue: a consumer (or consumedOutside) is still needed."""
    name = _http()["name"]
    _append(
        project,
        f"rabbitmq:\n  queues:\n    - {{name: outbox}}\nservices:\n  - name: {name}\n    publishes: [outbox]\n",
    )
    assert re.search(
        r"rabbitmq\.queues\[\d+\]\.name: queue 'outbox' is declared but no service consumes",
        _error(cli, project),
    )


def _platform_name(project: Path, kind: str) -> str:
    """A name the platform's own templates give an object of ``kind`` in the services' namespace."""
    manifests = render_environments(Project(project), [SINGLE])
    service_names = {s["name"] for s in _services()}
    return next(
        m.name
        for m in manifests
        if m.kind == kind
        and m.namespace == "docproc"
        and m.component == "platform"
        and m.name not in service_names
        and re.fullmatch(r"[a-z]([-a-z0-9]*[a-z0-9])?", m.name)
    )


def test_service_named_like_a_platform_object_is_located_at_its_name(
    project: Path, cli: Callable[..., CliResult]
) -> None:
    """Any identity clash once rendered, not only the known -canary/-dead patterns, names the env line."""
    taken = _platform_name(project, "NetworkPolicy")
    worker = _worker()
    _append(
        project,
        f"services:\n  - {{name: {taken}, type: worker, image: x/y, consumes: [{worker['consumes'][0]}],"
        " replicas: {min: 1, max: 1}, resources: {cpu: 100m, memory: 64Mi}}\n",
    )
    err = _error(cli, project)
    assert re.search(
        rf"environments/_extra\.yaml:\d+(:\d+)?: services\[\d+\]\.name: .*renders NetworkPolicy docproc/{taken}, "
        r"which templates/\S+ renders too: the two would overwrite each other",
        err,
    ), err
    assert f"rename '{taken}'" in err


@pytest.mark.parametrize("section", ["env", "secrets"])
def test_a_variable_the_platform_sets_is_refused(
    project: Path, cli: Callable[..., CliResult], section: str
) -> None:
    name = _worker()["name"]
    value = "x" if section == "env" else "{store: s, key: k}"
    _append(
        project,
        f"secretStores: [{{name: s}}]\nservices:\n  - name: {name}\n    {section}: {{AMQP_PASSWORD: {value}}}\n",
    )
    err = _error(cli, project)
    assert re.search(
        rf"environments/_extra\.yaml:4:\d+: services\[\d+\]\.{section}\.AMQP_PASSWORD: .*which the platform sets",
        err,
    ), err


def test_platform_env_names_every_variable_the_templates_set(project: Path) -> None:
    """Every variable the templates add is a refused name: the constant cannot fall behind them."""
    from generator.semantics import PLATFORM_ENV

    own = {s["name"]: set(s.get("env", {})) for s in _services()}
    seen: set[str] = set()
    for m in render_environments(Project(project), [SINGLE]):
        if m.kind in {"Rollout", "Deployment"} and m.name in own:
            for container in m.body["spec"]["template"]["spec"]["containers"]:
                seen |= {e["name"] for e in container.get("env", [])} - own[m.name]
    assert "DOCPROC_ENVIRONMENT" in seen
    assert seen <= PLATFORM_ENV, seen - PLATFORM_ENV
