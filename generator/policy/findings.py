"""Rule results → ``Finding`` records for ``policy apply`` and the CI gate.

A ``fail`` (or ``warn``/``error``) becomes a finding: ``rule`` is ``policy/rule``, ``message`` is
Kyverno's, ``yaml_path`` the failing field where the pattern engine knows it. ``severity`` is the
one mapping from a result to a severity, used by ``policy apply`` and the ``check`` gate alike.
Line numbers are located lazily, only for the findings produced.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace

from generator.documents import Document, locate
from generator.findings import Finding, Severity
from generator.location import Location
from generator.policy.engine import Admission, evaluate
from generator.policy.model import Policy, RuleResult

__all__ = ["count_statuses", "iter_findings", "result_to_finding", "severity"]


def severity(status: str, failure_action: str) -> Severity | None:
    """Kyverno result → finding severity (``None``: no finding), for ``policy apply`` and ``check``.

    A ``fail`` blocks only under Enforce; under Audit it is a warning, as ``kyverno apply
    --audit-warn`` prints it. A ``warn`` result is a warning. An ``error`` (the rule could not be
    evaluated: bad CEL, a missing context variable) is an error whatever the action: it proves
    nothing about the resource, so passing it silently would let anything through. Kyverno's CLI
    likewise exits non-zero on rule errors with or without ``--audit-warn``.
    """
    if status == "fail":
        return "error" if failure_action == "Enforce" else "warning"
    if status == "error":
        return "error"
    if status == "warn":
        return "warning"
    return None


def _finding(result: RuleResult, doc: Document | None, path: tuple[str | int, ...], message: str) -> Finding:
    """A finding about ``result``'s resource at ``path``, located in ``doc`` when given."""
    yaml_path = tuple(p for p in path if p != "")
    at = locate(doc, yaml_path) if doc is not None else Location("")
    return Finding(
        file=at.file,
        line=at.line,
        column=at.column,
        yaml_path=yaml_path,
        rule=f"{result.policy}/{result.rule}" if result.rule else result.policy,
        message=message,
        severity=severity(result.status, result.failure_action) or "error",
        kind=result.kind,
        namespace=result.namespace,
        name=result.name,
    )


def result_to_finding(result: RuleResult, doc: Document | None = None) -> Finding:
    """One failing/erroring rule result as a ``Finding``; ``anyPattern`` alternatives become its context."""
    message = result.message if result.status != "error" else f"rule error: {result.message}"
    children = tuple(_finding(result, doc, path, text) for path, text in result.context)
    return replace(_finding(result, doc, result.path, message), context=children)


def iter_findings(
    policies: Sequence[Policy], documents: Sequence[Document], admission: Admission | None = None
) -> Iterator[Finding]:
    """Lazily yield a finding for every fail/warn/error result of ``policies`` on ``documents``."""
    for result in evaluate(policies, documents, admission or Admission()):
        if result.status in ("fail", "warn", "error"):
            yield result_to_finding(result, documents[result.resource_index])


def count_statuses(results: Iterable[RuleResult]) -> dict[str, int]:
    """``{"pass": n, "fail": n, "warn": n, "error": n, "skip": n}`` for a summary line."""
    counts = dict.fromkeys(("pass", "fail", "warn", "error", "skip"), 0)
    for r in results:
        counts[r.status] += 1
    return counts
