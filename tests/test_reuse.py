"""A render of an edited environment renders only the services the edit can change, and writes the
same tree as a render from scratch."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator import pipeline, stamps
from generator.bench.fleet import make_fleet_project
from generator.manifest import HUB_CLUSTER
from generator.pipeline import Project, load_env, render
from generator.plan import plan_clusters
from generator.reuse import overlapping
from generator.templating import load_templates
from generator.units import QUIET_METHODS, Tracked, Unit, service_units, template_unit
from tests.conftest import ROOT, tree_bytes

ENV = "bench-a"
Edit = Callable[[dict[str, Any]], None]


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    """A project of three dual environments of 8 generated services (internal APIs call a neighbour)."""
    return make_fleet_project(ROOT, tmp_path / "fleet", 8)


@pytest.fixture
def rendered_units(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, set[Unit]]]:
    """``(environment, the service units it rendered)`` for each ``render_environment`` call."""
    calls: list[tuple[str, set[Unit]]] = []
    real = pipeline.render_environment  # type: ignore[attr-defined]

    def spy(
        env: Any, plans: Any, templates: Any, *args: Any, skip: Collection[Unit] = (), **kwargs: Any
    ) -> Any:
        units = {u for u in _all_units(env, plans, templates) if u not in skip}
        if kwargs.get("only") is not None:
            units = {u for u in units if u[0] in kwargs["only"]}
        calls.append((env.name, units))
        return real(env, plans, templates, *args, skip=skip, **kwargs)

    monkeypatch.setattr(pipeline, "render_environment", spy)
    return calls


def _all_units(env: Any, plans: Any, templates: Any) -> set[Unit]:
    """Every unit a render of ``env`` has: its services' and its hub and cluster templates'."""
    hub = {template_unit(HUB_CLUSTER, rel) for rel in templates.hub}
    return {
        *service_units(env, plans),
        *hub,
        *(template_unit(p.name, rel) for p in plans for rel in templates.cluster),
    }


def _every_unit(root: Path, name: str) -> set[Unit]:
    env = load_env(Project(root), name)[1]
    return _all_units(env, plan_clusters(env), load_templates(root / "templates"))


def _edit(root: Path, env: str, change: Edit) -> None:
    path = root / "environments" / f"{env}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def _from_scratch(root: Path, tmp: Path) -> dict[str, bytes]:
    """The tree a render of ``root``'s inputs writes into an empty project (no stamps)."""
    fresh = tmp / "fresh"
    shutil.rmtree(fresh, ignore_errors=True)
    for part in ("environments", "templates", "policies"):
        shutil.copytree(root / part, fresh / part)
    render(Project(fresh))
    return tree_bytes(fresh / "rendered")


def _service(data: dict[str, Any], index: int) -> dict[str, Any]:
    return data["services"][index]  # type: ignore[no-any-return]


def _callers(data: dict[str, Any], name: str) -> set[str]:
    return {s["name"] for s in data["services"] if name in s.get("calls", [])}


def _called(data: dict[str, Any]) -> int:
    """The index of the first service another one calls."""
    called = {c for s in data["services"] for c in s.get("calls", [])}
    return next(i for i, s in enumerate(data["services"]) if s["name"] in called)


def _loose(data: dict[str, Any]) -> int:
    """The index of the last service nothing depends on: no one calls it, it consumes no queue."""
    called = {c for s in data["services"] for c in s.get("calls", [])}
    return max(i for i, s in enumerate(data["services"]) if s["name"] not in called and not s.get("consumes"))


def _new_in_release(service: dict[str, Any], release: dict[str, Any]) -> None:
    """Make ``service`` new in the release: its release cluster runs it, the other does not."""
    version = release["versions"][release["cluster"]]
    service["since"] = version
    service["digests"] = {v: d for v, d in service.get("digests", {}).items() if v == version}


EDITS: dict[str, Edit] = {
    "service-env": lambda d: _service(d, _called(d))["env"].update(LOG_LEVEL="debug"),
    "callee-port": lambda d: _service(d, _called(d)).update(port=9090),
    "environment-wide": lambda d: d["dns"].update(hostname="api2.bench.example.com"),
    "add-service": lambda d: d["services"].append(
        {**_service(d, 1), "name": "svc-new", "paths": ["/v1/new"]}
    ),
    "remove-service": lambda d: d["services"].pop(_loose(d)),
    "rename-service": lambda d: _service(d, _loose(d)).update(name="svc-renamed"),
    "reorder": lambda d: d["services"].insert(0, d["services"].pop()),
    "since": lambda d: _new_in_release(_service(d, _loose(d)), d["release"]),
}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_a_render_after_an_edit_writes_what_a_render_from_scratch_writes(
    fleet: Path, tmp_path: Path, edit: str
) -> None:
    """Same bytes, and the stamp records each file's origin as the render does (what later
    renders reuse files by, and what locates ``check``'s findings)."""
    from generator.sourcemap import SourceMap

    render(Project(fleet))
    _edit(fleet, ENV, EDITS[edit])
    render(Project(fleet))
    assert tree_bytes(fleet / "rendered") == _from_scratch(fleet, tmp_path)
    stamp = stamps.read_stamp(fleet, ENV)
    assert stamp is not None
    assert stamp.origins == {
        m.path: m.sources.origin
        for m in pipeline.render_environments(Project(fleet), [ENV])
        if isinstance(m.sources, SourceMap) and m.sources.origin
    }
    assert not render(Project(fleet), check=True).drift


def test_an_edited_service_renders_with_the_services_that_read_it_and_no_other(
    fleet: Path, rendered_units: list[tuple[str, set[Unit]]]
) -> None:
    render(Project(fleet))
    data = yaml.safe_load((fleet / "environments" / f"{ENV}.yaml").read_text(encoding="utf-8"))
    edited = _service(data, _called(data))["name"]
    readers = _callers(data, edited)
    assert readers  # the fleet's internal APIs call a neighbour
    start = len(rendered_units)
    _edit(fleet, ENV, EDITS["service-env"])
    render(Project(fleet))
    clusters = {p.name for p in plan_clusters(load_env(Project(fleet), ENV)[1])}
    assert [name for name, _ in rendered_units[start:]] == [ENV]
    assert set().union(*(units for _, units in rendered_units[start:])) == {
        (c, s) for c in clusters for s in {edited, *readers}
    }


def test_an_edit_to_the_environment_renders_every_service(
    fleet: Path, rendered_units: list[tuple[str, set[Unit]]]
) -> None:
    render(Project(fleet))
    start = len(rendered_units)
    _edit(fleet, ENV, EDITS["environment-wide"])
    render(Project(fleet))
    assert set().union(*(u for _, u in rendered_units[start:])) == _every_unit(fleet, ENV)


def test_a_template_that_reads_every_service_makes_each_unit_depend_on_all(
    fleet: Path, rendered_units: list[tuple[str, set[Unit]]]
) -> None:
    template = fleet / "templates" / "apps" / "service" / "peers.yaml.j2"
    template.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ (service.name ~ '-peers') | q }}\n"
        "  namespace: docproc\n  labels: {{ labels(service.name ~ '-peers', service) | q }}\n"
        "data:\n  peers: {{ env.services | map(attribute='name') | join(',') | q }}\n",
        encoding="utf-8",
    )
    render(Project(fleet))
    start = len(rendered_units)
    _edit(fleet, ENV, EDITS["service-env"])
    render(Project(fleet))
    env = load_env(Project(fleet), ENV)[1]
    assert set().union(*(u for _, u in rendered_units[start:])) == set(service_units(env, plan_clusters(env)))


def test_a_platform_template_renders_again_only_when_what_it_reads_changes(
    fleet: Path, rendered_units: list[tuple[str, set[Unit]]]
) -> None:
    """A hub or cluster template is a unit too: the shipped ones read no service, so a service edit
    keeps their files; one that lists the services renders again."""
    template = fleet / "templates" / "platform" / "peers.yaml.j2"
    template.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: peers\n  namespace: docproc\n"
        "  labels: {{ labels('peers') | q }}\n"
        "data:\n  peers: {{ env.services | map(attribute='name') | join(',') | q }}\n",
        encoding="utf-8",
    )
    render(Project(fleet))
    data = yaml.safe_load((fleet / "environments" / f"{ENV}.yaml").read_text(encoding="utf-8"))
    edited = _service(data, _called(data))["name"]
    start = len(rendered_units)
    _edit(fleet, ENV, EDITS["service-env"])
    render(Project(fleet))
    plans = plan_clusters(load_env(Project(fleet), ENV)[1])
    rendered = set().union(*(u for _, u in rendered_units[start:]))
    assert {u for u in rendered if u[1].startswith("@")} == {
        template_unit(p.name, "platform/peers.yaml.j2") for p in plans
    }
    assert {u[1] for u in rendered if not u[1].startswith("@")} == {edited, *_callers(data, edited)}


def _kept_file(fleet: Path) -> Path:
    """A file of a service no edit in ``EDITS["service-env"]`` touches (the last one)."""
    data = yaml.safe_load((fleet / "environments" / f"{ENV}.yaml").read_text(encoding="utf-8"))
    last = _service(data, len(data["services"]) - 1)["name"]
    return next(p for p in sorted((fleet / "rendered" / ENV).rglob(f"*-{last}.yaml")))


@pytest.mark.parametrize("how", ["append", "same-size-same-mtime"])
def test_a_hand_edit_of_a_kept_service_file_is_repaired(fleet: Path, tmp_path: Path, how: str) -> None:
    """A reused file is trusted only as its stamp recorded it: an edit that keeps its size and
    modification time still changes its change time, so the render reads it and rewrites it."""
    render(Project(fleet))
    target = _kept_file(fleet)
    before = target.stat()
    text = target.read_bytes()
    if how == "append":
        target.write_bytes(text + b"extra: 1\n")
    else:
        target.write_bytes(text.replace(b"docproc", b"docprok", 1))
        os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    _edit(fleet, ENV, EDITS["service-env"])
    report = render(Project(fleet))
    rel = target.relative_to(fleet / "rendered").as_posix()
    assert rel in {c.path for c in report.changes if c.action == "update"}
    assert tree_bytes(fleet / "rendered") == _from_scratch(fleet, tmp_path)


def test_a_possible_identity_clash_with_a_kept_object_renders_the_environment_whole(
    fleet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rendered_units: list[tuple[str, set[Unit]]]
) -> None:
    render(Project(fleet))
    monkeypatch.setattr(pipeline, "overlapping", lambda files, kept: True)
    start = len(rendered_units)
    _edit(fleet, ENV, EDITS["service-env"])
    render(Project(fleet))
    assert rendered_units[-1] == (ENV, _every_unit(fleet, ENV))
    assert len(rendered_units) > start + 1
    assert tree_bytes(fleet / "rendered") == _from_scratch(fleet, tmp_path)


def test_overlapping_compares_identities_across_components() -> None:
    kept = ["e/even/apps/docproc/service-a.yaml"]
    assert overlapping(["e/even/platform/docproc/service-a.yaml"], kept)
    assert not overlapping(["e/odd/apps/docproc/service-a.yaml"], kept)
    assert not overlapping(["e/even/apps/other/service-a.yaml"], kept)


def test_a_kept_file_changed_while_the_render_runs_is_rendered_after_all(
    fleet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rendered_units: list[tuple[str, set[Unit]]]
) -> None:
    """The writer checks each kept file under its lock: one changed after the render chose to keep
    it (by hand, or by another program) makes it render that environment whole instead."""
    from generator import reuse

    render(Project(fleet))
    real = reuse.reusable
    touched: list[Path] = []

    def reusable_then_changed(root: Path, *args: Any) -> Any:
        found = real(root, *args)
        if found is not None and not touched:
            touched.append(root / "rendered" / sorted(found.files)[0])
            touched[0].write_bytes(touched[0].read_bytes() + b"# meanwhile\n")
        return found

    monkeypatch.setattr(pipeline, "reusable", reusable_then_changed)
    _edit(fleet, ENV, EDITS["service-env"])
    start = len(rendered_units)
    report = render(Project(fleet))
    assert touched
    rel = touched[0].relative_to(fleet / "rendered").as_posix()
    assert rel in {c.path for c in report.changes if c.action == "update"}
    assert rendered_units[-1] == (ENV, _every_unit(fleet, ENV))
    assert len(rendered_units) > start + 1
    assert tree_bytes(fleet / "rendered") == _from_scratch(fleet, tmp_path)


def test_without_settled_statuses_every_file_is_read(fleet: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Files that changed in the clock tick the stamp was written in get no status: they are read."""
    monkeypatch.setattr(stamps, "_now", lambda root: 0)
    render(Project(fleet))
    _head, _, body = (fleet / stamps.STAMP_DIR / f"{ENV}.json").read_bytes().partition(b"\n")
    assert all(status is None for _, status, _ in json.loads(body)["files"].values())
    monkeypatch.undo()
    reads = _count_reads(monkeypatch)
    assert not render(Project(fleet), check=True).drift
    assert reads[0] == len(tree_bytes(fleet / "rendered"))


def _count_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many files the stamps read and hash (each read file's bytes are digested once)."""
    count = [0]
    real = stamps.digest

    def counting(data: bytes) -> str:
        count[0] += 1
        return real(data)

    monkeypatch.setattr(stamps, "digest", counting)
    return count


def test_an_unchanged_tree_is_proven_by_status_alone(fleet: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    render(Project(fleet))
    render(Project(fleet))  # reads what changed in the stamp's clock tick, and records its status
    reads = _count_reads(monkeypatch)
    assert {c.action for c in render(Project(fleet)).changes} == {"identical"}
    assert reads[0] == 0


class _Unreadable(tuple):  # type: ignore[type-arg]
    """Services no method may look at."""

    def __iter__(self) -> Any:
        raise AssertionError("read the services")

    def __len__(self) -> int:
        raise AssertionError("read the services")

    def __getitem__(self, index: Any) -> Any:
        raise AssertionError("read the services")


def test_quiet_methods_read_no_service(fleet: Path) -> None:
    env = load_env(Project(fleet), ENV)[1]
    blind = dataclasses.replace(env, services=_Unreadable())
    cluster = env.topology.clusters[0]
    calls: dict[str, Callable[[], object]] = {
        "cluster_versions": blind.cluster_versions,
        "proxy_hostname": lambda: blind.proxy_hostname(cluster.name),
        "placeholder_values": lambda: blind.placeholder_values(env.argocd.operators[0].name, cluster),
        "operator_values": lambda: [blind.operator_values(o, cluster) for o in env.argocd.operators],
        "secret_store": lambda: [blind.secret_store(s.name) for s in env.secret_stores],
    }
    assert set(calls) == QUIET_METHODS
    for call in calls.values():
        call()


def test_tracked_notes_the_services_read(fleet: Path) -> None:
    env = load_env(Project(fleet), ENV)[1]
    first, second = env.services[0].name, env.services[1].name
    view = Tracked(env)
    assert view.dns == env.dns
    view.service(second)
    view.service(first)
    view.proxy_hostname(env.topology.clusters[0].name)
    assert view.reads() == tuple(sorted((first, second)))
    assert view.services == env.services
    assert view.reads() is None
    other = Tracked(env)
    assert other.__dataclass_fields__  # anything but a field or a quiet method may reach the services
    assert other.reads() is None


@pytest.mark.parametrize("hand_edit", [False, True])
def test_unchanged_environments_proven_in_the_background(
    fleet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hand_edit: bool
) -> None:
    """With an environment to render, the others' files are proven by a forked child meanwhile;
    one whose files are not as recorded (a hand edit) is rendered after all."""
    from generator import workers

    render(Project(fleet))
    monkeypatch.setattr(pipeline, "BACKGROUND_FROM_BYTES", 0)
    forked: list[object] = []
    real = workers.in_background

    def spy(fn: Any, *args: Any) -> Any:
        forked.append(fn)
        return real(fn, *args)

    monkeypatch.setattr(workers, "in_background", spy)
    other = sorted(p.name for p in (fleet / "rendered").iterdir() if p.name != ENV)[0]
    target = next(p for p in sorted((fleet / "rendered" / other).rglob("*.yaml")))
    if hand_edit:
        target.write_bytes(target.read_bytes() + b"extra: 1\n")
    _edit(fleet, ENV, EDITS["service-env"])
    report = render(Project(fleet))
    assert forked
    rel = target.relative_to(fleet / "rendered").as_posix()
    assert (rel in {c.path for c in report.changes if c.action == "update"}) == hand_edit
    assert tree_bytes(fleet / "rendered") == _from_scratch(fleet, tmp_path)
