"""The one YAML reader: bytes on disk → text → node tree → plain data, bounded at every step.

Every YAML file a user hands us (environment files, manifests for ``validate``/``policy``,
policies, Kyverno Test/Values/UserInfo files) goes through here, so hostile input fails the same
way everywhere: one ``GeneratorError`` of the caller's class naming ``file:line:col``, never a
traceback, a hang or unbounded memory.

- ``read_text``: only regular files (a FIFO or device would hang or never end: opened
  non-blocking, then ``fstat``-checked), at most ``MAX_FILE_BYTES``, strict UTF-8 (the bad byte's
  line is named), no byte-order mark, no control characters YAML forbids.
- ``compose``: libyaml's composer recurses in C and crashes the process on deep nesting, and
  aliases make a small file expand exponentially (billion laughs) in every later walk. A cheap
  textual bound skips the check for ordinary files; otherwise one pass over libyaml's (iterative)
  event stream measures the real nesting depth and the size after alias expansion and rejects a
  document above ``MAX_DEPTH`` or ``MAX_EXPANDED_NODES`` before a node is built.
- ``construct``: PyYAML's safe constructor, also rejecting duplicate keys at any depth, and
  turning unknown tags and over-long integers into located errors.
- ``load_generated`` / ``load_all_generated``: the fast floor for YAML this tool wrote itself
  (template output, files under ``rendered/`` that carry the generated-file header). yaml-rs
  (a Rust YAML 1.2 parser) reads them about 4x faster than PyYAML's C loader, but YAML 1.1 and
  1.2 read some plain scalars differently (``yes``, ``on``, ``017``, ``1e3``, ``1:20``, dates,
  ``<<``). The canonical dumper quotes every such scalar, so its output never holds one plain;
  ``divergent`` finds them (and anchors, aliases, tags, directives: anything outside the plain
  subset) with one regex pass, and such text, a parse error or an over-deep document goes the
  PyYAML way. The result is the object PyYAML builds (tests/test_yaml_fast.py proves it on every
  shipped and generated document, and on each divergent form). Hand-written files (environments,
  policies, anything a user passes) always use PyYAML: its line marks and YAML 1.1 reading.
  yaml-rs only speeds reading up: without it (an environment installed before it was pinned)
  every document goes the PyYAML way, with the same objects, as libyaml is optional for ``LOADER``.

Must not know what the YAML means; callers check structure.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from generator.errors import GeneratorError
from generator.linear_re import compile_re

try:
    import yaml_rs as _yaml_rs

    _YAML_RS: Any = _yaml_rs
except ImportError:  # an install older than the pin (a hook run from a stale .venv): PyYAML reads all
    _YAML_RS = None

__all__ = [
    "LOADER",
    "MAX_DEPTH",
    "MAX_EXPANDED_NODES",
    "MAX_FILE_BYTES",
    "cached_data",
    "check_text",
    "compose",
    "compose_or_none",
    "construct",
    "construct_scalar",
    "divergent",
    "load",
    "load_all_generated",
    "load_documents",
    "load_generated",
    "load_or_none",
    "problem_error",
    "read_text",
    "split_documents",
]

#: Deepest nesting of collections accepted (real manifests stay below 20; CRD schemas below 40).
MAX_DEPTH = 100
#: Nodes a document may hold once aliases are expanded (a billion-laughs document fails here).
MAX_EXPANDED_NODES = 200_000
#: Largest YAML file read (etcd refuses objects over 1.5 MiB; a rendered tree's files are far smaller).
MAX_FILE_BYTES = 16 * 1024 * 1024

#: libyaml's event parser: ``_measure`` walks events without PyYAML's Python scanner (5x faster).
_CParser: Any = getattr(getattr(yaml, "cyaml", None), "CParser", None)
#: The one PyYAML loader configuration: the C safe loader where libyaml is built in. Code that only
#: needs plain data from trusted text (our own rendered files, chart values) uses it directly; input a
#: user hands us goes through ``load``/``load_documents`` and their bounds.
LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DOC_START = re.compile(r"^---(?:[ \t].*)?$", re.MULTILINE)
#: What YAML 1.1 calls non-printable (PyYAML's reader rejects these with a traceback-shaped error).
_NON_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_BLOCK_PREFIX = re.compile(r"^[ \-?:]*", re.MULTILINE)

ErrorType = type[GeneratorError]


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _read_fd(fd: int, expected: int, limit: int) -> bytes:
    """Up to ``limit`` bytes of ``fd``, asking first for the ``expected`` size (``fstat``'s) plus one.

    A buffered ``read(limit)`` allocates ``limit`` bytes (16 MiB) before it reads a 1 KiB manifest:
    over a rendered tree of 11,703 files that was a quarter of ``validate``'s CPU time. The loop
    still reads on to ``limit`` when the file grew after ``fstat``, so the size check stays exact.
    """
    parts: list[bytes] = []
    size = 0
    while size < limit:
        step = expected + 1 - size if size <= expected else 64 * 1024
        part = os.read(fd, min(step, limit - size))
        if not part:
            break
        parts.append(part)
        size += len(part)
    return b"".join(parts)


def read_text(path: Path, shown: str, error: ErrorType, *, max_bytes: int | None = None) -> str:
    """The checked text of the regular file ``path`` (``shown`` in messages).

    Raises:
        GeneratorError: of class ``error``: missing, not a regular file, too large, not UTF-8,
            a byte-order mark or a control character.
    """
    max_bytes = MAX_FILE_BYTES if max_bytes is None else max_bytes
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError as e:
        raise error("file not found", path=shown, hint="check the path (a dangling symlink?)") from e
    except OSError as e:
        raise error(f"cannot read file: {e.strerror}", path=shown) from e
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise error(
                "not a regular file (a FIFO, socket or device?)",
                path=shown,
                hint="give a plain YAML file",
            )
        if info.st_size > max_bytes:
            raise error(
                f"file is {info.st_size} bytes, more than the {max_bytes} accepted",
                path=shown,
                hint="split it into smaller files",
            )
        data = _read_fd(fd, info.st_size, max_bytes + 1)
    except OSError as e:
        raise error(f"cannot read file: {e.strerror or e}", path=shown) from e
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise error(f"file grew past the {max_bytes} bytes accepted while read", path=shown)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line, column = _line_col(data[: e.start].decode("utf-8", "replace"), e.start)
        raise error(
            f"not valid UTF-8 (byte 0x{data[e.start]:02x})",
            path=shown,
            line=line,
            column=column,
            hint="save the file as UTF-8",
        ) from e
    return check_text(text, shown, error)


def check_text(text: str, shown: str, error: ErrorType, *, first_line: int = 1) -> str:
    """``text`` unchanged, or an error at the first byte-order mark or forbidden control character."""
    if text.startswith("\ufeff"):  # the BOM decoded
        raise error(
            "file starts with a byte-order mark",
            path=shown,
            line=first_line,
            column=1,
            hint="save the file as UTF-8 without BOM",
        )
    bad = _NON_PRINTABLE.search(text)
    if bad is not None:
        line, column = _line_col(text, bad.start())
        raise error(
            f"control character U+{ord(bad.group()):04X} is not allowed in YAML",
            path=shown,
            line=first_line + line - 1,
            column=column,
            hint="remove it; write it as an escape inside a double-quoted string if it is data",
        )
    return text


def _depth_bound(text: str) -> int:
    """An upper bound on the nesting depth, from flow brackets and block indentation (cheap)."""
    flow = text.count("[") + text.count("{")
    block = max((len(m) for m in _BLOCK_PREFIX.findall(text)), default=0)
    return flow + 2 * block + 4


def _measure(text: str, shown: str, error: ErrorType, first_line: int, max_depth: int) -> None:
    """Exact depth and alias-expanded size from libyaml's event stream (no recursion).

    Each open collection accumulates the expanded size of what it holds, so an anchor's size is
    known when it closes and an alias adds that size without being expanded.
    """
    sizes: dict[str, int] = {}
    stack: list[list[Any]] = []  # [anchor, expanded nodes inside] per open collection
    total = 0

    def fail(message: str, mark: Any, hint: str) -> GeneratorError:
        return error(
            message,
            path=shown,
            line=first_line + mark.line if mark is not None else first_line,
            column=mark.column + 1 if mark is not None else None,
            hint=hint,
        )

    def add(count: int, mark: Any) -> None:
        nonlocal total
        total += count
        if stack:
            stack[-1][1] += count
        if total > MAX_EXPANDED_NODES:
            raise fail(
                f"document expands to more than {MAX_EXPANDED_NODES} nodes through aliases",
                mark,
                "aliases may not multiply a document (billion laughs); write the values out",
            )

    loader = (_CParser or yaml.SafeLoader)(text)
    try:
        while True:
            event = loader.get_event()
            if event is None or isinstance(event, yaml.StreamEndEvent):
                break
            if isinstance(event, yaml.CollectionStartEvent):
                if len(stack) >= max_depth:
                    raise fail(
                        f"nesting deeper than {max_depth} levels",
                        event.start_mark,
                        "flatten the structure; no real manifest nests this deep",
                    )
                stack.append([event.anchor, 0])
            elif isinstance(event, yaml.CollectionEndEvent):
                anchor, inside = stack.pop()
                if anchor:
                    sizes[anchor] = inside + 1
                total -= inside  # the children were counted as they came; add() counts the whole
                add(inside + 1, event.start_mark)
            elif isinstance(event, yaml.ScalarEvent):
                if event.anchor:
                    sizes[event.anchor] = 1
                add(1, event.start_mark)
            elif isinstance(event, yaml.AliasEvent):
                if any(entry[0] == event.anchor for entry in stack):
                    raise fail(
                        f"alias *{event.anchor} refers to a collection that contains it",
                        event.start_mark,
                        "recursive structures are not allowed",
                    )
                add(sizes.get(event.anchor or "", 1), event.start_mark)
    finally:
        loader.dispose()


#: Hints by words of PyYAML's problem text: the parser says what broke, these say what to do.
_HINTS = (
    ("duplicate key", "each key may appear once per mapping; remove or merge the duplicate"),
    ("constructor for the tag", "use plain YAML values (no custom tags such as !foo or !!python/...)"),
    ("integer too large", "no field takes a number this long; quote it if it is an identifier"),
    ("mapping key must be", "keys must be plain scalars"),
)


def problem_error(
    e: yaml.YAMLError, text: str, shown: str, error: ErrorType, *, first_line: int = 1, hint: str = ""
) -> GeneratorError:
    """A PyYAML error as one located ``error``, with a hint saying what to do."""
    mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
    problem = str(getattr(e, "problem", None) or e)
    hint = next((h for words, h in _HINTS if words in problem), hint)
    lines = text.splitlines()
    if mark is not None and mark.line < len(lines) and "\t" in lines[mark.line]:
        hint = "YAML indents with spaces, never tabs"
    return error(
        f"invalid YAML: {problem}",
        path=shown,
        line=first_line + mark.line if mark is not None else first_line,
        column=mark.column + 1 if mark is not None else None,
        hint=hint,
    )


def compose(
    text: str,
    shown: str,
    error: ErrorType,
    *,
    first_line: int = 1,
    max_depth: int = MAX_DEPTH,
    hint: str = "fix the YAML syntax (indentation, quotes, colons)",
) -> yaml.Node | None:
    """The single document of ``text`` as a node tree (``None`` when empty), bounded.

    Raises:
        GeneratorError: of class ``error``: invalid YAML, more than one document, nesting deeper
            than ``max_depth``, alias expansion past ``MAX_EXPANDED_NODES`` or a recursive alias.
    """
    try:
        if _depth_bound(text) > max_depth or ("&" in text and "*" in text):
            _measure(text, shown, error, first_line, max_depth)
        node: yaml.Node | None = yaml.compose(text, Loader=LOADER)
    except yaml.YAMLError as e:
        raise problem_error(e, text, shown, error, first_line=first_line, hint=hint) from e
    except RecursionError as e:  # pragma: no cover - _measure bounds the depth first
        raise error(f"nesting deeper than {max_depth} levels", path=shown, line=first_line) from e
    return node


class _Constructor(yaml.constructor.SafeConstructor):
    """PyYAML's safe constructor, strict about duplicate keys and out-of-range integers."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        own = [key for key, _ in node.value if key.tag != "tag:yaml.org,2002:merge"]
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        if len(mapping) != len(node.value):  # fewer entries than keys: a duplicate, or merged keys
            self._find_duplicate(own)
        return mapping

    def _find_duplicate(self, keys: list[yaml.Node]) -> None:
        seen: dict[Any, yaml.Node] = {}
        for key_node in keys:
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.get(key)
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    None, None, "a mapping key must be a scalar", key_node.start_mark
                ) from None
            if first is not None:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"duplicate key {key!r} (first at line {first.start_mark.line + 1})",
                    key_node.start_mark,
                )
            seen[key] = key_node

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        try:
            value: int = super().construct_yaml_int(node)
        except ValueError as e:
            raise yaml.constructor.ConstructorError(
                None, None, f"integer too large ({len(str(node.value))} digits)", node.start_mark
            ) from e
        return value


_Constructor.yaml_constructors = {
    **yaml.constructor.SafeConstructor.yaml_constructors,
    "tag:yaml.org,2002:int": _Constructor.construct_yaml_int,
}


def construct(node: yaml.Node | None, text: str, shown: str, error: ErrorType, *, first_line: int = 1) -> Any:
    """Plain Python data of a composed node (tags resolved safely; unknown tags are errors).

    Raises:
        GeneratorError: of class ``error``: duplicate key, unknown tag, integer too large.
    """
    if node is None:
        return None
    try:
        return _Constructor().construct_document(node)
    except yaml.YAMLError as e:
        raise problem_error(e, text, shown, error, first_line=first_line, hint="use plain YAML values") from e


def load(text: str, shown: str, error: ErrorType, *, first_line: int = 1) -> Any:
    """``compose`` + ``construct``: the data of one YAML document, every limit applied."""
    node = compose(text, shown, error, first_line=first_line)
    return construct(node, text, shown, error, first_line=first_line)


def load_or_none(text: str) -> Any:
    """The data of one YAML document we only inspect, or ``None`` when it is not YAML within every bound.

    Such text is a Helm ``values`` string or a file under ``rendered/``, and its caller reports a
    missing value itself (or needs none): a best effort that still never hangs, recurses or expands
    aliases without limit.
    """
    try:
        return load(text, "<text>", GeneratorError)
    except GeneratorError:
        return None


def compose_or_none(text: str) -> yaml.Node | None:
    """``compose`` for readers that only want line marks and have a fallback (``None``)."""
    try:
        return compose(text, "<text>", GeneratorError)
    except GeneratorError:
        return None


def construct_scalar(constructor: yaml.constructor.BaseConstructor, node: yaml.Node) -> Any:
    """One scalar node's value, as ``construct`` would build it (huge integers rejected, located)."""
    try:
        return constructor.construct_object(node)
    except ValueError as e:  # int() refuses more than 4300 digits
        raise yaml.constructor.ConstructorError(
            None, None, f"integer too large ({len(str(node.value))} digits)", node.start_mark
        ) from e


def split_documents(text: str) -> list[tuple[int, str]]:
    """Split multi-document YAML on ``---`` lines → ``[(first_line, text)]``, blank ones dropped.

    Splitting first lets each document be parsed alone (so a field's line is found by parsing only
    its own document) while keeping a C or Rust parser's speed for the whole file. A file without a
    ``---`` at a line start (one manifest per file, as ``rendered/`` holds) is one chunk: two
    substring tests instead of a regex pass.
    """
    if not text.startswith("---") and "\n---" not in text:
        return [(1, text)] if text and not text.isspace() else []
    return _split_on_markers(text)


def _split_on_markers(text: str) -> list[tuple[int, str]]:
    """``split_documents`` for text that may hold ``---`` lines: one regex pass."""
    chunks: list[tuple[int, str]] = []
    start = 0
    line = 1
    for m in _DOC_START.finditer(text):
        chunk = text[start : m.start()]
        chunks.append((line, chunk))
        line += chunk.count("\n")
        start = m.end() + 1 if m.end() < len(text) else m.end()
        line += 1
    chunks.append((line, text[start:]))
    return [(ln, chunk) for ln, chunk in chunks if chunk and not chunk.isspace()]


# Every alternative starts at the character before a token (whitespace or a flow indicator; the
# text is searched with a newline in front), so the regex engine skips other positions fast. A
# whole-token match must end the line, a flow item or a key (``on:``), or precede a comment.
_END_BODY = r"[ \t]*$|[ \t]*[,\]}]|:[ \t]|:$|[ \t]+\#"
_END = rf"(?={_END_BODY})"
#: YAML 1.1 booleans, the merge key and the value key (``=``), as whole tokens.
_BOOL_WORDS = r"(?:[yY]es|YES|[nN]o|NO|[oO]n|ON|[oO]ff|OFF|[yYnN]|<<|=)"
#: Number-like plain scalars the two versions read differently, matched on their prefix.
_NUMBER_FORMS = (
    r"[-+]?(?:"
    r"0[0-9_]"  # 1.1 octal / 1.2 decimal
    r"|0[oObBxX]"  # radix prefixes (0o is 1.2 only)
    r"|[0-9][0-9_]*_"  # digit separators (1.1 only)
    r"|[0-9][0-9_]*(?:\.[0-9_]*)?[eE]"  # exponents (1.1 needs a dot and a sign)
    r"|\.[0-9]"  # leading dot (1.1: no sign allowed)
    r"|[0-9][0-9_]*:[0-5]?[0-9]"  # sexagesimal (1.1 only)
    r"|\.(?:inf|Inf|INF|nan|NaN|NAN)"  # special floats
    r"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"  # timestamps (1.1 only)
    r"|[0-9]{19}"  # integers past 64 bits
    r")"
)
#: Text that YAML 1.1 (PyYAML) and 1.2 (yaml-rs) may read differently, or that lies outside the
#: plain subset the fast path takes. False alarms only cost speed; a miss would change data, so
#: number-like forms match on their prefix (a plain ``1.2.3`` or ``10.0.0.0/16`` does not start one).
_DIVERGENT = re.compile(
    rf"""[\s\[{{,](?=[-&*!?%.+0-9yYnNoO<=])(?:
    [&*][\w-]                                             # anchor, alias
    | ![!\w./:-]*(?=\s|$)                                  # tag (not a "!x(" inside a plain scalar)
    | (?<=\n)(?:%|\.\.\.|---)                                # directive, document end/start
    | \?(?:[ \t]|$)                                         # complex key
    | {_BOOL_WORDS}{_END}                                   # 1.1 bools, merge, value
    | {_NUMBER_FORMS}
    )
    """,
    re.MULTILINE | re.VERBOSE,
)

#: What Python's ``\s`` matches in a ``str`` pattern: every character ``str.isspace`` accepts
#: (RE2's ``\s`` is ASCII only; tests/test_yamlread_fast_paths.py checks the list is complete).
_SPACES = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def _escaped(chars: str) -> str:
    return "".join(f"\\x{{{ord(c):x}}}" for c in chars)


def _ascii_not_word(keep: str) -> str:
    """ASCII characters that are neither word characters nor in ``keep``, escaped for an RE2 class."""
    return _escaped("".join(chr(c) for c in range(128) if not (chr(c).isalnum() or chr(c) in "_" + keep)))


#: ``_DIVERGENT`` loosened into what RE2 (linear, no lookaround) can say: every text it matches, this
#: matches too (lookaheads become consumed characters, ``\w`` any non-ASCII character), so a text
#: this does not match needs no Python regex pass at all. RE2 runs 4x faster over a rendered tree.
_DIVERGENT_HINT = compile_re(
    rf"(?m)\n(?:%|\.\.\.|---)|[{_escaped(_SPACES)}\[{{,](?:"
    rf"[&*][^{_ascii_not_word('-')}]"
    rf"|![^{_ascii_not_word('!./:-')}]*(?:[{_escaped(_SPACES)}]|$)"
    r"|\?(?:[ \t]|$)"
    rf"|{_BOOL_WORDS}(?:{_END_BODY})"
    rf"|{_NUMBER_FORMS})"
)


def divergent(text: str) -> bool:
    """Whether ``text`` may hold YAML that yaml-rs and PyYAML read differently (then PyYAML reads it)."""
    text = "\n" + text
    return _DIVERGENT_HINT.search(text) is not None and _DIVERGENT.search(text) is not None


class _NotFast(Exception):
    """This document takes the PyYAML path."""


@functools.cache
def _deep_prefix(length: int) -> re.Pattern[str]:
    return re.compile(rf"\n[ \-?:]{{{length},}}")


def _may_nest_too_deep(text: str) -> bool:
    """``_depth_bound(text) > MAX_DEPTH``, without scanning every line's prefix in Python."""
    flow = text.count("[") + text.count("{")
    need = (MAX_DEPTH - 4 - flow) // 2 + 1  # the block prefix that would push the bound over
    return need <= 0 or _deep_prefix(need).search("\n" + text) is not None


def _fast(chunk: str) -> Any:
    """One document's data through yaml-rs; ``_NotFast`` when it must go the PyYAML way."""
    if _YAML_RS is None or _may_nest_too_deep(chunk) or divergent(chunk):
        raise _NotFast
    try:
        return _YAML_RS.loads(chunk, parse_datetime=False)
    except (ValueError, UnicodeError) as e:  # yaml_rs.YAMLDecodeError is a ValueError
        raise _NotFast from e


def load_generated(text: str, shown: str, error: ErrorType, *, first_line: int = 1) -> Any:
    """``load`` for one document this tool wrote: yaml-rs where it reads as PyYAML would, else ``load``.

    Raises:
        GeneratorError: of class ``error``, exactly as ``load`` would.
    """
    try:
        return _fast(text)
    except _NotFast:
        return load(text, shown, error, first_line=first_line)


def load_all_generated(text: str) -> list[Any] | None:
    """The non-empty documents of machine-written ``text`` via yaml-rs; ``None`` when PyYAML must read it.

    ``None`` also for text yaml-rs refuses: the caller's PyYAML path then reports the error its way.
    """
    try:
        docs = [_fast(chunk) for _, chunk in split_documents(text)]
    except _NotFast:
        return None
    return [d for d in docs if d is not None]


def load_documents(
    text: str, *, file: str, error: ErrorType, checked: bool = False, generated: bool = False
) -> list[tuple[int, int, str, Any]]:
    """Every non-empty document of ``text`` (shown as ``file``): ``(index, first_line, text, data)``.

    ``index`` counts the non-blank chunks between ``---`` lines (so it names a document as an editor
    shows it); a chunk holding only comments or ``null`` yields nothing. Each document is checked
    and loaded with every bound of ``load``; ``checked``: ``text`` came from ``read_text``, which
    already ran ``check_text`` on it. ``generated``: this tool wrote ``text`` (a file under
    ``rendered/`` with the generated-file header), so ``load_generated`` reads it.

    Raises:
        GeneratorError: of class ``error``, located: a forbidden character, a syntax error, a
            document over the limits.
    """
    if not checked:
        check_text(text, file, error)
    read = load_generated if generated else load
    out = []
    for index, (line, chunk) in enumerate(split_documents(text)):
        data = read(chunk, file, error, first_line=line)
        if data is not None:
            out.append((index, line, chunk, data))
    return out


def cached_data(directory: Path | None, text: str, load_text: Callable[[], Any], *, salt: str = "") -> Any:
    """``load_text()`` (what ``text`` loads to), kept as JSON in ``directory`` by ``salt`` and ``text``.

    Reading JSON back is 10-40 times faster than loading the YAML again, and JSON cannot run code.
    Only data JSON gives back equal is kept (no dates, no keys other than strings): anything else is
    loaded each time. A missing (``None``), unreadable or unwritable cache means "load".
    """
    if directory is None:
        return load_text()
    key = hashlib.sha256(f"{salt}\0{text}".encode()).hexdigest()[:40]
    cached = directory / f"{key}.json"
    try:
        return json.loads(cached.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    data = load_text()
    try:
        encoded = json.dumps(data)
        if json.loads(encoded) != data:
            return data
        directory.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(encoded, encoding="utf-8")
        os.replace(tmp, cached)
    except (OSError, TypeError, ValueError):
        pass  # a value JSON cannot hold (a date) or a read-only cache: load it next time too
    return data
