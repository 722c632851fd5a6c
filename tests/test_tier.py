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
from tests.conftest import CliResult


def _production_copy(project: Path, name: str) -> Path:
    """A copy of the shipped production environment under another name."""
    source = next(
        p
        for p in sorted((project / "environments").glob("*.yaml"))
        if re.search(r"^tier: production$", p.read_text(), re.M)
    )
    target = project / "environments" / f"{name}.yaml"
    target.write_text(source.read_text())
    return target


def test_production_tier_requires_digests(project: Path, cli: Callable[..., CliResult]) -> None:
    env = _production_copy(project, "eu-prod")
    env.write_text(env.read_text().replace("requireDigest: true", "requireDigest: false"))
    result = cli("render", "--root", str(project), "--env", "eu-prod")
    assert result.code == 2, result.err
    assert re.search(
        r"environments/eu-prod\.yaml:\d+:\d+: tier: tier production requires images\.requireDigest",
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
