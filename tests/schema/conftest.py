"""Fixtures for schema tests: one engine per option set per session (kinds compile once)."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from generator.documents import load_file
from generator.findings import Finding
from generator.schema import Engine, Options


@pytest.fixture(autouse=True, scope="session")
def _crd_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep the parsed-CRD cache of these tests out of the user's ~/.cache."""
    import os

    # shared by xdist workers (entries are keyed by content and written atomically)
    os.environ["GITOPS_GEN_CACHE"] = str(tmp_path_factory.getbasetemp().parent / "gitops-gen-cache")


_ENGINES: dict[tuple[str, bool, tuple[str, ...]], Engine] = {}

Check = Callable[..., list[Finding]]


def engine_for(crd_dirs: tuple[str, ...], *, strict: bool = False, version: str | None = None) -> Engine:
    key = (version or "", strict, crd_dirs)
    if key not in _ENGINES:
        _ENGINES[key] = Engine(Options(crd_dirs=crd_dirs, kubernetes_version=version, strict=strict))
    return _ENGINES[key]


def findings_of(engine: Engine, text: str, tmp_path: Path) -> list[Finding]:
    path = tmp_path / "manifest.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    out: list[Finding] = []
    for doc in load_file(path):
        out.extend(engine.check(doc))
    return out


@pytest.fixture
def check(crd_dir: Path, tmp_path: Path) -> Check:
    """``check(yaml_text, strict=False)`` → findings, against ../shared/crds and the newest K8s."""

    def _check(text: str, *, strict: bool = False, version: str | None = None) -> list[Finding]:
        return findings_of(engine_for((str(crd_dir),), strict=strict, version=version), text, tmp_path)

    return _check


@pytest.fixture
def shared_engine(crd_dir: Path) -> Engine:
    """The session's engine over ../shared/crds (non-strict, newest Kubernetes)."""
    return engine_for((str(crd_dir),))


@pytest.fixture
def check_builtin(tmp_path: Path) -> Check:
    """Like ``check`` but without CRDs: for built-in kinds only (no ../shared needed)."""

    def _check(text: str, *, strict: bool = False, version: str | None = None) -> list[Finding]:
        return findings_of(engine_for((), strict=strict, version=version), text, tmp_path)

    return _check


def _errors(findings: list[Finding]) -> list[tuple[str, str, str]]:
    return [(f.json_path, f.rule, f.message) for f in findings if f.severity == "error"]


@pytest.fixture
def errors() -> Callable[[list[Finding]], list[tuple[str, str, str]]]:
    """``errors(findings)`` → ``(json_path, rule, message)`` of the error findings, for compact asserts."""
    return _errors


CRD_HEAD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {{name: {plural}.{group}}}
spec:
  group: {group}
  scope: {scope}
  names: {{kind: {kind}, plural: {plural}}}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
"""


def crd_yaml(kind: str, group: str, schema: str, *, scope: str = "Namespaced") -> str:
    """A one-version CRD; ``schema`` is the openAPIV3Schema as YAML text (any indentation)."""
    head = CRD_HEAD.format(kind=kind, group=group, plural=kind.lower() + "s", scope=scope)
    return head + textwrap.indent(textwrap.dedent(schema).strip("\n"), " " * 8) + "\n"


@pytest.fixture(scope="session")
def make_crd() -> Callable[..., str]:
    """``make_crd(kind, group, schema_yaml, scope=...)`` → CRD YAML text."""
    return crd_yaml
