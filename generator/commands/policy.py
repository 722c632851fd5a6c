"""``gitops-gen policy apply|test``: the offline Kyverno engine on the command line.

``apply`` evaluates policies on resources like ``kyverno apply`` (exit 1 when an Enforce rule
fails; Audit failures are printed as warnings). ``test`` runs every ``kyverno-test.yaml`` under a
folder like ``kyverno test`` (exit 1 when an expectation fails). Malformed inputs exit 2 through
``generator.cli``. This module only parses and delegates to ``generator.policy``.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from generator.commands.helptext import epilog
from generator.documents import Document, iter_manifest_files, load_file
from generator.dump import dump
from generator.errors import PolicyLoadError, UsageError
from generator.exitcode import ExitCode
from generator.findings import Finding, exit_code
from generator.gate.report import get_formatter
from generator.gate.report.junit import Case, junit_xml
from generator.policy import Admission, TestRow, evaluate, result_to_finding, run_tests
from generator.policy.findings import count_statuses
from generator.policy.kyverno_test import CLUSTER_SCOPED
from generator.policy.load import load_policy_documents, policies_from_documents
from generator.policy.match import UserInfo
from generator.policy.model import RuleResult
from generator.policy.mutate import mutate_all
from generator.policy.values import Values, load_user_info, load_values
from generator.policy.vpol import CelAdmission, cel_policies_from_documents, evaluate_cel_policy

__all__ = ["HELP", "NAME", "add_arguments", "run"]

NAME = "policy"
HELP = "Evaluate Kyverno policies offline: apply them to resources, or run kyverno-test.yaml files."
EXAMPLES = """
gitops-gen policy apply --policy policies/ --resource rendered/prod/
gitops-gen policy test policies/
"""
EXIT_1 = "an Enforce rule failed (apply) or an expectation failed (test)"
APPLY_HELP = "Apply Kyverno policies to resources offline, like `kyverno apply`; Audit failures are warnings."
APPLY_EXAMPLES = """
gitops-gen policy apply --policy policies/ --resource rendered/prod/
gitops-gen policy apply --policy p.yaml --resource pod.yaml --values values.yaml --output sarif
"""
TEST_HELP = "Run every kyverno-test.yaml under DIR, like `kyverno test` (one row per result and resource)."
TEST_EXAMPLES = """
gitops-gen policy test policies/
gitops-gen policy test ../shared/kyverno-conformance/cases --output junit > policy-tests.xml
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="policy_command", required=True)
    apply = sub.add_parser(
        "apply",
        help="apply policies to resources (like `kyverno apply`)",
        description=APPLY_HELP,
        epilog=epilog(APPLY_EXAMPLES, "an Enforce rule failed"),
        formatter_class=parser.formatter_class,
    )
    apply.add_argument(
        "--policy", nargs="+", action="extend", required=True, metavar="PATH", help="policy files or folders"
    )
    apply.add_argument(
        "--resource",
        nargs="+",
        action="extend",
        required=True,
        metavar="PATH",
        help="resource files or folders",
    )
    apply.add_argument(
        "--values", metavar="FILE", help="a Kyverno CLI Values file (variables instead of a cluster)"
    )
    apply.add_argument("--userinfo", metavar="FILE", help="a Kyverno CLI UserInfo file (the admission user)")
    apply.add_argument("--output", choices=("text", "json", "junit", "sarif"), default="text")
    apply.add_argument(
        "--mutated",
        metavar="FILE",
        help="write the resources after the policies' mutate rules to FILE as YAML"
        " ('-': stdout, after the report)",
    )
    test = sub.add_parser(
        "test",
        help="run every kyverno-test.yaml under DIR (like `kyverno test`)",
        description=TEST_HELP,
        epilog=epilog(TEST_EXAMPLES, "an expectation failed"),
        formatter_class=parser.formatter_class,
    )
    test.add_argument("dir", metavar="DIR", type=Path)
    test.add_argument("--output", choices=("text", "json", "junit"), default="text")


def run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    if args.policy_command == "apply":
        return _apply(args, stdout)
    return _test(args, stdout)


def _apply(args: argparse.Namespace, stdout: TextIO) -> int:
    policy_docs = load_policy_documents(args.policy)
    policies = policies_from_documents(policy_docs)
    cel_policies = cel_policies_from_documents(policy_docs)
    if not policies and not cel_policies:
        raise UsageError(
            "no ClusterPolicy, Policy, ValidatingPolicy or ValidatingAdmissionPolicy found in "
            + ", ".join(args.policy)
        )
    values = load_values(Path(args.values)) if args.values else Values()
    user = load_user_info(Path(args.userinfo)) if args.userinfo else UserInfo()
    operation = str(values.global_values.get("request.operation") or "CREATE")
    admission = Admission(operation=operation, user=user, values=values)
    cel_admission = CelAdmission(operation, user, values.namespaces, params=values.params)
    # One file at a time: a resource is mutated, then validated (``evaluate`` pulls it lazily, so
    # its results arrive while it is the current one), then CEL-checked, and only findings stay.
    # Findings keep the order of a whole-set run: mutations, validations, CEL, each by resource.
    counts = count_statuses(())
    found: dict[str, list[Finding]] = {"mutate": [], "validate": [], "cel": []}
    mutated: list[str] = []
    current: list[Document] = []
    seen = 0

    def keep(kind: str, results: Iterable[RuleResult], doc: Document) -> None:
        for r in results:
            counts[r.status] += 1
            if r.status in ("fail", "warn", "error"):
                found[kind].append(result_to_finding(r, doc))

    def resources() -> Iterator[Mapping[str, Any]]:
        nonlocal seen
        for file in iter_manifest_files(args.resource):
            for doc in load_file(file):
                body, mutations = mutate_all(policies, doc.body, admission)
                keep("mutate", mutations, doc)
                for cel_policy in cel_policies:
                    namespaced = doc.kind not in CLUSTER_SCOPED
                    cel = evaluate_cel_policy(cel_policy, body, cel_admission, namespaced=namespaced)
                    keep("cel", cel, doc)
                if args.mutated:
                    mutated.append("---\n" + dump(body))
                current[:] = [doc]
                seen += 1
                yield body

    for result in evaluate(policies, resources(), admission):
        keep("validate", [result], current[0])
    findings = [*found["mutate"], *found["validate"], *found["cel"]]
    findings += [
        Finding(p.file, p.line, None, (), f"{p.name}/{rule}", reason, kind=p.kind, name=p.name)
        for p in policies
        for rule, reason in p.unsupported_rules
    ]
    counts["error"] += sum(len(p.unsupported_rules) for p in policies)
    summary: dict[str, Any] = {
        "policies": len(policies) + len(cel_policies),
        "resources": seen,
        **counts,
    }
    stdout.write(get_formatter(args.output)(findings, summary, tool="gitops-gen policy apply"))
    if args.mutated:
        text = "".join(mutated)
        if args.mutated == "-":
            stdout.write(text)
        else:
            Path(args.mutated).write_text(text, encoding="utf-8")
    return exit_code(findings)


def _rows_text(rows: Sequence[TestRow]) -> str:
    lines = []
    for r in rows:
        mark = "ok  " if r.passed else "FAIL"
        where = f"{r.test_file}[{r.index}] {r.policy}/{r.rule} {r.resource}"
        lines.append(f"{mark} {where}: expected {r.expected}, got {r.actual}")
        if not r.passed and r.message:
            lines.append(f"       {r.message}")
    failed = sum(not r.passed for r in rows)
    lines.append(f"gitops-gen policy test: {len(rows)} results, {len(rows) - failed} passed, {failed} failed")
    return "\n".join(lines) + "\n"


def _rows_json(rows: Sequence[TestRow]) -> str:
    return json.dumps({"results": [r.as_json() for r in rows]}, indent=2) + "\n"


def _rows_junit(rows: Sequence[TestRow]) -> str:
    cases = [
        Case(
            classname=f"{r.test_file}[{r.index}]",
            name=f"{r.policy}/{r.rule} {r.resource}",
            failure=None if r.passed else f"expected {r.expected}, got {r.actual}: {r.message}",
        )
        for r in rows
    ]
    return junit_xml("gitops-gen policy test", cases)


_TEST_FORMATS = {"text": _rows_text, "json": _rows_json, "junit": _rows_junit}


def _test(args: argparse.Namespace, stdout: TextIO) -> int:
    root: Path = args.dir
    if not root.exists():
        raise PolicyLoadError(
            f"{root} does not exist", path=str(root), hint="give a folder holding kyverno-test.yaml files"
        )
    rows = run_tests(root)
    stdout.write(_TEST_FORMATS[args.output](rows))
    return ExitCode.failed_if(not all(r.passed for r in rows))
