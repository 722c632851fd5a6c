"""kubernetes-validate's schema files, located and bundled once."""

from __future__ import annotations

import pytest

from generator.errors import UsageError
from generator.schema.kube import KubeSchemas, available_versions, pick_version


def test_versions_are_sorted_and_newest_is_default():
    versions = available_versions()
    assert versions == tuple(sorted(versions, key=lambda v: tuple(map(int, v.split(".")))))
    assert pick_version(None) == versions[-1]


@pytest.mark.parametrize("given", ["1.30", "v1.30", "1.30.4"])
def test_version_spellings(given):
    assert pick_version(given) == "1.30"


def test_unknown_version_is_a_usage_error():
    with pytest.raises(UsageError, match="choose one of"):
        pick_version("1.2")


def test_bundle_is_self_contained():
    schema = KubeSchemas(pick_version(None), strict=False).schema_for("apps/v1", "Deployment")
    assert schema is not None
    text = str(schema)
    assert "_definitions.json" not in text
    assert "io.k8s.api.apps.v1.DeploymentSpec" in schema["$defs"]


def test_group_prefix_clash_is_not_a_match():
    # networking.istio.io and networking.k8s.io share the file prefix "networking"
    kube = KubeSchemas(pick_version(None), strict=False)
    assert kube.schema_for("networking.k8s.io/v1", "Ingress") is not None
    assert kube.schema_for("networking.istio.io/v1", "Ingress") is None


def test_crd_cache_is_keyed_by_content(tmp_path, monkeypatch):
    from generator.schema.crd import cache_dir, load_yaml_cached

    monkeypatch.setenv("GITOPS_GEN_CACHE", str(tmp_path / "cache"))
    crd = tmp_path / "c.yaml"
    crd.write_text("a: 1\n---\nb: [x]\n")
    assert load_yaml_cached(str(crd)) == [{"a": 1}, {"b": ["x"]}]
    assert len(list((cache_dir() / "crds").iterdir())) == 1
    assert load_yaml_cached(str(crd)) == [{"a": 1}, {"b": ["x"]}]
    crd.write_text("a: 2\n")
    assert load_yaml_cached(str(crd)) == [{"a": 2}]


def test_corrupt_crd_cache_is_ignored(tmp_path, monkeypatch):
    from generator.schema.crd import cache_dir, load_yaml_cached

    monkeypatch.setenv("GITOPS_GEN_CACHE", str(tmp_path / "cache"))
    crd = tmp_path / "c.yaml"
    crd.write_text("a: 1\n")
    load_yaml_cached(str(crd))
    (entry,) = (cache_dir() / "crds").iterdir()
    entry.write_text("{not json")
    assert load_yaml_cached(str(crd)) == [{"a": 1}]


@pytest.mark.parametrize(
    ("declared", "expected"), [("1.33", "1.33"), ("1.99", None), ("1.10", None), ("x", None)]
)
def test_nearest_shipped(declared, expected):
    from generator.schema.kube import nearest_shipped

    newest = available_versions()[-1]
    assert nearest_shipped(declared) == (newest if declared == "1.99" else expected)
