"""``gitops-gen policy test policies/``: every expectation of every policy's kyverno-test holds."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from generator.cli import COMMAND_MODULES

ROOT = Path(__file__).resolve().parents[2]


def test_every_expectation_of_the_policy_suite_holds() -> None:
    from generator.policy.kyverno_test import run_tests

    rows = run_tests(ROOT / "policies")
    failed = [
        f"{r.test_file}: {r.rule} {r.resource}: expected {r.expected}, got {r.actual}: {r.message}"
        for r in rows
        if not r.passed
    ]
    assert not failed, "\n".join(failed)
    assert {r.actual for r in rows} >= {"pass", "fail"}
    tested = {r.test_file.split("/")[0] for r in rows}
    assert tested == {p.parent.name for p in (ROOT / "policies").glob("*/policy.yaml")}


def test_a_wrong_expectation_is_caught(tmp_path: Path) -> None:
    from generator.policy.kyverno_test import run_tests

    src = ROOT / "policies" / "karpenter-guardrails"
    for name in ("policy.yaml", "resources.yaml"):
        (tmp_path / name).write_text((src / name).read_text(encoding="utf-8"), encoding="utf-8")
    test = (src / "kyverno-test.yaml").read_text(encoding="utf-8")
    (tmp_path / "kyverno-test.yaml").write_text(
        test.replace(
            "resources: [nodepool-no-limits, nodepool-no-memory-limit]\n    result: fail",
            "resources: [nodepool-no-limits]\n    result: pass",
        ),
        encoding="utf-8",
    )
    rows = run_tests(tmp_path)
    assert [(r.resource, r.actual) for r in rows if not r.passed] == [("nodepool-no-limits", "fail")]


@pytest.mark.skipif(
    "generator.commands.policy" not in COMMAND_MODULES
    or importlib.util.find_spec("generator.commands.policy") is None,
    reason="the `policy` command has not landed on this branch yet",
)
def test_policy_test_command_passes_on_the_suite(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("policy", "test", str(ROOT / "policies"))
    assert result.code == 0, result.out + result.err
