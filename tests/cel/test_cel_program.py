"""compile_expression / evaluate: caching, activation, variables, errors."""

from __future__ import annotations

import datetime

import pytest

from generator.cel import (
    Activation,
    CelEvaluationError,
    CelSyntaxError,
    CelUnsupportedError,
    LazyVariables,
    compile_expression,
    evaluate,
    evaluate_bool,
)


def test_compile_is_cached_by_source() -> None:
    assert compile_expression("self.a == 1") is compile_expression("self.a == 1")


def test_compile_error_is_cached_and_raised_again() -> None:
    for _ in range(2):
        with pytest.raises(CelSyntaxError, match="Syntax error"):
            compile_expression("self.a ==")


def test_evaluate_reads_activation() -> None:
    obj = {"spec": {"replicas": 3, "containers": [{"name": "a"}, {"name": "b"}]}}
    assert evaluate("object.spec.replicas > 1", {"object": obj}) is True
    assert evaluate("object.spec.containers.map(c, c.name)", {"object": obj}) == ["a", "b"]


def test_missing_key_is_an_evaluation_error() -> None:
    with pytest.raises(CelEvaluationError, match="no such key"):
        evaluate("self.spec", {"self": {}})


def test_has_guards_missing_key() -> None:
    assert evaluate("has(self.spec) && self.spec.x == 1", {"self": {}}) is False


def test_undeclared_top_level_name_is_an_error() -> None:
    with pytest.raises(CelEvaluationError, match="undeclared reference to 'oldObject'"):
        evaluate("oldObject == null", {"object": {}})


def test_type_mismatch_is_no_such_overload() -> None:
    with pytest.raises(CelEvaluationError, match=r"string \+ int$"):
        evaluate("self + 1", {"self": "a"})
    with pytest.raises(CelEvaluationError, match="no such overload"):
        evaluate("self.lowerAscii()", {"self": 1})


def test_unknown_function_is_unsupported_at_compile_time() -> None:
    with pytest.raises(CelUnsupportedError) as info:
        compile_expression("self.frobnicate()")
    assert info.value.feature == "frobnicate"


def test_evaluate_bool_rejects_non_bool() -> None:
    with pytest.raises(CelEvaluationError, match="expected a bool"):
        evaluate_bool("self", {"self": "yes"})


def test_yaml_dates_become_strings() -> None:
    assert evaluate("self.day", {"self": {"day": datetime.date(2024, 1, 2)}}) == "2024-01-02"


def test_variables_are_read_from_mapping() -> None:
    assert evaluate("variables.n * 2", {}, variables={"n": 21}) == 42


def test_lazy_variables_compose_and_are_evaluated_once() -> None:
    activation = {"object": {"spec": {"replicas": 2}}}
    lazy = LazyVariables(
        [
            ("replicas", compile_expression("object.spec.replicas")),
            ("double", compile_expression("variables.replicas * 2")),
        ],
        activation,
    )
    assert evaluate("variables.double == 4", activation, variables=lazy) is True
    assert dict(lazy) == {"replicas": 2, "double": 4}


def test_lazy_variable_error_only_when_reached() -> None:
    activation = {"object": {}}
    lazy = LazyVariables([("bad", compile_expression("object.spec.replicas"))], activation)
    assert evaluate("true || variables.bad > 1", activation, variables=lazy) is True
    with pytest.raises(CelEvaluationError, match="no such key"):
        evaluate("variables.bad > 1", activation, variables=lazy)


def test_unknown_variable_is_an_error() -> None:
    with pytest.raises(CelEvaluationError, match=r"variables\.nope"):
        evaluate("variables.nope", {}, variables={})


def test_whole_variables_map() -> None:
    assert evaluate("variables.size()", {}, variables={"a": 1, "b": 2}) == 2


def test_field_named_variables_is_not_rewritten() -> None:
    assert evaluate("self.variables.x", {"self": {"variables": {"x": 5}}}) == 5


def test_cached_compile_error_does_not_accumulate_traceback() -> None:
    depths = []
    for _ in range(3):
        try:
            compile_expression("self.nosuchfunction()")
        except CelUnsupportedError as e:
            depth, tb = 0, e.__traceback__
            while tb is not None:
                depth, tb = depth + 1, tb.tb_next
            depths.append(depth)
    assert depths[0] == depths[1] == depths[2]


def test_activation_is_shared_by_many_programs() -> None:
    activation = Activation({"self": {"a": 1, "b": [1, 2], "day": datetime.date(2024, 1, 2)}})
    assert evaluate("self.a == 1", activation) is True
    assert evaluate("self.b.sum()", activation) == 3
    assert evaluate("self.day", activation) == "2024-01-02"
    with pytest.raises(CelEvaluationError, match="no such key: c"):
        evaluate("self.c", activation)
    assert evaluate("self.?c.orValue(5)", activation) == 5


def test_activation_with_lazy_variables() -> None:
    activation = Activation({"object": {"spec": {"replicas": 2}}})
    lazy = LazyVariables(
        [
            ("replicas", compile_expression("object.spec.replicas")),
            ("double", compile_expression("variables.replicas * 2")),
            ("broken", compile_expression("object.nope")),
        ],
        activation,
    )
    assert evaluate("variables.double + variables.replicas", activation, variables=lazy) == 6
    assert evaluate("variables.size()", activation, variables={"a": 1}) == 1
    with pytest.raises(CelEvaluationError, match="no such key: nope"):
        evaluate("variables.broken", activation, variables=lazy)
    with pytest.raises(CelEvaluationError, match=r"variables\.zz"):
        evaluate("variables.zz", activation, variables=lazy)


def test_activation_with_a_function_subset_still_runs_other_programs() -> None:
    split = compile_expression("self.split('/')[0]")
    activation = Activation({"self": "a/b"}, functions=split.functions)
    assert split.functions == {"split"}
    assert split.shares(activation)
    assert evaluate("self.split('/')[0]", activation) == "a"
    other = compile_expression("self.find('[a-z]+')")
    assert not other.shares(activation)
    assert other.evaluate(activation) == "a"


@pytest.mark.parametrize("source", ["", "   ", 42, None, ["x"]])
def test_non_expressions_are_syntax_errors(source: object) -> None:
    with pytest.raises(CelSyntaxError):
        compile_expression(source)  # type: ignore[arg-type]


def test_lazy_membership_does_not_evaluate() -> None:
    lazy = LazyVariables([("bad", compile_expression("object.nope"))], {"object": {}})
    assert "bad" in lazy
    assert "other" not in lazy
    with pytest.raises(CelEvaluationError, match="no such key: nope"):
        evaluate("variables.bad", {"object": {}}, variables=lazy)
