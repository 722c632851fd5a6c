"""Which of several ``anyPattern`` failures to show first: a documented heuristic.

When every alternative of an ``anyPattern`` fails, each failure is kept (a finding's ``context``),
and one is promoted to the rule's own path. Relevance is the tuple ``(len(path), index)``: the
alternative that failed closest to the document root is the most useful to read first (it names
the largest missing piece; cf. jsonschema's ``best_match``, which also prefers shallow errors), and
ties go to the alternative written first. It is a heuristic, not a proof of intent. The order of
the input does not change the answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Alternative", "best_match", "by_relevance"]


@dataclass(frozen=True, slots=True)
class Alternative:
    """One failed ``anyPattern`` alternative."""

    index: int
    """Position in ``anyPattern``."""
    path: tuple[str | int, ...]
    """Where it failed (empty when the failure has no path, e.g. an error)."""
    message: str


def by_relevance(alternative: Alternative) -> tuple[int, int]:
    """Sort key: shallower failure first, then the alternative written first."""
    return (len(alternative.path) if alternative.path else 10**6, alternative.index)


def best_match(alternatives: Iterable[Alternative]) -> Alternative | None:
    """The most relevant alternative, or ``None`` when there is none."""
    return min(alternatives, key=by_relevance, default=None)
