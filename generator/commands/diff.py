"""``gitops-gen diff [--env NAME]... [--output text|json|markdown] [--root DIR]``: what render would change.

Per resource: added, removed, or changed with a YAML diff of the changed fields; coloured on a
terminal, Markdown for a pull-request comment. Exit 1 when there are changes (like ``diff``), 0
when ``rendered/`` is up to date. Writes nothing. Parsing only: ``generator.diff`` does the work.
"""

from __future__ import annotations

import argparse
import os
from typing import TextIO

from generator.diff import FORMATS, format_changes, resource_changes
from generator.exitcode import ExitCode
from generator.pipeline import Project, pending_render

__all__ = ["HELP", "NAME", "add_arguments", "run"]

NAME = "diff"
HELP = "Show what `render` would change in rendered/, per resource (exit 1 when something would change)."
EXAMPLES = """
gitops-gen diff
gitops-gen diff --env prod --output markdown > comment.md
gitops-gen diff --output json
"""
EXIT_1 = "render would change rendered/ (the changes are printed)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--env", action="append", metavar="NAME", help="only this environment (repeatable)")
    parser.add_argument("--output", "-o", choices=FORMATS, default="text", help="output format")
    parser.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour text output (auto: on a terminal, unless NO_COLOR is set)",
    )


def _colour(choice: str, stdout: TextIO) -> bool:
    if choice != "auto":
        return choice == "always"
    return stdout.isatty() and not os.environ.get("NO_COLOR")


def run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    today, after = pending_render(Project(args.root), args.env)
    changes = resource_changes(today, after)
    stdout.write(format_changes(changes, args.output, colour=_colour(args.color, stdout)))
    return ExitCode.failed_if(bool(changes))
