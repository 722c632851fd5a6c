"""``gitops-gen render [--env NAME]... [--check] [--root DIR]``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from generator.pipeline import Project, render

#: How --check names what it finds: a file the render would create is missing, and so on.
CHECK_LABELS = {"create": "missing", "update": "stale", "delete": "extra"}

NAME = "render"
HELP = "Render environments/ into rendered/ (or, with --check, report drift and exit 1)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--env", action="append", metavar="NAME", help="only this environment (repeatable)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if rendered/ is stale")
    parser.add_argument("--root", type=Path, default=Path("."), help="project root (default: .)")
    parser.add_argument("--quiet", "-q", action="store_true", help="print only changes and the summary")


def run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    report = render(Project(args.root), args.env, check=args.check)
    verb = "would " if args.check else ""
    for change in report.changes:
        if change.action == "identical" and (args.quiet or args.check):
            continue
        label = CHECK_LABELS.get(change.action, change.action) if args.check else change.action
        note = f" ({change.note})" if change.note else ""
        stdout.write(f"{label:9} {change.path}{note}\n")
        if change.diff:
            stdout.write(change.diff + "\n")
    summary = ", ".join(
        f"{report.count(a)} {verb}{a}" for a in ("create", "update", "delete") if report.count(a)
    )
    stdout.write(f"render: {summary or 'up to date'} ({report.count('identical')} identical)\n")
    if report.count("foreign"):
        stderr.write(
            f"note: kept {report.count('foreign')} foreign file(s) in rendered/ that no environment renders; "
            "Argo CD syncs them, so `gitops-gen check` validates and policy-checks them too\n"
        )
    if args.check and report.drift:
        stderr.write("rendered/ is stale: run `make render` and commit the result\n")
        return 1
    return 0
