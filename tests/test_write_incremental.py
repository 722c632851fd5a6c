"""Incremental render: files whose bytes do not change keep their inode and mtime; the swap stays atomic.

The new tree is built of hard links to the unchanged files plus the changed ones, then exchanged
with ``rendered/`` at once (``generator.treeswap.swap``), so editors, ``make`` and ``git status``
see only the files that really changed.
"""

from __future__ import annotations

import os
from pathlib import Path

from generator.pipeline import Project, render
from generator.write import HEADER_PREFIX, write_tree
from tests.conftest import tree_bytes


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
