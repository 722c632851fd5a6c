"""``gitops-gen render [--env NAME]... [--check] [--output FORMAT] [--root DIR]``.

Text output lists what changed (``-v`` also what is identical) and one summary line. JSON output is
``{"changes": [{"path", "action"}], "findings": [...], "summary": {...}}``; with ``--check`` each
stale file is also a ``render-drift`` finding, which junit/sarif/github report as ``check`` does.
Environment-file and usage errors (exit 2) reach every machine format as findings (``generator.cli``).
"""

from __future__ import annotations

import argparse
import json
from typing import Literal, TextIO

from generator.exitcode import ExitCode
from generator.pipeline import Project, render

#: How --check names what it finds: a file the render would create is missing, and so on.
CHECK_LABELS = {"create": "missing", "update": "stale", "delete": "extra"}
ACTIONS: tuple[Literal["create", "update", "delete"], ...] = ("create", "update", "delete")

NAME = "render"
HELP = "Render environments/ into rendered/ (or, with --check, report drift and exit 1)."
EXAMPLES = """
gitops-gen render                      # every environment; prints what changed and a summary
gitops-gen render --env prod --check   # write nothing; list missing/stale/extra files with a diff
gitops-gen render --output json        # the changes as JSON (for tools)
"""
EXIT_1 = "rendered/ is stale (--check only)"
OUTPUTS = ("text", "json", "junit", "sarif", "github")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--env", action="append", metavar="NAME", help="only this environment (repeatable)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if rendered/ is stale")
    parser.add_argument("--output", "-o", choices=OUTPUTS, default="text", help="output format")


def run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    report = render(Project(args.root), args.env, check=args.check, progress=args.progress)
    counts: dict[str, int] = {a: report.count(a) for a in ACTIONS}
    counts["identical"] = report.count("identical")
    summary = {**counts, "check": args.check, "drift": report.drift}
    if args.output != "text":
        from generator.gate.check import drift_findings
        from generator.gate.report import finding_to_json, get_formatter

        findings = list(drift_findings(report.changes)) if args.check else []
        if args.output == "json":
            doc = {
                "changes": [
                    {"path": c.path, "action": c.action} for c in report.changes if c.action != "identical"
                ],
                "findings": [finding_to_json(f) for f in findings],
                "summary": summary,
            }
            stdout.write(json.dumps(doc, indent=2) + "\n")
        else:
            stdout.write(get_formatter(args.output)(findings, summary, tool="gitops-gen render"))
    else:
        verb = "would " if args.check else ""
        for change in report.changes:
            if change.action == "identical" and not args.verbose:
                continue
            label = CHECK_LABELS.get(change.action, change.action) if args.check else change.action
            note = f" ({change.note})" if change.note else ""
            stdout.write(f"{label:9} {change.path}{note}\n")
            if change.diff:
                stdout.write(change.diff + "\n")
        line = ", ".join(f"{counts[a]} {verb}{a}" for a in ACTIONS if counts[a])
        stdout.write(f"render: {line or 'up to date'} ({counts['identical']} identical)\n")
    if report.count("foreign"):
        stderr.write(
            f"note: kept {report.count('foreign')} foreign file(s) in rendered/ that no environment "
            "renders; Argo CD syncs them, so `gitops-gen check` validates and policy-checks them too\n"
        )
    if args.check and report.drift:
        stderr.write("rendered/ is stale: run `make render` and commit the result\n")
        return ExitCode.FINDINGS
    return ExitCode.OK
