"""Explain a loaded environment: every merged value with the file:line it came from (``gitops-gen config``).

Input is a ``load.LoadedEnv`` (its data after layering and schema defaults, and the marks that
followed each value); output is data (``ExplainedValue`` rows) and two formats of it. A value
from a schema default names ``generator/env.schema.json`` and the line of its ``default``. Entries
of named lists are shown by name (``services[ocr-worker]``), since indices move as files layer.
Pure: reads and writes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from generator.errors import UsageError
from generator.layering import is_named_list, sub_schema
from generator.load import LoadedEnv, env_schema
from generator.location import YamlPath

__all__ = ["ExplainedValue", "explain", "format_json", "format_text"]


@dataclass(frozen=True, slots=True)
class ExplainedValue:
    """One leaf of the merged environment and where it was written."""

    path: str
    """Display path: ``services[ocr-worker].resources.memory``, ``karpenter.nodePools[general]``."""
    yaml_path: YamlPath
    """The same as indices (``("services", 1, "resources", "memory")``)."""
    value: Any
    """A scalar, or an empty ``{}``/``[]``."""
    file: str
    line: int


def _leaves(
    value: Any, path: YamlPath, shown: str, schema: Mapping[str, Any]
) -> Iterator[tuple[YamlPath, str, Any]]:
    if isinstance(value, dict) and value:
        for key, sub in value.items():
            yield from _leaves(sub, (*path, key), f"{shown}.{key}" if shown else key, sub_schema(schema, key))
    elif isinstance(value, list) and value:
        named = is_named_list(schema)
        for i, sub in enumerate(value):
            label = sub["name"] if named and isinstance(sub, dict) and isinstance(sub.get("name"), str) else i
            yield from _leaves(sub, (*path, i), f"{shown}[{label}]", sub_schema(schema, i))
    else:
        yield path, shown, value


def _selected(shown: str, prefix: str) -> bool:
    return not prefix or shown == prefix or shown.startswith((f"{prefix}.", f"{prefix}["))


def explain(loaded: LoadedEnv, prefix: str = "") -> tuple[ExplainedValue, ...]:
    """Every leaf of ``loaded`` under display path ``prefix`` (all when empty), in document order.

    Raises:
        UsageError: ``prefix`` names nothing in the merged environment.
    """
    out = []
    for path, shown, value in _leaves(loaded.data, (), "", env_schema()):
        if _selected(shown, prefix):
            mark = loaded.mark(path)
            line = (mark.line or 0) if mark else 0
            out.append(ExplainedValue(shown, path, value, mark.file if mark else loaded.file, line))
    if not out:
        top = ", ".join(sorted(loaded.data))
        raise UsageError(
            f"{prefix!r} is not a path of environment {loaded.name!r}",
            hint=f"paths look like dns.hostname or services[ocr-worker].resources; top-level keys: {top}",
        )
    return tuple(out)


def format_text(loaded: LoadedEnv, values: Sequence[ExplainedValue]) -> str:
    """``path: value  # file:line``, one per line, values as JSON, after a header naming the chain."""
    width = min(max((len(v.path) + len(json.dumps(v.value)) for v in values), default=0) + 2, 96)
    lines = [f"# {loaded.name}: {' → '.join(loaded.chain)} (+ schema defaults)"]
    for v in values:
        text = f"{v.path}: {json.dumps(v.value)}"
        lines.append(f"{text.ljust(width)}  # {v.file}:{v.line}")
    return "\n".join(lines) + "\n"


def format_json(loaded: LoadedEnv, values: Sequence[ExplainedValue]) -> str:
    """``{"environment", "chain", "values": [{"path", "yamlPath", "value", "file", "line"}]}``."""
    doc = {
        "environment": loaded.name,
        "chain": list(loaded.chain),
        "values": [
            {"path": v.path, "yamlPath": list(v.yaml_path), "value": v.value, "file": v.file, "line": v.line}
            for v in values
        ],
    }
    return json.dumps(doc, indent=2) + "\n"
