"""Policy documents → ``CelPolicy`` records: ``ValidatingPolicy`` and ``ValidatingAdmissionPolicy``.

Accepts ``policies.kyverno.io`` ``ValidatingPolicy``/``NamespacedValidatingPolicy`` (v1alpha1,
v1beta1, v1) and ``admissionregistration.k8s.io`` ``ValidatingAdmissionPolicy`` with the
``ValidatingAdmissionPolicyBinding``s found beside it. CEL that does not compile is rejected here
(``PolicyLoadError`` with file:line), as the API server rejects such a policy on create. Adds the
Pod-controller autogen copies. Documents of other kinds are ignored.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from generator.documents import Document, locate
from generator.errors import PolicyLoadError
from generator.policy.cel_rules import check_cel_rule
from generator.policy.load import load_policy_documents
from generator.policy.vpol.autogen import autogen_variants
from generator.policy.vpol.model import VALIDATING_ADMISSION_POLICY, CelPolicy

__all__ = ["CEL_POLICY_KINDS", "cel_policies_from_documents", "is_cel_policy", "load_cel_policies"]

_VPOL_GROUP = "policies.kyverno.io/"
_VAP_GROUP = "admissionregistration.k8s.io/"
CEL_POLICY_KINDS = frozenset({"ValidatingPolicy", "NamespacedValidatingPolicy", VALIDATING_ADMISSION_POLICY})
_BINDING = "ValidatingAdmissionPolicyBinding"
#: ``check_cel_rule`` paths → where they are in a CEL policy's spec.
_SPEC_PATHS = {
    ("celPreconditions",): ("spec", "matchConditions"),
    ("validate", "cel", "expressions"): ("spec", "validations"),
    ("validate", "cel", "variables"): ("spec", "variables"),
}


def is_cel_policy(doc: Document) -> bool:
    """A ValidatingPolicy of policies.kyverno.io or a VAP of admissionregistration.k8s.io."""
    if doc.kind == VALIDATING_ADMISSION_POLICY:
        return doc.api_version.startswith(_VAP_GROUP)
    return doc.kind in CEL_POLICY_KINDS and doc.api_version.startswith(_VPOL_GROUP)


def _error(doc: Document, path: tuple[str | int, ...], message: str) -> PolicyLoadError:
    at = locate(doc, path)
    return PolicyLoadError(message, path=doc.file, line=at.line, column=at.column, yaml_path=path)


def _entries(spec: Mapping[str, Any], key: str, doc: Document, name: str) -> tuple[Mapping[str, Any], ...]:
    value = spec.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise _error(doc, ("spec", key), f"{doc.kind} {name}: `spec.{key}` must be a list of mappings")
    return tuple(value)


def _check_cel(spec: Mapping[str, Any], doc: Document, name: str) -> None:
    rule = {
        "celPreconditions": spec.get("matchConditions"),
        "validate": {"cel": {"expressions": spec.get("validations"), "variables": spec.get("variables")}},
    }
    for path, message in check_cel_rule(rule):
        for prefix, target in _SPEC_PATHS.items():
            if path[: len(prefix)] == prefix:
                where = (*target, *path[len(prefix) :])
                raise _error(doc, where, f"{doc.kind} {name}: {'.'.join(map(str, where))} {message}")


def _policy(doc: Document, spec: Mapping[str, Any], bindings: tuple[Mapping[str, Any], ...]) -> CelPolicy:
    meta = doc.body.get("metadata") or {}
    name = str(meta.get("name", ""))
    annotations = meta.get("annotations") if isinstance(meta.get("annotations"), Mapping) else {}
    constraints = spec.get("matchConstraints")
    if constraints is not None and not isinstance(constraints, Mapping):
        raise _error(
            doc, ("spec", "matchConstraints"), f"{doc.kind} {name}: `matchConstraints` must be a mapping"
        )
    return CelPolicy(
        name=name,
        kind=doc.kind,
        match_constraints=constraints or {},
        match_conditions=_entries(spec, "matchConditions", doc, name),
        variables=_entries(spec, "variables", doc, name),
        validations=_entries(spec, "validations", doc, name),
        validation_actions=tuple(str(a) for a in spec.get("validationActions") or ()),
        bindings=bindings,
        param_kind=spec.get("paramKind") if isinstance(spec.get("paramKind"), Mapping) else None,
        namespace=str(meta.get("namespace", "") or ""),
        annotations={str(k): str(v) for k, v in (annotations or {}).items()},
        file=doc.file,
        line=doc.line,
    )


def _from_document(doc: Document, bindings: tuple[Mapping[str, Any], ...]) -> CelPolicy:
    meta = doc.body.get("metadata")
    if not isinstance(meta, Mapping) or not meta.get("name"):
        raise _error(doc, ("metadata",), f"{doc.kind} without metadata.name")
    spec = doc.body.get("spec")
    if not isinstance(spec, Mapping):
        raise _error(doc, ("spec",), f"{doc.kind} {meta['name']}: `spec` is missing or not a mapping")
    _check_cel(spec, doc, str(meta["name"]))
    policy = _policy(doc, spec, bindings)
    if doc.kind == VALIDATING_ADMISSION_POLICY:
        return policy
    variants = tuple(_policy(doc, variant, ()) for variant in autogen_variants(spec))
    return replace(policy, autogen=variants)


def cel_policies_from_documents(docs: Iterable[Document]) -> list[CelPolicy]:
    """Every CEL policy among ``docs``, VAPs with their bindings.

    Raises:
        PolicyLoadError: a policy is malformed or holds CEL that does not compile.
    """
    docs = list(docs)
    bindings: dict[str, list[Mapping[str, Any]]] = {}
    for doc in docs:
        if doc.kind == _BINDING and doc.api_version.startswith(_VAP_GROUP):
            spec = doc.body.get("spec")
            if isinstance(spec, Mapping) and spec.get("policyName"):
                bindings.setdefault(str(spec["policyName"]), []).append(spec)
    out = []
    for doc in docs:
        if is_cel_policy(doc):
            name = str((doc.body.get("metadata") or {}).get("name", ""))
            out.append(_from_document(doc, tuple(bindings.get(name, ()))))
    return out


def load_cel_policies(paths: Iterable[str | os.PathLike[str]]) -> list[CelPolicy]:
    """Load every ValidatingPolicy/ValidatingAdmissionPolicy (and binding) from files or folders.

    Raises:
        PolicyLoadError: a file is unreadable, not YAML, or holds a malformed policy.
    """
    return cel_policies_from_documents(load_policy_documents(paths))
