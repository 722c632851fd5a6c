"""pytest plugin (entry point ``pytest11``): the gitops-gen gate as tests in another repository.

Inert until enabled, so installing gitops-gen changes no one's test run. A repository laid out
for gitops-gen (``environments/``, ``templates/``, ``policies/``, ``rendered/``) enables it in its
pytest configuration::

    [tool.pytest.ini_options]
    testpaths = ["tests", "environments"]     # pytest must visit environments/
    gitops_gen = true
    gitops_gen_crd_dirs = ["crds"]           # CRDs of your controllers (else $GITOPS_GEN_CRDS)

(or ``pytest --gitops-gen --gitops-gen-crd-dir crds environments``). Each environment file is then
collected as one test per (cluster, check) that ``gitops-gen check`` runs on it: ``render``
(``rendered/`` fresh), ``schema``, ``policy/<name>`` for each policy in ``policies/``, the
cross-resource checks, and the environment-wide ones (cluster ``*``), with ids such as
``environments/prod.yaml::even/policy/restrict-images``. A failing test shows the findings as
``gitops-gen check`` prints them, each with the environment line behind it. An environment file
that does not load is one failing test, ``<env>.yaml::load``, with every error it holds.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from generator.errors import GeneratorError
from generator.gate.check import CheckResult, Scope
from generator.gate.report import get_formatter
from generator.pipeline import Project, check

__all__ = ["CheckItem", "EnvironmentFile", "LoadItem"]

_RESULTS = pytest.StashKey[dict[tuple[Path, str], CheckResult | GeneratorError]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("gitops-gen", "the gitops-gen gate as tests")
    group.addoption(
        "--gitops-gen", action="store_true", default=None, help="collect environments/*.yaml as gate tests"
    )
    group.addoption(
        "--gitops-gen-crd-dir",
        action="append",
        default=[],
        metavar="DIR",
        help="CRD directory for the schema checks (repeatable; default: ini gitops_gen_crd_dirs, "
        "else $GITOPS_GEN_CRDS)",
    )
    group.addoption(
        "--gitops-gen-charts-dir",
        default=None,
        metavar="DIR",
        help="pinned charts' values for the chart-values check (default: ini gitops_gen_charts_dir, "
        "else $GITOPS_GEN_CHARTS; none: the check is skipped)",
    )
    parser.addini(
        "gitops_gen", "collect environments/*.yaml as gitops-gen gate tests", type="bool", default=False
    )
    parser.addini("gitops_gen_crd_dirs", "CRD directories, relative to the rootdir", type="paths", default=[])
    parser.addini("gitops_gen_charts_dir", "charts directory (<chart>/<version>/values.yaml)", default="")


def _enabled(config: pytest.Config) -> bool:
    option = config.getoption("gitops_gen")
    return bool(option) if option is not None else bool(config.getini("gitops_gen"))


def _crd_dirs(config: pytest.Config) -> list[str] | None:
    """CRD directories from the command line, the ini file or ``$GITOPS_GEN_CRDS`` (None: no schema check)."""
    given = [str(Path(d).resolve()) for d in config.getoption("gitops_gen_crd_dir")]
    given = given or [str(p) for p in config.getini("gitops_gen_crd_dirs")]
    env = os.environ.get("GITOPS_GEN_CRDS")
    return given or ([env] if env else None)


def _charts_dir(config: pytest.Config) -> str | None:
    """Charts directory from the command line, the ini file or ``$GITOPS_GEN_CHARTS`` (None: no check)."""
    given = config.getoption("gitops_gen_charts_dir") or config.getini("gitops_gen_charts_dir")
    if given:
        return str((config.rootpath / given).resolve())
    return os.environ.get("GITOPS_GEN_CHARTS") or None


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_RESULTS] = {}


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if not _enabled(parent.config):
        return None
    is_env = file_path.suffix == ".yaml" and not file_path.name.startswith("_")
    if is_env and file_path.parent.name == "environments":
        collector: EnvironmentFile = EnvironmentFile.from_parent(parent, path=file_path)
        return collector
    return None


class EnvironmentFile(pytest.File):
    """``environments/<env>.yaml``: the gate run once for this environment, one item per scope."""

    def _result(self) -> CheckResult | GeneratorError:
        root, env = self.path.parent.parent, self.path.stem
        cache = self.config.stash[_RESULTS]
        if (root, env) not in cache:
            try:
                cache[root, env] = check(
                    Project(root),
                    [env],
                    crd_dirs=_crd_dirs(self.config),
                    charts_dir=_charts_dir(self.config),
                )
            except GeneratorError as e:
                cache[root, env] = e
        return cache[root, env]

    def collect(self) -> Iterator[pytest.Item]:
        result = self._result()
        if isinstance(result, GeneratorError):
            yield LoadItem.from_parent(self, name="load", error=result)
            return
        for scope in sorted(result.scopes):
            yield CheckItem.from_parent(
                self, name=f"{scope.cluster}/{scope.check}", scope=scope, result=result
            )


class GateFailure(Exception):
    """A check with error findings (shown as ``gitops-gen check`` prints them)."""


class CheckItem(pytest.Item):
    """One (cluster, check) of one environment: passes when the check has no error finding."""

    def __init__(self, *, scope: Scope, result: CheckResult, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scope = scope
        self.result = result

    def runtest(self) -> None:
        findings = self.result.scopes[self.scope]
        if any(f.severity == "error" for f in findings):
            raise GateFailure(get_formatter("text")(findings, {}, tool=self.scope.id))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, GateFailure):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"gitops-gen check {self.scope.id}"


class LoadItem(pytest.Item):
    """An environment file that does not load: one failing test with every error it holds."""

    def __init__(self, *, error: GeneratorError, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.error = error

    def runtest(self) -> None:
        raise self.error

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        return f"error: {self.error}"

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, (self.error.line or 1) - 1, f"gitops-gen: {self.path.name} does not load"
