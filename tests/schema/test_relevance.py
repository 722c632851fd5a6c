"""Best match first: a documented heuristic whose result does not depend on input order."""

from __future__ import annotations

import random

from generator.findings import Finding
from generator.schema.relevance import best_first


def finding(path, rule, message="m", severity="error"):
    return Finding(
        file="f", line=1, column=None, yaml_path=path, rule=rule, message=message, severity=severity
    )


FINDINGS = [
    finding(("spec", "template", "spec", "containers", 0, "name"), "required"),
    finding(("spec", "contianers"), "additionalProperties"),
    finding(("spec", "containers"), "required"),
    finding((), "cel-skipped", severity="warning"),
    finding(("spec",), "cel: self.a"),
    finding(("spec", "port"), "anyOf"),
    finding(("spec", "port"), "type"),
    finding(("metadata", "name"), "metadata.name"),
]


def test_order_does_not_depend_on_input_order():
    expected = best_first(FINDINGS)
    rng = random.Random(7)
    for _ in range(20):
        shuffled = FINDINGS[:]
        rng.shuffle(shuffled)
        assert best_first(shuffled) == expected
    assert best_first(reversed(FINDINGS)) == expected


def test_misspelt_field_unknown_before_its_missing_required():
    ordered = best_first(FINDINGS)
    rules = [f.rule for f in ordered]
    assert rules.index("additionalProperties") < rules.index("required")


def test_type_before_weak_any_of_at_the_same_place():
    ordered = [f.rule for f in best_first(FINDINGS) if f.yaml_path == ("spec", "port")]
    assert ordered == ["type", "anyOf"]


def test_warnings_last_and_shallow_first():
    ordered = best_first(FINDINGS)
    assert ordered[-1].severity == "warning"
    assert ordered[0].yaml_path == ("spec",)


def test_engine_output_is_best_first(check_builtin):
    text = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n"
        "  selector: {matchLabels: {app: web}}\n"
        "  template: {spec: {contianers: [{name: web, image: nginx}]}}\n"
    )
    found = check_builtin(text, strict=True)
    assert [(f.json_path, f.rule) for f in found] == [
        ("$.spec.template.spec.contianers", "additionalProperties"),
        ("$.spec.template.spec.containers", "required"),
    ]
