"""Round-trip edits of an environment file: change values, keep everything else byte for byte.

ruamel.yaml's round trip keeps comments, key order, quoting and flow/block style, but its dump can
still normalise untouched lines (e.g. ``[{name: jobs}]`` → ``[name: jobs]``). So the document is
dumped twice, unmodified and modified, and only the line-level difference between those two dumps
is applied to the original text: a ``git diff`` of the file then shows only the changed values.
Nothing here writes: ``replace_file`` (temp file + rename) is called once the new text is proven.
"""

from __future__ import annotations

import difflib
import io
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString
from ruamel.yaml.util import load_yaml_guess_indent

from generator.errors import EnvFileError

__all__ = ["DELETE", "ByName", "Edit", "apply_edits", "replace_file"]


@dataclass(frozen=True, slots=True)
class ByName:
    """The entry of a named list (``services``, ``rabbitmq.queues``…) whose ``name`` is ``name``.

    Layered files list only the entries they change, in any order, so an edit addresses an entry by
    name, never by its index in the merged list; an entry only inherited is added to the edited
    file as ``{name: …}`` with the edited key (an override, see ``generator.layering``).
    """

    name: str

    def __str__(self) -> str:
        """The name, as a YAML path shows the entry."""
        return self.name


YamlPath = tuple[str | int | ByName, ...]
DELETE: Any = object()
"""Sentinel value of an ``Edit`` that removes the key."""
_QUOTED = (DoubleQuotedScalarString, SingleQuotedScalarString)


@dataclass(frozen=True, slots=True)
class Edit:
    """Set ``path`` to ``value`` (creating missing mappings on the way), or remove it (``DELETE``)."""

    path: YamlPath
    value: Any
    after: str | None = None
    """For a new key: insert it after this sibling (default: at the end of its mapping)."""


def _yaml(text: str) -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    _, seq_indent, offset = load_yaml_guess_indent(text)
    nested = [len(m.group(1)) for m in re.finditer(r"(?m)^( +)[A-Za-z0-9_\"'][^:\n]*:", text)]
    yaml.indent(mapping=min(nested) if nested else 2, sequence=seq_indent or 2, offset=offset or 0)
    return yaml


def _styled(value: Any, like: Any) -> Any:
    """``value`` quoted the way ``like`` (the old value, or a sibling) is quoted."""
    if isinstance(value, str) and isinstance(like, _QUOTED):
        return type(like)(value)
    return value


def _sibling_string(mapping: Any) -> Any:
    for key, value in mapping.items():
        if isinstance(value, str):
            return value
        if isinstance(key, str):
            return key
    return None


def _entry(items: Any, ref: ByName, create: bool) -> Any:
    """The entry of ``items`` named ``ref.name`` (appended as ``{name: …}`` when ``create``), or None."""
    for item in items:
        if isinstance(item, dict) and item.get("name") == ref.name:
            return item
    if not create:
        return None
    entry = CommentedMap()
    entry["name"] = ref.name
    items.append(entry)
    return entry


def _apply(doc: Any, edit: Edit) -> None:
    node = doc
    for i, part in enumerate(edit.path[:-1]):
        if isinstance(part, ByName):
            node = _entry(node, part, edit.value is not DELETE)
            if node is None:
                return
            continue
        if isinstance(part, str) and part not in node:
            if edit.value is DELETE:
                return
            node.insert(
                len(node), part, CommentedSeq() if isinstance(edit.path[i + 1], ByName) else CommentedMap()
            )
            if getattr(node.fa, "_flow_style", None):
                node[part].fa.set_flow_style()
        node = node[part]
    key = edit.path[-1]
    if edit.value is DELETE:
        if key in node:
            del node[key]
        return
    if key in node:
        node[key] = _styled(edit.value, node[key])
        return
    like = _sibling_string(node)
    key_out = (
        _styled(key, next((k for k in node if isinstance(k, str)), None)) if isinstance(key, str) else key
    )
    keys = list(node)
    pos = keys.index(edit.after) + 1 if edit.after in keys else len(keys)
    node.insert(pos, key_out, _styled(edit.value, like))


def _dump(yaml: YAML, doc: Any) -> list[str]:
    out = io.StringIO()
    yaml.dump(doc, out)
    return out.getvalue().splitlines(keepends=True)


def apply_edits(text: str, edits: Sequence[Edit], *, shown: str) -> str:
    """``text`` with ``edits`` applied; every untouched line is kept exactly as written.

    Raises:
        EnvFileError: the file is not YAML, or a changed line falls where ruamel.yaml cannot
            reproduce the original formatting (then nothing is changed).
    """
    yaml = _yaml(text)
    try:
        doc = yaml.load(text)
        baseline = _dump(yaml, doc)
        for edit in edits:
            _apply(doc, edit)
        changed = _dump(yaml, doc)
    except YAMLError as e:
        raise EnvFileError(f"cannot edit the file: {e}", path=shown, hint="fix the YAML first") from e
    original = text.splitlines(keepends=True)
    # Lines where the unmodified dump equals the original: only there can a change be placed.
    to_original: dict[int, int] = {}
    for tag, i1, i2, j1, _ in difflib.SequenceMatcher(a=baseline, b=original, autojunk=False).get_opcodes():
        if tag == "equal":
            to_original.update({i1 + k: j1 + k for k in range(i2 - i1)})
    out = list(original)
    ops = difflib.SequenceMatcher(a=baseline, b=changed, autojunk=False).get_opcodes()
    for tag, i1, i2, j1, j2 in reversed(ops):
        if tag == "equal":
            continue
        anchors = [to_original.get(i) for i in range(max(i1 - 1, 0), min(i2 + 1, len(baseline)))]
        if (i1 < i2 and any(to_original.get(i) is None for i in range(i1, i2))) or not any(
            a is not None for a in anchors
        ):
            raise EnvFileError(
                "cannot edit this part of the file without reformatting it",
                path=shown,
                hint="write the release section in block style (one key per line), then retry",
            )
        if i1 < i2:
            start, end = to_original[i1], to_original[i2 - 1] + 1
        else:
            before = to_original.get(i1 - 1)
            start = end = before + 1 if before is not None else to_original[i1]
        out[start:end] = changed[j1:j2]
    return "".join(out)


def replace_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically: a temp file in the same directory, then a rename."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
