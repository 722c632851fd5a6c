"""Optional syntax (x.?f, m[?k]) and the variables rewrite; the native-function table."""

from __future__ import annotations

import cel
import pytest

from generator.cel import (
    CelEvaluationError,
    CelSyntaxError,
    CelUnsupportedError,
    compile_expression,
    evaluate,
)
from generator.cel.native import NATIVE_FUNCTIONS
from generator.cel.syntax import rewrite

OBJ = {"metadata": {"name": "a", "labels": {"app.kubernetes.io/name": "web"}}, "spec": {"items": [1, 2]}}


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("object.metadata.?labels[?'app.kubernetes.io/name'].orValue('')", "web"),
        ("object.metadata.?labels[?'missing'].orValue('none')", "none"),
        ("object.metadata.?annotations[?'x'].orValue('none')", "none"),
        ("object.?spec.?items.orValue([]).size()", 2),
        ("object.spec.?missing.?deeper.hasValue()", False),
        ("object.spec.?items.hasValue()", True),
        ("object.spec.items[?1].orValue(0)", 2),
        ("object.spec.items[?5].orValue(0)", 0),
        ("object.spec.items[?-1].orValue(0)", 0),
        ("object.spec.?items.value()[0]", 1),
        ("object.spec.?missing.or(optional.of(7)).value()", 7),
        ("object.metadata.?labels[?('app.kubernetes.io/' + 'name')].orValue('')", "web"),
        ("object.spec.items.map(i, [i, i][?0].orValue(9))", [1, 2]),
        ("'.?x [?y]' + object.metadata.name", ".?x [?y]a"),
        ("object.spec . ? items.orValue([]).size()", 2),
    ],
)
def test_optional_syntax(expr: str, expected: object) -> None:
    assert evaluate(expr, {"object": OBJ}) == expected


@pytest.mark.parametrize("expr", ["object.metadata.name.?x.hasValue()", "object.metadata.name.?x.value()"])
def test_optional_field_on_non_map_is_an_error(expr: str) -> None:
    with pytest.raises(CelEvaluationError):
        evaluate(expr, {"object": OBJ})


@pytest.mark.parametrize(
    "expr",
    [
        "object.metadata.?labels[?'app'].orValue('')",
        "c.?securityContext.?capabilities.?drop.orValue([]).exists(x, x == 'ALL')",
        "!object.spec.?affinity.?nodeAffinity.hasValue()",
        "object.spec.?rules.orValue([]).all(r, r.?http.?paths.orValue([]).all(p, p.?path.orValue('') != ''))",
    ],
)
def test_chains_ending_in_or_value_or_has_value_need_no_callback(expr: str) -> None:
    """Callbacks copy their receiver into Python; these common chains must stay native CEL."""
    assert "_opt_" not in rewrite(expr).source


@pytest.mark.parametrize(
    ("source", "rewritten", "names"),
    [
        ("variables.a + variables.b_2", "_variable('a') + _variable('b_2')", {"a", "b_2"}),
        ("self.variables.a", "self.variables.a", set()),
        ("'variables.a'", "'variables.a'", set()),
        ("x.?f[?'k']", "x._opt_field('f')._opt_index('k')", set()),
        ('r"\\d[?"', 'r"\\d[?"', set()),
        ("'''a ' [? '''", "'''a ' [? '''", set()),
        ("a // c.?x\n + 1", "a // c.?x\n + 1", set()),
    ],
)
def test_rewrite(source: str, rewritten: str, names: set[str]) -> None:
    out = rewrite(source)
    assert out.source == rewritten
    assert out.variables == names


def test_whole_variables_is_detected() -> None:
    assert rewrite("variables.size() > 0").whole_variables is True
    assert rewrite("variables.a").whole_variables is False


@pytest.mark.parametrize("source", ["a[?1", "(a", "a)", "'unterminated", "x.? 1"])
def test_rewrite_syntax_errors(source: str) -> None:
    with pytest.raises(CelSyntaxError):
        compile_expression(source)


def test_optional_map_entry_with_conditional_key_is_a_known_gap() -> None:
    with pytest.raises(CelUnsupportedError) as info:
        compile_expression("{?true ? 'a' : 'b': optional.of(1)}")
    assert info.value.feature == "optional map entry with a conditional key"


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("{?'items': object.spec.?items}", {"items": [1, 2]}),
        ("{?'x': object.spec.?nope}", {}),
        ("{'a': 1, ?'b': object.spec.?nope, ?'c': optional.of(3), 'd': 4}", {"a": 1, "c": 3, "d": 4}),
        ("{'x': {?'y': optional.of(1)}}", {"x": {"y": 1}}),
        ("{?(true ? 'a' : 'b'): optional.of(1)}", {"a": 1}),
    ],
)
def test_optional_map_literal_entries(expr: str, expected: object) -> None:
    assert evaluate(expr, {"object": OBJ}) == expected


def test_optional_map_entry_duplicate_key_is_an_error() -> None:
    with pytest.raises(CelEvaluationError, match="duplicate map key"):
        evaluate("{'a': 1, ?'a': optional.of(2)}", {})


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("[?object.spec.?items]", [[1, 2]]),
        ("[?object.spec.?nope]", []),
        ("[0, ?object.spec.?nope, ?object.spec.items[?1], 3]", [0, 2, 3]),
        ("[[?optional.none()], [?optional.of('x')]]", [[], ["x"]]),
        ("{'k': [?optional.of(1)]}", {"k": [1]}),
    ],
)
def test_optional_list_literal_entries(expr: str, expected: object) -> None:
    assert evaluate(expr, {"object": OBJ}) == expected


PROBES = {
    "size": "size('a')",
    "contains": "'a'.contains('a')",
    "startsWith": "'a'.startsWith('a')",
    "endsWith": "'a'.endsWith('a')",
    "matches": "'a'.matches('a')",
    "int": "int('1')",
    "uint": "uint(1)",
    "double": "double(1)",
    "string": "string(1)",
    "bytes": "bytes('a')",
    "dyn": "dyn(1)",
    "type": "type(1)",
    "timestamp": "timestamp('2020-01-01T00:00:00Z')",
    "duration": "duration('1s')",
    "getFullYear": "timestamp('2020-01-01T00:00:00Z').getFullYear()",
    "getMonth": "timestamp('2020-01-01T00:00:00Z').getMonth()",
    "getDayOfYear": "timestamp('2020-01-01T00:00:00Z').getDayOfYear()",
    "getDayOfMonth": "timestamp('2020-01-01T00:00:00Z').getDayOfMonth()",
    "getDate": "timestamp('2020-01-01T00:00:00Z').getDate()",
    "getDayOfWeek": "timestamp('2020-01-01T00:00:00Z').getDayOfWeek()",
    "getHours": "timestamp('2020-01-01T00:00:00Z').getHours()",
    "getMinutes": "timestamp('2020-01-01T00:00:00Z').getMinutes()",
    "getSeconds": "timestamp('2020-01-01T00:00:00Z').getSeconds()",
    "getMilliseconds": "timestamp('2020-01-01T00:00:00Z').getMilliseconds()",
    "of": "optional.of(1)",
    "none": "optional.none()",
    "ofNonZeroValue": "optional.ofNonZeroValue(1)",
    "hasValue": "optional.of(1).hasValue()",
    "value": "optional.of(1).value()",
    "orValue": "optional.none().orValue(1)",
    "or": "optional.none().or(optional.of(1))",
}


def test_probes_cover_the_native_table() -> None:
    assert set(PROBES) == NATIVE_FUNCTIONS


@pytest.mark.parametrize("name", sorted(PROBES))
def test_native_function_really_is_native(name: str) -> None:
    """The pinned package evaluates it with no function registered by us."""
    cel.compile(PROBES[name]).execute({})
