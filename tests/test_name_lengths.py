"""Names at the longest length the environment schema allows still render valid Kubernetes names.

Templates derive names from the user's (``<service>-canary``, ``<queue>-dead``, ``<pool>`` in
labels); a name the schema accepts must never render one the API server rejects, and one
character more must be a user error at the environment line (exit 2), not a finding after render.
The lengths come from the schema, the names from the shipped files: no value is hard-coded.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from generator.load import env_schema
from tests.conftest import CliResult, envs_of_topology, shipped_data

#: Lists of named things whose ``name`` feeds rendered object names and labels.
NAMED_LISTS = (("services",), ("rabbitmq", "queues"), ("karpenter", "nodePools"))


def _max_length(path: tuple[str, ...]) -> int:
    node: Mapping[str, Any] = env_schema()
    for key in path:
        node = node["properties"][key]
    limit: int = node["items"]["properties"]["name"]["maxLength"]
    return limit


def _first_name(env: str, path: tuple[str, ...]) -> str:
    node: Any = shipped_data(env)
    for key in path:
        node = node[key]
    name: str = node[0]["name"]
    return name


def _rename(project: Path, old: str, new: str) -> None:
    """``old`` → ``new`` as a whole name in every environment file (its references follow)."""
    word = re.compile(rf"(?<![-\w/]){re.escape(old)}(?![-\w])")
    for f in (project / "environments").glob("*.yaml"):
        f.write_text(word.sub(new, f.read_text(encoding="utf-8")), encoding="utf-8")


@pytest.mark.parametrize("path", NAMED_LISTS, ids=".".join)
def test_longest_allowed_name_renders_valid_objects(
    path: tuple[str, ...], project: Path, crd_dir: Path, cli: Callable[..., CliResult]
) -> None:
    env = envs_of_topology("dual")[0]
    old = _first_name(env, path)
    limit = _max_length(path)
    new = (old + "x" * limit)[:limit]
    _rename(project, old, new)
    assert cli("render", "--root", str(project), "--env", env, "-q").code == 0
    rendered = project / "rendered" / env
    assert any(new in p.name for p in rendered.rglob("*.yaml")), "the long name is not rendered anywhere"
    result = cli("validate", "--strict", "--crd-dir", str(crd_dir), str(rendered))
    assert result.code == 0, result.out + result.err


@pytest.mark.parametrize("path", NAMED_LISTS, ids=".".join)
def test_one_character_more_is_a_user_error(
    path: tuple[str, ...], project: Path, cli: Callable[..., CliResult]
) -> None:
    env = envs_of_topology("dual")[0]
    old = _first_name(env, path)
    limit = _max_length(path) + 1
    _rename(project, old, (old + "x" * limit)[:limit])
    result = cli("render", "--root", str(project), "--env", env, "-q")
    assert result.code == 2, result.err
    assert f"{path[-1]}[" in result.err, result.err
    assert ".name" in result.err, result.err
    assert not (project / "rendered").exists()
