"""Writer: reports, --check, atomic swap, pruning only what it generated, no escaping rendered/."""

from __future__ import annotations

from pathlib import Path

import pytest

import generator.write as write
from generator.errors import WriteError
from generator.manifest import Manifest
from generator.write import HEADER_PREFIX, plan_files, write_tree
from tests.conftest import fail_nth_write, tree_bytes


def _files(*names: str, env: str = "dev") -> dict[str, str]:
    return {f"{env}/main/apps/docproc/{n}.yaml": f"{HEADER_PREFIX} test\nkind: X\nname: {n}\n" for n in names}


def test_reports_create_identical_update_delete(tmp_path: Path) -> None:
    root = tmp_path / "rendered"
    first = write_tree(root, _files("a", "b"), ["dev"])
    assert [c.action for c in first.changes] == ["create", "create"]
    files = _files("a", "c")
    files["dev/main/apps/docproc/a.yaml"] += "changed: true\n"
    second = write_tree(root, files, ["dev"])
    assert {c.path.rsplit("/", 1)[1]: c.action for c in second.changes} == {
        "a.yaml": "update",
        "b.yaml": "delete",
        "c.yaml": "create",
    }
    assert tree_bytes(root) == {k: v.encode() for k, v in files.items()}
    assert not write_tree(root, files, ["dev"]).drift


def test_check_writes_nothing_and_shows_a_diff(tmp_path: Path) -> None:
    root = tmp_path / "rendered"
    write_tree(root, _files("a"), ["dev"])
    before = tree_bytes(root)
    files = _files("a")
    files["dev/main/apps/docproc/a.yaml"] += "changed: true\n"
    report = write_tree(root, files, ["dev"], check=True)
    assert report.drift
    (change,) = report.changes
    assert change.action == "update"
    assert "+changed: true" in change.diff
    assert tree_bytes(root) == before


def test_failure_mid_write_leaves_rendered_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "rendered"
    write_tree(root, _files("a", "b"), ["dev"])
    before = tree_bytes(root)
    fail_nth_write(monkeypatch, 2)
    with pytest.raises(WriteError, match="injected"):
        write_tree(root, _files("a", "b", "c", "d"), ["dev"])
    assert tree_bytes(root) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".rendered.new-")]


def test_interrupt_mid_write_leaves_rendered_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "rendered"
    write_tree(root, _files("a"), ["dev"])
    before = tree_bytes(root)

    def interrupted(path: Path, text: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(write, "_write_file", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_tree(root, _files("a", "b"), ["dev"])
    assert tree_bytes(root) == before


def test_prunes_only_generated_files(tmp_path: Path) -> None:
    root = tmp_path / "rendered"
    write_tree(root, {**_files("a", "b"), **_files("x", env="qa")}, ["dev", "qa"])
    (root / "dev" / "main" / "README.md").write_text("hand-written, keep me\n")
    (root / "notes.txt").write_text("outside any environment\n")
    report = write_tree(root, _files("a"), ["dev"], stale_envs=["qa"])
    actions = {c.path: c.action for c in report.changes}
    assert actions["dev/main/README.md"] == "foreign"
    assert actions["dev/main/apps/docproc/b.yaml"] == "delete"
    assert actions["qa/main/apps/docproc/x.yaml"] == "delete"
    assert (root / "dev" / "main" / "README.md").read_text() == "hand-written, keep me\n"
    assert (root / "notes.txt").exists()
    assert not (root / "dev" / "main" / "apps" / "docproc" / "b.yaml").exists()
    assert not list((root / "qa").rglob("*.yaml")) if (root / "qa").exists() else True


def test_other_environments_are_left_alone(tmp_path: Path) -> None:
    root = tmp_path / "rendered"
    write_tree(root, {**_files("a"), **_files("x", env="prod")}, ["dev", "prod"])
    write_tree(root, _files("b"), ["dev"])
    assert (root / "prod" / "main" / "apps" / "docproc" / "x.yaml").exists()
    assert not (root / "dev" / "main" / "apps" / "docproc" / "a.yaml").exists()


@pytest.mark.parametrize(
    ("namespace", "name"),
    [("", "../../etc/passwd"), ("", "a/b"), (".hidden", "c"), ("..", "c")],
    ids=["dotdot-name", "slash", "hidden-namespace", "dotdot-namespace"],
)
def test_refuses_paths_that_escape(namespace: str, name: str) -> None:
    meta = {"name": name, "namespace": namespace}
    m = Manifest("dev", "main", "apps", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta})
    with pytest.raises(WriteError, match="refusing"):
        plan_files([m])


def test_files_have_header_lf_and_final_newline() -> None:
    m = Manifest("dev", "main", "apps", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}})
    text = plan_files([m])["dev/main/apps/_cluster/configmap-c.yaml"]
    assert text.startswith(f"{HEADER_PREFIX} from environments/dev.yaml.")
    assert text.endswith("\n")
    assert not text.endswith("\n\n")
    assert "\r" not in text


def test_render_check_cli_lists_drift_and_exits_1(project: Path, cli) -> None:
    assert cli("render", "--root", str(project), "-q").code == 0
    stale = next((project / "rendered" / "dev").rglob("rollout-ingest-api.yaml"))
    stale.write_text(stale.read_text().replace("revisionHistoryLimit: 3", "revisionHistoryLimit: 9"))
    extra = project / "rendered" / "dev" / "main" / "apps" / "docproc" / "configmap-old.yaml"
    extra.write_text(f"{HEADER_PREFIX} from environments/dev.yaml.\nkind: ConfigMap\n")
    missing = next((project / "rendered" / "dev").rglob("service-query-api.yaml"))
    missing.unlink()
    before = tree_bytes(project / "rendered")

    result = cli("render", "--root", str(project), "--check")

    assert result.code == 1
    assert "stale     dev/main/apps/docproc/rollout-ingest-api.yaml" in result.out
    assert "-  revisionHistoryLimit: 9" in result.out
    assert "+  revisionHistoryLimit: 3" in result.out
    assert "extra     dev/main/apps/docproc/configmap-old.yaml" in result.out
    assert "missing   dev/main/apps/docproc/service-query-api.yaml" in result.out
    assert "make render" in result.err
    assert tree_bytes(project / "rendered") == before
    assert cli("render", "--root", str(project), "-q").code == 0
    assert cli("render", "--root", str(project), "--check").code == 0


def test_deleted_environment_is_pruned(project: Path, cli) -> None:
    assert cli("render", "--root", str(project), "-q").code == 0
    (project / "environments" / "staging.yaml").unlink()
    result = cli("render", "--root", str(project), "-q")
    assert result.code == 0
    assert "delete    staging/main/" in result.out
    assert not list((project / "rendered").glob("staging/**/*.yaml"))


def test_many_files_are_written_on_threads_with_the_same_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = _files(*(f"f{i}" for i in range(40)))
    serial = tmp_path / "serial" / "rendered"
    write_tree(serial, files, ["dev"])
    monkeypatch.setattr(write, "THREADED_FROM", 2)
    threaded = tmp_path / "threaded" / "rendered"
    report = write_tree(threaded, files, ["dev"])
    assert {c.action for c in report.changes} == {"create"}
    assert tree_bytes(threaded) == tree_bytes(serial)
    files["dev/main/apps/docproc/f3.yaml"] += "changed: true\n"
    before = {p.name: p.stat().st_ino for p in threaded.rglob("*.yaml")}
    write_tree(threaded, files, ["dev"])
    after = {p.name: p.stat().st_ino for p in threaded.rglob("*.yaml")}
    assert {n for n in after if after[n] != before[n]} == {"f3.yaml"}  # the rest hard-linked


def test_a_failure_on_a_write_thread_leaves_rendered_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "rendered"
    write_tree(root, _files("a", "b"), ["dev"])
    before = tree_bytes(root)
    real = write._write_file

    def failing(path: Path, text: str) -> None:
        if str(path).endswith("f7.yaml"):
            raise OSError("disk full (injected)")
        real(path, text)

    monkeypatch.setattr(write, "THREADED_FROM", 2)
    monkeypatch.setattr(write, "_write_file", failing)
    with pytest.raises(WriteError, match="injected"):
        write_tree(root, _files(*(f"f{i}" for i in range(40))), ["dev"])
    assert tree_bytes(root) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".rendered.new-")]
