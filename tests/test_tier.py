"""Production is a tier the environment declares, never an environment name.

A new production environment (``eu-prod``) gets the production-only policies by declaring
``tier: production``; declaring it without pinned images is an environment-file error.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from generator.gate.check import check_subjects, subjects_from_manifests
from generator.pipeline import Project, render_environments
from tests.conftest import SHIPPED_ENVS, CliResult, shipped_data


def _production_copy(project: Path, name: str) -> Path:
    """A copy of a shipped production environment (whatever its tier file) under another name."""
    source = next(n for n in SHIPPED_ENVS if shipped_data(n).get("tier") == "production")
    target = project / "environments" / f"{name}.yaml"
    target.write_text((project / "environments" / f"{source}.yaml").read_text())
    return target


def test_production_tier_requires_digests(project: Path, cli: Callable[..., CliResult]) -> None:
    env = _production_copy(project, "eu-prod")
    env.write_text(env.read_text() + "images:\n  requireDigest: false\n")
    result = cli("render", "--root", str(project), "--env", "eu-prod")
    assert result.code == 2, result.err
    assert re.search(
        r"environments/eu-prod\.yaml:\d+:\d+: images\.requireDigest: tier production requires "
        r"images\.requireDigest",
        result.err,
    )


def test_digest_rule_follows_the_tier_not_the_name(project: Path) -> None:
    _production_copy(project, "eu-prod")
    manifests = list(render_environments(Project(project), ["eu-prod"]))
    assert {
        m.body["metadata"]["labels"].get("docproc.io/tier") for m in manifests if m.kind == "Rollout"
    } == {"production"}
    unpinned = []
    for m in manifests:
        if m.kind == "Rollout":
            container = m.body["spec"]["template"]["spec"]["containers"][0]
            container["image"] = container["image"].split("@")[0]
        unpinned.append(m)
    result = check_subjects(subjects_from_manifests(unpinned), crd_dirs=None, environments=["eu-prod"])
    rules = {f.rule for f in result.findings if f.severity == "error"}
    assert "restrict-images/require-digest-in-prod" in rules


def _eu_prod(project: Path) -> str:
    """A new production environment: the production tier plus only what is its own."""
    services = [s["name"] for s in shipped_data(next(iter(SHIPPED_ENVS)))["services"]]
    digests = [
        f'  - {{name: {s}, digests: {{"2027.7.0": "sha256:{i:064x}"}}}}' for i, s in enumerate(services)
    ]
    return "\n".join(
        [
            "extends: _production",
            "topology: {type: single, clusters: {main: {server: https://eu-prod.eks.docproc.internal,",
            "  vpcId: vpc-0a1b2c3d4e5f6}}}",
            'release: {sprint: 7, version: "2027.7.0"}',
            "dns: {zone: eu.docproc.example.com, hostname: api.eu.docproc.example.com}",
            "storage:",
            "  efs: {clusters: {main: {fileSystemId: fs-0a1b2c3d4e5f6, subnetIds: [subnet-0a1b2c3d4e5f6],",
            "    securityGroupIds: [sg-0a1b2c3d4e5f6]}}}",
            "  s3: {bucket: docproc-eu-prod-backups}",
            "services:",
            *digests,
            "",
        ]
    )


def test_a_new_production_environment_in_under_20_lines(
    project: Path, cli: Callable[..., CliResult], crd_dir: Path, charts_dir: Path
) -> None:
    text = _eu_prod(project)
    assert len(text.splitlines()) < 20
    (project / "environments" / "eu-prod.yaml").write_text(text)
    rendered = cli("render", "--root", str(project), "--env", "eu-prod")
    assert rendered.code == 0, rendered.err
    manifests = render_environments(Project(project), ["eu-prod"])
    tiers = {m.body["metadata"].get("labels", {}).get("docproc.io/tier") for m in manifests}
    assert tiers == {"production"}
    images = [
        c["image"]
        for m in manifests
        if m.kind == "Rollout"
        for c in m.body["spec"]["template"]["spec"]["containers"]
    ]
    assert images
    assert all("@sha256:" in i for i in images)  # the tier's requireDigest holds
    checked = cli(
        "check",
        "--root",
        str(project),
        "--env",
        "eu-prod",
        "--crd-dir",
        str(crd_dir),
        "--charts-dir",
        str(charts_dir),
    )
    assert checked.code == 0, checked.out + checked.err
