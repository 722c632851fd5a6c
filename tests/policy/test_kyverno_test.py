"""`kyverno test` quirks reproduced by the runner (see the conformance corpus README)."""

from generator.policy.kyverno_test import find_test_files, run_test_file, run_tests

POLICY = """
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: need-team}
spec: {rules: [{name: team-label, match: {any: [{resources: {kinds: [Pod]}}]},
  validate: {message: team label required, pattern: {metadata: {labels: {team: "?*"}}}}}]}
---
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: role-team}
spec:
  rules:
  - name: team-label
    match: {any: [{resources: {kinds: [Role, ClusterRole]}}]}
    validate:
      message: team label required
      pattern: {metadata: {labels: {team: "?*"}}}
"""

RESOURCES = """
apiVersion: v1
kind: Pod
metadata: {name: p1, labels: {team: a}}
spec: {containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: p1, labels: {team: a}}
spec: {containers: [{name: c, image: x}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d1}
spec: {template: {metadata: {labels: {}}, spec: {containers: [{name: c, image: x}]}}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: shared, namespace: ops}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: shared}
"""


def run(tree, results: str, extra: str = ""):
    root = tree(
        {
            "t/policy.yaml": POLICY,
            "t/resources.yaml": RESOURCES,
            "t/kyverno-test.yaml": "apiVersion: cli.kyverno.io/v1alpha1\nkind: Test\nmetadata: {name: t}\n"
            "policies: [policy.yaml]\nresources: [resources.yaml]\n" + extra + "results:\n" + results,
        }
    )
    return run_tests(root)


def test_default_namespace_and_duplicates(tree):
    rows = run(tree, "- {policy: need-team, rule: team-label, resources: [default/p1], result: pass}\n")
    assert [(r.resource, r.actual) for r in rows] == [("default/p1", "pass")]


def test_autogen_rule_names_and_kind_is_informational(tree):
    rows = run(
        tree,
        "- {policy: need-team, rule: team-label, kind: Pod, resources: [d1], result: fail}\n"
        "- {policy: need-team, rule: autogen-team-label, resources: [d1], result: fail}\n",
    )
    assert [r.actual for r in rows] == ["fail", "fail"]
    assert all(r.passed for r in rows)


def test_name_selects_every_kind_and_namespace(tree):
    rows = run(tree, "- {policy: role-team, rule: team-label, resources: [shared], result: fail}\n")
    assert rows[0].passed
    rows = run(tree, "- {policy: role-team, rule: team-label, resources: [shared], result: pass}\n")
    assert rows[0].actual == "fail"


def test_no_response_counts_as_passed(tree):
    rows = run(tree, "- {policy: need-team, rule: team-label, resources: [d1], result: skip}\n")
    # the written rule only matches Pods; the Deployment is checked by autogen-team-label, which fails
    assert rows[0].actual == "fail"
    rows = run(
        tree, "- {policy: need-team, rule: autogen-cronjob-team-label, resources: [p1], result: fail}\n"
    )
    assert rows[0].passed
    assert "no response" in rows[0].message


def test_deprecated_spellings_and_all_resources(tree):
    rows = run(
        tree, "- {policy: need-team, rule: team-label, resource: p1, namespace: default, status: pass}\n"
    )
    assert [(r.resource, r.expected, r.actual) for r in rows] == [("p1", "pass", "pass")]
    rows = run(tree, "- {policy: role-team, rule: team-label, result: fail}\n")
    assert [r.resource for r in rows] == ["p1", "d1", "shared", "shared"]
    assert all(r.passed for r in rows)


def test_values_operation_and_result_operation(tree):
    values = "values:\n  globalValues: {request.operation: DELETE}\n"
    rows = run(
        tree, "- {policy: need-team, rule: autogen-team-label, resources: [d1], result: fail}\n", values
    )
    assert rows[0].passed
    assert "no response" in rows[0].message
    rows = run(
        tree,
        "- {policy: need-team, rule: autogen-team-label, resources: [d1], result: fail, operation: CREATE}\n",
        values,
    )
    assert rows[0].passed
    assert "no response" not in rows[0].message


def test_missing_resource_is_an_error_row(tree):
    rows = run(tree, "- {policy: need-team, rule: team-label, resources: [nope], result: pass}\n")
    assert rows[0].actual == "error"
    assert "not found" in rows[0].message


def test_several_test_documents_and_hidden_folders(tree):
    root = tree(
        {
            "a/.kyverno-test/kyverno-test.yaml": "apiVersion: cli.kyverno.io/v1alpha1\nkind: Test\nmetadata: {name: x}\n"
            "policies: [../policy.yaml]\nresources: [../resources.yaml]\n"
            "results: [{policy: need-team, rule: team-label, resources: [p1], result: pass}]\n---\n"
            "apiVersion: cli.kyverno.io/v1alpha1\nkind: Test\nmetadata: {name: y}\n"
            "policies: [../policy.yaml]\nresources: [../resources.yaml]\n"
            "results: [{policy: role-team, rule: team-label, resources: [shared], result: fail}]\n",
            "a/policy.yaml": POLICY,
            "a/resources.yaml": RESOURCES,
        }
    )
    (path,) = find_test_files(root)
    rows = run_test_file(path, root)
    assert [(r.test_file, r.index, r.resource) for r in rows] == [
        ("a/.kyverno-test/kyverno-test.yaml", 0, "p1"),
        ("a/.kyverno-test/kyverno-test.yaml", 0, "shared"),
    ]
    assert all(r.passed for r in rows)
