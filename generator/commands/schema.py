"""``gitops-gen schema [--format json|markdown]``: the environment-file JSON Schema, or its reference page."""

from __future__ import annotations

import argparse
import json
from typing import TextIO

from generator.exitcode import ExitCode
from generator.load import env_schema

NAME = "schema"
HELP = "Print the JSON Schema of environments/*.yaml (or, with --format markdown, its reference page)."
EXAMPLES = """
gitops-gen schema > env.schema.json
gitops-gen schema --format markdown > docs/environment-reference.md   # what `make docs` runs
"""
EXIT_1 = "not used"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        choices=("json", "markdown"),
        default="json",
        help="json: the schema (editors, CI); markdown: docs/environment-reference.md (`make docs`)",
    )


def run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    if args.format == "markdown":
        from generator.envdoc import reference_markdown

        stdout.write(reference_markdown(env_schema()))
    else:
        stdout.write(json.dumps(env_schema(), indent=2) + "\n")
    return ExitCode.OK
