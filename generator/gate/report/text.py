"""``--output text``: one line per finding for people, the environment line behind it, a summary."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from generator.findings import Finding

__all__ = ["RULE_WIDTH", "format_text"]

RULE_WIDTH = 100
"""Text output shortens rules (a CEL rule can run to 2,000 characters); JSON and SARIF keep them whole."""


def _short(rule: str) -> str:
    return rule if len(rule) <= RULE_WIDTH else rule[: RULE_WIDTH - 1] + "…"


def format_text(findings: Sequence[Finding], summary: Mapping[str, Any], *, tool: str) -> str:
    """``file:line:col: severity: resource: $.path: message [rule]`` per finding, then the summary."""
    lines: list[str] = []
    for f in findings:
        lines.append(
            f"{f.location}: {f.severity}: {f.resource}: {f.json_path}: {f.message} [{_short(f.rule)}]"
        )
        if f.source:
            lines.append(f"  from {f.source}")
        lines.extend(f"    - {c.json_path}: {c.message}" for c in f.context)
    parts = ", ".join(f"{k}: {v}" for k, v in summary.items())
    lines.append(f"{tool}: {parts}" if parts else tool)
    return "\n".join(lines) + "\n"
