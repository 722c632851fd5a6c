"""Kubernetes property-name escaping for CRD rules (cel_value / escape_field_name)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cel_corpus import crd_rules

from generator.cel import cel_value, escape_field_name, evaluate


@pytest.mark.parametrize(
    ("name", "escaped"),
    [
        ("replicas", "replicas"),
        ("namespace", "__namespace__"),
        ("if", "__if__"),
        ("x-prop", "x__dash__prop"),
        ("redact__d", "redact__underscores__d"),
        ("string.v", "string__dot__v"),
        ("a/b", "a__slash__b"),
        ("1prop", None),
        ("a b", None),
    ],
)
def test_escape_field_name(name: str, escaped: str | None) -> None:
    assert escape_field_name(name) == escaped


SCHEMA = {
    "type": "object",
    "properties": {
        "ref": {
            "type": "object",
            "properties": {"namespace": {"type": "string"}, "name": {"type": "string"}},
        },
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "items": {"type": "array", "items": {"type": "object", "properties": {"x-y": {"type": "integer"}}}},
    },
}


def test_cel_value_escapes_declared_properties_only() -> None:
    value = {"ref": {"namespace": "ns", "name": "n"}, "labels": {"a-b": "c"}, "items": [{"x-y": 1}]}
    converted = cel_value(value, SCHEMA)
    assert converted == {
        "ref": {"__namespace__": "ns", "name": "n"},
        "labels": {"a-b": "c"},
        "items": [{"x__dash__y": 1}],
    }
    assert (
        evaluate("self.ref.__namespace__ == 'ns' && self.labels['a-b'] == 'c'", {"self": converted}) is True
    )
    assert evaluate("!has(self.ref.__namespace__)", {"self": cel_value({"ref": {}}, SCHEMA)}) is True


def test_cel_value_returns_same_object_when_nothing_to_escape() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "array", "items": {"type": "string"}}}}
    value = {"a": ["x"]}
    assert cel_value(value, schema) is value


@pytest.mark.needs_shared
def test_kong_namespace_rule(crd_dir: Path) -> None:
    rule = next(r["rule"] for _, r in crd_rules(crd_dir) if "__namespace__" in r["rule"])
    schema = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {
                    "controlPlaneRef": {
                        "type": "object",
                        "properties": {
                            "konnectNamespacedRef": {
                                "type": "object",
                                "properties": {"name": {"type": "string"}, "namespace": {"type": "string"}},
                            }
                        },
                    }
                },
            }
        },
    }
    with_ns = {"spec": {"controlPlaneRef": {"konnectNamespacedRef": {"name": "cp", "namespace": "other"}}}}
    without = {"spec": {"controlPlaneRef": {"konnectNamespacedRef": {"name": "cp"}}}}
    assert evaluate(rule, {"self": cel_value(with_ns, schema)}) is False
    assert evaluate(rule, {"self": cel_value(without, schema)}) is True
