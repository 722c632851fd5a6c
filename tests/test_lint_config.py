"""The lint configuration stays honest: per-file exceptions only for files that exist."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_per_file_ignores_name_files_that_exist() -> None:
    """The per-file docstring ignores only shrink: an entry for a file that is gone must go too."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["ruff"]["lint"]["per-file-ignores"]
    stale = [p for p in patterns if not any(ROOT.glob(p))]
    assert not stale, f"remove these per-file-ignores entries (no such file): {stale}"


#: Modules that call PyYAML's parser themselves, each with its reason (they only shrink).
PARSES_YAML_ITSELF = {
    "generator/yamlread.py": "the one YAML reader",
    "generator/bench/__init__.py": "the parse floor is PyYAML's C loader by definition",
    "generator/bench/commands.py": "the parse floor is PyYAML's C loader by definition",
    "generator/bench/policy_bench.py": "the parse floor is PyYAML's C loader by definition",
    "generator/release/edit.py": "round-trip edits keeping comments (ruamel.yaml) of a file yamlread loaded first",
}
_PARSE_CALL = re.compile(r"\byaml\.(?:safe_)?(?:load|load_all|compose|compose_all|parse)\(|Loader=")


def test_yaml_is_read_through_one_module() -> None:
    """Every YAML the tool reads gets yamlread's bounds (depth, aliases, duplicate keys) and errors."""
    calls = {
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "generator").rglob("*.py")
        if _PARSE_CALL.search(p.read_text(encoding="utf-8"))
    }
    assert calls - PARSES_YAML_ITSELF.keys() == set(), "read YAML with generator.yamlread instead"
    assert PARSES_YAML_ITSELF.keys() - calls == set(), "no longer parses YAML itself: drop it from the list"


def test_property_tests_are_deterministic_in_make_test() -> None:
    """A red CI run must reproduce: make test draws fixed examples; only make fuzz explores."""
    from hypothesis import settings

    from tests.conftest import FUZZING

    assert settings.default.derandomize is not FUZZING
    uses_hypothesis = [
        p
        for p in (ROOT / "tests").rglob("test_*.py")
        if "from hypothesis" in p.read_text("utf-8") and p != Path(__file__).resolve()
    ]
    assert uses_hypothesis, "no property tests found"
    for p in uses_hypothesis:
        assert "derandomize=" not in p.read_text("utf-8"), (
            f"{p.name}: leave randomness to the conftest profiles"
        )
