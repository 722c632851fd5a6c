"""openAPIV3Schema → JSON Schema conversion, unit by unit."""

from __future__ import annotations

from generator.schema.convert import convert_crd_schema


def convert(schema, strict=False):
    return convert_crd_schema(
        {"type": "object", "properties": {"spec": schema}}, strict=strict, object_meta=None
    )["properties"]["spec"]


def test_nullable_adds_null_type_and_enum_member():
    assert convert({"type": "string", "nullable": True, "enum": ["a"]}) == {
        "type": ["string", "null"],
        "enum": ["a", None],
    }


def test_nullable_lets_null_skip_junctors():
    out = convert({"type": "object", "nullable": True, "oneOf": [{"required": ["a"]}, {"required": ["b"]}]})
    assert out["if"] == {"type": "null"}
    assert out["else"] == {"oneOf": [{"required": ["a"]}, {"required": ["b"]}]}


def test_int_or_string():
    out = convert(
        {
            "x-kubernetes-int-or-string": True,
            "anyOf": [{"type": "integer"}, {"type": "string"}],
            "pattern": "^a",
        }
    )
    assert out == {"type": ["integer", "string"], "pattern": "^a"}


def test_exclusive_bounds_become_numeric():
    assert convert({"type": "number", "minimum": 0, "exclusiveMinimum": True}) == {
        "type": "number",
        "minimum": 0,
        "exclusiveMinimum": 0,
    }
    assert convert({"type": "number", "maximum": 1, "exclusiveMaximum": False}) == {
        "type": "number",
        "maximum": 1,
    }


def test_strict_closes_structural_objects_only():
    schema = {"type": "object", "properties": {"a": {"type": "string"}}, "anyOf": [{"properties": {"a": {}}}]}
    out = convert(schema, strict=True)
    assert out["additionalProperties"] is False
    assert "additionalProperties" not in out["anyOf"][0]


def test_strict_respects_preserve_unknown_fields_and_maps():
    assert "additionalProperties" not in convert(
        {"type": "object", "x-kubernetes-preserve-unknown-fields": True}, True
    )
    out = convert({"type": "object", "additionalProperties": {"type": "string"}}, strict=True)
    assert out["additionalProperties"] == {"type": "string"}


def test_defaults_validations_and_docs_are_dropped():
    schema = {
        "type": "string",
        "default": "a",
        "description": "d",
        "format": "duration",
        "x-kubernetes-validations": [{"rule": "true"}],
    }
    assert convert(schema) == {"type": "string"}


def test_empty_schema_accepts_anything():
    assert convert_crd_schema({}, strict=True, object_meta=None) == {
        "$schema": "https://json-schema.org/draft/2020-12/schema"
    }
