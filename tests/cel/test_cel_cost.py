"""The CEL cost budget (issue 11 point 5): runaway expressions are refused fast, legitimate ones run.

Before the budget, nested ``all`` over 100 items ran for minutes and doubling a string through
``cel.bind`` aborted the process (exit 134) once an allocation failed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from generator.cel import compile_expression, evaluate
from generator.cel.cost import BUDGET, estimate
from generator.cel.errors import CelCostError, CelSyntaxError
from generator.cel.parse import Call, Ident, Literal, Select, parse
from generator.cel.syntax import rewrite
from tests.policy.helpers import pod, policy, rule, statuses

#: A refused expression must be refused well inside this (each ran for minutes or crashed before).
FAST = 1.0
ITEMS = list(range(100))


def _doubling(levels: int, start: str = "'ab'", step: str = "s + s") -> str:
    expr = "size(s) > 0"
    for _ in range(levels):
        expr = f"cel.bind(s, {step}, {expr})"
    return f"cel.bind(s, {start}, {expr})"


def _nested_all(levels: int) -> str:
    expr = "true"
    for i in range(levels):
        expr = f"self.all(x{i}, {expr})"
    return expr


RUNAWAY = {
    "nested-all-3": _nested_all(3),
    "nested-all-5": _nested_all(5),
    "string-doubling-bind": _doubling(40),
    "list-doubling-bind": _doubling(40, "[1]", "s + s"),
    "nested-lists-bind": _doubling(40, "[1]", "[s, s]"),
    "huge-range": "lists.range(100000000).all(i, i >= 0)",
    "replace-blowup": "cel.bind(s, 'a'.replace('', 'aaaaaaaaaa'), cel.bind(t, s.replace('', s), "
    "cel.bind(u, t.replace('', t), cel.bind(v, u.replace('', u), size(v) > 0))))",
    "map-of-maps": "self.map(a, self.map(b, self.map(c, a + b + c))).size() > 0",
    "exists-in-filter": "self.filter(a, self.exists(b, self.exists(c, a + b == c))).size() > 0",
    "two-variable": "self.all(i, a, self.all(j, b, self.all(k, c, i + j + k >= 0)))",
}


@pytest.mark.parametrize("expression", RUNAWAY.values(), ids=RUNAWAY.keys())
def test_runaway_expression_is_refused_fast(expression: str) -> None:
    started = time.monotonic()
    with pytest.raises(CelCostError, match="exceeds the budget of 1,000,000"):
        evaluate(expression, {"self": ITEMS})
    assert time.monotonic() - started < FAST


LEGITIMATE = {
    "nested-all-2": (_nested_all(2), True),
    "bind-small": ("cel.bind(s, 'ab', cel.bind(s, s + s, s + s)) == 'abababab'", True),
    "bind-doubling-10": (_doubling(10), True),
    "range-of-size": ("lists.range(size(self)).all(i, self[i] == i)", True),
    "two-variable-all": ("self.all(i, v, v == i)", True),
    "filter-map": ("self.filter(x, x % 2 == 0).map(x, x * 2).size() == 50", True),
    "join-split": ("self.map(x, string(x)).join(',').split(',').size() == 100", True),
}


@pytest.mark.parametrize(("expression", "expected"), LEGITIMATE.values(), ids=LEGITIMATE.keys())
def test_legitimate_expression_runs(expression: str, expected: object) -> None:
    assert evaluate(expression, {"self": ITEMS}) == expected


def test_the_bound_follows_the_input_size() -> None:
    """The same rule runs on a short list and is refused on a long one (sizes come from the data)."""
    program = compile_expression(_nested_all(3))
    assert program.evaluate({"self": list(range(20))}) is True
    with pytest.raises(CelCostError):
        program.evaluate({"self": ITEMS})


def test_estimate_is_an_upper_bound_in_kubernetes_units() -> None:
    tree = parse(rewrite(_nested_all(2)).source)
    assert 100 * 100 <= estimate(tree, {"self": ITEMS}) < BUDGET
    assert estimate(tree, {"self": []}) < 10


def test_doubling_never_crashes_the_process() -> None:
    """Run where an abort would show as an exit code: the process reports an error and exits 0."""
    code = (
        "from generator.cel import evaluate\nfrom generator.cel.errors import CelError\n"
        f"try:\n    evaluate({_doubling(40)!r}, {{}})\nexcept CelError as e:\n    print('refused:', e.reason)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env, check=False
    )
    assert (done.returncode, done.stdout.startswith("refused: estimated cost")) == (0, True), done.stderr


def test_kyverno_cel_rule_over_budget_is_an_error() -> None:
    validate = {
        "cel": {"expressions": [{"expression": _nested_all(3).replace("self", "object.spec.containers")}]}
    }
    containers = [{"name": f"c{i}", "image": "nginx:1.0"} for i in range(100)]
    started = time.monotonic()
    assert statuses(policy([rule(validate)]), pod(containers=containers)) == {"r": "error"}
    assert time.monotonic() - started < FAST


@pytest.mark.parametrize(
    ("source", "tree"),
    [
        ("a.b[0].c", Select(Call("_[_]", None, (Select(Ident("a"), "b"), Literal(0))), "c")),
        (
            "x.all(v, v > 0.5)",
            Call("all", Ident("x"), (Ident("v"), Call("_>_", None, (Ident("v"), Literal(0.5))))),
        ),
        ("-1 + 0x10", Call("_+_", None, (Literal(-1), Literal(16)))),
    ],
)
def test_parser_trees(source: str, tree: object) -> None:
    assert parse(source) == tree


@pytest.mark.parametrize(
    "source",
    ["a ? b : c ? d : e", "{'a': [1, 2u, 3.0e-1], b'x': r'''y'''}", "!!a || -b && c % 2 == 1", "x.y(1)[2].z"],
)
def test_parser_accepts(source: str) -> None:
    parse(source)


# Every CRD rule and conformance expression goes through this parser when it compiles
# (generator.cel.program), so tests/cel/test_cel_corpus.py proves it reads them all.
@pytest.mark.parametrize("source", ["a +", "(a", "a.1", "@x", "(" * 300 + "a" + ")" * 300])
def test_parser_refuses(source: str) -> None:
    with pytest.raises(CelSyntaxError):
        parse(source)
