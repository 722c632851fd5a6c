"""Worker processes never outlive their parent (issue 11 point 3).

The hostile trial killed parallel runs and found two workers alive for minutes, holding the
caller's pipes (``gitops-gen render | tee`` never ended). Here a real parallel run is killed
mid-work; every worker it started must be gone within seconds and the pipes must close.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from generator.bench.fleet import make_fleet_project
from generator.workers import worker_pool

ROOT = Path(__file__).resolve().parents[1]
GONE_WITHIN = 5.0

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc (Linux)")


def _children(pid: int) -> set[int]:
    """Live child processes of ``pid`` (from /proc; zombies count as gone)."""
    found: set[int] = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if fields[0] != "Z" and int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _kill_mid_work(argv: list[str], cwd: Path, sig: signal.Signals, workers: int) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "generator", *argv],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    seen: set[int] = set()
    try:
        deadline = time.monotonic() + 120
        while len(seen) < workers and time.monotonic() < deadline and proc.poll() is None:
            seen |= _children(proc.pid)
            time.sleep(0.02)
        time.sleep(0.3)  # let them take work
        assert proc.poll() is None, "the run ended before it could be killed: make the input larger"
        assert len(seen) >= workers, f"expected {workers} workers, saw {sorted(seen)}"
        proc.send_signal(sig)
        proc.wait(timeout=30)
        deadline = time.monotonic() + GONE_WITHIN
        while any(_alive(p) for p in seen) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [p for p in seen if _alive(p)], "workers outlived their parent"
        # Every writer of the pipes is gone, so reading them ends (EOF) instead of hanging.
        proc.communicate(timeout=GONE_WITHIN)
        assert proc.returncode == -sig
    finally:
        for pid in seen | (_children(proc.pid) if proc.poll() is None else set()):
            if _alive(pid):  # only on failure: never leave this test's processes behind
                os.kill(pid, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()


@pytest.fixture(scope="module")
def many_manifests(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Enough manifests that a two-worker ``validate`` runs for seconds."""
    root = tmp_path_factory.mktemp("manifests")
    data = "".join(f"  key{k}: value-{k}\n" for k in range(40))
    for i in range(200):
        docs = (
            f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}-{j}\n  namespace: ns\ndata:\n{data}"
            for j in range(30)
        )
        (root / f"cms-{i:03d}.yaml").write_text("---\n".join(docs))
    (root / "crds").mkdir()
    return root


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_validate_workers_die_with_the_parent(many_manifests: Path, sig: signal.Signals) -> None:
    argv = ["validate", str(many_manifests), "--jobs", "2", "--crd-dir", str(many_manifests / "crds")]
    _kill_mid_work(argv, many_manifests, sig, workers=2)


def test_render_workers_die_with_the_parent(tmp_path: Path) -> None:
    project = make_fleet_project(ROOT, tmp_path / "fleet", services=150)
    # render keeps one part of the work in its own process: one worker beside it uses both cores.
    _kill_mid_work(["render", "-q"], project, signal.SIGKILL, workers=1)


def _sleep(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def test_pool_still_works_and_runs_the_initializer() -> None:
    with worker_pool(2, initializer=os.environ.setdefault, initargs=("GITOPS_GEN_T", "1")) as pool:
        assert list(pool.map(_sleep, [0.0, 0.0])) == [0.0, 0.0]


def _pid_and(value: int) -> tuple[int, int]:
    return os.getpid(), value


def _fail() -> None:
    raise ValueError("broken on purpose")


def test_background_work_runs_in_a_child_and_returns_its_result() -> None:
    from generator.workers import in_background

    with in_background(_pid_and, 7) as result:
        pid, value = result()
    assert value == 7
    assert pid != os.getpid()


def test_failed_background_work_is_an_error_not_a_hang() -> None:
    from generator.workers import BackgroundError, in_background

    with in_background(_fail) as result, pytest.raises(BackgroundError):
        result()


def test_uncollected_background_work_is_killed() -> None:
    from generator.workers import in_background

    before = _children(os.getpid())
    with in_background(_sleep, 60.0):
        started = _children(os.getpid()) - before
        assert len(started) == 1
    deadline = time.monotonic() + GONE_WITHIN
    while any(_alive(p) for p in started) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [p for p in started if _alive(p)]
