"""``python -m generator.bench.peers``: our commands beside peer tools, per document, as whole processes.

Peers run from their own pinned virtualenv (``.venv-peers``, ``make bench-peers`` builds it from
``generator/bench/peers-requirements.txt``), never from ``make test``:

- **render**: Kapitan (``kapitan compile``, Jinja2 input type, one target per service) and
  make-argocd-fly (one application per service) render one Deployment and one Service per service;
  ours is ``gitops-gen render`` from scratch of the bench fleet (every template of the platform).
  The workloads differ, so the figure is seconds per rendered document.
- **validate**: kubernetes-validate (``--strict``) on the fleet's files of built-in kinds, and
  check-jsonschema on the files of its most common built-in kind (kubernetes-validate's strict
  schema of that kind);
  ours is ``gitops-gen validate --strict`` on exactly the same files.

Runs alternate peer and ours, so load from other processes hits both alike; medians of the
per-pair ratios are reported. Figures only: nothing here fails on a number.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import yaml

from generator import yamlread
from generator.bench.commands import Sample, measure

__all__ = ["main"]

MARKER_START = "<!-- bench:peers:start -->"
MARKER_END = "<!-- bench:peers:end -->"
_BUILTIN_GROUPS = ("v1", "apps/v1", "policy/v1", "autoscaling/v2", "networking.k8s.io/v1", "batch/v1")
_DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: docproc
  labels: {{app.kubernetes.io/name: {name}}}
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app.kubernetes.io/name: {name}}}
  template:
    metadata:
      labels: {{app.kubernetes.io/name: {name}}}
    spec:
      containers:
      - name: app
        image: {image}
        ports: [{{containerPort: 8080}}]
        resources: {{requests: {{cpu: 250m, memory: 512Mi}}, limits: {{memory: 512Mi}}}}
---
apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: docproc
spec:
  selector: {{app.kubernetes.io/name: {name}}}
  ports: [{{port: 80, targetPort: 8080}}]
"""


def _template(ref: Callable[[str], str]) -> str:
    return _DEPLOYMENT.format(name=ref("name"), replicas=ref("replicas"), image=ref("image"))


def _kapitan_project(out: Path, services: int) -> Path:
    """One target per service; the template reads the target's inventory parameters."""
    (out / "inventory" / "targets").mkdir(parents=True)
    (out / "inventory" / "classes").mkdir()
    (out / "templates").mkdir()
    text = "{% set p = inventory.parameters %}\n" + _template(lambda k: "{{ p." + k + " }}")
    (out / "templates" / "service.yml").write_text(text, encoding="utf-8")
    for i in range(services):
        name = f"svc-{i:03d}"
        target = {
            "parameters": {
                "name": name,
                "image": f"docproc/{name}:1.0",
                "replicas": 2,
                "kapitan": {
                    "vars": {"target": name},
                    "compile": [
                        {"output_path": ".", "input_type": "jinja2", "input_paths": ["templates/service.yml"]}
                    ],
                },
            }
        }
        (out / "inventory" / "targets" / f"{name}.yml").write_text(yaml.safe_dump(target), encoding="utf-8")
    return out


def _fly_project(out: Path, services: int) -> Path:
    """One make-argocd-fly application per service, its variables in the config."""
    apps = {}
    for i in range(services):
        name = f"svc-{i:03d}"
        (out / "source" / name).mkdir(parents=True)
        text = _template(lambda k: "{{ " + k + " }}")
        (out / "source" / name / "service.yml.j2").write_text(text, encoding="utf-8")
        apps[name] = {"vars": {"name": name, "image": f"docproc/{name}:1.0", "replicas": 2}}
    (out / "config").mkdir()
    config = {"envs": {"bench": {"apps": apps}}}
    (out / "config" / "config.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return out


def _builtin_files(rendered: Path, out: Path) -> tuple[Path, Path, str, int, int]:
    """Copy the fleet's files of built-in kinds (and, apart, those of its most common kind) under ``out``.

    Returns both directories, the schema file name of that kind, and both counts.
    """
    builtin, one_kind = out / "builtin", out / "one-kind"
    bodies = {}
    for path in sorted(rendered.rglob("*.yaml")):
        body = yamlread.load_or_none(path.read_text(encoding="utf-8"))
        if isinstance(body, dict) and body.get("apiVersion") in _BUILTIN_GROUPS:
            bodies[path] = (str(body["apiVersion"]), str(body.get("kind")))
    (api_version, kind), kind_count = Counter(bodies.values()).most_common(1)[0]
    for path, key in bodies.items():
        rel = path.relative_to(rendered)
        for base in (builtin, *([one_kind] if key == (api_version, kind) else [])):
            (base / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, base / rel)
    group, _, version = api_version.rpartition("/")
    schema = "-".join([kind.lower(), *([group.split(".")[0]] if group else []), version]) + ".json"
    return builtin, one_kind, schema, len(bodies), kind_count


def _pairs(
    peer: list[str], ours: list[str], cwd: Path, repeat: int, prepare: Callable[[], None]
) -> list[tuple[Sample, Sample]]:
    """``repeat`` alternating runs: the peer in ``cwd`` (its project), ours in this repository."""
    repo_root = Path(__file__).resolve().parents[2]  # `python -m generator` imports this tree
    pairs = []
    for _ in range(repeat):
        prepare()
        p = measure(peer, cwd)
        prepare()
        pairs.append((p, measure(ours, repo_root)))
    return pairs


def _row(what: str, peer: str, peer_docs: int, ours_docs: int, pairs: Sequence[tuple[Sample, Sample]]) -> str:
    per_peer = [p.wall / peer_docs * 1000 for p, _ in pairs]
    per_ours = [o.wall / ours_docs * 1000 for _, o in pairs]
    ratios = [a / b for a, b in zip(per_peer, per_ours, strict=True)]
    cpu = [(p.cpu / peer_docs) / (o.cpu / ours_docs) for p, o in pairs]
    return (
        f"| {what} | {peer} | {peer_docs:,} | {statistics.median(per_peer):.2f} | {ours_docs:,} | "
        f"{statistics.median(per_ours):.2f} | **{statistics.median(ratios):.1f}x** "
        f"({min(ratios):.1f}-{max(ratios):.1f}) | {statistics.median(cpu):.1f}x |"
    )


HEADER = (
    "| task | peer | peer documents | peer ms/document | our documents | our ms/document | "
    "peer / ours per document, wall (range) | CPU |\n| --- | --- | ---: | ---: | ---: | ---: | --- | --- |"
)


def run(
    repo_root: Path, out: Path, services: int, *, repeat: int, venv: Path, crd_dir: Path | None
) -> list[str]:
    """Table rows for one fleet size."""
    from generator.bench.fleet import make_fleet_project

    bin_dir = venv / "bin"
    project = make_fleet_project(repo_root, out / f"s{services}", services)
    rendered = project / "rendered"
    ours_render = [sys.executable, "-m", "generator", "render", "--root", str(project), "-q"]
    measure(ours_render, repo_root)
    documents = sum(1 for _ in rendered.rglob("*.yaml"))
    rows = []

    def scratch() -> None:
        shutil.rmtree(rendered, ignore_errors=True)
        shutil.rmtree(project / ".gitops-gen", ignore_errors=True)

    kapitan = _kapitan_project(out / f"kapitan-s{services}", services)
    kap = [str(bin_dir / "kapitan"), "compile", "--parallelism", "2"]
    pairs = [(k, o) for k, o in _pairs(kap, ours_render, kapitan, repeat, scratch)]
    rows.append(_row("render", "Kapitan", 2 * services, documents, pairs))
    fly = _fly_project(out / f"fly-s{services}", services)
    fly_argv = [str(bin_dir / "make-argocd-fly"), "--skip-latest-version-check", "--loglevel", "ERROR"]
    pairs = _pairs(fly_argv, ours_render, fly, repeat, scratch)
    rows.append(_row("render", "make-argocd-fly", 2 * services, documents, pairs))
    measure(ours_render, repo_root)

    builtin, one_kind, schema_name, count, kind_count = _builtin_files(
        rendered, out / f"validate-s{services}"
    )
    crd = ["--crd-dir", str(crd_dir)] if crd_dir else []
    files = sorted(str(p) for p in builtin.rglob("*.yaml"))
    ours_validate = [sys.executable, "-m", "generator", "validate", "--strict", *crd, "-q", str(builtin)]
    kv = [str(bin_dir / "kubernetes-validate"), "--strict", "--quiet", *files]
    pairs = _pairs(kv, ours_validate, repo_root, repeat, lambda: None)
    rows.append(_row("validate", "kubernetes-validate --strict", count, count, pairs))
    import kubernetes_validate  # the schemas ship with our own dependency too

    base = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
    schema = sorted(base.glob("*-local-strict"))[-1] / schema_name
    kind_files = sorted(str(p) for p in one_kind.rglob("*.yaml"))
    cj = [str(bin_dir / "check-jsonschema"), "--schemafile", str(schema), *kind_files]
    ours_kind = [sys.executable, "-m", "generator", "validate", "--strict", *crd, "-q", str(one_kind)]
    pairs = _pairs(cj, ours_kind, repo_root, repeat, lambda: None)
    what = f"check-jsonschema ({schema_name.removesuffix('.json')} only)"
    rows.append(_row("validate", what, kind_count, kind_count, pairs))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m generator.bench.peers", description=__doc__)
    parser.add_argument("--sizes", default="200", help="services per environment, comma-separated")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--venv", type=Path, default=Path(".venv-peers"))
    parser.add_argument("--out", type=Path, default=Path("bench-out/peers"))
    parser.add_argument("--crd-dir", type=Path, default=Path("../shared/crds"))
    parser.add_argument("--doc", type=Path, help="write the table into this Markdown file (between markers)")
    args = parser.parse_args(argv)
    repo_root = Path(__file__).resolve().parents[2]
    out = args.out.resolve()
    shutil.rmtree(out, ignore_errors=True)
    crd_dir = args.crd_dir.resolve() if args.crd_dir.is_dir() else None
    lines = [HEADER]
    print(HEADER, flush=True)
    for services in (int(s) for s in args.sizes.split(",") if s.strip()):
        for row in run(
            repo_root, out, services, repeat=args.repeat, venv=args.venv.resolve(), crd_dir=crd_dir
        ):
            lines.append(row)
            print(row, flush=True)
    if args.doc:
        from generator.bench.commands import update_doc

        command = "python -m generator.bench.peers " + " ".join(argv if argv is not None else sys.argv[1:])
        update_doc(args.doc, "\n".join(lines), command.strip(), markers=(MARKER_START, MARKER_END))
    return 0


if __name__ == "__main__":
    sys.exit(main())
