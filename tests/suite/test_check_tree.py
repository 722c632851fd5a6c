"""``check_tree``: a rendered tree on disk, checked on one core or several with the same result."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from generator.bench.check_tree import check_tree

ROOT = Path(__file__).resolve().parents[2]
KNOWN = yaml.safe_load((Path(__file__).parent / "known_failures.yaml").read_text(encoding="utf-8")) or {}


def test_parallel_equals_serial_and_only_known_failures_fail() -> None:
    serial = check_tree(ROOT / "rendered", crd_dirs=None, jobs=1)
    parallel = check_tree(ROOT / "rendered", crd_dirs=None, jobs=2)
    assert parallel.scopes == serial.scopes
    assert parallel.documents == serial.documents > 300
    failing = {s.id for s, fs in serial.scopes.items() if any(f.severity == "error" for f in fs)}
    assert failing == {k for k in KNOWN if "/render" not in k and "/schema" not in k}


def test_a_broken_file_on_disk_is_found_with_its_line(tmp_path: Path) -> None:
    rendered = tmp_path / "rendered"
    shutil.copytree(ROOT / "rendered" / "dev", rendered / "dev")
    path = rendered / "dev" / "main" / "apps" / "docproc" / "rollout-ingest-api.yaml"
    text = path.read_text(encoding="utf-8")
    assert "        allowPrivilegeEscalation: false\n" in text
    path.write_text(
        text.replace(
            "        allowPrivilegeEscalation: false\n", "        allowPrivilegeEscalation: true\n", 1
        )
    )
    result = check_tree(rendered, crd_dirs=None, jobs=2)
    (f,) = [f for f in result.findings if f.rule == "pod-security-restricted/restricted-containers"]
    assert f.file == "rendered/dev/main/apps/docproc/rollout-ingest-api.yaml"
    assert f.line is not None
    assert (
        path.read_text(encoding="utf-8")
        .splitlines()[f.line - 1]
        .strip()
        .startswith("allowPrivilegeEscalation")
    )
    assert f.source is None
