"""``gitops-gen config ENV [PATH]``: every merged value with the file:line it came from."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from generator.defaults import SCHEMA_FILE
from tests.conftest import SHIPPED_ENVS, CliResult, shipped_data

LINE = re.compile(r"^(?P<path>[^:\s][^:]*): (?P<value>.+?)\s+# (?P<file>[^:]+):(?P<line>\d+)$")
SINGLE = next(n for n in SHIPPED_ENVS if shipped_data(n)["topology"]["type"] == "single")


@pytest.mark.parametrize("name", SHIPPED_ENVS)
def test_text_names_the_chain_and_a_source_per_value(
    project: Path, cli: Callable[..., CliResult], name: str
) -> None:
    result = cli("config", name, "--root", str(project))
    assert result.code == 0, result.err
    header, *lines = result.out.splitlines()
    assert header.startswith(f"# {name}: environments/_defaults.yaml → ")
    chain = header.split(": ", 1)[1].removesuffix(" (+ schema defaults)").split(" → ")
    assert chain[-1] == f"environments/{name}.yaml"
    for line in lines:
        m = LINE.match(line)
        assert m, line
        assert m["file"] in {*chain, SCHEMA_FILE}
        json.loads(m["value"])
        if m["file"] != SCHEMA_FILE:  # the line written names the last key, or holds the list item
            written = (project / m["file"]).read_text().splitlines()[int(m["line"]) - 1]
            key = re.split(r"[.\[]", m["path"])[-1].rstrip("]")
            assert key in written or re.search(r"^\s*- |\[|\{", written), (line, written)


def test_json_shape(project: Path, cli: Callable[..., CliResult]) -> None:
    result = cli("config", SINGLE, "dns", "--root", str(project), "--format", "json")
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    assert set(doc) == {"environment", "chain", "values"}
    assert doc["environment"] == SINGLE
    assert doc["values"]
    for v in doc["values"]:
        assert set(v) == {"path", "yamlPath", "value", "file", "line"}
        assert v["path"].startswith("dns.")
        assert v["yamlPath"][0] == "dns"
        assert v["file"] in {*doc["chain"], SCHEMA_FILE}
        assert v["line"] >= 1


def test_each_value_names_the_layer_that_set_it(project: Path, cli: Callable[..., CliResult]) -> None:
    envs = project / "environments"
    (envs / "_tier.yaml").write_text("rabbitmq:\n  storage: 7Gi\n")
    env = envs / f"{SINGLE}.yaml"
    env.write_text("extends: _tier\n" + re.sub(r"(?m)^  storage: .*\n", "", env.read_text(), count=1))
    result = cli("config", SINGLE, "rabbitmq", "--root", str(project), "--format", "json")
    assert result.code == 0, result.err
    by_path = {v["path"]: v for v in json.loads(result.out)["values"]}
    assert (by_path["rabbitmq.storage"]["value"], by_path["rabbitmq.storage"]["file"]) == (
        "7Gi",
        "environments/_tier.yaml",
    )
    assert by_path["rabbitmq.storage"]["line"] == 2
    queue = next(p for p in by_path if p.startswith("rabbitmq.queues[") and p.endswith("].name"))
    assert by_path[queue]["file"] == "environments/_defaults.yaml"  # shown by name, from the base
    assert queue == f"rabbitmq.queues[{by_path[queue]['value']}].name"


def test_schema_defaults_name_the_schema_line(project: Path, cli: Callable[..., CliResult]) -> None:
    result = cli("config", SINGLE, "--root", str(project), "--format", "json")
    values = json.loads(result.out)["values"]
    defaulted = [v for v in values if v["file"] == SCHEMA_FILE]
    assert defaulted
    schema_lines = (Path(__file__).resolve().parent.parent / SCHEMA_FILE).read_text().splitlines()
    assert all('"default":' in schema_lines[v["line"] - 1] for v in defaulted)


def test_path_selects_and_unknown_path_is_a_usage_error(project: Path, cli: Callable[..., CliResult]) -> None:
    service = shipped_data(SINGLE)["services"][0]["name"]
    result = cli("config", SINGLE, f"services[{service}].replicas", "--root", str(project))
    assert result.code == 0, result.err
    paths = [LINE.match(line)["path"] for line in result.out.splitlines()[1:]]
    assert paths
    assert set(paths) == {f"services[{service}].replicas.min", f"services[{service}].replicas.max"}
    missing = cli("config", SINGLE, "no.such.path", "--root", str(project))
    assert missing.code == 2
    assert "'no.such.path' is not a path" in missing.err
    unknown_env = cli("config", "no-such-env", "--root", str(project))
    assert unknown_env.code == 2
