"""jp_compile: compiled JMESPath closures give exactly what the library's interpreter gives."""

import jmespath
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.policy import variables
from generator.policy.jp_compile import compile_ast

EXPRESSIONS = [
    "a",
    "a.b.c",
    'a."b-c".d',
    "a.b[0]",
    "a.b[-1]",
    "a.b[5]",
    "a[*].b",
    "a[].b",
    "a[][]",
    "a.b[]",
    "a[?b == `1`].c",
    "a[?b == `true`]",
    "a[?b == `0`]",
    "a[?b != 'x']",
    "a[?b > `1`]",
    "a[?b >= 'm']",
    "a[?b < c]",
    "a[?b <= `2.5`]",
    "a[?b]",
    "a[?!b]",
    "a[?b && c]",
    "a[?b || c]",
    "!a",
    "!`0`",
    "!`[]`",
    "a || b",
    "a && b",
    "a || `[]`",
    "[a, b]",
    "a.[b, c]",
    "a.[b, c][]",
    "{x: a, y: b}",
    "a.b | [0]",
    "a | b",
    "@",
    '`{"k": [1, 2]}`',
    "'lit'",
    "length(a)",
    "length(a || `[]`)",
    "length(a[?b])",
    "contains(a, 'x')",
    "contains(a, `1`)",
    "keys(a)",
    "values(a)",
    "join(',', a)",
    "sort_by(a, &b)",
    "max_by(a, &b)",
    "to_string(a)",
    "to_number(a)",
    "type(a)",
    "starts_with(a, 'x')",
    "not_null(a, b, `3`)",
    "a[1:3]",
    "a[::-1]",
    "*.b",
    "a.*",
    "length(a, b)",
    "nope(a)",
    "to_upper(a)",
    "truncate(a, `2`)",
    "a[?contains(b, 'x')].c | length(@)",
    "length(request.object.spec.[initContainers, containers][][].env[] | [?value && contains(name, 'PASS')] || `[]`)",
]

SAMPLES = [
    None,
    {},
    [],
    "text",
    5,
    {"a": None},
    {"a": {"b": {"c": 1}}},
    {"a": {"b-c": {"d": "x"}}},
    {"a": {"b": [1, 2, 3], "c": "s"}},
    {"a": [{"b": 1, "c": 2}, {"b": 0, "c": None}, {"b": True}, {"b": "z", "c": "x"}, {"c": 3}, 7, None]},
    {"a": [[1, [2]], [3], 4, None], "b": []},
    {"a": "xyz", "b": ""},
    {"a": ["x", "y"], "b": {}},
    {"a": [1, 2, 3], "b": False},
    {"a": {"b": False, "c": 0}},
    {"a": [{"b": "abc", "c": 1}, {"b": "xx", "c": 2}, {"b": ["x"], "c": 3}]},
    {"a": 0, "b": 1},
    {"a": "12", "b": None},
    {
        "request": {
            "object": {
                "spec": {
                    "containers": [{"env": [{"name": "DB_PASSWORD", "value": "v"}, {"name": "PASS2"}]}],
                    "initContainers": [{"env": None}],
                }
            }
        }
    },
]


def outcome(fn, data):
    try:
        return ("ok", fn(data))
    except Exception as e:  # any error must be the same error
        return ("error", type(e), str(e))


def both(expression, data):
    parsed = jmespath.compile(expression)
    interpreted = outcome(lambda d: parsed.search(d, options=variables._OPTIONS), data)
    compiled = outcome(compile_ast(parsed.parsed, variables._INTERPRETER), data)
    return interpreted, compiled


@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_compiled_matches_interpreter(expression):
    for data in SAMPLES:
        interpreted, compiled = both(expression, data)
        assert compiled == interpreted, data
        # bools and ints compare equal in Python: the types must agree too
        assert repr(compiled) == repr(interpreted), data


def test_plain_path_walks_dicts_and_gives_null_for_missing_keys():
    evaluate = compile_ast(jmespath.compile("request.object.metadata.name").parsed, variables._INTERPRETER)
    assert evaluate({"request": {"object": {"metadata": {"name": "n"}}}}) == "n"
    assert evaluate({"request": {"object": {}}}) is None
    assert evaluate({"request": {"object": {"metadata": ["not", "a", "map"]}}}) is None
    assert evaluate({"request": "text"}) is None
    assert evaluate(None) is None


def test_type_errors_are_the_library_errors():
    interpreted, compiled = both("length(a)", {"a": 5})
    assert compiled[0] == "error"
    assert compiled == interpreted


def test_query_uses_compiled_evaluator_with_strict_missing_paths():
    ctx = {"request": {"object": {"metadata": {"name": "n"}}}}
    assert variables.query("request.object.metadata.name", ctx) == "n"
    with pytest.raises(variables.VariableError, match="not found"):
        variables.query("request.object.metadata.namespace", ctx)
    assert variables.query("request.object.metadata.namespace", ctx, strict=False) is None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2, 2) | st.sampled_from(["", "x", "abc", "PASS"]),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(["a", "b", "c", "name", "value"]), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(data=json_values, expression=st.sampled_from(EXPRESSIONS))
def test_compiled_matches_interpreter_on_arbitrary_json(data, expression):
    interpreted, compiled = both(expression, data)
    assert repr(compiled) == repr(interpreted)


@pytest.mark.parametrize(
    ("text", "expression"),
    [
        ("{{ request.object.kind }}", " request.object.kind "),
        ("{{length(a)}}", "length(a)"),
        ("x {{ a }}", None),
        ("{{ a }}{{ b }}", None),
        ("{{ a }} ", None),
        ("\\{{ a }}", None),
        ("{{ a.{{ b }} }}", None),
        ("plain", None),
    ],
)
def test_whole_variable_fast_path_only_for_one_whole_variable(text, expression):
    assert variables._whole_variable(text) == expression


def test_whole_variable_keeps_type_and_strictness():
    ctx = {"a": [1, 2], "b": "k", "k": 3}
    assert variables.substitute("{{ a }}", ctx) == [1, 2]
    assert variables.substitute("{{ length(a) }}", ctx) == 2
    assert variables.substitute("n={{ length(a) }}", ctx) == "n=2"
    assert variables.substitute("{{ missing }}", ctx, lenient=True) is None
    with pytest.raises(variables.VariableError):
        variables.substitute("{{ missing }}", ctx)
    assert variables.substitute("{{ {{ b }} }}", ctx) == 3
