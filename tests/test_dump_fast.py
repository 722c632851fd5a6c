"""The fast emitter writes the same bytes as PyYAML's C dumper (``dump_reference``), or hands over.

Byte identity is the contract (rendered/ and the golden files must not move): it is checked on every
shipped, golden and fleet document, on scalars chosen to sit on each of libyaml's style decisions,
and on generated documents. A check that the fast path is really taken keeps the tests honest.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from generator import dump as dump_module
from generator.dump import dump, dump_reference
from tests.conftest import ROOT

#: Each sits on one of the rules: YAML 1.1/1.2 look-alikes, indicators first / inside / last,
#: spaces at the ends, line breaks (block scalars and their hints), quotes, non-ASCII, control and
#: astral characters (which the fast path leaves to PyYAML), long keys.
TRICKY = [
    "", " ", "  ", "a", "yes", "Yes", "no", "NO", "on", "off", "Off", "y", "n", "true", "False",
    "null", "Null", "~", "1e3", "1E3", "0x1F", "0o17", "012", "08", "0b101", "1_000", "+1", "-1", "-0",
    ".5", "1.", "-.inf", ".nan", "1:30", "1:30:00", "2024-01-01", "2024-01-01T10:00:00Z",
    "2001-12-14 21:59:43.10 -5", "=", "<<", "<", "-", "--", "---", "---x", "...", "..x", "?", "? a",
    "?a", ":", ": a", ":a", "a:", "a: b", "a:b", "a :b", "a#b", "a #b", "#a", "a#", ",a", "a,b",
    "[a]", "a[0]", "{a}", "a{b}", "&a", "*a", "!a", "a!", "|a", "a|", ">a", "'a'", "a'b", "it's",
    '"a"', 'a"b', "%a", "@a", "`a", "- a", "-a", "a -", " a", "a ", " a ", "a  b", "a\tb", "\t",
    "a\n", "a\nb", "a\nb\n", "a\n\nb\n", "a\n\n", "\n", "\na", " a\nb", "a \nb", "a\n b\n",
    "a\n  \nb", "a\r\nb", "a\rb", "line1\nline2 # x\n", "é", "naïve café", "日本語", "\u00a0",
    "a\u00a0b", "\u2028", "a\u2029b", "\ufeff", "\u0085", "😀", "a\x00b", "\x7f", "\x1b[0m",
    "k" * 128, "k" * 129, "é" * 64, "é" * 65, "{{ request.object.metadata.name }}",
    "https://example.com:443/a?b=c#d", "registry.example.com/team/app:1.2.3", "500m", "1Gi",
    "app.kubernetes.io/name", "*.example.com", "10.0.0.0/8", "0.0.0.0/0", "::1", "a=b", "a==b",
]  # fmt: skip
SCALARS: list[Any] = [*TRICKY, 0, 1, -7, 2**64, True, False, None, 0.5, -2.25, 1e20, 1.5e-7, float("inf")]


def _same_bytes(doc: Mapping[str, Any]) -> None:
    assert dump(doc) == dump_reference(doc)


@pytest.mark.parametrize("value", SCALARS, ids=repr)
def test_tricky_scalar_in_every_position(value: Any) -> None:
    """As a value, a list item, nested in a list item's mapping and (strings) as a key."""
    _same_bytes({"v": value})
    _same_bytes({"v": [value, [value], {"k": value}], "w": {"x": {"y": value}}})
    _same_bytes({"list": [{"k": value, "z": [value]}]})
    if isinstance(value, str):
        _same_bytes({value: 1, "other": {value: [value]}})


@pytest.mark.parametrize(
    "doc",
    [
        {"a": {}, "b": [], "c": [{}, []], "d": [[[]]]},
        {"a": [[1, 2], [3, [4, {"x": "y\nz\n"}]]]},
        {"b": 1, "a": {"d": "x", "c": ["p", "q"]}},
        {"a": ("tuple",)},
        {1: "int key"},
        {"a": {1: "x", "b": "y"}},
        {"a": b"bytes"},
    ],
    ids=repr,
)
def test_structures(doc: dict[Any, Any]) -> None:
    try:
        expected = dump_reference(doc)
    except yaml.YAMLError as e:  # the reference refuses it: so must dump, with the same error
        with pytest.raises(type(e)):
            dump(doc)
        return
    assert dump(doc) == expected


def _assert_fast_and_identical(bodies: list[Mapping[str, Any]]) -> None:
    assert bodies
    fast = 0
    for body in bodies:
        assert dump(body) == dump_reference(body)
        try:
            dump_module._mapping(body, "", [])  # type: ignore[arg-type]
            fast += 1
        except dump_module._Fallback:
            pass
    # The fast path must really be the one taken, or this test proves nothing about speed.
    assert fast >= 0.95 * len(bodies)


def test_every_shipped_document() -> None:
    from generator.pipeline import Project, render_environments

    _assert_fast_and_identical([m.body for m in render_environments(Project(ROOT))])


def test_every_golden_document() -> None:
    golden = sorted((ROOT / "tests" / "golden").glob("*/expected/**/*.yaml"))
    assert golden
    bodies = [
        d
        for p in golden
        for d in yaml.load_all(p.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        if isinstance(d, dict) and d
    ]
    _assert_fast_and_identical(bodies)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from generator.bench.fleet import make_fleet_project

    return make_fleet_project(ROOT, tmp_path_factory.mktemp("fleet") / "p", 12)


def test_every_fleet_document(fleet: Path) -> None:
    from generator.pipeline import Project, render_environments

    _assert_fast_and_identical([m.body for m in render_environments(Project(fleet))])


keys = st.one_of(st.sampled_from(TRICKY), st.text(max_size=12))
scalars = st.one_of(
    st.sampled_from(SCALARS),
    st.text(max_size=30),
    st.text(alphabet=" \n:#-'\"ab", max_size=12),
    st.integers(),
    st.floats(),
    st.booleans(),
    st.none(),
)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        keys,
        st.recursive(
            scalars, lambda i: st.lists(i, max_size=3) | st.dictionaries(keys, i, max_size=3), max_leaves=15
        ),
        max_size=5,
    )
)
def test_generated_documents(doc: dict[str, Any]) -> None:
    _same_bytes(doc)
