"""``gitops-gen release status|start|approve|shift|finish|rollback ENV``: one command per release step.

Each step edits ``environments/ENV.yaml`` in place (ruamel.yaml round trip: only the changed
values differ), proves the new file (load, invariants, render) before writing anything, re-renders
that environment and prints what changed. Every refusal is exit 2 with one message and nothing
changed. ``status`` writes nothing. Parsing only: the steps live in ``generator.release.steps``.
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any, TextIO

from generator.errors import EnvFileError, UsageError
from generator.exitcode import ExitCode
from generator.model import Environment
from generator.pipeline import Project, edit_environment, load_env, selected_envs
from generator.release import steps
from generator.release.edit import apply_edits
from generator.release.state import CLUSTERS, ReleaseState

__all__ = ["HELP", "NAME", "add_arguments", "run", "status_data"]

NAME = "release"
HELP = "Move a dual environment's release one step: status, start, approve, shift, finish, rollback."
EXAMPLES = """
gitops-gen release status prod
gitops-gen release start prod --version 2026.43.0 --digest "ingest-api=sha256:$DIGEST"
gitops-gen release approve prod --by alice
gitops-gen release shift prod --step 10
gitops-gen release shift prod --weights even=50,odd=50
gitops-gen release finish prod
gitops-gen release rollback prod
"""
EXIT_1 = "not used (a refused step is a user error: exit 2, nothing changed)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="release_command", required=True)

    def step(name: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("env", metavar="ENV", help="environment name (environments/ENV.yaml)")
        return p

    status = step("status", "clusters, versions, phase, weights and the next allowed steps (writes nothing)")
    status.add_argument("--output", "-o", choices=("text", "json"), default="text")
    start = step(
        "start", "begin the next sprint on the idle cluster as beta (needs the current release live)"
    )
    start.add_argument("--version", required=True, metavar="V", help="image tag of the new release")
    start.add_argument(
        "--digest",
        action="append",
        default=[],
        metavar="SERVICE=sha256:HEX",
        help="image digest of SERVICE at V (repeatable; each service needs one with images.requireDigest)",
    )
    approve = step("approve", "record that beta validation passed (no traffic moves)")
    approve.add_argument("--by", metavar="NAME", help="who validated the beta (default: $USER)")
    shift = step("shift", "move production traffic between the clusters (after approval)")
    how = shift.add_mutually_exclusive_group(required=True)
    how.add_argument("--weights", metavar="even=N,odd=M", help="explicit weights adding up to 100")
    how.add_argument("--step", type=int, metavar="N", help="move N points toward the release cluster")
    step("finish", "the release cluster takes 100%% of production; phase live")
    step("rollback", "all production traffic back to the other cluster; release marked rolled back")


def status_data(env: Environment, state: ReleaseState) -> dict[str, Any]:
    """The ``release status --output json`` document (a stable contract)."""
    return {
        "environment": env.name,
        "sprint": state.sprint,
        "releaseCluster": state.cluster,
        "phase": state.phase,
        "shifting": state.shifting,
        "approvedBy": state.approved_by,
        "approvedVersion": state.approved_version,
        "clusters": [
            {
                "name": c,
                "version": state.versions[c],
                "weight": state.weights[c],
                "role": "release" if c == state.cluster else "previous",
            }
            for c in CLUSTERS
        ],
        "next": list(steps.NEXT_STEPS[state.phase]),
    }


def _status_text(doc: dict[str, Any]) -> str:
    phase = doc["phase"] + (" (shifting)" if doc["shifting"] else "")
    lines = [
        f"{doc['environment']}: sprint {doc['sprint']}, release cluster {doc['releaseCluster']}, {phase}"
    ]
    if doc["approvedBy"]:
        lines.append(f"  approved: {doc['approvedVersion']} by {doc['approvedBy']}")
    lines.append(f"  {'cluster':8} {'version':20} {'weight':>6}  role")
    for c in doc["clusters"]:
        lines.append(f"  {c['name']:8} {c['version']:20} {c['weight']:>6}  {c['role']}")
    lines.append(f"  next: {', '.join(doc['next'])}")
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    project = Project(args.root)
    (name,) = selected_envs(project, [args.env])
    loaded, env = load_env(project, name)

    def error_at(message: str, yaml_path: tuple[str | int, ...], hint: str | None) -> EnvFileError:
        return loaded.error(message, yaml_path, hint)

    command = args.release_command
    if command == "status":
        state = steps.require_dual(env, error_at)
        doc = status_data(env, state)
        stdout.write(json.dumps(doc, indent=2) + "\n" if args.output == "json" else _status_text(doc))
        return ExitCode.OK
    data = loaded.data
    if command == "start":
        digests = steps.parse_digests(args.digest, [s.name for s in env.services])
        step = steps.start(env, data, error_at, version=args.version, digests=digests)
    elif command == "approve":
        by = args.by or os.environ.get("USER", "")
        if not by:
            raise UsageError("who approves? pass --by NAME", hint="recorded as release.approvedBy")
        step = steps.approve(env, data, error_at, by=by)
    elif command == "shift":
        weights = steps.parse_weights(args.weights) if args.weights is not None else None
        step = steps.shift(env, data, error_at, weights=weights, step=args.step)
    elif command == "finish":
        step = steps.finish(env, data, error_at)
    else:
        step = steps.rollback(env, data, error_at)
    if not step.edits:
        stdout.write(f"{name}: nothing to change\n")
        return ExitCode.OK
    path = project.environments / f"{name}.yaml"
    text = apply_edits(path.read_text(encoding="utf-8"), step.edits, shown=loaded.file)
    new_env, report = edit_environment(project, name, text)
    stdout.write(f"{loaded.file}:\n")
    for line in step.changes:
        stdout.write(f"  {line}\n")
    stdout.write("rendered/:\n")
    for change in report.changes:
        if change.action != "identical":
            stdout.write(f"  {change.action:7} {change.path}\n")
    counts = ", ".join(f"{report.count(a)} {a}" for a in ("create", "update", "delete") if report.count(a))
    stdout.write(f"  {counts or 'no file changed'}\n")
    assert new_env.release is not None
    stdout.write(_status_text(status_data(new_env, new_env.release)))
    return ExitCode.OK
