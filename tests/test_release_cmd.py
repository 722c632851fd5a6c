"""``gitops-gen release``: every step, every refusal, and edits that keep the file as written.

Exact values come from fixture environments under ``tests/`` (``tests/release/environments/
commented.yaml``, full of comments and quoting styles, and the golden ``minimal-dual``). The shipped
``prod`` is only used for what the issue names on it, whatever release state it is in.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, CliResult, envs_of_topology, fixture_project, tree_bytes

FIXTURES = ROOT / "tests" / "release" / "environments"
DIGEST = {c: "sha256:" + c * 64 for c in "abcdef"}
Cli = Callable[..., CliResult]


@pytest.fixture
def duo(tmp_path: Path, cli: Cli) -> Path:
    """A project with the commented dual fixture (sprint 8 on even, beta), rendered."""
    root = fixture_project(tmp_path / "duo", FIXTURES)
    assert cli("render", "--root", str(root), "-q").code == 0
    return root


def release(cli: Cli, root: Path, *argv: str) -> CliResult:
    command, *rest = argv
    return cli("release", command, "commented", "--root", str(root), *rest)


def state(root: Path) -> dict:
    data = yaml.safe_load((root / "environments" / "commented.yaml").read_text())
    return {**data["release"], "weights": data["topology"]["weights"]}


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    """(removed, added) lines between two texts."""
    diff = list(difflib.unified_diff(before.splitlines(), after.splitlines(), n=0, lineterm=""))
    removed = [d[1:] for d in diff if d.startswith("-") and not d.startswith("---")]
    added = [d[1:] for d in diff if d.startswith("+") and not d.startswith("+++")]
    return removed, added


# --- status ---------------------------------------------------------------------------------------


def test_status_json_is_the_documented_shape(duo: Path, cli: Cli) -> None:
    result = release(cli, duo, "status", "--output", "json")
    assert result.code == 0
    assert json.loads(result.out) == {
        "environment": "commented",
        "sprint": 8,
        "releaseCluster": "even",
        "phase": "beta",
        "shifting": False,
        "approvedBy": None,
        "approvedVersion": None,
        "clusters": [
            {"name": "even", "version": "1.1.0", "weight": 0, "role": "release"},
            {"name": "odd", "version": "1.0.0", "weight": 100, "role": "previous"},
        ],
        "next": ["approve", "rollback"],
    }


def test_status_text(duo: Path, cli: Cli) -> None:
    before = tree_bytes(duo)
    out = release(cli, duo, "status").out
    assert out.splitlines()[0] == "commented: sprint 8, release cluster even, beta"
    assert "next: approve, rollback" in out
    assert tree_bytes(duo) == before


# --- a whole sprint -------------------------------------------------------------------------------


def test_a_full_sprint_moves_through_every_phase(duo: Path, cli: Cli) -> None:
    r = release(cli, duo, "approve", "--by", "ana")
    assert r.code == 0, r.err
    assert state(duo)["phase"] == "approved"
    assert (state(duo)["approvedBy"], state(duo)["approvedVersion"]) == ("ana", "1.1.0")
    assert "release.phase: beta -> approved" in r.out

    assert release(cli, duo, "shift", "--step", "10").code == 0
    assert state(duo)["weights"] == {"even": 10, "odd": 90}
    assert release(cli, duo, "shift", "--weights", "even=50,odd=50").code == 0
    assert state(duo)["weights"] == {"even": 50, "odd": 50}
    assert release(cli, duo, "shift", "--step", "70").code == 0  # capped at 100
    assert state(duo)["weights"] == {"even": 100, "odd": 0}

    r = release(cli, duo, "finish")
    assert r.code == 0, r.err
    assert state(duo)["phase"] == "live"
    assert "next: start, rollback" in r.out

    r = release(
        cli,
        duo,
        "start",
        "--version",
        "1.2.0",
        "--digest",
        f"api={DIGEST['a']}",
        "--digest",
        f"worker={DIGEST['b']}",
    )
    assert r.code == 0, r.err
    s = state(duo)
    assert (s["sprint"], s["cluster"], s["phase"]) == (9, "odd", "beta")
    assert s["versions"] == {"even": "1.1.0", "odd": "1.2.0"}
    assert "approvedBy" not in s
    assert "approvedVersion" not in s
    assert s["weights"] == {"even": 100, "odd": 0}
    rollout = (duo / "rendered/commented/odd/apps/docproc/rollout-api.yaml").read_text()
    assert f"duo/api:1.2.0@{DIGEST['a']}" in rollout
    digests = yaml.safe_load((duo / "environments" / "commented.yaml").read_text())["services"][0]["digests"]
    assert digests == {"1.1.0": "sha256:" + "1" * 64, "1.2.0": DIGEST["a"]}, "1.0.0 runs nowhere: dropped"


def test_rollback_returns_all_traffic_and_a_later_sprint_reuses_the_cluster(duo: Path, cli: Cli) -> None:
    assert release(cli, duo, "approve", "--by", "ana").code == 0
    assert release(cli, duo, "shift", "--weights", "even=30,odd=70").code == 0
    r = release(cli, duo, "rollback")
    assert r.code == 0, r.err
    s = state(duo)
    assert (s["phase"], s["weights"]) == ("rolledBack", {"even": 0, "odd": 100})
    assert "next: start" in r.out
    r = release(
        cli,
        duo,
        "start",
        "--version",
        "1.1.1",
        "--digest",
        f"api={DIGEST['c']}",
        "--digest",
        f"worker={DIGEST['d']}",
    )
    assert r.code == 0, r.err
    s = state(duo)
    assert (s["sprint"], s["cluster"], s["phase"]) == (10, "even", "beta")
    assert s["versions"] == {"even": "1.1.1", "odd": "1.0.0"}


def test_approve_changes_only_the_release_record(duo: Path, cli: Cli) -> None:
    before = tree_bytes(duo / "rendered")
    r = release(cli, duo, "approve", "--by", "ana")
    assert r.code == 0
    after = tree_bytes(duo / "rendered")
    changed = sorted(p for p in after if before.get(p) != after[p])
    assert changed == [
        f"commented/{c}/platform/docproc/configmap-release-state.yaml" for c in ("even", "odd")
    ]
    assert b"approvedBy: ana" in after[changed[0]]


# --- only the changed values differ ---------------------------------------------------------------


def test_edits_keep_comments_quotes_blank_lines_and_flow_style(duo: Path, cli: Cli) -> None:
    path = duo / "environments" / "commented.yaml"
    original = path.read_text()
    steps: list[tuple[tuple[str, ...], int]] = [
        (("approve", "--by", "ana"), 3),
        (("shift", "--weights", "even=50,odd=50"), 2),
        (("finish",), 3),
        (
            (
                "start",
                "--version",
                "1.2.0",
                "--digest",
                f"api={DIGEST['a']}",
                "--digest",
                f"worker={DIGEST['b']}",
            ),
            8,
        ),
    ]
    for argv, at_most in steps:
        before = path.read_text()
        assert release(cli, duo, *argv).code == 0
        after = path.read_text()
        removed, added = changed_lines(before, after)
        assert max(len(removed), len(added)) <= at_most, (argv, removed, added)
        for line in removed + added:
            assert line.strip(), f"{argv}: touched a blank line"
            assert not line.strip().startswith("#"), f"{argv}: touched {line!r}"
    removed, added = changed_lines(original, path.read_text())
    kept = [line for line in original.splitlines() if line not in removed]
    assert all(line in path.read_text().splitlines() for line in kept)
    text = path.read_text()
    assert "    even: 100   # the release cluster starts at 0" in text, (
        "inline comment kept on a changed value"
    )
    assert "    odd: '1.2.0'     # the previous release" in text, "single quotes kept"
    assert "  sprint: 9          # even sprint -> even cluster" in text
    assert "rabbitmq: {replicas: 1, storage: 1Gi, queues: [{name: jobs}]}   # flow list" in text
    assert f'digests: {{"1.1.0": "sha256:{"2" * 64}", "1.2.0": "{DIGEST["b"]}"}}' in text


def test_shift_prod_changes_only_weight_lines_and_dns_endpoints(project: Path, cli: Cli) -> None:
    """The issue's acceptance check, on a copy of the shipped prod in whatever state it is."""
    (name,) = [e for e in envs_of_topology("dual") if e == "prod"]
    run = lambda *argv: cli("release", argv[0], name, "--root", str(project), *argv[1:])  # noqa: E731
    assert cli("render", "--root", str(project), "-q").code == 0
    doc = json.loads(run("status", "--output", "json").out)
    if doc["phase"] in ("live", "rolledBack"):
        data = yaml.safe_load((project / "environments" / f"{name}.yaml").read_text())
        digests = [f"--digest={s['name']}={DIGEST['e']}" for s in data["services"]]
        assert run("start", "--version", "9999.0.0-test", *digests).code == 0
        doc = json.loads(run("status", "--output", "json").out)
    if doc["phase"] == "beta":
        assert run("approve", "--by", "test").code == 0
    weights = {c["name"]: c["weight"] for c in json.loads(run("status", "--output", "json").out)["clusters"]}
    target = "even=50,odd=50" if weights != {"even": 50, "odd": 50} else "even=40,odd=60"
    env_file = project / "environments" / f"{name}.yaml"
    before_text = env_file.read_text()
    before = tree_bytes(project / "rendered")

    result = run("shift", "--weights", target)

    assert result.code == 0, result.err
    removed, added = changed_lines(before_text, env_file.read_text())
    assert len(removed) == len(added) == 2
    assert all(line.strip().split(":")[0] in ("even", "odd") for line in removed + added)
    assert sorted(line.strip() for line in added) == sorted(
        f"{c.replace('=', ': ')}" for c in target.split(",")
    )
    after = tree_bytes(project / "rendered")
    changed = sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))
    assert changed
    assert all(p.startswith(f"{name}/") and "/dnsendpoint-" in p for p in changed), changed
    assert all(yaml.safe_load(after[p].decode())["kind"] == "DNSEndpoint" for p in changed)


# --- refusals: exit 2, one message, nothing changed -------------------------------------------------

REFUSALS = [
    pytest.param((), ("shift", "--weights", "even=60,odd=60"), "add up to 120, not 100", id="weights-not-100"),
    pytest.param((), ("shift", "--weights", "even=-10,odd=110"), "negative", id="weights-negative"),
    pytest.param((), ("shift", "--weights", "even=50,blue=50"), "unknown cluster 'blue'", id="unknown-cluster"),
    pytest.param((), ("shift", "--weights", "even=100"), "must name both clusters", id="one-cluster"),
    pytest.param((), ("shift", "--weights", "even=fifty,odd=50"), "is not CLUSTER=N", id="weights-not-numbers"),
    pytest.param((), ("shift", "--step", "10"), "cannot shift: release 1.1.0 on even is in beta", id="shift-before-approval"),
    pytest.param((), ("finish",), "cannot finish: release 1.1.0 on even is in beta", id="finish-before-approval"),
    pytest.param(
        (("approve", "--by", "ana"), ("shift", "--step", "10")),
        ("start", "--version", "1.2.0", "--digest", f"api={DIGEST['a']}", "--digest", f"worker={DIGEST['b']}"),
        "cannot start a new release: 1.1.0 on even is approved (weights even=10, odd=90)",
        id="start-during-shift",
    ),
    pytest.param(
        (("approve", "--by", "ana"), ("finish",)),
        ("start", "--version", "1.2.0", "--digest", f"api={DIGEST['a']}"),
        "no digest for worker at 1.2.0",
        id="digest-missing",
    ),
    pytest.param(
        (("approve", "--by", "ana"), ("finish",)),
        ("start", "--version", "1.2.0", "--digest", f"api={DIGEST['a']}", "--digest", f"nope={DIGEST['b']}"),
        "unknown service 'nope'",
        id="digest-unknown-service",
    ),
    pytest.param(
        (("approve", "--by", "ana"), ("finish",)),
        ("start", "--version", "1.2.0", "--digest", "api=sha256:abc", "--digest", f"worker={DIGEST['b']}"),
        "is not sha256:<64 hex>",
        id="digest-malformed",
    ),
    pytest.param(
        (("approve", "--by", "ana"), ("finish",)),
        ("start", "--version", "1.1.0"),
        "1.1.0 already runs on the live cluster 'even'",
        id="start-same-version",
    ),
    pytest.param(
        (("approve", "--by", "ana"), ("finish",)), ("start", "--version", "bad tag!"), "not a valid image tag", id="bad-version"
    ),
    pytest.param((("approve", "--by", "ana"),), ("approve", "--by", "bo"), "cannot approve: release 1.1.0 on even is approved", id="approve-twice"),
    pytest.param((("rollback",),), ("rollback",), "cannot rollback: release 1.1.0 on even was rolled back", id="rollback-twice"),
    pytest.param((("rollback",),), ("shift", "--step", "5"), "next allowed: `release start`", id="shift-after-rollback"),
    pytest.param((("approve", "--by", "ana"),), ("shift", "--step", "0"), "--step 0 is not 1..100", id="step-zero"),
    pytest.param((), ("approve", "--by", " "), "--by is empty", id="approve-by-empty"),
    pytest.param((), ("shift", "--step", "5", "--weights", "even=5,odd=95"), "not allowed with argument", id="step-and-weights"),
]  # fmt: skip


@pytest.mark.parametrize(("setup", "argv", "message"), REFUSALS)
def test_refusal_is_exit_2_one_message_nothing_changed(
    duo: Path, cli: Cli, setup: tuple[tuple[str, ...], ...], argv: tuple[str, ...], message: str
) -> None:
    for step in setup:
        assert release(cli, duo, *step).code == 0
    before = tree_bytes(duo)

    result = release(cli, duo, *argv)

    assert result.code == 2, result.out
    assert message in result.err, result.err
    assert result.err.count("error:") == 1
    assert "Traceback" not in result.err
    assert tree_bytes(duo) == before


def test_state_refusals_point_at_the_file(duo: Path, cli: Cli) -> None:
    result = release(cli, duo, "finish")
    line = (duo / "environments" / "commented.yaml").read_text().splitlines().index(
        "  phase: beta        # beta -> approved -> live"
    ) + 1
    assert result.err.startswith(f"error: environments/commented.yaml:{line}:3: release.phase: cannot finish")
    assert "next allowed: `release approve` or `release rollback`" in result.err


@pytest.mark.parametrize("command", ["status", "approve", "finish", "rollback"])
def test_single_topology_is_refused(project: Path, cli: Cli, command: str) -> None:
    name = envs_of_topology("single")[0]
    before = tree_bytes(project)
    result = cli(
        "release", command, name, "--root", str(project), *(["--by", "x"] if command == "approve" else [])
    )
    assert result.code == 2
    assert "has a single topology" in result.err
    assert tree_bytes(project) == before


def test_unknown_environment_is_refused(duo: Path, cli: Cli) -> None:
    result = cli("release", "status", "nope", "--root", str(duo))
    assert result.code == 2
    assert "unknown environment 'nope'" in result.err


def test_a_render_failure_changes_nothing(duo: Path, cli: Cli) -> None:
    """The new file is proven (loaded and rendered) before anything is written."""
    tpl = duo / "templates" / "platform" / "dns.yaml.j2"
    tpl.write_text(tpl.read_text().replace("plan.weight", "plan.no_such_weight", 1))
    assert release(cli, duo, "approve", "--by", "ana").code == 2  # approve renders too
    before = tree_bytes(duo)
    result = release(cli, duo, "rollback")
    assert result.code == 2
    assert "templates/platform/dns.yaml.j2" in result.err
    assert tree_bytes(duo) == before
