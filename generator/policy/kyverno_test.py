"""``kyverno test`` semantics: run every ``kyverno-test.yaml`` and compare with its ``results:``.

Reproduces the quirks of upstream's ``cmd/cli/kubectl-kyverno/commands/test``: resources are
selected by name only (``"ns/name"`` also pins the namespace; ``kind`` is informational), namespaced
objects without a namespace get ``default``, duplicate resources are dropped, the rule ``R`` also
matches ``autogen-R`` and ``autogen-cronjob-R``, a rule that produced no response counts as passed,
several Test documents may share a file, and deprecated spellings (top-level ``name``, result
``resource``/``namespace``/``status``) are accepted. ValidatingPolicy/ValidatingAdmissionPolicy
entries (``generator.policy.vpol``) ignore ``rule`` and check every response of the policy; a
resource a single-resourceRule ValidatingPolicy does not match is "not found" (a failed row).
Yields one ``TestRow`` per (results entry, resource reference); a row passed when
``actual == expected``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from generator import yamlread
from generator.documents import Document, load_file, locate
from generator.errors import ManifestLoadError, PolicyLoadError
from generator.policy.engine import Admission, evaluate_policy
from generator.policy.load import policies_from_documents
from generator.policy.match import UserInfo
from generator.policy.model import Policy, RuleResult
from generator.policy.mutate import mutate_resource
from generator.policy.mutate.compare import describe_difference, find_expected, same_resource
from generator.policy.values import Values, load_user_info, load_values, values_from
from generator.policy.vpol import CelAdmission, CelPolicy, cel_policies_from_documents, evaluate_cel_policy

__all__ = ["TestRow", "find_test_files", "run_test_file", "run_tests"]

TEST_FILE = "kyverno-test.yaml"
_STATUSES = frozenset({"pass", "fail", "skip", "warn", "error"})
CEL_EXCEPTION_GROUP = "policies.kyverno.io/"
"""PolicyExceptions of this group apply to the CEL policy kinds; kyverno.io ones to ClusterPolicy/Policy."""
PATCH_MISMATCH = "patched resource differs"
"""A row's ``actual`` when the mutated resource is not the ``patchedResources`` one."""
NOT_FOUND = "not found"
"""A row's ``actual`` when the policy gave the resource no response that ``kyverno test`` keeps."""
#: Built-in cluster-scoped kinds: these get no ``default`` namespace.
CLUSTER_SCOPED = frozenset(
    {
        "Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding", "StorageClass",
        "CustomResourceDefinition", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration",
        "PriorityClass", "APIService", "CSIDriver", "CSINode", "RuntimeClass", "IngressClass",
        "VolumeAttachment", "PodSecurityPolicy", "CertificateSigningRequest", "ComponentStatus",
        "ClusterPolicy", "ClusterPolicyReport", "ClusterIssuer", "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding", "MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding",
        "FlowSchema", "PriorityLevelConfiguration", "ClusterCleanupPolicy", "ClusterEphemeralReport",
        "TokenReview", "SelfSubjectAccessReview", "SubjectAccessReview", "SelfSubjectRulesReview",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class TestRow:
    """One checked expectation; the JSON output's row."""

    __test__ = False  # not a pytest test class, despite the name

    test_file: str
    index: int
    policy: str
    rule: str
    resource: str
    expected: str
    actual: str
    message: str

    @property
    def passed(self) -> bool:
        return self.expected == self.actual

    def as_json(self) -> dict[str, Any]:
        return {
            "test_file": self.test_file,
            "index": self.index,
            "policy": self.policy,
            "rule": self.rule,
            "resource": self.resource,
            "expected": self.expected,
            "actual": self.actual,
            "message": self.message,
        }


def find_test_files(root: Path) -> list[Path]:
    """Every ``kyverno-test.yaml`` under ``root`` (dot folders included), sorted; or ``root`` itself."""
    if root.is_file():
        return [root]
    found = []
    for dirpath, _dirs, files in os.walk(root):
        if TEST_FILE in files:
            found.append(Path(dirpath) / TEST_FILE)
    return sorted(found)


def _test_documents(path: Path) -> list[Document]:
    """The ``Test`` documents of a file, each with its text and first line (for error locations)."""
    text = yamlread.read_text(path, str(path), PolicyLoadError)
    tests = []
    for index, line, chunk, body in yamlread.load_documents(
        text, file=str(path), error=PolicyLoadError, checked=True
    ):
        if not isinstance(body, Mapping):
            raise PolicyLoadError("a Test document must be a mapping", path=str(path), line=line)
        if body.get("kind", "Test") == "Test":
            tests.append(Document(str(path), index, line, body, chunk))
    if not tests:
        # An empty (or Test-less) kyverno-test.yaml would pass while testing nothing.
        raise PolicyLoadError(
            "no Test document: this file tests nothing",
            path=str(path),
            line=1,
            hint="a kyverno-test.yaml holds a `kind: Test` with policies, resources and results",
        )
    return tests


def _located(error: PolicyLoadError, doc: Document) -> PolicyLoadError:
    """``error`` with the line of its YAML path inside the Test document, when it lacks one."""
    if error.line is not None or error.path != doc.file:
        return error
    at = locate(doc, error.yaml_path)
    return PolicyLoadError(
        error.message,
        path=error.path,
        line=at.line,
        column=at.column,
        yaml_path=error.yaml_path,
        hint=error.hint,
    )


def _files(base: Path, entries: Any, what: str, test: Path) -> list[Path]:
    if entries is None:
        return []
    if isinstance(entries, str):
        entries = [entries]
    if not isinstance(entries, list):
        raise PolicyLoadError(f"`{what}` must be a list of paths", path=str(test), yaml_path=(what,))
    out = []
    for entry in entries:
        target = base / str(entry)
        if not target.exists():
            raise PolicyLoadError(
                f"{what} file {entry!r} not found (looked in {target})",
                path=str(test),
                yaml_path=(what,),
                hint="paths are relative to the Test file's folder",
            )
        if target.is_dir():
            out.extend(sorted(p for p in target.rglob("*") if p.suffix in (".yaml", ".yml", ".json")))
        else:
            out.append(target)
    return out


def _load_docs(paths: list[Path]) -> list[Document]:
    docs: list[Document] = []
    for p in paths:
        try:
            docs.extend(load_file(p))
        except ManifestLoadError as e:
            raise PolicyLoadError(e.message, path=e.path, line=e.line, hint=e.hint) from e
    return docs


def _with_namespace(body: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = body.get("metadata")
    if body.get("kind") in CLUSTER_SCOPED or not isinstance(meta, Mapping) or meta.get("namespace"):
        return body
    out = dict(body)
    out["metadata"] = dict(meta) | {"namespace": "default"}
    return out


def _resources(docs: list[Document]) -> list[Mapping[str, Any]]:
    seen: set[tuple[str, str, str, str]] = set()
    out = []
    for doc in docs:
        body = _with_namespace(doc.body)
        meta = body.get("metadata") or {}
        key = (
            str(body.get("apiVersion")),
            str(body.get("kind")),
            str(meta.get("namespace", "")),
            str(meta.get("name", "")),
        )
        if key in seen:
            continue
        seen.add(key)
        out.append(body)
    return out


def _select(resources: list[Mapping[str, Any]], ref: str, namespace: str | None) -> list[Mapping[str, Any]]:
    ns: str | None = namespace or None
    name = ref
    if "/" in ref:
        ns, _, name = ref.partition("/")
    out = []
    for body in resources:
        meta = body.get("metadata") or {}
        if str(meta.get("name", "")) != name:
            continue
        if ns is not None and str(meta.get("namespace", "") or "") != ns:
            continue
        out.append(body)
    return out


def _entry_fields(
    entry: Any, test: Path, index: int
) -> tuple[str, str, str, list[str] | None, str | None, str]:
    where = ("results", index)
    if not isinstance(entry, Mapping):
        raise PolicyLoadError("a results entry must be a mapping", path=str(test), yaml_path=where)
    policy = str(entry.get("policy", "")).rsplit("/", 1)[-1]
    if not policy:
        raise PolicyLoadError("results entry without `policy`", path=str(test), yaml_path=where)
    rule = str(entry.get("rule", "") or "")
    expected = str(entry.get("result", entry.get("status", "")) or "").lower()
    if expected not in _STATUSES:
        raise PolicyLoadError(
            f"results entry has result {expected!r}", path=str(test), yaml_path=(*where, "result"),
            hint="use one of pass, fail, skip, warn, error",
        )  # fmt: skip
    refs: list[str] | None
    if entry.get("resources") is not None:
        refs = [str(r) for r in entry["resources"]]
    elif entry.get("resource") is not None:
        refs = [str(entry["resource"])]
    else:
        refs = None
    namespace = entry.get("namespace")
    operation = str(entry.get("operation") or "")
    return policy, rule, expected, refs, (str(namespace) if namespace else None), operation


class _Evaluator:
    """Caches rule responses per (policy, resource, operation) for one Test."""

    def __init__(self, policies: list[Policy], admission: Admission, cel_policies: list[CelPolicy]) -> None:
        self.ordered = policies
        self.policies = {p.name: p for p in policies}
        self.cel_policies = {p.name: p for p in cel_policies}
        self.admission = admission
        self.cache: dict[tuple[str, int, str], dict[str, tuple[str, str]]] = {}
        self.chains: dict[tuple[int, str], dict[str, tuple[Mapping[str, Any], list[RuleResult]]]] = {}

    def _kyverno_exceptions(self) -> tuple[Mapping[str, Any], ...]:
        return tuple(
            e
            for e in self.admission.exceptions
            if not str(e.get("apiVersion", "")).startswith(CEL_EXCEPTION_GROUP)
        )

    def mutated(
        self, policy: str, resource: Mapping[str, Any], operation: str
    ) -> tuple[Mapping[str, Any], list[RuleResult]]:
        """The resource after the mutate rules of every policy up to ``policy``, and its responses.

        Policies apply in ``policies:`` order (upstream ``processor/policy_processor.go``).
        """
        key = (id(resource), operation)
        chain = self.chains.get(key)
        if chain is None:
            admission = self.admission
            inputs = replace(admission, exceptions=self._kyverno_exceptions(), forced_operation=operation)
            chain = {}
            current = resource
            for pol in self.ordered:
                current, results = mutate_resource(pol, current, inputs)
                chain.setdefault(pol.name, (current, results))
            self.chains[key] = chain
        return chain.get(policy, (resource, []))

    def cel_responses(
        self, policy: CelPolicy, resource: Mapping[str, Any], operation: str
    ) -> list[tuple[str, str]]:
        """The CEL policy's responses (status, message) for the resource: [] when it does not apply."""
        admission = self.admission
        cel = CelAdmission(
            operation=operation
            or str(admission.values.global_values.get("request.operation") or admission.operation),
            user=admission.user,
            namespaces=admission.values.namespaces,
            exceptions=tuple(
                e
                for e in admission.exceptions
                if str(e.get("apiVersion", "")).startswith(CEL_EXCEPTION_GROUP)
            ),
            params=admission.values.params,
        )
        namespaced = resource.get("kind") not in CLUSTER_SCOPED
        return [
            (r.status, r.message) for r in evaluate_cel_policy(policy, resource, cel, namespaced=namespaced)
        ]

    def responses(
        self, policy: str, resource: Mapping[str, Any], operation: str
    ) -> dict[str, tuple[str, str]] | None:
        pol = self.policies.get(policy)
        if pol is None:
            return None
        key = (policy, id(resource), operation)
        if key not in self.cache:
            admission = self.admission
            if operation:
                admission = Admission(
                    operation,
                    admission.user,
                    admission.values,
                    admission.exceptions,
                    forced_operation=operation,
                )
            kyverno_exceptions = self._kyverno_exceptions()
            if kyverno_exceptions != admission.exceptions:
                admission = replace(admission, exceptions=kyverno_exceptions)
            patched, mutations = self.mutated(policy, resource, operation)
            results = [*mutations, *evaluate_policy(pol, patched, admission)]
            answers: dict[str, tuple[str, str]] = {r.rule: (r.status, r.message) for r in results}
            for rule, reason in pol.unsupported_rules:
                answers.setdefault(rule, ("error", reason))
            self.cache[key] = answers
        return self.cache[key]


def _lookup(responses: Mapping[str, tuple[str, str]], rule: str) -> tuple[str, str] | None:
    if rule.startswith("autogen-"):
        return responses.get(rule)
    for name in (rule, f"autogen-{rule}", f"autogen-cronjob-{rule}"):
        if name in responses:
            return responses[name]
    return None


def _run_test(test: Mapping[str, Any], path: Path, rel: str) -> Iterator[TestRow]:
    base = path.parent
    policy_docs = _load_docs(_files(base, test.get("policies"), "policies", path))
    policies = policies_from_documents(policy_docs)
    cel_policies = cel_policies_from_documents(policy_docs)
    resources = _resources(_load_docs(_files(base, test.get("resources"), "resources", path)))
    values = Values()
    variables = test.get("variables")
    if variables:
        values = load_values(_files(base, variables, "variables", path)[0])
    elif isinstance(test.get("values"), Mapping):
        values = values_from(test["values"], str(path))
    user = UserInfo()
    if test.get("userinfo"):
        user = load_user_info(_files(base, test["userinfo"], "userinfo", path)[0])
    exceptions = tuple(
        d.body
        for d in _load_docs(_files(base, test.get("exceptions"), "exceptions", path))
        if d.kind == "PolicyException"
    )
    operation = values.global_values.get("request.operation") or "CREATE"
    evaluator = _Evaluator(policies, Admission(str(operation), user, values, exceptions), cel_policies)
    results = test.get("results") or []
    if not isinstance(results, list):
        raise PolicyLoadError("`results` must be a list", path=str(path), yaml_path=("results",))
    for index, entry in enumerate(results):
        policy, rule, expected, refs, namespace, op = _entry_fields(entry, path, index)
        if refs is None:
            refs = [str((r.get("metadata") or {}).get("name", "")) for r in resources]
        patched = None
        if isinstance(entry, Mapping) and entry.get("patchedResources"):
            files = _files(base, entry["patchedResources"], "patchedResources", path)
            patched = [_with_namespace(d.body) for d in _load_docs(files)]
        for ref in refs:
            yield _check(
                evaluator,
                patched=patched,
                resources=resources,
                rel=rel,
                index=index,
                policy=policy,
                rule=rule,
                expected=expected,
                ref=ref,
                namespace=namespace,
                operation=op,
            )


def _check(
    evaluator: _Evaluator,
    *,
    resources: list[Mapping[str, Any]],
    rel: str,
    index: int,
    policy: str,
    rule: str,
    expected: str,
    ref: str,
    namespace: str | None,
    operation: str,
    patched: list[Mapping[str, Any]] | None = None,
) -> TestRow:
    selected = _select(resources, ref, namespace)
    row = TestRow(rel, index, policy, rule, ref, expected, expected, "")
    if not selected:
        return replace(row, actual="error", message=f"resource {ref!r} not found in the Test's resources")
    cel_policy = evaluator.cel_policies.get(policy)
    if cel_policy is not None:
        return _check_cel(evaluator, cel_policy, row, selected, operation)
    if policy not in evaluator.policies:
        return replace(
            row,
            actual="error",
            message=f"policy {policy!r} not found among the Test's policies (ClusterPolicy, Policy,"
            " ValidatingPolicy, ValidatingAdmissionPolicy; other kinds such as MutatingPolicy are not"
            " supported)",
        )
    messages = []
    for body in selected:
        responses = evaluator.responses(policy, body, operation) or {}
        found = _lookup(responses, rule)
        if found is None:
            messages.append("no response (rule not applicable): counted as passed, as kyverno test does")
            continue
        if patched is not None:
            actual, _ = evaluator.mutated(policy, body, operation)
            wanted = find_expected(actual, patched, CLUSTER_SCOPED)
            if wanted is None:
                messages.append("not in patchedResources: the row is dropped, as kyverno test does")
                continue
            if not same_resource(actual, wanted):
                return replace(row, actual=PATCH_MISMATCH, message=describe_difference(actual, wanted))
        status, message = found
        if status != expected:
            return replace(row, actual=status, message=message)
        messages.append(message)
    return replace(row, message="; ".join(dict.fromkeys(messages)))


def _check_cel(
    evaluator: _Evaluator, policy: CelPolicy, row: TestRow, selected: list[Mapping[str, Any]], operation: str
) -> TestRow:
    """A CEL policy's row: every response counts, whatever ``rule`` says (``isRulelessPolicyKind``)."""
    messages = []
    for body in selected:
        responses = evaluator.cel_responses(policy, body, operation)
        if not responses:
            if policy.keeps_empty_response:
                messages.append("policy does not apply (excluded): counted as passed, as kyverno test does")
                continue
            return replace(
                row,
                actual=NOT_FOUND,
                message=f"policy {policy.name} does not apply to this resource, so kyverno test finds no"
                " result for it and fails the row",
            )
        for status, message in responses:
            if status != row.expected:
                return replace(row, actual=status, message=message)
            messages.append(message)
    return replace(row, message="; ".join(m for m in dict.fromkeys(messages) if m))


def run_test_file(path: Path, root: Path) -> list[TestRow]:
    """Every row of one test file (all of its Test documents)."""
    rel = os.path.relpath(path, root) if root.is_dir() else path.name
    rows: list[TestRow] = []
    for test in _test_documents(path):
        try:
            rows.extend(_run_test(test.body, path, rel))
        except PolicyLoadError as e:
            raise _located(e, test) from e
    return rows


def run_tests(root: Path) -> list[TestRow]:
    """Every row of every ``kyverno-test.yaml`` under ``root``.

    Raises:
        PolicyLoadError: no test file found, or a test/policy file is malformed.
    """
    files = find_test_files(root)
    if not files:
        raise PolicyLoadError(
            f"no {TEST_FILE} found under {root}", path=str(root), hint="give the folder holding the tests"
        )
    rows: list[TestRow] = []
    for path in files:
        rows.extend(run_test_file(path, root))
    return rows
