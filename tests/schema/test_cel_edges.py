"""CEL rules that cannot be evaluated are findings of their own, never passes."""

from __future__ import annotations

import pytest

from generator.documents import load_file
from generator.schema import Engine, Options
from generator.schema.cel_rules import parse_field_path

SCHEMA = """
        type: object
        properties:
          spec:
            type: object
            properties:
              a: {type: integer}
            x-kubernetes-validations:
            # a function generator/cel does not have: cannot be compiled
            - rule: "self.a.noSuchFunction() == 1"
              message: unsupported
            - rule: "self.a"
              message: not a bool
            - rule: "self.a / 0 == 1"
              message: division
"""


@pytest.fixture
def findings(tmp_path, make_crd):
    crds = tmp_path / "crds"
    crds.mkdir()
    (crds / "thing.yaml").write_text(make_crd("Thing", "example.com", SCHEMA, scope="Cluster"))

    def _run(strict: bool):
        path = tmp_path / "t.yaml"
        path.write_text("apiVersion: example.com/v1\nkind: Thing\nmetadata: {name: t}\nspec: {a: 2}\n")
        (doc,) = load_file(path)
        return Engine(Options(crd_dirs=(str(crds),), strict=strict)).check(doc)

    return _run


def test_unevaluable_rules_are_reported_each(findings):
    found = findings(False)
    assert sorted(f.rule for f in found) == [
        "cel: self.a",
        "cel: self.a / 0 == 1",
        "cel: self.a.noSuchFunction() == 1",
    ]
    assert all(f.json_path == "$.spec" for f in found)
    by_rule = {f.rule: (f.severity, f.message) for f in found}
    severity, message = by_rule["cel: self.a.noSuchFunction() == 1"]
    assert (severity, message.startswith("CEL rule could not be compiled")) == ("warning", True)
    # run-time failures are errors: the API server rejects the object too
    assert by_rule["cel: self.a / 0 == 1"][0] == "error"
    assert by_rule["cel: self.a / 0 == 1"][1].startswith("CEL rule evaluation error: ")
    assert by_rule["cel: self.a"] == ("error", "CEL rule evaluation error: rule returned 2, not a boolean")


def test_uncompilable_rules_fail_under_strict(findings):
    assert {f.severity for f in findings(True)} == {"error"}


@pytest.mark.parametrize(
    ("text", "path"),
    [(".spec.a", ("spec", "a")), (".a['b.c'][0]", ("a", "b.c", 0)), ("['x']", ("x",))],
)
def test_field_path(text, path):
    assert parse_field_path(text) == path


def test_bad_field_path():
    with pytest.raises(ValueError, match="unsupported fieldPath"):
        parse_field_path("spec a")
