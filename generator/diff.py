"""What ``render`` would change in ``rendered/``, per resource: added, removed, changed (which fields).

Pure: takes the files ``rendered/`` holds today and the files a render would write (both
``{path relative to rendered/: text}``, only the ones that differ) and returns ``ResourceChange``
records, then formats them as text (optionally coloured), JSON or Markdown for a pull-request
comment. ``generator.pipeline.pending_render`` supplies the two mappings; nothing here reads disk.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from generator import yamlread
from generator.errors import format_yaml_path

__all__ = ["FORMATS", "FieldChange", "ResourceChange", "format_changes", "resource_changes"]

Action = Literal["added", "removed", "changed"]
_ABSENT: Any = object()


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One leaf that differs: ``old``/``new`` is ``None`` where the field is absent on that side."""

    path: str
    """``spec.endpoints[0].targets[0]``."""
    old: Any
    new: Any


@dataclass(frozen=True, slots=True)
class ResourceChange:
    """One rendered object that a render would add, remove or change."""

    action: Action
    file: str
    """Path relative to the project root (``rendered/<env>/<cluster>/…``)."""
    env: str
    cluster: str
    kind: str
    namespace: str
    name: str
    fields: tuple[FieldChange, ...] = ()
    """changed: every leaf that differs."""
    diff: str = ""
    """changed: unified diff of the object's YAML (two lines of context)."""

    @property
    def resource(self) -> str:
        """``Kind namespace/name`` (``Kind name`` when cluster-scoped)."""
        return f"{self.kind} {self.namespace + '/' if self.namespace else ''}{self.name}"


def _body(text: str) -> Mapping[str, Any]:
    body = yamlread.load_or_none(text)
    return body if isinstance(body, Mapping) else {}


def _leaves(old: Any, new: Any, path: tuple[str | int, ...]) -> Iterator[FieldChange]:
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in sorted({*old, *new}, key=str):
            yield from _leaves(old.get(key, _ABSENT), new.get(key, _ABSENT), (*path, str(key)))
    elif isinstance(old, list) and isinstance(new, list):
        for i in range(max(len(old), len(new))):
            yield from _leaves(
                old[i] if i < len(old) else _ABSENT, new[i] if i < len(new) else _ABSENT, (*path, i)
            )
    elif old != new:
        yield FieldChange(
            format_yaml_path(path), None if old is _ABSENT else old, None if new is _ABSENT else new
        )


def _change(action: Action, path: str, old: str | None, new: str | None) -> ResourceChange:
    body = _body(new if new is not None else old or "")
    meta = body.get("metadata") or {}
    env, cluster, *_ = [*path.split("/"), "", ""]
    fields: tuple[FieldChange, ...] = ()
    diff = ""
    if action == "changed" and old is not None and new is not None:
        fields = tuple(_leaves(_body(old), body, ()))
        diff = "\n".join(
            difflib.unified_diff(
                old.splitlines(),
                new.splitlines(),
                f"a/rendered/{path}",
                f"b/rendered/{path}",
                n=2,
                lineterm="",
            )
        )
    return ResourceChange(
        action=action,
        file=f"rendered/{path}",
        env=env,
        cluster=cluster,
        kind=str(body.get("kind", "")),
        namespace=str(meta.get("namespace") or ""),
        name=str(meta.get("name", "")),
        fields=fields,
        diff=diff,
    )


def resource_changes(old: Mapping[str, str], new: Mapping[str, str]) -> tuple[ResourceChange, ...]:
    """Changes from ``old`` (files today) to ``new`` (files a render writes), sorted by path."""
    out = []
    for path in sorted({*old, *new}):
        before, after = old.get(path), new.get(path)
        if before == after:
            continue
        action: Action = "added" if before is None else "removed" if after is None else "changed"
        out.append(_change(action, path, before, after))
    return tuple(out)


def _counts(counts: dict[str, int]) -> str:
    return f"{counts['added']} added, {counts['removed']} removed, {counts['changed']} changed"


def _summary(changes: tuple[ResourceChange, ...]) -> dict[str, int]:
    return {a: sum(1 for c in changes if c.action == a) for a in ("added", "removed", "changed")}


SIGN = {"added": "+", "removed": "-", "changed": "~"}
COLOUR = {"added": "\033[32m", "removed": "\033[31m", "changed": "\033[33m", "@": "\033[36m"}
RESET = "\033[0m"


def _text(changes: tuple[ResourceChange, ...], colour: bool) -> str:
    def paint(key: str, line: str) -> str:
        return f"{COLOUR[key]}{line}{RESET}" if colour else line

    lines = []
    for c in changes:
        lines.append(paint(c.action, f"{SIGN[c.action]} {c.env}/{c.cluster} {c.resource}  ({c.file})"))
        for line in c.diff.splitlines()[2:]:
            key = {"+": "added", "-": "removed", "@": "@"}.get(line[:1])
            lines.append("    " + (paint(key, line) if key else line))
    counts = _summary(changes)
    lines.append(f"diff: {_counts(counts)}")
    return "\n".join(lines) + "\n"


def _json(changes: tuple[ResourceChange, ...]) -> str:
    doc = {
        "changes": [
            {
                "action": c.action,
                "file": c.file,
                "env": c.env,
                "cluster": c.cluster,
                "kind": c.kind,
                "namespace": c.namespace,
                "name": c.name,
                "fields": [{"path": f.path, "old": f.old, "new": f.new} for f in c.fields],
            }
            for c in changes
        ],
        "summary": _summary(changes),
    }
    return json.dumps(doc, indent=2, default=str) + "\n"


def _markdown(changes: tuple[ResourceChange, ...]) -> str:
    counts = _summary(changes)
    head = f"### gitops-gen diff: {_counts(counts)}"
    if not changes:
        return head + "\n\nNo change to `rendered/`.\n"
    lines = [head, "", "| | resource | environment/cluster | file |", "| --- | --- | --- | --- |"]
    lines += [
        f"| {SIGN[c.action]} {c.action} | {c.resource} | {c.env}/{c.cluster} | `{c.file}` |" for c in changes
    ]
    for c in changes:
        if c.diff:
            body = "\n".join(c.diff.splitlines()[2:])
            lines += [
                "",
                f"<details><summary>{c.resource} ({c.env}/{c.cluster})</summary>",
                "",
                "```diff",
                body,
                "```",
                "",
                "</details>",
            ]
    return "\n".join(lines) + "\n"


FORMATS = ("text", "json", "markdown")


def format_changes(changes: tuple[ResourceChange, ...], output: str, *, colour: bool = False) -> str:
    """``changes`` in ``output`` (one of ``FORMATS``); ``colour`` only affects text."""
    if output == "json":
        return _json(changes)
    if output == "markdown":
        return _markdown(changes)
    return _text(changes, colour)
