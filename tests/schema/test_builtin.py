"""Built-in kinds against kubernetes-validate's schemas: each finding class with message and path."""

from __future__ import annotations

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: docproc-web
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        {extra}
"""


def deployment(replicas: str = "2", extra: str = "") -> str:
    return DEPLOYMENT.format(replicas=replicas, extra=extra)


def test_valid_deployment_has_no_findings(check_builtin):
    assert check_builtin(deployment(), strict=True) == []


def test_wrong_type(check_builtin, errors):
    found = errors(check_builtin(deployment(replicas='"3"')))
    assert found == [("$.spec.replicas", "type", '"3" is not of type "integer"')]


def test_wrong_type_points_at_the_field_line(check_builtin):
    (finding,) = check_builtin(deployment(replicas='"3"'))
    assert (finding.line, finding.column) == (7, 3)
    assert (finding.kind, finding.namespace, finding.name) == ("Deployment", "docproc-web", "web")


def test_unknown_field_is_an_error_only_under_strict(check_builtin, errors):
    text = deployment(extra="imagePullPolice: Always")
    assert errors(check_builtin(text)) == []
    assert [(f.rule, f.severity) for f in check_builtin(text)] == [("additionalProperties", "warning")]
    assert errors(check_builtin(text, strict=True)) == [
        (
            "$.spec.template.spec.containers[0].imagePullPolice",
            "additionalProperties",
            'unknown field "spec.template.spec.containers[0].imagePullPolice"; did you mean "imagePullPolicy"?',
        )
    ]


def test_missing_required(check_builtin, errors):
    text = """
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web}
    spec:
      selector: {matchLabels: {app: web}}
      template:
        spec:
          containers: [{image: nginx}]
    """
    assert errors(check_builtin(text)) == [
        (
            "$.spec.template.spec.containers[0].name",
            "required",
            "Required value: missing required field 'name'",
        )
    ]


def test_int_or_string_builtin_accepts_both(check_builtin, errors):
    strategy = "strategy: {rollingUpdate: {maxSurge: 1, maxUnavailable: '25%'}}"
    text = deployment().replace("spec:\n  replicas: 2", "spec:\n  " + strategy + "\n  replicas: 2")
    assert errors(check_builtin(text)) == []


def test_int_or_string_builtin_rejects_float(check_builtin, errors):
    text = deployment().replace(
        "spec:\n  replicas: 2", "spec:\n  strategy: {rollingUpdate: {maxSurge: 1.5}}\n  replicas: 2"
    )
    found = errors(check_builtin(text))
    assert [(p, r) for p, r, _ in found] == [("$.spec.strategy.rollingUpdate.maxSurge", "oneOf")]


def test_metadata_name_dns1123(check_builtin, errors):
    text = deployment().replace("name: web\n  namespace", "name: Web_1\n  namespace")
    assert errors(check_builtin(text)) == [
        (
            "$.metadata.name",
            "metadata.name",
            "Invalid value: 'Web_1': a lowercase RFC 1123 subdomain must consist of lower case "
            "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric "
            "character (e.g. 'example.com')",
        )
    ]


def test_missing_name(check_builtin, errors):
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {namespace: x}\n"
    assert errors(check_builtin(text)) == [
        ("$.metadata.name", "metadata.name", "Required value: name or generateName is required")
    ]


def test_generate_name_is_enough(check_builtin, errors):
    assert errors(check_builtin("apiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: cm-}\n")) == []


def test_service_name_is_a_dns1035_label(check_builtin, errors):
    text = "apiVersion: v1\nkind: Service\nmetadata: {name: 1web}\nspec: {ports: [{port: 80}]}\n"
    found = errors(check_builtin(text))
    assert [(p, r) for p, r, _ in found] == [("$.metadata.name", "metadata.name")]
    assert "DNS-1035" in found[0][2]


def test_cluster_role_name_may_hold_colons(check_builtin, errors):
    text = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: 'system:x'}\n"
    assert errors(check_builtin(text)) == []


def test_namespace_name_is_a_label(check_builtin, errors):
    found = errors(check_builtin("apiVersion: v1\nkind: Namespace\nmetadata: {name: a.b}\n"))
    assert [(p, r) for p, r, _ in found] == [("$.metadata.name", "metadata.name")]


def test_label_value_syntax(check_builtin, errors):
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, labels: {team: 'a b'}}\n"
    found = errors(check_builtin(text))
    assert [(p, r) for p, r, _ in found] == [("$.metadata.labels.team", "metadata.labels")]
    assert found[0][2].startswith("Invalid value: 'a b': a valid label must be")


def test_label_key_syntax(check_builtin, errors):
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, labels: {'-bad': x}}\n"
    found = errors(check_builtin(text))
    assert [(p, r) for p, r, _ in found] == [("$.metadata.labels['-bad']", "metadata.labels")]


def test_annotation_total_size(check_builtin, errors):
    big = "x" * (256 * 1024)
    text = f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: a, annotations: {{k: '{big}'}}}}\n"
    found = errors(check_builtin(text))
    assert found == [
        (
            "$.metadata.annotations",
            "metadata.annotations",
            "Too long: may not be more than 262144 bytes (annotations total 262145)",
        )
    ]


def test_unquoted_date_is_read_as_a_string(check_builtin, errors):
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {since: 2024-01-01}\n"
    assert errors(check_builtin(text)) == []


def test_older_kubernetes_version_lacks_newer_kinds(check_builtin, errors):
    text = "apiVersion: resource.k8s.io/v1\nkind: DeviceClass\nmetadata: {name: a}\nspec: {}\n"
    assert errors(check_builtin(text)) == []
    old = check_builtin(text, version="1.29")
    assert [(f.rule, f.severity) for f in old] == [("unknown-kind", "warning")]


def test_yaml_boolean_name_is_one_type_error(check_builtin, errors):
    # `name: NO` is a boolean to YAML 1.1 readers (PyYAML, kubectl): one finding, not two
    found = errors(check_builtin("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: NO}\n"))
    assert [(p, r) for p, r, _ in found] == [("$.metadata.name", "type")]
