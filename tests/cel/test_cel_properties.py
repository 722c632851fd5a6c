"""Properties: evaluation yields a value or a CelError, never another exception; the API is complete."""

from __future__ import annotations

import contextlib
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import generator.cel
from generator.cel import CelError, compile_expression, evaluate
from generator.policy.cel_rules import evaluate_validate_cel

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**40), 2**40), st.floats(allow_nan=False), st.text(max_size=8)
)
keys = st.sampled_from(["spec", "metadata", "labels", "name", "containers", "image", "a-b", "x"])
values = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(keys, children, max_size=4)),
    max_leaves=12,
)

EXPRESSIONS = [
    "object.spec.containers.all(c, c.image.endsWith(':latest'))",
    "object.metadata.?labels[?'app'].orValue('') == 'web'",
    "object.?spec.?containers.orValue([]).exists(c, c.?image.orValue('').find('[0-9]+') != '')",
    "object.spec.x.split('-').size() > 1",
    "quantity(object.spec.x).isGreaterThan(quantity('1'))",
    "object.spec.containers.map(c, c.name).isSorted()",
    "has(object.spec) && object.spec.size() > 0",
    "object.spec.?x.value().lowerAscii() == 'a'",
    "url(object.metadata.name).getHost() != ''",
    "'%s-%d'.format([object.metadata.name, object.spec.x])",
]


@settings(max_examples=60, deadline=None)
@given(obj=values)
def test_evaluate_raises_only_cel_errors(obj: Any) -> None:
    for expression in EXPRESSIONS:
        with contextlib.suppress(CelError):
            evaluate(expression, {"object": obj})


@settings(max_examples=40, deadline=None)
@given(obj=values)
def test_validate_cel_always_returns_a_result(obj: Any) -> None:
    cel = {
        "variables": [{"name": "v", "expression": "object.spec"}],
        "expressions": [{"expression": e, "messageExpression": "string(variables.v)"} for e in EXPRESSIONS],
    }
    result = evaluate_validate_cel(cel, obj=obj, old_obj=None, request={}, namespace_object=None)
    assert result.status in {"pass", "fail", "error"}
    assert isinstance(result.message, str)


def test_public_surface_is_sorted_and_complete() -> None:
    assert generator.cel.__all__ == sorted(generator.cel.__all__)
    public = {
        n
        for n in dir(generator.cel)
        if not n.startswith("_") and (n[0].isupper() or callable(getattr(generator.cel, n)))
    }
    modules = {"errors", "program", "syntax", "native", "library", "schema_values", "variables"}
    assert public - modules - {"annotations", "Any", "Mapping"} <= set(generator.cel.__all__)


TOKENS = ["a", ".", "?", "[", "]", "(", ")", "{", "}", ",", "'x'", '"y"', "1", "variables", "cel", "bind",
          "orValue", "hasValue", "all", "map", " ", "+", "==", "&&", ":", "r'z'", "optMap", "transformList",
          "//c\n", "'''t'''", "\\", "'", '"']  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(source=st.lists(st.sampled_from(TOKENS), min_size=1, max_size=14).map("".join))
def test_any_source_compiles_or_raises_a_cel_error(source: str) -> None:
    """The syntax rewrite never crashes on malformed input: it is CEL's or our error."""
    with contextlib.suppress(CelError):
        compile_expression(source).evaluate({"a": {"x": 1}}, variables={})
