"""CLI manners: --version, help pages, completion, repository root, colour, progress, quiet/verbose."""

from __future__ import annotations

import argparse
import io
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from importlib.metadata import version
from pathlib import Path

import pytest

from generator.cli import build_parser, find_root, run, subparsers_of
from generator.commands.helptext import EXIT_CODES
from generator.exitcode import ExitCode
from tests.conftest import ROOT, CliResult


def _pages(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    yield path, parser
    for name, sub in subparsers_of(parser):
        yield from _pages(sub, (*path, name))


PAGES = list(_pages(build_parser()))


def test_version(cli: Callable[..., CliResult], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("--version").code == 0
    assert capsys.readouterr().out.strip() == f"gitops-gen {version('gitops-gen')}"


def test_every_command_has_a_help_page() -> None:
    """Iterates over the parser, so commands added later are covered without editing this test."""
    names = {" ".join(p) for p, _ in PAGES}
    assert {"", "render", "check", "validate", "schema", "policy", "policy apply", "policy test"} <= names


@pytest.mark.parametrize(("path", "parser"), PAGES, ids=lambda v: " ".join(v) if isinstance(v, tuple) else "")
def test_help_page_has_description_examples_and_exit_codes(
    path: tuple[str, ...], parser: argparse.ArgumentParser, cli: Callable[..., CliResult], capsys
) -> None:
    assert cli(*path, "--help").code == 0
    text = capsys.readouterr().out
    assert parser.description
    assert parser.description.split("\n")[0][:40] in text
    assert "\nexamples:\n" in text
    codes = text.split("\nexit codes:\n", 1)[1]
    listed = [line.split()[0] for line in codes.strip().splitlines()]
    assert listed[: len(EXIT_CODES)] == [str(code) for code in sorted(EXIT_CODES)]
    assert str(int(ExitCode.INTERNAL)) in listed  # the internal-error code the CLI returns is documented too
    examples = text.split("\nexamples:\n", 1)[1].split("\n\n")[0].splitlines()
    assert examples
    for line in examples:
        words = shlex.split(line.split("#")[0].split(">")[0])
        assert words[0] == "gitops-gen", line
        if words[1:] and words[-1] != "--help":
            build_parser(words[1:]).parse_args(words[1:])  # every example is a valid command line


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts_name_every_command(shell: str, cli: Callable[..., CliResult]) -> None:
    result = cli("completion", shell)
    assert result.code == 0
    for path, parser in PAGES:
        for word in path:
            assert word in result.out
        for action in parser._actions:
            for option in action.option_strings:
                if option.startswith("--") and option != "--help":
                    assert (option if shell != "fish" else f"-l {option[2:]}") in result.out, (shell, option)
    executable = shutil.which(shell)
    if executable and shell in ("bash", "zsh"):
        syntax = subprocess.run(
            [executable, "-n"], input=result.out, capture_output=True, text=True, check=False
        )
        assert syntax.returncode == 0, syntax.stderr


def test_bash_completion_completes_subcommands_and_choices(cli: Callable[..., CliResult]) -> None:
    bash = shutil.which("bash")
    if not bash:
        pytest.skip("bash not installed")
    script = cli("completion", "bash").out

    def complete(*words: str) -> list[str]:
        line = " ".join(shlex.quote(w) for w in ("gitops-gen", *words))
        probe = f'{script}\nCOMP_WORDS=({line}); COMP_CWORD={len(words)}; _gitops_gen; printf "%s\\n" "${{COMPREPLY[@]}}"'
        return subprocess.run([bash, "-c", probe], capture_output=True, text=True, check=True).stdout.split()

    assert "render" in complete("re")
    assert complete("policy", "") == ["apply", "test"] or {"apply", "test"} <= set(complete("policy", ""))
    assert set(complete("check", "--output", "")) == {"text", "json", "junit", "sarif", "github"}


def test_root_is_found_from_a_subdirectory() -> None:
    assert find_root(ROOT / "templates" / "apps") == ROOT
    proc = subprocess.run(
        [sys.executable, "-m", "generator", "render", "--check", "-q"],
        cwd=ROOT / "templates",
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "up to date" in proc.stdout


def test_root_option_overrides_discovery(project: Path, cli: Callable[..., CliResult]) -> None:
    result = cli("render", "--root", str(project), "-v")
    assert result.code == 0
    assert (project / "rendered").is_dir()
    assert f"repository root {project}" in result.err


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _stale_project(project: Path, cli: Callable[..., CliResult]) -> Path:
    assert cli("render", "--root", str(project)).code == 0
    victim = sorted((project / "rendered").rglob("*.yaml"))[0]
    victim.write_text(victim.read_text() + "# edited\n")
    return project


@pytest.mark.parametrize(
    ("tty", "no_color", "coloured"), [(True, "", True), (True, "1", False), (False, "", False)]
)
def test_colour_only_on_a_terminal_and_never_with_no_color(
    project: Path, cli, monkeypatch: pytest.MonkeyPatch, tty: bool, no_color: str, coloured: bool
) -> None:
    _stale_project(project, cli)
    monkeypatch.setenv("NO_COLOR", no_color)
    monkeypatch.delenv("TERM", raising=False)
    out, err = (_Tty(), _Tty()) if tty else (io.StringIO(), io.StringIO())
    assert run(["render", "--check", "--root", str(project)], out, err) == 1
    assert "stale" in out.getvalue()
    assert ("\x1b[" in out.getvalue()) is coloured
    assert ("\x1b[" in err.getvalue()) is tty, "the progress line appears on a terminal only"


def test_progress_is_silent_under_quiet(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TERM", raising=False)
    out, err = _Tty(), _Tty()
    assert run(["render", "--root", str(project), "--quiet"], out, err) == 0
    assert err.getvalue() == ""


def test_machine_output_is_never_coloured(project: Path, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "")
    out, err = _Tty(), _Tty()
    assert run(["render", "--root", str(project), "--output", "json"], out, err) == 0
    assert "\x1b[" not in out.getvalue()


def test_render_prints_a_summary_not_one_line_per_identical_file(
    project: Path, cli: Callable[..., CliResult]
) -> None:
    first = cli("render", "--root", str(project))
    files = len(list((project / "rendered").rglob("*.yaml")))
    assert first.out.count("\ncreate ") + first.out.startswith("create ") == files
    again = cli("render", "--root", str(project))
    assert again.out.splitlines() == [f"render: up to date ({files} identical)"]
    verbose = cli("render", "--root", str(project), "--verbose")
    assert verbose.out.count("identical ") == files


def test_make_render_prints_a_summary(project: Path) -> None:
    """The Makefile target runs the command as it is: a summary line, no per-file noise."""
    make = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^render:.*\n\t(.+)$", make, re.MULTILINE)
    assert recipe
    assert recipe.group(1).split() == ["$(BIN)/gitops-gen", "render"]


def test_check_verbose_lists_every_check(project: Path, cli, crd_dir: Path) -> None:
    assert cli("render", "--root", str(project), "--env", "dev").code == 0
    result = cli("check", "--root", str(project), "--env", "dev", "--crd-dir", str(crd_dir), "-v")
    lines = [line for line in result.err.splitlines() if line.startswith(("ok ", "FAIL "))]
    assert any(line.endswith("/render") for line in lines)
    assert len(lines) == int(re.search(r"checks: (\d+)", result.out).group(1))


def test_no_color_and_dumb_terminals() -> None:
    from generator.style import colour_enabled

    assert colour_enabled(_Tty(), {}) is True
    assert colour_enabled(_Tty(), {"NO_COLOR": "1"}) is False
    assert colour_enabled(_Tty(), {"TERM": "dumb"}) is False
    assert colour_enabled(io.StringIO(), {}) is False


def test_console_entry_tunes_the_collector_and_run_does_not() -> None:
    """``main`` (a process of its own) sets the batch collector; ``run``, which tests call, leaves it."""
    import gc

    from generator.cli import BATCH_GC_THRESHOLDS

    before = gc.get_threshold()
    assert run(["--version"], io.StringIO(), io.StringIO()) == 0
    assert gc.get_threshold() == before
    probe = (
        "import gc, sys\n"
        "from generator import cli\n"
        "cli.run = lambda *args: 0\n"
        "def stop(code):\n    raise SystemExit(code)\n"
        "cli._exit = stop\n"
        "sys.argv = ['gitops-gen']\n"
        "try:\n    cli.main()\nexcept SystemExit:\n    pass\n"
        "print(*gc.get_threshold(), gc.get_freeze_count() > 0)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.split() == [*map(str, BATCH_GC_THRESHOLDS), "True"]
