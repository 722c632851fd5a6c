"""The templates' bytecode cache (``.gitops-gen/jinja``): used when valid, never trusted blindly.

Compiling every template is part of every ``render``; compiled templates are kept between runs.
The output never depends on the cache: cold, warm, corrupt or unusable, the files are the same.
"""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest

from generator import templating
from generator.pipeline import Project, render_files
from generator.stamps import STAMP_DIR
from tests.conftest import SHIPPED_ENVS


def _compiles(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the templates compiled from source from now on."""
    names: list[str] = []
    real = jinja2.Environment.compile

    def spy(self: jinja2.Environment, source: str, name: str | None = None, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        names.append(str(name))
        return real(self, source, name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(jinja2.Environment, "compile", spy)
    return names


def _cache(project: Path) -> Path:
    return project / STAMP_DIR.parent / "jinja"


def test_templates_compile_once_then_load_from_the_cache(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compiled = _compiles(monkeypatch)
    cold = templating.load_templates(project / "templates")
    count = len(compiled)
    assert count == len(cold.cluster) + len(cold.service) + len(cold.hub)
    assert len(list(_cache(project).glob("*.cache"))) == count
    assert (project / STAMP_DIR.parent / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"
    templating.load_templates(project / "templates")
    assert len(compiled) == count, "a warm cache compiles nothing"
    tpl = next((project / "templates").rglob("*.yaml.j2"))
    tpl.write_text(tpl.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    templating.load_templates(project / "templates")
    assert compiled[count:] == [tpl.relative_to(project / "templates").as_posix()], (
        "only the edited one again"
    )


def test_output_is_the_same_with_a_cold_warm_or_corrupt_cache(project: Path) -> None:
    names = list(SHIPPED_ENVS)
    cold = render_files(Project(project), names)
    assert render_files(Project(project), names) == cold
    for entry in _cache(project).glob("*.cache"):
        entry.write_bytes(b"not bytecode")
    assert render_files(Project(project), names) == cold


def test_a_symlinked_cache_is_not_used(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (project / STAMP_DIR.parent).symlink_to(elsewhere, target_is_directory=True)
    compiled = _compiles(monkeypatch)
    templating.load_templates(project / "templates")
    templating.load_templates(project / "templates")
    assert list(elsewhere.iterdir()) == []
    assert len(compiled) == 2 * len(set(compiled))
