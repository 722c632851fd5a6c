"""Service, Ingress and NetworkPolicy as the API server validates them.

``pkg/apis/core/validation`` (``ValidateService``) and ``pkg/apis/networking/validation``
(``ValidateIngressSpec``, ``ValidateNetworkPolicySpec``). Pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from generator.schema.native_rules.fields import (
    Issue,
    Path,
    cidr,
    dns1123_label,
    dns1123_subdomain,
    iana_svc_name,
    label_selector,
    port_num_or_name,
    port_number,
)

__all__ = ["NETWORK"]

_PROTOCOLS = ("TCP", "UDP", "SCTP")
_SERVICE_TYPES = ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName")
_PATH_TYPES = ("Exact", "Prefix", "ImplementationSpecific")
_POLICY_TYPES = ("Ingress", "Egress")
_WILDCARD_HOST = re.compile(r"\*\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _unsupported(value: Any, allowed: tuple[str, ...]) -> str:
    return f"Unsupported value: {value!r}: supported values: " + ", ".join(f'"{a}"' for a in allowed)


def _service_port(port: Mapping[str, Any], where: Path, named: bool) -> Iterator[Issue]:
    rule = "k8s:validateServicePort"
    name = port.get("name")
    if named and not name:
        yield (*where, "name"), rule, "Required value"
    elif isinstance(name, str) and name:
        for err in dns1123_label(name):
            yield (*where, "name"), rule, f"Invalid value: {name!r}: {err}"
    for err in port_number(port.get("port")):
        yield (*where, "port"), rule, f"Invalid value: {port.get('port')}: {err}"
    protocol = port.get("protocol")
    if protocol is not None and protocol not in _PROTOCOLS:
        yield (*where, "protocol"), rule, _unsupported(protocol, _PROTOCOLS)
    target = port.get("targetPort")
    if target is not None:
        for err in port_num_or_name(target):
            yield (*where, "targetPort"), rule, f"Invalid value: {target!r}: {err}"
    node_port = port.get("nodePort")
    if node_port not in (None, 0):
        for err in port_number(node_port):
            yield (*where, "nodePort"), rule, f"Invalid value: {node_port}: {err}"


def _service(body: Mapping[str, Any]) -> Iterator[Issue]:
    spec = body.get("spec")
    if not isinstance(spec, Mapping):
        return
    kind = spec.get("type", "ClusterIP")
    if kind not in _SERVICE_TYPES:
        yield ("spec", "type"), "k8s:ValidateService", _unsupported(kind, _SERVICE_TYPES)
    ports = _list(spec.get("ports"))
    if kind != "ExternalName" and not ports and spec.get("clusterIP") != "None":
        yield ("spec", "ports"), "k8s:ValidateService", "Required value"
    if kind == "ExternalName":
        external = spec.get("externalName")
        if not external:
            yield ("spec", "externalName"), "k8s:ValidateService", "Required value"
        elif isinstance(external, str):
            for err in dns1123_subdomain(external.removesuffix(".")):
                yield ("spec", "externalName"), "k8s:ValidateService", f"Invalid value: {external!r}: {err}"
    names: set[str] = set()
    for i, port in enumerate(ports):
        if not isinstance(port, Mapping):
            continue
        yield from _service_port(port, ("spec", "ports", i), named=len(ports) > 1)
        name = port.get("name")
        if isinstance(name, str) and name:
            if name in names:
                yield ("spec", "ports", i, "name"), "k8s:ValidateService", f"Duplicate value: {name!r}"
            names.add(name)
        if kind == "ClusterIP" and port.get("nodePort") not in (None, 0):
            yield (
                ("spec", "ports", i, "nodePort"),
                "k8s:ValidateService",
                "Forbidden: may not be used when `type` is 'ClusterIP'",
            )
    for key, allowed in (
        ("sessionAffinity", ("ClientIP", "None")),
        ("externalTrafficPolicy", ("Cluster", "Local")),
        ("internalTrafficPolicy", ("Cluster", "Local")),
    ):
        value = spec.get(key)
        if value is not None and value not in allowed:
            yield ("spec", key), "k8s:ValidateService", _unsupported(value, allowed)
    if spec.get("externalTrafficPolicy") is not None and kind not in ("NodePort", "LoadBalancer"):
        yield (
            ("spec", "externalTrafficPolicy"),
            "k8s:validateServiceExternalTrafficPolicy",
            "Invalid value: may only be set when `type` is 'NodePort' or 'LoadBalancer'",
        )


def _backend(backend: Any, where: Path) -> Iterator[Issue]:
    if not isinstance(backend, Mapping):
        return
    rule = "k8s:validateIngressBackend"
    service = backend.get("service")
    if isinstance(service, Mapping):
        name = service.get("name")
        if isinstance(name, str):
            for err in dns1123_label(name):
                yield (*where, "service", "name"), rule, f"Invalid value: {name!r}: {err}"
        port = service.get("port")
        if isinstance(port, Mapping):
            if port.get("name") and port.get("number") is not None:
                yield (
                    (*where, "service", "port"),
                    rule,
                    "Invalid value: cannot set both port name & port number",
                )
            elif isinstance(port.get("name"), str):
                for err in iana_svc_name(port["name"]):
                    yield (*where, "service", "port", "name"), rule, f"Invalid value: {port['name']!r}: {err}"
            elif port.get("number") is not None:
                for err in port_number(port.get("number")):
                    yield (
                        (*where, "service", "port", "number"),
                        rule,
                        f"Invalid value: {port.get('number')}: {err}",
                    )
            else:
                yield (*where, "service", "port"), rule, "Required value: port name or number is required"
        if backend.get("resource") is not None:
            yield where, rule, "Invalid value: cannot set both resource and service backends"


def _ingress(body: Mapping[str, Any]) -> Iterator[Issue]:
    spec = body.get("spec")
    if not isinstance(spec, Mapping):
        return
    class_name = spec.get("ingressClassName")
    if isinstance(class_name, str):
        for err in dns1123_subdomain(class_name):
            yield (
                ("spec", "ingressClassName"),
                "k8s:ValidateIngressSpec",
                f"Invalid value: {class_name!r}: {err}",
            )
    yield from _backend(spec.get("defaultBackend"), ("spec", "defaultBackend"))
    for i, tls in enumerate(_list(spec.get("tls"))):
        for j, host in enumerate(_list(tls.get("hosts") if isinstance(tls, Mapping) else None)):
            yield from _host(host, ("spec", "tls", i, "hosts", j), "k8s:validateIngressTLS")
    for i, rule in enumerate(_list(spec.get("rules"))):
        if not isinstance(rule, Mapping):
            continue
        where: Path = ("spec", "rules", i)
        if rule.get("host") is not None:
            yield from _host(rule.get("host"), (*where, "host"), "k8s:validateIngressRules")
        http = rule.get("http")
        for j, entry in enumerate(_list(http.get("paths") if isinstance(http, Mapping) else None)):
            if isinstance(entry, Mapping):
                yield from _http_path(entry, (*where, "http", "paths", j))


def _host(host: Any, where: Path, rule: str) -> Iterator[Issue]:
    if not isinstance(host, str):
        return
    if host.startswith("*"):
        if not _WILDCARD_HOST.fullmatch(host):
            yield (
                where,
                rule,
                f"Invalid value: {host!r}: a wildcard DNS-1123 subdomain must start with '*.',"
                " followed by a valid DNS subdomain",
            )
        return
    for err in dns1123_subdomain(host):
        yield where, rule, f"Invalid value: {host!r}: {err}"
    if host.replace(".", "").isdigit():
        yield where, rule, f"Invalid value: {host!r}: must be a DNS name, not an IP address"


def _http_path(entry: Mapping[str, Any], where: Path) -> Iterator[Issue]:
    rule = "k8s:validateHTTPIngressPath"
    path_type = entry.get("pathType")
    if path_type is None:
        yield (*where, "pathType"), rule, "Required value: pathType must be specified"
    elif path_type not in _PATH_TYPES:
        yield (*where, "pathType"), rule, _unsupported(path_type, _PATH_TYPES)
    path = entry.get("path")
    if path_type in ("Exact", "Prefix"):
        if not isinstance(path, str) or not path.startswith("/"):
            yield (*where, "path"), rule, f"Invalid value: {path!r}: must be an absolute path"
        elif "//" in path:
            yield (*where, "path"), rule, f"Invalid value: {path!r}: must not contain '//'"
    elif isinstance(path, str) and path and not path.startswith("/"):
        yield (*where, "path"), rule, f"Invalid value: {path!r}: must be an absolute path"
    yield from _backend(entry.get("backend"), (*where, "backend"))


def _policy_ports(ports: Any, where: Path) -> Iterator[Issue]:
    rule = "k8s:ValidateNetworkPolicyPort"
    for i, port in enumerate(_list(ports)):
        if not isinstance(port, Mapping):
            continue
        protocol = port.get("protocol")
        if protocol is not None and protocol not in _PROTOCOLS:
            yield (*where, i, "protocol"), rule, _unsupported(protocol, _PROTOCOLS)
        value = port.get("port")
        for err in port_num_or_name(value):
            yield (*where, i, "port"), rule, f"Invalid value: {value!r}: {err}"
        end = port.get("endPort")
        if end is not None:
            if not isinstance(value, int) or isinstance(value, bool):
                yield (*where, i, "endPort"), rule, "Required value: must be set only when `port` is a number"
            elif isinstance(end, int) and end < value:
                yield (
                    (*where, i, "endPort"),
                    rule,
                    f"Invalid value: {end}: must be greater than or equal to `port`",
                )


def _peers(peers: Any, where: Path) -> Iterator[Issue]:
    rule = "k8s:ValidateNetworkPolicyPeer"
    for i, peer in enumerate(_list(peers)):
        if not isinstance(peer, Mapping):
            continue
        set_fields = [k for k in ("podSelector", "namespaceSelector", "ipBlock") if peer.get(k) is not None]
        if "ipBlock" in set_fields and len(set_fields) > 1:
            yield (*where, i), rule, "Forbidden: may not specify more than 1 peer when `ipBlock` is set"
        for key in ("podSelector", "namespaceSelector"):
            yield from label_selector(peer.get(key), (*where, i, key), "k8s:ValidateLabelSelector")
        block = peer.get("ipBlock")
        if isinstance(block, Mapping):
            yield from _ip_block(block, (*where, i, "ipBlock"))


def _ip_block(block: Mapping[str, Any], where: Path) -> Iterator[Issue]:
    import ipaddress

    rule = "k8s:ValidateIPBlock"
    base = block.get("cidr")
    if not base:
        yield (*where, "cidr"), rule, "Required value"
        return
    errs = cidr(base)
    for err in errs:
        yield (*where, "cidr"), rule, f"Invalid value: {base!r}: {err}"
    for j, exc in enumerate(_list(block.get("except"))):
        exc_errs = cidr(exc)
        for err in exc_errs:
            yield (*where, "except", j), rule, f"Invalid value: {exc!r}: {err}"
        if not errs and not exc_errs and isinstance(base, str) and isinstance(exc, str):
            outer = ipaddress.ip_network(str(base), strict=False)
            inner = ipaddress.ip_network(str(exc), strict=False)
            if inner.version != outer.version or not inner.subnet_of(outer) or inner == outer:  # type: ignore[arg-type]
                yield (
                    (*where, "except", j),
                    rule,
                    f"Invalid value: {exc!r}: must be a strict subset of `cidr`",
                )


def _network_policy(body: Mapping[str, Any]) -> Iterator[Issue]:
    spec = body.get("spec")
    if not isinstance(spec, Mapping):
        return
    yield from label_selector(spec.get("podSelector"), ("spec", "podSelector"), "k8s:ValidateLabelSelector")
    types = _list(spec.get("policyTypes"))
    for i, kind in enumerate(types):
        if kind not in _POLICY_TYPES:
            yield (
                ("spec", "policyTypes", i),
                "k8s:ValidateNetworkPolicySpec",
                _unsupported(kind, _POLICY_TYPES),
            )
    if len(types) > 2:
        yield (
            ("spec", "policyTypes"),
            "k8s:ValidateNetworkPolicySpec",
            "Invalid value: may not specify more than two policyTypes",
        )
    for direction, peers in (("ingress", "from"), ("egress", "to")):
        for i, rule in enumerate(_list(spec.get(direction))):
            if isinstance(rule, Mapping):
                yield from _policy_ports(rule.get("ports"), ("spec", direction, i, "ports"))
                yield from _peers(rule.get(peers), ("spec", direction, i, peers))


NETWORK = {"Service": _service, "Ingress": _ingress, "NetworkPolicy": _network_policy}
"""kind → checker (core ``Service``, networking ``Ingress``/``NetworkPolicy``)."""
