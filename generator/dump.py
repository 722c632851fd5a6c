"""The one canonical YAML dumper: every rendered document goes through ``dump``.

PyYAML's C dumper, keys sorted, block style, no line wrapping, LF, final newline. Strings that any
common reader (YAML 1.1 like PyYAML and kubectl, or YAML 1.2 like kustomize) could read as a bool,
number or null are always quoted, so every reader sees the same document.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import yaml

__all__ = ["dump", "needs_quotes"]

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
