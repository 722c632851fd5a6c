"""Workers read ahead while their engine's version is undecided, then stream: same results either way."""

from __future__ import annotations

from pathlib import Path

from generator.schema import Engine, Options
from generator.schema import run as schema_run

GOOD = "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}, namespace: n}}\ndata: {{k: v}}\n"
BAD = "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: C_{i}}}\n"


def test_read_ahead_then_streaming_equals_checking_at_once(tmp_path: Path) -> None:
    files = []
    for i in range(8):
        path = tmp_path / f"{i}.yaml"
        path.write_text((BAD if i % 3 == 0 else GOOD).format(i=i))
        files.append(str(path))
    chunk = list(enumerate(files))
    engine = Engine(Options())
    calls: list[bool] = []

    def late(block: bool) -> Engine | None:
        """Undecided for the first three files, then decided."""
        calls.append(block)
        return engine if block or len(calls) > 3 else None

    at_once = schema_run._check_files(lambda _: engine, chunk)
    read_ahead = schema_run._check_files(late, chunk)
    assert read_ahead.per_file == at_once.per_file
    assert (read_ahead.documents, read_ahead.kinds) == (at_once.documents, at_once.kinds)
    assert sum(len(found) for _, _, found in at_once.per_file) == 3
    assert calls == [False] * 8  # never blocked: it streamed from the fourth file on

    calls.clear()
    never = schema_run._check_files(lambda block: engine if block else None, chunk)
    assert never.per_file == at_once.per_file  # all read ahead, checked at the end
