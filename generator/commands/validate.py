"""``gitops-gen validate PATH...``: manifests against the Kubernetes schemas and CRDs, CEL included.

Parses flags and delegates to ``generator.schema``. Exit codes: 0 valid, 1 findings (errors; warnings
alone never fail), 2 usage or input errors (raised as ``GeneratorError``, turned into exit 2 by
``generator.cli.run``).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from generator.errors import EnvFileError
from generator.findings import exit_code
from generator.gate.report import FORMATS, get_formatter
from generator.load import list_environments, load_merged

__all__ = [
    "HELP",
    "NAME",
    "add_arguments",
    "add_crd_dir_option",
    "declared_version",
    "default_crd_dirs",
    "run",
]

NAME = "validate"
HELP = "Validate Kubernetes manifests against the API schemas and CRDs (CEL rules included)."
OUTPUTS = ("text", "json", "junit", "sarif")
EXAMPLES = """
gitops-gen validate rendered/ --strict
gitops-gen validate a.yaml dir/ --crd-dir ../shared/crds --kubernetes-version 1.33 --output sarif
"""
EXIT_1 = "a manifest is invalid (warnings alone never fail)"


def add_crd_dir_option(parser: argparse.ArgumentParser) -> None:
    """``--crd-dir``, shared with ``check``: CRDs are read in place, never copied."""
    parser.add_argument(
        "--crd-dir",
        action="append",
        default=[],
        metavar="DIR",
        help="directory of CRD YAML files, read in place (repeatable; default: $GITOPS_GEN_CRDS, "
        "else ../shared/crds when it exists)",
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="manifest files or directories (recursive)")
    add_crd_dir_option(parser)
    parser.add_argument(
        "--kubernetes-version",
        metavar="X.Y",
        help="Kubernetes version of the built-in schemas (default: the EKS version environments/*.yaml "
        "declare, else the newest kubernetes-validate ships)",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="unknown fields, kinds without a schema and CEL rules that cannot be compiled are errors "
        "(without it: warnings)",
    )
    parser.add_argument("--output", "-o", choices=OUTPUTS, default="text", help="output format")
    parser.add_argument(
        "--jobs", "-j", type=int, help="worker processes (default: all cores for large inputs)"
    )


def default_crd_dirs(given: list[str], root: Path = Path(".")) -> tuple[str, ...]:
    """``--crd-dir`` values, else ``$GITOPS_GEN_CRDS``, else ``<root>/../shared/crds`` if it exists."""
    if given:
        return tuple(given)
    env = os.environ.get("GITOPS_GEN_CRDS")
    if env:
        return (env,)
    fallback = root / ".." / "shared" / "crds"
    return (str(fallback),) if fallback.is_dir() else ()


def _eks_version(env_dir: Path, name: str) -> tuple[int, int] | None:
    """``eks.version`` of one environment as the load stage merges it (its ``extends`` chain applied)."""
    data = load_merged(env_dir, name, shown_root=env_dir.parent).data
    eks = data.get("eks")
    head, _, tail = str(eks.get("version", "") if isinstance(eks, Mapping) else "").partition(".")
    return (int(head), int(tail)) if head.isdigit() and tail.isdigit() else None


def declared_version(env_dir: Path, stderr: TextIO) -> str | None:
    """The EKS version ``environments/`` declares (the newest if they differ), mapped to a shipped one.

    Only consulted when ``--kubernetes-version`` is not given and ``env_dir`` exists, so ``validate``
    stays usable on any manifests. Each environment is read and merged by the load stage
    (``generator.load.load_merged``), the one reader of environment files, so a version set in a
    file it extends counts; its schema is not checked (that would cost more than validating a
    200-service fleet's built-in kinds), so a malformed ``eks.version`` counts as none. An
    environment that does not read or merge is reported and ignored here: the renderer is the
    place that rejects it.
    """
    if not env_dir.is_dir():
        return None
    declared: set[tuple[int, int]] = set()
    try:
        for name in list_environments(env_dir):
            own = _eks_version(env_dir, name)
            if own is not None:
                declared.add(own)
    except EnvFileError as e:
        where = f"{e.location or ''}: {e.message}"
        stderr.write(f"note: EKS version not read from {env_dir} ({where}); using the newest schemas\n")
        return None
    if not declared:
        return None
    from generator.schema.kube import nearest_shipped

    major, minor = max(declared)
    return nearest_shipped(f"{major}.{minor}")


def run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    # imported here: `gitops-gen --help` and the other commands need not load the schema engine
    from generator.schema import Options, validate_paths

    options = Options(
        crd_dirs=default_crd_dirs(args.crd_dir, args.root),
        kubernetes_version=args.kubernetes_version,
        strict=args.strict,
    )

    def declared() -> str | None:  # decided while the workers read the manifests
        return declared_version(args.root / "environments", stderr)

    version = None if args.kubernetes_version else declared
    result = validate_paths(args.paths, options, jobs=args.jobs, version=version)
    summary = result.summary(options)
    assert args.output in FORMATS
    stdout.write(get_formatter(args.output)(result.findings, summary, tool="gitops-gen validate"))
    if summary["unknown_kinds"] and not options.strict and args.output != "text" and not args.quiet:
        stderr.write(f"warning: {summary['unknown_kinds']} document(s) of unknown kinds were not validated\n")
    return exit_code(result.findings)
