"""Built-in kinds: the Kubernetes JSON Schemas shipped by the ``kubernetes-validate`` package.

Reads the package's schema directory in place (``kubernetes-json-schema/v<X.Y.Z>-local[-strict]``):
one JSON Schema 2020-12 file per kind that refers into a shared 1.8 MB ``_definitions.json``.
Unlike the package's own per-document API, which reloads the definitions and rebuilds a validator
for every document, this module loads the definitions once per process and bundles, per kind, only
the definitions that kind reaches, so a compiled validator stays small. It returns plain JSON Schema
dicts; compiling them is the caller's business.
"""

from __future__ import annotations

import importlib.util
import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from generator.errors import SchemaLoadError, UsageError

__all__ = [
    "KubeSchemas",
    "available_versions",
    "nearest_shipped",
    "object_meta_schema",
    "pick_version",
    "schema_root",
]

_VERSION_DIR = re.compile(r"^v(\d+)\.(\d+)\.(\d+)-local$")
_DEFS_REF = '"/api/_definitions.json#'
_REF = re.compile(r'"\$ref": "#/\$defs/([^"]+)"')
OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"


@cache
def schema_root() -> Path:
    """The ``kubernetes-json-schema`` directory inside the installed ``kubernetes_validate`` package.

    Found through the import system without importing the package: its ``__init__`` loads
    jsonschema and its own validator, 50 ms of every ``validate`` start-up for a directory name.
    """
    spec = importlib.util.find_spec("kubernetes_validate")
    places = list(spec.submodule_search_locations or ()) if spec is not None else []
    root = Path(places[0] if places else "kubernetes_validate") / "kubernetes-json-schema"
    if not root.is_dir():
        raise SchemaLoadError(
            "the kubernetes-validate package ships no kubernetes-json-schema directory",
            path=str(root),
            hint="reinstall the pinned kubernetes-validate (make clean install)",
        )
    return root


@cache
def available_versions() -> tuple[str, ...]:
    """Shipped Kubernetes versions as ``X.Y``, oldest first."""
    found: list[tuple[int, int]] = []
    for entry in schema_root().iterdir():
        m = _VERSION_DIR.match(entry.name)
        if m:
            found.append((int(m.group(1)), int(m.group(2))))
    return tuple(f"{a}.{b}" for a, b in sorted(found))


def pick_version(requested: str | None) -> str:
    """``requested`` (``X.Y``, optionally ``vX.Y`` or ``X.Y.Z``) if shipped, else the newest shipped.

    Raises:
        UsageError: the requested version is not shipped by kubernetes-validate.
    """
    versions = available_versions()
    if not versions:
        raise SchemaLoadError("kubernetes-validate ships no schema versions", path=str(schema_root()))
    if requested is None:
        return versions[-1]
    m = re.fullmatch(r"v?(\d+)\.(\d+)(?:\.\d+)?", requested.strip())
    wanted = f"{int(m.group(1))}.{int(m.group(2))}" if m else requested
    if wanted not in versions:
        raise UsageError(
            f"--kubernetes-version {requested}: no schemas shipped for this version",
            hint=f"choose one of {', '.join(versions)}",
        )
    return wanted


def nearest_shipped(version: str) -> str | None:
    """The newest shipped version not newer than ``version`` (``X.Y``), as kubernetes-validate picks."""
    m = re.fullmatch(r"v?(\d+)\.(\d+)(?:\.\d+)?", str(version).strip())
    if m is None:
        return None
    wanted = (int(m.group(1)), int(m.group(2)))
    older = [v for v in available_versions() if tuple(map(int, v.split("."))) <= wanted]
    return older[-1] if older else None


def _version_dir(version: str, strict: bool) -> Path:
    return schema_root() / f"v{version}.0-local{'-strict' if strict else ''}"


@dataclass
class _Definitions:
    defs: dict[str, Any]
    refs: dict[str, frozenset[str]] = field(default_factory=dict)

    def closure(self, roots: set[str]) -> dict[str, Any]:
        """Every definition reachable from ``roots``, each once."""
        seen: set[str] = set()
        todo = list(roots)
        while todo:
            name = todo.pop()
            if name in seen or name not in self.defs:
                continue
            seen.add(name)
            if name not in self.refs:
                self.refs[name] = frozenset(_REF.findall(json.dumps(self.defs[name])))
            todo.extend(self.refs[name] - seen)
        return {name: self.defs[name] for name in sorted(seen)}


@cache
def _definitions(version: str, strict: bool) -> _Definitions:
    path = _version_dir(version, strict) / "_definitions.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise SchemaLoadError(f"cannot load Kubernetes definitions: {e}", path=str(path)) from e
    return _Definitions(defs=data.get("$defs", {}))


def _bundle(text: str, defs: _Definitions) -> dict[str, Any]:
    """A self-contained schema: refs into ``_definitions.json`` become local ``#/$defs/…`` refs."""
    text = text.replace(_DEFS_REF, '"#')
    schema: dict[str, Any] = json.loads(text)
    schema.pop("$id", None)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$defs"] = defs.closure(set(_REF.findall(text)))
    return schema


def object_meta_schema(version: str, strict: bool) -> dict[str, Any]:
    """The API server's ``ObjectMeta`` schema, bundled; CRD schemas say only ``type: object`` there."""
    defs = _definitions(version, strict)
    schema: dict[str, Any] = {"$ref": f"#/$defs/{OBJECT_META}"}
    schema["$defs"] = defs.closure({OBJECT_META})
    return schema


class KubeSchemas:
    """Schemas of built-in kinds for one Kubernetes version, looked up by ``apiVersion`` and ``kind``."""

    def __init__(self, version: str, *, strict: bool) -> None:
        self.version = version
        self.strict = strict
        self._dir = _version_dir(version, strict)

    def _file(self, api_version: str, kind: str) -> Path:
        group, _, ver = api_version.rpartition("/")
        prefix = f"-{group.split('.')[0]}" if group else ""
        return self._dir / f"{kind.lower()}{prefix}-{ver}.json"

    def schema_for(self, api_version: str, kind: str) -> dict[str, Any] | None:
        """The bundled schema of a built-in kind, or ``None`` when this version does not ship it.

        The file name keeps only the group's first label, so ``networking.istio.io`` and
        ``networking.k8s.io`` share a prefix: the schema's own group-version-kind must match.
        """
        path = self._file(api_version, kind)
        if not path.is_file():
            return None
        text = path.read_text(encoding="utf-8")
        schema = _bundle(text, _definitions(self.version, self.strict))
        group, _, ver = api_version.rpartition("/")
        gvks = schema.get("x-kubernetes-group-version-kind") or []
        if not any(
            g.get("group", "") == group and g.get("version") == ver and g.get("kind") == kind for g in gvks
        ):
            return None
        return schema
