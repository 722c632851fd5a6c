"""``python -m generator.bench.commands``: the CLI commands users run, timed as whole processes.

Each command runs as its own process (``python -m generator …``, as ``make`` and CI start it) on a
generated fleet at every size of ``--sizes`` (services per environment; 3 dual-topology
environments). Every run is paired with a run of the floor: a process that reads and parses the
same rendered files with PyYAML's C loader (``yaml.CSafeLoader``), the cheapest thing a YAML tool
can do with them. Floor and command alternate, so load from other processes hits both alike; the
ratio is taken per pair, and medians and ranges (min-max) are reported. Wall time, CPU time (user +
system of the process and all its workers) and peak RSS (largest process of the tree) come from
``os.wait4``: the same counters as ``getrusage(RUSAGE_CHILDREN)``, but per command.

The incremental cases are paired with a from-scratch render instead of the floor: ``render`` after
editing one service of one environment, and ``render --check`` with nothing changed (the
pre-commit hook). Figures only: nothing here fails on a number.

"From scratch" means ``rendered/`` is absent, as in a fresh clone: the old tree is moved aside and
deleted after the last timed run (so is an earlier run's fleet), never right before one. On ext4
without a journal (this project's CI machines), every file created within minutes of a mass
deletion pays for a scan of the freed inodes (the kernel's ``recently_deleted()``): that is the file
system's cost of the deletion, not of rendering (docs/benchmarks.md measures it apart).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Sample", "main", "measure", "run_sizes"]

#: The floor: read and parse every rendered file with the C loader, in a fresh process.
FLOOR = (
    "import pathlib, sys, yaml\n"
    "n = 0\n"
    "for p in sorted(pathlib.Path(sys.argv[1]).rglob('*.yaml')):\n"
    "    n += sum(1 for d in yaml.load_all(p.read_text(encoding='utf-8'), Loader=yaml.CSafeLoader) if d)\n"
    "print(n)\n"
)
EDITED_ENV = "bench-a"
MARKER_START = "<!-- bench:commands:start -->"
MARKER_END = "<!-- bench:commands:end -->"


@dataclass(frozen=True, slots=True)
class Sample:
    """One process run: wall and CPU seconds, peak RSS in MiB, exit status."""

    wall: float
    cpu: float
    rss_mib: float
    code: int


def measure(argv: Sequence[str], cwd: Path) -> Sample:
    """Run ``argv`` to completion; its wall time and the rusage of its whole process tree."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.stderr is not None
    err = proc.stderr.read().decode("utf-8", "replace")
    proc.stderr.close()
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}: {err[-2000:]}")
    return Sample(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode)


def _gitops(*args: str) -> list[str]:
    return [sys.executable, "-m", "generator", *args]


@dataclass(frozen=True, slots=True)
class Case:
    """A command measured against a baseline, both re-prepared (untimed) before every run."""

    name: str
    argv: list[str]
    baseline: str
    """``floor`` (the parse of the rendered files) or ``render`` (a from-scratch render)."""
    prepare: Callable[[], None] = lambda: None


def _cases(project: Path, crd_dir: Path | None, charts_dir: Path | None = None) -> list[Case]:
    rendered = project / "rendered"
    crd = ["--crd-dir", str(crd_dir)] if crd_dir else []
    charts = ["--charts-dir", str(charts_dir)] if charts_dir else []

    def scratch() -> None:
        set_aside(rendered)

    def edit_one_service() -> None:
        path = project / "environments" / f"{EDITED_ENV}.yaml"
        text = path.read_text(encoding="utf-8")
        old, new = "LOG_LEVEL: info", "LOG_LEVEL: debug"
        text = text.replace(old, new, 1) if old in text else text.replace(new, old, 1)
        path.write_text(text, encoding="utf-8")

    root = ["--root", str(project), "-q"]
    return [
        Case("render (from scratch)", _gitops("render", *root), "floor", scratch),
        Case("render --check (nothing changed)", _gitops("render", "--check", *root), "floor"),
        Case("validate --strict", _gitops("validate", "--strict", *crd, *root, str(rendered)), "floor"),
        Case(
            "policy apply",
            _gitops(
                "policy", "apply", "-q", "--policy", str(project / "policies"), "--resource", str(rendered)
            ),
            "floor",
        ),
        *([Case("check", _gitops("check", *crd, *charts, *root), "floor")] if crd_dir else []),
        Case("render after editing one service", _gitops("render", *root), "render", edit_one_service),
        Case("render --check, nothing changed", _gitops("render", "--check", *root), "render"),
    ]


#: Where trees set aside wait until every timed run is done (``set_aside``, ``empty_trash``).
TRASH = ".bench-trash"


def set_aside(tree: Path, trash: Path | None = None) -> None:
    """Move ``tree`` into ``trash`` (default: beside it), deleted by ``empty_trash`` after the timed runs."""
    if not tree.exists():
        return
    trash = trash or tree.parent / TRASH
    trash.mkdir(parents=True, exist_ok=True)
    tree.rename(trash / f"{tree.name}-{time.monotonic_ns()}")


def empty_trash(directory: Path) -> None:
    """Delete what was set aside under ``directory`` (a fleet project, or the output directory)."""
    shutil.rmtree(directory / TRASH, ignore_errors=True)


def compile_package() -> None:
    """Byte-compile the ``generator`` package, as ``pip install`` does for an installed tool.

    An editable install compiles on first import, unless ``PYTHONDONTWRITEBYTECODE`` is set (as in
    some CI images): then every process would compile ~150 modules from source, 0.35 s of CPU
    that no installed copy of the tool spends.
    """
    import compileall

    compileall.compile_dir(Path(__file__).resolve().parents[1], quiet=1)


def _span(values: Sequence[float], fmt: str) -> str:
    return f"{format(statistics.median(values), fmt)} ({format(min(values), fmt)}-{format(max(values), fmt)})"


def run_size(
    repo_root: Path,
    out: Path,
    services: int,
    repeat: int,
    *,
    crd_dir: Path | None,
    only: Sequence[str] = (),
    charts_dir: Path | None = None,
) -> list[str]:
    """Markdown table rows for one fleet size (``only``: cases whose name contains one of these)."""
    from generator.bench.fleet import make_fleet_project

    set_aside(out / f"s{services}", out / TRASH)  # an earlier run's fleet, deleted at the very end
    project = make_fleet_project(repo_root, out / f"s{services}", services)
    rendered = project / "rendered"
    render_argv = _gitops("render", "--root", str(project), "-q")
    measure(render_argv, repo_root)
    floor_argv = [sys.executable, "-c", FLOOR, str(rendered)]
    documents = int(subprocess.run(floor_argv, capture_output=True, text=True, check=True).stdout)
    rows = []
    for case in _cases(project, crd_dir, charts_dir):
        if only and not any(o in case.name for o in only):
            continue
        pairs: list[tuple[Sample, Sample]] = []
        for _ in range(repeat):
            if case.baseline == "floor":
                base = measure(floor_argv, repo_root)
            else:
                set_aside(rendered)
                base = measure(render_argv, repo_root)
            case.prepare()
            pairs.append((base, measure(case.argv, repo_root)))
        measure(render_argv, repo_root)  # leave rendered/ current for the next case
        ratios = [c.wall / b.wall for b, c in pairs]
        cpu_ratios = [c.cpu / b.cpu for b, c in pairs]
        cmd = [c for _, c in pairs]
        base_name = "parse floor" if case.baseline == "floor" else "render from scratch"
        rows.append(
            f"| {services} | {documents:,} | `{case.name}` | {_span([c.wall for c in cmd], '.2f')} | "
            f"{_span([c.cpu for c in cmd], '.2f')} | {max(c.rss_mib for c in cmd):.0f} | "
            f"{base_name}: {_span([b.wall for b, _ in pairs], '.2f')} | **{_span(ratios, '.2f')}x** | "
            f"{_span(cpu_ratios, '.2f')}x |"
        )
    return rows


HEADER = (
    "| services/env | documents | command | wall s, median (range) | CPU s | peak RSS MiB | "
    "baseline wall s | wall ratio, median of pairs (range) | CPU ratio |\n"
    "| ---: | ---: | --- | --- | --- | ---: | --- | --- | --- |"
)


def run_sizes(
    repo_root: Path,
    out: Path,
    sizes: Sequence[int],
    repeat: int,
    crd_dir: Path | None,
    *,
    only: Sequence[str] = (),
    emit: Callable[[str], None] = print,
    charts_dir: Path | None = None,
) -> str:
    """The whole table (also emitted row by row as it is measured)."""
    compile_package()
    lines = [HEADER]
    emit(HEADER)
    for services in sizes:
        for row in run_size(
            repo_root, out, services, repeat, crd_dir=crd_dir, only=only, charts_dir=charts_dir
        ):
            lines.append(row)
            emit(row)
    for services in sizes:  # deletions only now: files created after one cost more (module docstring)
        empty_trash(out / f"s{services}")
    empty_trash(out)
    return "\n".join(lines)


def _machine() -> str:
    import platform

    load = os.getloadavg()
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}; load average at the end {load[0]:.1f}"
    )


def update_doc(
    doc: Path, table: str, command: str, *, markers: tuple[str, str] = (MARKER_START, MARKER_END)
) -> None:
    """Replace the block between ``markers`` in ``doc`` with the new table, command and machine."""
    start, end = markers
    text = doc.read_text(encoding="utf-8")
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    block = f"{start}\nMeasured {stamp} with `{command}` on {_machine()}.\n\n{table}\n{end}"
    doc.write_text(head + block + tail, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m generator.bench.commands", description=__doc__)
    parser.add_argument("--sizes", default="50,200,1000", help="services per environment, comma-separated")
    parser.add_argument("--repeat", type=int, default=5, help="pairs per command and size")
    parser.add_argument("--out", type=Path, default=Path("bench-out"), help="where fleets are generated")
    parser.add_argument(
        "--crd-dir", type=Path, default=Path(os.environ.get("GITOPS_GEN_CRDS", "../shared/crds"))
    )
    parser.add_argument(
        "--charts-dir",
        type=Path,
        default=Path(os.environ.get("GITOPS_GEN_CHARTS", "../shared/charts")),
        help="pinned charts' values for check (as make check passes them)",
    )
    parser.add_argument("--only", action="append", default=[], help="only cases whose name contains this")
    parser.add_argument("--doc", type=Path, help="write the table into this Markdown file (between markers)")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    repo_root = Path(__file__).resolve().parents[2]
    crd_dir = args.crd_dir.resolve() if args.crd_dir.is_dir() else None
    charts_dir = args.charts_dir.resolve() if args.charts_dir.is_dir() else None
    table = run_sizes(
        repo_root, args.out.resolve(), sizes, args.repeat, crd_dir, only=args.only, charts_dir=charts_dir
    )
    if args.doc:
        command = "python -m generator.bench.commands " + " ".join(argv if argv is not None else sys.argv[1:])
        update_doc(args.doc, table, command.strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
