"""CLI contracts: subcommands, exit codes, the schema command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

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


@pytest.mark.parametrize("command", ["render", "check"])
def test_a_root_without_environments_is_a_user_error(cli, tmp_path: Path, command: str) -> None:
    """A mistyped ``--root`` must not render nothing and call it up to date."""
    result = cli(command, "--root", str(tmp_path))
    assert result.code == 2
    assert "not a gitops-gen project" in result.err
    assert "--root" in result.err
    assert not list(tmp_path.iterdir())


def test_the_entry_point_ends_with_the_commands_code_and_all_its_output(tmp_path: Path) -> None:
    """It ends without the interpreter's teardown (``cli._exit``): what was written still arrives."""
    proc = subprocess.run(
        [sys.executable, "-m", "generator", "validate", str(tmp_path / "missing")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("error:"), proc.stderr
    assert proc.stderr.endswith("\n")


def test_every_command_module_is_named_after_its_command() -> None:
    import importlib

    from generator.cli import COMMAND_MODULES

    for name in COMMAND_MODULES:
        assert name.rsplit(".", 1)[1] == importlib.import_module(name).NAME


def test_render_does_not_import_the_engines() -> None:
    code = "import sys, io; from generator.cli import run; run(['render', '--check', '-q', '--root', sys.argv[1]], io.StringIO(), io.StringIO()); print(sorted(m for m in sys.modules if m.startswith(('generator.policy', 'generator.schema', 'generator.cel', 'cel'))))"
    proc = subprocess.run([sys.executable, "-c", code, str(ROOT)], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"


def test_help_lists_every_command(cli) -> None:
    from generator.cli import build_parser

    text = build_parser().format_help()
    for command in ("render", "validate", "schema", "policy", "check"):
        assert command in text
