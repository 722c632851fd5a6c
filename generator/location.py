"""``Location``: where something is written (file, 1-based line and column), the one type for it.

Errors (``GeneratorError.location``), findings (``Finding.location`` and ``Finding.source``, the
environment line behind a rendered value), the loader's side index of marks and the renderer's
source map all use it, and only ``__str__`` turns one into ``file:line:col`` text: nothing parses
that text back. Imports nothing from ``generator``: every stage may use it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Location", "YamlPath"]

#: Where a value sits in a YAML document: mapping keys and sequence indices, outermost first.
YamlPath = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Location:
    """A place in a file; ``line`` and ``column`` are 1-based and ``None`` where unknown."""

    file: str
    """Path as shown to the user (relative to the project root where it lies inside it)."""
    line: int | None = None
    """1-based line, where known."""
    column: int | None = None
    """1-based column, where known (only with a line)."""

    def __str__(self) -> str:
        """``file:line:col`` as far as known."""
        if self.line is None:
            return self.file
        if self.column is None:
            return f"{self.file}:{self.line}"
        return f"{self.file}:{self.line}:{self.column}"

    @property
    def file_line(self) -> Location:
        """The same place without its column (the source map's granularity: a line)."""
        return Location(self.file, self.line)
