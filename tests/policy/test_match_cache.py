"""rule_matches: the per-kind cache for kind/operation-only rules gives the uncached answer."""

import itertools

import pytest

from generator.policy import match as match_module
from generator.policy.match import Request, UserInfo, rule_matches

RESOURCES = [
    {"apiVersion": api, "kind": kind, "metadata": {"name": name, "namespace": "prod", "labels": {"a": name}}}
    for api, kind, name in [
        ("apps/v1", "Deployment", "web"),
        ("apps/v1", "Deployment", "db"),
        ("apps/v2", "Deployment", "web"),
        ("v1", "Pod", "web"),
        ("argoproj.io/v1alpha1", "Rollout", "web"),
        ("v1", "Namespace", "prod"),
    ]
]
MATCHES = [
    {"any": [{"resources": {"kinds": ["Deployment"]}}]},
    {"any": [{"resources": {"kinds": ["apps/v1/Deployment"]}}]},
    {"any": [{"resources": {"kinds": ["Deployment", "Pod"], "operations": ["CREATE"]}}]},
    {"all": [{"resources": {"kinds": ["*"]}}, {"resources": {"operations": ["UPDATE"]}}]},
    {"resources": {"kinds": ["Pod", "argoproj.io/*/Rollout"]}},
    {"any": [{"resources": {"kinds": ["Deployment"], "names": ["web"]}}]},
    {"any": [{"resources": {"kinds": ["Deployment"], "selector": {"matchLabels": {"a": "db"}}}}]},
    {"any": [{"resources": {"kinds": ["Deployment"]}, "roles": ["admin"]}]},
    {"any": [{"resources": {}}]},
]
EXCLUDES = [
    None,
    {},
    {"any": [{"resources": {"kinds": ["apps/v2/Deployment"]}}]},
    {"any": [{"resources": {"operations": ["UPDATE"]}}]},
    {"any": [{"resources": {"names": ["db"]}}]},
]
REQUESTS = [
    Request(resource=r, operation=op, user=user, subresource=sub, parent_kind="Deployment" if sub else "")
    for r, op, user, sub in itertools.product(
        RESOURCES, ["CREATE", "UPDATE"], [UserInfo(), UserInfo(roles=("admin",))], ["", "scale"]
    )
]


@pytest.mark.parametrize(("m", "e"), list(itertools.product(range(len(MATCHES)), range(len(EXCLUDES)))))
def test_cached_answer_is_the_uncached_answer(m, e):
    match, exclude = MATCHES[m], EXCLUDES[e]
    expected = [match_module._rule_matches(match, exclude, r) for r in REQUESTS]
    # twice: the second pass reads the cache for kind-only rules
    assert [rule_matches(match, exclude, r) for r in REQUESTS] == expected
    assert [rule_matches(match, exclude, r) for r in REQUESTS] == expected


def test_only_kind_and_operation_rules_are_cached():
    assert match_module._kind_only(MATCHES[0], None)
    assert match_module._kind_only(MATCHES[3], EXCLUDES[3])
    assert not match_module._kind_only(MATCHES[5], None)  # names
    assert not match_module._kind_only(MATCHES[6], None)  # label selector
    assert not match_module._kind_only(MATCHES[7], None)  # user info
    assert not match_module._kind_only(MATCHES[0], EXCLUDES[4])  # exclude by name
