"""The Python API: what the CLI does, as typed functions another program or test suite can call.

``load`` → ``render`` → ``validate`` / ``check``: the same stages and the same errors as the CLI
(``GeneratorError`` subclasses for user errors, ``Finding`` records for problems in manifests).
Nothing here writes files; ``gitops-gen render`` is the one way to update ``rendered/``.

    from generator import api
    env = api.load("prod", root=".")                         # typed, checked Environment
    files = api.render(root=".", envs=["prod"])              # {"prod/even/...yaml": text}
    findings = api.validate(["rendered/prod"], crd_dirs=["../shared/crds"], strict=True)
    result = api.check(root=".", crd_dirs=["../shared/crds"])
    assert not [f for f in result.findings if f.severity == "error"]
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from generator.findings import Finding
from generator.gate.check import CheckResult
from generator.model import Environment
from generator.pipeline import Project, load_env, render_files, selected_envs
from generator.pipeline import check as _check

__all__ = ["CheckResult", "check", "load", "render", "validate"]

PathLike = str | os.PathLike[str]


def load(env: str, *, root: PathLike = ".") -> Environment:
    """Load ``environments/<env>.yaml`` (defaults merged), schema-checked and semantically checked.

    Raises:
        EnvFileError: anything wrong in the file, every error found at once (``error.all``).
        UsageError: no such environment.
    """
    project = Project(Path(root))
    selected_envs(project, [env])
    return load_env(project, env)[1]


def render(*, root: PathLike = ".", envs: Sequence[str] | None = None) -> Mapping[str, str]:
    """Render environments in memory: ``{path under rendered/: file text}``.

    Byte for byte what ``gitops-gen render`` writes. ``envs``: the named ones, else all.

    Raises:
        EnvFileError, TemplateError, RenderError: as ``gitops-gen render`` (exit 2).
    """
    project = Project(Path(root))
    return render_files(project, selected_envs(project, envs))


def validate(
    paths: Sequence[PathLike],
    *,
    crd_dirs: Sequence[PathLike] = (),
    kubernetes_version: str | None = None,
    strict: bool = False,
) -> list[Finding]:
    """Validate manifests (files or directories) against the Kubernetes schemas and CRDs, CEL included.

    Raises:
        ManifestLoadError: a path does not exist or holds no manifest.
        SchemaLoadError: an unusable CRD directory or Kubernetes version.
    """
    from generator.schema import Options, validate_paths

    options = Options(
        crd_dirs=tuple(str(d) for d in crd_dirs), kubernetes_version=kubernetes_version, strict=strict
    )
    return list(validate_paths([str(p) for p in paths], options).findings)


def check(
    *,
    root: PathLike = ".",
    envs: Sequence[str] | None = None,
    crd_dirs: Sequence[PathLike] | None = None,
    charts_dir: PathLike | None = None,
) -> CheckResult:
    """The CI gate in memory: drift, strict schema, the rendered Kyverno policies, cross-resource checks.

    Returns every (environment, cluster, check) scope with its findings (``result.scopes``), passing
    ones included. ``crd_dirs=None`` skips schema validation, ``charts_dir=None`` the chart-values check.

    Raises:
        EnvFileError, TemplateError, RenderError: as ``gitops-gen check`` (exit 2).
    """
    dirs = None if crd_dirs is None else [str(d) for d in crd_dirs]
    charts = None if charts_dir is None else str(charts_dir)
    return _check(Project(Path(root)), envs, crd_dirs=dirs, charts_dir=charts)
