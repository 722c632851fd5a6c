"""The one JUnit XML writer: test cases in, one ``<testsuites>`` document out.

``check`` (a case per check scope), ``validate``/``policy apply`` (a case per finding) and
``policy test`` (a case per expected result) build ``Case`` records; only this module knows the
XML, so every JUnit file gitops-gen writes has the same shape and the same escaping (attributes
through ``quoteattr``, text through ``escape``). Pure: returns text, writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

__all__ = ["Case", "junit_xml"]


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
