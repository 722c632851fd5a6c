"""The objects ``check`` checks, as their files under ``rendered/`` hold them. Pure.

An environment whose stamp holds (``generator.stamps``) is not rendered again: its objects are read
back from its files (``reread``). Any other is rendered with ``compact``: its objects are taken as
their files will hold them, with each mapping's keys in the order the canonical dump writes them
(sorted). Both ways give equal objects with equal key order (tested on every shipped object), so
the findings, and their order, never depend on a local cache. Both hold each distinct string of an
environment once (``generator.render.hold``): the gate keeps an environment's objects while it
checks them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from generator import yamlread
from generator.errors import ManifestLoadError
from generator.manifest import Manifest, Sources
from generator.render import hold, sort_key

__all__ = ["RoundTripError", "reread"]


class RoundTripError(RuntimeError):
    """A rendered file holds no single object at the path its identity names (an internal error)."""


def _body(path: str, text: str) -> Mapping[str, Any]:
    docs = yamlread.load_all_generated(text)
    if docs is None:
        shown = f"rendered/{path}"
        docs = [
            d for *_, d in yamlread.load_documents(text, file=shown, error=ManifestLoadError, generated=True)
        ]
    if len(docs) != 1 or not isinstance(docs[0], Mapping):
        raise RoundTripError(f"rendered/{path} holds {len(docs)} documents, not one object")
    return docs[0]


def reread(env: str, files: Mapping[str, str], sources: Callable[[str], Sources | None]) -> list[Manifest]:
    """The objects of ``env``'s ``files`` (``{path under rendered/: text}``), in render order (``sort_key``).

    ``sources(path)`` locates each file's object in the environment (``Manifest.sources``).

    Raises:
        RoundTripError: a file holds no single object, or one whose identity names another path.
    """
    strings: dict[str, str] = {}
    out = []
    for path, text in files.items():
        _, cluster, component, _ = path.split("/", 3)
        body = hold(_body(path, text), strings, sort=False)  # the dump wrote the keys sorted
        m = Manifest(env, cluster, component, body, sources(path))
        if m.path != path:
            raise RoundTripError(f"rendered/{path} holds {m.kind} {m.name}, whose file is {m.path}")
        out.append(m)
    return sorted(out, key=sort_key)
