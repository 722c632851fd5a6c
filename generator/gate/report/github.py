"""``--output github``: workflow commands that annotate the pull request on the environment line."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from generator.findings import Finding
from generator.gate.report.common import describe

__all__ = ["format_github"]


def _gh_escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_property(text: str) -> str:
    """Workflow-command property values also escape ``:`` and ``,`` (they delimit properties)."""
    return _gh_escape(text).replace(":", "%3A").replace(",", "%2C")


def format_github(findings: Sequence[Finding], summary: Mapping[str, Any], *, tool: str) -> str:
    """GitHub workflow commands on the environment-file line when the source map knows it.

    That line is what the author changes, so the annotation sits in the pull request's diff; the
    message still names the rendered file, resource and field.
    """
    lines = []
    for f in findings:
        level = "error" if f.severity == "error" else "warning"
        file, line = f.file, f.line
        where = f"{f.location}: " if f.source else ""
        if f.source:
            file, line = f.source.file, f.source.line
        props = ",".join(
            [
                *([f"file={_gh_property(file)}"] if file else []),
                *([f"line={line}"] if file and line else []),
                f"title={_gh_property(f.rule)}",
            ]
        )
        text = f"{where}{describe(f)}"
        lines.append(f"::{level} {props}::{_gh_escape(text)}")
    lines.append(f"{tool}: " + ", ".join(f"{k}: {v}" for k, v in summary.items()))
    return "\n".join(lines) + "\n"
