"""Incremental render: files whose bytes do not change keep their inode and mtime; the swap stays atomic.

The new tree is built of hard links to the unchanged files plus the changed ones, then exchanged
with ``rendered/`` at once (``generator.treeswap.swap``), so editors, ``make`` and ``git status``
see only the files that really changed.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import generator.treeswap as treeswap
import generator.write as write
from generator.errors import WriteError
from generator.pipeline import Project, render
from generator.write import HEADER_PREFIX, Change, write_tree
from tests.conftest import SHIPPED_ENVS, fail_nth_write, tree_bytes


def _files(env: str, **texts: str) -> dict[str, str]:
    return {f"{env}/main/apps/docproc/{n}.yaml": f"{HEADER_PREFIX} test\n{t}\n" for n, t in texts.items()}


def _stamps(root: Path) -> dict[str, tuple[int, int]]:
    out = {}
    for p in sorted(root.rglob("*.yaml")):
        st = p.stat()
        out[p.relative_to(root).as_posix()] = (st.st_ino, st.st_mtime_ns)
    return out


def test_unchanged_files_keep_inode_and_mtime(tmp_path: Path) -> None:
    root = tmp_path / "rendered"
    files = {**_files("dev", a="kind: A", b="kind: B", c="kind: C"), **_files("prod", a="kind: A")}
    write_tree(root, files, ["dev", "prod"])
    before = _stamps(root)
    changed = "dev/main/apps/docproc/b.yaml"
    files[changed] = f"{HEADER_PREFIX} test\nkind: B2\n"
    report = write_tree(root, {k: v for k, v in files.items() if k.startswith("dev/")}, ["dev"])
    assert {c.path: c.action for c in report.changes if c.action != "identical"} == {changed: "update"}
    after = _stamps(root)
    assert tree_bytes(root) == {k: v.encode() for k, v in files.items()}
    assert after[changed] != before[changed]
    assert {k: v for k, v in after.items() if k != changed} == {
        k: v for k, v in before.items() if k != changed
    }


def test_nothing_changed_touches_nothing(tmp_path: Path) -> None:
    root = tmp_path / "rendered"
    files = _files("dev", a="kind: A")
    write_tree(root, files, ["dev"])
    before, root_inode = _stamps(root), root.stat().st_ino
    assert not write_tree(root, files, ["dev"]).drift
    assert _stamps(root) == before
    assert root.stat().st_ino == root_inode  # no swap at all


def test_editing_an_environment_rewrites_only_what_it_renders_differently(project: Path) -> None:
    render(Project(project), ["dev"])
    rendered = project / "rendered"
    before = _stamps(rendered)
    before_bytes = tree_bytes(rendered)
    dev = project / "environments" / "dev.yaml"
    text = dev.read_text(encoding="utf-8")
    assert "rateLimitPerMinute: " in text
    line = next(ln for ln in text.splitlines() if "rateLimitPerMinute: " in ln)
    value = int(line.rsplit(":", 1)[1])
    dev.write_text(text.replace(line, line.replace(str(value), str(value + 1))), encoding="utf-8")
    report = render(Project(project), ["dev"])
    updated = {c.path for c in report.changes if c.action == "update"}
    assert updated
    assert not {c.path for c in report.changes if c.action in ("create", "delete")}
    after = _stamps(rendered)
    assert set(after) == set(before)
    for path in before:
        if path in updated:
            assert tree_bytes(rendered)[path] != before_bytes[path]
        else:
            assert after[path] == before[path], path
    assert not any(n.startswith(".rendered.new-") for n in os.listdir(project))


# --- only the subtree that changes is swapped ----------------------------------------------------


def _inodes(root: Path) -> dict[str, tuple[int, int]]:
    """Inode and mtime of every entry (directories too) under ``root``, and of ``root`` itself."""
    out = {".": (root.stat().st_ino, root.stat().st_mtime_ns)}
    for p in sorted(root.rglob("*")):
        st = p.lstat()
        out[p.relative_to(root).as_posix()] = (st.st_ino, st.st_mtime_ns)
    return out


def _under(tree: dict[str, tuple[int, int]], env: str) -> dict[str, tuple[int, int]]:
    return {k: v for k, v in tree.items() if k == env or k.startswith(f"{env}/")}


def _fleet() -> dict[str, str]:
    return {
        **_files("dev", a="kind: A", b="kind: B"),
        **_files("prod", a="kind: A", b="kind: B"),
        **_files("qa", a="kind: A"),
    }


def test_other_environments_are_not_touched_at_all(tmp_path: Path) -> None:
    """One environment changed: only rendered/<env> is exchanged; the others keep every inode,
    their directories included, and rendered/ itself is not replaced."""
    root = tmp_path / "rendered"
    files = _fleet()
    write_tree(root, files, ["dev", "prod", "qa"])
    before = _inodes(root)
    files["dev/main/apps/docproc/b.yaml"] = f"{HEADER_PREFIX} test\nkind: B2\n"
    report = write_tree(root, files, ["dev", "prod", "qa"])
    assert [c.path for c in report.changes if c.action != "identical"] == ["dev/main/apps/docproc/b.yaml"]
    after = _inodes(root)
    assert tree_bytes(root) == {k: v.encode() for k, v in files.items()}
    assert after["."][0] == before["."][0]
    for env in ("prod", "qa"):
        assert _under(after, env) == _under(before, env), env
    assert after["dev/main/apps/docproc/a.yaml"] == before["dev/main/apps/docproc/a.yaml"]
    assert after["dev"] == before["dev"]
    exchanged = "dev/main/apps/docproc"  # the smallest subtree holding the change
    assert after[exchanged][0] != before[exchanged][0]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".rendered.new-")]


def test_a_new_environment_is_added_without_touching_the_others(tmp_path: Path) -> None:
    root = tmp_path / "rendered"
    files = {k: v for k, v in _fleet().items() if not k.startswith("qa/")}
    write_tree(root, files, ["dev", "prod"])
    before = _inodes(root)
    files.update(_files("qa", a="kind: A"))
    report = write_tree(root, files, ["dev", "prod", "qa"])
    assert {c.action for c in report.changes if c.path.startswith("qa/")} == {"create"}
    assert tree_bytes(root) == {k: v.encode() for k, v in files.items()}
    after = _inodes(root)
    for env in ("dev", "prod"):
        assert _under(after, env) == _under(before, env), env


def test_a_removed_environment_leaves_no_directory(tmp_path: Path) -> None:
    root = tmp_path / "rendered"
    files = _fleet()
    write_tree(root, files, ["dev", "prod", "qa"])
    before = _inodes(root)
    kept = {k: v for k, v in files.items() if not k.startswith("qa/")}
    report = write_tree(root, kept, ["dev", "prod"], stale_envs=["qa"])
    assert {c.path: c.action for c in report.changes if c.action != "identical"} == {
        "qa/main/apps/docproc/a.yaml": "delete"
    }
    assert not (root / "qa").exists()
    assert tree_bytes(root) == {k: v.encode() for k, v in kept.items()}
    after = _inodes(root)
    for env in ("dev", "prod"):
        assert _under(after, env) == _under(before, env), env


def test_changes_in_two_environments_swap_them_together(tmp_path: Path) -> None:
    """Two environments changed: their smallest common subtree is rendered/ itself, exchanged whole
    (unchanged files still hard links: inode and mtime kept)."""
    root = tmp_path / "rendered"
    files = _fleet()
    write_tree(root, files, ["dev", "prod", "qa"])
    before = _inodes(root)
    for env in ("dev", "prod"):
        files[f"{env}/main/apps/docproc/a.yaml"] = f"{HEADER_PREFIX} test\nkind: A2\n"
    write_tree(root, files, ["dev", "prod", "qa"])
    after = _inodes(root)
    assert tree_bytes(root) == {k: v.encode() for k, v in files.items()}
    assert after["."][0] != before["."][0]
    for path in (
        "dev/main/apps/docproc/b.yaml",
        "prod/main/apps/docproc/b.yaml",
        "qa/main/apps/docproc/a.yaml",
    ):
        assert after[path] == before[path], path


def test_without_renameat2_the_subtree_swap_is_two_renames(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "rendered"
    files = _fleet()
    write_tree(root, files, ["dev", "prod", "qa"])
    before = _inodes(root)
    monkeypatch.setattr(treeswap, "_renameat2", lambda a, b: False)
    files["dev/main/apps/docproc/b.yaml"] = f"{HEADER_PREFIX} test\nkind: B2\n"
    write_tree(root, files, ["dev", "prod", "qa"])
    assert tree_bytes(root) == {k: v.encode() for k, v in files.items()}
    assert _under(_inodes(root), "prod") == _under(before, "prod")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".rendered.new-")]


def test_a_subtree_a_killed_run_left_aside_is_put_back(tmp_path: Path) -> None:
    """Without renameat2 a kill can land between the two renames: the old rendered/<env> is aside in
    the work tree, which records where it belongs; the next writer puts it back before anything."""
    root = tmp_path / "rendered"
    files = _fleet()
    write_tree(root, files, ["dev", "prod", "qa"])
    before = tree_bytes(root)
    work = tmp_path / f"{treeswap.WORK_PREFIX}killed"
    work.mkdir()
    (work / treeswap.TARGET_NAME).write_text("dev", encoding="utf-8")
    os.replace(root / "dev", work / "rendered.old")
    treeswap.clean_strays(root)
    assert tree_bytes(root) == before
    assert not work.exists()


@pytest.mark.parametrize("recorded", ["../outside", "dev/../../x", ".hidden", "dev\0"])
def test_an_unsound_target_record_is_never_followed(tmp_path: Path, recorded: str) -> None:
    root = tmp_path / "rendered"
    write_tree(root, _fleet(), ["dev", "prod", "qa"])
    work = tmp_path / f"{treeswap.WORK_PREFIX}killed"
    (work / "rendered.old").mkdir(parents=True)
    (work / treeswap.TARGET_NAME).write_text(recorded, encoding="utf-8")
    treeswap.clean_strays(root)
    assert not work.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [treeswap.LOCK_NAME, "rendered"]


@pytest.mark.parametrize(
    ("paths", "expected"),
    [
        (["dev/main/apps/docproc/a.yaml"], "dev/main/apps/docproc"),
        (["dev/main/apps/docproc/a.yaml", "dev/main/apps/other/x.yaml"], "dev/main/apps"),
        (["dev/main/apps/docproc/a.yaml", "prod/main/apps/docproc/a.yaml"], ""),
        (["new/main/apps/docproc/a.yaml"], "new"),
    ],
    ids=["one-directory", "two-directories", "two-environments", "new-environment"],
)
def test_the_swapped_subtree_is_the_smallest_holding_every_change(
    tmp_path: Path, paths: list[str], expected: str
) -> None:
    root = tmp_path / "rendered"
    write_tree(root, _fleet(), ["dev", "prod", "qa"])
    changes = [Change("update", p) for p in paths] + [Change("identical", "qa/main/apps/docproc/a.yaml")]
    assert write._changed_top(root, changes) == expected


def test_the_swapped_subtree_never_goes_through_a_symlink(tmp_path: Path) -> None:
    root = tmp_path / "rendered"
    write_tree(root, _fleet(), ["dev", "prod", "qa"])
    (root / "dev" / "linked").symlink_to(tmp_path, target_is_directory=True)
    assert write._changed_top(root, [Change("create", "dev/linked/apps/docproc/a.yaml")]) == "dev"
    assert write._changed_top(tmp_path / "absent", [Change("create", "dev/main/apps/docproc/a.yaml")]) == ""


# --- files written ahead by the render's processes (write.staging / write.stage) ---------------


def test_a_from_scratch_render_writes_ahead_and_gives_the_same_tree(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """rendered/ absent: every process writes the files of its share into the new tree as soon as
    it has rendered them (both cores, beside the rendering); the tree is the files rendered in memory."""
    import generator.pipeline as pipeline

    expected = {k: v.encode() for k, v in pipeline.render_files(Project(project), list(SHIPPED_ENVS)).items()}
    staged: list[frozenset[str]] = []
    real = pipeline.stage

    def spy(where: write.Staging, files: dict[str, str]) -> None:
        staged.append(where.envs)
        real(where, files)

    monkeypatch.setattr(pipeline, "stage", spy)
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_SERVICES", 1)
    report = render(Project(project))
    assert {c.action for c in report.changes} == {"create"}
    assert tree_bytes(project / "rendered") == expected
    assert staged  # this process's calls (the worker's are its own)
    assert staged[0] == frozenset(SHIPPED_ENVS)
    assert not any(n.startswith(".rendered.new-") for n in os.listdir(project))


def test_a_new_environment_is_written_ahead_beside_an_existing_one(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = SHIPPED_ENVS[0]
    render(Project(project), [first])
    before = _stamps(project / "rendered")
    monkeypatch.setattr(write, "THREADED_FROM", 2)  # the threaded path too
    report = render(Project(project))
    assert {c.action for c in report.changes if not c.path.startswith(f"{first}/")} == {"create"}
    after = _stamps(project / "rendered")
    assert {k: v for k, v in after.items() if k.startswith(f"{first}/")} == before
    assert render(Project(project), check=True).drift is False


def test_a_failure_while_writing_ahead_changes_nothing(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = SHIPPED_ENVS[0]
    render(Project(project), [first])
    before = tree_bytes(project / "rendered")
    fail_nth_write(monkeypatch, 5)
    with pytest.raises(WriteError, match="injected"):
        render(Project(project))
    assert tree_bytes(project / "rendered") == before
    assert not any(n.startswith(".rendered.new-") for n in os.listdir(project))


def test_a_work_tree_whose_owner_lives_is_left_alone(tmp_path: Path) -> None:
    """A render writing ahead owns its work tree; a concurrent writer's cleanup must not remove it,
    and removes it once the owner is gone (killed)."""
    root = tmp_path / "rendered"
    write_tree(root, _files("dev", a="kind: A"), ["dev"])
    with treeswap.work_tree(root) as work:
        (work / "rendered").mkdir()
        treeswap.clean_strays(root)
        assert work.is_dir()
    assert not work.exists()  # its owner removes it
    stray = tmp_path / f"{treeswap.WORK_PREFIX}dead"
    (stray / "rendered").mkdir(parents=True)
    (stray / treeswap.OWNER_NAME).touch()  # an owner lock nobody holds: its run is gone
    treeswap.clean_strays(root)
    assert not stray.exists()
