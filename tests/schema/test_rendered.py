"""The shipped rendered/ tree is valid under --strict against ../shared/crds (what `make check` gates)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_rendered_tree_is_valid_under_strict(cli, crd_dir):
    rendered = ROOT / "rendered"
    if not rendered.is_dir():
        pytest.skip("no rendered/ tree in this checkout")
    r = cli("validate", str(rendered), "--strict", "--crd-dir", str(crd_dir), "-o", "json")
    doc = json.loads(r.out)
    assert doc["findings"] == []
    assert r.code == 0
    assert doc["summary"]["documents"] > 0
