"""Fast paths of ``generator.yamlread`` give what the general code gives.

``read_text`` reads what ``fstat`` promised, and on to its limit when the file grew;
``split_documents`` on a text without a ``---`` line equals the regex split.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator import yamlread
from generator.errors import ManifestLoadError


def _read(path: Path, expected: int, limit: int) -> bytes:
    fd = os.open(path, os.O_RDONLY)
    try:
        return yamlread._read_fd(fd, expected, limit)
    finally:
        os.close(fd)


@pytest.mark.parametrize("size", [0, 1, 4095, 65_537, 300_001])
def test_reads_a_whole_file_of_any_size(tmp_path: Path, size: int) -> None:
    data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    (tmp_path / "f").write_bytes(data)
    assert _read(tmp_path / "f", size, size + 10) == data


@pytest.mark.parametrize("stale", [0, 10, 70_000])
def test_a_file_that_grew_after_fstat_is_read_on(tmp_path: Path, stale: int) -> None:
    """``expected`` is only the first request: a larger file is read to its end (or the limit)."""
    data = b"y" * 200_000
    (tmp_path / "f").write_bytes(data)
    assert _read(tmp_path / "f", stale, 1_000_000) == data
    assert _read(tmp_path / "f", stale, 150_001) == data[:150_001]


def test_read_text_refuses_a_file_that_grew_past_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The size check stays exact when ``fstat`` saw a small file and the read finds a large one."""
    path = tmp_path / "a.yaml"
    path.write_text("a: " + "b" * 5_000 + "\n")
    real_fstat = os.fstat

    def shrunk(fd: int) -> os.stat_result:
        st = real_fstat(fd)
        return os.stat_result((st.st_mode, *st[1:6], 10, *st[7:10]))

    monkeypatch.setattr(yamlread.os, "fstat", shrunk)
    with pytest.raises(ManifestLoadError, match="grew past the 1000 bytes"):
        yamlread.read_text(path, "a.yaml", ManifestLoadError, max_bytes=1_000)
    assert yamlread.read_text(path, "a.yaml", ManifestLoadError, max_bytes=10_000) == path.read_text()


@given(st.text(alphabet="-\n \t\r\x85\u2028a:#.", max_size=40))
def test_split_documents_equals_the_regex_split(text: str) -> None:
    assert yamlread.split_documents(text) == yamlread._split_on_markers(text)


@pytest.mark.parametrize(
    "text", ["", "\n", " \n\t", "a: 1\n", "---\na: 1\n", "a: 1\n---\nb: 2\n", "a: 1\n--- x\n"]
)
def test_split_documents_examples(text: str) -> None:
    assert yamlread.split_documents(text) == yamlread._split_on_markers(text)


def test_spaces_are_what_python_calls_whitespace() -> None:
    """The RE2 hint stands in for Python's ``\\s`` with this list: it must hold every such character."""
    assert set(yamlread._SPACES) == {chr(c) for c in range(0x110000) if chr(c).isspace()}


#: Characters every alternative of the divergence pattern turns on, plus non-ASCII word and space ones.
_YAMLISH = "\n \t,[]{}:#&*!?%.-+_0123456789eEoOxXbBaAfFlLsSyYnN<=/é٣\xa0\u2028\u3000\x85\x0b\x0c\r("


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet=_YAMLISH, max_size=24))
def test_divergence_hint_never_misses_what_the_full_pattern_finds(text: str) -> None:
    """``divergent`` asks RE2 first and Python's regex only on a hit: the hint must be a superset."""
    full = yamlread._DIVERGENT.search("\n" + text) is not None
    if full:
        assert yamlread._DIVERGENT_HINT.search("\n" + text) is not None
    assert yamlread.divergent(text) == full


@pytest.mark.parametrize(
    "text",
    [
        "a: &x 1\n",
        "a: *x\n",
        "a: !!str 1\n",
        "a: !é x\n",
        "%YAML 1.1\n",
        "a\n...\n",
        "? a\n: b\n",
        "a: yes\n",
        "a: [On, b]\n",
        "a: {b: NO}\n",
        "<<: x\n",
        "a: =\n",
        "a: 017\n",
        "a: 0x1f\n",
        "a: 1_000\n",
        "a: 1e3\n",
        "a: .5\n",
        "a: 1:20\n",
        "a: .inf\n",
        "a: 2001-12-14\n",
        "a: 1234567890123456789\n",
        "a:\u3000yes\n",
        "a:\x85on\n",
        "a: &é x\n",
    ],
)
def test_divergence_hint_finds_each_form(text: str) -> None:
    assert yamlread._DIVERGENT.search("\n" + text) is not None
    assert yamlread.divergent(text)
