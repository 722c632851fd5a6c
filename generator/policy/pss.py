"""``validate.podSecurity``: the Pod Security Standards (baseline, restricted) on a pod spec.

Each control of the standard is a small pure function in ``CONTROLS`` that yields violations
``(container image or None, field path, message)`` for the pod of a Pod, Pod controller or CronJob.
``exclude`` entries remove a control, or only the violations their ``images`` (container image
wildcards), ``restrictedField`` (``spec.containers[*].securityContext.capabilities.add``) and
``values`` cover. Versions: every ``v1.x`` and ``latest`` apply the
current checks (older versions only lacked controls that later ones added, which would never turn
a pass of the current checks into a fail). Pure; never raises on malformed resources.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from generator.policy import wildcard
from generator.policy.conditions import go_string
from generator.policy.context import pod_spec
from generator.policy.validation import Outcome

__all__ = ["CONTROLS", "evaluate", "violations"]

Violation = tuple[str | None, tuple[str | int, ...], str]
_SECTIONS = ("initContainers", "containers", "ephemeralContainers")
_BASELINE_CAPS = frozenset(
    {"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE",
     "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"}
)  # fmt: skip
_SAFE_SYSCTLS = frozenset(
    {"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
     "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
     "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
     "net.ipv4.tcp_keepalive_probes"}
)  # fmt: skip
_RESTRICTED_VOLUMES = frozenset(
    {
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "persistentVolumeClaim",
        "projected",
        "secret",
    }
)
_SELINUX_TYPES = frozenset({"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"})


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _containers(spec: Mapping[str, Any]) -> Iterator[tuple[tuple[str | int, ...], Mapping[str, Any]]]:
    for section in _SECTIONS:
        items = spec.get(section)
        if isinstance(items, list):
            for i, c in enumerate(items):
                if isinstance(c, Mapping):
                    yield (section, i), c


def _image(c: Mapping[str, Any]) -> str:
    return str(c.get("image", ""))


def _host_process(spec: Mapping[str, Any], meta: Mapping[str, Any]) -> Iterator[Violation]:
    if _map(_map(spec.get("securityContext")).get("windowsOptions")).get("hostProcess") is True:
        yield None, ("securityContext", "windowsOptions", "hostProcess"), "hostProcess must not be true"
    for path, c in _containers(spec):
        if _map(_map(c.get("securityContext")).get("windowsOptions")).get("hostProcess") is True:
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
        if _map(c.get("securityContext")).get("privileged") is True:
            yield _image(c), (*path, "securityContext", "privileged"), "privileged must not be true"


def _caps_baseline(spec: Mapping[str, Any], meta: Mapping[str, Any]) -> Iterator[Violation]:
    for path, c in _containers(spec):
        added = _map(_map(c.get("securityContext")).get("capabilities")).get("add") or ()
        for j, cap in enumerate(added):
            if str(cap) not in _BASELINE_CAPS:
                where = (*path, "securityContext", "capabilities", "add", j)
                yield _image(c), where, f"capability {cap} must not be added"


def _host_path(spec: Mapping[str, Any], meta: Mapping[str, Any]) -> Iterator[Violation]:
    for i, vol in enumerate(spec.get("volumes") or ()):
        if isinstance(vol, Mapping) and vol.get("hostPath") is not None:
            yield None, ("volumes", i, "hostPath"), "hostPath volumes are forbidden"


def _host_ports(spec: Mapping[str, Any], meta: Mapping[str, Any]) -> Iterator[Violation]:
    for path, c in _containers(spec):
        for j, port in enumerate(c.get("ports") or ()):
            if isinstance(port, Mapping) and port.get("hostPort") not in (None, 0):
                yield _image(c), (*path, "ports", j, "hostPort"), "hostPort must be unset or 0"


def _app_armor(spec: Mapping[str, Any], meta: Mapping[str, Any]) -> Iterator[Violation]:
    for key, value in _map(meta.get("annotations")).items():
        allowed = value == "runtime/default" or str(value).startswith("localhost/")
        if str(key).startswith("container.apparmor.security.beta.kubernetes.io/") and not allowed:
            yield None, ("metadata", "annotations", str(key)), f"AppArmor profile {value} is forbidden"
    profile = _map(_map(spec.get("securityContext")).get("appArmorProfile")).get("type")
    if profile not in (None, "RuntimeDefault", "Localhost"):
        yield None, ("securityContext", "appArmorProfile", "type"), f"AppArmor profile {profile} is forbidden"
    for path, c in _containers(spec):
        profile = _map(_map(c.get("securityContext")).get("appArmorProfile")).get("type")
        if profile not in (None, "RuntimeDefault", "Localhost"):
            yield (
                _image(c),
                (*path, "securityContext", "appArmorProfile", "type"),
                f"AppArmor profile {profile} is forbidden",
            )


def _selinux_bad(options: Any) -> bool:
    opts = _map(options)
    return (
        str(opts.get("type", "") or "") not in _SELINUX_TYPES
        or bool(opts.get("user"))
        or bool(opts.get("role"))
    )


def _selinux(spec: Mapping[str, Any], meta: Mapping[str, Any]) -> Iterator[Violation]:
    if _selinux_bad(_map(spec.get("securityContext")).get("seLinuxOptions")):
        yield None, ("securityContext", "seLinuxOptions"), "seLinuxOptions type/user/role are forbidden"
    for path, c in _containers(spec):
        if _selinux_bad(_map(c.get("securityContext")).get("seLinuxOptions")):
            yield (
                _image(c),
                (*path, "securityContext", "seLinuxOptions"),
                "seLinuxOptions type/user/role are forbidden",
            )


def _proc_mount(spec: Mapping[str, Any], meta: Mapping[str, Any]) -> Iterator[Violation]:
    for path, c in _containers(spec):
        if _map(c.get("securityContext")).get("procMount") not in (None, "Default"):
            yield _image(c), (*path, "securityContext", "procMount"), "procMount must be Default"


def _seccomp_type(sc: Any) -> Any:
    return _map(_map(sc).get("seccompProfile")).get("type")


def _seccomp_baseline(spec: Mapping[str, Any], meta: Mapping[str, Any]) -> Iterator[Violation]:
    if _seccomp_type(spec.get("securityContext")) == "Unconfined":
        yield None, ("securityContext", "seccompProfile", "type"), "seccompProfile Unconfined is forbidden"
    for path, c in _containers(spec):
        if _seccomp_type(c.get("securityContext")) == "Unconfined":
            yield (
                _image(c),
                (*path, "securityContext", "seccompProfile", "type"),
                "seccompProfile Unconfined is forbidden",
            )


def _sysctls(spec: Mapping[str, Any], meta: Mapping[str, Any]) -> Iterator[Violation]:
    for i, item in enumerate(_map(spec.get("securityContext")).get("sysctls") or ()):
        if isinstance(item, Mapping) and str(item.get("name")) not in _SAFE_SYSCTLS:
            yield None, ("securityContext", "sysctls", i), f"sysctl {item.get('name')} is forbidden"


def _volume_types(spec: Mapping[str, Any], meta: Mapping[str, Any]) -> Iterator[Violation]:
    for i, vol in enumerate(spec.get("volumes") or ()):
        if isinstance(vol, Mapping):
            kinds = [k for k in vol if k != "name"]
            if any(k not in _RESTRICTED_VOLUMES for k in kinds):
                yield None, ("volumes", i), f"volume type {','.join(kinds)} is forbidden"


def _privilege_escalation(spec: Mapping[str, Any], meta: Mapping[str, Any]) -> Iterator[Violation]:
    for path, c in _containers(spec):
        if _map(c.get("securityContext")).get("allowPrivilegeEscalation") is not False:
            yield (
                _image(c),
                (*path, "securityContext", "allowPrivilegeEscalation"),
                "allowPrivilegeEscalation must be false",
            )


def _run_as_non_root(spec: Mapping[str, Any], meta: Mapping[str, Any]) -> Iterator[Violation]:
    pod_level = _map(spec.get("securityContext")).get("runAsNonRoot")
    if pod_level is False:
        yield None, ("securityContext", "runAsNonRoot"), "runAsNonRoot must not be false"
    for path, c in _containers(spec):
        value = _map(c.get("securityContext")).get("runAsNonRoot")
        if value is False or (value is None and pod_level is not True):
            yield _image(c), (*path, "securityContext", "runAsNonRoot"), "runAsNonRoot must be true"


def _run_as_user(spec: Mapping[str, Any], meta: Mapping[str, Any]) -> Iterator[Violation]:
    if _map(spec.get("securityContext")).get("runAsUser") == 0:
        yield None, ("securityContext", "runAsUser"), "runAsUser must not be 0"
    for path, c in _containers(spec):
        if _map(c.get("securityContext")).get("runAsUser") == 0:
            yield _image(c), (*path, "securityContext", "runAsUser"), "runAsUser must not be 0"


def _seccomp_restricted(spec: Mapping[str, Any], meta: Mapping[str, Any]) -> Iterator[Violation]:
    pod_type = _seccomp_type(spec.get("securityContext"))
    if pod_type not in (None, "RuntimeDefault", "Localhost"):
        yield None, ("securityContext", "seccompProfile", "type"), f"seccompProfile {pod_type} is forbidden"
    for path, c in _containers(spec):
        ctype = _seccomp_type(c.get("securityContext"))
        if ctype not in (None, "RuntimeDefault", "Localhost") or (ctype is None and pod_type is None):
            yield (
                _image(c),
                (*path, "securityContext", "seccompProfile", "type"),
                "seccompProfile must be RuntimeDefault or Localhost",
            )


def _caps_restricted(spec: Mapping[str, Any], meta: Mapping[str, Any]) -> Iterator[Violation]:
    for path, c in _containers(spec):
        caps = _map(_map(c.get("securityContext")).get("capabilities"))
        if "ALL" not in [str(d) for d in caps.get("drop") or ()]:
            yield _image(c), (*path, "securityContext", "capabilities", "drop"), "capabilities must drop ALL"
        for j, cap in enumerate(caps.get("add") or ()):
            if str(cap) != "NET_BIND_SERVICE":
                where = (*path, "securityContext", "capabilities", "add", j)
                yield _image(c), where, f"capability {cap} must not be added"


_Control = Callable[[Mapping[str, Any], Mapping[str, Any]], Iterator[Violation]]
#: (level, control name as in ``exclude.controlName``) → check; restricted includes baseline.
CONTROLS: dict[tuple[str, str], _Control] = {
    ("baseline", "HostProcess"): _host_process,
    ("baseline", "Host Namespaces"): _host_namespaces,
    ("baseline", "Privileged Containers"): _privileged,
    ("baseline", "Capabilities"): _caps_baseline,
    ("baseline", "HostPath Volumes"): _host_path,
    ("baseline", "Host Ports"): _host_ports,
    ("baseline", "AppArmor"): _app_armor,
    ("baseline", "SELinux"): _selinux,
    ("baseline", "/proc Mount Type"): _proc_mount,
    ("baseline", "Seccomp"): _seccomp_baseline,
    ("baseline", "Sysctls"): _sysctls,
    ("restricted", "Volume Types"): _volume_types,
    ("restricted", "Privilege Escalation"): _privilege_escalation,
    ("restricted", "Running as Non-root"): _run_as_non_root,
    ("restricted", "Running as Non-root user"): _run_as_user,
    ("restricted", "Seccomp"): _seccomp_restricted,
    ("restricted", "Capabilities"): _caps_restricted,
}


def _field(path: tuple[str | int, ...]) -> str:
    """A violation's path in ``restrictedField`` spelling: ``spec.containers[*].securityContext``."""
    if path[:2] == ("metadata", "annotations") and len(path) == 3:
        return f'metadata.annotations["{path[2]}"]'
    out = "spec"
    for part in path:
        out += "[*]" if isinstance(part, int) else f".{part}"
    return out


def _value_at(root: Mapping[str, Any], path: tuple[str | int, ...]) -> Any:
    current: Any = root
    for part in path:
        if isinstance(part, int) and isinstance(current, list) and part < len(current):
            current = current[part]
        elif isinstance(part, str) and isinstance(current, dict):
            current = current.get(part)
        else:
            return None
    return current


def _excluded(
    control: str,
    violation: Violation,
    excludes: list[Mapping[str, Any]],
    spec: Mapping[str, Any],
    meta: Mapping[str, Any],
) -> bool:
    """An ``exclude`` entry exempts this violation.

    It must name the same control, and its ``images``, ``restrictedField`` and ``values`` (each
    optional) must all cover the violation.
    """
    image, path, _message = violation
    for exc in excludes:
        if str(exc.get("controlName", "")) != control:
            continue
        images = exc.get("images")
        if images and (image is None or not any(wildcard.match(str(p), image) for p in images)):
            continue
        field = exc.get("restrictedField")
        fields = {_field(path)} | ({_field(path[:-1])} if path and isinstance(path[-1], int) else set())
        if field and not any(wildcard.match(str(field), f) for f in fields):
            continue
        allowed = exc.get("values")
        if allowed:
            root = meta if path[:1] == ("metadata",) else spec
            value = _value_at({"metadata": meta} if root is meta else root, path)
            items = value if isinstance(value, list) else [value]
            if not all(go_string(v) in [go_string(a) for a in allowed] for v in items):
                continue
        return True
    return False


def violations(
    level: str, excludes: list[Mapping[str, Any]], resource: Mapping[str, Any]
) -> list[tuple[str, Violation]]:
    """Every (control, violation) of ``resource`` at ``level`` after ``excludes``."""
    spec = pod_spec(resource)
    if spec is None:
        return []
    meta = _map(resource.get("metadata"))
    if resource.get("kind") != "Pod":
        root = _map(resource.get("spec"))
        if resource.get("kind") == "CronJob":
            root = _map(_map(_map(root.get("jobTemplate")).get("spec")))
        meta = _map(_map(root.get("template")).get("metadata"))
    levels = ("baseline",) if level == "baseline" else ("baseline", "restricted")
    shadowed = {name for (lvl, name) in CONTROLS if lvl == "restricted"} if level == "restricted" else set()
    found: list[tuple[str, Violation]] = []
    for (lvl, name), check in CONTROLS.items():
        if lvl not in levels or (
            lvl == "baseline" and name in shadowed and name in ("Seccomp", "Capabilities")
        ):
            continue
        for violation in check(spec, meta):
            if not _excluded(name, violation, excludes, spec, meta):
                found.append((name, violation))
    return found


def evaluate(spec: Mapping[str, Any], resource: Mapping[str, Any], rule: str) -> Outcome:
    """The rule response of a ``podSecurity`` block for one resource."""
    level = str(spec.get("level", "baseline")).lower()
    version = str(spec.get("version", "latest"))
    excludes = [e for e in spec.get("exclude") or () if isinstance(e, Mapping)]
    if level == "privileged":
        return Outcome("pass", f"Validation rule '{rule}' passed.")
    found = violations(level, excludes, resource)
    if not found:
        return Outcome("pass", f"Validation rule '{rule}' passed.")
    reasons = "; ".join(sorted({f"{name}: {v[2]}" for name, v in found}))
    first_path = found[0][1][1]
    prefix: tuple[str | int, ...] = (
        ("spec",) if resource.get("kind") == "Pod" else ("spec", "template", "spec")
    )
    if resource.get("kind") == "CronJob":
        prefix = ("spec", "jobTemplate", "spec", "template", "spec")
    path = first_path if first_path[:1] == ("metadata",) else (*prefix, *first_path)
    return Outcome(
        "fail",
        f"Validation rule '{rule}' failed. It violates PodSecurity \"{level}:{version}\": {reasons}",
        path,
    )
