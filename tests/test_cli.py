"""CLI contracts: subcommands, exit codes, the schema command."""

from __future__ import annotations

import json
import subprocess
import sys

from generator.load import env_schema
from tests.conftest import ROOT


def test_schema_prints_the_shipped_json_schema(cli) -> None:
    result = cli("schema")
    assert result.code == 0
    assert json.loads(result.out) == env_schema()
    assert json.loads(result.out)["properties"]["services"]["type"] == "array"


def test_every_environment_file_points_editors_at_the_schema() -> None:
    for path in (ROOT / "environments").glob("*.yaml"):
        assert path.read_text().startswith("# yaml-language-server: $schema=../generator/env.schema.json"), (
            path
        )


def test_no_command_is_usage_error(cli) -> None:
    result = cli()
    assert result.code == 2
    assert "usage: gitops-gen" in result.err


def test_help_exits_0(cli, capsys) -> None:
    assert cli("--help").code == 0


def test_python_dash_m_entry_point() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "generator", "render", "--root", str(ROOT), "--check", "-q"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "up to date" in proc.stdout
