"""cel_rules agrees with upstream Kyverno on the conformance corpus's validate.cel rows.

Only rows whose resource kind the rule matches directly (no autogen, no match/exclude logic),
so that a disagreement here is a CEL disagreement, not an engine one.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cel_corpus import CLUSTER_SCOPED, cel_rule_rows

from generator.policy.cel_rules import evaluate_validate_cel

pytestmark = pytest.mark.needs_shared


def test_validate_cel_rows_agree_with_kyverno(conformance_dir: Path) -> None:
    rows = list(cel_rule_rows(conformance_dir))
    assert len(rows) > 300, "fewer validate.cel rows than the corpus holds: is the loader broken?"
    disagreements = []
    for case, rule, resource, expected in rows:
        scoped = resource["kind"] not in CLUSTER_SCOPED
        namespace = resource["metadata"].get("namespace", "default") if scoped else ""
        result = evaluate_validate_cel(
            rule["validate"]["cel"],
            obj=resource,
            old_obj=None,
            request={"operation": "CREATE", "namespace": namespace, "name": resource["metadata"]["name"]},
            namespace_object={"metadata": {"name": namespace}} if namespace else None,
            preconditions=rule.get("celPreconditions") or (),
            rule_name=rule["name"],
            rule_message=rule["validate"].get("message", ""),
        )
        if result.status != expected:
            disagreements.append(
                f"{case} {rule['name']} {resource['metadata']['name']}: {expected} != {result}"
            )
    assert disagreements == []
