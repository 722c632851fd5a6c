"""Kyverno ``mutate`` rules applied offline (issue 15).

patchStrategicMerge with anchors, patchesJson6902 and foreach, chained rule after rule and policy
after policy. ``mutate_resource``/``mutate_all`` are the entry points.
"""

from generator.policy.mutate.rules import mutate_all, mutate_resource

__all__ = ["mutate_all", "mutate_resource"]
