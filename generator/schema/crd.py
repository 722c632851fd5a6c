"""Custom kinds: CustomResourceDefinition files from ``--crd-dir`` directories, read in place.

Parsing every CRD in ``../shared/crds`` costs about 2 s with the C loader (Argo CD and Kyverno ship
1.4 MB files), so the catalogue is lazy: a cheap text scan indexes each file by the ``group`` and
``names.kind`` lines near its top, and a file is parsed only when a manifest of that kind turns up.
The scan is only a hint: parsing registers what the file really contains, and files the scan could
not read are parsed before a kind is declared unknown. Returns plain ``CrdVersion`` records.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator import yamlread
from generator.documents import iter_manifest_files
from generator.errors import SchemaLoadError
from generator.usercache import cache_root

__all__ = ["CrdCatalog", "CrdVersion", "cache_dir", "crd_versions", "load_yaml_cached"]

_GROUP = re.compile(r"^  group:\s*['\"]?([\w.-]+)", re.MULTILINE)
_KIND = re.compile(r"^    kind:\s*['\"]?(\w+)", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class CrdVersion:
    """One served version of one CRD."""

    group: str
    version: str
    kind: str
    namespaced: bool
    """``spec.scope == Namespaced``."""
    schema: Mapping[str, Any]
    """The version's ``openAPIV3Schema`` (``{}`` when the CRD has none: anything goes)."""
    source: str
    """CRD file it came from, for messages."""
    status_subresource: bool = False
    """The version has a ``status`` subresource: the server drops ``status`` on create."""


def crd_versions(body: Mapping[str, Any], source: str) -> list[CrdVersion]:
    """Served versions of one ``CustomResourceDefinition`` object (``apiextensions.k8s.io/v1``).

    Raises:
        SchemaLoadError: the object lacks ``spec.group`` / ``spec.names.kind`` / ``spec.versions``.
    """
    spec = body.get("spec")
    if not isinstance(spec, Mapping):
        raise SchemaLoadError("CustomResourceDefinition has no spec", path=source, yaml_path=("spec",))
    group, names, versions = spec.get("group"), spec.get("names"), spec.get("versions")
    kind = names.get("kind") if isinstance(names, Mapping) else None
    if not isinstance(group, str) or not isinstance(kind, str) or not isinstance(versions, list):
        raise SchemaLoadError(
            "CustomResourceDefinition needs spec.group, spec.names.kind and spec.versions",
            path=source,
            yaml_path=("spec",),
            hint="only apiextensions.k8s.io/v1 CRDs are supported",
        )
    shared = (spec.get("validation") or {}).get("openAPIV3Schema")
    out = []
    for i, v in enumerate(versions):
        if not isinstance(v, Mapping) or not isinstance(v.get("name"), str):
            raise SchemaLoadError(
                "CRD version without a name", path=source, yaml_path=("spec", "versions", i)
            )
        if v.get("served") is False:
            continue
        schema = (v.get("schema") or {}).get("openAPIV3Schema") or shared or {}
        if not isinstance(schema, Mapping):
            raise SchemaLoadError(
                "openAPIV3Schema is not a mapping",
                path=source,
                yaml_path=("spec", "versions", i, "schema", "openAPIV3Schema"),
            )
        out.append(
            CrdVersion(
                group=group,
                version=v["name"],
                kind=kind,
                namespaced=spec.get("scope", "Namespaced") == "Namespaced",
                schema=schema,
                source=source,
                status_subresource="status" in ((v.get("subresources") or spec.get("subresources")) or {}),
            )
        )
    return out


def cache_dir() -> Path:
    """The user's cache (``generator.usercache.cache_root``): CRDs parsed once, kept as JSON."""
    return cache_root()


def load_yaml_cached(file: str) -> list[Any]:
    """All documents of a CRD file, through a JSON cache keyed by its text (``yamlread.cached_data``).

    A 1.4 MB CRD takes ~0.6 s to parse with the C loader and ~15 ms to read back as JSON; every
    worker process needs it again. The key is the hash of the text, so an edited file is never
    served stale; an unwritable or corrupt cache is ignored (the YAML is parsed instead).

    Raises:
        SchemaLoadError: the file cannot be read or is not YAML.
    """
    try:
        data = Path(file).read_bytes()
    except OSError as e:
        raise SchemaLoadError(f"cannot read CRD file: {e}", path=file) from e
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise SchemaLoadError(f"cannot load CRD file: {e}", path=file) from e

    def load_crd() -> list[Any]:
        return [d for *_, d in yamlread.load_documents(text, file=file, error=SchemaLoadError)]

    docs: list[Any] = yamlread.cached_data(cache_dir() / "crds", text, load_crd)
    return docs


class CrdCatalog:
    """CRD versions from directories (lazily) and from manifests being validated (eagerly)."""

    def __init__(self, dirs: Iterable[str | os.PathLike[str]] = ()) -> None:
        self._by_key: dict[tuple[str, str, str], CrdVersion] = {}
        self._hints: dict[tuple[str, str], list[str]] = {}
        self._unscanned: list[str] = []
        self._parsed: set[str] = set()
        for d in dirs:
            if not Path(d).is_dir():
                raise SchemaLoadError("CRD directory not found", path=os.fspath(d), hint="check --crd-dir")
            for file in iter_manifest_files([d]):
                self._scan(file)

    def _scan(self, file: str) -> None:
        try:
            head = Path(file).read_text(encoding="utf-8")[:8192]
        except (OSError, UnicodeDecodeError) as e:
            raise SchemaLoadError(f"cannot read CRD file: {e}", path=file) from e
        if "CustomResourceDefinition" not in head:
            self._unscanned.append(file)
            return
        g, k = _GROUP.search(head), _KIND.search(head)
        if g and k:
            self._hints.setdefault((g.group(1), k.group(1)), []).append(file)
        else:
            self._unscanned.append(file)

    def add(self, body: Mapping[str, Any], source: str) -> None:
        """Register a CRD object found elsewhere (e.g. among the manifests being validated)."""
        for v in crd_versions(body, source):
            self._by_key.setdefault((v.group, v.version, v.kind), v)

    def _parse(self, file: str) -> None:
        if file in self._parsed:
            return
        self._parsed.add(file)
        for body in load_yaml_cached(file):
            if isinstance(body, Mapping) and body.get("kind") == "CustomResourceDefinition":
                self.add(body, file)

    def lookup(self, api_version: str, kind: str) -> CrdVersion | None:
        """The served CRD version for ``apiVersion``/``kind``, or ``None`` when no CRD defines it."""
        group, _, version = api_version.rpartition("/")
        key = (group, version, kind)
        if key not in self._by_key:
            for file in self._hints.get((group, kind), ()):
                self._parse(file)
        if key not in self._by_key and self._unscanned:
            for file in list(self._unscanned):
                self._parse(file)
        return self._by_key.get(key)

    def knows_group(self, api_version: str) -> bool:
        """Whether any CRD (scanned or parsed) serves this API group."""
        group = api_version.rpartition("/")[0]
        return any(g == group for g, _ in self._hints) or any(g == group for g, _, _ in self._by_key)
