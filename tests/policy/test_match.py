"""match/exclude, from Kyverno's documented resource filters."""

import pytest

from generator.policy.match import Request, UserInfo, parse_kind_selector, rule_matches

DEPLOY = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {
        "name": "web-1",
        "namespace": "prod",
        "labels": {"app": "web", "tier": "front"},
        "annotations": {"team": "a"},
    },
}


def req(**kw):
    return Request(resource=kw.pop("resource", DEPLOY), **kw)


def match(**desc):
    return {"any": [{"resources": desc}]}


@pytest.mark.parametrize(
    ("kinds", "expected"),
    [
        (["Deployment"], True),
        (["apps/v1/Deployment"], True),
        (["v1/Deployment"], True),
        (["apps/*/Deployment"], True),
        (["batch/v1/Deployment"], False),
        (["Deploy*"], True),
        (["*"], True),
        (["Pod"], False),
        (["Deployment/scale"], False),
    ],
)
def test_kinds(kinds, expected):
    assert rule_matches(match(kinds=kinds), None, req()) is expected


def test_kind_selector_parsing():
    assert parse_kind_selector("Pod") == ("*", "*", "Pod", "")
    assert parse_kind_selector("v1/Pod") == ("*", "v1", "Pod", "")
    assert parse_kind_selector("apps/v1/Deployment") == ("apps", "v1", "Deployment", "")
    assert parse_kind_selector("Pod/exec") == ("*", "*", "Pod", "exec")
    assert parse_kind_selector("apps/v1/Deployment/scale") == ("apps", "v1", "Deployment", "scale")


def test_names_namespaces_annotations_selector():
    assert rule_matches(match(kinds=["Deployment"], names=["web-*"]), None, req())
    assert not rule_matches(match(kinds=["Deployment"], names=["api-*"]), None, req())
    assert rule_matches(match(kinds=["Deployment"], namespaces=["pr?d"]), None, req())
    assert not rule_matches(match(kinds=["Deployment"], namespaces=["dev"]), None, req())
    assert rule_matches(match(kinds=["Deployment"], annotations={"team": "*"}), None, req())
    assert rule_matches(match(kinds=["Deployment"], selector={"matchLabels": {"app": "w*"}}), None, req())
    expr = {"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["front"]}]}
    assert not rule_matches(match(kinds=["Deployment"], selector=expr), None, req())
    exists = {"matchExpressions": [{"key": "tier", "operator": "Exists"}]}
    assert rule_matches(match(kinds=["Deployment"], selector=exists), None, req())


def test_namespace_selector_uses_supplied_labels():
    block = match(kinds=["Deployment"], namespaceSelector={"matchLabels": {"env": "prod"}})
    assert rule_matches(block, None, req(namespace_labels={"env": "prod"}))
    assert not rule_matches(block, None, req())


def test_operations():
    block = match(kinds=["Deployment"], operations=["UPDATE"])
    assert not rule_matches(block, None, req())
    assert rule_matches(block, None, req(operation="UPDATE"))


def test_any_versus_all():
    any_block = {"any": [{"resources": {"kinds": ["Pod"]}}, {"resources": {"kinds": ["Deployment"]}}]}
    all_block = {"all": [{"resources": {"kinds": ["Pod"]}}, {"resources": {"kinds": ["Deployment"]}}]}
    assert rule_matches(any_block, None, req())
    assert not rule_matches(all_block, None, req())


def test_exclude():
    block = match(kinds=["Deployment"])
    assert not rule_matches(block, match(namespaces=["prod"]), req())
    assert rule_matches(block, match(namespaces=["dev"]), req())
    excl_all = {"all": [{"resources": {"namespaces": ["prod"]}}, {"resources": {"names": ["web-*"]}}]}
    assert not rule_matches(block, excl_all, req())


def test_legacy_resources_block_and_user_info():
    legacy = {"resources": {"kinds": ["Deployment"]}, "clusterRoles": ["admin"]}
    assert not rule_matches(legacy, None, req())
    assert rule_matches(legacy, None, req(user=UserInfo("bob", cluster_roles=("admin",))))
    subjects = {
        "any": [{"resources": {"kinds": ["Deployment"]}, "subjects": [{"kind": "User", "name": "bob"}]}]
    }
    assert rule_matches(subjects, None, req(user=UserInfo("bob")))
    groups = {
        "any": [{"resources": {"kinds": ["Deployment"]}, "subjects": [{"kind": "Group", "name": "dev*"}]}]
    }
    assert rule_matches(groups, None, req(user=UserInfo("x", groups=("devs",))))
    sa = {
        "any": [
            {
                "resources": {"kinds": ["Deployment"]},
                "subjects": [{"kind": "ServiceAccount", "name": "s", "namespace": "n"}],
            }
        ]
    }
    assert rule_matches(sa, None, req(user=UserInfo("system:serviceaccount:n:s")))
    roles = {"any": [{"resources": {"kinds": ["Deployment"]}, "roles": ["prod:viewer"]}]}
    assert not rule_matches(roles, None, req(user=UserInfo("x", roles=("dev:viewer",))))


def test_namespace_kind_matches_on_its_own_name():
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "prod"}}
    assert rule_matches(match(kinds=["Namespace"], namespaces=["prod"]), None, req(resource=ns))


def test_empty_filter_matches_nothing():
    assert not rule_matches({"any": [{"resources": {}}]}, None, req())
