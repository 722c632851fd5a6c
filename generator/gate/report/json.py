"""``--output json``: ``{"findings": [...], "summary": {...}}``, a contract (keys only ever added)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from generator.findings import Finding
from generator.gate.report.common import finding_to_json

__all__ = ["format_json"]


def format_json(findings: Sequence[Finding], summary: Mapping[str, Any], *, tool: str) -> str:
    """Every finding's ``finding_to_json`` record and the summary, indented for diffs."""
    doc = {"findings": [finding_to_json(f) for f in findings], "summary": dict(summary)}
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"
