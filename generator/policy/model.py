"""Typed, frozen views of Kyverno policies and the per-rule results the engine produces.

Built by ``generator.policy.load``; read by every other module of the engine. Raw YAML bodies
stay ``Mapping``s (never mutated); the dataclasses only name what the engine needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["FailureAction", "Policy", "Rule", "RuleResult", "Status"]

Status = Literal["pass", "fail", "skip", "warn", "error"]
FailureAction = Literal["Audit", "Enforce"]


@dataclass(frozen=True, slots=True)
class Rule:
    """One ``validate`` rule of a policy, or a rule Kyverno auto-generates from it."""

    name: str
    """Rule name as Kyverno reports it (``autogen-…`` for generated rules)."""
    match: Mapping[str, Any]
    """The ``match`` block (``any``/``all`` or a legacy ``resources`` block)."""
    exclude: Mapping[str, Any] | None
    """The ``exclude`` block, if any."""
    validate: Mapping[str, Any]
    """The ``validate`` block (pattern, anyPattern, deny, foreach, podSecurity, cel, message…)."""
    failure_action: FailureAction = "Audit"
    """``validate.failureAction`` or the policy's ``validationFailureAction`` (default Audit)."""
    action_overrides: tuple[Mapping[str, Any], ...] = ()
    """``failureActionOverrides`` (rule) or ``validationFailureActionOverrides`` (policy):
    ``{action, namespaces, namespaceSelector}`` entries that change the action per namespace."""
    preconditions: Any = None
    """``preconditions`` (list = all, or ``{any, all}``)."""
    cel_preconditions: tuple[Mapping[str, Any], ...] = ()
    """``celPreconditions`` (``{name, expression}``)."""
    context: tuple[Mapping[str, Any], ...] = ()
    """``context`` entries, evaluated in order before preconditions."""
    origin: str = ""
    """Name of the rule this one was generated from ('' for written rules)."""
    index: int = 0
    """Position in ``spec.rules`` (for error locations)."""
    kinds: frozenset[str] = field(default=frozenset())
    """Bare kinds this rule can match (``*`` when any): lets the engine index rules by kind."""
    mutate: Mapping[str, Any] | None = None
    """The ``mutate`` block of a mutate rule (``validate`` is then empty)."""

    @property
    def kind(self) -> str:
        """Which validation the rule carries: pattern, anyPattern, deny, foreach, podSecurity, cel."""
        for key in ("cel", "podSecurity", "deny", "pattern", "anyPattern", "foreach"):
            if key in self.validate:
                return key
        return ""


@dataclass(frozen=True, slots=True)
class Policy:
    """A ``ClusterPolicy`` or namespaced ``Policy`` with its (auto-generated) validate rules."""

    name: str
    kind: str
    """``ClusterPolicy`` or ``Policy``."""
    namespace: str
    """Namespace of a ``Policy``; '' for a ``ClusterPolicy``."""
    rules: tuple[Rule, ...]
    file: str = ""
    line: int = 1
    annotations: Mapping[str, str] = field(default_factory=dict)
    apply_one: bool = False
    """``spec.applyRules: One``: stop at the first rule that fails."""
    mutate_rules: tuple[Rule, ...] = ()
    """``mutate`` rules (written, then auto-generated), applied in order before validation."""
    unsupported_rules: tuple[tuple[str, str], ...] = ()
    """(rule, reason) of rules the offline engine cannot run (``generate``, ``verifyImages``,
    ``mutate.targets``): they answer ``error``, never a silent pass."""

    @property
    def scored(self) -> bool:
        """``policies.kyverno.io/scored: "false"`` turns fails into warns."""
        return str(self.annotations.get("policies.kyverno.io/scored", "true")).lower() != "false"


@dataclass(frozen=True, slots=True)
class RuleResult:
    """The outcome of one rule on one resource, as a Kyverno rule response."""

    policy: str
    rule: str
    status: Status
    message: str
    kind: str = ""
    namespace: str = ""
    name: str = ""
    failure_action: FailureAction = "Audit"
    path: tuple[str | int, ...] = ()
    """Path of the offending field, where the pattern engine knows it."""
    resource_index: int = -1
    """Position of the resource in the evaluated sequence."""
    context: tuple[tuple[tuple[str | int, ...], str], ...] = ()
    """(path, message) of each failed ``anyPattern`` alternative, most relevant first."""
