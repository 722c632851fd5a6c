"""Per-version service sets (``services[].since``): a service new in a release exists only there.

Fixture: ``tests/release/since/environments/newsvc.yaml``, a dual environment whose release 1.1.0
(even) brings ``summarizer`` with its own queue; odd runs 1.0.0, which never had it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, CliResult, fixture_project, tree_bytes

FIXTURES = ROOT / "tests" / "release" / "since" / "environments"
ENV = "newsvc"
Cli = Callable[..., CliResult]


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    return fixture_project(tmp_path / "since", FIXTURES)


def env_file(root: Path) -> Path:
    return root / "environments" / f"{ENV}.yaml"


def edit(root: Path, old: str, new: str) -> None:
    path = env_file(root)
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))


def rendered(root: Path, cluster: str) -> dict[str, str]:
    base = root / "rendered" / ENV / cluster
    return {str(p.relative_to(base)): p.read_text() for p in sorted(base.rglob("*.yaml"))}


def test_new_service_renders_on_the_release_cluster_only(proj: Path, cli: Cli) -> None:
    assert cli("render", "--root", str(proj), "-q").code == 0
    even, odd = rendered(proj, "even"), rendered(proj, "odd")
    mine = [rel for rel in even if "summarizer" in rel]
    assert any(rel.endswith("rollout-summarizer.yaml") for rel in mine)
    assert not [rel for rel in odd if "summarizer" in rel]
    for rel in mine:
        body = yaml.safe_load(even[rel].split("\n", 1)[1])
        assert body["metadata"]["annotations"]["docproc.io/since"] == "1.1.0"
    # the old version's workloads neither run nor publish to the new service's queue (callers'
    # allow-lists of api may still name it on both clusters: an unused principal, kept for parity)
    assert not [rel for rel, text in odd.items() if "rollout-" in rel and "summar" in text]
    # the new service's image is pinned to its 1.1.0 digest; 1.0.0 was never asked for one
    assert "duo/summarizer:1.1.0@sha256:" + "4" * 64 in even["apps/docproc/rollout-summarizer.yaml"]


def test_check_passes_with_a_service_in_one_cluster_only(
    proj: Path, cli: Cli, crd_dir: Path, charts_dir: Path
) -> None:
    assert cli("render", "--root", str(proj), "-q").code == 0
    result = cli(
        "check", "--root", str(proj), "--crd-dir", str(crd_dir), "--charts-dir", str(charts_dir), "-q"
    )
    assert result.code == 0, result.out + result.err
    assert "cluster-parity" not in result.out


def _line_of(root: Path, text: str) -> int:
    return env_file(root).read_text().splitlines().index(text) + 1


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        (  # an old service publishing to a queue only the new service consumes
            "    publishes: [jobs]\n\n  - name: worker",
            "    publishes: [jobs, summaries]\n\n  - name: worker",
            "    publishes: [jobs, summaries]",
            "service 'api' publishes to queue 'summaries' in version 1.0.0, where no service consumes it",
        ),
        (  # a digest for a version that never had the service
            '      "1.1.0": sha256:4444444444444444444444444444444444444444444444444444444444444444\n',
            '      "1.1.0": sha256:4444444444444444444444444444444444444444444444444444444444444444\n'
            '      "1.0.0": sha256:5555555555555555555555555555555555555555555555555555555555555555\n',
            '      "1.0.0": sha256:5555555555555555555555555555555555555555555555555555555555555555',
            "service 'summarizer' is since 1.1.0 but has a digest for older version '1.0.0'",
        ),
        (  # an old service calling the new one
            "    consumes: [jobs]\n",
            "    consumes: [jobs]\n    calls: [summarizer]\n",
            "    calls: [summarizer]",
            "service 'worker' calls 'summarizer' in version 1.0.0, which does not have 'summarizer'",
        ),
    ],
)
def test_loader_refuses_inconsistent_declarations(
    proj: Path, cli: Cli, old: str, new: str, line: str, message: str
) -> None:
    edit(proj, old, new)
    before = tree_bytes(proj)
    result = cli("render", "--root", str(proj), "-q")
    assert result.code == 2
    assert message in result.err, result.err
    assert re.search(rf"environments/{ENV}\.yaml:{_line_of(proj, line)}:\d+: services\[\d+\]", result.err)
    assert "hint" in result.err.lower() or "\n  " in result.err
    assert "Traceback" not in result.err
    assert tree_bytes(proj) == before


def test_since_must_be_a_numeric_version(proj: Path, cli: Cli) -> None:
    edit(proj, 'since: "1.1.0"', 'since: "next"')
    result = cli("render", "--root", str(proj), "-q")
    assert result.code == 2
    assert f"environments/{ENV}.yaml:" in result.err
    assert "since" in result.err


def test_digest_still_required_where_the_service_exists(proj: Path, cli: Cli) -> None:
    edit(proj, '      "1.1.0": sha256:4444444444444444444444444444444444444444444444444444444444444444\n', "")
    edit(proj, "    digests:\n    consumes: [summaries]", "    consumes: [summaries]")
    result = cli("render", "--root", str(proj), "-q")
    assert result.code == 2
    assert "service 'summarizer' has no digest for version '1.1.0'" in result.err


def _release(cli: Cli, root: Path, *argv: str) -> CliResult:
    command, *rest = argv
    return cli("release", command, ENV, "--root", str(root), *rest)


DIGESTS = [
    f"--digest={name}=sha256:{c * 64}" for name, c in (("api", "a"), ("worker", "b"), ("summarizer", "c"))
]


@pytest.fixture
def live(proj: Path, cli: Cli) -> Path:
    """1.1.0 live on even; a service new in 1.2.0 (``indexer``) staged in the file, rendered nowhere."""
    with env_file(proj).open("a") as f:
        f.write(
            "\n  - name: indexer\n    type: worker\n    image: duo/indexer\n    replicas: {min: 2, max: 4}\n"
            "    resources: {cpu: 100m, memory: 256Mi}\n    since: '1.2.0'\n"
            "    consumes: [summaries]\n"
        )
    assert cli("render", "--root", str(proj), "-q").code == 0
    assert not list((proj / "rendered").rglob("*indexer*"))
    assert _release(cli, proj, "approve", "--by", "qa").code == 0
    assert _release(cli, proj, "finish").code == 0
    return proj


def test_release_start_takes_a_digest_for_a_service_new_in_that_version(live: Path, cli: Cli) -> None:
    result = _release(
        cli, live, "start", "--version", "1.2.0", *DIGESTS, "--digest", "indexer=sha256:" + "d" * 64
    )
    assert result.code == 0, result.err
    data = yaml.safe_load(env_file(live).read_text())
    indexer = next(s for s in data["services"] if s["name"] == "indexer")
    assert indexer["digests"] == {"1.2.0": "sha256:" + "d" * 64}
    assert [p.name for p in (live / "rendered" / ENV / "odd").rglob("rollout-indexer.yaml")]
    assert not list((live / "rendered" / ENV / "even").rglob("*indexer*"))


def test_release_start_demands_the_new_service_digest(live: Path, cli: Cli) -> None:
    before = tree_bytes(live)
    result = _release(cli, live, "start", "--version", "1.2.0", *DIGESTS)
    assert result.code == 2
    assert "no digest for indexer at 1.2.0" in result.err
    assert tree_bytes(live) == before


def test_release_start_refuses_a_digest_for_a_service_not_in_that_version(live: Path, cli: Cli) -> None:
    edit(live, "since: '1.2.0'", "since: '1.3.0'")
    before = tree_bytes(live)
    result = _release(
        cli, live, "start", "--version", "1.2.0", *DIGESTS, "--digest", "indexer=sha256:" + "d" * 64
    )
    assert result.code == 2
    assert "indexer is not in 1.2.0" in result.err
    assert tree_bytes(live) == before
