"""``policy apply`` one file at a time reports what evaluating every resource at once reports.

The reference below is the whole-set algorithm (every resource loaded, then mutated, then
validated, then CEL-checked); the command streams files and keeps only findings. Same findings in
the same order, same summary, same mutated output.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from generator.documents import load_paths
from generator.dump import dump
from generator.gate.report import get_formatter
from generator.policy import Admission, evaluate, result_to_finding
from generator.policy.findings import count_statuses
from generator.policy.kyverno_test import CLUSTER_SCOPED
from generator.policy.load import load_policy_documents, policies_from_documents
from generator.policy.match import UserInfo
from generator.policy.mutate import mutate_all
from generator.policy.values import Values
from generator.policy.vpol import CelAdmission, cel_policies_from_documents, evaluate_cel_policy

ROOT = Path(__file__).resolve().parents[2]

MUTATE_AND_VALIDATE = """
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: team-label}
spec:
  validationFailureAction: Enforce
  rules:
  - name: add-team
    match: {any: [{resources: {kinds: [Pod]}}]}
    mutate:
      patchStrategicMerge:
        metadata: {labels: {+(team): unknown}}
  - name: no-latest
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      message: latest tag is not allowed
      pattern: {spec: {containers: [{image: "!*:latest"}]}}
  - name: team-known
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      failureAction: Audit
      message: team must be set
      pattern: {metadata: {labels: {team: "!unknown"}}}
"""
CEL = """
apiVersion: policies.kyverno.io/v1alpha1
kind: ValidatingPolicy
metadata: {name: replicas}
spec:
  validationActions: [Deny]
  matchConstraints:
    resourceRules:
    - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [deployments]}
  validations:
  - expression: object.spec.replicas >= 2
    message: at least two replicas
"""


def _pod(name: str, image: str, team: str | None = None) -> str:
    labels = f"\n  labels: {{team: {team}}}" if team else ""
    return f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}{labels}\nspec:\n  containers: [{{name: c, image: {image}}}]\n"


def _deployment(name: str, replicas: int) -> str:
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: x}}\n"
        f"spec:\n  replicas: {replicas}\n  selector: {{matchLabels: {{a: b}}}}\n  template:\n"
        "    metadata: {labels: {a: b}}\n    spec: {containers: [{name: c, image: nginx:1.0}]}\n"
    )


def whole_set(policy_dir: Path, resources: Path, mutated: bool) -> str:
    """The JSON report (and mutated text) of the algorithm that holds every resource at once."""
    docs = load_policy_documents([str(policy_dir)])
    policies, cel_policies = policies_from_documents(docs), cel_policies_from_documents(docs)
    documents = load_paths([str(resources)])
    admission = Admission(operation="CREATE", user=UserInfo(), values=Values())
    results: list[Any] = []
    bodies = []
    for index, doc in enumerate(documents):
        body, mutations = mutate_all(policies, doc.body, admission)
        bodies.append(body)
        results += [(index, r) for r in mutations]
    results += [(r.resource_index, r) for r in evaluate(policies, bodies, admission)]
    cel_admission = CelAdmission("CREATE", UserInfo(), Values().namespaces, params=Values().params)
    for index, (doc, body) in enumerate(zip(documents, bodies, strict=True)):
        for p in cel_policies:
            namespaced = doc.kind not in CLUSTER_SCOPED
            results += [
                (index, r) for r in evaluate_cel_policy(p, body, cel_admission, namespaced=namespaced)
            ]
    findings = [
        result_to_finding(r, documents[i]) for i, r in results if r.status in ("fail", "warn", "error")
    ]
    summary = {
        "policies": len(policies) + len(cel_policies),
        "resources": len(documents),
        **count_statuses(r for _, r in results),
    }
    text = get_formatter("json")(findings, summary, tool="gitops-gen policy apply")
    return text + ("".join("---\n" + dump(b) for b in bodies) if mutated else "")


def test_streamed_apply_equals_the_whole_set(tree: Callable[[dict[str, str]], Path], cli: Any) -> None:
    root = tree(
        {
            "policies/p.yaml": MUTATE_AND_VALIDATE,
            "policies/cel.yaml": CEL,
            "res/a/pods.yaml": _pod("good", "nginx:1.0", "core") + "---\n" + _pod("bad", "nginx:latest"),
            "res/a/deploy.yaml": _deployment("one", 1),
            "res/b/more.yaml": _pod("late", "x:latest", "core") + "---\n" + _deployment("two", 3),
            "res/c/pod.yaml": _pod("plain", "nginx:2"),
        }
    )
    args = ["policy", "apply", "--policy", str(root / "policies"), "--resource", str(root / "res")]
    for mutated in (False, True):
        result = cli(*args, "--output", "json", *(["--mutated", "-"] if mutated else []))
        assert result.out == whole_set(root / "policies", root / "res", mutated)
        report = json.loads(result.out.split("\n---\n")[0] if mutated else result.out)
        rules = {f["rule"] for f in report["findings"]}
        assert {"team-label/no-latest", "team-label/team-known"} <= rules, rules
        assert any(r.startswith("replicas") for r in rules), rules
        assert report["summary"]["resources"] == 6


def test_shipped_policies_on_the_rendered_tree(cli: Any) -> None:
    """Every shipped policy (mutate and validate) over every rendered file, streamed and whole."""
    policies, rendered = ROOT / "policies", ROOT / "rendered"
    result = cli(
        "policy", "apply", "--policy", str(policies), "--resource", str(rendered), "--output", "json"
    )
    assert result.out == whole_set(policies, rendered, False)
