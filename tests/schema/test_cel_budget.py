"""The CEL cost budget in CRD validation: a rule over budget is an error finding, fast."""

from __future__ import annotations

import time
from pathlib import Path

from generator.documents import load_file
from generator.schema import Engine, Options

ITEMS = list(range(100))


CRD_SCHEMA = """
        type: object
        properties:
          spec:
            type: object
            properties:
              items: {type: array, items: {type: integer}}
            x-kubernetes-validations:
            - rule: "self.items.all(a, self.items.all(b, self.items.all(c, a + b + c >= 0)))"
            - rule: "self.items.all(a, self.items.all(b, a + b >= 0))"
"""


def test_crd_rule_over_budget_is_an_error_finding(tmp_path: Path, make_crd) -> None:
    crds = tmp_path / "crds"
    crds.mkdir()
    (crds / "thing.yaml").write_text(make_crd("Thing", "example.com", CRD_SCHEMA, scope="Cluster"))
    path = tmp_path / "t.yaml"
    path.write_text(
        f"apiVersion: example.com/v1\nkind: Thing\nmetadata: {{name: t}}\nspec: {{items: {ITEMS}}}\n"
    )
    (doc,) = load_file(path)
    started = time.monotonic()
    found = Engine(Options(crd_dirs=(str(crds),))).check(doc)
    assert time.monotonic() - started < 5.0
    assert [(f.severity, "exceeds the budget" in f.message) for f in found] == [("error", True)]
