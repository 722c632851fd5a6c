"""The Pod Security Standards controls, per Kubernetes version, as pure checks on a pod spec.

Each check yields violations ``(container image or None, field path, message)``. ``CHECKS`` lists
every check with its level, its ``exclude.controlName`` and its versions: ``(minimum minor, check)``
in ascending order, the way the upstream pod-security-admission library declares them
(``policy.DefaultChecks``). A later version of a check replaces an earlier one only when Kyverno
asks for ``latest``; see ``pss.active_checks`` for how a requested version picks versions.

Version facts (https://kubernetes.io/docs/concepts/security/pod-security-standards/ and the
pod-security-admission ``check_*.go`` files):

* restricted ``Privilege Escalation`` from v1.8, ``Seccomp`` from v1.19, ``Capabilities`` from
  v1.22, ``Running as Non-root user`` (``runAsUser``) from v1.23; from v1.25 those three first
  controls exempt Windows pods (``spec.os.name: windows``).
* baseline ``Seccomp`` reads the alpha annotations up to v1.18 and the fields from v1.19.
* baseline ``Sysctls`` allow-list grows in v1.27, v1.29 and v1.32; ``SELinux`` types gain
  ``container_engine_t`` in v1.31; ``Probes / Lifecycle Hooks`` must not set ``host`` from v1.34.
* v1.35 relaxes ``/proc Mount Type`` (baseline), ``Running as Non-root`` and ``runAsUser`` for
  pods in a user namespace (``spec.hostUsers: false``); restricted keeps ``procMount: Default``.

Pure; never raises on malformed resources. Must not evaluate levels or excludes (``pss`` does).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["CHECKS", "Check", "Control", "Violation"]

Violation = tuple[str | None, tuple[str | int, ...], str]
Control = Callable[[Mapping[str, Any], Mapping[str, Any]], Iterator[Violation]]
_SECTIONS = ("initContainers", "containers", "ephemeralContainers")
_BASELINE_CAPS = frozenset(
    {"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE",
     "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"}
)  # fmt: skip
_SYSCTLS_1_0 = frozenset(
    {"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
     "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range"}
)  # fmt: skip
_SYSCTLS_1_27 = _SYSCTLS_1_0 | {"net.ipv4.ip_local_reserved_ports"}
_SYSCTLS_1_29 = _SYSCTLS_1_27 | {
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
}
_SYSCTLS_1_32 = _SYSCTLS_1_29 | {"net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"}
# ``image`` volumes (KEP-4639) are allowed by the library's one restricted-volumes check.
_RESTRICTED_VOLUMES = frozenset(
    {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image", "persistentVolumeClaim",
     "projected", "secret"}
)  # fmt: skip
_SELINUX_1_0 = frozenset({"", "container_t", "container_init_t", "container_kvm_t"})
_SELINUX_1_31 = _SELINUX_1_0 | {"container_engine_t"}
_SECCOMP_OK = ("RuntimeDefault", "Localhost")
_SECCOMP_POD_ANNOTATION = "seccomp.security.alpha.kubernetes.io/pod"
_SECCOMP_CONTAINER_ANNOTATION = "container.seccomp.security.alpha.kubernetes.io/"
_APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/"


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _containers(spec: Mapping[str, Any]) -> Iterator[tuple[tuple[str | int, ...], Mapping[str, Any]]]:
    for section in _SECTIONS:
        items = spec.get(section)
        if isinstance(items, list):
            for i, c in enumerate(items):
                if isinstance(c, Mapping):
                    yield (section, i), c


def _items(value: Any) -> list[Any]:
    """A list field, or nothing when the resource holds another type there (never raise)."""
    return value if isinstance(value, list) else []


def _image(c: Mapping[str, Any]) -> str:
    return str(c.get("image", ""))


def _sc(c: Mapping[str, Any]) -> Mapping[str, Any]:
    return _map(c.get("securityContext"))


def _windows_exempt(check: Control) -> Control:
    """The v1.25 variant of a restricted check: Windows pods cannot set these Linux fields."""

    def checked(spec: Mapping[str, Any], meta: Mapping[str, Any]) -> Iterator[Violation]:
        if _map(spec.get("os")).get("name") != "windows":
            yield from check(spec, meta)

    return checked


def _userns_relaxed(check: Control) -> Control:
    """The v1.35 variant of a check that a pod in a user namespace (``hostUsers: false``) passes."""

    def checked(spec: Mapping[str, Any], meta: Mapping[str, Any]) -> Iterator[Violation]:
        if spec.get("hostUsers") is not False:
            yield from check(spec, meta)

    return checked


def _host_process(spec: Mapping[str, Any], meta: Mapping[str, Any]) -> Iterator[Violation]:
    if _map(_sc(spec).get("windowsOptions")).get("hostProcess") is True:
        yield None, ("securityContext", "windowsOptions", "hostProcess"), "hostProcess must not be true"
    for path, c in _containers(spec):
        if _map(_sc(c).get("windowsOptions")).get("hostProcess") is True:
            yield (
                _image(c),
                (*path, "securityContext", "windowsOptions", "hostProcess"),
                "hostProcess must not be true",
            )


def _host_namespaces(spec: Mapping[str, Any], meta: Mapping[str, Any]) -> Iterator[Violation]:
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(key) is True:
            yield None, (key,), f"{key} must not be true"


def _privileged(spec: Mapping[str, Any], meta: Mapping[str, Any]) -> Iterator[Violation]:
    for path, c in _containers(spec):
        if _sc(c).get("privileged") is True:
            yield _image(c), (*path, "securityContext", "privileged"), "privileged must not be true"


def _caps_baseline(spec: Mapping[str, Any], meta: Mapping[str, Any]) -> Iterator[Violation]:
    for path, c in _containers(spec):
        added = _map(_sc(c).get("capabilities")).get("add") or ()
        for j, cap in enumerate(added):
            if str(cap) not in _BASELINE_CAPS:
                where = (*path, "securityContext", "capabilities", "add", j)
                yield _image(c), where, f"capability {cap} must not be added"


def _host_path(spec: Mapping[str, Any], meta: Mapping[str, Any]) -> Iterator[Violation]:
    for i, vol in enumerate(_items(spec.get("volumes"))):
        if isinstance(vol, Mapping) and vol.get("hostPath") is not None:
            yield None, ("volumes", i, "hostPath"), "hostPath volumes are forbidden"


def _host_ports(spec: Mapping[str, Any], meta: Mapping[str, Any]) -> Iterator[Violation]:
    for path, c in _containers(spec):
        for j, port in enumerate(_items(c.get("ports"))):
            if isinstance(port, Mapping) and port.get("hostPort") not in (None, 0):
                yield _image(c), (*path, "ports", j, "hostPort"), "hostPort must be unset or 0"


def _host_probes(spec: Mapping[str, Any], meta: Mapping[str, Any]) -> Iterator[Violation]:
    """v1.34 (KEP-4940): probes and lifecycle handlers must not send to another ``host``."""
    for path, c in _containers(spec):
        handlers: list[tuple[tuple[str, ...], Any]] = [
            ((probe,), c.get(probe)) for probe in ("livenessProbe", "readinessProbe", "startupProbe")
        ]
        lifecycle = _map(c.get("lifecycle"))
        handlers += [(("lifecycle", hook), lifecycle.get(hook)) for hook in ("postStart", "preStop")]
        for where, handler in handlers:
            for action in ("httpGet", "tcpSocket"):
                host = _map(_map(handler).get(action)).get("host")
                if host:
                    yield _image(c), (*path, *where, action, "host"), f"{action}.host {host} is forbidden"


def _app_armor(spec: Mapping[str, Any], meta: Mapping[str, Any]) -> Iterator[Violation]:
    for key, value in _map(meta.get("annotations")).items():
        allowed = value in ("", "runtime/default") or str(value).startswith("localhost/")
        if str(key).startswith(_APPARMOR_ANNOTATION) and not allowed:
            yield None, ("metadata", "annotations", str(key)), f"AppArmor profile {value} is forbidden"
    profile = _map(_sc(spec).get("appArmorProfile")).get("type")
    if profile not in (None, "RuntimeDefault", "Localhost"):
        yield None, ("securityContext", "appArmorProfile", "type"), f"AppArmor profile {profile} is forbidden"
    for path, c in _containers(spec):
        profile = _map(_sc(c).get("appArmorProfile")).get("type")
        if profile not in (None, "RuntimeDefault", "Localhost"):
            yield (
                _image(c),
                (*path, "securityContext", "appArmorProfile", "type"),
                f"AppArmor profile {profile} is forbidden",
            )


def _selinux(types: frozenset[str]) -> Control:
    """The SELinux check with the allowed ``type`` values of one version."""

    def bad(options: Any) -> bool:
        opts = _map(options)
        return (
            str(opts.get("type", "") or "") not in types or bool(opts.get("user")) or bool(opts.get("role"))
        )

    def check(spec: Mapping[str, Any], meta: Mapping[str, Any]) -> Iterator[Violation]:
        if bad(_sc(spec).get("seLinuxOptions")):
            yield None, ("securityContext", "seLinuxOptions"), "seLinuxOptions type/user/role are forbidden"
        for path, c in _containers(spec):
            if bad(_sc(c).get("seLinuxOptions")):
                yield (
                    _image(c),
                    (*path, "securityContext", "seLinuxOptions"),
                    "seLinuxOptions type/user/role are forbidden",
                )

    return check


def _proc_mount(spec: Mapping[str, Any], meta: Mapping[str, Any]) -> Iterator[Violation]:
    for path, c in _containers(spec):
        if _sc(c).get("procMount") not in (None, "Default"):
            yield _image(c), (*path, "securityContext", "procMount"), "procMount must be Default"


def _seccomp_type(sc: Any) -> Any:
    return _map(_map(sc).get("seccompProfile")).get("type")


def _seccomp_annotations(spec: Mapping[str, Any], meta: Mapping[str, Any]) -> Iterator[Violation]:
    """v1.0–v1.18: the alpha annotations may only name the runtime default or a local profile."""
    annotations = _map(meta.get("annotations"))
    keys = [(None, _SECCOMP_POD_ANNOTATION)] + [
        (_image(c), _SECCOMP_CONTAINER_ANNOTATION + str(c.get("name", ""))) for _, c in _containers(spec)
    ]
    for image, key in keys:
        value = annotations.get(key)
        if value is not None and not (
            value in ("runtime/default", "docker/default") or str(value).startswith("localhost/")
        ):
            yield image, ("metadata", "annotations", key), f"seccomp profile {value} is forbidden"


def _seccomp_baseline(spec: Mapping[str, Any], meta: Mapping[str, Any]) -> Iterator[Violation]:
    if _seccomp_type(_sc(spec)) == "Unconfined":
        yield None, ("securityContext", "seccompProfile", "type"), "seccompProfile Unconfined is forbidden"
    for path, c in _containers(spec):
        if _seccomp_type(_sc(c)) == "Unconfined":
            yield (
                _image(c),
                (*path, "securityContext", "seccompProfile", "type"),
                "seccompProfile Unconfined is forbidden",
            )


def _sysctls(allowed: frozenset[str]) -> Control:
    """The sysctls check with the allow-list of one version."""

    def check(spec: Mapping[str, Any], meta: Mapping[str, Any]) -> Iterator[Violation]:
        for i, item in enumerate(_items(_sc(spec).get("sysctls"))):
            if isinstance(item, Mapping) and str(item.get("name")) not in allowed:
                yield None, ("securityContext", "sysctls", i), f"sysctl {item.get('name')} is forbidden"

    return check


def _volume_types(spec: Mapping[str, Any], meta: Mapping[str, Any]) -> Iterator[Violation]:
    for i, vol in enumerate(_items(spec.get("volumes"))):
        if isinstance(vol, Mapping):
            kinds = [k for k in vol if k != "name"]
            if any(k not in _RESTRICTED_VOLUMES for k in kinds):
                yield None, ("volumes", i), f"volume type {','.join(kinds)} is forbidden"


def _privilege_escalation(spec: Mapping[str, Any], meta: Mapping[str, Any]) -> Iterator[Violation]:
    for path, c in _containers(spec):
        if _sc(c).get("allowPrivilegeEscalation") is not False:
            yield (
                _image(c),
                (*path, "securityContext", "allowPrivilegeEscalation"),
                "allowPrivilegeEscalation must be false",
            )


def _run_as_non_root(spec: Mapping[str, Any], meta: Mapping[str, Any]) -> Iterator[Violation]:
    pod_level = _sc(spec).get("runAsNonRoot")
    if pod_level is False:
        yield None, ("securityContext", "runAsNonRoot"), "runAsNonRoot must not be false"
    for path, c in _containers(spec):
        value = _sc(c).get("runAsNonRoot")
        if value is False or (value is None and pod_level is not True):
            yield _image(c), (*path, "securityContext", "runAsNonRoot"), "runAsNonRoot must be true"


def _run_as_user(spec: Mapping[str, Any], meta: Mapping[str, Any]) -> Iterator[Violation]:
    if _sc(spec).get("runAsUser") == 0:
        yield None, ("securityContext", "runAsUser"), "runAsUser must not be 0"
    for path, c in _containers(spec):
        if _sc(c).get("runAsUser") == 0:
            yield _image(c), (*path, "securityContext", "runAsUser"), "runAsUser must not be 0"


def _seccomp_restricted(spec: Mapping[str, Any], meta: Mapping[str, Any]) -> Iterator[Violation]:
    pod_type = _seccomp_type(_sc(spec))
    if pod_type not in (None, *_SECCOMP_OK):
        yield None, ("securityContext", "seccompProfile", "type"), f"seccompProfile {pod_type} is forbidden"
    for path, c in _containers(spec):
        ctype = _seccomp_type(_sc(c))
        if ctype not in (None, *_SECCOMP_OK) or (ctype is None and pod_type is None):
            yield (
                _image(c),
                (*path, "securityContext", "seccompProfile", "type"),
                "seccompProfile must be RuntimeDefault or Localhost",
            )


def _caps_restricted(spec: Mapping[str, Any], meta: Mapping[str, Any]) -> Iterator[Violation]:
    for path, c in _containers(spec):
        caps = _map(_sc(c).get("capabilities"))
        if "ALL" not in [str(d) for d in caps.get("drop") or ()]:
            yield _image(c), (*path, "securityContext", "capabilities", "drop"), "capabilities must drop ALL"
        for j, cap in enumerate(_items(caps.get("add"))):
            if str(cap) != "NET_BIND_SERVICE":
                where = (*path, "securityContext", "capabilities", "add", j)
                yield _image(c), where, f"capability {cap} must not be added"


@dataclass(frozen=True, slots=True)
class Check:
    """One pod-security-admission check: its level, control and versions."""

    id: str
    """The library's check ID (``seccompProfile_baseline``), unique."""
    level: str
    """``baseline`` or ``restricted`` (restricted levels also run every baseline check)."""
    control: str
    """The control name as ``exclude.controlName`` spells it; two checks may share one."""
    versions: tuple[tuple[int, Control], ...]
    """``(minimum v1 minor version, check)``, ascending."""
    shadowed_by: tuple[str, int] | None = None
    """``(restricted check ID, minimum version)``: while that restricted check runs, this baseline
    check's versions from that minimum on are redundant (the restricted check is a superset under
    the same control name), so the engine skips them rather than report each violation twice."""


def _c(
    id_: str,
    level: str,
    control: str,
    *versions: tuple[int, Control],
    shadowed_by: tuple[str, int] | None = None,
) -> Check:
    return Check(id_, level, control, versions, shadowed_by)


CHECKS: tuple[Check, ...] = (
    _c("windowsHostProcess", "baseline", "HostProcess", (0, _host_process)),
    _c("hostNamespaces", "baseline", "Host Namespaces", (0, _host_namespaces)),
    _c("privileged", "baseline", "Privileged Containers", (0, _privileged)),
    _c(
        "capabilities_baseline",
        "baseline",
        "Capabilities",
        (0, _caps_baseline),
        shadowed_by=("capabilities_restricted", 0),
    ),
    _c("hostPathVolumes", "baseline", "HostPath Volumes", (0, _host_path)),
    _c("hostPorts", "baseline", "Host Ports", (0, _host_ports)),
    _c("hostProbesAndHostLifecycle", "baseline", "Probes / Lifecycle Hooks", (34, _host_probes)),
    _c("appArmorProfile", "baseline", "AppArmor", (0, _app_armor)),
    _c("seLinuxOptions", "baseline", "SELinux", (0, _selinux(_SELINUX_1_0)), (31, _selinux(_SELINUX_1_31))),
    _c("procMount", "baseline", "/proc Mount Type", (0, _proc_mount), (35, _userns_relaxed(_proc_mount))),
    _c(
        "seccompProfile_baseline",
        "baseline",
        "Seccomp",
        (0, _seccomp_annotations),
        (19, _seccomp_baseline),
        shadowed_by=("seccompProfile_restricted", 19),
    ),
    _c(
        "sysctls",
        "baseline",
        "Sysctls",
        (0, _sysctls(_SYSCTLS_1_0)),
        (27, _sysctls(_SYSCTLS_1_27)),
        (29, _sysctls(_SYSCTLS_1_29)),
        (32, _sysctls(_SYSCTLS_1_32)),
    ),
    _c("restrictedVolumes", "restricted", "Volume Types", (0, _volume_types)),
    _c(
        "allowPrivilegeEscalation",
        "restricted",
        "Privilege Escalation",
        (8, _privilege_escalation),
        (25, _windows_exempt(_privilege_escalation)),
    ),
    _c(
        "runAsNonRoot",
        "restricted",
        "Running as Non-root",
        (0, _run_as_non_root),
        (35, _userns_relaxed(_run_as_non_root)),
    ),
    _c(
        "runAsUser",
        "restricted",
        "Running as Non-root user",
        (23, _run_as_user),
        (35, _userns_relaxed(_run_as_user)),
    ),
    _c(
        "seccompProfile_restricted",
        "restricted",
        "Seccomp",
        (19, _seccomp_restricted),
        (25, _windows_exempt(_seccomp_restricted)),
    ),
    _c(
        "capabilities_restricted",
        "restricted",
        "Capabilities",
        (22, _caps_restricted),
        (25, _windows_exempt(_caps_restricted)),
    ),
    _c("procMount_restricted", "restricted", "/proc Mount Type", (35, _proc_mount)),
)
