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


def known_differences() -> list[dict[str, Any]]:
    differences: list[dict[str, Any]] = yaml.safe_load(KNOWN_GAPS.read_text(encoding="utf-8"))["differences"]
    return differences


CLUSTER_SCOPED = frozenset(
    {"Namespace", "Node", "PersistentVolume", "StorageClass", "ClusterRole", "ClusterRoleBinding",
     "CustomResourceDefinition", "PriorityClass", "IngressClass", "RuntimeClass"}
)  # fmt: skip


def _load_all(path: Path) -> list[Any]:
    return [d for d in yaml.load_all(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader) if d]


def _rule_kinds(rule: dict[str, Any]) -> set[str]:
    match = rule.get("match") or {}
    blocks = [*(match.get("any") or ()), *(match.get("all") or ()), match]
    return {
        kind.split("/")[-1]
        for block in blocks
        for kind in ((block.get("resources") or {}).get("kinds") or ())
    }


def cel_rule_rows(conformance_dir: Path) -> Iterator[tuple[str, dict[str, Any], dict[str, Any], str]]:
    """``(case, rule, resource, expected)`` for every validate.cel result row that needs no autogen.

    Rows whose kind the rule matches directly; match/exclude, autogen and operations belong to the
    engine and are tested there.
    """
    for test_file in sorted((conformance_dir / "cases").rglob("kyverno-test.yaml")):
        test = _load_all(test_file)[0]
        base = test_file.parent
        policies = {
            doc["metadata"]["name"]: doc
            for path in test.get("policies") or ()
            for doc in _load_all(base / path)
            if doc.get("kind") in {"ClusterPolicy", "Policy"}
        }
        resources: list[dict[str, Any]] = []
        for path in test.get("resources") or ():
            files = [base / path] if (base / path).is_file() else sorted((base / path).glob("*.yaml"))
            for file in files:
                resources.extend(_load_all(file))
        for entry in test.get("results") or ():
            policy = policies.get(entry["policy"].split("/")[-1])
            rules = (policy or {}).get("spec", {}).get("rules") or ()
            rule = next((r for r in rules if r["name"] == entry.get("rule")), None)
            if (
                rule is None
                or "cel" not in (rule.get("validate") or {})
                or entry["kind"] not in _rule_kinds(rule)
            ):
                continue
            for ref in entry.get("resources") or ():
                name = ref.rpartition("/")[2]
                for resource in resources:
                    if resource["metadata"]["name"] == name and resource["kind"] == entry["kind"]:
                        yield base.name, rule, resource, entry["result"]
