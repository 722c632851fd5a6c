"""The README is the front door: short, with the two-command quick start, and every link resolves."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted([ROOT / "README.md", ROOT / "CHANGELOG.md", *(ROOT / "docs").rglob("*.md")])
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_readme_is_a_front_door() -> None:
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) <= 200, "README is the front door: move long material to docs/"
    assert "```sh\nmake render\nmake test\n```" in text


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(doc: Path) -> None:
    targets = [t for t in LINK.findall(doc.read_text()) if "://" not in t]
    missing = [t for t in targets if not (doc.parent / t).exists()]
    assert not missing, f"{doc.name} links to missing files: {missing}"


def test_every_doc_is_linked_from_the_readme_or_another_doc() -> None:
    linked = {
        (doc.parent / t).resolve() for doc in DOCS for t in LINK.findall(doc.read_text()) if "://" not in t
    }
    orphans = [str(d.relative_to(ROOT)) for d in DOCS if d.name != "README.md" and d.resolve() not in linked]
    assert not orphans, f"not reachable from the README: {orphans}"
