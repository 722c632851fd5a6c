"""generator.policy.cel_rules: Kyverno validate.cel and celPreconditions semantics."""

from __future__ import annotations

from typing import Any

import pytest

from generator.cel import CelEvaluationError, CelUnsupportedError
from generator.policy.cel_rules import (
    PRECONDITIONS_NOT_MET,
    CelResult,
    check_cel_rule,
    evaluate_cel_preconditions,
    evaluate_validate_cel,
)

POD: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "web", "namespace": "apps", "labels": {"app": "web", "color": "red"}},
    "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}], "hostNetwork": True},
}
REQUEST = {"operation": "CREATE", "namespace": "apps", "name": "web", "userInfo": {"username": "alice"}}
NAMESPACE = {"metadata": {"name": "apps", "labels": {"env": "prod"}}}


def run(cel: dict[str, Any], obj: dict[str, Any] | None = POD, **kw: Any) -> CelResult:
    kw.setdefault("rule_name", "check")
    return evaluate_validate_cel(
        cel, obj=obj, old_obj=kw.pop("old_obj", None), request=REQUEST, namespace_object=NAMESPACE, **kw
    )


def test_pass_message_names_the_rule() -> None:
    result = run({"expressions": [{"expression": "object.metadata.name == 'web'"}]})
    assert result == CelResult("pass", "Validation rule 'check' passed.")


def test_fail_uses_expression_message() -> None:
    cel = {
        "expressions": [{"expression": "!object.spec.?hostNetwork.orValue(false)", "message": "no host net"}]
    }
    assert run(cel) == CelResult("fail", "no host net")


def test_fail_falls_back_to_rule_message_then_expression() -> None:
    cel = {"expressions": [{"expression": "object.spec.containers.size() > 1"}]}
    assert run(cel, rule_message="need two") == CelResult("fail", "need two")
    assert run(cel) == CelResult("fail", "failed expression: object.spec.containers.size() > 1")


def test_first_failing_expression_decides() -> None:
    cel = {
        "expressions": [
            {"expression": "true", "message": "one"},
            {"expression": "false", "message": "two"},
            {"expression": "false", "message": "three"},
        ]
    }
    assert run(cel).message == "two"


def test_message_expression_wins_and_is_trimmed() -> None:
    cel = {
        "expressions": [
            {
                "expression": "object.spec.containers.all(c, c.image.endsWith(':latest'))",
                "message": "static",
                "messageExpression": "' image ' + object.spec.containers[0].image + ' is pinned '",
            }
        ]
    }
    assert run(cel) == CelResult("fail", "image nginx:1.25 is pinned")


@pytest.mark.parametrize(
    "message_expression",
    ["object.nope", "42", "'two\\nlines'", "'   '", "'x'.repeat(3)"],
    ids=["errors", "not-string", "multi-line", "blank", "unsupported"],
)
def test_bad_message_expression_falls_back_to_message(message_expression: str) -> None:
    cel = {
        "expressions": [{"expression": "false", "message": "static", "messageExpression": message_expression}]
    }
    assert run(cel) == CelResult("fail", "static")


def test_runtime_error_is_a_fail_with_kyverno_text() -> None:
    cel = {"expressions": [{"expression": "object.spec.missing == 1", "message": "m"}]}
    result = run(cel)
    assert result.status == "fail"
    assert result.message == "expression 'object.spec.missing == 1' resulted in error: no such key: missing"


def test_variables_are_composited() -> None:
    cel = {
        "variables": [
            {"name": "containers", "expression": "object.spec.containers"},
            {"name": "images", "expression": "variables.containers.map(c, c.image)"},
        ],
        "expressions": [
            {
                "expression": "variables.images.all(i, i.contains(':'))",
                "messageExpression": "'images: ' + variables.images.join(', ')",
            },
            {
                "expression": "variables.images.size() > 1",
                "messageExpression": "'images: ' + variables.images.join(', ')",
            },
        ],
    }
    assert run(cel) == CelResult("fail", "images: nginx:1.25")


def test_unused_broken_variable_does_not_matter() -> None:
    cel = {
        "variables": [
            {"name": "broken", "expression": "object.spec.nope"},
            {"name": "gap", "expression": "x.repeat(2)"},
        ],
        "expressions": [{"expression": "true || variables.broken"}],
    }
    assert run(cel).status == "pass"


def test_request_namespace_object_and_old_object_are_bound() -> None:
    cel = {
        "expressions": [
            {"expression": "request.operation == 'CREATE' && request.userInfo.username == 'alice'"},
            {"expression": "namespaceObject.metadata.labels.env == 'prod'"},
            {"expression": "oldObject == null"},
        ]
    }
    assert run(cel).status == "pass"


def test_delete_has_null_object() -> None:
    cel = {"expressions": [{"expression": "object == null && oldObject.metadata.name == 'web'"}]}
    assert run(cel, obj=None, old_obj=POD).status == "pass"


def test_unsupported_function_is_an_error_not_a_pass() -> None:
    cel = {"expressions": [{"expression": "object.metadata.name.repeat(2) == 'webweb'", "message": "m"}]}
    result = run(cel)
    assert result.status == "error"
    assert "repeat" in result.message


def test_unsupported_function_does_not_hide_a_certain_fail() -> None:
    cel = {
        "expressions": [
            {"expression": "object.metadata.name.repeat(2) == 'x'"},
            {"expression": "false", "message": "certain"},
        ]
    }
    assert run(cel) == CelResult("fail", "certain")


def test_audit_annotations_are_ignored() -> None:
    cel = {
        "expressions": [{"expression": "true"}],
        "auditAnnotations": [{"key": "k", "valueExpression": "'v'"}],
    }
    assert run(cel).status == "pass"


def test_params_are_bound() -> None:
    cel = {"expressions": [{"expression": "object.spec.containers.size() <= params.max"}]}
    assert run(cel, params={"max": 1}).status == "pass"
    assert run(cel, params={"max": 0}).status == "fail"


# --- celPreconditions ---------------------------------------------------------------------------

VALIDATE = {"expressions": [{"expression": "false", "message": "denied"}]}


def pre(*expressions: str) -> list[dict[str, str]]:
    return [{"name": f"c{i}", "expression": e} for i, e in enumerate(expressions)]


def test_preconditions_met_then_validate() -> None:
    assert run(VALIDATE, preconditions=pre("object.metadata.labels.color == 'red'")) == CelResult(
        "fail", "denied"
    )


def test_preconditions_not_met_skip() -> None:
    result = run(VALIDATE, preconditions=pre("object.metadata.labels.color == 'blue'"))
    assert result == CelResult("skip", PRECONDITIONS_NOT_MET)


def test_precondition_false_wins_over_error() -> None:
    result = run(VALIDATE, preconditions=pre("object.metadata.labels.nope == 'x'", "false"))
    assert result.status == "skip"


def test_precondition_error_is_a_fail() -> None:
    result = run(VALIDATE, preconditions=pre("object.metadata.labels.nope == 'x'"))
    assert result == CelResult(
        "fail", "expression 'object.metadata.labels.nope == 'x'' resulted in error: no such key: nope"
    )


def test_precondition_non_bool_is_not_met() -> None:
    assert run(VALIDATE, preconditions=pre("'yes'")).status == "skip"


def test_evaluate_cel_preconditions_bool_and_errors() -> None:
    kw: dict[str, Any] = {"obj": POD, "old_obj": None, "request": REQUEST, "namespace_object": NAMESPACE}
    assert evaluate_cel_preconditions(pre("has(object.spec)", "request.operation == 'CREATE'"), **kw) is True
    assert evaluate_cel_preconditions(pre("has(object.spec)", "object.kind == 'Service'"), **kw) is False
    assert evaluate_cel_preconditions([], **kw) is True
    with pytest.raises(CelEvaluationError, match="resulted in error"):
        evaluate_cel_preconditions(pre("object.nope"), **kw)
    with pytest.raises(CelUnsupportedError):
        evaluate_cel_preconditions(pre("object.kind.repeat(2) == ''"), **kw)


# --- check_cel_rule -----------------------------------------------------------------------------


def test_check_cel_rule_accepts_a_good_rule() -> None:
    rule = {
        "celPreconditions": [{"name": "p", "expression": "has(object.spec)"}],
        "validate": {
            "cel": {
                "variables": [{"name": "v", "expression": "object.spec"}],
                "expressions": [{"expression": "variables.v != null", "messageExpression": "'m'"}],
            }
        },
    }
    assert check_cel_rule(rule) == []


def test_check_cel_rule_ignores_rules_without_cel() -> None:
    assert check_cel_rule({"validate": {"pattern": {"spec": {}}}}) == []


def test_check_cel_rule_reports_paths() -> None:
    rule = {
        "celPreconditions": [{"name": "p", "expression": "object.("}],
        "validate": {
            "cel": {
                "variables": [{"name": 1, "expression": "x.repeat(2)"}],
                "expressions": [
                    {"expression": ""},
                    "oops",
                    {"expression": "true", "messageExpression": "'a' +"},
                ],
            }
        },
    }
    paths = [path for path, _ in check_cel_rule(rule)]
    assert paths == [
        ("celPreconditions", 0, "expression"),
        ("validate", "cel", "expressions", 0, "expression"),
        ("validate", "cel", "expressions", 1),
        ("validate", "cel", "expressions", 2, "messageExpression"),
        ("validate", "cel", "variables", 0, "name"),
    ]
    assert "invalid CEL" in dict(check_cel_rule(rule))[("celPreconditions", 0, "expression")]


@pytest.mark.parametrize(
    "cel",
    [{"expressions": ["not a mapping"]}, {"expressions": [{"expression": "object.("}]}, {"expressions": "x"}],
    ids=["entry", "syntax", "not-a-list"],
)
def test_malformed_cel_is_an_error_result_not_an_exception(cel: dict[str, Any]) -> None:
    result = run(cel)
    assert result.status == "error"
    assert result.message.startswith("malformed validate.cel")


def test_error_in_a_variable_is_reported_against_the_reading_expression() -> None:
    cel = {
        "variables": [{"name": "missing", "expression": "object.spec.nope"}],
        "expressions": [{"expression": "variables.missing == 1"}],
    }
    assert run(cel) == CelResult(
        "fail", "expression 'variables.missing == 1' resulted in error: no such key: nope"
    )
