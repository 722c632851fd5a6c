"""What every ``--help`` page ends with: examples and the exit codes, in one layout.

Each command module sets ``EXAMPLES`` (command lines, one per line, optionally followed by
``  # comment``) and, where exit 1 means something specific, ``EXIT_1``; ``generator.cli`` builds
the epilog from them for every subcommand, and nested subcommands (``policy apply``) call ``epilog``.
"""

from __future__ import annotations

from collections.abc import Mapping

from generator.exitcode import ExitCode

__all__ = ["EXIT_CODES", "epilog"]

#: The exit-code contract of every command (0 ok, 1 findings, 2 user error, 3 internal error).
EXIT_CODES: Mapping[ExitCode, str] = {
    ExitCode.OK: "ok (warnings allowed)",
    ExitCode.FINDINGS: "findings",
    ExitCode.USER_ERROR: "user error: bad environment file, bad flags or unreadable input (nothing written)",
    ExitCode.INTERNAL: "internal error: a bug in gitops-gen; one line says where the details were written",
}


def epilog(examples: str, exit_1: str | None = None) -> str:
    """``examples:`` and ``exit codes:`` sections for a RawDescriptionHelpFormatter page."""
    lines = ["examples:"]
    lines += [f"  {line.strip()}" for line in examples.strip().splitlines() if line.strip()]
    lines += ["", "exit codes:"]
    for code, meaning in EXIT_CODES.items():
        lines.append(f"  {int(code)}  {exit_1 if code == ExitCode.FINDINGS and exit_1 else meaning}")
    return "\n".join(lines)
