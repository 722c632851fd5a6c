"""Operator Helm values as environments declare them: ``${placeholder}`` strings expanded per cluster.

Model-stage helper (imports nothing from ``generator``): an environment file states each operator's
Helm values once, in ``argocd.operators.<name>.values``; what differs per cluster (EKS cluster name,
IRSA role, TXT owner) is written as a placeholder and expanded when the cluster's ``Application``
is rendered. Only the names in ``PLACEHOLDERS`` exist, so a typo is an environment-file error, not a
literal ``${clustername}`` shipped to a controller.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from generator.location import YamlPath

__all__ = ["PLACEHOLDERS", "expand", "placeholders_in"]

#: Every placeholder an operator value may use, with what it becomes (README lists the same).
PLACEHOLDERS: Mapping[str, str] = {
    "env": "the environment's name",
    "cluster": "the cluster's name in the environment (main, even, odd)",
    "clusterName": "the EKS cluster name (topology.clusters.<c>.eksClusterName)",
    "region": "aws.region",
    "accountId": "aws.accountId",
    "kmsKeyArn": "aws.kmsKeyArn",
    "dnsZone": "dns.zone",
    "vpcId": "topology.clusters.<c>.vpcId",
    "operator": "the operator's name (its key under argocd.operators)",
    "roleArn": "arn:aws:iam::<accountId>:role/<clusterName>-<operator>: the operator's IRSA role",
    "proxyHostname": "kong-<env>-<cluster>.<dns.zone>: the DNS name ExternalDNS publishes for the cluster's "
    "Kong proxy load balancer (the target of the cluster's Route 53 records)",
}

_PATTERN = re.compile(r"\$\{([^}]*)\}")


def placeholders_in(values: Any, path: YamlPath = ()) -> Iterator[tuple[YamlPath, str]]:
    """Every ``(yaml path, placeholder name)`` in ``values`` (keys are never expanded)."""
    if isinstance(values, Mapping):
        for key, value in values.items():
            yield from placeholders_in(value, (*path, key))
    elif isinstance(values, list):
        for i, value in enumerate(values):
            yield from placeholders_in(value, (*path, i))
    elif isinstance(values, str):
        for match in _PATTERN.finditer(values):
            yield path, match.group(1)


def expand(values: Any, variables: Mapping[str, str]) -> Any:
    """``values`` with every ``${name}`` replaced by ``variables[name]`` (a new structure).

    Raises:
        KeyError: a placeholder without a value (the model validates them before rendering).
    """
    if isinstance(values, Mapping):
        return {key: expand(value, variables) for key, value in values.items()}
    if isinstance(values, list):
        return [expand(value, variables) for value in values]
    if isinstance(values, str):
        return _PATTERN.sub(lambda m: variables[m.group(1)], values)
    return values
