"""``validate.podSecurity``: Pod Security Standards (baseline, restricted) on a pod spec.

Placeholder until the checks land: every podSecurity rule yields an ``error`` result naming the gap.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["evaluate"]


def evaluate(spec: Mapping[str, Any], resource: Mapping[str, Any], rule: str) -> Any:
    from generator.policy.validation import Outcome

    return Outcome("error", f"podSecurity is not implemented yet (rule {rule})")
