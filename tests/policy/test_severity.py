"""One severity rule for `policy apply` and the `check` gate: a rule that cannot be evaluated is an error."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from generator.gate.check import policy_findings, subjects_from_manifests
from generator.manifest import Manifest
from generator.policy.findings import severity

# A deny condition calling a function JMESPath does not have: the rule cannot be evaluated.
BROKEN = """
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: broken
spec:
  validationFailureAction: ACTION
  rules:
  - name: unknown-function
    match:
      any:
      - resources:
          kinds: [Pod]
    validate:
      message: "cannot be evaluated"
      deny:
        conditions:
          all:
          - key: "{{ nosuchfunction(request.object.metadata.name) }}"
            operator: Equals
            value: "x"
"""

POD = """
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: default}
spec:
  containers: [{name: c, image: nginx:1.0}]
"""


@pytest.mark.parametrize(
    ("status", "action", "expected"),
    [
        ("fail", "Enforce", "error"),
        ("fail", "Audit", "warning"),
        ("warn", "Enforce", "warning"),
        ("warn", "Audit", "warning"),
        ("error", "Enforce", "error"),
        ("error", "Audit", "error"),
        ("pass", "Enforce", None),
        ("skip", "Audit", None),
    ],
    ids=str,
)
def test_severity_of_each_result(status: str, action: str, expected: str | None) -> None:
    assert severity(status, action) == expected


@pytest.mark.parametrize("action", ["Enforce", "Audit"])
def test_policy_apply_and_check_agree_on_a_rule_error(cli, tree, action: str) -> None:
    root = tree({"policy.yaml": BROKEN.replace("ACTION", action), "pod.yaml": POD})
    applied = cli(
        "policy",
        "apply",
        "--policy",
        str(root / "policy.yaml"),
        "--resource",
        str(root / "pod.yaml"),
        "--output",
        "json",
    )
    assert applied.code == 1, applied.out
    assert [f["severity"] for f in json.loads(applied.out)["findings"]] == ["error"]

    body: Any = yaml.safe_load(BROKEN.replace("ACTION", action))
    subjects = subjects_from_manifests(
        [Manifest("dev", "main", "app", yaml.safe_load(POD)), Manifest("dev", "main", "platform", body)]
    )
    policies = [s for s in subjects if s.manifest.kind == "ClusterPolicy"]
    gated = policy_findings(subjects, policies)["broken"]
    assert [f.severity for f in gated] == ["error"]
