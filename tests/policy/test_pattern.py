"""Structural pattern matching with anchors, from Kyverno's documented anchor semantics."""

from generator.policy.pattern import match_pattern, parse_anchor

POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "p", "labels": {"app": "web", "team": "a"}},
    "spec": {
        "hostNetwork": False,
        "containers": [
            {"name": "a", "image": "nginx:1.0", "imagePullPolicy": "Always"},
            {"name": "b", "image": "busybox:latest", "imagePullPolicy": "IfNotPresent"},
        ],
    },
}


def test_parse_anchor():
    assert parse_anchor("(name)") == ("(", "name")
    assert parse_anchor("=(name)") == ("=(", "name")
    assert parse_anchor("X(name)") == ("X(", "name")
    assert parse_anchor("^(name)") == ("^(", "name")
    assert parse_anchor("<(name)") == ("<(", "name")
    assert parse_anchor("name") == ("", "name")


def test_plain_pattern_passes_and_fails_with_path():
    assert match_pattern(POD, {"metadata": {"labels": {"app": "?*"}}}).status == "pass"
    result = match_pattern(POD, {"spec": {"containers": [{"image": "!*:latest"}]}})
    assert result.status == "fail"
    assert result.path == ("spec", "containers", 1, "image")


def test_missing_field_fails():
    assert match_pattern(POD, {"metadata": {"labels": {"owner": "?*"}}}).status == "fail"
    assert match_pattern(POD, {"metadata": {"labels": {"owner": "*"}}}).status == "fail"


def test_conditional_anchor_applies_only_where_condition_holds():
    pattern = {"spec": {"containers": [{"(image)": "*:latest", "imagePullPolicy": "Always"}]}}
    result = match_pattern(POD, pattern)
    assert result.status == "fail"
    assert result.path == ("spec", "containers", 1, "imagePullPolicy")
    fixed = {"spec": {"containers": [{"(image)": "*:latest", "imagePullPolicy": "IfNotPresent"}]}}
    assert match_pattern(POD, fixed).status == "pass"


def test_conditional_anchor_not_met_anywhere_skips():
    pattern = {"spec": {"containers": [{"(image)": "*:2.0", "imagePullPolicy": "Never"}]}}
    assert match_pattern(POD, pattern).status == "skip"
    assert match_pattern(POD, {"spec": {"(hostPID)": True, "hostNetwork": True}}).status == "skip"


def test_equality_anchor_checks_only_when_present():
    assert match_pattern(POD, {"spec": {"=(hostNetwork)": False}}).status == "pass"
    assert match_pattern(POD, {"spec": {"=(hostPID)": False}}).status == "pass"
    assert match_pattern(POD, {"spec": {"=(hostNetwork)": True}}).status == "fail"


def test_negation_anchor_forbids_key():
    assert match_pattern(POD, {"spec": {"X(hostPID)": "null"}}).status == "pass"
    result = match_pattern(POD, {"spec": {"X(hostNetwork)": "null"}})
    assert result.status == "fail"
    assert result.path == ("spec", "hostNetwork")


def test_existence_anchor_needs_one_matching_element():
    assert match_pattern(POD, {"spec": {"^(containers)": [{"image": "nginx:*"}]}}).status == "pass"
    assert match_pattern(POD, {"spec": {"^(containers)": [{"image": "redis:*"}]}}).status == "fail"


def test_global_anchor_skips_whole_rule():
    pattern = {"spec": {"containers": [{"<(image)": "redis:*", "imagePullPolicy": "Never"}]}}
    assert match_pattern(POD, pattern).status == "skip"
    pattern = {"spec": {"containers": [{"<(image)": "nginx:*"}], "hostNetwork": True}}
    assert match_pattern(POD, pattern).status == "fail"


def test_wildcard_keys_in_metadata_expand():
    assert match_pattern(POD, {"metadata": {"labels": {"te*": "a"}}}).status == "pass"
    assert match_pattern(POD, {"metadata": {"labels": {"te*": "b"}}}).status == "fail"
    assert match_pattern(POD, {"metadata": {"=(labels)": {"X(tea*)": "*"}}}).status == "fail"


def test_scalar_array_pattern_applies_to_every_element():
    doc = {"spec": {"args": ["--a", "--b"]}}
    assert match_pattern(doc, {"spec": {"args": ["--*"]}}).status == "pass"
    assert match_pattern(doc, {"spec": {"args": ["--a"]}}).status == "fail"


def test_structure_mismatch_fails():
    assert match_pattern(POD, {"spec": {"containers": {"name": "a"}}}).status == "fail"


def test_failure_with_missing_anchor_key_is_an_error_as_upstream():
    pattern = {"spec": {"X(hostIPC)": "null", "(hostPID)": True}}
    assert match_pattern(POD, pattern).status == "skip"
    # upstream's AnchorMap: a failure while a conditional/existence anchor key was never present is an error;
    # absent negation keys do not count (kyverno/kyverno#8953)
    pattern = {"spec": {"^(initContainers)": [{"name": "x"}], "hostNetwork": True}}
    assert match_pattern(POD, pattern).status == "error"
    assert match_pattern(POD, {"spec": {"X(hostIPC)": "null", "hostNetwork": True}}).status == "fail"
    assert match_pattern(POD, {"spec": {"hostNetwork": True}}).status == "fail"
