"""One ``Location`` type: errors, findings, the source map and ``locate`` all give one, printed one way."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator.documents import load_file, locate
from generator.errors import EnvFileError
from generator.findings import Finding
from generator.gate.report import get_formatter
from generator.location import Location


@pytest.mark.parametrize(
    ("location", "text"),
    [
        (Location("a.yaml", 3, 5), "a.yaml:3:5"),
        (Location("a.yaml", 3), "a.yaml:3"),
        (Location("a.yaml"), "a.yaml"),
    ],
    ids=["line-and-column", "line", "file"],
)
def test_printed_one_way(location: Location, text: str) -> None:
    assert str(location) == text


def test_errors_and_findings_give_locations() -> None:
    error = EnvFileError("bad", path="environments/dev.yaml", line=3, column=5)
    assert error.location == Location("environments/dev.yaml", 3, 5)
    assert str(error).startswith("environments/dev.yaml:3:5: ")
    assert EnvFileError("bad").location is None
    finding = Finding("rendered/x.yaml", 7, 2, (), "rule", "message")
    assert finding.location == Location("rendered/x.yaml", 7, 2)


def test_a_source_is_a_string_in_json_and_fields_in_sarif() -> None:
    finding = Finding(
        "rendered/x.yaml", 7, 2, (), "rule", "message", source=Location("environments/dev.yaml", 14)
    )
    doc = json.loads(get_formatter("json")([finding], {}, tool="t"))
    assert doc["findings"][0]["source"] == "environments/dev.yaml:14"
    sarif = json.loads(get_formatter("sarif")([finding], {}, tool="t"))
    related = sarif["runs"][0]["results"][0]["relatedLocations"][0]["physicalLocation"]
    assert related == {"artifactLocation": {"uri": "environments/dev.yaml"}, "region": {"startLine": 14}}


def test_locate_falls_back_to_the_document_start(tmp_path: Path) -> None:
    f = tmp_path / "m.yaml"
    f.write_text("# header\napiVersion: v1\nkind: A\nmetadata:\n  name: a\n")
    (doc,) = load_file(f)
    assert locate(doc, ("metadata", "name")) == Location(str(f), 5, 3)
    assert locate(doc, ("metadata", "missing")) == Location(str(f), 4, 1)
    broken = type(doc)(doc.file, doc.index, doc.line, doc.body, text="a: [")
    assert locate(broken, ("metadata",)) == doc.start == Location(str(f), 1)
