"""The exit-code contract lives in one enum; commands return its members, never literals."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from generator.exitcode import ExitCode

ROOT = Path(__file__).resolve().parents[1]
COMMAND_FILES = sorted([ROOT / "generator" / "cli.py", *(ROOT / "generator" / "commands").glob("*.py")])


def test_the_contract_values() -> None:
    assert [int(c) for c in (ExitCode.OK, ExitCode.FINDINGS, ExitCode.USER_ERROR, ExitCode.INTERNAL)] == [
        0,
        1,
        2,
        3,
    ]
    assert ExitCode.failed_if(True) is ExitCode.FINDINGS
    assert ExitCode.failed_if(False) is ExitCode.OK


def _int_literals(node: ast.AST | None) -> list[int]:
    """Integer constants a ``return`` value can evaluate to directly (``1``, ``1 if x else 0``)."""
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _int_literals(node.body) + _int_literals(node.orelse)
    return []


def _run_functions(tree: ast.Module) -> list[ast.FunctionDef]:
    """Functions that produce an exit code: ``run`` and every helper whose return type is ``int``."""
    return [
        f
        for f in ast.walk(tree)
        if isinstance(f, ast.FunctionDef) and isinstance(f.returns, ast.Name) and f.returns.id == "int"
    ]


@pytest.mark.parametrize("path", COMMAND_FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_commands_return_exit_code_members(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    literal = [
        (f.name, node.lineno)
        for f in _run_functions(tree)
        for node in ast.walk(f)
        if isinstance(node, ast.Return) and _int_literals(node.value)
    ]
    assert not literal, f"return ExitCode members, not literals: {literal}"
