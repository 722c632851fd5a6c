"""What every output format shares: the finding's JSON record, its one-line description, the tool.

``finding_to_json`` is a contract (keys are only ever added); ``error_findings`` turns a user error
into findings so machine-readable output carries it like any other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from generator.errors import GeneratorError
from generator.findings import Finding

__all__ = [
    "TOOL_NAME",
    "TOOL_URI",
    "Formatter",
    "describe",
    "error_findings",
    "finding_to_json",
    "tool_version",
]

TOOL_NAME = "gitops-gen"
TOOL_URI = "https://example.invalid/gitops-gen"


class Formatter(Protocol):
    """Findings and a summary in, the text to print out."""

    def __call__(  # noqa: D102 - the class says what it does
        self, findings: Sequence[Finding], summary: Mapping[str, Any], *, tool: str
    ) -> str: ...


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


def describe(f: Finding) -> str:
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
