"""The one canonical YAML dumper: every rendered document goes through ``dump``.

The canonical form is what PyYAML's C dumper writes (``dump_reference``): keys sorted, block style,
no line wrapping, LF, final newline. Strings that any common reader (YAML 1.1 like PyYAML and
kubectl, or YAML 1.2 like kustomize) could read as a bool, number or null are always quoted, so
every reader sees the same document.

``dump`` writes the same bytes several times faster: PyYAML's representer (Python) builds a node
per value and libyaml re-analyses every scalar, while our documents are plain data (dicts, lists,
strings, ints, bools, None) whose strings repeat across thousands of files. ``_Emitter`` writes
them directly, deciding each string's style once (libyaml's rules for block context, cached per
string); anything outside what it knows for certain (other types, control or astral characters,
long or multi-line keys, block scalars needing indentation or keep hints) makes it hand the whole
document to ``dump_reference``. ``tests/test_dump_fast.py`` proves byte identity on every shipped
and fleet document and on generated tricky scalars.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import yaml

__all__ = ["dump", "dump_reference", "needs_quotes"]

_DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

# Plain scalars that a YAML 1.1 or 1.2 reader resolves to something other than a string.
_AMBIGUOUS = re.compile(
    r"""^(?:
        ~|null|Null|NULL|
        y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|
        [-+]?[0-9][0-9_]*|[-+]?0[xX][0-9a-fA-F_]+|[-+]?0[oO]?[0-7_]+|[-+]?0b[01_]+|
        [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?|
        [-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+]?[0-9]+)?|
        [-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+|
        [-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|
        [0-9]{4}-[0-9]{1,2}-[0-9]{1,2}.*|=|<<
    )$""",
    re.VERBOSE,
)


def needs_quotes(text: str) -> bool:
    """Whether ``text`` as a plain scalar would not read back as this string in YAML 1.1 or 1.2."""
    return bool(_AMBIGUOUS.match(text))


class _CanonicalDumper(_DUMPER):  # type: ignore[misc]
    """C dumper with a string representer that quotes ambiguous scalars and never writes aliases.

    A shared object (a YAML anchor in a policy source, one dict used twice by a template) is written
    out in full each time: ``&id001``/``*id001`` in rendered/ would be unreadable to reviewers.
    """

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    if needs_quotes(data):
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="'")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_CanonicalDumper.add_representer(str, _represent_str)


def dump(body: Mapping[str, Any]) -> str:
    """One document as canonical YAML text (no ``---``; LF; final newline)."""
    if type(body) is dict and body:
        try:
            out: list[str] = []
            _mapping(body, "", out)
            return "".join(out)
        except _Fallback:
            pass
    return dump_reference(body)


def dump_reference(body: Mapping[str, Any]) -> str:
    """The canonical text as PyYAML's C dumper writes it: the definition ``dump`` must match."""
    text: str = yaml.dump(
        body,
        Dumper=_CanonicalDumper,
        sort_keys=True,
        default_flow_style=False,
        allow_unicode=True,
        width=1_000_000,
        indent=2,
        line_break="\n",
    )
    return text


class _Fallback(Exception):
    """A value the fast emitter does not handle: the document goes to ``dump_reference``."""


#: Characters the fast emitter handles: LF, printable ASCII, and the BMP characters libyaml prints
#: as they are (allow_unicode) and does not take for a line break (U+2028/9) or a BOM (U+FEFF).
_SIMPLE = re.compile("[\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]*")
_RESOLVER = yaml.resolver.Resolver()
_STR_TAG = "tag:yaml.org,2002:str"
#: Indicators that make a plain scalar impossible when they start it (libyaml's analysis).
_FIRST = "#,[]{}&*!|>'\"%@`"
_KEY_MAX_BYTES = 128
_BIG = 100_000
#: ``(key?, text)`` → the scalar as written (``None``: not handled); strings repeat across files.
_CACHE: dict[tuple[bool, str], str | None] = {}
_MISS = ""
_CACHE_MAX = 100_000


def _plain_allowed(s: str) -> bool:
    """Whether libyaml writes ``s`` (one line of simple characters) plain in block context."""
    if not s or s[0] == " " or s[-1] == " " or s.startswith(("---", "...")):
        return False
    n = len(s)
    for i, ch in enumerate(s):
        after_blank = i + 1 >= n or s[i + 1] == " "
        if i == 0:
            if ch in _FIRST or (ch in "?:-" and after_blank):
                return False
        elif (ch == ":" and after_blank) or (ch == "#" and s[i - 1] == " "):
            return False
    return True


def _scalar(s: str, key: bool) -> str:
    hit = _CACHE.get((key, s), _MISS)
    if hit is _MISS:
        if len(_CACHE) > _CACHE_MAX:
            _CACHE.clear()
        hit = _CACHE[(key, s)] = _style(s, key)
    if not hit:
        raise _Fallback
    return hit


def _style(s: str, key: bool) -> str | None:
    """How ``_represent_str`` + libyaml write ``s`` in block context (``None``: not handled)."""
    if len(s) > _BIG or not _SIMPLE.fullmatch(s) or (key and ("\n" in s or len(s.encode()) > _KEY_MAX_BYTES)):
        return None
    if "\n" in s:
        lines_ok = not s.startswith(("\n", " ")) and " \n" not in s and not s.endswith(("\n\n", " "))
        return ("|" if s.endswith("\n") else "|-") if lines_ok else None
    quoted = "'" + s.replace("'", "''") + "'"
    if needs_quotes(s) or not _plain_allowed(s):
        return quoted
    tag = _RESOLVER.resolve(yaml.ScalarNode, s, (True, False))  # type: ignore[no-untyped-call]
    return s if tag == _STR_TAG else quoted


def _value(v: Any, indent: str) -> str:
    """A scalar value (after ``key:`` or ``- ``) with its leading space and line break."""
    t = type(v)
    if t is str:
        style = _scalar(v, False)
        if style[0] != "|" or v == style:
            return f" {style}\n"
        inner = indent + "  "
        body = "\n".join(f"{inner}{line}" if line else "" for line in v.removesuffix("\n").split("\n"))
        return f" {style}\n{body}\n"
    if t is bool:
        return " true\n" if v else " false\n"
    if t is int:
        return f" {v}\n"
    if v is None:
        return " null\n"
    if t is float and math.isfinite(v):
        text = repr(v)
        if "e" not in text and "." in text:
            return f" {text}\n"
    raise _Fallback


def _mapping(d: dict[Any, Any], indent: str, out: list[str], first: str | None = None) -> None:
    """A non-empty block mapping whose keys start at ``indent`` (``first``: the first line's prefix)."""
    try:
        items = sorted(d.items())
    except TypeError:
        raise _Fallback from None
    for k, v in items:
        if type(k) is not str:
            raise _Fallback
        head = f"{indent if first is None else first}{_scalar(k, True)}:"
        first = None
        t = type(v)
        if t is dict:
            if v:
                out.append(head + "\n")
                _mapping(v, indent + "  ", out)
            else:
                out.append(head + " {}\n")
        elif t is list:
            if v:
                out.append(head + "\n")
                _sequence(v, indent, out)
            else:
                out.append(head + " []\n")
        else:
            out.append(head + _value(v, indent))


def _sequence(items: list[Any], indent: str, out: list[str], first: str | None = None) -> None:
    """A non-empty block sequence whose dashes sit at ``indent``."""
    for v in items:
        dash = f"{indent if first is None else first}-"
        first = None
        t = type(v)
        if t is dict:
            if v:
                _mapping(v, indent + "  ", out, dash + " ")
            else:
                out.append(dash + " {}\n")
        elif t is list:
            if v:
                _sequence(v, indent + "  ", out, dash + " ")
            else:
                out.append(dash + " []\n")
        else:
            out.append(dash + _value(v, indent))
