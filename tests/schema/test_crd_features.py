"""CRD schema features the API server applies, on a small synthetic CRD (no ../shared needed)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from generator.documents import load_file
from generator.schema import Engine, Options

SCHEMA = """
        type: object
        properties:
          spec:
            type: object
            required: [size]
            properties:
              size: {type: integer, minimum: 1}
              mode: {type: string, enum: [fast, slow], default: fast}
              port:
                x-kubernetes-int-or-string: true
                anyOf: [{type: integer}, {type: string}]
              note: {type: string, nullable: true}
              level: {type: string}
              tags:
                type: array
                items: {type: string}
                x-kubernetes-list-type: set
              ports:
                type: array
                x-kubernetes-list-type: map
                x-kubernetes-list-map-keys: [name, protocol]
                items:
                  type: object
                  required: [name]
                  properties:
                    name: {type: string}
                    protocol: {type: string, default: TCP}
                    number: {type: integer}
              values:
                type: array
                items: {type: string}
              extra:
                type: object
                x-kubernetes-preserve-unknown-fields: true
              template:
                type: object
                x-kubernetes-embedded-resource: true
                properties:
                  spec: {type: object, x-kubernetes-preserve-unknown-fields: true}
              ratio: {type: number, minimum: 0, exclusiveMinimum: true}
            x-kubernetes-validations:
            - rule: "self.mode != 'slow' || self.size < 10"
              message: slow widgets must be small
            - rule: "self.size == oldSelf.size"
              message: size is immutable
            - rule: "!has(self.ratio) || self.ratio < 1.0"
              messageExpression: "'ratio ' + string(self.ratio) + ' must be below 1'"
            - rule: "!has(self.level) || self.level != 'x'"
              fieldPath: .level
              message: level must not be x
"""


@pytest.fixture(scope="module")
def crds(tmp_path_factory: pytest.TempPathFactory, make_crd) -> str:
    root = tmp_path_factory.mktemp("crds")
    (root / "widget.yaml").write_text(make_crd("Widget", "example.com", SCHEMA), encoding="utf-8")
    return str(root)


@pytest.fixture
def widget(crds: str, tmp_path: Path):
    engines: dict[bool, Engine] = {}

    def _check(spec: str, *, strict: bool = False, extra: str = "") -> list[tuple[str, str, str, str]]:
        if strict not in engines:
            engines[strict] = Engine(Options(crd_dirs=(crds,), strict=strict))
        text = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: n}\n" + extra
        text += "spec:\n" + textwrap.indent(textwrap.dedent(spec).strip(), "  ") + "\n"
        path = tmp_path / "w.yaml"
        path.write_text(text, encoding="utf-8")
        (doc,) = load_file(path)
        return [(f.json_path, f.rule, f.message, f.severity) for f in engines[strict].check(doc)]

    return _check


def test_valid_widget(widget):
    assert widget("size: 3", strict=True) == []


def test_missing_required(widget):
    assert widget("mode: fast") == [
        ("$.spec.size", "required", "Required value: missing required field 'size'", "error")
    ]


def test_enum(widget):
    found = widget("size: 1\nmode: medium")
    assert found[0] == ("$.spec.mode", "enum", '"medium" is not one of "fast" or "slow"', "error")


def test_enum_error_blocks_cel_as_the_server_does(widget):
    found = widget("size: 1\nmode: medium")
    assert [f[1] for f in found] == ["enum", "cel-skipped"]
    assert found[1][3] == "warning"


def test_int_or_string_accepts_both(widget):
    assert widget("size: 1\nport: 8080") == []
    assert widget("size: 1\nport: http") == []


def test_int_or_string_rejects_other_types(widget):
    assert widget("size: 1\nport: 1.5")[0] == (
        "$.spec.port",
        "type",
        '1.5 is not of type "integer" or "string"',
        "error",
    )


def test_nullable_accepts_null(widget):
    assert widget("size: 1\nnote: null") == []


def test_non_nullable_null_field_is_pruned_like_the_server(widget):
    assert widget("size: 1\nlevel: null") == []


def test_non_nullable_null_required_field_is_missing(widget):
    assert widget("size: null") == [
        ("$.spec.size", "required", "Required value: missing required field 'size'", "error")
    ]


def test_non_nullable_null_in_a_list_is_a_type_error(widget):
    found = widget("size: 1\nvalues: [a, null]")
    assert found[0] == ("$.spec.values[1]", "type", 'null is not of type "string"', "error")
    assert [f[1] for f in found[1:]] == ["cel-skipped"]


def test_default_applied_before_cel(widget):
    # mode defaults to "fast", so the slow-widget rule holds for a big widget without a mode
    assert widget("size: 50") == []
    assert widget("size: 50\nmode: slow") == [
        ("$.spec", "cel: self.mode != 'slow' || self.size < 10", "slow widgets must be small", "error")
    ]


def test_list_map_duplicate_keys(widget):
    found = widget("size: 1\nports: [{name: a}, {name: b}, {name: a, protocol: TCP}]")
    assert found == [
        (
            "$.spec.ports[2]",
            "x-kubernetes-list-type",
            'Duplicate value: {"name": "a", "protocol": "TCP"}',
            "error",
        )
    ]


def test_list_map_keys_differ_in_one_key(widget):
    assert widget("size: 1\nports: [{name: a}, {name: a, protocol: UDP}]") == []


def test_list_set_duplicates(widget):
    assert widget("size: 1\ntags: [x, y, x]") == [
        ("$.spec.tags[2]", "x-kubernetes-list-type", 'Duplicate value: "x"', "error")
    ]


def test_unknown_field_is_an_error_under_strict_and_a_warning_otherwise(widget):
    # the server prunes it (kubectl prints "Warning: unknown field"); strict field validation rejects it
    assert widget("size: 1\ncolour: red") == [
        ("$.spec.colour", "additionalProperties", 'unknown field "spec.colour"', "warning")
    ]
    assert widget("size: 1\ncolour: red", strict=True) == [
        ("$.spec.colour", "additionalProperties", 'unknown field "spec.colour"', "error")
    ]


def test_preserve_unknown_fields_accepts_anything_under_strict(widget):
    assert widget("size: 1\nextra: {a: {b: [1]}}", strict=True) == []


def test_embedded_resource_keeps_its_type_meta_under_strict(widget):
    spec = "size: 1\ntemplate: {apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {x: 1}}"
    assert widget(spec, strict=True) == []


def test_unknown_metadata_field_under_strict(widget, crds: str, tmp_path: Path):
    path = tmp_path / "meta.yaml"
    path.write_text(
        "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, lables: {}}\nspec: {size: 1}\n"
    )
    (doc,) = load_file(path)
    found = Engine(Options(crd_dirs=(crds,), strict=True)).check(doc)
    assert [(f.json_path, f.rule, f.message) for f in found] == [
        (
            "$.metadata.lables",
            "additionalProperties",
            'unknown field "metadata.lables"; did you mean "labels"?',
        )
    ]


def test_exclusive_minimum_openapi_v3_boolean(widget):
    assert widget("size: 1\nratio: 0")[0][:2] == ("$.spec.ratio", "exclusiveMinimum")
    assert widget("size: 1\nratio: 0.5") == []


def test_message_expression(widget):
    assert widget("size: 1\nratio: 2.0") == [
        ("$.spec", "cel: !has(self.ratio) || self.ratio < 1.0", "ratio 2 must be below 1", "error")
    ]


def test_cel_sees_integers_in_number_fields_as_doubles(widget):
    # `ratio: 2` is an int in YAML, but a double for CEL, as the schema says `type: number`
    assert widget("size: 1\nratio: 2")[0][2].startswith("ratio 2")


def test_field_path(widget):
    assert widget("size: 1\nlevel: x") == [
        ("$.spec.level", "cel: !has(self.level) || self.level != 'x'", "level must not be x", "error")
    ]


def test_transition_rules_are_skipped_on_create(widget):
    assert all("oldSelf" not in f[1] for f in widget("size: 1"))


def test_metadata_name_of_custom_resource(widget, crds: str, tmp_path: Path):
    path = tmp_path / "bad.yaml"
    path.write_text("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: Bad_Name}\nspec: {size: 1}\n")
    (doc,) = load_file(path)
    found = Engine(Options(crd_dirs=(crds,))).check(doc)
    assert [(f.json_path, f.rule) for f in found] == [("$.metadata.name", "metadata.name")]


def test_unknown_field_suggests_a_close_declared_one(widget):
    assert widget("size: 1\nmod: fast", strict=True) == [
        ("$.spec.mod", "additionalProperties", 'unknown field "spec.mod"; did you mean "mode"?', "error")
    ]


def test_failed_alternatives_are_explained(make_crd, tmp_path):
    schema = """
    type: object
    properties:
      spec:
        type: object
        properties:
          lb:
            type: object
            properties: {simple: {type: string}, hash: {type: string}}
            oneOf: [{required: [simple]}, {required: [hash]}]
    """
    crds = tmp_path / "crds"
    crds.mkdir()
    (crds / "lb.yaml").write_text(make_crd("Balancer", "example.com", schema))
    path = tmp_path / "b.yaml"
    path.write_text("apiVersion: example.com/v1\nkind: Balancer\nmetadata: {name: b}\nspec: {lb: {}}\n")
    (doc,) = load_file(path)
    (finding,) = Engine(Options(crd_dirs=(str(crds),))).check(doc)
    assert (finding.json_path, finding.rule) == ("$.spec.lb", "oneOf")
    assert [c.message for c in finding.context] == [
        'option 1: "simple" is a required property',
        'option 2: "hash" is a required property',
    ]
