"""The request-path diagram (README.md, docs/request-path.md) is generated from the render, never drawn by hand.

It is the Mermaid flowchart ``generator.request_path`` derives from the first shipped
single-cluster environment; ``make golden`` (``--update-golden``) rewrites the block.
"""

from __future__ import annotations

import re

import pytest

from generator.gate.checks.cluster import ClusterView
from generator.pipeline import Project, render_environments
from generator.request_path import request_path
from tests.conftest import ROOT, envs_of_topology

BLOCK = re.compile(r"(<!-- request-path:begin -->\n)(.*?)(<!-- request-path:end -->)", re.S)


def _diagram() -> str:
    env = envs_of_topology("single")[0]
    manifests = render_environments(Project(ROOT), [env])
    (cluster,) = {m.cluster for m in manifests if m.kind == "Namespace"}  # not the Argo CD hub
    return request_path(ClusterView(env, cluster, tuple(m for m in manifests if m.cluster == cluster)))


@pytest.mark.parametrize("doc", ["README.md", "docs/request-path.md"])
def test_diagram_is_fresh(doc: str, request: pytest.FixtureRequest) -> None:
    readme = ROOT / doc
    text = readme.read_text(encoding="utf-8")
    match = BLOCK.search(text)
    assert match, f"{doc} lost its request-path markers"
    expected = f"```mermaid\n{_diagram()}```\n"
    if request.config.getoption("--update-golden"):
        readme.write_text(text[: match.start(2)] + expected + text[match.end(2) :], encoding="utf-8")
    assert match.group(2) == expected or request.config.getoption("--update-golden"), (
        f"the request-path diagram in {doc} is stale: run `make golden` and review it"
    )


def test_diagram_shows_every_hop() -> None:
    diagram = _diagram()
    for hop in ("client", "Route 53", "NLB", "Kong", "RabbitMQ", "EFS", "S3"):
        assert hop in diagram, hop
    assert "canary weights" in diagram
