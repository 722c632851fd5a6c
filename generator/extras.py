"""Load stage for ``extraManifests``: a team's own Kubernetes objects, read as documents.

An environment (``extraManifests``) or one of its clusters (``topology.clusters.<c>.extraManifests``)
names a directory of the repository; its YAML files are read here, through the one YAML module
(``yamlread``: bounded, safe loader, so a ``!!python/object`` tag is a located error) and
``documents`` (empty documents skipped, ``*List`` flattened, ``apiVersion``/``kind`` required), and
handed to ``render``, which re-emits each object through the canonical dumper beside the generated
ones, where ``check`` validates and policy-checks it like the rest. Nothing is copied.

Refused, each as a user error (exit 2): a directory missing or outside the repository (through a
symlink too), a symlink leaving the repository or naming a directory, anything but regular files
and directories, a file that is not ``.yaml``/``.yml``, an object without ``metadata.name``, a
cluster-scoped object (``CLUSTER_SCOPED_KINDS``; ``render`` then keeps the rest to the platform's
namespaces). Names
starting with ``.`` are skipped (``.gitkeep``). Reads files; writes nothing.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from generator import documents, yamlread
from generator.documents import Document
from generator.errors import ErrorAt, GeneratorError, ManifestLoadError
from generator.location import YamlPath

__all__ = ["CLUSTER_SCOPED_KINDS", "load_extra_manifests"]

YAML_SUFFIXES = (".yaml", ".yml")

#: Cluster-scoped kinds (Kubernetes' own and the controllers' the platform runs), refused even with a
#: ``metadata.namespace`` (which the API server ignores for them): a ClusterRoleBinding or a webhook
#: acts on the whole cluster, beyond the namespaces the platform's policies cover. Any kind whose
#: name starts with ``Cluster`` is refused too.
CLUSTER_SCOPED_KINDS = frozenset(
    {
        "APIService",
        "CSIDriver",
        "CSINode",
        "CertificateSigningRequest",
        "CustomResourceDefinition",
        "DeviceClass",
        "EC2NodeClass",
        "FlowSchema",
        "IngressClass",
        "MutatingAdmissionPolicy",
        "MutatingAdmissionPolicyBinding",
        "MutatingWebhookConfiguration",
        "Namespace",
        "Node",
        "NodePool",
        "PersistentVolume",
        "PriorityClass",
        "PriorityLevelConfiguration",
        "RuntimeClass",
        "StorageClass",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "ValidatingWebhookConfiguration",
        "VolumeAttachment",
        "VolumeAttributesClass",
    }
)


def _refuse(message: str, shown: str, hint: str) -> GeneratorError:
    return ManifestLoadError(message, path=shown, hint=hint)


def _files(root: Path, base: Path) -> list[tuple[Path, str]]:
    """Every YAML file under ``base`` (sorted, depth first) with its repository-relative name."""
    real_root = root.resolve()
    out: list[tuple[Path, str]] = []
    for dirpath, dirnames, filenames in os.walk(base):  # never follows a symlinked directory
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted([*dirnames, *filenames]):
            if name.startswith("."):
                continue
            path = Path(dirpath) / name
            shown = path.relative_to(root).as_posix()
            mode = path.lstat().st_mode
            if stat.S_ISLNK(mode):
                target = path.resolve()
                if not target.is_relative_to(real_root):
                    raise _refuse(
                        f"symlink to {target}, outside the repository",
                        shown,
                        "keep extra manifests in the repository: a link out deploys what review never saw",
                    )
                if target.is_dir():
                    raise _refuse(
                        "symlink to a directory", shown, "move the files here, or name that directory"
                    )
                mode = target.stat().st_mode
            if stat.S_ISDIR(mode):
                continue
            if not stat.S_ISREG(mode):
                raise _refuse("not a regular file (a FIFO, socket or device)", shown, "remove it")
            if not name.endswith(YAML_SUFFIXES):
                raise _refuse(
                    "not a YAML file", shown, "only .yaml/.yml files of Kubernetes objects belong here"
                )
            out.append((path, shown))
    return out


def load_extra_manifests(root: Path, rel: str, at: YamlPath, error_at: ErrorAt) -> tuple[Document, ...]:
    """The objects of the directory ``rel`` (relative to ``root``), as documents named by their file.

    Args:
        root: the project root (the repository).
        rel: the directory, as the environment file writes it.
        at: where the environment file writes it (errors about the directory point there).
        error_at: builds an error located in the environment file.

    Raises:
        EnvFileError: the directory is missing or resolves outside the repository.
        ManifestLoadError: a file is refused (see the module docstring) or holds no valid object.
    """
    base = root / rel
    if not base.resolve().is_relative_to(root.resolve()):
        raise error_at(
            f"extraManifests {rel!r} resolves to {base.resolve()}, outside the repository",
            at,
            "name a directory inside the repository (not a symlink out of it)",
        )
    if not base.is_dir():
        raise error_at(
            f"extraManifests directory {rel!r} does not exist", at, "create it, or remove extraManifests"
        )
    out: list[Document] = []
    for path, shown in _files(root, base):
        text = yamlread.read_text(path, shown, ManifestLoadError)
        for doc in documents.load_file(shown, text=text):
            name = (doc.body.get("metadata") or {}).get("name")
            if not isinstance(name, str) or not name:
                raise ManifestLoadError(
                    f"{doc.kind} has no metadata.name",
                    path=shown,
                    line=doc.line,
                    hint="every object needs a name: it is what identifies it in the cluster",
                )
            if doc.kind in CLUSTER_SCOPED_KINDS or doc.kind.startswith("Cluster"):
                raise ManifestLoadError(
                    f"{doc.kind} {name} is cluster-scoped: extra manifests add namespaced objects to the "
                    "platform's namespaces, where its policies apply",
                    path=shown,
                    line=doc.line,
                    hint="cluster-wide objects belong in the templates (reviewed with the platform)",
                )
            out.append(doc)
    return tuple(out)
