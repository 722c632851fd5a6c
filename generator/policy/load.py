"""Policy files → ``Policy`` records (ClusterPolicy/Policy, ``kyverno.io/v1`` and ``v2beta1``).

Reads YAML through ``generator.documents`` (multi-document files, ``*List`` flattened), checks the
structure the engine relies on and raises ``PolicyLoadError`` naming file:line, policy and rule for
anything malformed. Adds the auto-generated Pod-controller rules. Documents of other kinds are
ignored (a Test may list files that also hold other resources).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from generator.documents import Document, load_paths, locate
from generator.errors import ManifestLoadError, PolicyLoadError
from generator.policy.autogen import generate_mutate_rules, generate_rules
from generator.policy.conditions import OPERATORS
from generator.policy.model import FailureAction, Policy, Rule
from generator.policy.variables import VARIABLE_PATTERN, compile_error

__all__ = [
    "POLICY_KINDS",
    "load_policies",
    "load_policy_documents",
    "policies_from_documents",
    "policy_from_document",
]

POLICY_KINDS = frozenset({"ClusterPolicy", "Policy"})
_API_VERSIONS = frozenset({"kyverno.io/v1", "kyverno.io/v2beta1", "kyverno.io/v2"})
_VALIDATIONS = ("pattern", "anyPattern", "deny", "foreach", "podSecurity", "cel", "manifests", "assert")


def _error(
    doc: Document, yaml_path: tuple[str | int, ...], message: str, hint: str | None = None
) -> PolicyLoadError:
    at = locate(doc, yaml_path)
    return PolicyLoadError(
        message, path=doc.file, line=at.line, column=at.column, yaml_path=yaml_path, hint=hint
    )


def _failure_action(value: Any) -> FailureAction | None:
    if value is None:
        return None
    text = str(value).lower()
    if text == "enforce":
        return "Enforce"
    if text == "audit":
        return "Audit"
    return None


def _kinds(rule: Mapping[str, Any]) -> frozenset[str]:
    match = rule.get("match") or {}
    blocks: list[Any] = []
    if isinstance(match, Mapping):
        blocks.append(match.get("resources"))
        for key in ("any", "all"):
            blocks.extend(
                (item or {}).get("resources") for item in match.get(key) or () if isinstance(item, Mapping)
            )
    kinds: set[str] = set()
    for block in blocks:
        if not isinstance(block, Mapping):
            continue
        for kind in block.get("kinds") or ():
            text = str(kind)
            parts = text.split("/")
            bare = (
                parts[0] if len(parts) == 2 and parts[0][:1].isupper() else parts[-1 if len(parts) < 4 else 2]
            )
            if len(parts) == 2 and not parts[0][:1].isupper():
                bare = parts[1]
            kinds.add("*" if "*" in bare or "?" in bare else bare)
    return frozenset(kinds) or frozenset({"*"})


def _check_rule(doc: Document, policy: str, index: int, rule: Any) -> None:
    where: tuple[str | int, ...] = ("spec", "rules", index)
    if not isinstance(rule, Mapping):
        raise _error(doc, where, f"policy {policy}: rule #{index} is not a mapping")
    name = rule.get("name")
    if not isinstance(name, str) or not name:
        raise _error(doc, where, f"policy {policy}: rule #{index} has no name", "give every rule a `name:`")
    match = rule.get("match")
    if not isinstance(match, Mapping) or not match:
        raise _error(doc, (*where, "match"), f"policy {policy}, rule {name}: `match` is missing or empty")
    validate = rule.get("validate")
    if validate is None:
        return
    if not isinstance(validate, Mapping):
        raise _error(doc, (*where, "validate"), f"policy {policy}, rule {name}: `validate` must be a mapping")
    if not any(key in validate for key in _VALIDATIONS):
        raise _error(
            doc,
            (*where, "validate"),
            f"policy {policy}, rule {name}: `validate` needs one of {', '.join(_VALIDATIONS[:6])}",
        )
    if "anyPattern" in validate and not isinstance(validate["anyPattern"], list):
        raise _error(
            doc,
            (*where, "validate", "anyPattern"),
            f"policy {policy}, rule {name}: `anyPattern` must be a list",
        )
    if "foreach" in validate and not isinstance(validate["foreach"], list):
        raise _error(
            doc, (*where, "validate", "foreach"), f"policy {policy}, rule {name}: `foreach` must be a list"
        )
    if "deny" in validate and not isinstance(validate["deny"], (Mapping, type(None))):
        raise _error(
            doc, (*where, "validate", "deny"), f"policy {policy}, rule {name}: `deny` must be a mapping"
        )


def _strings(node: Any, path: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, Mapping):
        for key, value in node.items():
            yield from _strings(value, (*path, str(key)))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _strings(value, (*path, i))


def _conditions(
    node: Any, path: tuple[str | int, ...]
) -> Iterator[tuple[tuple[str | int, ...], Mapping[str, Any]]]:
    if isinstance(node, Mapping):
        if "operator" in node and "key" in node:
            yield path, node
        for key, value in node.items():
            yield from _conditions(value, (*path, str(key)))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _conditions(value, (*path, i))


def _check_expressions(doc: Document, policy: str, index: int, rule: Mapping[str, Any]) -> None:
    """Every ``{{ }}`` JMESPath, foreach ``list`` and condition operator is valid.

    Kyverno's admission webhook rejects such policies; we reject them at load time (exit 2).
    """
    name = rule.get("name")
    where: tuple[str | int, ...] = ("spec", "rules", index)
    sections = {k: rule[k] for k in ("validate", "preconditions", "context") if k in rule}
    for path, text in _strings(sections, ()):
        if path and path[-1] == "list" and "foreach" in path and "{{" not in text:
            expressions = [text]
        else:
            expressions = [
                m.group(2)[2:-2] for m in VARIABLE_PATTERN.finditer(text) if "{{" not in m.group(2)[2:-2]
            ]
        for expression in expressions:
            error = compile_error(expression)
            if error:
                raise _error(
                    doc,
                    (*where, *path),
                    f"policy {policy}, rule {name}: invalid JMESPath {expression.strip()!r}: {error}",
                )
    for path, cond in _conditions(
        {k: sections[k] for k in ("validate", "preconditions") if k in sections}, ()
    ):
        if str(cond.get("operator", "")).lower() not in OPERATORS:
            raise _error(
                doc,
                (*where, *path, "operator"),
                f"policy {policy}, rule {name}: unknown condition operator {cond.get('operator')!r}",
                hint="use Equals, NotEquals, AnyIn, AllIn, AnyNotIn, AllNotIn, GreaterThan, Duration*…",
            )


def _rule(
    raw: Mapping[str, Any],
    index: int,
    default_action: FailureAction,
    origin: str = "",
    overrides: tuple[Mapping[str, Any], ...] = (),
) -> Rule:
    validate = raw.get("validate") or {}
    action = _failure_action(validate.get("failureAction")) or default_action
    rule_overrides = validate.get("failureActionOverrides")
    if isinstance(rule_overrides, list):
        overrides = tuple(o for o in rule_overrides if isinstance(o, Mapping))
    return Rule(
        name=str(raw["name"]),
        match=raw.get("match") or {},
        exclude=raw.get("exclude"),
        validate=validate,
        failure_action=action,
        preconditions=raw.get("preconditions"),
        cel_preconditions=tuple(raw.get("celPreconditions") or ()),
        context=tuple(raw.get("context") or ()),
        origin=origin,
        index=index,
        kinds=_kinds(raw),
        action_overrides=overrides,
    )


def policy_from_document(doc: Document) -> Policy:
    """One ``ClusterPolicy``/``Policy`` document → ``Policy`` (written and auto-generated validate rules).

    Raises:
        PolicyLoadError: the document is not a well-formed Kyverno policy.
    """
    body = doc.body
    meta = body.get("metadata")
    if not isinstance(meta, Mapping) or not meta.get("name"):
        raise _error(doc, ("metadata",), f"{doc.kind} without metadata.name", "every policy needs a name")
    name = str(meta["name"])
    if doc.api_version not in _API_VERSIONS:
        raise _error(doc, ("apiVersion",), f"policy {name}: unsupported apiVersion {doc.api_version!r}")
    spec = body.get("spec")
    if not isinstance(spec, Mapping):
        raise _error(doc, ("spec",), f"policy {name}: `spec` is missing or not a mapping")
    rules = spec.get("rules")
    if not isinstance(rules, list) or not rules:
        raise _error(doc, ("spec", "rules"), f"policy {name}: `spec.rules` must be a non-empty list")
    for index, rule in enumerate(rules):
        _check_rule(doc, name, index, rule)
        _check_expressions(doc, name, index, rule)
    default_action = _failure_action(spec.get("validationFailureAction")) or "Audit"
    annotations = meta.get("annotations") or {}
    validate_rules = [r for r in rules if isinstance(r.get("validate"), Mapping)]
    raw_overrides = spec.get("validationFailureActionOverrides")
    overrides = (
        tuple(o for o in raw_overrides if isinstance(o, Mapping)) if isinstance(raw_overrides, list) else ()
    )
    out = [
        _rule(r, i, default_action, overrides=overrides)
        for i, r in enumerate(rules)
        if isinstance(r.get("validate"), Mapping)
    ]
    index_of = {str(r["name"]): i for i, r in enumerate(rules)}
    for generated in generate_rules(annotations, validate_rules):
        origin = generated["name"].removeprefix("autogen-").removeprefix("cronjob-")
        out.append(_rule(generated, index_of.get(origin, 0), default_action, origin, overrides))
    mutate_rules = [r for r in rules if isinstance(r.get("mutate"), Mapping)]
    mutating = [_mutate_rule(r, i) for i, r in enumerate(rules) if isinstance(r.get("mutate"), Mapping)]
    for generated in generate_mutate_rules(annotations, mutate_rules):
        origin = generated["name"].removeprefix("autogen-").removeprefix("cronjob-")
        mutating.append(_mutate_rule(generated, index_of.get(origin, 0), origin))
    return Policy(
        name=name,
        kind=doc.kind,
        namespace=str(meta.get("namespace") or ("default" if doc.kind == "Policy" else "")),
        rules=tuple(out),
        file=doc.file,
        line=doc.line,
        annotations={str(k): str(v) for k, v in annotations.items()}
        if isinstance(annotations, Mapping)
        else {},
        apply_one=str(spec.get("applyRules", "All")) == "One",
        mutate_rules=tuple(mutating),
        unsupported_rules=tuple(_unsupported(rules)),
    )


def _mutate_rule(raw: Mapping[str, Any], index: int, origin: str = "") -> Rule:
    return Rule(
        name=str(raw["name"]),
        match=raw.get("match") or {},
        exclude=raw.get("exclude"),
        validate={},
        preconditions=raw.get("preconditions"),
        context=tuple(raw.get("context") or ()),
        origin=origin,
        index=index,
        kinds=_kinds(raw),
        mutate=raw.get("mutate"),
    )


_NEEDS_CLUSTER = {
    "generate": "generate rules create or sync resources in a cluster",
    "verifyImages": "verifyImages rules need an image registry",
}


def _unsupported(rules: list[Any]) -> Iterator[tuple[str, str]]:
    for rule in rules:
        for key, reason in _NEEDS_CLUSTER.items():
            if isinstance(rule, Mapping) and key in rule:
                yield str(rule.get("name", "")), f"{reason}; the offline engine cannot evaluate them"


def policies_from_documents(docs: Iterable[Document]) -> list[Policy]:
    """Every Kyverno policy among ``docs`` (other kinds are skipped)."""
    return [
        policy_from_document(d)
        for d in docs
        if d.kind in POLICY_KINDS and d.api_version.startswith("kyverno.io/")
    ]


def load_policy_documents(paths: Iterable[str | os.PathLike[str]]) -> list[Document]:
    """Every document of the policy files or directories (any kind), for the policy loaders.

    Raises:
        PolicyLoadError: a file is unreadable or not YAML.
    """
    try:
        return load_paths(paths)
    except ManifestLoadError as e:
        raise PolicyLoadError(e.message, path=e.path, line=e.line, column=e.column, hint=e.hint) from e


def load_policies(paths: Iterable[str | os.PathLike[str]]) -> list[Policy]:
    """Load every ClusterPolicy/Policy from files or directories.

    Raises:
        PolicyLoadError: a file is unreadable, not YAML, or holds a malformed policy.
    """
    return policies_from_documents(load_policy_documents(paths))
