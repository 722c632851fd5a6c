"""The exit-code contract of every command, in one enum.

0 ok (warnings allowed), 1 findings (drift, invalid manifests, failed policies or expectations),
2 user error (raised as ``GeneratorError``; ``generator.cli.run`` maps it), 3 internal error (a bug
in gitops-gen). 130 and 141 are what a shell reports for Ctrl-C and a reader that went away. Commands
return members, never literals, so a grep for ``ExitCode.FINDINGS`` finds every way to fail.
Imports nothing from ``generator``: every stage may use it.
"""

from __future__ import annotations

import enum

__all__ = ["ExitCode"]


class ExitCode(enum.IntEnum):
    """What a ``gitops-gen`` process exits with (an ``int``: ``sys.exit`` and tests take it as is)."""

    OK = 0
    """Nothing to report, or warnings only."""
    FINDINGS = 1
    """At least one error finding, drift, or failed expectation."""
    USER_ERROR = 2
    """Bad environment file, flags or input: one message, nothing written."""
    INTERNAL = 3
    """A bug in gitops-gen: one line on stderr names the file holding the traceback."""
    INTERRUPTED = 130
    """128 + SIGINT: the user pressed Ctrl-C."""
    BROKEN_PIPE = 141
    """128 + SIGPIPE: the reader of stdout went away (``render | head``)."""

    @classmethod
    def failed_if(cls, failed: bool) -> ExitCode:
        """``FINDINGS`` when ``failed``, else ``OK``: the one rule every command's outcome follows."""
        return cls.FINDINGS if failed else cls.OK
