"""CEL rules and schemas of the real upstream CRDs in ../shared/crds (Karpenter, Istio)."""

from __future__ import annotations

import json

NODEPOOL = """
apiVersion: karpenter.sh/v1
kind: NodePool
metadata: {{name: default}}
spec:
  template:
    spec:
      nodeClassRef: {{group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}}
      requirements:
      {requirements}
  {extra}
"""

EC2NODECLASS = """
apiVersion: karpenter.k8s.aws/v1
kind: EC2NodeClass
metadata: {{name: default}}
spec:
  role: KarpenterNodeRole
  amiSelectorTerms: [{amis}]
  subnetSelectorTerms: [{{tags: {{karpenter.sh/discovery: c}}}}]
  securityGroupSelectorTerms: [{{tags: {{karpenter.sh/discovery: c}}}}]
  {extra}
"""


def nodepool(
    requirements: str = "- {key: karpenter.sh/capacity-type, operator: In, values: [spot]}", extra: str = ""
) -> str:
    return NODEPOOL.format(requirements=requirements, extra=extra)


def test_valid_nodepool_gets_its_defaults(check):
    # spec.disruption is absent: the server defaults it to {consolidateAfter: 0s} and budgets
    assert check(nodepool(), strict=True) == []


def test_nodepool_restricted_label(check, errors):
    found = errors(check(nodepool("- {key: karpenter.sh/nodepool, operator: In, values: [a]}")))
    assert found == [
        (
            "$.spec.template.spec.requirements[0].key",
            'cel: self != "karpenter.sh/nodepool"',
            'label "karpenter.sh/nodepool" is restricted',
        )
    ]


def test_nodepool_in_operator_needs_values(check, errors):
    found = errors(check(nodepool("- {key: karpenter.sh/capacity-type, operator: In, values: []}")))
    assert found == [
        (
            "$.spec.template.spec.requirements",
            "cel: self.all(x, x.operator == 'In' ? x.values.size() != 0 : true)",
            "requirements with operator 'In' must have a value defined",
        )
    ]


def test_nodepool_restricted_domain_via_find(check, errors):
    found = errors(check(nodepool("- {key: karpenter.sh/custom, operator: Exists}")))
    assert [p for p, _, _ in found] == ["$.spec.template.spec.requirements[0].key"]
    assert found[0][2] == 'label domain "karpenter.sh" is restricted'


def test_nodepool_replicas_and_weight_are_exclusive(check, errors):
    found = errors(check(nodepool(extra="replicas: 2\n  weight: 10")))
    assert [(p, m) for p, _, m in found] == [("$.spec", "'weight' is not supported on static NodePools")]


def test_nodepool_limits_int_or_string(check, errors):
    assert errors(check(nodepool(extra="limits: {cpu: 1000, memory: 1000Gi}"))) == []
    found = errors(check(nodepool(extra="limits: {cpu: 1.5}")))
    assert [(p, r) for p, r, _ in found] == [("$.spec.limits.cpu", "type")]


def test_nodepool_disruption_without_consolidate_after(check, errors):
    found = errors(check(nodepool(extra="disruption: {consolidationPolicy: WhenEmpty}")))
    assert found == [
        (
            "$.spec.disruption.consolidateAfter",
            "required",
            "Required value: missing required field 'consolidateAfter'",
        )
    ]


def test_status_is_dropped_on_create_with_a_status_subresource(check, errors):
    status = "status: {conditions: [{type: Ready}, {type: Ready}], bogus: 1}"
    assert errors(check(nodepool() + status + "\n", strict=True)) == []


ROLLOUT = """
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: web, namespace: docproc-web}
spec:
  selector: {matchLabels: {app: web}}
  strategy: {canary: {steps: [{setWeight: 50}]}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: nginx}
      - {name: web, image: envoy}
"""


def test_rollout_containers_list_map_duplicate_name(check, errors):
    assert errors(check(ROLLOUT)) == [
        ("$.spec.template.spec.containers[1]", "x-kubernetes-list-type", 'Duplicate value: {"name": "web"}')
    ]


def test_ec2nodeclass_alias_family(check, errors):
    found = errors(check(EC2NODECLASS.format(amis="{alias: ubuntu@latest}", extra="")))
    assert found == [
        (
            "$.spec.amiSelectorTerms[0].alias",
            "cel: self.split('@')[0] in "
            "['al2','al2023','bottlerocket','windows2019','windows2022','windows2025']",
            "family is not supported, must be one of the following: 'al2', 'al2023', 'bottlerocket', "
            "'windows2019', 'windows2022', 'windows2025'",
        )
    ]


def test_ec2nodeclass_valid(check):
    assert check(EC2NODECLASS.format(amis="{alias: al2023@latest}", extra=""), strict=True) == []


def test_ec2nodeclass_role_and_instance_profile_exclusive(check, errors):
    found = errors(check(EC2NODECLASS.format(amis="{alias: al2023@latest}", extra="instanceProfile: p")))
    assert [p for p, _, _ in found] == ["$.spec"]
    assert "role" in found[0][2]
    assert "instanceProfile" in found[0][2]


DESTINATION_RULE = """
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {{name: web, namespace: docproc-web}}
spec:
  host: web.docproc-web.svc.cluster.local
  {extra}
"""


def test_destination_rule_valid(check):
    extra = (
        "trafficPolicy: {tls: {mode: ISTIO_MUTUAL}, connectionPool: {http: {http1MaxPendingRequests: 10}}}"
    )
    assert check(DESTINATION_RULE.format(extra=extra), strict=True) == []


def test_destination_rule_wildcard_label_key(check, errors):
    found = errors(check(DESTINATION_RULE.format(extra="workloadSelector: {matchLabels: {'app*': web}}")))
    assert found == [
        (
            "$.spec.workloadSelector.matchLabels",
            'cel: self.all(key, !key.contains("*"))',
            "wildcard not allowed in label key match",
        )
    ]


def test_destination_rule_duration_rule(check, errors):
    extra = "trafficPolicy: {connectionPool: {http: {idleTimeout: 0.5ms}}}"
    found = errors(check(DESTINATION_RULE.format(extra=extra)))
    assert found == [
        (
            "$.spec.trafficPolicy.connectionPool.http.idleTimeout",
            "cel: duration(self) >= duration('1ms')",
            "must be a valid duration greater than 1ms",
        )
    ]


def test_destination_rule_nullable_field_accepts_null(check, errors):
    extra = "trafficPolicy: {tls: {mode: SIMPLE, insecureSkipVerify: null}}"
    assert errors(check(DESTINATION_RULE.format(extra=extra))) == []


def test_destination_rule_load_balancer_one_of(check, errors):
    extra = "trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN, consistentHash: {httpHeaderName: x}}}"
    found = errors(check(DESTINATION_RULE.format(extra=extra)))
    assert [(p, r) for p, r, _ in found] == [("$.spec.trafficPolicy.loadBalancer", "oneOf")]


AUTHORIZATION_POLICY = """
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {{name: web, namespace: docproc-web}}
spec:
  {spec}
"""


def test_authorization_policy_valid(check):
    spec = (
        "selector: {matchLabels: {app: web}}\n  action: ALLOW\n"
        "  rules: [{from: [{source: {principals: [a]}}]}]"
    )
    assert check(AUTHORIZATION_POLICY.format(spec=spec), strict=True) == []


def test_authorization_policy_selector_and_target_ref(check, errors):
    spec = "selector: {matchLabels: {app: web}}\n  targetRef: {kind: Service, group: '', name: web}"
    found = errors(check(AUTHORIZATION_POLICY.format(spec=spec)))
    assert [(p, m) for p, _, m in found] == [("$.spec", "only one of targetRefs or selector can be set")]


def test_authorization_policy_service_accounts_with_principals(check, errors):
    spec = "rules: [{from: [{source: {serviceAccounts: [a], principals: [b]}}]}]"
    found = errors(check(AUTHORIZATION_POLICY.format(spec=spec)))
    assert [(p, m) for p, _, m in found] == [
        ("$.spec.rules[0].from[0].source", "Cannot set serviceAccounts with namespaces or principals")
    ]


def test_authorization_policy_enum(check, errors):
    found = errors(check(AUTHORIZATION_POLICY.format(spec="action: PERMIT")))
    assert [(p, r) for p, r, _ in found] == [("$.spec.action", "enum")]


def test_long_cel_rule_is_shortened_in_text_only(cli, tree, tmp_path, crd_dir):
    tree({"np.yaml": nodepool("- {key: karpenter.k8s.aws/custom, operator: Exists}")})
    text = cli("validate", str(tmp_path / "np.yaml"), "--crd-dir", str(crd_dir))
    assert text.code == 1
    line = next(ln for ln in text.out.splitlines() if "restricted" in ln)
    assert line.endswith("…]")
    as_json = cli("validate", str(tmp_path / "np.yaml"), "--crd-dir", str(crd_dir), "-o", "json")
    (finding,) = json.loads(as_json.out)["findings"]
    assert len(finding["rule"]) > 1000


def test_destination_rule_bad_duration_is_an_evaluation_error(check, errors):
    extra = "trafficPolicy: {connectionPool: {http: {idleTimeout: soon}}}"
    found = errors(check(DESTINATION_RULE.format(extra=extra)))
    assert [(p, r) for p, r, _ in found] == [
        ("$.spec.trafficPolicy.connectionPool.http.idleTimeout", "cel: duration(self) >= duration('1ms')")
    ]
    assert found[0][2].startswith("CEL rule evaluation error: ")
