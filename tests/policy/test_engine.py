"""Rule evaluation end to end: deny, preconditions, anyPattern, foreach, context, results."""

import pytest

from generator.policy import Admission, evaluate, iter_findings
from generator.policy.engine import evaluate_policy
from generator.policy.values import Values

from .helpers import pod, policy, rule, statuses

NO_LATEST = {"message": "no latest", "pattern": {"spec": {"containers": [{"image": "!*:latest"}]}}}


def test_pattern_pass_and_fail_with_autogen_rules():
    pol = policy([rule(NO_LATEST)])
    assert [r.name for r in pol.rules] == ["r", "autogen-r", "autogen-cronjob-r"]
    assert statuses(pol, pod()) == {"r": "pass"}
    bad = pod(containers=[{"name": "c", "image": "nginx:latest"}])
    (result,) = evaluate_policy(pol, bad)
    assert result.status == "fail"
    assert result.message == "validation error: no latest. rule r failed at path /spec/containers/0/image/"
    assert result.path == ("spec", "containers", 0, "image")


def test_autogen_rule_checks_deployment_template():
    deploy = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d", "namespace": "default"},
        "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "x:latest"}]}}},
    }
    assert statuses(policy([rule(NO_LATEST)]), deploy) == {"autogen-r": "fail"}


def test_rule_that_does_not_match_gives_no_result():
    assert statuses(policy([rule(NO_LATEST, kinds=("Service",))]), pod()) == {}


def test_deny_conditions_and_message_variables():
    deny = {
        "message": "name {{request.object.metadata.name}} is reserved",
        "deny": {
            "conditions": {
                "any": [
                    {
                        "key": "{{request.object.metadata.name}}",
                        "operator": "AnyIn",
                        "value": ["admin", "root"],
                    }
                ]
            }
        },
    }
    pol = policy([rule(deny)])
    (result,) = evaluate_policy(pol, pod("admin"))
    assert (result.status, result.message) == ("fail", "name admin is reserved")
    assert statuses(pol, pod("web")) == {"r": "pass"}


APP_IS_WEB = {
    "all": [{"key": "{{ request.object.metadata.labels.app || '' }}", "operator": "Equals", "value": "web"}]
}
LATEST = [{"name": "c", "image": "nginx:latest"}]


def test_preconditions_skip():
    pol = policy([rule(NO_LATEST, preconditions=APP_IS_WEB)])
    bad = pod(containers=LATEST)
    assert statuses(pol, bad) == {"r": "skip"}
    bad["metadata"]["labels"] = {"app": "web"}
    assert statuses(pol, bad) == {"r": "fail"}


def test_any_pattern():
    any_pattern = {
        "anyPattern": [
            {"spec": {"securityContext": {"runAsNonRoot": True}}},
            {"spec": {"containers": [{"securityContext": {"runAsNonRoot": True}}]}},
        ]
    }
    pol = policy([rule(any_pattern)])
    assert statuses(pol, pod(securityContext={"runAsNonRoot": True})) == {"r": "pass"}
    (result,) = evaluate_policy(pol, pod())
    assert result.status == "fail"
    assert "rule r[0] failed at path /spec/securityContext/" in result.message
    skipper = {"anyPattern": [{"spec": {"(hostPID)": True, "hostIPC": True}}]}
    assert statuses(policy([rule(skipper)]), pod()) == {"r": "skip"}


def test_foreach_with_element_index_and_nested_foreach():
    foreach = {
        "message": "container {{ elementIndex }} uses latest",
        "foreach": [
            {
                "list": "request.object.spec.containers",
                "deny": {
                    "conditions": {
                        "any": [{"key": "{{ element.image }}", "operator": "Equals", "value": "*:latest"}]
                    }
                },
            }
        ],
    }
    pol = policy([rule(foreach)])
    two = pod(containers=[{"name": "a", "image": "x:1"}, {"name": "b", "image": "y:latest"}])
    (result,) = evaluate_policy(pol, two)
    assert result.status == "fail"
    assert result.message == "validation failure: container 1 uses latest"
    nested = {
        "foreach": [
            {
                "list": "request.object.spec.containers",
                "foreach": [
                    {
                        "list": "element.ports",
                        "deny": {
                            "conditions": {
                                "all": [
                                    {
                                        "key": "{{ element.containerPort }}",
                                        "operator": "LessThan",
                                        "value": 1024,
                                    }
                                ]
                            }
                        },
                    }
                ],
            }
        ]
    }
    ported = pod(
        containers=[{"name": "a", "image": "x", "ports": [{"containerPort": 8080}, {"containerPort": 80}]}]
    )
    assert statuses(policy([rule(nested)]), ported) == {"r": "fail"}
    ported["spec"]["containers"][0]["ports"] = [{"containerPort": 8080}]
    assert statuses(policy([rule(nested)]), ported) == {"r": "pass"}


def test_foreach_element_scoped_pattern_and_preconditions():
    foreach = {
        "foreach": [
            {
                "list": "request.object.spec.containers",
                "preconditions": {
                    "all": [{"key": "{{ element.name }}", "operator": "NotEquals", "value": "sidecar"}]
                },
                "pattern": {"image": "registry.io/*"},
            }
        ]
    }
    pol = policy([rule(foreach)])
    ok = pod(
        containers=[{"name": "a", "image": "registry.io/a"}, {"name": "sidecar", "image": "docker.io/s"}]
    )
    assert statuses(pol, ok) == {"r": "pass"}
    only_sidecar = pod(containers=[{"name": "sidecar", "image": "docker.io/s"}])
    assert statuses(pol, only_sidecar) == {}


def test_context_variable_entries():
    validate = {
        "deny": {"conditions": {"all": [{"key": "{{ count }}", "operator": "GreaterThan", "value": 1}]}}
    }
    ctx = [{"name": "count", "variable": {"jmesPath": "length(request.object.spec.containers)"}}]
    pol = policy([rule(validate, context=ctx)])
    assert statuses(pol, pod()) == {"r": "pass"}
    two = pod(containers=[{"name": "a", "image": "x"}, {"name": "b", "image": "y"}])
    assert statuses(pol, two) == {"r": "fail"}
    defaulted = [{"name": "count", "variable": {"jmesPath": "request.object.spec.missing", "default": 5}}]
    assert statuses(policy([rule(validate, context=defaulted)]), pod()) == {"r": "fail"}


def test_cluster_context_needs_values():
    validate = {
        "deny": {"conditions": {"all": [{"key": "{{ cm.data.x }}", "operator": "Equals", "value": "1"}]}}
    }
    ctx = [{"name": "cm", "configMap": {"name": "c", "namespace": "n"}}]
    pol = policy([rule(validate, context=ctx)])
    (result,) = evaluate_policy(pol, pod())
    assert result.status == "error"
    assert "needs a cluster" in result.message
    values = Values(
        policies=({"name": "p", "resources": [{"name": "web", "values": {"cm": {"data": {"x": "1"}}}}]},)
    )
    assert statuses(pol, pod(), Admission(values=values)) == {"r": "fail"}


def test_pattern_variable_that_cannot_resolve_is_an_error():
    validate = {"pattern": {"metadata": {"name": "{{ request.object.metadata.labels.missing }}"}}}
    (result,) = evaluate_policy(policy([rule(validate)]), pod())
    assert result.status == "error"


def test_scored_false_turns_fail_into_warn():
    pol = policy([rule(NO_LATEST)], annotations={"policies.kyverno.io/scored": "false"})
    assert statuses(pol, pod(containers=[{"name": "c", "image": "x:latest"}])) == {"r": "warn"}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({}, "Audit"),
        ({"validationFailureAction": "enforce"}, "Enforce"),
        ({"validationFailureAction": "Audit"}, "Audit"),
    ],
)
def test_failure_action_spellings(spec, expected):
    pol = policy([rule(NO_LATEST)], **spec)
    assert pol.rules[0].failure_action == expected


def test_rule_level_failure_action_wins():
    validate = dict(NO_LATEST, failureAction="Enforce")
    assert policy([rule(validate)], validationFailureAction="Audit").rules[0].failure_action == "Enforce"


def test_namespaced_policy_only_sees_its_namespace():
    pol = policy([rule(NO_LATEST)], kind="Policy", namespace="team")
    assert statuses(pol, pod(namespace="team")) == {"r": "pass"}
    assert statuses(pol, pod(namespace="other")) == {}


def test_apply_rules_one_stops_at_first_failure():
    rules = [rule(NO_LATEST, name="a"), rule(NO_LATEST, name="b")]
    bad = pod(containers=[{"name": "c", "image": "x:latest"}])
    assert list(statuses(policy(rules, applyRules="One"), bad)) == ["a"]
    assert list(statuses(policy(rules), bad)) == ["a", "b"]


def test_policy_exception_skips():
    exc = {
        "apiVersion": "kyverno.io/v2",
        "kind": "PolicyException",
        "spec": {
            "exceptions": [{"policyName": "p", "ruleNames": ["r"]}],
            "match": {"any": [{"resources": {"kinds": ["Pod"], "names": ["web"]}}]},
        },
    }
    bad = pod(containers=[{"name": "c", "image": "x:latest"}])
    assert statuses(policy([rule(NO_LATEST)]), bad, Admission(exceptions=(exc,))) == {"r": "skip"}


def test_delete_requests_skip_patterns_but_evaluate_deny():
    deny = {
        "deny": {
            "conditions": {
                "all": [{"key": "{{ request.operation }}", "operator": "Equals", "value": "DELETE"}]
            }
        }
    }
    pol = policy([rule(NO_LATEST, name="pattern"), rule(deny, name="deny")])
    assert statuses(pol, pod(), Admission(operation="DELETE")) == {"deny": "fail"}


def test_findings_carry_severity_rule_and_path():
    enforce = policy([rule(dict(NO_LATEST, failureAction="Enforce"), name="e")], name="pe")
    audit = policy([rule(NO_LATEST, name="a")], name="pa")
    from generator.documents import Document

    doc = Document("pods.yaml", 0, 1, pod(containers=[{"name": "c", "image": "x:latest"}]))
    findings = list(iter_findings([enforce, audit], [doc]))
    assert [(f.rule, f.severity) for f in findings] == [("pe/e", "error"), ("pa/a", "warning")]
    assert findings[0].json_path == "$.spec.containers[0].image"
    assert findings[0].name == "web"


def test_evaluate_is_lazy_and_ordered():
    pols = [policy([rule(NO_LATEST)], name="a"), policy([rule(NO_LATEST)], name="b")]
    results = evaluate(pols, [pod("x"), pod("y")])
    assert [(r.name, r.policy) for r in results] == [("x", "a"), ("x", "b"), ("y", "a"), ("y", "b")]


def test_any_pattern_best_match_is_order_independent():
    shallow = {"metadata": {"labels": {"team": "?*"}}}
    deep = {"spec": {"containers": [{"securityContext": {"runAsNonRoot": True}}]}}
    results = []
    for alternatives in ([shallow, deep], [deep, shallow]):
        (result,) = evaluate_policy(policy([rule({"anyPattern": alternatives})]), pod())
        results.append(result)
    assert [r.path for r in results] == [("metadata", "labels"), ("metadata", "labels")]
    assert [len(r.context) for r in results] == [2, 2]
    assert results[0].context[0][0] == ("metadata", "labels")


def test_any_pattern_finding_carries_alternatives():
    from generator.documents import Document

    pol = policy([rule({"anyPattern": [{"spec": {"hostPID": True}}, {"spec": {"hostIPC": True}}]})])
    (finding,) = iter_findings([pol], [Document("p.yaml", 0, 1, pod())])
    assert [c.json_path for c in finding.context] == ["$.spec.hostPID", "$.spec.hostIPC"]
    assert finding.json_path == "$.spec.hostPID"


def test_subresources_from_values_match_parent_kind():
    scale = {
        "apiVersion": "autoscaling/v1",
        "kind": "Scale",
        "metadata": {"name": "web", "namespace": "default"},
    }
    scale["spec"] = {"replicas": 9}
    deny = {
        "deny": {
            "conditions": {
                "any": [{"key": "{{ request.object.spec.replicas }}", "operator": "GreaterThan", "value": 5}]
            }
        }
    }
    pol = policy([rule(deny, kinds=("Deployment/scale",))])
    assert statuses(pol, scale) == {}
    values = Values(
        subresources={("autoscaling/v1", "Scale"): ("apps/v1", "Deployment", "scale")},
    )
    assert statuses(pol, scale, Admission(values=values)) == {"r": "fail"}
    assert [r.status for r in evaluate([pol], [scale], Admission(values=values))] == ["fail"]


def test_foreach_values_from_values_file():
    foreach = {
        "foreach": [
            {
                "list": "request.object.spec.containers",
                "context": [{"name": "allowed", "apiCall": {"urlPath": "/x"}}],
                "deny": {
                    "conditions": {
                        "any": [
                            {"key": "{{ element.image }}", "operator": "AnyNotIn", "value": "{{ allowed }}"}
                        ]
                    }
                },
            }
        ]
    }
    pol = policy([rule(foreach)])
    two = pod(containers=[{"name": "a", "image": "x"}, {"name": "b", "image": "y"}])
    (result,) = evaluate_policy(pol, two)
    assert result.status == "error"
    rules = [{"name": "r", "foreachValues": {"allowed": [["x"], ["y"]]}}]
    assert statuses(pol, two, Admission(values=Values(policies=({"name": "p", "rules": rules},)))) == {
        "r": "pass"
    }
    rules = [{"name": "r", "foreachValues": {"allowed": [["x"], ["x"]]}}]
    assert statuses(pol, two, Admission(values=Values(policies=({"name": "p", "rules": rules},)))) == {
        "r": "fail"
    }


def test_context_entries_do_not_leak_between_rules_or_policies():
    leak_check = {
        "deny": {
            "conditions": {
                "all": [{"key": "{{ secret || 'unset' }}", "operator": "NotEquals", "value": "unset"}]
            }
        }
    }
    setter = dict(leak_check)
    first = policy(
        [rule(setter, name="sets", context=[{"name": "secret", "variable": {"value": "x"}}])], name="a"
    )
    second = policy([rule(leak_check, name="reads")], name="b")
    results = {(r.policy, r.rule): r.status for r in evaluate([first, second], [pod(), pod("other")])}
    assert results == {("a", "sets"): "fail", ("b", "reads"): "pass"}


def test_failure_action_overrides_per_namespace():
    overrides = [{"action": "audit", "namespaces": ["dev-*"]}]
    pol = policy(
        [rule(NO_LATEST)], validationFailureAction="Enforce", validationFailureActionOverrides=overrides
    )
    bad = {"containers": [{"name": "c", "image": "x:latest"}]}
    (prod,) = evaluate_policy(pol, pod(namespace="prod", **bad))
    (dev,) = evaluate_policy(pol, pod(namespace="dev-1", **bad))
    assert (prod.failure_action, dev.failure_action) == ("Enforce", "Audit")
    rule_level = dict(
        NO_LATEST,
        failureAction="Audit",
        failureActionOverrides=[{"action": "Enforce", "namespaces": ["prod"]}],
    )
    (result,) = evaluate_policy(policy([rule(rule_level)]), pod(namespace="prod", **bad))
    assert result.failure_action == "Enforce"


def test_a_changed_resource_is_evaluated_afresh():
    pre = {
        "all": [
            {"key": "{{ request.object.metadata.labels.app || '' }}", "operator": "Equals", "value": "web"}
        ]
    }
    pol = policy([rule(NO_LATEST, preconditions=pre)])
    bad = pod(containers=[{"name": "c", "image": "nginx:latest"}])
    admission = Admission()
    assert [r.status for r in evaluate([pol], [bad], admission)] == ["skip"]
    bad["metadata"]["labels"] = {"app": "web"}
    assert [r.status for r in evaluate([pol], [bad], admission)] == ["fail"]
    assert [r.status for r in evaluate_policy(pol, bad, admission)] == ["fail"]
