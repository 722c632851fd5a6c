"""Collect the CEL expressions the project must evaluate: CRD rules and Kyverno conformance policies."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

KNOWN_GAPS = Path(__file__).resolve().parents[2] / "generator" / "cel" / "KNOWN_GAPS.yaml"


def walk_rules(schema: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every ``x-kubernetes-validations`` entry under a schema, with a readable location."""
    if isinstance(schema, dict):
        for rule in schema.get("x-kubernetes-validations") or ():
            yield path, rule
        for key, value in schema.items():
            if key != "x-kubernetes-validations":
                yield from walk_rules(value, f"{path}/{key}")
    elif isinstance(schema, list):
        for i, value in enumerate(schema):
            yield from walk_rules(value, f"{path}[{i}]")


@lru_cache(maxsize=4)
def crd_rules(crd_dir: Path) -> list[tuple[str, dict[str, Any]]]:
    """Rules of every served version of every CRD, located as ``file:version[*]/path`` (``*`` = storage)."""
    out: list[tuple[str, dict[str, Any]]] = []
    for file in sorted(crd_dir.rglob("*.yaml")):
        for doc in yaml.load_all(file.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader):
            if not isinstance(doc, dict) or doc.get("kind") != "CustomResourceDefinition":
                continue
            for version in doc["spec"]["versions"]:
                if version.get("served"):
                    schema = (version.get("schema") or {}).get("openAPIV3Schema") or {}
                    star = "*" if version.get("storage") else ""
                    where = f"{file.relative_to(crd_dir)}:{version['name']}{star}"
                    out.extend(walk_rules(schema, where))
    return out


def _policy_expressions(rule: dict[str, Any]) -> Iterator[str]:
    cel = (rule.get("validate") or {}).get("cel") or {}
    for entry in cel.get("expressions") or ():
        yield entry["expression"]
        if entry.get("messageExpression"):
            yield entry["messageExpression"]
    for var in cel.get("variables") or ():
        yield var["expression"]
    for cond in rule.get("celPreconditions") or ():
        yield cond["expression"]


def conformance_expressions(conformance_dir: Path) -> dict[str, str]:
    """Every distinct CEL expression of the corpus's policies → the file it first appears in."""
    out: dict[str, str] = {}
    for file in sorted((conformance_dir / "cases").rglob("*.yaml")):
        try:
            docs = list(yaml.load_all(file.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader))
        except yaml.YAMLError:
            continue
        for doc in docs:
            if isinstance(doc, dict) and doc.get("kind") in {"ClusterPolicy", "Policy"}:
                for rule in (doc.get("spec") or {}).get("rules") or ():
                    for expression in _policy_expressions(rule):
                        out.setdefault(expression, str(file.relative_to(conformance_dir)))
    return out


def known_gaps() -> list[dict[str, str]]:
    gaps: list[dict[str, str]] = yaml.safe_load(KNOWN_GAPS.read_text(encoding="utf-8"))["gaps"]
    return gaps
