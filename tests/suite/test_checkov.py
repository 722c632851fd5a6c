"""An independent opinion: checkov's Kubernetes checks over rendered/.

checkov runs from its own venv (``make test`` builds ``.venv-checkov``; its dependencies conflict
with ours). It does not know Argo Rollouts, so each Rollout is shown to it as the Deployment with
the same pod template; every other file is passed unchanged. Every failed check must be accepted
with a reason: in the template that produces the resource (``checkov.io/skip<N>`` annotations) or,
where no template can carry it, in ``checkov_skips.yaml``; a skip that matches nothing must be removed.
"""

from __future__ import annotations

import fnmatch
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
SKIPS: dict[str, dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "checkov_skips.yaml").read_text(encoding="utf-8")
)


def as_checkov_sees_it(body: dict[str, Any]) -> dict[str, Any]:
    if body.get("kind") != "Rollout":
        return body
    spec = {k: v for k, v in body["spec"].items() if k not in ("strategy", "workloadRef")}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": body["metadata"], "spec": spec}


@pytest.fixture(scope="module")
def checkov_failures(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    if not CHECKOV.exists():
        reason = f"{CHECKOV} missing: run `make test` (it installs checkov into .venv-checkov)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    tree = tmp_path_factory.mktemp("checkov")
    for path in sorted((ROOT / "rendered").rglob("*.yaml")):
        out = tree / path.relative_to(ROOT / "rendered")
        out.parent.mkdir(parents=True, exist_ok=True)
        body = yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)
        out.write_text(yaml.dump(as_checkov_sees_it(body), Dumper=yaml.CSafeDumper), encoding="utf-8")
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"}
    proc = subprocess.run(
        [
            str(CHECKOV),
            "-d",
            str(tree),
            "--framework",
            "kubernetes",
            "-o",
            "json",
            "--quiet",
            "--compact",
            "--skip-download",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    report = json.loads(proc.stdout)
    reports = report if isinstance(report, list) else [report]
    assert sum(r["summary"]["resource_count"] for r in reports) > 100
    assert all(r["summary"]["parsing_errors"] == 0 for r in reports)
    failures = [f for r in reports for f in r["results"]["failed_checks"]]
    for f in failures:
        f["env"] = (
            Path(f["file_path"]).parts[1] if f["file_path"].startswith("/") else Path(f["file_path"]).parts[0]
        )
    return failures


def _accepted(f: dict[str, Any], check_id: str, skip: dict[str, Any]) -> bool:
    return (
        f["check_id"] == check_id
        and f["env"] in skip.get("envs", [f["env"]])
        and any(fnmatch.fnmatch(f["resource"], pattern) for pattern in skip.get("resources", ["*"]))
    )


def test_every_checkov_failure_is_fixed_or_accepted_with_a_reason(
    checkov_failures: list[dict[str, Any]],
) -> None:
    open_failures = [
        f"{f['check_id']} {f['check_name']}: {f['resource']} ({f['env']}: {f['file_path']})"
        for f in checkov_failures
        if not any(_accepted(f, check_id, skip) for check_id, skip in SKIPS.items())
    ]
    assert not open_failures, "\n".join(sorted(set(open_failures)))


def test_every_skip_has_a_reason_and_is_still_needed(checkov_failures: list[dict[str, Any]]) -> None:
    for check_id, skip in SKIPS.items():
        assert len(skip.get("reason", "")) > 40, check_id
        assert any(_accepted(f, check_id, skip) for f in checkov_failures), (
            f"{check_id} no longer fails: remove the skip"
        )


def test_template_skips_carry_their_reason() -> None:
    """Skips live in the template that produces the resource, each as CKV_K8S_<n>=<reason>."""
    seen = 0
    for path in sorted((ROOT / "rendered").rglob("rollout-*.yaml")):
        body = yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)
        for key, value in body["metadata"].get("annotations", {}).items():
            if key.startswith("checkov.io/skip"):
                check_id, _, reason = value.partition("=")
                assert check_id.startswith("CKV_K8S_"), (path, value)
                assert len(reason) > 40, (path, value)
                seen += 1
    assert seen > 0
