"""The canonical dumper: round-trips, quoting of ambiguous scalars, stable bytes."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.dump import dump, needs_quotes

scalars = st.one_of(
    st.text(max_size=20),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.booleans(),
    st.none(),
    st.sampled_from(
        ["on", "off", "yes", "no", "y", "N", "012", "08", "1e3", "0x1F", ".inf", "~", "2024-01-01", "1:30"]
    ),
)
keys = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12
)
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(keys, documents, max_size=5))
def test_dump_then_load_round_trips(doc: dict) -> None:
    text = dump(doc)
    assert yaml.load(text, Loader=yaml.CSafeLoader) == doc
    assert text.endswith("\n")
    assert dump(doc) == text


@pytest.mark.parametrize(
    "text", ["on", "No", "012", "08", "1e3", "0o17", "null", "~", "1_000", ".5", "2024-01-01"]
)
def test_yaml_1_1_and_1_2_lookalikes_are_quoted(text: str) -> None:
    assert needs_quotes(text)
    assert dump({"v": text}) in (f"v: '{text}'\n", f'v: "{text}"\n')


@pytest.mark.parametrize("text", ["info", "docproc", "v1.2.3", "512Mi", "250m", "eu-west-1", "a:b"])
def test_plain_strings_stay_plain(text: str) -> None:
    assert not needs_quotes(text)


def test_key_order_does_not_matter() -> None:
    assert dump({"b": 1, "a": {"d": 2, "c": 3}}) == dump({"a": {"c": 3, "d": 2}, "b": 1})


def test_shared_objects_are_written_out_not_aliased() -> None:
    shared = {"a": 1}
    text = dump({"x": shared, "y": shared})
    assert "&" not in text
    assert "*" not in text
    assert yaml.safe_load(text) == {"x": {"a": 1}, "y": {"a": 1}}
