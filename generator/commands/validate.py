"""``gitops-gen validate PATH...``: manifests against the Kubernetes schemas and CRDs, CEL included.

Parses flags and delegates to ``generator.schema``. Exit codes: 0 valid, 1 findings (errors; warnings
alone never fail), 2 usage or input errors (raised as ``GeneratorError``, turned into exit 2 by
``generator.cli.run``).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TextIO

from generator.errors import GeneratorError
from generator.findings import exit_code
from generator.report import FORMATS, get_formatter
from generator.schema import Options, validate_paths
from generator.schema.kube import nearest_shipped

__all__ = ["HELP", "NAME", "add_arguments", "declared_version", "default_crd_dirs", "run"]

NAME = "validate"
HELP = "Validate Kubernetes manifests against the API schemas and CRDs (CEL rules included)."
OUTPUTS = ("text", "json", "junit", "sarif")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="manifest files or directories (recursive)")
    parser.add_argument(
        "--crd-dir",
        action="append",
        default=[],
        metavar="DIR",
        help="directory of CRD YAML files, read in place (repeatable; default: $GITOPS_GEN_CRDS, "
        "else ../shared/crds when it exists)",
    )
    parser.add_argument(
        "--kubernetes-version",
        metavar="X.Y",
        help="Kubernetes version of the built-in schemas (default: the EKS version environments/*.yaml "
        "declare, else the newest kubernetes-validate ships)",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="reject unknown fields; unknown kinds and unevaluable CEL rules become errors",
    )
    parser.add_argument("--output", "-o", choices=OUTPUTS, default="text", help="output format")
    parser.add_argument(
        "--jobs", "-j", type=int, help="worker processes (default: all cores for large inputs)"
    )


def default_crd_dirs(given: list[str]) -> tuple[str, ...]:
    """``--crd-dir`` values, else ``$GITOPS_GEN_CRDS``, else ``../shared/crds`` if it exists."""
    if given:
        return tuple(given)
    env = os.environ.get("GITOPS_GEN_CRDS")
    if env:
        return (env,)
    fallback = Path("..") / "shared" / "crds"
    return (str(fallback),) if fallback.is_dir() else ()


def declared_version(env_dir: Path, stderr: TextIO) -> str | None:
    """The EKS version ``environments/`` declares (the newest if they differ), mapped to a shipped one.

    Only consulted when ``--kubernetes-version`` is not given and ``env_dir`` exists, so ``validate``
    stays usable on any manifests. An unreadable environment is reported and ignored here: the
    renderer is the place that rejects it.
    """
    if not env_dir.is_dir():
        return None
    from generator.load import list_environments, load_environment

    declared: set[tuple[int, int]] = set()
    try:
        for name in list_environments(env_dir):
            eks = load_environment(env_dir, name).data.get("eks") or {}
            head, _, tail = str(eks.get("version", "")).partition(".")
            if head.isdigit() and tail.isdigit():
                declared.add((int(head), int(tail)))
    except GeneratorError as e:
        stderr.write(f"note: EKS version not read from {env_dir} ({e.message}); using the newest schemas\n")
        return None
    if not declared:
        return None
    major, minor = max(declared)
    return nearest_shipped(f"{major}.{minor}")


def run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    version = args.kubernetes_version or declared_version(Path("environments"), stderr)
    options = Options(
        crd_dirs=default_crd_dirs(args.crd_dir),
        kubernetes_version=version,
        strict=args.strict,
    )
    result = validate_paths(args.paths, options, jobs=args.jobs)
    summary = result.summary(options)
    assert args.output in FORMATS
    stdout.write(get_formatter(args.output)(result.findings, summary, tool="gitops-gen validate"))
    if summary["unknown_kinds"] and not options.strict and args.output != "text":
        stderr.write(f"warning: {summary['unknown_kinds']} document(s) of unknown kinds were not validated\n")
    return exit_code(result.findings)
