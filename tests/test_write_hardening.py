"""Interrupted, concurrent and tricked renders: rendered/ wholly old or wholly new, links never followed.

Issue 11 point 3. The kill test SIGKILLs a real render at random instants of its write phase
(slowed down so the instants spread over it) and checks the tree after each kill, then that the
next run leaves no stray work tree behind.
"""

from __future__ import annotations

import fcntl
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import generator.treeswap as treeswap
from tests.conftest import ROOT, tree_bytes

#: Kill points per run of ``make test`` (each costs one render); ``GITOPS_GEN_KILLS`` raises it.
KILLS = int(os.environ.get("GITOPS_GEN_KILLS", "8"))


def _gitops_gen(*argv: str, slow: float = 0.0) -> subprocess.Popen[bytes]:
    """A real ``gitops-gen`` process; ``slow`` seconds are spent per file written (to aim kills).

    When slowed, it prints ``writing`` on stderr as it writes its first file, so a kill can be
    aimed inside the write phase.
    """
    code = (
        "import sys, time\n"
        "import generator.write as w\n"
        f"slow = {slow!r}\n"
        "real = w._write_file\n"
        "started = []\n"
        "def slowed(p, t):\n"
        "    if slow and not started:\n"
        "        started.append(1)\n"
        "        sys.stderr.write('writing\\n')\n"
        "        sys.stderr.flush()\n"
        "    time.sleep(slow)\n"
        "    real(p, t)\n"
        "w._write_file = slowed\n"
        "from generator.cli import run\n"
        "sys.exit(run(sys.argv[1:], sys.stdout, sys.stderr))\n"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code, *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )


def _finish(proc: subprocess.Popen[bytes], timeout: float = 300) -> tuple[int, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, (out + err).decode()


def _strays(project: Path) -> list[str]:
    return sorted(p.name for p in project.glob(treeswap.WORK_PREFIX + "*"))


def test_sigkill_at_random_points_leaves_old_or_new(project: Path, cli) -> None:
    assert cli("render", "--root", str(project), "--env", "dev", "-q").code == 0
    old = tree_bytes(project / "rendered")
    env = project / "environments" / "dev.yaml"
    env.write_text(_changed(env.read_text()))
    expected = project.parent / "expected"
    shutil.copytree(project, expected)
    assert cli("render", "--root", str(expected), "--env", "dev", "-q").code == 0
    new = tree_bytes(expected / "rendered")
    assert new != old

    rng = random.Random(11)
    seen = {"old": 0, "new": 0, "mid-write": 0}
    slow = 0.002
    window = len(new) * slow  # the write phase lasts at least this long
    # Half the kills land anywhere in the run's life, half inside its write phase (aimed).
    for round_ in range(KILLS):
        aimed = round_ % 2 == 1
        proc = _gitops_gen("render", "--root", str(project), "--env", "dev", "-q", slow=slow)
        if aimed:
            assert proc.stderr is not None
            assert proc.stderr.readline() == b"writing\n"
            time.sleep(rng.uniform(0, window))
        else:
            time.sleep(rng.uniform(0.3, 3.0))
        proc.send_signal(signal.SIGKILL)
        _finish(proc, timeout=60)
        now = tree_bytes(project / "rendered")
        assert now in (old, new), f"a killed render left a mixed tree: {_mixed(now, old, new)}"
        seen["old" if now == old else "new"] += 1
        seen["mid-write"] += bool(_strays(project))
        if now == new:  # start the next round from the old tree again
            _restore_old(project, old)
    assert KILLS < 2 or seen["mid-write"] >= 1, f"no kill landed inside the write phase: {seen}"
    code, _ = _finish(_gitops_gen("render", "--root", str(project), "--env", "dev", "-q"))
    assert code == 0
    assert tree_bytes(project / "rendered") == new
    assert _strays(project) == [], "the next run must clean work trees killed runs left"
    print(f"kills: {seen}")


def test_sigkill_while_writing_ahead_leaves_nothing_or_everything(project: Path, cli) -> None:
    """From scratch, the render processes write their files ahead into an owned work tree; a kill
    at any instant leaves rendered/ absent or complete, and the next run removes the dead run's tree."""
    expected = project.parent / "expected"
    shutil.copytree(project, expected)
    assert cli("render", "--root", str(expected), "-q").code == 0
    new = tree_bytes(expected / "rendered")
    rng = random.Random(14)
    seen = {"nothing": 0, "everything": 0, "mid-write": 0}
    slow = 0.002
    for _ in range(2):
        proc = _gitops_gen("render", "--root", str(project), "-q", slow=slow)
        assert proc.stderr is not None
        assert proc.stderr.readline() == b"writing\n"  # the first file written ahead
        time.sleep(rng.uniform(0, len(new) * slow / 2))
        proc.send_signal(signal.SIGKILL)
        _finish(proc, timeout=60)
        now = tree_bytes(project / "rendered")
        assert now in ({}, new), f"a killed render left a partial tree: {len(now)} of {len(new)} files"
        seen["nothing" if not now else "everything"] += 1
        seen["mid-write"] += bool(_strays(project))
        if now:
            shutil.rmtree(project / "rendered")
    assert seen["mid-write"] >= 1, f"no kill landed while files were written ahead: {seen}"
    code, _ = _finish(_gitops_gen("render", "--root", str(project), "-q"))
    assert code == 0
    assert tree_bytes(project / "rendered") == new
    assert _strays(project) == [], "the next run must remove the work trees of killed runs"


def test_work_trees_and_the_lock_are_never_committed() -> None:
    """What a killed run leaves beside rendered/ is git-ignored: never committed, never synced."""
    names = [f"{treeswap.WORK_PREFIX}abc/rendered/x.yaml", ".rendered.lock"]
    done = subprocess.run(
        ["git", "check-ignore", "--no-index", *names], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.stdout.split() == names, done.stderr


def _mixed(now: dict[str, bytes], old: dict[str, bytes], new: dict[str, bytes]) -> str:
    like_old = sorted(k for k in now if old.get(k) == now[k] and new.get(k) != now[k])
    like_new = sorted(k for k in now if new.get(k) == now[k] and old.get(k) != now[k])
    neither = sorted(k for k in now if now[k] not in (old.get(k), new.get(k)))
    return f"{len(like_old)} old, {len(like_new)} new, {neither[:3]} neither"


def _restore_old(project: Path, old: dict[str, bytes]) -> None:
    shutil.rmtree(project / "rendered")
    for rel, data in old.items():
        path = project / "rendered" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def test_stray_work_trees_are_cleaned_and_ignored(project: Path, cli) -> None:
    stray = project / f"{treeswap.WORK_PREFIX}killed" / "rendered" / "dev"
    stray.mkdir(parents=True)
    (stray / "half.yaml").write_text("kind: X\n")
    assert cli("render", "--root", str(project), "--env", "dev", "-q").code == 0
    assert _strays(project) == []
    ignored = subprocess.run(
        [
            "git",
            "check-ignore",
            "--no-index",
            f"{treeswap.WORK_PREFIX}x/rendered/a.yaml",
            treeswap.LOCK_NAME,
        ],
        cwd=ROOT,
        check=False,
    )
    assert ignored.returncode == 0, (
        "work trees and the lock must be git-ignored (never committed, never synced)"
    )


def test_two_renders_at_once_lose_no_update(project: Path) -> None:
    for _ in range(3):
        shutil.rmtree(project / "rendered", ignore_errors=True)
        procs = [
            _gitops_gen("render", "--root", str(project), "--env", env, "-q", slow=0.001)
            for env in ("dev", "prod")
        ]
        assert [_finish(p)[0] for p in procs] == [0, 0]
        code, out = _finish(
            _gitops_gen("render", "--root", str(project), "--check", "--env", "dev", "--env", "prod")
        )
        assert code == 0, out


def test_a_held_lock_is_a_clear_message(project: Path, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(treeswap, "LOCK_WAIT_SECONDS", 0.3)
    fd = os.open(project / treeswap.LOCK_NAME, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        result = cli("render", "--root", str(project), "--env", "dev")
    finally:
        os.close(fd)
    assert result.code == 2
    assert "another gitops-gen render held rendered/" in result.err
    assert not (project / "rendered").exists()


# --- symlinks -----------------------------------------------------------------------------------


@pytest.fixture
def rendered(project: Path, cli) -> Path:
    assert cli("render", "--root", str(project), "--env", "dev", "-q").code == 0
    return project / "rendered"


def _change_dev(project: Path) -> None:
    env = project / "environments" / "dev.yaml"
    env.write_text(_changed(env.read_text()))


def _changed(text: str) -> str:
    """The environment with its team renamed: a label on every rendered object changes."""
    assert "  team: platform\n" in text
    return text.replace("  team: platform\n", "  team: platform-x\n", 1)


def test_a_symlinked_file_stays_a_symlink(project: Path, rendered: Path, cli, tmp_path: Path) -> None:
    target = tmp_path / "outside.yaml"
    target.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    link = rendered / "dev" / "main" / "apps" / "link.yaml"
    link.symlink_to(target)
    _change_dev(project)
    result = cli("render", "--root", str(project), "--env", "dev")
    assert result.code == 0, result.err
    assert link.is_symlink()
    assert "foreign   dev/main/apps/link.yaml (a symlink to" in result.out
    assert "foreign file(s)" in result.err


def test_a_symlinked_directory_imports_nothing(project: Path, rendered: Path, cli, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.yaml").write_text("kind: Secret\n")
    link = rendered / "dev" / "main" / "linked"
    link.symlink_to(outside, target_is_directory=True)
    _change_dev(project)
    assert cli("render", "--root", str(project), "--env", "dev", "-q").code == 0
    assert link.is_symlink()
    assert not any(
        p.is_file() and not p.is_symlink() and p.name == "secret.yaml" for p in rendered.rglob("*")
    )


def test_check_never_reads_through_a_link_to_a_big_tree(project: Path, rendered: Path, cli) -> None:
    (rendered / "lib").symlink_to("/usr/lib", target_is_directory=True)
    started = time.monotonic()
    result = cli("render", "--root", str(project), "--check")
    assert time.monotonic() - started < 60
    assert "Traceback" not in result.err
    assert "foreign   lib (a symlink to /usr/lib)" in result.out


def test_never_writes_through_a_symlink_in_the_way(
    project: Path, rendered: Path, cli, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    apps = rendered / "dev" / "main" / "apps"
    shutil.rmtree(apps)
    apps.symlink_to(outside, target_is_directory=True)
    before = tree_bytes(rendered)
    result = cli("render", "--root", str(project), "--env", "dev")
    assert result.code == 2
    assert "rendered/dev/main/apps is a symlink" in result.err
    assert list(outside.iterdir()) == []
    assert tree_bytes(rendered) == before


def test_rendered_itself_a_symlink_is_refused(project: Path, tmp_path: Path, cli) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (project / "rendered").symlink_to(elsewhere, target_is_directory=True)
    result = cli("render", "--root", str(project), "--env", "dev")
    assert result.code == 2
    assert "rendered/ is a symlink" in result.err
    assert list(elsewhere.iterdir()) == []


# --- foreign files go through the gate ----------------------------------------------------------

INVALID_CONFIGMAP = """apiVersion: v1
kind: ConfigMap
metadata:
  name: hand-written
  namespace: docproc
data:
  key: [not, a, string]
"""


@pytest.mark.needs_shared
def test_foreign_files_are_validated_and_reported(project: Path, rendered: Path, cli, crd_dir: Path) -> None:
    foreign = rendered / "dev" / "main" / "apps" / "docproc" / "hand-written.yaml"
    foreign.write_text(INVALID_CONFIGMAP)
    (rendered / "dev" / "main" / "apps" / "NOTES.txt").write_text("not a manifest\n")
    result = cli("render", "--root", str(project), "--env", "dev")
    assert result.code == 0
    assert "foreign   dev/main/apps/docproc/hand-written.yaml" in result.out
    checked = cli(
        "check", "--root", str(project), "--env", "dev", "--crd-dir", str(crd_dir), "--output", "json"
    )
    assert checked.code == 1
    findings = json.loads(checked.out)["findings"]
    on_it = [f for f in findings if f["file"] == "rendered/dev/main/apps/docproc/hand-written.yaml"]
    assert any(f["rule"] == "foreign" and f["severity"] == "warning" for f in on_it), on_it
    assert any(f["severity"] == "error" and f["rule"] != "foreign" for f in on_it), on_it
    assert any(f["file"].endswith("NOTES.txt") and f["severity"] == "warning" for f in findings)


@pytest.mark.needs_shared
def test_unparseable_foreign_file_is_an_error_finding(
    project: Path, rendered: Path, cli, crd_dir: Path
) -> None:
    (rendered / "dev" / "main" / "apps" / "docproc" / "broken.yaml").write_text("a: [\n")
    checked = cli(
        "check", "--root", str(project), "--env", "dev", "--crd-dir", str(crd_dir), "--output", "json"
    )
    assert checked.code == 1
    assert "Traceback" not in checked.err
    findings = json.loads(checked.out)["findings"]
    assert any(
        f["file"].endswith("broken.yaml") and f["rule"] == "foreign" and f["severity"] == "error"
        for f in findings
    )
