"""The gate's output formats, one module and one writer each.

Findings → text for people, JSON for tools, JUnit for CI, SARIF 2.1.0, GitHub annotations.

Formatter objects, not if-chains (cf. jsonschema's CLI): ``FORMATS`` maps each ``--output`` name to
a function taking the whole list of findings and a summary mapping (counts, warnings) and
returning the text to print. What the formats share (the JSON record of a finding, the tool's
version, user errors as findings) lives in ``common``.
"""

from __future__ import annotations

from generator.gate.report.common import Formatter, error_findings, finding_to_json, tool_version
from generator.gate.report.github import format_github
from generator.gate.report.json import format_json
from generator.gate.report.junit import format_junit, format_junit_scopes
from generator.gate.report.sarif import format_sarif
from generator.gate.report.text import format_text

__all__ = [
    "FORMATS",
    "Formatter",
    "error_findings",
    "finding_to_json",
    "format_junit_scopes",
    "get_formatter",
    "tool_version",
]

FORMATS: dict[str, Formatter] = {
    "text": format_text,
    "json": format_json,
    "junit": format_junit,
    "sarif": format_sarif,
    "github": format_github,
}


def get_formatter(name: str) -> Formatter:
    """The formatter registered under ``name`` (the CLI restricts choices beforehand)."""
    return FORMATS[name]
