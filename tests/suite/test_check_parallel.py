"""``gitops-gen check`` on both cores reports exactly what a serial run reports, in the same order.

Rendering is split per environment and the per-cluster checks per whole cluster
(``generator.gate.parallel``); environment-wide checks, drift and locating stay in one process.
"""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import pytest
import yaml

from generator.gate.check import CheckResult, subjects_from_manifests
from generator.gate.parallel import cluster_groups
from generator.gate.report import get_formatter
from generator.pipeline import Project, check, render_environments

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.needs_shared


def assert_same(serial: CheckResult, parallel: CheckResult) -> None:
    assert sorted(serial.scopes) == sorted(parallel.scopes)
    for scope in serial.scopes:
        assert serial.scopes[scope] == parallel.scopes[scope], scope.id
    assert serial.findings == parallel.findings
    assert serial.summary() == parallel.summary()
    for output in ("text", "json"):
        shown = [get_formatter(output)(r.findings, r.summary(), tool="t") for r in (serial, parallel)]
        assert shown[0] == shown[1]


def test_shipped_environments_serial_and_parallel_agree(crd_dir: Path) -> None:
    project = Project(ROOT)
    serial = check(project, crd_dirs=[str(crd_dir)], jobs=1)
    parallel = check(project, crd_dirs=[str(crd_dir)], jobs=2)
    assert serial.documents > 0
    assert_same(serial, parallel)


def test_findings_in_every_stage_agree(tmp_path: Path, crd_dir: Path) -> None:
    """A project nobody rendered (drift everywhere) whose environments break an image policy."""
    for name in ("environments", "templates", "policies"):
        shutil.copytree(ROOT / name, tmp_path / name)
    for path in sorted((tmp_path / "environments").glob("[!_]*.yaml")):
        text = path.read_text(encoding="utf-8")
        version = (yaml.safe_load(text).get("release") or {}).get("version")
        if version:
            path.write_text(text.replace(f'"{version}"', '"latest"', 1), encoding="utf-8")
    project = Project(tmp_path)
    serial = check(project, crd_dirs=[str(crd_dir)], jobs=1)
    parallel = check(project, crd_dirs=[str(crd_dir)], jobs=2)
    rules = {f.rule for f in serial.findings}
    assert "render-drift" in rules
    assert any(r.startswith("restrict-images/") for r in rules), rules
    assert_same(serial, parallel)


def test_cluster_groups_keep_clusters_whole_and_balanced() -> None:
    manifests = render_environments(Project(ROOT))
    subjects = subjects_from_manifests(manifests)
    clusters = {(m.env, m.cluster) for m in manifests}
    groups = cluster_groups(subjects, 2)
    assert len(groups) == min(2, len(clusters))
    assert sorted(i for g in groups for i in g) == list(range(len(subjects)))
    owners = [{(subjects[i].manifest.env, subjects[i].manifest.cluster) for i in g} for g in groups]
    for a, b in itertools.pairwise(owners):
        assert not a & b
    biggest = max(sum(1 for m in manifests if (m.env, m.cluster) == c) for c in clusters)
    sizes = [len(g) for g in groups]
    assert max(sizes) - min(sizes) <= biggest
    assert all(g == sorted(g) for g in groups)
