"""Formatters: findings → text for people, JSON for tools, JUnit for CI, SARIF 2.1.0, GitHub annotations.

Formatter objects, not if-chains (cf. jsonschema's CLI). Each takes the whole list of findings and
a summary mapping (counts, warnings) and returns the text to print. The JSON shape is a contract:
``{"findings": [...], "summary": {...}}`` with the keys of ``finding_to_json``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from generator.errors import GeneratorError
from generator.findings import Finding
from generator.gate.junit import Case, junit_xml

__all__ = [
    "FORMATS",
    "Formatter",
    "error_findings",
    "finding_to_json",
    "format_junit_scopes",
    "get_formatter",
    "tool_version",
]

TOOL_NAME = "gitops-gen"
TOOL_URI = "https://example.invalid/gitops-gen"


class Formatter(Protocol):
    def __call__(self, findings: Sequence[Finding], summary: Mapping[str, Any], *, tool: str) -> str: ...


def tool_version() -> str:
    """The installed gitops-gen version (``--version``, SARIF's ``tool.driver.version``)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("gitops-gen")
    except PackageNotFoundError:  # pragma: no cover - a tree that was never installed
        return "0+unknown"


def error_findings(error: GeneratorError) -> list[Finding]:
    """A user error (and the others found with it) as findings, so tools see it like any other.

    ``rule`` is the error class (``env-file``, ``usage``…); the hint joins the message.
    """
    return [
        Finding(
            file=e.path or "",
            line=e.line,
            column=e.column,
            yaml_path=e.yaml_path,
            rule=e.rule,
            message=f"{e.message} (hint: {e.hint})" if e.hint else e.message,
        )
        for e in error.all
    ]


def _what(f: Finding) -> str:
    """``Kind ns/name: $.path: message``, leaving out the parts a finding does not have."""
    parts = [f.resource] if f.resource else []
    if f.yaml_path or f.resource:
        parts.append(f.json_path)
    return ": ".join([*parts, f.message])


def finding_to_json(f: Finding) -> dict[str, Any]:
    """The stable JSON record of one finding."""
    return {
        "file": f.file,
        "line": f.line,
        "column": f.column,
        "kind": f.kind,
        "namespace": f.namespace,
        "name": f.name,
        "json_path": f.json_path,
        "rule": f.rule,
        "message": f.message,
        "severity": f.severity,
        "source": str(f.source) if f.source is not None else None,
        "context": [finding_to_json(c) for c in f.context],
    }


RULE_WIDTH = 100
"""Text output shortens rules (a CEL rule can run to 2,000 characters); JSON and SARIF keep them whole."""


def _short(rule: str) -> str:
    return rule if len(rule) <= RULE_WIDTH else rule[: RULE_WIDTH - 1] + "…"


def format_text(findings: Sequence[Finding], summary: Mapping[str, Any], *, tool: str) -> str:
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


def format_json(findings: Sequence[Finding], summary: Mapping[str, Any], *, tool: str) -> str:
    doc = {"findings": [finding_to_json(f) for f in findings], "summary": dict(summary)}
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"


def format_junit(findings: Sequence[Finding], summary: Mapping[str, Any], *, tool: str) -> str:
    """One case per finding: errors fail, warnings are the case's output."""
    cases = [
        Case(
            classname=f.file,
            name=f"{f.resource} {f.json_path} [{f.rule}]",
            failure=f.message if f.severity == "error" else None,
            text=str(f.location) if f.severity == "error" else f"{f.severity}: {f.message}",
        )
        for f in findings
    ]
    return junit_xml(tool, cases or [Case(classname=TOOL_NAME, name="no findings")])


def _sarif_related(f: Finding) -> dict[str, Any]:
    """The environment-file line behind a finding, as a SARIF related location (code scanning links it)."""
    if not f.source:
        return {}
    location: dict[str, Any] = {"artifactLocation": {"uri": f.source.file}}
    if f.source.line is not None:
        location["region"] = {"startLine": f.source.line}
    return {"relatedLocations": [{"id": 1, "physicalLocation": location, "message": {"text": "produced by"}}]}


def format_sarif(findings: Sequence[Finding], summary: Mapping[str, Any], *, tool: str) -> str:
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
                "message": {"text": _what(f)},
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
        text = f"{where}{_what(f)}"
        lines.append(f"::{level} {props}::{_gh_escape(text)}")
    lines.append(f"{tool}: " + ", ".join(f"{k}: {v}" for k, v in summary.items()))
    return "\n".join(lines) + "\n"


def format_junit_scopes(scopes: Mapping[str, Sequence[Finding]], *, tool: str) -> str:
    """JUnit with one test case per check scope (``env/cluster/check``), failed by its errors.

    Unlike ``format_junit`` (one case per finding), passing checks show up as passed cases, so a
    CI dashboard lists every check that ran.
    """
    cases = []
    for name, fs in scopes.items():
        classname, _, case = name.rpartition("/") if name.count("/") > 1 else ("", "", name)
        errors = [f for f in fs if f.severity == "error"]
        body = "\n".join(
            f"{f.location}: {f.severity}: {f.resource}: {f.json_path}: {f.message} [{f.rule}]"
            + (f" (from {f.source})" if f.source else "")
            for f in fs
        )
        failure = errors[0].message if errors else None
        cases.append(Case(classname=classname or tool, name=case, failure=failure, text=body))
    return junit_xml(tool, cases)


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
