"""CEL policy kinds (issue 15): Kyverno ``ValidatingPolicy`` and Kubernetes ``ValidatingAdmissionPolicy``.

``cel_policies_from_documents`` loads them (with VAP bindings and Pod-controller autogen copies);
``evaluate_cel_policy`` gives the response for one resource. Both pure; ``generator.policy``'s
``kyverno test`` runner and ``policy apply`` call them beside the ClusterPolicy engine.
"""

from generator.policy.vpol.evaluate import CelAdmission, evaluate_cel_policy
from generator.policy.vpol.load import (
    CEL_POLICY_KINDS,
    cel_policies_from_documents,
    is_cel_policy,
    load_cel_policies,
)
from generator.policy.vpol.model import CelPolicy

__all__ = [
    "CEL_POLICY_KINDS",
    "CelAdmission",
    "CelPolicy",
    "cel_policies_from_documents",
    "evaluate_cel_policy",
    "is_cel_policy",
    "load_cel_policies",
]
