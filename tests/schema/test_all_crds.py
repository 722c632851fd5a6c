"""Every served version of every CRD in ../shared/crds converts, compiles and plans; every CEL rule
that is not a transition rule compiles with the shared CEL library."""

from __future__ import annotations

import jsonschema_rs
import pytest

from generator.documents import iter_manifest_files
from generator.schema import cel_rules
from generator.schema.convert import convert_crd_schema
from generator.schema.crd import crd_versions, load_yaml_cached
from generator.schema.kube import object_meta_schema, pick_version
from generator.schema.plan import build_plan


def _rules(schema):
    if isinstance(schema, dict):
        for rule in schema.get("x-kubernetes-validations") or ():
            yield rule, schema
        for key in ("properties", "additionalProperties", "items"):
            sub = schema.get(key)
            children = sub.values() if key == "properties" and isinstance(sub, dict) else [sub]
            for child in children:
                yield from _rules(child)


@pytest.fixture(scope="module")
def versions(crd_dir):
    out = []
    for file in iter_manifest_files([crd_dir]):
        for body in load_yaml_cached(file):
            if isinstance(body, dict) and body.get("kind") == "CustomResourceDefinition":
                out.extend(crd_versions(body, file))
    return out


@pytest.mark.parametrize("strict", [False, True], ids=["lax", "strict"])
def test_every_served_version_compiles(versions, strict):
    meta = object_meta_schema(pick_version(None), strict)
    assert len(versions) >= 38
    for v in versions:
        schema = convert_crd_schema(v.schema, strict=strict, object_meta=meta)
        jsonschema_rs.Draft202012Validator(schema)
        build_plan(v.schema, None)


def test_every_non_transition_cel_rule_compiles(versions):
    compiled = 0
    failures = []
    for v in versions:
        for rule, schema in _rules(v.schema):
            check = cel_rules.compile_rule(rule, schema)
            if check is None:
                continue
            compiled += 1
            # a check that does not compile reports itself on any value, whatever it is
            issues = list(check(None))
            if any("could not be compiled" in message for _, _, message, _ in issues):
                failures.append(f"{v.kind}/{v.version}: {rule['rule']}")
    assert compiled > 250
    assert failures == []
