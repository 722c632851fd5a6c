"""Built-in kinds: only the duplicates the API server's own validation rejects are findings."""

from __future__ import annotations

POD_TEMPLATE = """
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web}}
spec:
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers:
      {containers}
      volumes: [{{name: v, emptyDir: {{}}}}, {{name: w, emptyDir: {{}}}}]
"""


def deployment(containers: str) -> str:
    return POD_TEMPLATE.format(containers=containers)


def test_duplicate_container_names(check_builtin, errors):
    found = errors(check_builtin(deployment("- {name: web, image: a}\n      - {name: web, image: b}")))
    assert found == [
        ("$.spec.template.spec.containers[1]", "x-kubernetes-list-type", 'Duplicate value: {"name": "web"}')
    ]


def test_duplicate_mount_paths(check_builtin, errors):
    mounts = "[{name: v, mountPath: /x}, {name: w, mountPath: /x}]"
    found = errors(check_builtin(deployment(f"- {{name: web, image: a, volumeMounts: {mounts}}}")))
    assert [(p, m) for p, _, m in found] == [
        ("$.spec.template.spec.containers[0].volumeMounts[1]", 'Duplicate value: {"mountPath": "/x"}')
    ]


def test_duplicate_env_names_are_accepted_like_the_server_does(check_builtin, errors):
    env = '[{name: A, value: "1"}, {name: A, value: "2"}]'
    assert errors(check_builtin(deployment(f"- {{name: web, image: a, env: {env}}}"))) == []


def test_service_ports_compare_with_the_default_protocol(check_builtin, errors):
    text = (
        "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n"
        "  ports: [{port: 80, name: a}, {port: 80, protocol: UDP, name: b}, {port: 80, protocol: TCP, name: c}]\n"
    )
    assert errors(check_builtin(text)) == [
        ("$.spec.ports[2]", "x-kubernetes-list-type", 'Duplicate value: {"port": 80, "protocol": "TCP"}')
    ]


def test_nested_pod_templates_are_found(check_builtin, errors):
    text = (
        "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: job}\nspec:\n  schedule: '* * * * *'\n"
        "  jobTemplate: {spec: {template: {spec: {restartPolicy: Never, "
        "containers: [{name: a, image: x}, {name: a, image: y}]}}}}\n"
    )
    assert [p for p, _, _ in errors(check_builtin(text))] == [
        "$.spec.jobTemplate.spec.template.spec.containers[1]"
    ]
