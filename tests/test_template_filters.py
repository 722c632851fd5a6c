"""The templates' ``q`` filter: every value inserted as JSON, its fast path for text included."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from generator.templating import q

VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


@given(VALUES)
def test_q_is_sorted_ascii_json(value: Any) -> None:
    assert q(value) == json.dumps(value, sort_keys=True, ensure_ascii=True)
    assert json.loads(q(value)) == value


@given(st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF)))
def test_q_of_text_escapes_every_character_that_is_not_printable_ascii(text: str) -> None:
    quoted = q(text)
    assert quoted.isascii()
    assert all(" " <= c <= "~" for c in quoted)
    assert json.loads(quoted) == text
