"""``gitops-gen config ENV [PATH] [--format text|json]``: the merged environment, each value's source.

Loads the environment as rendering does (its ``extends`` chain merged, schema defaults filled,
schema-checked) and prints every value with the file:line it came from: the environment, a tier,
``_defaults.yaml`` or a schema default. Parsing only: ``generator.explain`` does the work.
"""

from __future__ import annotations

import argparse
from typing import TextIO

from generator.exitcode import ExitCode
from generator.explain import explain, format_json, format_text
from generator.load import load_environment
from generator.pipeline import Project, selected_envs

__all__ = ["EXAMPLES", "HELP", "NAME", "add_arguments", "run"]

NAME = "config"
HELP = (
    "Explain an environment: every merged value (after extends and defaults) with the file:line it came from."
)
EXAMPLES = """
gitops-gen config prod                                 # everything, with its source
gitops-gen config prod 'services[ocr-worker].resources'  # one entry of a named list
gitops-gen config prod dns --format json              # machine-readable
"""
EXIT_1 = "not used"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("env", metavar="ENV", help="environment name (environments/ENV.yaml)")
    parser.add_argument(
        "path",
        metavar="PATH",
        nargs="?",
        default="",
        help="only values under this path, as printed: dns, services[ocr-worker].replicas, …",
    )
    parser.add_argument("--format", "-f", choices=("text", "json"), default="text", help="output format")


def run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    project = Project(args.root)
    (name,) = selected_envs(project, [args.env])
    loaded = load_environment(project.environments, name, shown_root=project.root)
    values = explain(loaded, args.path)
    stdout.write((format_json if args.format == "json" else format_text)(loaded, values))
    return ExitCode.OK
