"""The pipeline: load + validate environment → plan clusters → render → write (→ check).

The only module ``generator.commands`` calls for rendering, and the only one allowed to import
``generator.write``. Paths are resolved from an explicit project ``root``; nothing reads cwd.
"""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator import stamps, yamlread
from generator.documents import Document
from generator.errors import EnvFileError, GeneratorError, UsageError
from generator.load import LoadedEnv, list_environments, load_environment, load_policy_sources
from generator.location import Location, YamlPath
from generator.manifest import HUB_CLUSTER, Manifest
from generator.model import Environment, build_environment
from generator.plan import plan_clusters
from generator.render import render_environment
from generator.reuse import Reuse, overlapping, reusable, unit_keys
from generator.sourcemap import SourceMap
from generator.stamps import Recorded, UnitRecord
from generator.templating import TemplateSet, load_templates
from generator.units import Digests, Noted, Unit, digests
from generator.write import (
    Change,
    Staging,
    Unproven,
    WriteReport,
    plan_files,
    stage,
    staging,
    write_tree,
)

if TYPE_CHECKING:  # the gate is imported where a check runs: render need not pay its 50 ms
    from concurrent.futures import Future

    from generator.findings import Finding
    from generator.gate.check import CheckResult, Subject
    from generator.gate.parallel import Checked, Elsewhere
    from generator.gate.stream import Part

__all__ = [
    "Progress",
    "Project",
    "check",
    "drift",
    "edit_environment",
    "load_env",
    "pending_render",
    "render",
    "render_environments",
    "selected_envs",
]

#: Told what a long run is doing (the CLI shows it on a terminal); the default says nothing.
Progress = Callable[[str], None]


def _silent(message: str) -> None:
    """The default progress callback."""


@dataclass(frozen=True, slots=True)
class Project:
    """Where a project's inputs and output live (all derived from its root)."""

    root: Path

    @property
    def environments(self) -> Path:
        return self.root / "environments"

    @property
    def templates(self) -> Path:
        return self.root / "templates"

    @property
    def policies(self) -> Path:
        return self.root / "policies"

    @property
    def rendered(self) -> Path:
        return self.root / "rendered"


def selected_envs(project: Project, envs: Sequence[str] | None) -> list[str]:
    """The environments to render: the named ones (checked to exist), else all.

    Raises:
        UsageError: a named environment without a file, or no ``environments/`` directory at all
            (a mistyped ``--root`` would otherwise render nothing and say it is up to date).
    """
    if not project.environments.is_dir():
        raise UsageError(
            f"not a directory, so {project.root} is not a gitops-gen project",
            path=str(project.environments),
            hint="run from the project root, or pass --root with the directory holding environments/",
        )
    available = list_environments(project.environments)
    if not envs:
        return available
    for name in envs:
        if name not in available:
            raise UsageError(
                f"unknown environment {name!r}",
                path=f"environments/{name}.yaml",
                hint=f"available: {', '.join(available) or '(none)'}",
            )
    return sorted(set(envs))


def load_env(project: Project, name: str) -> tuple[LoadedEnv, Environment]:
    """Load, schema-check and build one environment.

    Raises:
        EnvFileError: anything wrong in the environment file, located at file:line:col.
    """
    loaded = load_environment(project.environments, name, shown_root=project.root)

    def error_at(message: str, yaml_path: tuple[str | int, ...], hint: str | None) -> EnvFileError:
        return loaded.error(message, yaml_path, hint)

    return loaded, build_environment(name, loaded.data, error_at)


def _leaves(loaded: LoadedEnv) -> tuple[tuple[tuple[str | int, ...], object, Location], ...]:
    """Source-map leaves: the values a file of the chain wrote (schema defaults left out).

    Findings trace to lines a user wrote; a value only a schema default gives traces to its nearest
    written ancestor (``gitops-gen config`` shows the default and its schema line).
    """
    from generator.defaults import SCHEMA_FILE
    from generator.sourcemap import flatten_leaves

    out = []
    for path, value in flatten_leaves(loaded.data):
        mark = loaded.mark(path)
        if mark is None or mark.file != SCHEMA_FILE:
            out.append((path, value, mark.file_line if mark else Location(loaded.file)))
    return tuple(out)


def _extras(project: Project, loaded: LoadedEnv, env: Environment) -> dict[str, tuple[Document, ...]]:
    """Each cluster's extra manifests: the environment's ``extraManifests``, then the cluster's own."""
    if env.extra_manifests is None and not any(c.extra_manifests for c in env.topology.clusters):
        return {}
    from generator.extras import load_extra_manifests

    def read(rel: str | None, at: tuple[str | int, ...]) -> tuple[Document, ...]:
        return () if rel is None else load_extra_manifests(project.root, rel, at, loaded.error)

    shared = read(env.extra_manifests, ("extraManifests",))
    return {
        c.name: shared + read(c.extra_manifests, ("topology", "clusters", c.name, "extraManifests"))
        for c in env.topology.clusters
    }


def _render_loaded(
    project: Project,
    names: Sequence[str],
    templates: TemplateSet | None = None,
    preloaded: Mapping[str, tuple[LoadedEnv, Environment]] | None = None,
    only: Sequence[str] | None = None,
    *,
    compact: bool = False,
    policies: Sequence[Mapping[str, Any]] | None = None,
    skip: Mapping[str, Collection[Unit]] | None = None,
    noted: dict[str, Noted] | None = None,
) -> tuple[tuple[Manifest, ...], dict[str, Environment]]:
    """Render ``names`` (their clusters in ``only``) in memory; also return each ``Environment``.

    ``skip`` and ``noted``: per environment, as ``render_environment`` takes them.
    """
    templates = templates or load_templates(project.templates)
    if policies is None:
        policies = load_policy_sources(project.policies, shown_root=project.root)
    manifests: list[Manifest] = []
    loaded_envs: dict[str, Environment] = {}
    for name in names:
        loaded, env = (preloaded or {}).get(name) or load_env(project, name)
        loaded_envs[name] = env
        manifests.extend(
            render_environment(
                env,
                plan_clusters(env),
                templates,
                policies=policies,
                leaves=_leaves(loaded),
                only=only,
                extras=_extras(project, loaded, env),
                compact=compact,
                skip=(skip or {}).get(name, ()),
                noted=noted.setdefault(name, Noted()) if noted is not None else None,
            )
        )
    return tuple(manifests), loaded_envs


def render_environments(
    project: Project, envs: Sequence[str] | None = None, *, templates: TemplateSet | None = None
) -> tuple[Manifest, ...]:
    """Load, plan and render environments in memory (no writes)."""
    return _render_loaded(project, selected_envs(project, envs), templates)[0]


#: Below this many services in total, rendering stays in-process (a pre-commit hook must start fast).
PARALLEL_MIN_SERVICES = 100


#: One process's share of a render: ``(environment, its clusters or None for all)`` in order.
Share = list[tuple[str, list[str] | None]]


def _shares(
    envs: Mapping[str, Environment], jobs: int, skip: Mapping[str, Collection[Unit]] | None = None
) -> list[Share]:
    """The clusters of ``envs`` in up to ``jobs`` shares of about equal work, each contiguous.

    Work is counted in services rendered per cluster (every service renders on every cluster, but
    those of ``skip``), so three environments on two cores split as one and a half each, not one
    and two. An environment's hub goes with its first cluster; a share holding all of an
    environment's clusters renders it whole.
    """
    units = [
        (name, plan.name, _work(env, plan.name, (skip or {}).get(name, ())))
        for name, env in envs.items()
        for plan in plan_clusters(env)
    ]
    total = sum(weight for _, _, weight in units)
    shares: list[list[tuple[str, str]]] = [[] for _ in range(jobs)]
    done = 0
    for name, cluster, weight in units:
        index = min(jobs - 1, (done * jobs) // total if total else 0)
        shares[index].append((name, cluster))
        done += weight
    out: list[Share] = []
    for share in shares:
        tasks: Share = []
        for name in dict.fromkeys(n for n, _ in share):
            clusters = [c for n, c in share if n == name]
            every = [plan.name for plan in plan_clusters(envs[name])]
            if clusters == every:
                tasks.append((name, None))
            else:
                tasks.append((name, [HUB_CLUSTER, *clusters] if clusters[0] == every[0] else clusters))
        if tasks:
            out.append(tasks)
    return out


@dataclass(frozen=True, slots=True)
class _Loaded:
    """What a render reads before rendering; a forked worker inherits it instead of reading again."""

    root: Path
    templates: TemplateSet
    policies: Sequence[Mapping[str, Any]]
    envs: Mapping[str, tuple[LoadedEnv, Environment]]


#: Filled while a render's workers fork (``render_files``): they inherit it, copy-on-write.
_inherited: dict[Path, _Loaded] = {}


def _work(env: Environment, cluster: str, skip: Collection[Unit]) -> int:
    """The services ``cluster`` renders (all but the reused ones), plus its platform."""
    return 1 + sum(1 for s in env.services if (cluster, s.name) not in skip)


#: A render's files (``{path under rendered/: text}``), the origin of each one's object that has one,
#: and what it noted of each environment's units (``units.Noted``).
Rendered = tuple[dict[str, str], dict[str, YamlPath], dict[str, Noted]]


def _origins(manifests: Sequence[Manifest]) -> dict[str, YamlPath]:
    """``{path: origin}`` of the manifests rendered from a part of the environment (``stamps.Kept``)."""
    return {
        m.path: m.sources.origin for m in manifests if isinstance(m.sources, SourceMap) and m.sources.origin
    }


def _share_files(
    project: Project, share: Share, staged: Staging | None, skip: Mapping[str, Collection[Unit]]
) -> Rendered:
    """The files of one share (in a worker: picklable in and out); inherited state used when forked."""
    state = _inherited.get(project.root)
    if state is None:
        templates = load_templates(project.templates)
        return _render_share(project, share, templates, None, {}, staged=staged, skip=skip)
    policies = state.policies
    return _render_share(project, share, state.templates, policies, state.envs, staged=staged, skip=skip)


def _render_share(
    project: Project,
    share: Share,
    templates: TemplateSet,
    policies: Sequence[Mapping[str, Any]] | None,
    loaded: Mapping[str, tuple[LoadedEnv, Environment]],
    *,
    staged: Staging | None = None,
    skip: Mapping[str, Collection[Unit]] | None = None,
) -> Rendered:
    manifests: list[Manifest] = []
    noted: dict[str, Noted] = {}
    for name, only in share:
        manifests.extend(
            _render_loaded(
                project, [name], templates, loaded, only=only, policies=policies, skip=skip, noted=noted
            )[0]
        )
    files = plan_files(manifests)
    if staged is not None:
        stage(staged, files)
    return files, _origins(manifests), noted


def render_files(
    project: Project,
    names: Sequence[str],
    preloaded: Mapping[str, tuple[LoadedEnv, Environment]] | None = None,
    staged: Staging | None = None,
) -> dict[str, str]:
    """``{path: text}`` for ``names``; rendered on both cores when the fleet is large (``_rendered``)."""
    return _rendered(project, names, preloaded, staged)[0]


def _rendered(
    project: Project,
    names: Sequence[str],
    preloaded: Mapping[str, tuple[LoadedEnv, Environment]] | None = None,
    staged: Staging | None = None,
    skip: Mapping[str, Collection[Unit]] | None = None,
) -> Rendered:
    """The files of ``names`` and their objects' origins; rendered on both cores when the fleet is large.

    The clusters are split in two shares of about equal work (``_shares``): one environment alone
    (the usual incremental render) by its clusters, three as one and a half each. Templates,
    policies and environments are read once, here; the worker is forked after that and inherits
    them (copy-on-write), then renders its share while this process renders the other.
    With ``staged``, each process also writes the files of its share ahead into the new tree
    (``write.stage``), so creating them runs on both cores too. ``skip``: units not to render, per
    environment (``generator.reuse``).
    """
    skip = skip or {}
    loaded = {n: (preloaded or {}).get(n) or load_env(project, n) for n in names}
    work = sum(
        _work(env, plan.name, skip.get(n, ())) - 1
        for n, (_, env) in loaded.items()
        for plan in plan_clusters(env)
    )
    jobs = min(2, os.cpu_count() or 1) if work >= PARALLEL_MIN_SERVICES else 1
    templates = load_templates(project.templates)
    policies = load_policy_sources(project.policies, shown_root=project.root)
    shares = _shares({n: env for n, (_, env) in loaded.items()}, jobs, skip)
    if len(shares) < 2:
        share = shares[0] if shares else []
        return _render_share(project, share, templates, policies, loaded, staged=staged, skip=skip)
    import multiprocessing

    from generator.workers import worker_pool

    _inherited[project.root] = _Loaded(project.root, templates, policies, loaded)
    try:
        with worker_pool(len(shares) - 1, mp_context=multiprocessing.get_context("fork")) as pool:
            futures = [pool.submit(_share_files, project, share, staged, skip) for share in shares[1:]]
            _inherited.clear()  # forked: this process needs it no longer
            files, origins, noted = _render_share(
                project, shares[0], templates, policies, loaded, staged=staged, skip=skip
            )
            for future in futures:
                more, located, also = future.result()
                files.update(more)
                origins.update(located)
                for name, note in also.items():
                    mine = noted.setdefault(name, Noted())
                    mine.reads.update(note.reads)
                    mine.files.update(note.files)
    finally:
        _inherited.clear()
    return dict(sorted(files.items())), origins, noted


def render(
    project: Project, envs: Sequence[str] | None = None, *, check: bool = False, progress: Progress = _silent
) -> WriteReport:
    """Render and write (or, with ``check``, only compare) ``rendered/``.

    Everything is rendered and every error raised before the writer touches ``rendered/``.
    Environments whose stamp holds are not rendered (``stamps``); of the others, the units whose key
    is unchanged are not rendered either: their files are kept (``generator.reuse``).
    Proving that the unchanged environments' files are as recorded is thousands of system calls:
    when there are also environments to render, a forked child does it meanwhile (``_proving``).
    """
    names = selected_envs(project, envs)
    shared = stamps.shared_digest(project.root)
    inputs = {name: stamps.inputs_digest(project.root, name, shared) for name in names}
    sizes = {name: stamps.recorded_size(project.root, name, digest) for name, digest in inputs.items()}
    candidates = [name for name in names if sizes[name] is not None]
    todo = [name for name in names if name not in candidates]
    progress(f"rendering {len(todo)} environment(s), {len(candidates)} unchanged since their last render")
    fresh = [] if check else [name for name in todo if not os.path.lexists(project.rendered / name)]
    background = bool(todo) and sum(sizes[n] or 0 for n in candidates) >= BACKGROUND_FROM_BYTES
    with _proving(project, candidates, inputs, background) as proven:
        loaded = {name: load_env(project, name) for name in todo}  # user errors before any write
        with staging(project.rendered, fresh) if fresh else contextlib.nullcontext() as staged:
            part = _render_part(project, loaded, shared, staged)
            kept = proven()
            late = [name for name in candidates if name not in kept]
            if late:  # its files are not as recorded (a hand edit): render the environment whole after all
                more = {name: load_env(project, name) for name in late}
                part = part.joined(_render_part(project, more, shared, None, keep=False))
                todo = [name for name in names if name not in kept]
            if not check:
                for name in todo:
                    recorded = _recorded_release(project, name)
                    if recorded is not None:
                        _check_transition(part.loaded[name], recorded)
            count = len(part.files)
            progress(f"comparing {count} files with rendered/" if check else f"writing {count} files")
            try:
                report = _write(
                    project, part.files, envs, check=check, kept=kept, staged=staged, same=part.same
                )
            except Unproven as e:  # kept files edited by hand or meanwhile: render their environments whole
                hit = {name: part.loaded[name] for name in sorted({p.split("/", 1)[0] for p in e.paths})}
                part = part.replaced(_render_part(project, hit, shared, None, keep=False))
                report = _write(
                    project, part.files, envs, check=check, kept=kept, staged=staged, same=part.same
                )
    drifted = {c.path.split("/", 1)[0] for c in report.changes if c.action != "identical"}
    stamped = [name for name in todo if not check or name not in drifted]
    stamps.record(
        project.root,
        stamped,
        part.files,
        inputs,
        part.origins,
        reused={name: (found.stamp, found.files) for name, found in part.reuse.items()},
        units={name: part.unit_keys(name, shared) for name in todo},
    )
    return report


#: Stamps this large in all (about 2,000 files) are proven in a forked child while others render.
BACKGROUND_FROM_BYTES = 300_000


@contextlib.contextmanager
def _proving(
    project: Project, names: Sequence[str], inputs: Mapping[str, str | None], background: bool
) -> Iterator[Callable[[], dict[str, list[str]]]]:
    """Yields the call that gives ``_kept(names)``: worked out in a forked child with ``background``."""
    if not background:
        kept = _kept(project, names, inputs)
        yield lambda: kept
        return
    from generator.workers import BackgroundError, in_background

    with in_background(_kept, project, names, inputs) as result:

        def proven() -> dict[str, list[str]]:
            try:
                return result()
            except BackgroundError:
                return _kept(project, names, inputs)

        yield proven


@dataclass(frozen=True, slots=True)
class _Part:
    """Environments rendered for ``render``: loaded, digested, what was kept of each, their files."""

    loaded: dict[str, tuple[LoadedEnv, Environment]]
    digested: dict[str, Digests | None]
    reuse: dict[str, Reuse]
    files: dict[str, str]
    origins: dict[str, YamlPath]
    noted: dict[str, Noted]

    @property
    def same(self) -> dict[str, Recorded]:
        """The kept files as their stamps recorded them (``write_tree``'s ``same``)."""
        return {p: recorded for found in self.reuse.values() for p, recorded in found.files.items()}

    def unit_keys(self, name: str, shared: str | None) -> dict[str, UnitRecord]:
        """What ``name``'s stamp records of its units (``reuse.unit_keys``)."""
        return unit_keys(shared, self.digested.get(name), self.noted.get(name, Noted()), self.reuse.get(name))

    def replaced(self, other: _Part) -> _Part:
        """This part with ``other``'s environments as ``other`` renders them."""
        gone = other.loaded.keys()

        def kept(path: str) -> bool:
            return path.split("/", 1)[0] not in gone

        mine = _Part(
            self.loaded,
            self.digested,
            {n: r for n, r in self.reuse.items() if n not in gone},
            {p: t for p, t in self.files.items() if kept(p)},
            {p: o for p, o in self.origins.items() if kept(p)},
            {n: r for n, r in self.noted.items() if n not in gone},
        )
        return mine.joined(other)

    def joined(self, other: _Part) -> _Part:
        """This part and ``other`` (of other environments) as one."""
        return _Part(
            {**self.loaded, **other.loaded},
            {**self.digested, **other.digested},
            {**self.reuse, **other.reuse},
            dict(sorted({**self.files, **other.files}.items())),
            {**self.origins, **other.origins},
            {**self.noted, **other.noted},
        )


def _render_part(
    project: Project,
    loaded: Mapping[str, tuple[LoadedEnv, Environment]],
    shared: str | None,
    staged: Staging | None,
    *,
    keep: bool = True,
) -> _Part:
    """Render ``loaded``, keeping (with ``keep``) the files of each unit whose key is unchanged."""
    names = list(loaded)
    loaded = dict(loaded)
    digested = {name: digests(env, plan_clusters(env)) for name, (_, env) in loaded.items()}
    fresh = staged.envs if staged is not None else frozenset()
    reuse = {
        name: found
        for name in names
        if keep
        and name not in fresh
        and (found := reusable(project.root, loaded[name][1], shared, digested[name])) is not None
    }
    skip = {name: found.units for name, found in reuse.items()}
    files, origins, noted = _rendered(project, names, loaded, staged, skip) if names else ({}, {}, {})
    part = _Part(loaded, digested, reuse, files, origins, noted)
    clash = {n: loaded[n] for n, found in reuse.items() if overlapping(_of(files, n), found.files)}
    if clash:  # an object may take a kept one's identity: render those whole, for a full render's error
        part = part.replaced(_render_part(project, clash, shared, None, keep=False))
    return part


def _of(files: Mapping[str, str], env: str) -> list[str]:
    """The paths of ``files`` in ``env``."""
    prefix = f"{env}/"
    return [p for p in files if p.startswith(prefix)]


def _kept(project: Project, names: Sequence[str], inputs: Mapping[str, str | None]) -> dict[str, list[str]]:
    """``{env: paths of its files}`` of the environments whose stamp holds (they need no render)."""
    kept = {}
    for name in names:
        digest = inputs[name]
        found = stamps.unchanged_paths(project.root, name, digest) if digest else None
        if found is not None:
            kept[name] = found
    return kept


#: The rendered ConfigMap that records a dual environment's release state (templates/platform/release).
RELEASE_RECORD = "configmap-release-state.yaml"


def _recorded_release(project: Project, name: str) -> tuple[str, Mapping[str, Any]] | None:
    """The release state ``rendered/<name>/`` records (dual environments), and where."""
    from generator.release.state import recorded_state

    for path in sorted((project.rendered / name).glob(f"*/*/*/{RELEASE_RECORD}")):
        try:
            body = yamlread.load_or_none(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            continue
        state = recorded_state((body or {}).get("data") or {}) if isinstance(body, dict) else None
        if state is not None:
            return path.relative_to(project.root).as_posix(), state
    return None


def _check_transition(env: tuple[LoadedEnv, Environment], recorded: tuple[str, Mapping[str, Any]]) -> None:
    """Refuse a release state the release steps cannot reach from the rendered one (hand edits)."""
    from generator.release.state import check_transition

    loaded, model = env
    if model.release is not None:
        check_transition(recorded[1], model.release, recorded[0], loaded.error)


def _write(
    project: Project,
    files: Mapping[str, str],
    envs: Sequence[str] | None,
    *,
    check: bool,
    kept: Mapping[str, Sequence[str]] | None = None,
    staged: Staging | None = None,
    same: Mapping[str, Recorded] | None = None,
) -> WriteReport:
    """Hand ``files`` to the writer; a full render (no ``envs``) also prunes environments that are gone.

    ``kept`` environments (their stamps hold: inputs and files unchanged) are not compared again;
    their files are reported ``identical``. ``same``: files kept as they are besides ``files``.
    """
    names = selected_envs(project, envs)
    stale: list[str] = []
    if not envs and project.rendered.is_dir():
        stale = sorted(p.name for p in project.rendered.iterdir() if p.is_dir() and p.name not in names)
    kept = kept or {}
    todo = [name for name in names if name not in kept]
    files = {p: t for p, t in files.items() if p.split("/", 1)[0] not in kept}
    report = write_tree(
        project.rendered, files, todo, stale_envs=stale, check=check, staged=staged, same=same
    )
    if not kept:
        return report
    identical = [Change("identical", path) for paths in kept.values() for path in paths]
    return WriteReport(tuple(sorted((*report.changes, *identical), key=lambda c: c.path)))


def drift(project: Project, manifests: Sequence[Manifest], envs: Sequence[str] | None = None) -> WriteReport:
    """What ``render --check`` reports, for ``manifests`` already rendered in memory.

    ``gitops-gen check`` renders once and reuses the manifests for every stage; this compares
    them with ``rendered/`` without rendering again. Writes nothing.
    """
    return _write(project, plan_files(manifests), envs, check=True)


def check(
    project: Project,
    envs: Sequence[str] | None = None,
    *,
    crd_dirs: Sequence[str] | None,
    charts_dir: str | None = None,
    progress: Progress = _silent,
    jobs: int | None = None,
    policy_dirs: Sequence[str] = (),
) -> CheckResult:
    """The CI gate: render in memory once, then drift, schema, policies and cross-resource checks.

    One environment at a time (``generator.gate.stream``): it is rendered, compared with
    ``rendered/``, checked, and only its findings and Argo CD objects are kept, so memory is
    bounded by the largest environment, not the fleet. Each file's text is produced once and
    serves both the drift comparison and the line numbers of findings; an environment whose stamp
    holds (``generator.stamps``) is not dumped again: its files on disk are its texts.
    ``crd_dirs=None`` skips schema validation, ``charts_dir=None`` the chart-values check (the
    caller says why). Environments are checked on ``jobs`` processes (default: both cores once the
    fleet is large, as ``render`` does); the result is identical to a serial run.

    ``policy_dirs``: a team's additional Kyverno policy directories (``check --policies``),
    evaluated with the rendered ClusterPolicies on every cluster, never rendered or deployed.
    """
    from generator.gate.stream import merge_parts

    names = selected_envs(project, envs)
    extra_policies = tuple(_team_policies(project, policy_dirs))
    progress(f"checking {len(names)} environment(s): render, drift, schemas, policies, cross-resource")
    options = _CheckOptions(tuple(crd_dirs) if crd_dirs is not None else None, charts_dir, extra_policies)
    stale = _stale_envs(project) if not envs else []
    loaded: dict[str, tuple[LoadedEnv, Environment]] = {}
    if jobs is None:  # both cores once the fleet is large: load until that is known, no further
        jobs = 1
        for name in names:
            loaded[name] = load_env(project, name)
            if sum(len(env.services) for _, env in loaded.values()) >= PARALLEL_MIN_SERVICES:
                jobs = min(2, os.cpu_count() or 1)
                break
    lanes, last = _check_plan(names, jobs)
    others = [lane for lane in lanes[1:] if lane]
    alone: list[Part] = []
    if others:
        from generator.workers import worker_pool

        for name in (n for lane in others for n in lane):
            loaded.pop(name, None)  # a worker loads what it checks; this process keeps its own
        gc.freeze()  # the workers' collections must not touch (and so copy) what they inherit
        try:
            with worker_pool(len(others)) as pool:
                futures = [pool.submit(_check_tasks, project, lane, options) for lane in others]
                # the worker's next task: the later clusters of the last environment
                later = pool.submit(_clusters_checked, project, last, options) if last is not None else None
                done = [_check_tasks(project, lanes[0], options, loaded)]
                if last is not None and done[0][1] is None:  # while the worker finishes its share
                    try:
                        alone.append(_check_alone(project, last, options, loaded, later))
                    except GeneratorError as error:
                        done.append(([], (last, error)))
                done += [future.result() for future in futures]
        finally:
            gc.unfreeze()
    else:
        done = [_check_tasks(project, lanes[0], options, loaded)]
    failed = [failure for _, failure in done if failure is not None]
    if failed:  # the first environment by name that fails, as a serial run reports
        raise min(failed, key=lambda failure: names.index(failure[0]))[1]
    parts = [part for lane_parts, _ in done for part in lane_parts]
    if last is not None:
        parts += alone or [_check_alone(project, last, options, loaded)]
    if stale:
        parts.append(_check_stale(project, stale, options))
    return merge_parts(parts, names)


def _check_plan(names: Sequence[str], jobs: int) -> tuple[list[list[str]], str | None]:
    """The environments each process checks (the first list: this process's), and the last one.

    Whole environments alternate between this process and one worker (memory: one environment
    per process). An odd one out (or a single large environment) comes last: this process loads
    and renders it while the worker finishes its share, then its per-cluster checks (most of the
    cost) are split between two processes by whole clusters (``generator.gate.parallel``), so both
    cores stay busy to the end. (A third process for it instead costs a quarter more CPU on two
    cores: three processes evict each other's caches; measured, docs/benchmarks.md.)
    """
    names = list(names)
    if jobs < 2 or not names:
        return [names], None
    last = names[-1] if len(names) % 2 else None
    whole = names[:-1] if last else names
    return [whole[0::2], whole[1::2]], last


_Failure = tuple[str, GeneratorError]


def _check_tasks(
    project: Project,
    names: Sequence[str],
    options: _CheckOptions,
    preloaded: dict[str, tuple[LoadedEnv, Environment]] | None = None,
) -> tuple[list[Part], _Failure | None]:
    """A process's share: the parts of ``names`` in order, up to the first that fails (picklable).

    A user error (a broken environment) ends the share and is returned with the environment's
    name, so the caller raises the one a serial run would: the first by name.
    """
    parts = []
    for name in names:
        try:
            parts.append(_check_env(project, name, options, preloaded))
        except GeneratorError as error:
            return parts, (name, error)
    return parts, None


@dataclass(frozen=True, slots=True)
class _CheckOptions:
    """What every environment's check needs from the command line (picklable)."""

    crd_dirs: tuple[str, ...] | None
    charts_dir: str | None
    extra_policies: tuple[Document, ...] = ()


def _stale_envs(project: Project) -> list[str]:
    """Directories of ``rendered/`` no environment file renders any more (a full render prunes them)."""
    if not project.rendered.is_dir():
        return []
    names = list_environments(project.environments)
    return sorted(p.name for p in project.rendered.iterdir() if p.is_dir() and p.name not in names)


def _check_env(
    project: Project,
    name: str,
    options: _CheckOptions,
    preloaded: dict[str, tuple[LoadedEnv, Environment]] | None = None,
) -> Part:
    """Render, compare and check one environment; keep what ``merge_parts`` needs (picklable)."""
    return _checked(_prepare_env(project, name, preloaded), options)


@dataclass(frozen=True, slots=True)
class _Prepared:
    """One environment rendered and compared with ``rendered/``, ready for its checks."""

    env: Environment
    subjects: list[Subject]
    changes: tuple[Change, ...]
    foreign: list[Finding]


def _prepare_env(
    project: Project,
    name: str,
    preloaded: dict[str, tuple[LoadedEnv, Environment]] | None = None,
) -> _Prepared:
    """Load, render and compare one environment: the serial part of its check.

    ``preloaded`` environments are taken out of it (popped): nothing keeps an environment's
    loaded file and its marks while its checks run.
    """
    from generator.gate.check import subjects_from_manifests
    from generator.gate.foreign import foreign_subjects

    pair = (preloaded or {}).pop(name, None) or load_env(project, name)
    env = pair[1]
    manifests, files, stamped = _checked_manifests(project, name, pair)
    del pair
    report = _write(project, files, [name], check=True, kept={name: list(files)} if stamped else None)
    extra, foreign = foreign_subjects(
        project.rendered, [(c.path, c.note) for c in report.changes if c.action == "foreign"]
    )
    subjects = [*subjects_from_manifests(manifests, files), *extra]
    return _Prepared(env, subjects, report.changes, list(foreign))


def _checked_manifests(
    project: Project, name: str, pair: tuple[LoadedEnv, Environment], only: Sequence[str] | None = None
) -> tuple[list[Manifest], dict[str, str], bool]:
    """The objects ``check`` checks in ``name`` (its clusters in ``only``), as their files hold them.

    Returns them, the files and whether the environment's stamp held. When it holds, nothing is
    rendered: the files are the ones ``rendered/`` holds (all of the environment's), their objects
    read back from them. Otherwise the files are the ones a render plans now. The objects are
    equal either way (``generator.reread``).
    """
    from generator.reread import reread

    digest = stamps.inputs_digest(project.root, name, stamps.shared_digest(project.root))
    kept = stamps.unchanged_files(project.root, name, digest) if digest else None
    if kept is not None:
        leaves = _leaves(pair[0])
        origins = kept.origins
        maps = {origin: SourceMap(leaves, origin) for origin in {(), *origins.values()}}  # one per entry
        texts = kept.texts
        read = texts if only is None else {p: t for p, t in texts.items() if p.split("/", 2)[1] in only}
        return reread(name, read, lambda path: maps[origins.get(path, ())]), texts, True
    rendered = _render_loaded(project, [name], preloaded={name: pair}, only=only, compact=True)[0]
    return list(rendered), plan_files(rendered), False


def _checked(
    prepared: _Prepared, options: _CheckOptions, jobs: int = 1, elsewhere: Elsewhere | None = None
) -> Part:
    """The checks of a prepared environment; ``jobs``: processes for its per-cluster checks."""
    from generator.gate.check import drift_findings
    from generator.gate.stream import check_part

    name = prepared.env.name
    return check_part(
        prepared.subjects,
        crd_dirs=options.crd_dirs,
        drift=drift_findings(prepared.changes),
        foreign=prepared.foreign,
        environments=[name],
        expected_clusters={name: tuple(c.name for c in prepared.env.topology.clusters)},
        jobs=jobs,
        elsewhere=elsewhere,
        **_env_options(prepared.env, options),
    )


def _env_options(env: Environment, options: _CheckOptions) -> dict[str, Any]:
    """What the per-cluster checks of ``env`` need beyond its subjects (``cluster_scopes`` arguments)."""
    from generator.gate.check import ImageRules

    return {
        "image_rules": {env.name: ImageRules(env.images.registries, env.images.require_digest)},
        "kubernetes_versions": {env.name: env.eks.version},
        "charts_dir": options.charts_dir,
        "extra_policies": options.extra_policies,
        "secret_stores": {env.name: tuple((s.kind, s.name) for s in env.secret_stores)},
    }


#: The environment ``_check_alone``'s forked worker renders part of: set around its fork, inherited.
_forked: dict[str, tuple[LoadedEnv, Environment]] = {}


def _later_clusters(env: Environment) -> list[str]:
    """The clusters of ``env`` a second process checks when it is checked alone (its later half)."""
    clusters = [plan.name for plan in plan_clusters(env)]
    return clusters[(len(clusters) + 1) // 2 :]


def _check_alone(
    project: Project,
    name: str,
    options: _CheckOptions,
    preloaded: dict[str, tuple[LoadedEnv, Environment]] | None = None,
    later: Future[tuple[tuple[str, ...], Checked]] | None = None,
) -> Part:
    """One environment on both cores: another process checks its later clusters meanwhile.

    That process renders the hub and the later half of its clusters (``_later_clusters``) and runs
    their per-cluster checks (most of the cost), while this one renders it whole (drift, the
    environment-wide checks and locating need every cluster) and checks the rest. ``later``: that
    work, already queued on the worker that checks the other environments (``check``: it starts
    when the worker's share is done); without it, a worker forked with the loaded environment
    does it. Its scopes are taken only if it checked exactly this process's subjects of those
    clusters (``generator.gate.parallel.Elsewhere``); a foreign file among them is checked here.
    Without two clusters or ``fork``, the per-cluster checks are split after the render instead.
    """
    import multiprocessing

    from generator.gate.parallel import Elsewhere

    pair = (preloaded or {}).pop(name, None) or load_env(project, name)
    theirs = tuple(_later_clusters(pair[1]))
    fork = "fork" in multiprocessing.get_all_start_methods()
    if not theirs or (later is None and not fork):
        return _checked(_prepare_env(project, name, {name: pair}), options, jobs=2)

    def checked_elsewhere(future: Future[tuple[tuple[str, ...], Checked]]) -> Elsewhere:
        def result() -> Checked:
            clusters, checked = future.result()
            return checked if clusters == theirs else (b"", {})  # another topology: check them here

        return Elsewhere(frozenset((name, c) for c in theirs), result)

    if later is not None:
        return _checked(
            _prepare_env(project, name, {name: pair}), options, elsewhere=checked_elsewhere(later)
        )
    from generator.workers import worker_pool

    _forked[name] = pair
    try:
        with worker_pool(1, mp_context=multiprocessing.get_context("fork")) as pool:
            future = pool.submit(_clusters_checked, project, name, options)
            _forked.clear()  # forked: this process needs it no longer
            prepared = _prepare_env(project, name, {name: pair})
            del pair
            return _checked(prepared, options, elsewhere=checked_elsewhere(future))
    finally:
        _forked.clear()


def _clusters_checked(project: Project, name: str, options: _CheckOptions) -> tuple[tuple[str, ...], Checked]:
    """Worker of ``_check_alone``: render the later clusters of ``name`` (and its hub), run their checks.

    The environment is the one ``_check_alone`` forked with, or else loaded here. Returns those
    clusters and what ``Elsewhere`` needs. ``repo_files`` stays empty: the Argo CD path check it
    serves is run again over the whole repository's files by ``merge_parts``.
    """
    from generator.gate.check import cluster_scopes, subjects_from_manifests
    from generator.gate.parallel import subjects_digest

    pair = _forked.get(name) or load_env(project, name)
    clusters = _later_clusters(pair[1])
    manifests, files, _ = _checked_manifests(project, name, pair, only=[HUB_CLUSTER, *clusters])
    own = [m for m in manifests if m.cluster in clusters]
    subjects = subjects_from_manifests(own, files)
    hubs = {name: [m for m in manifests if m.cluster == HUB_CLUSTER]}
    scopes = cluster_scopes(
        subjects,
        crd_dirs=options.crd_dirs,
        repo_files=frozenset(),
        hubs=hubs,
        **_env_options(pair[1], options),
    )
    return tuple(clusters), (subjects_digest(subjects), scopes)


def _check_stale(project: Project, stale: Sequence[str], options: _CheckOptions) -> Part:
    """The directories no environment renders: generated files are drift, the rest foreign."""
    from generator.gate.check import drift_findings
    from generator.gate.foreign import foreign_subjects
    from generator.gate.stream import check_part

    report = write_tree(project.rendered, {}, [], stale_envs=stale, check=True)
    extra, foreign = foreign_subjects(
        project.rendered, [(c.path, c.note) for c in report.changes if c.action == "foreign"]
    )
    return check_part(
        extra,
        crd_dirs=options.crd_dirs,
        drift=drift_findings(report.changes),
        foreign=foreign,
        charts_dir=options.charts_dir,
        extra_policies=options.extra_policies,
    )


def _team_policies(project: Project, dirs: Sequence[str]) -> list[Document]:
    """The Kyverno policies under ``dirs`` (YAML files at any depth; other kinds are skipped).

    Each is compiled once here, so a malformed one stops ``check`` before anything runs.

    Raises:
        UsageError: a directory that does not exist, holds no Kyverno policy, or names a policy
            as ``policies/`` does (findings would mix under one ``policy/<name>``).
        PolicyLoadError: a file that is not YAML, or a malformed policy.
    """
    from generator.policy.load import POLICY_KINDS, load_policy_documents, policies_from_documents

    out: list[Document] = []
    shipped = {p.parent.name for p in project.policies.glob("*/policy.yaml")}
    for d in dirs:
        if not Path(d).is_dir():
            raise UsageError(
                f"policy directory {d} does not exist (or is not a directory)",
                path=d,
                hint="pass --policies DIR with a directory of Kyverno policy YAML files",
            )
        docs = [
            doc
            for doc in load_policy_documents([d])
            if doc.kind in POLICY_KINDS and doc.api_version.startswith("kyverno.io/")
        ]
        if not docs:
            raise UsageError(
                f"policy directory {d} holds no Kyverno ClusterPolicy or Policy",
                path=d,
                hint="point --policies at the directory of your policy YAML files",
            )
        policies_from_documents(docs)
        for doc in docs:
            if doc.name in shipped or doc.name in {o.name for o in out}:
                raise UsageError(
                    f"policy {doc.name!r} is named like another one checked beside it",
                    path=doc.file,
                    line=doc.line,
                    hint="give the team's policies names of their own (findings are kept per name)",
                )
            out.append(doc)
    return out


def edit_environment(project: Project, name: str, text: str) -> tuple[Environment, WriteReport]:
    """Replace ``environments/<name>.yaml`` with ``text`` and re-render that environment.

    ``text`` is loaded, checked and rendered in a shadow project first (the other environment
    files beside it, templates and policies linked), so a refusal changes nothing; then the file is
    replaced atomically and ``rendered/<name>/`` written. Used by ``gitops-gen release``.

    Raises:
        EnvFileError: ``text`` is not a valid environment (located as in the real file).
        WriteError: ``rendered/`` cannot be written (the environment file is then restored).
    """
    import shutil
    import tempfile

    from generator.release.edit import replace_file

    with tempfile.TemporaryDirectory(prefix=".gitops-gen-edit-") as tmp:
        shadow = Project(Path(tmp))
        shadow.environments.mkdir()
        for path in project.environments.glob("*.yaml"):
            shutil.copyfile(path, shadow.environments / path.name)
        (shadow.environments / f"{name}.yaml").write_text(text, encoding="utf-8")
        for link in ("templates", "policies"):
            (shadow.root / link).symlink_to(getattr(project, link).resolve(), target_is_directory=True)
        loaded, env = load_env(shadow, name)
        files = render_files(shadow, [name])
    recorded = _recorded_release(project, name)
    if recorded is not None:
        _check_transition((loaded, env), recorded)
    path = project.environments / f"{name}.yaml"
    before = path.read_text(encoding="utf-8")
    replace_file(path, text)
    try:
        report = _write(project, files, [name], check=False)
    except Exception:
        replace_file(path, before)
        raise
    return env, report


def pending_render(
    project: Project, envs: Sequence[str] | None = None
) -> tuple[dict[str, str], dict[str, str]]:
    """``(today, after)``: the files of ``rendered/`` a render would change, before and after.

    Only files that differ appear (``today`` lacks created ones, ``after`` deleted ones); files not
    generated by gitops-gen are left out. Writes nothing (``gitops-gen diff``).
    """
    files = render_files(project, selected_envs(project, envs))
    report = _write(project, files, envs, check=True)
    today = {
        c.path: (project.rendered / c.path).read_text(encoding="utf-8")
        for c in report.changes
        if c.action in ("update", "delete")
    }
    after = {c.path: files[c.path] for c in report.changes if c.action in ("create", "update")}
    return today, after
