"""mutate rules offline: strategic merge with anchors, JSON patches, foreach, chaining, patchedResources."""

from __future__ import annotations

import json
from typing import Any

import pytest

from generator.policy.mutate import mutate_all, mutate_resource
from generator.policy.mutate.compare import find_expected, same_resource, tidy
from generator.policy.mutate.jsonpatch import JsonPatchError, apply_json_patch
from generator.policy.mutate.overlay import ConditionNotMet, apply_strategic_merge, strategic_merge
from tests.policy.helpers import pod, policy


def mutate_rule(mutate: dict[str, Any], *, name: str = "m", kinds: tuple[str, ...] = ("Pod",), **extra: Any):
    return {
        "name": name,
        "match": {"any": [{"resources": {"kinds": list(kinds)}}]},
        "mutate": mutate,
        **extra,
    }


def test_merge_maps_and_null_deletes() -> None:
    base = {"a": {"x": 1, "y": 2}, "b": 1}
    assert strategic_merge(base, {"a": {"y": None, "z": 3}}) == {"a": {"x": 1, "z": 3}, "b": 1}


def test_lists_merge_by_name_new_elements_first() -> None:
    base = {"containers": [{"name": "app", "image": "a"}]}
    patch = {"containers": [{"name": "side", "image": "s"}, {"name": "app", "imagePullPolicy": "Always"}]}
    merged = strategic_merge(base, patch)
    assert merged["containers"] == [
        {"name": "side", "image": "s"},
        {"name": "app", "image": "a", "imagePullPolicy": "Always"},
    ]


def test_lists_without_key_are_replaced() -> None:
    assert strategic_merge({"args": ["a", "b"]}, {"args": ["c"]}) == {"args": ["c"]}


def test_conditional_anchor_drops_whole_patch() -> None:
    resource = pod("p", labels={"tier": "db"})
    patch = {"metadata": {"labels": {"(tier)": "web"}}, "spec": {"hostNetwork": False}}
    with pytest.raises(ConditionNotMet):
        apply_strategic_merge(resource, patch)
    patched = apply_strategic_merge(
        resource, {"metadata": {"labels": {"(tier)": "db"}}, "spec": {"hostNetwork": False}}
    )
    assert patched["spec"]["hostNetwork"] is False
    assert patched["metadata"]["labels"] == {"tier": "db"}


def test_anchored_list_element_applies_to_each_matching_element() -> None:
    resource = pod(containers=[{"name": "a", "image": "x:1"}, {"name": "b", "image": "y:latest"}])
    patch = {"spec": {"containers": [{"(image)": "*:latest", "imagePullPolicy": "Always"}]}}
    containers = apply_strategic_merge(resource, patch)["spec"]["containers"]
    assert containers == [
        {"name": "a", "image": "x:1"},
        {"name": "b", "image": "y:latest", "imagePullPolicy": "Always"},
    ]


def test_add_if_not_present() -> None:
    resource = pod(labels={"team": "a"})
    patch = {"metadata": {"labels": {"+(team)": "b", "+(env)": "dev"}}}
    assert apply_strategic_merge(resource, patch)["metadata"]["labels"] == {"team": "a", "env": "dev"}


def test_addition_inside_a_satisfied_condition() -> None:
    resource = {
        "spec": {"volumes": [{"name": "v", "emptyDir": {}}, {"name": "h", "hostPath": {"path": "/"}}]}
    }
    patch = {"spec": {"volumes": [{"(emptyDir)": {"+(sizeLimit)": "20Mi"}, "name": "v"}]}}
    volumes = apply_strategic_merge(resource, patch)["spec"]["volumes"]
    assert volumes[0] == {"name": "v", "emptyDir": {"sizeLimit": "20Mi"}}


def test_global_anchor_inside_list_drops_whole_patch() -> None:
    resource = pod(containers=[{"name": "a", "image": "x"}])
    with pytest.raises(ConditionNotMet):
        apply_strategic_merge(resource, {"spec": {"containers": [{"<(image)": "y", "name": "a"}]}})


@pytest.mark.parametrize(
    ("ops", "expected"),
    [
        ([{"op": "add", "path": "/a/-", "value": 1}], {"a": [1], "b": {"c": 1}}),
        ([{"op": "add", "path": "/b/d", "value": 2}], {"b": {"c": 1, "d": 2}}),
        ([{"op": "remove", "path": "/b/c"}], {"b": {}}),
        ([{"op": "remove", "path": "/b/missing"}], {"b": {"c": 1}}),
        ([{"op": "replace", "path": "/b/c", "value": 5}], {"b": {"c": 5}}),
        ([{"op": "move", "from": "/b/c", "path": "/x"}], {"b": {}, "x": 1}),
        ([{"op": "copy", "from": "/b/c", "path": "/x"}], {"b": {"c": 1}, "x": 1}),
    ],
    ids=["add-append-creates-list", "add", "remove", "remove-missing-is-noop", "replace", "move", "copy"],
)
def test_json_patch(ops: list[dict[str, Any]], expected: dict[str, Any]) -> None:
    assert apply_json_patch({"b": {"c": 1}}, ops) == expected


def test_json_patch_failing_test_op() -> None:
    with pytest.raises(JsonPatchError):
        apply_json_patch({"a": 1}, [{"op": "test", "path": "/a", "value": 2}])


def test_rule_pass_when_changed_skip_when_not() -> None:
    pol = policy([mutate_rule({"patchStrategicMerge": {"metadata": {"labels": {"team": "x"}}}})])
    patched, (result,) = mutate_resource(pol, pod())
    assert (result.status, patched["metadata"]["labels"]) == ("pass", {"team": "x"})
    again, (second,) = mutate_resource(pol, patched)
    assert second.status == "skip"
    assert again == patched


def test_input_is_never_modified() -> None:
    resource = pod()
    before = json.dumps(resource, sort_keys=True)
    pol = policy([mutate_rule({"patchesJson6902": "- {op: add, path: /metadata/labels, value: {a: b}}"})])
    mutate_resource(pol, resource)
    assert json.dumps(resource, sort_keys=True) == before


def test_variables_and_preconditions() -> None:
    rule = mutate_rule(
        {"patchStrategicMerge": {"metadata": {"labels": {"name": "{{ request.object.metadata.name }}"}}}},
        preconditions={"all": [{"key": "{{ request.operation }}", "operator": "Equals", "value": "CREATE"}]},
    )
    patched, (result,) = mutate_resource(policy([rule]), pod("web"))
    assert result.status == "pass"
    assert patched["metadata"]["labels"]["name"] == "web"


def test_foreach_descending_removes_by_index() -> None:
    rule = mutate_rule(
        {
            "foreach": [
                {
                    "list": "request.object.spec.volumes",
                    "order": "Descending",
                    "preconditions": {
                        "all": [{"key": "{{ element.hostPath || '' }}", "operator": "NotEquals", "value": ""}]
                    },
                    "patchesJson6902": "- {op: remove, path: /spec/volumes/{{ elementIndex }}}",
                }
            ]
        }
    )
    resource = pod(
        volumes=[
            {"name": "a", "hostPath": {"path": "/"}},
            {"name": "b", "emptyDir": {}},
            {"name": "c", "hostPath": {"path": "/x"}},
        ]
    )
    patched, (result,) = mutate_resource(policy([rule]), resource)
    assert result.status == "pass"
    assert patched["spec"]["volumes"] == [{"name": "b", "emptyDir": {}}]


def test_autogen_mutates_the_pod_template() -> None:
    pol = policy([mutate_rule({"patchStrategicMerge": {"metadata": {"labels": {"team": "x"}}}})])
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d", "namespace": "default"},
        "spec": {"template": {"metadata": {}, "spec": pod()["spec"]}},
    }
    patched, results = mutate_resource(pol, deployment)
    assert [r.rule for r in results] == ["autogen-m"]
    assert patched["spec"]["template"]["metadata"]["labels"] == {"team": "x"}


def test_mutate_existing_needs_a_cluster() -> None:
    rule = mutate_rule({"targets": [{"kind": "ConfigMap"}], "patchStrategicMerge": {"data": {"a": "b"}}})
    _, (result,) = mutate_resource(policy([rule]), pod())
    assert result.status == "error"
    assert "cluster" in result.message


def test_policies_chain_in_order() -> None:
    first = policy([mutate_rule({"patchStrategicMerge": {"metadata": {"labels": {"a": "1"}}}})], name="first")
    second = policy(
        [
            mutate_rule(
                {
                    "patchStrategicMerge": {
                        "metadata": {"labels": {"b": "{{ request.object.metadata.labels.a }}"}}
                    }
                }
            )
        ],
        name="second",
    )
    patched, results = mutate_all([first, second], pod())
    assert patched["metadata"]["labels"] == {"a": "1", "b": "1"}
    assert [r.status for r in results] == ["pass", "pass"]


def test_patched_resources_compare_after_tidy() -> None:
    actual = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "labels": {}},
        "spec": {"x": None, "y": [1]},
    }
    expected = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "default"},
        "spec": {"y": [1]},
    }
    assert tidy(actual) == {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"y": [1]}}
    assert find_expected(actual, [expected], frozenset()) is expected
    assert not same_resource(actual, expected)  # the namespace differs: the CLI compares whole objects
    assert same_resource(dict(actual, metadata={"name": "p", "namespace": "default"}), expected)


def test_policy_apply_prints_mutated_resources(tree, cli) -> None:
    root = tree(
        {
            "policy.yaml": """\
                apiVersion: kyverno.io/v1
                kind: ClusterPolicy
                metadata: {name: add-team}
                spec:
                  rules:
                  - name: add-team
                    match: {any: [{resources: {kinds: [Pod]}}]}
                    mutate: {patchStrategicMerge: {metadata: {labels: {+(team): platform}}}}
                """,
            "pod.yaml": """\
                apiVersion: v1
                kind: Pod
                metadata: {name: web, namespace: default}
                spec: {containers: [{name: c, image: nginx}]}
                """,
        }
    )
    out = root / "mutated.yaml"
    result = cli(
        "policy",
        "apply",
        "--policy",
        str(root / "policy.yaml"),
        "--resource",
        str(root / "pod.yaml"),
        "--mutated",
        str(out),
    )
    assert result.code == 0
    assert "team: platform" in out.read_text()


MUTATE_TEST = {
    "policy.yaml": """\
        apiVersion: kyverno.io/v1
        kind: ClusterPolicy
        metadata: {name: add-team}
        spec:
          rules:
          - name: add-team
            match: {any: [{resources: {kinds: [Pod]}}]}
            mutate: {patchStrategicMerge: {metadata: {labels: {team: platform}}}}
          - name: gen
            match: {any: [{resources: {kinds: [Pod]}}]}
            generate: {kind: ConfigMap, name: x, namespace: default, data: {}}
        """,
    "pod.yaml": """\
        apiVersion: v1
        kind: Pod
        metadata: {name: web}
        spec: {containers: [{name: c, image: nginx}]}
        """,
    "good.yaml": """\
        apiVersion: v1
        kind: Pod
        metadata: {name: web, labels: {team: platform}}
        spec: {containers: [{name: c, image: nginx}]}
        """,
    "bad.yaml": """\
        apiVersion: v1
        kind: Pod
        metadata: {name: web, labels: {team: other}}
        spec: {containers: [{name: c, image: nginx}]}
        """,
    "kyverno-test.yaml": """\
        apiVersion: cli.kyverno.io/v1alpha1
        kind: Test
        metadata: {name: t}
        policies: [policy.yaml]
        resources: [pod.yaml]
        results:
        - {policy: add-team, rule: add-team, resources: [web], kind: Pod, result: pass, patchedResources: good.yaml}
        - {policy: add-team, rule: add-team, resources: [web], kind: Pod, result: pass, patchedResources: bad.yaml}
        - {policy: add-team, rule: gen, resources: [web], kind: Pod, result: pass}
        """,
}


def test_kyverno_test_compares_patched_resources(tree, cli) -> None:
    result = cli("policy", "test", str(tree(MUTATE_TEST)), "--output", "json")
    rows = json.loads(result.out)["results"]
    assert [r["actual"] for r in rows] == ["pass", "patched resource differs", "error"]
    assert "metadata.labels.team" in rows[1]["message"]
    assert "generate" in rows[2]["message"]
    assert result.code == 1
