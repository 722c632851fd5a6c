"""Hand edits of the release state get the same located error the ``release`` commands would give.

Each case starts from the dual fixture ``tests/golden/minimal-dual`` (sprint 8 in beta on even) and
changes the release state as a user might by hand; loading must refuse it with exit 2, one message
located at the offending key, and nothing rendered.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.pipeline import Project, load_env
from tests.conftest import ROOT, CliResult, fixture_project

FIXTURE = ROOT / "tests" / "golden" / "minimal-dual"


def _project(tmp_path: Path, release: Mapping[str, Any], weights: Mapping[str, int]) -> Path:
    root = fixture_project(tmp_path / "p", FIXTURE / "environments")
    path = root / "environments" / "duo.yaml"
    data = yaml.safe_load(path.read_text())
    data["release"] = dict(release)
    data["topology"]["weights"] = dict(weights)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return root


V = {"even": "1.1.0", "odd": "1.0.0"}
APPROVED = {"approvedBy": "ana", "approvedVersion": "1.1.0"}

GOOD = [
    pytest.param({"sprint": 8, "cluster": "even", "phase": "beta", "versions": V}, (0, 100), id="beta"),
    pytest.param({"sprint": 8, "cluster": "even", "phase": "approved", "versions": V, **APPROVED}, (0, 100), id="approved-0"),
    pytest.param({"sprint": 8, "cluster": "even", "phase": "approved", "versions": V, **APPROVED}, (60, 40), id="shifting"),
    pytest.param({"sprint": 8, "cluster": "even", "phase": "live", "versions": V, **APPROVED}, (100, 0), id="live"),
    pytest.param({"sprint": 8, "cluster": "even", "phase": "rolledBack", "versions": V, **APPROVED}, (0, 100), id="rolled-back"),
    pytest.param({"sprint": 8, "cluster": "even", "phase": "rolledBack", "versions": V}, (0, 100), id="beta-rolled-back"),
]  # fmt: skip

BAD = [
    pytest.param(
        {"sprint": 9, "cluster": "odd", "phase": "beta", "versions": {"even": "1.1.0", "odd": "2.0.0"}},
        (0, 100),
        r"topology\.weights\.odd: release cluster 'odd' is in beta \(not approved\) but takes 100% of production",
        "approve it first",
        id="new-sprint-takes-all-traffic-unvalidated",
    ),
    pytest.param(
        {"sprint": 9, "cluster": "even", "phase": "approved", "versions": V, **APPROVED},
        (50, 50),
        r"release\.cluster: sprint 9 releases to cluster 'odd', but release\.cluster is 'even'",
        "gitops-gen release start",
        id="sprint-bumped-mid-shift",
    ),
    pytest.param(
        {
            "sprint": 9,
            "cluster": "odd",
            "phase": "approved",
            "versions": {"even": "1.1.0", "odd": "2.0.0"},
            **APPROVED,
        },
        (50, 50),
        r"release\.approvedVersion: approved version '1\.1\.0' is not the version cluster 'odd' runs \('2\.0\.0'\)",
        "needs a new beta",
        id="new-version-inherits-old-approval",
    ),
    pytest.param(
        {"sprint": 8, "cluster": "even", "phase": "approved", "versions": V},
        (10, 90),
        r"release\.phase: phase approved needs release\.approvedBy and release\.approvedVersion",
        "release approve",
        id="approved-without-approval",
    ),
    pytest.param(
        {"sprint": 8, "cluster": "even", "phase": "beta", "versions": V, **APPROVED},
        (0, 100),
        r"release\.approvedBy: a release in beta has no approval yet",
        "remove approvedBy",
        id="beta-with-approval",
    ),
    pytest.param(
        {"sprint": 8, "cluster": "even", "phase": "live", "versions": V, **APPROVED},
        (90, 10),
        r"release\.phase: phase live means cluster 'even' takes 100% of production, not 90%",
        "release finish",
        id="live-below-100",
    ),
    pytest.param(
        {"sprint": 8, "cluster": "even", "phase": "rolledBack", "versions": V},
        (20, 80),
        r"topology\.weights\.even: a rolled-back release takes no production traffic",
        "release rollback",
        id="rolled-back-with-traffic",
    ),
    pytest.param(
        {"sprint": 8, "version": "1.1.0", "previousVersion": "1.0.0"},
        (0, 100),
        r"release\.version: a dual topology records the version of each cluster, not release\.version",
        "release.versions",
        id="old-format-migration-hint",
    ),
    pytest.param(
        {"sprint": 8, "cluster": "even", "phase": "beta"},
        (0, 100),
        r"release: a dual topology needs release\.versions",
        "record the release state",
        id="versions-missing",
    ),
    pytest.param(
        {"sprint": 8, "cluster": "even", "phase": "beta", "versions": {"even": "1.1.0"}},
        (0, 100),
        r"release\.versions: release\.versions names \['even'\], not each of even and odd",
        "versions: {even",
        id="versions-incomplete",
    ),
    pytest.param(
        {"sprint": 8, "cluster": "even", "phase": "shifting", "versions": V},
        (0, 100),
        r"release\.phase: ",
        "beta",
        id="unknown-phase",
    ),
]


@pytest.mark.parametrize(("release", "weights"), GOOD)
def test_consistent_states_load(tmp_path: Path, release: dict, weights: tuple[int, int]) -> None:
    root = _project(tmp_path, release, dict(zip(("even", "odd"), weights, strict=True)))
    _, env = load_env(Project(root), "duo")
    assert env.release is not None
    assert env.release.phase == release["phase"]
    assert env.cluster_versions() == V


@pytest.mark.parametrize(("release", "weights", "where", "hint"), BAD)
def test_inconsistent_hand_edit_is_one_located_error(
    tmp_path: Path,
    cli: Callable[..., CliResult],
    release: dict,
    weights: tuple[int, int],
    where: str,
    hint: str,
) -> None:
    root = _project(tmp_path, release, dict(zip(("even", "odd"), weights, strict=True)))
    result = cli("render", "--root", str(root))
    assert result.code == 2, result.out
    assert re.search(r"environments/duo\.yaml:\d+:\d+: " + where, result.err), result.err
    assert hint in result.err
    assert result.err.count("error:") == 1
    assert not (root / "rendered").exists()


def test_single_topology_has_no_release_state(project: Path, cli: Callable[..., CliResult]) -> None:
    from tests.conftest import envs_of_topology

    (name, *_) = envs_of_topology("single")
    path = project / "environments" / f"{name}.yaml"
    text = path.read_text()
    path.write_text(re.sub(r"(\n  sprint: \d+\n)", r"\1  phase: beta\n", text, count=1))
    result = cli("render", "--root", str(project), "--env", name)
    assert result.code == 2
    assert f"environments/{name}.yaml:" in result.err
    assert "release.phase: release.phase is for dual topologies" in result.err


def test_every_cluster_version_needs_its_digest_where_required(tmp_path: Path, cli) -> None:
    root = _project(
        tmp_path, {"sprint": 8, "cluster": "even", "phase": "beta", "versions": V}, {"even": 0, "odd": 100}
    )
    path = root / "environments" / "duo.yaml"
    data = yaml.safe_load(path.read_text())
    data["images"]["requireDigest"] = True
    for s in data["services"]:
        s["digests"] = {"1.1.0": "sha256:" + "a" * 64}
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    result = cli("render", "--root", str(root))
    assert result.code == 2
    assert "no digest for version '1.0.0'" in result.err


# --- transitions from the state rendered/ records -------------------------------------------------

LIVE = {"sprint": 8, "cluster": "even", "phase": "live", "versions": V, **APPROVED}
SHIFTING = {"sprint": 8, "cluster": "even", "phase": "approved", "versions": V, **APPROVED}
NEXT = {"sprint": 9, "cluster": "odd", "phase": "beta", "versions": {"even": "1.1.0", "odd": "2.0.0"}}

TRANSITIONS = [
    pytest.param(LIVE, (100, 0), NEXT, (100, 0), None, id="start-by-hand-after-finish"),
    pytest.param(
        {**LIVE, "phase": "rolledBack"}, (0, 100),
        {"sprint": 10, "cluster": "even", "phase": "beta", "versions": {"even": "1.2.0", "odd": "1.0.0"}}, (0, 100),
        None, id="start-by-hand-after-rollback",
    ),
    pytest.param(
        SHIFTING, (50, 50), NEXT, (100, 0),
        r"release\.versions\.odd: cluster 'odd' cannot change from 1\.0\.0 to 2\.0\.0: release 1\.1\.0 on even is approved, not finished",
        id="sprint-bumped-while-split",
    ),
    pytest.param(
        LIVE, (100, 0), {**LIVE, "versions": {"even": "1.0.0", "odd": "1.0.0"}, "approvedVersion": "1.0.0"}, (100, 0),
        r"release\.versions\.even: cluster 'even' runs 1\.1\.0 in sprint 8 .*a new version needs a new sprint",
        id="live-cluster-downgraded",
    ),
    pytest.param(
        LIVE, (100, 0), {"sprint": 10, "cluster": "even", "phase": "beta", "versions": {"even": "2.0.0", "odd": "1.0.0"}}, (0, 100),
        r"release\.versions\.even: cluster 'even' cannot change from 1\.1\.0 to 2\.0\.0: even serves production",
        id="new-release-on-the-live-cluster",
    ),
    pytest.param(
        LIVE, (100, 0), {**LIVE, "sprint": 6}, (100, 0),
        r"release\.sprint: sprint 6 is behind sprint 8 recorded in rendered/duo/\w+/platform/docproc/configmap-release-state\.yaml",
        id="sprint-backwards",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("before", "w_before", "after", "w_after", "error"), TRANSITIONS)
def test_hand_edit_is_checked_against_the_rendered_record(
    tmp_path: Path, cli: Callable[..., CliResult], before, w_before, after, w_after, error
) -> None:
    root = _project(tmp_path, before, dict(zip(("even", "odd"), w_before, strict=True)))
    assert cli("render", "--root", str(root), "-q").code == 0
    record = next((root / "rendered" / "duo").glob("*/*/*/configmap-release-state.yaml")).read_text()
    assert f"sprint: '{before['sprint']}'" in record
    data = yaml.safe_load((root / "environments" / "duo.yaml").read_text())
    data["release"], data["topology"]["weights"] = after, dict(zip(("even", "odd"), w_after, strict=True))
    (root / "environments" / "duo.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    from tests.conftest import tree_bytes

    rendered = tree_bytes(root / "rendered")
    result = cli("render", "--root", str(root), "-q")
    if error is None:
        assert result.code == 0, result.err
        return
    assert result.code == 2
    assert re.search(r"environments/duo\.yaml:\d+:\d+: " + error, result.err), result.err
    assert tree_bytes(root / "rendered") == rendered
