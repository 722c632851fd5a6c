"""API-server validation of built-in kinds that no schema carries (issue 15).

The OpenAPI schemas give types; the API server also runs hand-written Go validation
(k8s.io/kubernetes ``pkg/apis/<group>/validation/validation.go``) that rejects, at sync time, what
a schema validator accepts: a Service port of 80800, a selector that does not match the template
labels, an HPA whose minReplicas exceeds maxReplicas, ``policyTypes: [ingress]``, a ``512MB``
memory limit. ``check_native`` runs those rules for one built-in object and yields
``(yaml_path, "k8s:<Go function>", message)``; ``COVERED`` lists the kinds. Pure; never raises on
a malformed body (the schema reports types).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from generator.schema.native_rules.fields import Issue
from generator.schema.native_rules.network import NETWORK
from generator.schema.native_rules.others import OTHERS
from generator.schema.native_rules.workloads import WORKLOADS

__all__ = ["COVERED", "CUSTOM", "check_native"]

_CHECKS: dict[str, Callable[[Mapping[str, Any]], Iterator[Issue]]] = {**WORKLOADS, **NETWORK, **OTHERS}
COVERED = frozenset(_CHECKS)
"""Built-in kinds with API-server rules here."""
#: Custom kinds whose controller creates a built-in object from them: (API group, kind) → the
#: built-in kind whose rules apply. An Argo Rollout's pod template becomes a ReplicaSet's, which
#: the API server rejects with the ReplicaSet's rules: the rollout then stalls after the sync.
CUSTOM: dict[tuple[str, str], str] = {("argoproj.io", "Rollout"): "ReplicaSet"}


def check_native(body: Mapping[str, Any], kind: str, *, group: str | None = None) -> Iterator[Issue]:
    """The API-server validation issues of one object (none for kinds not covered).

    ``group`` None means a built-in kind; a custom resource's group selects ``CUSTOM``.
    """
    target = kind if group is None else CUSTOM.get((group, kind))
    check = _CHECKS.get(target) if target else None
    if check is not None:
        yield from check(body)
