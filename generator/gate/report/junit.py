"""The one JUnit XML writer: test cases in, one ``<testsuites>`` document out.

``check`` (a case per check scope), ``validate``/``policy apply`` (a case per finding) and
``policy test`` (a case per expected result) build ``Case`` records; only this module knows the
XML, so every JUnit file gitops-gen writes has the same shape and the same escaping (attributes
through ``quoteattr``, text through ``escape``). Pure: returns text, writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from generator.findings import Finding
from generator.gate.report.common import TOOL_NAME

__all__ = ["Case", "format_junit", "format_junit_scopes", "junit_xml"]


@dataclass(frozen=True, slots=True)
class Case:
    """One ``<testcase>``: failed when ``failure`` (its message) is set."""

    classname: str
    """Groups cases in a CI dashboard (a file, ``env/cluster`` or test file)."""
    name: str
    """The case within its class (a check, a resource and rule)."""
    failure: str | None = None
    """The failure message; ``None`` for a passed case."""
    text: str = ""
    """The failure's body, or ``<system-out>`` of a passed case (warnings); '' for none."""


def _case(case: Case) -> list[str]:
    from xml.sax.saxutils import escape, quoteattr

    head = f"    <testcase classname={quoteattr(case.classname)} name={quoteattr(case.name)}"
    if case.failure is None and not case.text:
        return [head + "/>"]
    if case.failure is not None:
        inner = f"      <failure message={quoteattr(case.failure)}>{escape(case.text)}</failure>"
    else:
        inner = f"      <system-out>{escape(case.text)}</system-out>"
    return [head + ">", inner, "    </testcase>"]


def junit_xml(tool: str, cases: Sequence[Case]) -> str:
    """A JUnit document with one suite named ``tool`` holding ``cases`` in order."""
    # imported here: 25 ms of start-up (saxutils imports urllib.request) only a JUnit report pays
    from xml.sax.saxutils import quoteattr

    failures = sum(1 for c in cases if c.failure is not None)
    counts = f'tests="{len(cases)}" failures="{failures}"'
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f"<testsuites name={quoteattr(tool)} {counts}>",
        f"  <testsuite name={quoteattr(tool)} {counts}>",
    ]
    for case in cases:
        out += _case(case)
    out += ["  </testsuite>", "</testsuites>"]
    return "\n".join(out) + "\n"


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
