"""The ``gitops-gen`` command line: parse, delegate, map outcomes to exit codes.

Exit codes are a contract: 0 ok, 1 findings (drift, invalid manifests, failed policies),
2 user error (bad environment file, bad flags, unreadable input), 3 internal error (a bug in
gitops-gen: one line on stderr naming the file the traceback was written to). A reader that goes
away (``render | head``) ends the run quietly with 141, as a shell reports SIGPIPE. ``run`` is the
only place that catches ``GeneratorError``; it prints one message, never a traceback, and under a
machine-readable ``--output`` also writes the error as a finding on stdout, so CI annotates the
offending line. Each subcommand lives in its own module under ``generator.commands`` and only
parses and delegates.

Options every subcommand shares are added here, once: ``--root`` (default: the nearest directory
upward from the working directory that holds ``environments/``), ``--quiet`` and ``--verbose``.
Progress goes to stderr only on a terminal; colour only on a terminal and never with ``NO_COLOR``.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import os
import sys
import tempfile
import textwrap
import time
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

from generator.commands.helptext import epilog
from generator.errors import GeneratorError, UsageError
from generator.exitcode import ExitCode
from generator.style import Painter, Progress

__all__ = ["build_parser", "find_root", "main", "run"]

#: Subcommand modules, in help order. Each defines NAME, HELP, EXAMPLES, add_arguments(parser) and
#: run(args, stdout, stderr) -> int; EXIT_1 (what exit 1 means for it) is optional.
COMMAND_MODULES: tuple[str, ...] = (
    # one line per subcommand module; keep the order of `gitops-gen --help`
    "generator.commands.render",
    "generator.commands.validate",
    "generator.commands.schema",
    "generator.commands.config",
    "generator.commands.policy",
    "generator.commands.check",
    "generator.commands.release",
    "generator.commands.diff",
    "generator.commands.graph",
    "generator.commands.completion",
)

DESCRIPTION = """\
Render environments/ into plain Kubernetes YAML under rendered/, then prove it: fresh, valid against
the API schemas and CRDs, compliant with the Kyverno policies, consistent across resources."""
EPILOG = epilog(
    """
    gitops-gen render                 # what `make render` runs
    gitops-gen check --output github  # the CI gate, annotating pull requests
    gitops-gen render --help          # every command has examples and its exit codes
    """
)


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as exit 2 through ``run``, not ``sys.exit``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageExit(f"{self.prog}: error: {message}\n{self.format_usage()}", message)


class _UsageExit(Exception):
    def __init__(self, text: str, message: str) -> None:
        super().__init__(text)
        self.message = message


def _modules_for(argv: Sequence[str]) -> tuple[str, ...]:
    """Only the chosen subcommand's module when argv names one (module basename == NAME).

    Importing every command costs each of them the others' imports (the policy engine pulls in
    the CEL runtime): ``render --check`` runs in a pre-commit hook and must start fast.
    """
    command = next((a for a in argv if not a.startswith("-")), None)
    if command:
        chosen = [m for m in COMMAND_MODULES if m.rsplit(".", 1)[1] == command]
        if chosen:
            return tuple(chosen)
    return COMMAND_MODULES


def subparsers_of(parser: argparse.ArgumentParser) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """``(name, parser)`` of each direct subcommand of ``parser``."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            yield from action.choices.items()


def _leaves(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    subs = list(subparsers_of(parser))
    if not subs:
        yield parser
    for _, sub in subs:
        yield from _leaves(sub)


def _add_common_options(parser: argparse.ArgumentParser) -> None:
    parser.conflict_handler = "resolve"  # a command's own --root/--quiet gives way to these
    common = parser.add_argument_group("common options")
    common.add_argument(
        "--root",
        type=Path,
        default=None,
        metavar="DIR",
        help="repository root (default: the nearest directory upward holding environments/)",
    )
    loudness = common.add_mutually_exclusive_group()
    loudness.add_argument(
        "--quiet", "-q", action="store_true", help="results only: no progress, notes or warnings on stderr"
    )
    loudness.add_argument(
        "--verbose", "-v", action="store_true", help="more detail: unchanged files, the root, timings"
    )


class _Version(argparse.Action):
    """``--version``, looked up only when asked for (reading the installed metadata costs 30 ms)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, nargs=0, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_args: Any, **_kwargs: Any) -> None:
        from generator.gate.report import tool_version

        sys.stdout.write(f"gitops-gen {tool_version()}\n")  # where argparse's own version action writes
        parser.exit()


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    parser = _Parser(prog="gitops-gen", description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument("--version", action=_Version, help="show the version and exit")
    subparsers = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="COMMAND")
    for module_name in _modules_for(argv):
        module = importlib.import_module(module_name)
        sub = subparsers.add_parser(
            module.NAME,
            help=module.HELP,
            description=textwrap.fill(module.HELP, 100),
            epilog=epilog(module.EXAMPLES, getattr(module, "EXIT_1", None)),
        )
        module.add_arguments(sub)
        for leaf in _leaves(sub):
            _add_common_options(leaf)
            if leaf is not sub and not leaf.epilog:  # a nested step: the module's examples for it
                mine = [e for e in module.EXAMPLES.strip().splitlines() if e.startswith(leaf.prog + " ")]
                leaf.epilog = epilog("\n".join(mine) or module.EXAMPLES, getattr(module, "EXIT_1", None))
        sub.set_defaults(_run=module.run)
    return parser


def find_root(start: Path) -> Path:
    """The nearest directory from ``start`` upward that holds ``environments/``; else ``start``."""
    start = start.resolve()
    for candidate in (start, *start.parents):
        if (candidate / "environments").is_dir():
            return candidate
    return start


def _requested_output(argv: Sequence[str]) -> str:
    """The ``--output``/``-o`` value in ``argv``, read without the parser (it may be what failed)."""
    for i, arg in enumerate(argv):
        if arg in ("--output", "-o") and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--output="):
            return arg.split("=", 1)[1]
        if arg.startswith("-o") and len(arg) > 2 and not arg.startswith("--"):
            return arg[2:]
    return "text"


def _error_as_findings(error: GeneratorError, argv: Sequence[str], stdout: TextIO) -> None:
    """Under a machine-readable ``--output``, the error(s) as findings on stdout (text: nothing)."""
    output = _requested_output(argv)
    from generator.gate.report import FORMATS, error_findings, get_formatter

    if output == "text" or output not in FORMATS:
        return
    command = next((a for a in argv if not a.startswith("-")), "")
    findings = error_findings(error)
    summary = {"errors": len(findings), "warnings": 0, "exit_code": int(ExitCode.USER_ERROR)}
    stdout.write(get_formatter(output)(findings, summary, tool=f"gitops-gen {command}".strip()))


def run(argv: Sequence[str], stdout: TextIO, stderr: TextIO) -> int:
    """Run one command; returns the exit code instead of exiting (tests call this directly)."""
    started = time.perf_counter()
    try:
        args = build_parser(argv).parse_args(list(argv))
    except _UsageExit as e:
        stderr.write(str(e))
        _error_as_findings(UsageError(e.message), argv, stdout)
        return ExitCode.USER_ERROR
    except SystemExit as e:  # --help / --version
        return int(e.code or ExitCode.OK)
    if hasattr(args, "root"):
        if args.root is None:
            args.root = find_root(Path.cwd())
        if args.verbose:
            stderr.write(f"gitops-gen: repository root {args.root}\n")
    args.progress = _progress(args, stderr)
    args.whole_parser = build_parser  # for commands that describe the CLI itself (completion)
    try:
        code: int = args._run(args, Painter.wrap(stdout, args), stderr)
    except GeneratorError as e:
        args.progress.done()
        stderr.write(Painter.for_stream(stderr).paint(f"error: {e}\n"))
        _error_as_findings(e, argv, stdout)
        return ExitCode.USER_ERROR
    except KeyboardInterrupt:
        stderr.write("interrupted\n")
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        return ExitCode.BROKEN_PIPE
    except Exception as e:  # anything else is our bug: one line, details in a file
        args.progress.done()
        stderr.write(f"internal error: {type(e).__name__}: {str(e)[:200]}\n{_crash_report(argv)}\n")
        return ExitCode.INTERNAL
    args.progress.done()
    if getattr(args, "verbose", False):
        stderr.write(f"gitops-gen: done in {time.perf_counter() - started:.2f} s\n")
    return code


def _progress(args: argparse.Namespace, stderr: TextIO) -> Progress:
    """A status line on stderr, only on a terminal and never under --quiet."""
    enabled = not getattr(args, "quiet", False) and stderr.isatty() and os.environ.get("TERM") != "dumb"
    return Progress(stderr if enabled else None)


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


#: The collector's thresholds for a command's process (``batch_gc``); CPython's default is (700, 10, 10).
BATCH_GC_THRESHOLDS = (50_000, 20, 100)


def batch_gc() -> None:
    """Tune the cyclic collector for a batch run: a command builds its objects and keeps them.

    A render or check allocates millions of containers that live until the process ends (parsed
    documents, manifests, findings); with CPython's defaults the collector traverses them again and
    again and frees almost nothing: 10-14 % of ``check``'s CPU at 200 and 1,000 services (measured,
    docs/benchmarks.md). What imports created is frozen (never traversed again), and collections
    run after 50,000 net allocations instead of 700, so cycles are still freed: peak RSS of
    ``check`` at 1,000 services is unchanged. Only the console entry point calls it (a process of
    its own; forked workers inherit it), never ``run``, which tests call in-process.
    """
    gc.freeze()
    gc.set_threshold(*BATCH_GC_THRESHOLDS)


def main() -> None:
    """Console-script entry point."""
    batch_gc()
    code = run(sys.argv[1:], sys.stdout, sys.stderr)
    if code == ExitCode.BROKEN_PIPE:
        # Python flushes stdout at exit and would report the broken pipe again: point it at nowhere.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    _exit(code)


def _exit(code: int) -> NoReturn:
    """End the process once its output is out, without the interpreter's teardown.

    A command has nothing left to clean up when ``run`` returns (its files are written, its workers
    and threads joined, its temporary trees removed), and freeing every object it built, one by
    one, is 20 ms of an incremental render (a tenth of it). Output that can no longer be written
    (a closed pipe) is dropped, as the broken-pipe handling above intends.
    """
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)
