"""Smoke test of the peer benchmark (``make bench-peers``) without the peers' virtualenv.

The peers' projects, the file selection for the validators, the table rows and the whole harness
run (with stand-in peer executables that record how they were called) are exercised; nothing is
timed and no peer is installed.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
import yaml

from generator.bench import peers
from generator.bench.commands import Sample

ROOT = Path(__file__).resolve().parents[1]
PEERS = ("kapitan", "make-argocd-fly", "kubernetes-validate", "check-jsonschema")


def test_kapitan_project_has_one_target_per_service(tmp_path: Path) -> None:
    project = peers._kapitan_project(tmp_path / "k", 3)
    targets = sorted((project / "inventory" / "targets").glob("*.yml"))
    assert [t.stem for t in targets] == ["svc-000", "svc-001", "svc-002"]
    params = yaml.safe_load(targets[1].read_text(encoding="utf-8"))["parameters"]
    assert params["name"] == "svc-001"
    (compile_,) = params["kapitan"]["compile"]
    assert compile_["input_paths"] == ["templates/service.yml"]
    template = (project / "templates" / "service.yml").read_text(encoding="utf-8")
    assert "{{ p.name }}" in template
    assert "{{ p.image }}" in template


def test_fly_project_has_one_application_per_service(tmp_path: Path) -> None:
    project = peers._fly_project(tmp_path / "f", 2)
    config = yaml.safe_load((project / "config" / "config.yml").read_text(encoding="utf-8"))
    assert sorted(config["envs"]["bench"]["apps"]) == ["svc-000", "svc-001"]
    assert config["envs"]["bench"]["apps"]["svc-000"]["vars"]["image"] == "docproc/svc-000:1.0"
    for name in ("svc-000", "svc-001"):
        assert "{{ name }}" in (project / "source" / name / "service.yml.j2").read_text(encoding="utf-8")


def test_builtin_files_keep_built_in_kinds_and_the_most_common_apart(tmp_path: Path) -> None:
    rendered = tmp_path / "rendered"
    docs = {
        "a/deployment-x.yaml": {"apiVersion": "apps/v1", "kind": "Deployment"},
        "a/deployment-y.yaml": {"apiVersion": "apps/v1", "kind": "Deployment"},
        "a/service-x.yaml": {"apiVersion": "v1", "kind": "Service"},
        "a/netpol-x.yaml": {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy"},
        "a/rollout-x.yaml": {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout"},
    }
    for rel, body in docs.items():
        (rendered / rel).parent.mkdir(parents=True, exist_ok=True)
        (rendered / rel).write_text(yaml.safe_dump(body), encoding="utf-8")
    builtin, one_kind, schema, count, kind_count = peers._builtin_files(rendered, tmp_path / "out")
    assert count == 4
    assert kind_count == 2
    assert schema == "deployment-apps-v1.json"
    assert sorted(p.name for p in builtin.rglob("*.yaml")) == sorted(
        Path(r).name for r in docs if "rollout" not in r
    )
    assert sorted(p.name for p in one_kind.rglob("*.yaml")) == ["deployment-x.yaml", "deployment-y.yaml"]


def test_row_is_per_document_and_paired() -> None:
    pairs = [
        (Sample(2.0, 1.0, 10, 0), Sample(1.0, 1.0, 10, 0)),
        (Sample(4.0, 2.0, 10, 0), Sample(1.0, 1.0, 10, 0)),
    ]
    row = peers._row("render", "Peer", 10, 20, pairs)
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[:3] == ["render", "Peer", "10"]
    assert cells[3] == "300.00"  # median of 200 and 400 ms per document
    assert cells[5] == "50.00"
    assert cells[6] == "**6.0x** (4.0-8.0)"
    assert cells[7] == "3.0x"  # CPU per document, per pair: 0.1/0.05 and 0.2/0.05


def _stand_in_venv(venv: Path, log: Path) -> None:
    """Executables named like the peers that record argv and working directory, and succeed."""
    (venv / "bin").mkdir(parents=True)
    for name in PEERS:
        script = venv / "bin" / name
        script.write_text(
            f"#!{sys.executable}\nimport json, os, sys\n"
            f"with open({str(log)!r}, 'a') as fh:\n"
            "    fh.write(json.dumps([os.path.basename(sys.argv[0]), sys.argv[1:], os.getcwd()]) + '\\n')\n",
            encoding="utf-8",
        )
        script.chmod(0o755)


def test_main_runs_every_peer_and_writes_the_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "calls.jsonl"
    _stand_in_venv(tmp_path / "venv", log)
    doc = tmp_path / "bench.md"
    doc.write_text(f"# b\n{peers.MARKER_START}\nold\n{peers.MARKER_END}\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    argv = ["--sizes", "1", "--repeat", "1", "--venv", "venv", "--out", "out", "--crd-dir", "none"]
    assert peers.main([*argv, "--doc", str(doc)]) == 0
    calls = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [c[0] for c in calls] == list(PEERS)
    by_name = {c[0]: c for c in calls}
    assert by_name["kapitan"][1] == ["compile", "--parallelism", "2"]
    assert Path(by_name["kapitan"][2]) == (tmp_path / "out" / "kapitan-s1").resolve()
    assert Path(by_name["make-argocd-fly"][2]) == (tmp_path / "out" / "fly-s1").resolve()
    kv = by_name["kubernetes-validate"][1]
    assert kv[:2] == ["--strict", "--quiet"]
    assert all(f.endswith(".yaml") for f in kv[2:])
    assert kv[2:]
    cj = by_name["check-jsonschema"][1]
    assert cj[0] == "--schemafile"
    assert os.path.isfile(cj[1])
    assert cj[2:]
    text = doc.read_text(encoding="utf-8")
    assert "old" not in text
    assert text.count("\n| render |") == 2
    assert text.count("\n| validate |") == 2
    assert "python -m generator.bench.peers --sizes 1" in text
