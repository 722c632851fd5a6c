"""Findings: what the schema validator, the policy engine and the cross-resource checks report.

Findings are data, never exceptions (cf. jsonschema's ``iter_errors``). Engines yield them lazily;
``exit_code`` turns a collection into ``ExitCode.OK`` or ``ExitCode.FINDINGS``. Formatting lives
in ``generator.gate.report``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal, Protocol

from generator.exitcode import ExitCode
from generator.location import Location

__all__ = ["Finding", "Severity", "exit_code", "finding_on", "json_path"]

Severity = Literal["error", "warning", "info"]


def json_path(yaml_path: tuple[str | int, ...]) -> str:
    """``("spec", "template", 0)`` → ``$.spec.template[0]``; odd keys are bracket-quoted."""
    out = "$"
    for part in yaml_path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.isidentifier():
            out += f".{part}"
        else:
            escaped = part.replace("\\", "\\\\").replace("'", "\\'")
            out += f"['{escaped}']"
    return out


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem in one document.

    ``rule`` is the schema keyword (``required``, ``cel``…), the ``policy/rule`` pair, or the
    cross-resource check's name. ``source`` points at the environment file line that produced the
    offending value, when the renderer's source map knows it.
    """

    file: str
    """Manifest file the document came from (as given, or relative to the project root)."""
    line: int | None
    """1-based line of the offending field, else of the document start."""
    column: int | None
    """1-based column of the offending field, where known."""
    yaml_path: tuple[str | int, ...]
    """Path from the document root to the offending value."""
    rule: str
    """Schema keyword, ``policy/rule`` or check name."""
    message: str
    """What is wrong, in plain words."""
    severity: Severity = "error"
    """``error`` fails the gate; ``warning`` (Audit policies, unknown kinds) is shown only."""
    kind: str = ""
    """Kind of the offending document."""
    namespace: str = ""
    """Namespace of the offending document ('' for cluster-scoped)."""
    name: str = ""
    """Name of the offending document."""
    source: Location | None = None
    """The environment-file line (``environments/<env>.yaml:line``) that produced the value, where known."""
    context: tuple[Finding, ...] = field(default=())
    """Child findings (e.g. one per failed ``anyPattern`` alternative)."""

    @property
    def json_path(self) -> str:
        """JSONPath of the offending value, e.g. ``$.spec.template.spec.containers[0]``."""
        return json_path(self.yaml_path)

    @property
    def location(self) -> Location:
        """Where the offending field is: ``file``, ``line`` and ``column`` as one value."""
        return Location(self.file, self.line, self.column)

    @property
    def resource(self) -> str:
        """``Kind namespace/name`` (or ``Kind name``) for messages."""
        ident = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.kind} {ident}".strip()


class _Subject(Protocol):
    """A parsed document or a rendered manifest: what a finding names."""

    @property
    def kind(self) -> str: ...
    @property
    def namespace(self) -> str: ...
    @property
    def name(self) -> str: ...


def finding_on(
    subject: _Subject,
    yaml_path: tuple[str | int, ...],
    rule: str,
    message: str,
    *,
    file: str,
    at: Location | None = None,
    severity: Severity = "error",
    source: Location | None = None,
) -> Finding:
    """A finding on ``subject`` (written in ``file``, at ``at`` when known): the one way to name it."""
    return Finding(
        file=file,
        line=at.line if at else None,
        column=at.column if at else None,
        yaml_path=yaml_path,
        rule=rule,
        message=message,
        severity=severity,
        kind=subject.kind,
        namespace=subject.namespace,
        name=subject.name,
        source=source,
    )


def exit_code(findings: Iterable[Finding]) -> ExitCode:
    """``FINDINGS`` if any finding is an error, else ``OK``: warnings never fail a gate."""
    return ExitCode.failed_if(any(f.severity == "error" for f in findings))
