"""RFC 6902 JSON Patch (``patchesJson6902``), applied as Kyverno applies it (evanphx/json-patch).

Operations ``add`` (``-`` appends), ``remove``, ``replace``, ``move``, ``copy``, ``test``; paths
are JSON Pointers (``~1`` is ``/``, ``~0`` is ``~``). ``add`` creates missing parents (a list
when the next token is ``-`` or an index) and ``remove`` of a missing path does nothing, as
Kyverno enables ``EnsurePathExistsOnAdd`` and ``AllowMissingPathOnRemove``. A patch that cannot
apply raises ``JsonPatchError``. Pure: works on a deep copy.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

__all__ = ["JsonPatchError", "apply_json_patch"]


class JsonPatchError(ValueError):
    """The patch does not apply to the document."""


def _tokens(pointer: str) -> list[str]:
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise JsonPatchError(f"invalid JSON pointer {pointer!r}")
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


def _index(container: list[Any], token: str, *, for_add: bool = False) -> int:
    if token == "-" and for_add:
        return len(container)
    try:
        index = int(token)
    except ValueError as e:
        raise JsonPatchError(f"invalid array index {token!r}") from e
    limit = len(container) if for_add else len(container) - 1
    if index < 0 or index > limit:
        raise JsonPatchError(f"array index {index} out of range")
    return index


def _parent(doc: Any, tokens: list[str], *, create: bool) -> Any:
    node = doc
    for position, token in enumerate(tokens[:-1]):
        if isinstance(node, dict):
            if token not in node:
                if not create:
                    raise JsonPatchError(f"path segment {token!r} not found")
                following = tokens[position + 1]
                node[token] = [] if following == "-" or following.isdigit() else {}
            node = node[token]
        elif isinstance(node, list):
            node = node[_index(node, token)]
        else:
            raise JsonPatchError(f"cannot descend into {type(node).__name__} at {token!r}")
    return node


def _get(doc: Any, pointer: str) -> Any:
    node = doc
    for token in _tokens(pointer):
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list):
            node = node[_index(node, token)]
        else:
            raise JsonPatchError(f"path {pointer!r} not found")
    return node


def _add(doc: Any, pointer: str, value: Any) -> Any:
    tokens = _tokens(pointer)
    if not tokens:
        return value
    parent = _parent(doc, tokens, create=True)
    last = tokens[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        parent.insert(_index(parent, last, for_add=True), value)
    else:
        raise JsonPatchError(f"cannot add to {type(parent).__name__}")
    return doc


def _remove(doc: Any, pointer: str) -> Any:
    tokens = _tokens(pointer)
    parent = _parent(doc, tokens, create=False)
    last = tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise JsonPatchError(f"path {pointer!r} not found")
        del parent[last]
    elif isinstance(parent, list):
        del parent[_index(parent, last)]
    else:
        raise JsonPatchError(f"path {pointer!r} not found")
    return doc


def apply_json_patch(document: Mapping[str, Any], operations: Any) -> Any:
    """``document`` after the RFC 6902 ``operations``.

    Raises:
        JsonPatchError: an operation is malformed or does not apply.
    """
    if not isinstance(operations, list):
        raise JsonPatchError("patchesJson6902 must be a list of operations")
    doc: Any = copy.deepcopy(document)
    for op in operations:
        if not isinstance(op, Mapping):
            raise JsonPatchError("a JSON patch operation must be a mapping")
        kind, path = str(op.get("op", "")), str(op.get("path", ""))
        if kind == "add":
            doc = _add(doc, path, copy.deepcopy(op.get("value")))
        elif kind == "remove":
            try:
                _get(doc, path)
            except JsonPatchError:
                continue  # AllowMissingPathOnRemove
            doc = _remove(doc, path)
        elif kind == "replace":
            _get(doc, path)
            doc = _add(_remove(doc, path), path, copy.deepcopy(op.get("value")))
        elif kind in ("move", "copy"):
            value = copy.deepcopy(_get(doc, str(op.get("from", ""))))
            if kind == "move":
                doc = _remove(doc, str(op.get("from", "")))
            doc = _add(doc, path, value)
        elif kind == "test":
            if _get(doc, path) != op.get("value"):
                raise JsonPatchError(f"test operation failed at {path!r}")
        else:
            raise JsonPatchError(f"unknown JSON patch operation {kind!r}")
    return doc
