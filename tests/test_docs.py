"""The README is the front door: short, with the two-command quick start, and every link resolves."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted([ROOT / "README.md", ROOT / "CHANGELOG.md", *(ROOT / "docs").rglob("*.md")])
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
CODE = re.compile(r"```.*?```|`[^`\n]*`", re.DOTALL)


def links(doc: Path) -> list[str]:
    """Relative link targets of a Markdown file (code spans and blocks are not links)."""
    return [t for t in LINK.findall(CODE.sub("", doc.read_text())) if "://" not in t]


def test_readme_is_a_front_door() -> None:
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) <= 200, "README is the front door: move long material to docs/"
    assert "```sh\nmake render\nmake test\n```" in text


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(doc: Path) -> None:
    missing = [t for t in links(doc) if not (doc.parent / t).exists()]
    assert not missing, f"{doc.name} links to missing files: {missing}"


def test_every_doc_is_linked_from_the_readme_or_another_doc() -> None:
    linked = {(doc.parent / t).resolve() for doc in DOCS for t in links(doc)}
    orphans = [str(d.relative_to(ROOT)) for d in DOCS if d.name != "README.md" and d.resolve() not in linked]
    assert not orphans, f"not reachable from the README: {orphans}"


def test_environment_reference_is_generated_from_the_schema(cli) -> None:
    result = cli("schema", "--format", "markdown")
    assert result.code == 0
    committed = (ROOT / "docs" / "environment-reference.md").read_text()
    assert committed == result.out, "docs/environment-reference.md is stale: run `make docs` and commit it"


def test_environment_reference_lists_every_schema_key(cli) -> None:
    """Every property the schema declares, at any depth, appears as a key path in the reference."""
    import json

    schema = json.loads(cli("schema").out)
    page = cli("schema", "--format", "markdown").out
    names: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            names.update(node.get("properties", {}))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    missing = sorted(n for n in names if f"`{n}`" not in page and f".{n}`" not in page)
    assert not missing
