"""``python -m generator.bench [--fleet DIR]``: build the bench fleet and run every section."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from pathlib import Path

from generator.bench import Fleet, parse_seconds

#: Section modules; each defines ``run(fleet: Fleet) -> list[str]`` (lines of figures).
SECTIONS: tuple[str, ...] = (
    # one line per section
    "generator.bench.render_bench",
    "generator.bench.schema_bench",
    "generator.bench.policy_bench",
    "generator.bench.check_bench",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m generator.bench")
    parser.add_argument("--fleet", type=Path, help="existing directory of manifests (skip generation)")
    parser.add_argument(
        "--out", type=Path, default=Path("bench-out"), help="where to generate the fleet project"
    )
    parser.add_argument("--services", type=int, default=200, help="services per environment")
    parser.add_argument(
        "--crd-dir", type=Path, default=Path(os.environ.get("GITOPS_GEN_CRDS", "../shared/crds"))
    )
    parser.add_argument(
        "--only", action="append", default=[], help="run only these sections (by module suffix)"
    )
    args = parser.parse_args(argv)
    render_seconds = None
    env_dir = None
    if args.fleet is None:
        from generator.bench.fleet import make_fleet_project
        from generator.pipeline import Project, render

        repo_root = Path(__file__).resolve().parents[2]
        project_dir = make_fleet_project(repo_root, args.out.resolve(), args.services)
        start = time.perf_counter()
        render(Project(project_dir))
        render_seconds = time.perf_counter() - start
        root = project_dir / "rendered"
        env_dir = project_dir / "environments"
    else:
        root = args.fleet
    files = tuple(sorted(p for p in root.rglob("*.yaml") if p.is_file()))
    seconds, docs = parse_seconds(files)
    crd_dir = args.crd_dir if args.crd_dir.is_dir() else None
    fleet = Fleet(
        root=root,
        files=files,
        documents=docs,
        parse_seconds=seconds,
        crd_dir=crd_dir,
        env_dir=env_dir,
        render_seconds=render_seconds,
    )
    print(f"fleet: {len(files)} files, {docs} documents; PyYAML C-loader parse: {seconds:.3f} s")
    for name in SECTIONS:
        if args.only and not any(name.endswith(o) for o in args.only):
            continue
        for line in importlib.import_module(name).run(fleet):
            print(line)
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
