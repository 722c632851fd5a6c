"""``gitops-gen check [--env NAME]... [--crd-dir DIR]... [--charts-dir DIR] [--policies DIR]... [-o FORMAT]``.

The CI gate.

Parses flags and delegates to ``generator.pipeline.check``. Exit codes: 0 every check passed
(warnings allowed), 1 findings (drift, invalid manifests, Enforce policy failures, cross-resource
inconsistencies), 2 user errors (bad environment file, no CRD directory), raised as
``GeneratorError`` and printed by ``generator.cli.run``.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TextIO

from generator.commands.validate import add_crd_dir_option, default_crd_dirs
from generator.errors import UsageError
from generator.findings import exit_code
from generator.gate.report import FORMATS, get_formatter
from generator.pipeline import Project, check

__all__ = ["HELP", "NAME", "add_arguments", "charts_directory", "run"]

NAME = "check"
HELP = (
    "Prove rendered/: render --check, validate --strict, the rendered Kyverno policies and the "
    "cross-resource checks (exit 1 on findings)."
)
OUTPUTS = ("text", "json", "junit", "sarif", "github")
EXAMPLES = """
gitops-gen check --crd-dir ../shared/crds                 # what `make check` and CI run
gitops-gen check --env prod --output github               # annotations on the environment lines
gitops-gen check --output sarif > gitops-gen.sarif        # for code scanning
gitops-gen check --policies team-policies/                # also a team's own policies (not deployed)
"""
EXIT_1 = "a check failed: drift, invalid manifest, Enforce policy or cross-resource error"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--env", action="append", metavar="NAME", help="only this environment (repeatable)")
    add_crd_dir_option(parser)
    parser.add_argument(
        "--charts-dir",
        metavar="DIR",
        help="pinned Helm charts' values, <DIR>/<chart>/<version>/values.yaml, read in place "
        "(default: $GITOPS_GEN_CHARTS, else ../shared/charts beside the project root)",
    )
    parser.add_argument(
        "--policies",
        action="append",
        default=[],
        metavar="DIR",
        help="a team's additional Kyverno policies (YAML files under DIR), evaluated on every cluster "
        "with the rendered ones but never rendered or deployed (repeatable)",
    )
    parser.add_argument("--output", "-o", choices=OUTPUTS, default="text", help="output format")


def charts_directory(given: str | None, root: Path = Path(".")) -> str:
    """``--charts-dir``, else ``$GITOPS_GEN_CHARTS``, else ``<root>/../shared/charts``; it must exist.

    Raises:
        UsageError: the directory does not exist (operator values could not be checked).
    """
    chosen = given or os.environ.get("GITOPS_GEN_CHARTS") or str(root / ".." / "shared" / "charts")
    if not Path(chosen).is_dir():
        raise UsageError(
            f"charts directory {chosen} does not exist: operator Helm values cannot be checked",
            path=chosen,
            hint="pass --charts-dir ../shared/charts or set GITOPS_GEN_CHARTS (make check does)",
        )
    return chosen


def run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    crd_dirs = default_crd_dirs(args.crd_dir, args.root)
    if not crd_dirs:
        raise UsageError(
            "no CRD directory: custom resources cannot be validated",
            hint="pass --crd-dir ../shared/crds or set GITOPS_GEN_CRDS (make check does)",
        )
    for d in crd_dirs:
        if not Path(d).is_dir():
            raise UsageError(f"CRD directory {d} does not exist", path=d, hint="pass --crd-dir DIR")
    charts_dir = charts_directory(args.charts_dir, args.root)
    result = check(
        Project(args.root),
        args.env,
        crd_dirs=crd_dirs,
        charts_dir=charts_dir,
        progress=args.progress,
        policy_dirs=args.policies,
    )
    assert args.output in FORMATS
    summary = result.summary()
    if args.output == "junit":
        from generator.gate.report import format_junit_scopes

        stdout.write(
            format_junit_scopes(
                {s.id: result.scopes[s] for s in sorted(result.scopes)}, tool="gitops-gen check"
            )
        )
    else:
        stdout.write(get_formatter(args.output)(result.findings, summary, tool="gitops-gen check"))
    code = exit_code(result.findings)
    if args.verbose:
        for scope in sorted(result.scopes):
            failed = any(f.severity == "error" for f in result.scopes[scope])
            stderr.write(f"{'FAIL' if failed else 'ok  '} {scope.id}\n")
    if code and args.output != "text":
        stderr.write(
            f"gitops-gen check: {summary['errors']} error(s) in {summary['failed_checks']} check(s)\n"
        )
    return code
