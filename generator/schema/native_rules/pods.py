"""Pod specs as ``ValidatePodSpec`` checks them (k8s.io/kubernetes ``pkg/apis/core/validation``).

Applied to a Pod's ``spec`` and to the pod template of every workload kind. Each issue's rule
names the upstream Go function. Pure; skips values of the wrong type (the schema reports those).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from generator.schema.native_rules.fields import (
    Issue,
    Path,
    dns1123_label,
    iana_svc_name,
    port_num_or_name,
    port_number,
    quantity,
)

__all__ = ["check_pod_spec"]

_SECTIONS = ("initContainers", "containers", "ephemeralContainers")
_PROTOCOLS = ("TCP", "UDP", "SCTP")
_PULL_POLICIES = ("Always", "IfNotPresent", "Never")
_RESTART_POLICIES = ("Always", "OnFailure", "Never")
_DNS_POLICIES = ("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None")
_ENV_VAR_NAME = re.compile(r"[-._a-zA-Z][-._a-zA-Z0-9]*")
_TOLERATION_OPERATORS = ("Equal", "Exists")
_TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
_VOLUME_TYPES = frozenset(
    {
        "hostPath", "emptyDir", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "secret", "nfs",
        "iscsi", "glusterfs", "persistentVolumeClaim", "rbd", "flexVolume", "cinder", "cephfs", "flocker",
        "downwardAPI", "fc", "azureFile", "configMap", "vsphereVolume", "quobyte", "azureDisk",
        "photonPersistentDisk", "projected", "portworxVolume", "scaleIO", "storageos", "csi", "ephemeral",
        "image",
    }
)  # fmt: skip
_UNSATISFIABLE = ("DoNotSchedule", "ScheduleAnyway")


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _unsupported(value: Any, allowed: tuple[str, ...]) -> str:
    return f"Unsupported value: {value!r}: supported values: " + ", ".join(f'"{a}"' for a in allowed)


def _ports(container: Mapping[str, Any], path: Path) -> Iterator[Issue]:
    rule = "k8s:validateContainerPorts"
    for j, port in enumerate(_list(container.get("ports"))):
        if not isinstance(port, Mapping):
            continue
        where = (*path, "ports", j)
        for err in port_number(port.get("containerPort")):
            yield (*where, "containerPort"), rule, f"Invalid value: {port.get('containerPort')}: {err}"
        host = port.get("hostPort")
        if host not in (None, 0):
            for err in port_number(host):
                yield (*where, "hostPort"), rule, f"Invalid value: {host}: {err}"
        name = port.get("name")
        if isinstance(name, str) and name:
            for err in iana_svc_name(name):
                yield (*where, "name"), rule, f"Invalid value: {name!r}: {err}"
        protocol = port.get("protocol")
        if protocol is not None and protocol not in _PROTOCOLS:
            yield (*where, "protocol"), rule, _unsupported(protocol, _PROTOCOLS)


def _resources(container: Mapping[str, Any], path: Path) -> Iterator[Issue]:
    rule = "k8s:ValidateResourceRequirements"
    resources = _map(container.get("resources"))
    parsed: dict[str, dict[str, Any]] = {}
    for section in ("limits", "requests"):
        for name, value in _map(resources.get(section)).items():
            where = (*path, "resources", section, str(name))
            number, errs = quantity(value)
            for err in errs:
                yield where, rule, f"Invalid value: {value!r}: {err}"
            if number is not None and number < 0:
                yield where, rule, f"Invalid value: {value!r}: must be greater than or equal to 0"
            if number is not None:
                parsed.setdefault(section, {})[str(name)] = (number, value)
    for name, (request, text) in parsed.get("requests", {}).items():
        limit = parsed.get("limits", {}).get(name)
        if limit is not None and request > limit[0]:
            yield (
                (*path, "resources", "requests", name),
                rule,
                f"Invalid value: {text!r}: must be less than or equal to {name} limit of {limit[1]}",
            )


def _probe_port(action: Mapping[str, Any], where: Path, rule: str) -> Iterator[Issue]:
    port = action.get("port")
    for err in port_num_or_name(port):
        yield (*where, "port"), rule, f"Invalid value: {port!r}: {err}"


def _probes(container: Mapping[str, Any], path: Path) -> Iterator[Issue]:
    for probe_name in ("livenessProbe", "readinessProbe", "startupProbe"):
        probe = container.get(probe_name)
        if not isinstance(probe, Mapping):
            continue
        where = (*path, probe_name)
        for key in ("httpGet", "tcpSocket"):
            if isinstance(probe.get(key), Mapping):
                rule = "k8s:validateHTTPGetAction" if key == "httpGet" else "k8s:validateTCPSocketAction"
                yield from _probe_port(probe[key], (*where, key), rule)
        grpc = probe.get("grpc")
        if isinstance(grpc, Mapping):
            for err in port_number(grpc.get("port")):
                yield (
                    (*where, "grpc", "port"),
                    "k8s:validateGRPCAction",
                    f"Invalid value: {grpc.get('port')}: {err}",
                )
        threshold = probe.get("successThreshold")
        if probe_name != "readinessProbe" and isinstance(threshold, int) and threshold != 1:
            yield (*where, "successThreshold"), "k8s:validateProbe", f"Invalid value: {threshold}: must be 1"


def _env(container: Mapping[str, Any], path: Path) -> Iterator[Issue]:
    rule = "k8s:ValidateEnv"
    for j, var in enumerate(_list(container.get("env"))):
        if not isinstance(var, Mapping):
            continue
        name = var.get("name")
        if isinstance(name, str) and not _ENV_VAR_NAME.fullmatch(name):
            yield (
                (*path, "env", j, "name"),
                rule,
                f"Invalid value: {name!r}: a valid environment variable name must consist of alphabetic "
                "characters, digits, '_', '-', or '.', and must not start with a digit",
            )
        if var.get("value") and var.get("valueFrom") is not None:
            yield (
                (*path, "env", j, "valueFrom"),
                "k8s:validateEnvVarValueFrom",
                "Invalid value: may not be specified when `value` is not empty",
            )


def _container(container: Mapping[str, Any], path: Path, volumes: set[str]) -> Iterator[Issue]:
    name = container.get("name")
    if isinstance(name, str):
        for err in dns1123_label(name):
            yield (*path, "name"), "k8s:validateContainers", f"Invalid value: {name!r}: {err}"
    policy = container.get("imagePullPolicy")
    if policy is not None and policy not in _PULL_POLICIES:
        yield (*path, "imagePullPolicy"), "k8s:validatePullPolicy", _unsupported(policy, _PULL_POLICIES)
    yield from _ports(container, path)
    yield from _resources(container, path)
    yield from _probes(container, path)
    yield from _env(container, path)
    for j, mount in enumerate(_list(container.get("volumeMounts"))):
        mount_name = mount.get("name") if isinstance(mount, Mapping) else None
        if isinstance(mount_name, str) and mount_name not in volumes:
            yield (*path, "volumeMounts", j, "name"), "k8s:ValidateVolumeMounts", f"Not found: {mount_name!r}"


def _tolerations(spec: Mapping[str, Any], path: Path) -> Iterator[Issue]:
    rule = "k8s:ValidateTolerations"
    for i, tol in enumerate(_list(spec.get("tolerations"))):
        if not isinstance(tol, Mapping):
            continue
        where = (*path, "tolerations", i)
        operator = tol.get("operator")
        if operator is not None and operator not in _TOLERATION_OPERATORS:
            yield (*where, "operator"), rule, _unsupported(operator, _TOLERATION_OPERATORS)
        if operator == "Exists" and tol.get("value"):
            yield (*where, "operator"), rule, "Invalid value: value must be empty when `operator` is 'Exists'"
        if not tol.get("key") and operator not in (None, "Exists") and operator in _TOLERATION_OPERATORS:
            yield (*where, "operator"), rule, "Invalid value: operator must be Exists when `key` is empty"
        effect = tol.get("effect")
        if effect not in (None, "") and effect not in _TAINT_EFFECTS:
            yield (*where, "effect"), rule, _unsupported(effect, _TAINT_EFFECTS)


def check_pod_spec(
    spec: Any, path: Path, *, restart_policies: tuple[str, ...] = _RESTART_POLICIES
) -> Iterator[Issue]:
    """Issues of one pod spec at ``path``.

    ``restart_policies`` narrows the allowed restartPolicy (a Deployment's template allows only
    Always, a Job's OnFailure/Never).
    """
    if not isinstance(spec, Mapping):
        return
    volumes: set[str] = set()
    for i, volume in enumerate(_list(spec.get("volumes"))):
        name = volume.get("name") if isinstance(volume, Mapping) else None
        if isinstance(name, str):
            volumes.add(name)
            for err in dns1123_label(name):
                yield (*path, "volumes", i, "name"), "k8s:ValidateVolumes", f"Invalid value: {name!r}: {err}"
        if isinstance(volume, Mapping):
            sources = [k for k in volume if k in _VOLUME_TYPES]
            if not sources:
                yield (
                    (*path, "volumes", i),
                    "k8s:validateVolumeSource",
                    "Required value: must specify a volume type",
                )
            elif len(sources) > 1:
                yield (
                    (*path, "volumes", i, sources[1]),
                    "k8s:validateVolumeSource",
                    "Forbidden: may not specify more than 1 volume type",
                )
    seen: dict[str, Path] = {}
    for section in _SECTIONS:
        for i, container in enumerate(_list(spec.get(section))):
            if not isinstance(container, Mapping):
                continue
            where = (*path, section, i)
            name = container.get("name")
            if isinstance(name, str) and name in seen and seen[name][len(path)] != section:
                yield (*where, "name"), "k8s:validateContainers", f"Duplicate value: {name!r}"
            if isinstance(name, str):
                seen.setdefault(name, where)
            yield from _container(container, where, volumes)
    restart = spec.get("restartPolicy")
    if restart is not None and restart not in restart_policies:
        yield (*path, "restartPolicy"), "k8s:validateRestartPolicy", _unsupported(restart, restart_policies)
    dns = spec.get("dnsPolicy")
    if dns is not None and dns not in _DNS_POLICIES:
        yield (*path, "dnsPolicy"), "k8s:validateDNSPolicy", _unsupported(dns, _DNS_POLICIES)
    grace = spec.get("terminationGracePeriodSeconds")
    if isinstance(grace, int) and not isinstance(grace, bool) and grace < 0:
        yield (
            (*path, "terminationGracePeriodSeconds"),
            "k8s:ValidatePodSpec",
            f"Invalid value: {grace}: must be greater than or equal to 0",
        )
    deadline = spec.get("activeDeadlineSeconds")
    if isinstance(deadline, int) and not isinstance(deadline, bool) and deadline <= 0:
        yield (
            (*path, "activeDeadlineSeconds"),
            "k8s:ValidatePodSpec",
            f"Invalid value: {deadline}: must be greater than 0",
        )
    yield from _tolerations(spec, path)
    yield from _spread(spec, path)


def _spread(spec: Mapping[str, Any], path: Path) -> Iterator[Issue]:
    rule = "k8s:validateTopologySpreadConstraints"
    for i, constraint in enumerate(_list(spec.get("topologySpreadConstraints"))):
        if not isinstance(constraint, Mapping):
            continue
        where = (*path, "topologySpreadConstraints", i)
        skew = constraint.get("maxSkew")
        if isinstance(skew, int) and not isinstance(skew, bool) and skew <= 0:
            yield (*where, "maxSkew"), rule, f"Invalid value: {skew}: must be greater than zero"
        if not constraint.get("topologyKey"):
            yield (*where, "topologyKey"), rule, "Required value: can not be empty"
        action = constraint.get("whenUnsatisfiable")
        if action not in _UNSATISFIABLE:
            yield (*where, "whenUnsatisfiable"), rule, _unsupported(action, _UNSATISFIABLE)
        domains = constraint.get("minDomains")
        if domains is not None and isinstance(domains, int) and domains <= 0:
            yield (*where, "minDomains"), rule, f"Invalid value: {domains}: must be greater than zero"
        if domains is not None and action != "DoNotSchedule":
            yield (
                (*where, "minDomains"),
                rule,
                "Invalid value: can only use minDomains if whenUnsatisfiable=DoNotSchedule",
            )
