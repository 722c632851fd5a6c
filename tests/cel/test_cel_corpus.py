"""Every CEL expression we must evaluate compiles (or names a known gap); the gaps file stays honest."""

from __future__ import annotations

from pathlib import Path

import pytest
from cel_corpus import conformance_expressions, crd_rules, known_differences, known_gaps

from generator.cel import CelError, CelUnsupportedError, compile_expression, evaluate

pytestmark = pytest.mark.needs_shared


def test_every_non_transition_crd_rule_compiles(crd_dir: Path) -> None:
    rules = [(where, rule) for where, rule in crd_rules(crd_dir) if "oldSelf" not in rule["rule"]]
    in_storage_versions = [where for where, _ in rules if where.split(":")[1].split("/")[0].endswith("*")]
    # ../shared/README.md: 146 non-transition rules (storage versions); fewer means a broken walk.
    assert len(in_storage_versions) >= 146
    failures = []
    for where, rule in rules:
        for source in filter(None, (rule["rule"], rule.get("messageExpression"))):
            try:
                compile_expression(source)
            except CelError as e:
                failures.append(f"{where}: {e}")
    assert failures == []


def test_every_conformance_expression_compiles_or_is_a_known_gap(conformance_dir: Path) -> None:
    expressions = conformance_expressions(conformance_dir)
    assert len(expressions) > 50
    gaps = {gap["feature"] for gap in known_gaps()}
    failures = []
    for source, where in expressions.items():
        try:
            compile_expression(source)
        except CelUnsupportedError as e:
            if e.feature not in gaps:
                failures.append(f"{where}: {e}")
        except CelError as e:
            failures.append(f"{where}: {e}")
    assert failures == []


@pytest.mark.parametrize("gap", known_gaps(), ids=lambda gap: gap["feature"])
def test_known_gap_is_still_a_gap(gap: dict[str, str]) -> None:
    """A gap whose example starts working must leave KNOWN_GAPS.yaml (the list only shrinks)."""
    assert gap["reason"].strip()
    with pytest.raises(CelUnsupportedError) as info:
        compile_expression(gap["example"])
    assert info.value.feature == gap["feature"]


@pytest.mark.parametrize("difference", known_differences(), ids=lambda d: d["expression"])
def test_known_difference_is_still_different(difference: dict[str, object]) -> None:
    """A difference that gets fixed must leave KNOWN_GAPS.yaml."""
    assert str(difference["reason"]).strip()
    assert difference["ours"] != difference["kubernetes"]
    if difference["ours"] == "error":
        with pytest.raises(CelError):
            evaluate(str(difference["expression"]), {})
    else:
        assert evaluate(str(difference["expression"]), {}) == difference["ours"]


def test_known_gaps_are_unique() -> None:
    features = [gap["feature"] for gap in known_gaps()]
    assert len(features) == len(set(features))


# Real CRD rules evaluated on values, to show they run (not only parse). The schema validator
# tests them in place; these pin the library behaviour they rely on.


def rule_text(crd_dir: Path, file: str, needle: str) -> str:
    matches = {
        rule["rule"]
        for where, rule in crd_rules(crd_dir)
        if where.startswith(file) and needle in rule["rule"]
    }
    assert len(matches) == 1, matches
    return matches.pop()


def test_karpenter_alias_family_rule(crd_dir: Path) -> None:
    rule = rule_text(crd_dir, "karpenter.k8s.aws/", "self.split('@')[0] in ['windows2019'")
    assert evaluate(rule, {"self": "windows2022@latest"}) is True
    assert evaluate(rule, {"self": "windows2022@v20240101"}) is False
    assert evaluate(rule, {"self": "al2023@v20240101"}) is True


def test_karpenter_restricted_label_domain_rule(crd_dir: Path) -> None:
    rule = rule_text(crd_dir, "karpenter.sh/", 'self in ["karpenter.sh/capacity-type"')
    assert evaluate(rule, {"self": "karpenter.sh/capacity-type"}) is True
    assert evaluate(rule, {"self": "karpenter.sh/unknown"}) is False
    assert evaluate(rule, {"self": "example.com/team"}) is True


def test_istio_duration_rule(crd_dir: Path) -> None:
    rule = rule_text(crd_dir, "networking.istio.io/DestinationRule", "duration(self)")
    assert evaluate(rule, {"self": "720h"}) is True
    assert evaluate(rule, {"self": "0s"}) is False
