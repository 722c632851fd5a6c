"""The validation engine: one ``Document`` in, its ``Finding`` records out.

Per kind, once per process: find the schema (a CRD from the catalogue first, then the built-in
schemas of the selected Kubernetes version), convert it, compile it with jsonschema-rs, and build
the walk plan (defaults, list types, CEL). Per document, in the API server's order: apply defaults
(copy-on-write), drop non-nullable nulls the server would prune, run the compiled validator, check
``metadata``, then list-type uniqueness and CEL rules, unless a type or enum error blocks them (as
the server's ``hasBlockingErr`` does). Line numbers are computed only for findings.

Reads CRD files and the kubernetes-validate package; writes nothing.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import difflib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jsonschema_rs

from generator.documents import Document, locate
from generator.errors import format_yaml_path
from generator.findings import Finding, Severity, finding_on
from generator.schema import cel_rules
from generator.schema.convert import convert_crd_schema
from generator.schema.crd import CrdCatalog
from generator.schema.kube import KubeSchemas, object_meta_schema, pick_version
from generator.schema.metadata import check_metadata
from generator.schema.native import build_native_plan
from generator.schema.native_rules import check_native
from generator.schema.plan import Node, apply_defaults, build_plan, iter_checks
from generator.schema.relevance import best_first

__all__ = ["Engine", "Options", "normalize"]

Path = tuple[str | int, ...]
_BLOCKING = frozenset({"type", "enum"})


@dataclass(frozen=True, slots=True)
class Options:
    """What ``gitops-gen validate`` was asked to do (picklable: sent to worker processes)."""

    crd_dirs: tuple[str, ...] = ()
    """Directories of CRD YAML files, read in place."""
    kubernetes_version: str | None = None
    """``X.Y``; ``None`` picks the newest version kubernetes-validate ships."""
    strict: bool = False
    """Unknown fields, unknown kinds and unevaluable CEL rules are errors, not warnings/ignored."""


@dataclass(frozen=True, slots=True)
class _Kind:
    validator: Any
    plan: Node | None
    has_defaults: bool
    crd: bool
    drops_status: bool = False
    """A CRD version with a status subresource: ``status`` is dropped on create (PrepareForCreate)."""
    schema: Mapping[str, Any] | None = None
    """The compiled JSON Schema, kept to suggest the field a misspelt one was meant to be."""


def _suggestion(schema: Mapping[str, Any] | None, schema_path: Sequence[str | int], field: str) -> str:
    """``; did you mean "x"?`` for an unknown field close to a declared one, else ``""``."""
    node: Any = schema
    for part in schema_path[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return ""
    props = node.get("properties") if isinstance(node, Mapping) else None
    if not isinstance(props, Mapping):
        return ""
    close = difflib.get_close_matches(field, [str(k) for k in props], n=1, cutoff=0.75)
    return f'; did you mean "{close[0]}"?' if close else ""


def _keyword_message(
    error: Any, path: Path, schema: Mapping[str, Any] | None = None
) -> Iterator[tuple[Path, str, str]]:
    """Path, rule and message for one jsonschema-rs error, reworded where K8s says it better."""
    kind = error.kind.name
    if kind == "required":
        prop = error.kind.as_dict()["property"]
        yield (*path, prop), "required", f"Required value: missing required field {prop!r}"
    elif kind == "additionalProperties":
        for prop in error.kind.as_dict()["unexpected"]:
            shown = format_yaml_path((*path, prop))
            hint = _suggestion(schema, list(error.schema_path), str(prop))
            yield (*path, prop), "additionalProperties", f'unknown field "{shown}"{hint}'
    elif kind == "type" and error.instance is not None:
        # Built-in schemas allow null everywhere; naming it in "not of type" only distracts.
        types = [t for t in error.kind.as_dict()["types"] if t != "null"]
        shown = json.dumps(error.instance, default=str)
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        wanted = " or ".join(f'"{t}"' for t in types)
        yield path, "type", f"{shown} is not of type {wanted}"
    else:
        schema_path = [p for p in error.schema_path if isinstance(p, str)]
        rule = schema_path[-1] if schema_path else kind
        yield path, rule, error.message


def normalize(value: Any) -> Any:
    """What the API server's YAML→JSON step makes of values JSON lacks (dates, non-string keys)."""
    if isinstance(value, Mapping):
        return {_key_text(k): normalize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalize(v) for v in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def _key_text(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    return "null" if key is None else str(key)


def _prune(value: Any, paths: Sequence[Path]) -> Any:
    """A copy of ``value`` without the object properties at ``paths`` (copy-on-write)."""
    out = value
    for path in paths:
        out = _without(out, path)
    return out


def _without(value: Any, path: Path) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(value, Mapping) and isinstance(head, str) and head in value:
        copy = dict(value)
        if rest:
            copy[head] = _without(value[head], rest)
        else:
            del copy[head]
        return copy
    if isinstance(value, list) and isinstance(head, int) and 0 <= head < len(value):
        items = list(value)
        items[head] = _without(value[head], rest)
        return items
    return value


class Engine:
    """Validates documents; compiles each kind once and keeps it for the process's lifetime."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.version = pick_version(options.kubernetes_version)
        # Always the strict schemas: an unknown field is an error under --strict and a warning
        # otherwise, as kubectl shows "Warning: unknown field" when the server only prunes it.
        self._kube = KubeSchemas(self.version, strict=True)
        self._crds = CrdCatalog(options.crd_dirs)
        self._kinds: dict[tuple[str, str], _Kind | None] = {}
        self._meta: dict[str, Any] | None = None

    def register_input_crds(self, files: Iterable[str]) -> None:
        """CRDs among the manifests themselves define kinds too (once applied, the server has them)."""
        from generator.documents import load_file

        for file in files:
            for doc in load_file(file):
                if doc.kind == "CustomResourceDefinition" and doc.api_version.startswith(
                    "apiextensions.k8s.io/"
                ):
                    self._crds.add(doc.body, doc.file)
        self._kinds = {k: v for k, v in self._kinds.items() if v is not None}  # unknown kinds: look again

    def _object_meta(self) -> dict[str, Any]:
        if self._meta is None:
            self._meta = object_meta_schema(self.version, True)
        return self._meta

    def compiled(self, api_version: str, kind: str) -> _Kind | None:
        """The compiled validator and plan for a kind, or ``None`` when no schema is known."""
        key = (api_version, kind)
        if key not in self._kinds:
            self._kinds[key] = self._compile(api_version, kind)
        return self._kinds[key]

    def _compile(self, api_version: str, kind: str) -> _Kind | None:
        crd = self._crds.lookup(api_version, kind)
        if crd is not None:
            schema = convert_crd_schema(crd.schema, strict=True, object_meta=self._object_meta())
            plan = build_plan(crd.schema, cel_rules.compile_rule)
            validator = jsonschema_rs.Draft202012Validator(schema)
            has_defaults = plan is not None and plan.has_defaults
            return _Kind(
                validator, plan, has_defaults, crd=True, drops_status=crd.status_subresource, schema=schema
            )
        builtin = self._kube.schema_for(api_version, kind)
        if builtin is None:
            return None
        validator = jsonschema_rs.Draft202012Validator(builtin)
        return _Kind(validator, build_native_plan(builtin), False, crd=False, schema=builtin)

    def check(self, doc: Document) -> list[Finding]:
        """All findings for one document, best match first."""
        compiled = self.compiled(doc.api_version, doc.kind)
        if compiled is None:
            return [self._unknown_kind(doc)]
        body: Any = doc.body
        issues: list[tuple[Path, str, str, Severity]] = []
        if compiled.drops_status and "status" in body:
            body = {k: v for k, v in body.items() if k != "status"}
        if compiled.has_defaults and compiled.plan is not None:
            body = apply_defaults(compiled.plan, body)
        try:
            valid = compiled.validator.is_valid(body)  # the common case, cheaper than iter_errors
        except ValueError:  # a value JSON lacks (date, non-string key): as the server reads it
            body = normalize(body)
            valid = compiled.validator.is_valid(body)
        errors = [] if valid else list(compiled.validator.iter_errors(body))
        if errors and compiled.crd:
            nulls = [
                tuple(e.instance_path) for e in errors if e.instance is None and _in_object(e.instance_path)
            ]
            if nulls:
                # The server prunes nulls of non-nullable fields (apiextensions defaulting/prunenulls.go).
                body = _prune(body, nulls)
                errors = list(compiled.validator.iter_errors(body))
        rules: set[str] = set()
        alternatives: dict[tuple[Path, str], list[tuple[Path, str]]] = {}
        unknown_field: Severity = "error" if self.options.strict else "warning"
        for e in errors:
            for path, rule, message in _keyword_message(e, tuple(e.instance_path), compiled.schema):
                rules.add(rule)
                # CRDs cannot combine additionalProperties with properties: every such error is ours
                severity = unknown_field if rule == "additionalProperties" else "error"
                issues.append((path, rule, message, severity))
                if rule in ("anyOf", "oneOf") and "more than one" not in message:
                    alternatives[(path, rule)] = _alternatives(e)
        for path, rule, message in check_metadata(body, kind=doc.kind):
            issues.append((path, rule, message, "error"))
        if not errors:
            # the server's Go validation runs on a decoded object: schema errors come first
            group = doc.api_version.rpartition("/")[0] if compiled.crd else None
            native = check_native(body, doc.kind, group=group)
            issues.extend((p, rule, message, "error") for p, rule, message in native)
        if compiled.plan is not None:
            blocked = bool(rules & _BLOCKING)
            if blocked and compiled.plan.has_rules:
                issues.append(
                    (
                        (),
                        "cel-skipped",
                        "some validation rules were not checked because the object was invalid; "
                        "correct the existing errors to complete validation",
                        "warning",
                    )
                )
            issues.extend(self._plan_issues(compiled.plan, body, cel=not blocked))
        found = (self._finding(doc, *i) for i in issues)
        return best_first(_with_context(f, alternatives) for f in found)

    def _plan_issues(self, plan: Node, body: Any, *, cel: bool) -> Iterator[tuple[Path, str, str, Severity]]:
        unevaluated: Severity = "error" if self.options.strict else "warning"
        for issue in iter_checks(plan, body, cel=cel):
            yield issue.path, issue.rule, issue.message, unevaluated if issue.unevaluated else "error"

    def _unknown_kind(self, doc: Document) -> Finding:
        if not self.options.crd_dirs:
            where = "no CRD directory was given (--crd-dir or $GITOPS_GEN_CRDS)"
        elif self._crds.knows_group(doc.api_version):
            where = "no CRD in --crd-dir defines this kind and version"
        else:
            where = "no CRD in --crd-dir serves this API group"
        return self._finding(
            doc,
            (),
            "unknown-kind",
            f"no schema for {doc.api_version} {doc.kind}: not a built-in kind of Kubernetes "
            f"{self.version} and {where}",
            "error" if self.options.strict else "warning",
        )

    @staticmethod
    def _finding(doc: Document, path: Path, rule: str, message: str, severity: Severity) -> Finding:
        at = locate(doc, path) if path else doc.start
        return finding_on(doc, path, rule, message, file=doc.file, at=at, severity=severity)


MAX_ALTERNATIVES = 8


def _alternatives(error: Any) -> list[tuple[Path, str]]:
    """Why each ``anyOf``/``oneOf`` branch failed: ``(path, "option N: message")``, a few at most."""
    out: list[tuple[Path, str]] = []
    try:
        branches = error.kind.as_dict().get("context") or []
    except (AttributeError, TypeError):
        return out
    for i, branch in enumerate(branches, 1):
        for sub in branch:
            out.append((tuple(sub.instance_path), f"option {i}: {sub.message}"))
    return out[:MAX_ALTERNATIVES]


def _with_context(f: Finding, alternatives: Mapping[tuple[Path, str], list[tuple[Path, str]]]) -> Finding:
    """``f`` with one child finding per failed alternative (shown indented under it)."""
    children = alternatives.get((f.yaml_path, f.rule))
    if not children:
        return f
    context = tuple(
        dataclasses.replace(f, yaml_path=path, rule=f.rule, message=message, context=())
        for path, message in children
    )
    return dataclasses.replace(f, context=context)


def _in_object(path: Sequence[str | int]) -> bool:
    return bool(path) and isinstance(path[-1], str)
