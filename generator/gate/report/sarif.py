"""``--output sarif``: SARIF 2.1.0 for code scanning, with the environment line as a related location."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from generator.findings import Finding
from generator.gate.report.common import TOOL_URI, describe, tool_version

__all__ = ["format_sarif"]


def _sarif_related(f: Finding) -> dict[str, Any]:
    """The environment-file line behind a finding, as a SARIF related location (code scanning links it)."""
    if not f.source:
        return {}
    location: dict[str, Any] = {"artifactLocation": {"uri": f.source.file}}
    if f.source.line is not None:
        location["region"] = {"startLine": f.source.line}
    return {"relatedLocations": [{"id": 1, "physicalLocation": location, "message": {"text": "produced by"}}]}


def format_sarif(findings: Sequence[Finding], summary: Mapping[str, Any], *, tool: str) -> str:
    """One SARIF run: a result per finding, rules listed once, the summary left to the exit code."""
    rules = sorted({f.rule for f in findings})
    results = []
    for f in findings:
        region: dict[str, int] = {"startLine": f.line or 1}
        if f.column:
            region["startColumn"] = f.column
        results.append(
            {
                "ruleId": f.rule,
                "ruleIndex": rules.index(f.rule),
                "level": {"error": "error", "warning": "warning"}.get(f.severity, "note"),
                "message": {"text": describe(f)},
                "locations": (
                    [{"physicalLocation": {"artifactLocation": {"uri": f.file}, "region": region}}]
                    if f.file
                    else []  # a usage error belongs to no file
                ),
                **_sarif_related(f),
            }
        )
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": tool,
                        "version": tool_version(),
                        "informationUri": TOOL_URI,
                        "rules": [{"id": r, "shortDescription": {"text": r}} for r in rules],
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(doc, indent=2) + "\n"
