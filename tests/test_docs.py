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


def _quick_start() -> list[str]:
    section = (ROOT / "README.md").read_text().split("## Quick start", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block, "the quick start is a sh code block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_quick_start_works_verbatim_in_a_copy(tmp_path: Path) -> None:
    """The README's commands, exactly as written, in a temporary copy of the repository.

    Kept fast on purpose: the copy reuses this checkout's virtual environments through symlinks
    (the Makefile's install stamps are older than the copied pyproject/requirements, whose times the
    copy keeps, so nothing is reinstalled), and ``make test`` there is narrowed to this file's link
    and README checks through ``PYTEST_ADDOPTS``: the whole suite is what the enclosing ``make test``
    is running already, and the copy running it again (and this test inside it) would recurse.
    The commands themselves are not changed.
    """
    import os
    import shutil
    import subprocess

    commands = _quick_start()
    assert commands == ["make render", "make test"]
    if os.environ.get("GITOPS_GEN_QUICK_START_COPY"):
        pytest.skip("already inside the quick-start copy")
    copy = tmp_path / "repo"
    shutil.copytree(
        ROOT,
        copy,
        symlinks=True,
        ignore=shutil.ignore_patterns(
            ".venv*", ".git", "__pycache__", ".*_cache", ".hypothesis", "bench-out", "*.egg-info"
        ),
    )
    for venv in (".venv", ".venv-checkov"):
        if (ROOT / venv).exists():
            (copy / venv).symlink_to((ROOT / venv).resolve())
    before = {p.relative_to(copy): p.read_bytes() for p in (copy / "rendered").rglob("*") if p.is_file()}
    env = {
        **os.environ,
        "GITOPS_GEN_QUICK_START_COPY": "1",
        "PYTEST_ADDOPTS": "tests/test_docs.py -p no:cacheprovider",
    }
    outputs = []
    for command in commands:
        proc = subprocess.run(
            command, shell=True, cwd=copy, env=env, capture_output=True, text=True, check=False
        )
        assert proc.returncode == 0, f"{command}:\n{proc.stdout}\n{proc.stderr}"
        assert "pip install" not in proc.stdout, "nothing is reinstalled in the copy"
        outputs.append(proc.stdout)
    assert re.search(r"^render: up to date \(\d+ identical\)$", outputs[0], re.MULTILINE), outputs[0]
    assert re.search(r"\d+ passed", outputs[1]), outputs[1]
    after = {p.relative_to(copy): p.read_bytes() for p in (copy / "rendered").rglob("*") if p.is_file()}
    assert after == before, "the committed rendered/ is what make render produces"
