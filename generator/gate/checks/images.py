"""Cross-resource check ``image-registries``: images come from the environment's own registries.

Stage: beside ``generator.gate.checks.cluster`` (same inputs and outputs, pure). Unlike the other checks it
needs the environment file's settings (``images.registries``, ``images.requireDigest``), so it runs
only where the environment is known (``gitops-gen check``), not on a bare rendered tree.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from generator.findings import Finding
from generator.gate.checks.cluster import POD_TEMPLATE_KINDS, ClusterView, finding, get_path, list_of
from generator.manifest import Manifest

__all__ = ["check_image_registries"]


def _pod_specs(m: Manifest) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    if m.kind in POD_TEMPLATE_KINDS:
        yield ("spec", "template", "spec"), get_path(m.body, "spec", "template", "spec")
    elif m.kind == "CronJob":
        path = ("spec", "jobTemplate", "spec", "template", "spec")
        yield path, get_path(m.body, *path)
    elif m.kind == "Pod":
        yield ("spec",), get_path(m.body, "spec")


def check_image_registries(
    view: ClusterView, registries: Iterable[str], require_digest: bool
) -> Iterator[Finding]:
    """Images come from the environment's own registries (``images.registries``), by digest where required.

    The Kyverno policy ``restrict-images`` knows only the platform-wide rule (ECR, tagged, digests in
    prod); the environment's exact list is known here, from the environment file.
    """
    prefixes = tuple(f"{r.rstrip('/')}/" for r in registries)
    for m in view.manifests:
        for base, spec in _pod_specs(m):
            for field_name in ("initContainers", "containers", "ephemeralContainers"):
                for i, container in enumerate(list_of(get_path(spec, field_name))):
                    image = get_path(container, "image")
                    if not isinstance(image, str):
                        continue
                    path = (*base, field_name, i, "image")
                    if not image.startswith(prefixes):
                        yield finding(
                            m,
                            path,
                            "image-registries",
                            f"image {image!r} is not from a registry of environment {view.env} "
                            f"(images.registries: {', '.join(sorted(registries))}).",
                        )
                    elif require_digest and "@sha256:" not in image:
                        yield finding(
                            m,
                            path,
                            "image-registries",
                            f"image {image!r} has no digest; environment {view.env} sets "
                            "images.requireDigest.",
                        )
