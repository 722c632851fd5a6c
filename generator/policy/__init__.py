"""The offline Kyverno engine (issue 4): policies + resources → per-rule results, as real Kyverno.

Public surface used by the CLI and the CI gate: ``load_policies``, ``evaluate`` (lazy
``RuleResult``s), ``iter_findings``/``result_to_finding`` (fails as ``Finding``s) and the
``kyverno test`` runner ``run_tests``. Everything else in the package is internal.
"""

from generator.policy.engine import Admission, evaluate, evaluate_policy
from generator.policy.findings import iter_findings, result_to_finding
from generator.policy.kyverno_test import TestRow, run_tests
from generator.policy.load import load_policies
from generator.policy.match import UserInfo
from generator.policy.model import Policy, Rule, RuleResult

__all__ = [
    "Admission",
    "Policy",
    "Rule",
    "RuleResult",
    "TestRow",
    "UserInfo",
    "evaluate",
    "evaluate_policy",
    "iter_findings",
    "load_policies",
    "result_to_finding",
    "run_tests",
]
