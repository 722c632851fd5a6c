"""The ``gitops-gen`` command line: parse, delegate, map outcomes to exit codes.

Exit codes are a contract: 0 ok, 1 findings (drift, invalid manifests, failed policies),
2 user error (bad environment file, bad flags, unreadable input), 3 internal error (a bug in
gitops-gen: one line on stderr naming the file the traceback was written to). A reader that goes
away (``render | head``) ends the run quietly with 141, as a shell reports SIGPIPE. ``run`` is the
only place that catches ``GeneratorError``; it prints one message, never a traceback. Each subcommand lives in
its own module under ``generator.commands`` and only parses and delegates.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from typing import TextIO

from generator.errors import GeneratorError

__all__ = ["main", "run"]

EXIT_OK, EXIT_FINDINGS, EXIT_USER_ERROR, EXIT_INTERNAL = 0, 1, 2, 3
#: 128 + SIGPIPE: the reader of stdout went away.
EXIT_BROKEN_PIPE = 141

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
    except BrokenPipeError:
        return EXIT_BROKEN_PIPE
    except Exception as e:  # anything else is our bug: one line, details in a file
        stderr.write(f"internal error: {type(e).__name__}: {str(e)[:200]}\n{_crash_report(argv)}\n")
        return EXIT_INTERNAL
    return code


def _crash_report(argv: Sequence[str]) -> str:
    """Write the traceback of the exception being handled to a file; say where (or why not)."""
    text = f"gitops-gen {' '.join(argv)}\n\n{traceback.format_exc()}"
    try:
        fd, name = tempfile.mkstemp(
            prefix=f"gitops-gen-crash-{time.strftime('%Y%m%d-%H%M%S')}-", suffix=".txt"
        )
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as e:
        return f"  this is a bug in gitops-gen; the traceback could not be saved ({e})"
    return f"  this is a bug in gitops-gen; the traceback is in {name} (please attach it to a report)"


def main() -> None:
    """Console-script entry point."""
    code = run(sys.argv[1:], sys.stdout, sys.stderr)
    if code == EXIT_BROKEN_PIPE:
        # Python flushes stdout at exit and would report the broken pipe again: point it at nowhere.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(code)
