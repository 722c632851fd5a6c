"""The ``gitops-gen`` command line: parse, delegate, map outcomes to exit codes.

Exit codes are a contract: 0 ok, 1 findings (drift, invalid manifests, failed policies),
2 user error (bad environment file, bad flags, unreadable input). ``run`` is the only place that
catches ``GeneratorError``; it prints one message, never a traceback. Each subcommand lives in
its own module under ``generator.commands`` and only parses and delegates.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import TextIO

from generator.errors import GeneratorError

__all__ = ["main", "run"]

EXIT_OK, EXIT_FINDINGS, EXIT_USER_ERROR = 0, 1, 2

#: Subcommand modules, in help order. Each defines NAME, HELP, add_arguments(parser) and
#: run(args, stdout, stderr) -> int.
COMMAND_MODULES: tuple[str, ...] = (
    # one line per subcommand module; keep the order of `gitops-gen --help`
    "generator.commands.render",
    "generator.commands.validate",
    "generator.commands.schema",
    "generator.commands.policy",
    "generator.commands.check",
    "generator.commands.release",
)


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as exit 2 through ``run``, not ``sys.exit``."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageExit(f"{self.prog}: error: {message}\n{self.format_usage()}")


class _UsageExit(Exception):
    pass


def _modules_for(argv: Sequence[str]) -> tuple[str, ...]:
    """Only the chosen subcommand's module when argv names one (module basename == NAME).

    Importing every command costs each of them the others' imports (the policy engine pulls in
    the CEL runtime): ``render --check`` runs in a pre-commit hook and must start fast.
    """
    if argv:
        chosen = [m for m in COMMAND_MODULES if m.rsplit(".", 1)[1] == argv[0]]
        if chosen:
            return tuple(chosen)
    return COMMAND_MODULES


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    parser = _Parser(prog="gitops-gen", description="Render, validate and prove GitOps manifests.")
    subparsers = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for module_name in _modules_for(argv):
        module = importlib.import_module(module_name)
        sub = subparsers.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(sub)
        sub.set_defaults(_run=module.run)
    return parser


def run(argv: Sequence[str], stdout: TextIO, stderr: TextIO) -> int:
    """Run one command; returns the exit code instead of exiting (tests call this directly)."""
    try:
        args = build_parser(argv).parse_args(list(argv))
    except _UsageExit as e:
        stderr.write(str(e))
        return EXIT_USER_ERROR
    except SystemExit as e:  # --help / --version
        return int(e.code or 0)
    try:
        code: int = args._run(args, stdout, stderr)
    except GeneratorError as e:
        stderr.write(f"error: {e}\n")
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        stderr.write("interrupted\n")
        return 130
    return code


def main() -> None:
    """Console-script entry point."""
    sys.exit(run(sys.argv[1:], sys.stdout, sys.stderr))
