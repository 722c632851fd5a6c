"""`gitops-gen policy apply|test`: exit codes, output shapes, malformed inputs."""

import json

import pytest

POLICY = """
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: no-latest
spec:
  validationFailureAction: ACTION
  rules:
  - name: check-tag
    match:
      any:
      - resources:
          kinds: [Pod]
    validate:
      message: "latest tag is not allowed"
      pattern:
        spec:
          containers:
          - image: "!*:latest"
"""

PODS = """
apiVersion: v1
kind: Pod
metadata: {name: good}
spec:
  containers: [{name: c, image: nginx:1.0}]
---
apiVersion: v1
kind: Pod
metadata: {name: bad}
spec:
  containers: [{name: c, image: nginx:latest}]
"""

TEST = """
apiVersion: cli.kyverno.io/v1alpha1
kind: Test
metadata: {name: t}
policies: [policy.yaml]
resources: [pods.yaml]
results:
- policy: no-latest
  rule: check-tag
  kind: Pod
  resources: [good]
  result: pass
- policy: no-latest
  rule: check-tag
  kind: Pod
  resources: [bad]
  result: SECOND
- policy: no-latest
  rule: autogen-check-tag
  kind: Deployment
  resources: [default/good]
  result: fail
"""


@pytest.fixture
def files(tree):
    def build(action="Enforce", second="fail"):
        return tree(
            {
                "policy.yaml": POLICY.replace("ACTION", action),
                "pods.yaml": PODS,
                "suite/kyverno-test.yaml": TEST.replace("SECOND", second),
                "suite/policy.yaml": POLICY.replace("ACTION", action),
                "suite/pods.yaml": PODS,
            }
        )

    return build


def test_apply_enforce_failure_exits_1(cli, files):
    root = files("Enforce")
    result = cli(
        "policy", "apply", "--policy", str(root / "policy.yaml"), "--resource", str(root / "pods.yaml")
    )
    assert result.code == 1
    assert "latest tag is not allowed" in result.out
    assert "no-latest/check-tag" in result.out


def test_apply_audit_failure_is_a_warning(cli, files):
    root = files("Audit")
    result = cli(
        "policy",
        "apply",
        "--policy",
        str(root / "policy.yaml"),
        "--resource",
        str(root / "pods.yaml"),
        "--output",
        "json",
    )
    assert result.code == 0
    doc = json.loads(result.out)
    assert [f["severity"] for f in doc["findings"]] == ["warning"]
    assert doc["findings"][0]["json_path"] == "$.spec.containers[0].image"
    assert doc["findings"][0]["line"] == 11
    assert doc["summary"]["fail"] == 1
    assert doc["summary"]["pass"] == 1


@pytest.mark.parametrize("fmt", ["junit", "sarif"])
def test_apply_other_formats(cli, files, fmt):
    root = files()
    result = cli(
        "policy", "apply", "--policy", str(root), "--resource", str(root / "pods.yaml"), "--output", fmt
    )
    assert result.code == 1
    assert "no-latest/check-tag" in result.out


def test_test_json_output_shape(cli, files):
    root = files()
    result = cli("policy", "test", str(root / "suite"), "--output", "json")
    assert result.code == 0, result.out
    rows = json.loads(result.out)["results"]
    # the third entry names a rule that gives no response for a Pod: counted as passed, as kyverno test does
    assert [(r["index"], r["resource"], r["expected"], r["actual"]) for r in rows] == [
        (0, "good", "pass", "pass"),
        (1, "bad", "fail", "fail"),
        (2, "default/good", "fail", "fail"),
    ]
    assert set(rows[0]) == {
        "test_file",
        "index",
        "policy",
        "rule",
        "resource",
        "expected",
        "actual",
        "message",
    }
    assert rows[0]["test_file"] == "kyverno-test.yaml"


def test_test_failing_expectation_exits_1(cli, files):
    root = files(second="pass")
    result = cli("policy", "test", str(root), "--output", "text")
    assert result.code == 1
    assert "FAIL suite/kyverno-test.yaml[1] no-latest/check-tag bad: expected pass, got fail" in result.out
    junit = cli("policy", "test", str(root), "--output", "junit")
    assert junit.code == 1
    assert 'failures="1"' in junit.out


def test_malformed_policy_exits_2_with_location(cli, tree):
    root = tree(
        {
            "bad.yaml": """
            apiVersion: kyverno.io/v1
            kind: ClusterPolicy
            metadata: {name: broken}
            spec:
              rules:
              - name: r1
                match: {any: [{resources: {kinds: [Pod]}}]}
                validate:
                  anyPattern: {spec: {}}
            """,
            "pods.yaml": PODS,
        }
    )
    result = cli("policy", "apply", "--policy", str(root / "bad.yaml"), "--resource", str(root / "pods.yaml"))
    assert result.code == 2
    assert "bad.yaml:9" in result.err
    assert "policy broken, rule r1" in result.err
    assert "Traceback" not in result.err


def test_malformed_test_exits_2(cli, tree):
    root = tree(
        {"kyverno-test.yaml": "apiVersion: cli.kyverno.io/v1alpha1\nkind: Test\npolicies: [missing.yaml]\n"}
    )
    result = cli("policy", "test", str(root))
    assert result.code == 2
    assert "missing.yaml" in result.err


def test_no_tests_found_exits_2(cli, tmp_path):
    assert cli("policy", "test", str(tmp_path)).code == 2


@pytest.mark.parametrize(
    ("validate", "expected"),
    [
        (
            "deny: {conditions: {any: [{key: '{{ request.object.( }}', operator: Equals, value: x}]}}",
            "invalid JMESPath",
        ),
        (
            "deny: {conditions: {any: [{key: a, operator: Contains, value: x}]}}",
            "unknown condition operator 'Contains'",
        ),
        ("foreach: [{list: 'request.object.spec.[', deny: {conditions: []}}]", "invalid JMESPath"),
    ],
)
def test_malformed_expressions_exit_2(cli, tree, validate, expected):
    policy = (
        "apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: broken}\nspec:\n  rules:\n"
        "  - name: r1\n    match: {any: [{resources: {kinds: [Pod]}}]}\n    validate:\n"
        f"      {validate}\n"
    )
    root = tree({"bad.yaml": policy, "pods.yaml": PODS})
    result = cli("policy", "apply", "--policy", str(root / "bad.yaml"), "--resource", str(root / "pods.yaml"))
    assert result.code == 2
    assert expected in result.err
    assert "bad.yaml:" in result.err
    assert "rule r1" in result.err


def test_apply_with_values_and_userinfo(cli, tree):
    policy = """
    apiVersion: kyverno.io/v1
    kind: ClusterPolicy
    metadata: {name: ops}
    spec:
      validationFailureAction: Enforce
      rules:
      - name: no-delete-by-devs
        match:
          any:
          - resources: {kinds: [Pod], operations: [DELETE]}
            subjects: [{kind: Group, name: devs}]
        validate:
          message: "{{ request.userInfo.username }} may not delete"
          deny: {}
    """
    values = """
    apiVersion: cli.kyverno.io/v1alpha1
    kind: Values
    globalValues:
      request.operation: DELETE
    """
    user = """
    apiVersion: cli.kyverno.io/v1alpha1
    kind: UserInfo
    userInfo: {username: alice, groups: [devs]}
    """
    root = tree({"p.yaml": policy, "pods.yaml": PODS, "values.yaml": values, "user.yaml": user})
    args = ["policy", "apply", "--policy", str(root / "p.yaml"), "--resource", str(root / "pods.yaml")]
    assert cli(*args).code == 0
    assert cli(*args, "--values", str(root / "values.yaml")).code == 0
    result = cli(*args, "--values", str(root / "values.yaml"), "--userinfo", str(root / "user.yaml"))
    assert result.code == 1
    assert "alice may not delete" in result.out


def test_bad_result_value_and_yaml_syntax_exit_2(cli, tree):
    root = tree(
        {
            "t/kyverno-test.yaml": TEST.replace("SECOND", "passs"),
            "t/policy.yaml": POLICY.replace("ACTION", "Audit"),
            "t/pods.yaml": PODS,
            "y/policy.yaml": "apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: x\n",
        }
    )
    result = cli("policy", "test", str(root / "t"))
    assert result.code == 2
    assert "kyverno-test.yaml:" in result.err
    assert "results[1].result" in result.err
    assert "use one of pass, fail, skip, warn, error" in result.err
    result = cli("policy", "apply", "--policy", str(root / "y"), "--resource", str(root / "t" / "pods.yaml"))
    assert result.code == 2
    assert "policy.yaml:" in result.err
    assert "Traceback" not in result.err


def test_malformed_values_file_exits_2_with_line(cli, files):
    root = files()
    (root / "values.yaml").write_text("kind: Values\nglobalValues: [unclosed\n", encoding="utf-8")
    args = ["policy", "apply", "--policy", str(root / "policy.yaml"), "--resource", str(root / "pods.yaml")]
    result = cli(*args, "--values", str(root / "values.yaml"))
    assert result.code == 2
    assert "values.yaml:3" in result.err
