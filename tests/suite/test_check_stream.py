"""``gitops-gen check`` one environment at a time reports exactly what checking the fleet at once does.

The reference is ``check_subjects`` over every subject of every environment together (what
``check`` did before it streamed); the streamed run keeps one environment in memory at a time
(``generator.gate.stream``). The project under test has what crosses environment boundaries:
drift, foreign files (one a multi-document file with an Argo CD Application whose path is in
another environment), a directory no environment renders any more, and the Argo CD hub checks.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generator.gate.check import (
    CheckResult,
    ImageRules,
    check_subjects,
    drift_findings,
    subjects_from_manifests,
)
from generator.gate.foreign import foreign_subjects
from generator.pipeline import Project, check, drift, load_env, render, render_environments, selected_envs
from generator.write import plan_files
from tests.suite.test_check_parallel import assert_same

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.needs_shared


def whole_fleet(project: Project, crd_dirs: list[str] | None) -> CheckResult:
    """The check with every environment's documents held at once (the reference)."""
    names = selected_envs(project, None)
    envs = {n: load_env(project, n)[1] for n in names}
    manifests = render_environments(project)
    report = drift(project, manifests)
    extra, foreign = foreign_subjects(
        project.rendered, [(c.path, c.note) for c in report.changes if c.action == "foreign"]
    )
    return check_subjects(
        [*subjects_from_manifests(manifests, plan_files(manifests)), *extra],
        crd_dirs=crd_dirs,
        drift=drift_findings(report.changes),
        foreign=foreign,
        expected_clusters={n: tuple(c.name for c in e.topology.clusters) for n, e in envs.items()},
        environments=names,
        image_rules={n: ImageRules(e.images.registries, e.images.require_digest) for n, e in envs.items()},
        kubernetes_versions={n: e.eks.version for n, e in envs.items()},
        secret_stores={n: tuple((s.kind, s.name) for s in e.secret_stores) for n, e in envs.items()},
    )


def test_shipped_environments(crd_dir: Path) -> None:
    project = Project(ROOT)
    for jobs in (1, 2):
        assert_same(whole_fleet(project, [str(crd_dir)]), check(project, crd_dirs=[str(crd_dir)], jobs=jobs))


def _cross_env_application(target_env: str) -> str:
    """An Application (foreign, in one environment's hub) whose source is another environment's."""
    return (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n  namespace: argocd\ndata: {}\n---\n"
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: cross\n"
        "  namespace: argocd\nspec:\n  project: default\n  destination:\n"
        "    server: https://kubernetes.default.svc\n    namespace: argocd\n  source:\n"
        "    repoURL: https://example.com/repo.git\n    targetRevision: main\n"
        f"    path: rendered/{target_env}/_hub/argocd/argocd\n"
    )


def test_drift_foreign_stale_and_cross_environment_paths(tmp_path: Path) -> None:
    for name in ("environments", "templates", "policies"):
        shutil.copytree(ROOT / name, tmp_path / name)
    project = Project(tmp_path)
    render(project)
    names = selected_envs(project, None)
    assert len(names) >= 2
    first, second = names[0], names[1]
    hub = project.rendered / first / "_hub" / "argocd" / "argocd"
    (hub / "cross.yaml").write_text(_cross_env_application(second), encoding="utf-8")
    edited = sorted((project.rendered / second).rglob("*.yaml"))[0]
    edited.write_text(edited.read_text(encoding="utf-8") + "# hand edit\n", encoding="utf-8")
    workload = sorted(p for p in (project.rendered / first).iterdir() if p.name != "_hub")[0]
    project_in_workload = (
        "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata:\n  name: stray\n"
        "  namespace: argocd\nspec:\n  sourceRepos: ['*']\n"
    )
    (workload / "apps" / "appproject-stray.yaml").write_text(project_in_workload, encoding="utf-8")
    gone = project.rendered / "retired" / "main" / "apps" / "docproc"
    shutil.copytree(sorted((project.rendered / first).glob("*/apps/*/"))[0], gone)
    (gone / "notes.yaml").write_text(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n", encoding="utf-8"
    )

    reference = whole_fleet(project, None)
    rules = {f.rule for f in reference.findings}
    assert {"render-drift", "foreign", "argocd-hub"} <= rules, rules
    assert any(s.env == "retired" for s in reference.scopes)
    for jobs in (1, 2):
        assert_same(reference, check(project, crd_dirs=None, jobs=jobs))
    # The Application's path exists only in another environment: checked against one
    # environment's files, it would be reported missing.
    assert not [f for f in reference.findings if f.rule == "argocd-application-path" and "cross" in f.file]


def test_an_environment_split_by_clusters_equals_it_whole(
    tmp_path: Path, crd_dir: Path, charts_dir: Path
) -> None:
    """Both cores on one environment: its clusters' checks split between two processes.

    The odd one out of a fleet (here: one environment alone) is checked last, a forked worker
    checking its later clusters; drift, foreign files and a finding that needs the hub's
    Applications sit in a cluster a worker checks. The result equals a serial check.
    """
    from generator.gate.check import subjects_from_manifests as subjects
    from generator.gate.parallel import cluster_groups
    from generator.manifest import HUB_CLUSTER
    from generator.pipeline import _check_plan

    for name in ("environments", "templates", "policies"):
        shutil.copytree(ROOT / name, tmp_path / name)
    defaults = tmp_path / "environments" / "_defaults.yaml"
    old = "        cni: {enabled: true}\n"
    assert old in defaults.read_text(encoding="utf-8")
    # istiod delivered by the hub stops sidecar metrics: a finding in every cluster's analyses
    # that only a part that knows the hub's Applications can make
    defaults.write_text(
        defaults.read_text(encoding="utf-8").replace(
            old, old + "        meshConfig: {enablePrometheusMerge: false}\n"
        ),
        encoding="utf-8",
    )
    project = Project(tmp_path)
    render(project)
    loaded = {n: load_env(project, n) for n in selected_envs(project, None)}
    dual = [n for n, (_, env) in loaded.items() if len(env.topology.clusters) >= 2]
    assert dual, "no shipped environment has two clusters"
    name = dual[0]
    assert _check_plan([name], 2) == ([[], []], name)
    rendered = subjects(render_environments(project, [name]))
    groups = cluster_groups(rendered, 2)
    assert len(groups) == 2
    # a workload cluster the forked worker checks
    second = sorted({rendered[i].manifest.cluster for i in groups[1]} - {HUB_CLUSTER})
    assert second
    cluster_dir = project.rendered / name / second[0]
    edited = sorted(cluster_dir.rglob("*.yaml"))[0]
    edited.write_text(edited.read_text(encoding="utf-8") + "# hand edit\n", encoding="utf-8")
    stray = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stray\n  namespace: docproc\ndata: {}\n"
    (edited.parent / "configmap-stray.yaml").write_text(stray, encoding="utf-8")
    (project.rendered / name / "notes.yaml").write_text(stray, encoding="utf-8")
    options = {"crd_dirs": [str(crd_dir)], "charts_dir": str(charts_dir)}
    serial = check(project, [name], jobs=1, **options)  # type: ignore[arg-type]
    rules = {f.rule for f in serial.findings}
    assert {"render-drift", "foreign"} <= rules, rules
    assert sum(1 for f in serial.findings if f.rule == "foreign") == 2
    assert any(s.check == "chart-values" and s.cluster == second[0] for s in serial.scopes)
    assert [f for f in serial.findings if f.rule == "analysis-evidence" and f"/{second[0]}/" in f.file]
    assert_same(serial, check(project, [name], jobs=2, **options))  # type: ignore[arg-type]


def _dual_project(tmp_path: Path) -> tuple[Project, str]:
    for name in ("environments", "templates", "policies"):
        shutil.copytree(ROOT / name, tmp_path / name)
    project = Project(tmp_path)
    render(project)
    loaded = {n: load_env(project, n) for n in selected_envs(project, None)}
    dual = [n for n, (_, env) in loaded.items() if len(env.topology.clusters) >= 2]
    assert dual, "no shipped environment has two clusters"
    return project, dual[0]


def test_the_last_environments_worker_result_is_used_when_it_checked_the_same_files(
    tmp_path: Path, crd_dir: Path, charts_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An environment alone on two cores: a forked worker renders and checks its later clusters.

    In a clean tree this process never checks those clusters itself (their scopes come from the
    worker), and the result equals a serial check; a file the worker did not render (foreign) in
    one of them makes this process check that cluster again, with the same result as serially.
    """
    from generator.gate import parallel

    project, name = _dual_project(tmp_path)
    clusters = [c.name for c in load_env(project, name)[1].topology.clusters]
    theirs = set(clusters[(len(clusters) + 1) // 2 :])
    checked_here: list[set[str]] = []
    real = parallel.cluster_scopes

    def spy(subjects: list, **kwargs: object) -> object:
        checked_here.append({s.manifest.cluster for s in subjects})
        return real(subjects, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(parallel, "cluster_scopes", spy)
    options = {"crd_dirs": [str(crd_dir)], "charts_dir": str(charts_dir)}
    serial = check(project, [name], jobs=1, **options)  # type: ignore[arg-type]
    checked_here.clear()
    assert_same(serial, check(project, [name], jobs=2, **options))  # type: ignore[arg-type]
    assert checked_here
    assert not any(theirs & here for here in checked_here), checked_here
    stray = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stray\n  namespace: docproc\ndata: {}\n"
    component = sorted(p for p in (project.rendered / name / sorted(theirs)[0]).iterdir() if p.is_dir())[0]
    (component / "configmap-stray.yaml").write_text(stray, encoding="utf-8")
    serial = check(project, [name], jobs=1, **options)  # type: ignore[arg-type]
    assert "foreign" in {f.rule for f in serial.findings}
    checked_here.clear()
    assert_same(serial, check(project, [name], jobs=2, **options))  # type: ignore[arg-type]
    assert any(theirs & here for here in checked_here), checked_here


def test_plan_alternates_and_keeps_an_odd_one_for_both_cores() -> None:
    from generator.pipeline import _check_plan

    assert _check_plan(["a", "b", "c"], 1) == ([["a", "b", "c"]], None)
    assert _check_plan(["a"], 2) == ([[], []], "a")
    assert _check_plan(["a", "b"], 2) == ([["a"], ["b"]], None)
    assert _check_plan(["a", "b", "c"], 2) == ([["a"], ["b"]], "c")
    assert _check_plan(["a", "b", "c", "d", "e"], 2) == ([["a", "c"], ["b", "d"]], "e")


@pytest.mark.parametrize("broken", [(1,), (1, 2), (0, 2), (2, 1)])
def test_a_broken_environment_in_the_workers_share_is_the_users_error(
    tmp_path: Path, broken: tuple[int, ...]
) -> None:
    """Environments load where they are checked: one a worker loads fails as it would serially.

    With several broken, every process stops at its first, and the error is the one a serial run
    raises: the first environment by name, whichever process found it first.
    """
    from generator.errors import EnvFileError

    for name in ("environments", "templates", "policies"):
        shutil.copytree(ROOT / name, tmp_path / name)
    project = Project(tmp_path)
    names = selected_envs(project, None)
    if max(broken) >= len(names):
        pytest.skip(f"needs {max(broken) + 1} environments, the project has {len(names)}")
    for index in broken:
        path = tmp_path / "environments" / f"{names[index]}.yaml"
        path.write_text(path.read_text(encoding="utf-8") + f"\nnot_a_key_{index}: 1\n", encoding="utf-8")
    errors = []
    for jobs in (1, 2):
        with pytest.raises(EnvFileError) as caught:
            check(project, crd_dirs=None, jobs=jobs)
        errors.append(str(caught.value))
    assert errors[0] == errors[1]
    assert f"not_a_key_{min(broken)}" in errors[0]
