"""Property: mutation and native rules never raise on arbitrary resources; they only yield results."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.documents import Document
from generator.policy.mutate import mutate_resource
from generator.policy.vpol import CelAdmission, cel_policies_from_documents, evaluate_cel_policy
from generator.schema.native_rules import COVERED, check_native

from .helpers import policy
from .test_fuzz import JSON, K8SISH

MUTATORS = policy(
    [
        {
            "name": "overlay",
            "match": {"any": [{"resources": {"kinds": ["Pod"]}}]},
            "mutate": {
                "patchStrategicMerge": {
                    "metadata": {"labels": {"+(team)": "x"}},
                    "spec": {"containers": [{"(image)": "*:latest", "imagePullPolicy": "Always"}]},
                }
            },
        },
        {
            "name": "json",
            "match": {"any": [{"resources": {"kinds": ["Pod"]}}]},
            "mutate": {"patchesJson6902": "- {op: add, path: /spec/containers/0/name, value: x}"},
        },
        {
            "name": "each",
            "match": {"any": [{"resources": {"kinds": ["Pod"]}}]},
            "mutate": {
                "foreach": [
                    {
                        "list": "request.object.spec.containers",
                        "patchStrategicMerge": {
                            "spec": {"containers": [{"name": "{{ element.name }}", "tty": True}]}
                        },
                    }
                ]
            },
        },
    ]
)
(VPOL,) = cel_policies_from_documents(
    [
        Document(
            "p.yaml",
            0,
            1,
            {
                "apiVersion": "policies.kyverno.io/v1",
                "kind": "ValidatingPolicy",
                "metadata": {"name": "p"},
                "spec": {
                    "matchConstraints": {
                        "resourceRules": [
                            {
                                "apiGroups": [""],
                                "apiVersions": ["v1"],
                                "operations": ["CREATE"],
                                "resources": ["pods"],
                            }
                        ]
                    },
                    "validations": [{"expression": "object.spec.containers.all(c, c.image.endsWith(':1'))"}],
                },
            },
        )
    ]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=K8SISH, metadata=JSON)
def test_mutation_never_raises(spec, metadata) -> None:
    resource = {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec}
    _, results = mutate_resource(MUTATORS, resource)
    assert all(r.status in ("pass", "skip", "error") for r in results)
    for result in evaluate_cel_policy(VPOL, resource, CelAdmission()):
        assert result.status in ("pass", "fail", "error")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=K8SISH, kind=st.sampled_from(sorted(COVERED)))
def test_native_rules_never_raise(body, kind) -> None:
    fields = ("spec", "data", "stringData", "rules", "subjects", "roleRef", "imagePullSecrets", "provisioner")
    for path, rule, message in check_native(dict.fromkeys(fields, body), kind):
        assert rule.startswith("k8s:")
        assert isinstance(path, tuple)
        assert message


def test_merge_key_holding_a_list_makes_the_list_atomic() -> None:
    """Found by the fuzz test: a container whose ``name`` is a list is replaced, never an exception."""
    resource = {"apiVersion": "v1", "kind": "Pod", "metadata": None, "spec": {"containers": [{"name": []}]}}
    _, results = mutate_resource(MUTATORS, resource)
    assert all(r.status in ("pass", "skip", "error") for r in results)
