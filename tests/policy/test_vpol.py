"""ValidatingPolicy / ValidatingAdmissionPolicy: matching, conditions, validations, autogen, bindings."""

from __future__ import annotations

import json
from typing import Any

import pytest

from generator.documents import Document
from generator.errors import PolicyLoadError
from generator.policy.vpol import CelAdmission, cel_policies_from_documents, evaluate_cel_policy
from generator.policy.vpol.match import CelRequest, constraints_match, kind_to_resource
from tests.policy.helpers import pod

PODS = {"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"], "resources": ["pods"]}


def vpol(name: str = "p", *, rules: list[dict[str, Any]] | None = None, **spec: Any) -> dict[str, Any]:
    spec.setdefault("matchConstraints", {"resourceRules": rules or [PODS]})
    spec.setdefault("validations", [{"expression": "object.metadata.name != 'bad'", "message": "bad name"}])
    return {
        "apiVersion": "policies.kyverno.io/v1",
        "kind": "ValidatingPolicy",
        "metadata": {"name": name},
        "spec": spec,
    }


def load(*bodies: dict[str, Any]):
    return cel_policies_from_documents(Document("p.yaml", i, 1, b) for i, b in enumerate(bodies))


def status(
    body: dict[str, Any], resource: dict[str, Any], admission: CelAdmission | None = None, **kw: Any
) -> str | None:
    (policy,) = [p for p in load(body, *kw.pop("extra", ())) if p.name == body["metadata"]["name"]]
    results = evaluate_cel_policy(policy, resource, admission or CelAdmission(), **kw)
    return results[0].status if results else None


def deployment(name: str = "web", labels: dict[str, str] | None = None, replicas: int = 1) -> dict[str, Any]:
    tmpl = pod(name)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "default", "labels": labels or {}},
        "spec": {"replicas": replicas, "template": {"metadata": {"name": name}, "spec": tmpl["spec"]}},
    }


@pytest.mark.parametrize(
    ("kind", "plural"),
    [
        ("Pod", "pods"),
        ("NetworkPolicy", "networkpolicies"),
        ("Ingress", "ingresses"),
        ("Gateway", "gateways"),
    ],
)
def test_kind_to_resource(kind: str, plural: str) -> None:
    assert kind_to_resource(kind) == plural


def test_pass_and_fail_with_message() -> None:
    assert status(vpol(), pod("good")) == "pass"
    (policy,) = load(vpol())
    (result,) = evaluate_cel_policy(policy, pod("bad"))
    assert (result.status, result.message, result.rule) == ("fail", "bad name", "")


def test_message_expression_wins() -> None:
    body = vpol(validations=[{"expression": "false", "messageExpression": "'name ' + object.metadata.name"}])
    (result,) = evaluate_cel_policy(load(body)[0], pod("x"))
    assert result.message == "name x"


def test_not_matched_gives_no_response() -> None:
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "namespace": "default"}}
    assert status(vpol(), svc) is None


def test_operation_must_match() -> None:
    assert status(vpol(), pod("bad"), CelAdmission(operation="DELETE")) is None


def test_exclude_resource_rules() -> None:
    body = vpol(rules=[PODS])
    body["spec"]["matchConstraints"]["excludeResourceRules"] = [dict(PODS, resourceNames=["bad"])]
    assert status(body, pod("bad")) is None


def test_namespace_and_object_selectors() -> None:
    constraints = {
        "resourceRules": [PODS],
        "namespaceSelector": {"matchLabels": {"env": "prod"}},
        "objectSelector": {"matchExpressions": [{"key": "app", "operator": "Exists"}]},
    }
    labelled = pod("p", labels={"app": "x"})
    assert constraints_match(constraints, CelRequest(labelled, namespace_labels={"env": "prod"}))
    assert not constraints_match(constraints, CelRequest(labelled, namespace_labels={"env": "dev"}))
    assert not constraints_match(constraints, CelRequest(pod("p"), namespace_labels={"env": "prod"}))


def test_match_conditions_false_is_skip_error_is_error() -> None:
    assert status(vpol(matchConditions=[{"name": "c", "expression": "false"}]), pod("bad")) == "skip"
    assert status(vpol(matchConditions=[{"name": "c", "expression": "object.nope.x"}]), pod("bad")) == "error"


def test_runtime_error_is_error_not_fail() -> None:
    assert status(vpol(validations=[{"expression": "object.spec.nope == 1"}]), pod()) == "error"


def test_variables_are_lazy_and_shared() -> None:
    body = vpol(
        variables=[{"name": "n", "expression": "object.metadata.name"}],
        validations=[{"expression": "variables.n == 'ok'"}],
    )
    assert status(body, pod("ok")) == "pass"
    assert status(body, pod("no")) == "fail"


def test_delete_reads_old_object() -> None:
    body = vpol(
        rules=[dict(PODS, operations=["DELETE"])],
        validations=[{"expression": "object == null && oldObject.metadata.name != 'bad'"}],
    )
    assert status(body, pod("bad"), CelAdmission(operation="DELETE")) == "fail"
    assert status(body, pod("ok"), CelAdmission(operation="DELETE")) == "pass"


def test_autogen_covers_controllers_and_cronjobs() -> None:
    body = vpol(validations=[{"expression": "object.spec.containers.all(c, c.image.contains(':'))"}])
    good, bad = deployment("good"), deployment("bad")
    bad["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx"
    assert status(body, good) == "pass"
    assert status(body, bad) == "fail"
    cron = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "c", "namespace": "default"},
        "spec": {"jobTemplate": {"spec": {"template": bad["spec"]["template"]}}},
    }
    assert status(body, cron) == "fail"


def test_autogen_limited_to_listed_controllers() -> None:
    body = vpol(autogen={"podControllers": {"controllers": ["CronJob"]}})
    assert status(body, deployment()) is None


def test_scored_false_turns_fail_into_warn() -> None:
    body = vpol()
    body["metadata"]["annotations"] = {"policies.kyverno.io/scored": "false"}
    assert status(body, pod("bad")) == "warn"


def test_policy_exception_skips_or_passes() -> None:
    exc = {
        "apiVersion": "policies.kyverno.io/v1",
        "kind": "PolicyException",
        "metadata": {"name": "e"},
        "spec": {
            "policyRefs": [{"name": "p", "kind": "ValidatingPolicy"}],
            "matchConditions": [{"name": "n", "expression": "object.metadata.name == 'bad'"}],
        },
    }
    assert status(vpol(), pod("bad"), CelAdmission(exceptions=(exc,))) == "skip"
    passing = dict(exc, spec=dict(exc["spec"], reportResult="pass"))
    assert status(vpol(), pod("bad"), CelAdmission(exceptions=(passing,))) == "pass"


def _vap(**spec: Any) -> dict[str, Any]:
    spec.setdefault(
        "matchConstraints",
        {
            "resourceRules": [
                {
                    "apiGroups": ["apps"],
                    "apiVersions": ["v1"],
                    "operations": ["CREATE"],
                    "resources": ["deployments"],
                }
            ]
        },
    )
    spec.setdefault("validations", [{"expression": "object.spec.replicas <= 2"}])
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": "vap"},
        "spec": spec,
    }


def _binding(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": "b"},
        "spec": {"policyName": "vap", "validationActions": ["Deny"], **spec},
    }


def test_vap_without_binding_uses_match_constraints() -> None:
    assert status(_vap(), deployment(replicas=3)) == "fail"
    assert status(_vap(), deployment(replicas=1)) == "pass"
    assert status(_vap(), pod()) is None


def test_vap_binding_namespace_selector_decides() -> None:
    binding = _binding(matchResources={"namespaceSelector": {"matchLabels": {"env": "prod"}}})
    prod = {
        "default": {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": "default", "labels": {"env": "prod"}},
        }
    }
    assert status(_vap(), deployment(replicas=3), CelAdmission(namespaces=prod), extra=[binding]) == "fail"
    assert status(_vap(), deployment(replicas=3), extra=[binding]) is None


def test_vap_params_from_param_ref() -> None:
    body = _vap(
        paramKind={"apiVersion": "v1", "kind": "ConfigMap"},
        validations=[{"expression": "object.spec.replicas <= int(params.data.max)"}],
    )
    binding = _binding(paramRef={"name": "limits", "namespace": "default"}, matchResources={})
    params = (
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "limits", "namespace": "default"},
            "data": {"max": "5"},
        },
    )
    assert status(body, deployment(replicas=3), CelAdmission(params=params), extra=[binding]) == "pass"


def test_invalid_cel_is_a_load_error() -> None:
    with pytest.raises(PolicyLoadError, match=r"spec\.validations\.0\.expression"):
        load(vpol(validations=[{"expression": "object.("}]))


def test_keeps_empty_response_follows_has_selector() -> None:
    (single,) = load(vpol())
    assert not single.keeps_empty_response
    (two,) = load(vpol(rules=[PODS, dict(PODS, resources=["services"])]))
    assert two.keeps_empty_response


TEST_FILES = {
    "policy.yaml": """\
        apiVersion: policies.kyverno.io/v1
        kind: ValidatingPolicy
        metadata: {name: names}
        spec:
          validationActions: [Deny]
          matchConstraints:
            resourceRules:
            - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}
          validations:
          - expression: "object.metadata.name != 'bad'"
            message: bad name
        """,
    "resources.yaml": """\
        apiVersion: v1
        kind: Pod
        metadata: {name: bad}
        spec: {containers: [{name: c, image: nginx}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: svc}
        spec: {ports: [{port: 80}]}
        """,
    "kyverno-test.yaml": """\
        apiVersion: cli.kyverno.io/v1alpha1
        kind: Test
        metadata: {name: t}
        policies: [policy.yaml]
        resources: [resources.yaml]
        results:
        - {isValidatingPolicy: true, kind: Pod, policy: names, resources: [bad], result: fail}
        - {isValidatingPolicy: true, kind: Service, policy: names, resources: [svc], result: pass}
        """,
}


def test_kyverno_test_rows_for_a_validating_policy(tree, cli) -> None:
    root = tree(TEST_FILES)
    result = cli("policy", "test", str(root), "--output", "json")
    rows = {r["resource"]: r for r in json.loads(result.out)["results"]}
    assert rows["bad"]["actual"] == "fail"
    # one resourceRule and no selector: upstream drops the empty response and reports "not found"
    assert rows["svc"]["actual"] == "not found"
    assert result.code == 1


def test_policy_apply_reports_a_denied_validating_policy(tree, cli) -> None:
    root = tree(TEST_FILES)
    result = cli(
        "policy", "apply", "--policy", str(root / "policy.yaml"), "--resource", str(root / "resources.yaml")
    )
    assert result.code == 1
    assert "bad name" in result.out
    assert "[names]" in result.out
