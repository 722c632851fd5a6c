"""No silent defaults: every default is a schema ``default`` or a value of a file; none in Python."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from generator.defaults import SCHEMA_FILE
from generator.envguard import strict_validator
from generator.load import env_schema, load_environment
from tests.conftest import ROOT, SHIPPED_ENVS, CliResult, shipped_data


def _schema_keys(node: Any) -> Iterator[str]:
    if isinstance(node, Mapping):
        for key, sub in node.get("properties", {}).items():
            yield key
            yield from _schema_keys(sub)
        for k in ("items", "additionalProperties"):
            yield from _schema_keys(node.get(k))


def test_the_model_has_no_default_of_its_own() -> None:
    """``x.get("key", default)`` for an environment key would hide a default from users."""
    keys = set(_schema_keys(env_schema()))
    tree = ast.parse((ROOT / "generator" / "model.py").read_text())
    hidden = [
        f"model.py:{node.lineno}: .get({node.args[0].value!r}, …)"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in {"get", "setdefault"}
        and len(node.args) == 2
        and isinstance(node.args[0], ast.Constant)
        and node.args[0].value in keys
    ]
    assert not hidden


def _defaults(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Mapping[str, Any]]]:
    if isinstance(node, Mapping):
        if "default" in node:
            yield path, node
        for key, sub in node.get("properties", {}).items():
            yield from _defaults(sub, (*path, key))
        yield from _defaults(node.get("items"), (*path, "[]"))
        yield from _defaults(node.get("additionalProperties"), (*path, "<name>"))


DEFAULTS = list(_defaults(env_schema()))


@pytest.mark.parametrize(("path", "node"), DEFAULTS, ids=[".".join(p) for p, _ in DEFAULTS])
def test_every_schema_default_is_valid_where_it_stands(
    path: tuple[str, ...], node: Mapping[str, Any]
) -> None:
    if isinstance(node["default"], str) and "${" in node["default"]:
        pytest.skip("computed from other values: checked with them once expanded (test below)")
    assert not list(strict_validator(node).iter_errors(node["default"]))


@pytest.mark.parametrize("name", SHIPPED_ENVS)
def test_defaulted_values_name_the_schema_line(name: str) -> None:
    loaded = load_environment(ROOT / "environments", name)
    lines = (ROOT / SCHEMA_FILE).read_text().splitlines()
    from_schema = [p for p, m in loaded.marks.items() if m.file == SCHEMA_FILE]
    assert from_schema  # every shipped environment leaves some key to the schema
    for path in from_schema:
        line = lines[loaded.marks[path].line - 1]
        assert '"default":' in line, (path, line)


def test_computed_defaults_follow_the_values_they_name(project: Path) -> None:
    single = next(n for n in SHIPPED_ENVS if shipped_data(n)["topology"]["type"] == "single")
    data = load_environment(project / "environments", single, shown_root=project).data
    (cluster,) = data["topology"]["clusters"]
    if "eksClusterName" not in (project / "environments" / f"{single}.yaml").read_text():
        assert data["topology"]["clusters"][cluster]["eksClusterName"] == f"docproc-{single}-{cluster}"
    assert data["storage"]["s3"]["ownerCluster"] == cluster
    for service in data["services"]:
        assert service["resources"]["memoryLimit"]  # stated, or the request
        assert service["team"]


def test_a_service_without_resources_is_an_error_not_a_default(
    project: Path, cli: Callable[..., CliResult]
) -> None:
    env = project / "environments" / "_defaults.yaml"
    text = env.read_text()
    edited = re.sub(r"(?m)^    resources: \{.*\}\n", "", text, count=1)
    assert edited != text
    env.write_text(edited)
    result = cli("render", "--root", str(project))
    assert result.code == 2
    assert re.search(
        r"environments/_defaults\.yaml:\d+:\d+: services\[0\]: 'resources' is a required key", result.err
    )
