from pathlib import Path

import pytest

from generator.documents import load_file, locate
from generator.errors import ManifestLoadError


def test_multi_document_lines_and_empty_docs_skipped(tmp_path: Path) -> None:
    f = tmp_path / "m.yaml"
    f.write_text("---\napiVersion: v1\nkind: A\nmetadata:\n  name: a\n---\n---\napiVersion: v1\nkind: B\n")
    docs = load_file(f)
    assert [(d.kind, d.line, d.index) for d in docs] == [("A", 2, 0), ("B", 8, 1)]
    at = locate(docs[0], ("metadata", "name"))
    assert (at.line, at.column) == (5, 3)


def test_list_kind_flattened(tmp_path: Path) -> None:
    f = tmp_path / "l.yaml"
    f.write_text("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: p}\n")
    docs = load_file(f)
    assert [(d.kind, d.name, d.item) for d in docs] == [("Pod", "p", 0)]
    assert locate(docs[0], ("kind",)).line == 5


@pytest.mark.parametrize(
    ("text", "message"),
    [("apiVersion: v1\n", "no kind"), ("- a\n", "not a Kubernetes object"), ("a: [\n", "invalid YAML")],
    ids=["missing-kind", "not-mapping", "syntax"],
)
def test_bad_documents_are_load_errors(tmp_path: Path, text: str, message: str) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    with pytest.raises(ManifestLoadError, match=message) as info:
        load_file(f)
    assert str(f) in str(info.value)
