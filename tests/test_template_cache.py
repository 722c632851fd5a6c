"""The templates' bytecode cache (the user's cache directory): used when valid, never trusted blindly.

Compiling every template is part of every ``render``; compiled templates are kept between runs.
The output never depends on the cache: cold, warm, corrupt or unusable, the files are the same.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
import pytest

from generator import templating
from generator.pipeline import Project, render_files
from tests.conftest import SHIPPED_ENVS


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private user cache for the test (``XDG_CACHE_HOME``); returns where templates go."""
    monkeypatch.delenv("GITOPS_GEN_CACHE", raising=False)  # it overrides XDG_CACHE_HOME (usercache)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    return tmp_path / "user-cache" / "gitops-gen" / "jinja"


def _compiles(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the templates compiled from source from now on."""
    names: list[str] = []
    real = jinja2.Environment.compile

    def spy(self: jinja2.Environment, source: str, name: str | None = None, *args: Any, **kwargs: Any) -> Any:
        names.append(str(name))
        return real(self, source, name, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", spy)
    return names


def test_templates_compile_once_then_load_from_the_cache(
    project: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compiled = _compiles(monkeypatch)
    cold = templating.load_templates(project / "templates")
    count = len(compiled)
    assert count == len(cold.cluster) + len(cold.service) + len(cold.hub)
    assert len(list(cache.glob("*.cache"))) == count
    assert cache.stat().st_mode & 0o077 == 0
    templating.load_templates(project / "templates")
    assert len(compiled) == count, "a warm cache compiles nothing"
    tpl = next((project / "templates").rglob("*.yaml.j2"))
    tpl.write_text(tpl.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    templating.load_templates(project / "templates")
    assert compiled[count:] == [tpl.relative_to(project / "templates").as_posix()], (
        "only the edited one again"
    )
    assert len(list(cache.glob("*.cache"))) == count, "one entry per template name"


def test_output_is_the_same_with_a_cold_warm_or_corrupt_cache(project: Path, cache: Path) -> None:
    names = list(SHIPPED_ENVS)
    cold = render_files(Project(project), names)
    assert render_files(Project(project), names) == cold
    entries = list(cache.glob("*.cache"))
    assert entries
    for entry in entries:
        entry.write_bytes(b"not bytecode")
    assert render_files(Project(project), names) == cold


@pytest.mark.parametrize("how", ["symlink", "writable-by-others"])
def test_an_untrusted_cache_directory_is_not_used(
    project: Path, cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    cache.parent.mkdir(parents=True)
    if how == "symlink":
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        cache.symlink_to(elsewhere, target_is_directory=True)
    else:
        cache.mkdir()
        cache.chmod(0o777)
    compiled = _compiles(monkeypatch)
    templating.load_templates(project / "templates")
    templating.load_templates(project / "templates")
    assert len(compiled) == 2 * len(set(compiled))
    assert list(cache.iterdir()) == []
