"""Kubernetes manifests on disk → ``Document`` records, the way lightkube's codecs treat them.

Used by ``validate``, ``policy`` and ``check`` for any manifests, not only ours. Empty YAML
documents are skipped, ``*List`` kinds are flattened, a document without ``apiVersion``/``kind`` is
a ``ManifestLoadError`` naming file and index. Files this tool generated are parsed with yaml-rs
(``yamlread.load_generated``), all others with PyYAML's C loader; line numbers of fields are
computed lazily, only for findings, by ``locate``, so the fast path never builds a node tree.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from generator import yamlread
from generator.errors import ManifestLoadError
from generator.location import Location
from generator.manifest import HEADER_PREFIX

__all__ = ["Document", "DocumentSource", "iter_manifest_files", "load_file", "load_paths", "locate"]

YAML_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True, slots=True)
class Document:
    """One Kubernetes object from a file."""

    file: str
    """Path as given (or found under a given directory)."""
    index: int
    """0-based position among the file's non-empty documents (List items share their List's)."""
    line: int
    """1-based line where the document's text starts."""
    body: Mapping[str, Any]
    """The parsed object; never mutated."""
    text: str = ""
    """The YAML text of the document, kept so ``locate`` can find field lines on demand."""
    item: int | None = None
    """Position inside a ``*List`` document's ``items``, when flattened from one."""

    @property
    def start(self) -> Location:
        """Where the document's text starts: what a finding about the whole document points at."""
        return Location(self.file, self.line)

    @property
    def api_version(self) -> str:
        return str(self.body.get("apiVersion", ""))

    @property
    def kind(self) -> str:
        return str(self.body.get("kind", ""))

    @property
    def name(self) -> str:
        meta = self.body.get("metadata") or {}
        return str(meta.get("name", "")) if isinstance(meta, Mapping) else ""

    @property
    def namespace(self) -> str:
        meta = self.body.get("metadata") or {}
        return str(meta.get("namespace", "") or "") if isinstance(meta, Mapping) else ""


def _flatten(file: str, index: int, line: int, text: str, body: Any) -> Iterator[Document]:
    if not isinstance(body, Mapping):
        raise ManifestLoadError(
            f"document {index} is a {type(body).__name__}, not a Kubernetes object",
            path=file,
            line=line,
            hint="every YAML document must be a mapping with apiVersion and kind",
        )
    kind = body.get("kind")
    if not body.get("apiVersion") or not kind:
        missing = "apiVersion" if not body.get("apiVersion") else "kind"
        raise ManifestLoadError(
            f"document {index} has no {missing}",
            path=file,
            line=line,
            hint="add apiVersion and kind, or remove the document",
        )
    if isinstance(kind, str) and kind.endswith("List") and isinstance(body.get("items"), list):
        for i, item in enumerate(body["items"]):
            for doc in _flatten(file, index, line, text, item):
                yield Document(file=doc.file, index=index, line=line, body=doc.body, text=text, item=i)
        return
    yield Document(file=file, index=index, line=line, body=body, text=text)


def load_file(path: str | os.PathLike[str], text: str | None = None) -> list[Document]:
    """Parse one manifest file into documents.

    Raises:
        ManifestLoadError: unreadable file, YAML syntax error, or a document that is not an object.
    """
    file = os.fspath(path)
    checked = text is None
    if text is None:
        text = yamlread.read_text(Path(file), file, ManifestLoadError)
    docs: list[Document] = []
    # Files this tool generated take the fast parser (it falls back to PyYAML on anything that
    # could read differently); anything else a user wrote is read by PyYAML alone.
    generated = text.startswith(HEADER_PREFIX)
    loaded = yamlread.load_documents(
        text, file=file, error=ManifestLoadError, checked=checked, generated=generated
    )
    for index, line, chunk, body in loaded:
        docs.extend(_flatten(file, index, line, chunk, body))
    return docs


def iter_manifest_files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[str]:
    """Expand files and directories (recursively, sorted) into YAML/JSON file paths.

    Raises:
        ManifestLoadError: a path that does not exist.
    """
    for p in paths:
        path = Path(p)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs.sort()
                for f in sorted(files):
                    if f.endswith(YAML_SUFFIXES):
                        yield os.path.join(root, f)
        elif path.is_file():
            yield os.fspath(p)
        else:
            raise ManifestLoadError("no such file or directory", path=os.fspath(p))


def load_paths(paths: Iterable[str | os.PathLike[str]]) -> list[Document]:
    """All documents of all manifest files under ``paths``, in a stable order."""
    docs: list[Document] = []
    for file in iter_manifest_files(paths):
        docs.extend(load_file(file))
    return docs


def locate(doc: Document, yaml_path: tuple[str | int, ...]) -> Location:
    """Where the deepest node of ``yaml_path`` that exists in ``doc`` is written (1-based).

    Composes only this document's node tree, and only when a finding needs it. Never raises: a
    location is what a message is built around, so when the text is missing or cannot be composed
    the answer is the one fallback, ``doc.start`` (the document's first line, no column).
    """
    if not doc.text:
        return doc.start
    node = yamlread.compose_or_none(doc.text)
    if node is None:
        return doc.start
    if doc.item is not None:
        for part in ("items", doc.item):
            found = _child(node, part)
            if found is None:
                return doc.start
            node = found[1]
    best = (node.start_mark.line, node.start_mark.column)
    for part in yaml_path:
        found = _child(node, part)
        if found is None:
            break
        mark, node = found
        best = (mark.line, mark.column)
    return Location(doc.file, doc.line + best[0], best[1] + 1)


@dataclass(frozen=True, slots=True)
class DocumentSource:
    """The sources of an object a user wrote (``extraManifests``): each field traces to its own line."""

    document: Document

    def lookup(self, body: Mapping[str, Any], yaml_path: tuple[str | int, ...]) -> Location | None:
        """Where ``yaml_path`` (or its deepest written ancestor) is in the user's file."""
        return locate(self.document, yaml_path)


def _child(node: yaml.Node, part: str | int) -> tuple[yaml.Mark, yaml.Node] | None:
    """The child at ``part`` and the mark to report for it (the key's, for mapping entries)."""
    if isinstance(node, yaml.MappingNode) and isinstance(part, str):
        for key, value in node.value:
            if key.value == part:
                return key.start_mark, value
    elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        child: yaml.Node = node.value[part]
        return child.start_mark, child
    return None
