"""Terminal manners: colour and a progress line, only where a person is watching.

Colour follows https://no-color.org: only on a terminal, never when ``NO_COLOR`` is set to anything
non-empty (or ``TERM=dumb``). Output is coloured after it is formatted, by recognising the few
words that carry meaning (``error``, ``warning``, render's actions, ``FAIL``), so formatters stay pure
and byte-identical whatever the terminal. Progress is one rewritten status line on stderr; it is
cleared before anything else is printed and never reaches a pipe or a file.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Mapping
from typing import TextIO, cast

__all__ = ["Painter", "Progress", "colour_enabled"]

_RESET = "\x1b[0m"
_COLOURS = {"red": "\x1b[31;1m", "yellow": "\x1b[33m", "green": "\x1b[32m", "cyan": "\x1b[36m"}
_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?<=: )error(?=: )|^error(?=: )|^FAIL\b", re.MULTILINE), "red"),
    (re.compile(r"(?<=: )warning(?=: )|^warning(?=: )", re.MULTILINE), "yellow"),
    (re.compile(r"^(?:create|ok)\b", re.MULTILINE), "green"),
    (re.compile(r"^(?:update|delete|missing|stale|extra)\b", re.MULTILINE), "yellow"),
    (re.compile(r"^  hint(?=: )", re.MULTILINE), "cyan"),
)


def colour_enabled(stream: object, environ: Mapping[str, str] | None = None) -> bool:
    """Whether ``stream`` gets colour: a terminal, no ``NO_COLOR``, not ``TERM=dumb``."""
    env = os.environ if environ is None else environ
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and not env.get("NO_COLOR") and env.get("TERM") != "dumb"


class Painter:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    @classmethod
    def for_stream(cls, stream: object) -> Painter:
        return cls(colour_enabled(stream))

    def paint(self, text: str) -> str:
        if not self.enabled:
            return text
        for pattern, colour in _RULES:
            start = _COLOURS[colour]
            text = pattern.sub(lambda m: f"{start}{m.group(0)}{_RESET}", text)  # noqa: B023 - used at once
        return text

    @classmethod
    def wrap(cls, stream: TextIO, args: argparse.Namespace) -> TextIO:
        """``stream`` itself, or a colouring proxy when it is a terminal and the output is text."""
        painter = cls.for_stream(stream)
        if not painter.enabled or getattr(args, "output", "text") != "text":
            return stream
        return cast(TextIO, _PaintedStream(stream, painter))


class _PaintedStream:
    def __init__(self, stream: TextIO, painter: Painter) -> None:
        self._stream = stream
        self._painter = painter

    def write(self, text: str) -> int:
        self._stream.write(self._painter.paint(text))
        return len(text)

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


class Progress:
    """A status line on ``stream`` (None: silent). Call it with a message; ``done()`` clears it."""

    def __init__(self, stream: TextIO | None) -> None:
        self._stream = stream
        self._shown = False

    def __call__(self, message: str) -> None:
        if self._stream is None:
            return
        self._stream.write(f"\r\x1b[K{message}…")
        self._stream.flush()
        self._shown = True

    def done(self) -> None:
        if self._stream is not None and self._shown:
            self._stream.write("\r\x1b[K")
            self._stream.flush()
            self._shown = False
