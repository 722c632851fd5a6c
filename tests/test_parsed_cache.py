"""Caches in the user's private cache: the tool's fingerprint and parsed policy files."""

from __future__ import annotations

import datetime
import time
from pathlib import Path

import pytest

from generator import stamps, yamlread
from generator.load import load_policy_sources
from tests.conftest import ROOT


@pytest.fixture
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GITOPS_GEN_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_the_tool_fingerprint_follows_the_package_files(
    tmp_path: Path, private_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "package"
    (package / "sub").mkdir(parents=True)
    (package / "a.py").write_text("A = 1\n", encoding="utf-8")
    (package / "sub" / "b.j2").write_text("{{ b }}\n", encoding="utf-8")
    monkeypatch.setattr(stamps, "_PACKAGE", str(package))
    time.sleep(0.05)  # past the file system's clock tick: files changed in it are never cached
    fingerprint = stamps.tool_digest.__wrapped__  # type: ignore[attr-defined]
    first = fingerprint()
    assert (private_cache / "stamps" / "tool").exists()
    assert fingerprint() == first  # from the cache
    (private_cache / "stamps" / "tool").unlink()
    assert fingerprint() == first  # computed again: the same
    (package / "sub" / "b.j2").write_text("{{ c }}\n", encoding="utf-8")
    assert fingerprint() != first


def test_parsed_policies_come_back_equal_and_follow_their_text(tmp_path: Path, private_cache: Path) -> None:
    policies = tmp_path / "policies"
    policies.mkdir()
    for source in sorted((ROOT / "policies").glob("*/policy.yaml"))[:3]:
        (policies / source.parent.name).mkdir()
        (policies / source.parent.name / "policy.yaml").write_bytes(source.read_bytes())
    parsed = load_policy_sources(policies, shown_root=tmp_path)
    assert list((private_cache / "policies").glob("*.json"))
    assert load_policy_sources(policies, shown_root=tmp_path) == parsed
    target = sorted(policies.glob("*/policy.yaml"))[0]
    target.write_text(target.read_text(encoding="utf-8").replace("name: ", "name: x", 1), encoding="utf-8")
    again = load_policy_sources(policies, shown_root=tmp_path)
    assert again[0]["metadata"]["name"] == "x" + parsed[0]["metadata"]["name"]
    for entry in (private_cache / "policies").glob("*.json"):
        entry.write_bytes(b"not json")
    assert load_policy_sources(policies, shown_root=tmp_path) == again


@pytest.mark.parametrize("data", [{1: "int key"}, {"when": datetime.date(2026, 1, 1)}, ("a", "tuple")])
def test_only_what_json_gives_back_equal_is_cached(tmp_path: Path, data: object) -> None:
    """A YAML int key or date would come back from JSON as something else: loaded each time."""
    assert yamlread.cached_data(tmp_path, "text", lambda: data) == data
    assert not list(tmp_path.glob("*.json"))
    assert yamlread.cached_data(tmp_path, "text", lambda: {"plain": [1, True, None]}) == {
        "plain": [1, True, None]
    }
    assert yamlread.cached_data(tmp_path, "text", lambda: {"never": "loaded"}) == {"plain": [1, True, None]}
    assert yamlread.cached_data(tmp_path, "text", lambda: "other salt", salt="x") == "other salt"
