"""The bench fleet: 200 services x 3 environments x 2 clusters, written as a throwaway project.

Environments are generated from the shipped ``prod`` environment (dual topology), with the services
list replaced by ``services`` synthetic ones (a realistic mix of public APIs, internal APIs and queue
workers), so every template and policy is exercised at scale.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

from generator.load import load_environment

__all__ = ["ENVIRONMENTS", "SERVICES", "make_fleet_project"]

SERVICES = 200
ENVIRONMENTS = ("bench-a", "bench-b", "bench-c")


def _service(i: int, queues: list[str]) -> dict[str, Any]:
    kind = ("public", "internal", "worker", "worker")[i % 4]
    svc: dict[str, Any] = {
        "name": f"svc-{i:03d}",
        "type": "worker" if kind == "worker" else "http",
        "image": f"docproc/svc-{i:03d}",
        "replicas": {"min": 2, "max": 10},
        "resources": {"cpu": "250m", "memory": "512Mi", "memoryLimit": "512Mi"},
        "digests": {
            "2026.42.0": "sha256:" + f"{i:064x}",
            "2026.41.3": "sha256:" + f"{i + 1000:064x}",
        },
        "env": {"LOG_LEVEL": "info", "SERVICE_INDEX": str(i)},
    }
    if kind == "public":
        svc.update(public=True, paths=[f"/v1/svc-{i:03d}"], port=8080, publishes=[queues[i % len(queues)]])
    elif kind == "internal":
        svc.update(port=8080, calls=[f"svc-{i - 1:03d}"])
    else:
        worker = 2 * (i // 4) + i % 4 - 2  # the how-many-th worker: each queue gets a consumer
        svc.update(consumes=[queues[worker % len(queues)]], documents=i % 8 == 2)
    return svc


def make_fleet_project(repo_root: Path, out: Path, services: int = SERVICES) -> Path:
    """Write a project (environments, templates, policies) for the fleet under ``out``; returns it."""
    if out.exists():
        shutil.rmtree(out)
    (out / "environments").mkdir(parents=True)
    shutil.copytree(repo_root / "templates", out / "templates")
    shutil.copytree(repo_root / "policies", out / "policies")
    shutil.copy(repo_root / "environments" / "_defaults.yaml", out / "environments" / "_defaults.yaml")
    # prod as merged from its chain (it extends a tier), written whole so each copy stands alone
    prod = {**load_environment(repo_root / "environments", "prod").data, "extends": "none"}
    workers = sum(1 for i in range(services) if i % 4 >= 2)
    queues = [f"q{j:02d}" for j in range(min(20, max(workers, 1)))]  # every declared queue consumed
    for name in ENVIRONMENTS:
        env = dict(prod)
        env["rabbitmq"] = {
            **prod["rabbitmq"],
            "queues": [{"name": q, "consumedOutside": not workers} for q in queues],
        }
        env["services"] = [_service(i, queues) for i in range(services)]
        # each environment its own clusters: one Argo CD hub registers a server once (argocd-hub)
        clusters = {
            c: {**spec, "server": f"https://{name}-{c}.eks.docproc.internal"}
            for c, spec in prod["topology"]["clusters"].items()
        }
        env["topology"] = {**prod["topology"], "clusters": clusters}
        env["dns"] = {
            **prod["dns"],
            "hostname": f"api.{name}.example.com",
            "betaHostname": f"beta.{name}.example.com",
        }
        text = yaml.safe_dump(env, sort_keys=False)
        (out / "environments" / f"{name}.yaml").write_text(text, encoding="utf-8")
    return out
