"""Best match first: the order in which one document's findings are shown.

When one mistake causes many findings (a misspelt field is both an unknown field and a missing
required one; a wrong type fails ``anyOf`` and blocks the CEL rules), the most telling one should
come first. Like jsonschema's ``best_match`` this is a heuristic with a documented key, not a proof:

1. errors before warnings;
2. shallower paths first (a problem near the root explains the ones below it);
3. then by keyword strength: an unknown field or a wrong type says more than the ``required`` it
   caused, structural keywords say more than CEL rules, and the weak keywords (``anyOf``/``oneOf``,
   whose message is only "not valid under any of the schemas") and the "not evaluated" notes last;
4. then path, rule and message as text, so the order never depends on the order of the input.
"""

from __future__ import annotations

from collections.abc import Iterable

from generator.findings import Finding

__all__ = ["best_first", "relevance"]

_STRONG = {"additionalProperties": 0, "type": 1, "enum": 2, "required": 3}
_WEAK = {"anyOf", "oneOf", "not", "else"}


def _rank(rule: str) -> int:
    if rule in _STRONG:
        return _STRONG[rule]
    if rule in _WEAK:
        return 8
    if rule in ("unknown-kind", "cel-skipped"):
        return 9
    if rule.startswith("cel"):
        return 6
    return 5


def relevance(f: Finding) -> tuple[int, int, int, str, str, str]:
    """Sort key (smaller is more relevant) for findings of one document."""
    return (
        0 if f.severity == "error" else 1,
        len(f.yaml_path),
        _rank(f.rule),
        f.json_path,
        f.rule,
        f.message,
    )


def best_first(findings: Iterable[Finding]) -> list[Finding]:
    """``findings`` of one document, most relevant first (stable against input order)."""
    return sorted(findings, key=relevance)
