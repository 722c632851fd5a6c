"""validate.podSecurity ``version``: which checks run at which Kubernetes version, as Kyverno runs them.

Kyverno (``pkg/pss/evaluate.go``) runs only the newest version of each pod-security-admission
check at ``latest`` and, at an explicit ``v1.<minor>``, every version of a check whose minimum is
at or below it. So tightenings apply from their version; relaxations show only at ``latest``.
"""

import pytest

from generator.policy.pss import active_checks, parse_version, violations

from .helpers import pod, policy, rule, statuses

LATEST = None


def restricted_spec(**changes):
    """A pod spec that passes ``restricted:latest``, with ``changes`` merged into its pieces."""
    container = {
        "name": "c",
        "image": "nginx",
        "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
    }
    container["securityContext"].update(changes.pop("container_sc", {}))
    for key in changes.pop("drop_container_sc", ()):
        del container["securityContext"][key]
    container.update(changes.pop("container", {}))
    pod_sc = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
    pod_sc.update(changes.pop("pod_sc", {}))
    for key in changes.pop("drop_pod_sc", ()):
        del pod_sc[key]
    return {"securityContext": pod_sc, "containers": [container], **changes}


def controls(level, resource, minor=LATEST, excludes=()):
    return sorted({name for name, _ in violations(level, list(excludes), resource, minor)})


def test_restricted_pod_passes_every_version():
    resource = pod(**restricted_spec())
    for minor in (0, 8, 18, 19, 22, 23, 25, 30, 35, 99, LATEST):
        assert controls("restricted", resource, minor) == [], minor


@pytest.mark.parametrize(
    ("spec", "control", "older", "newer"),
    [
        (restricted_spec(drop_container_sc=["allowPrivilegeEscalation"]), "Privilege Escalation", 7, 8),
        (restricted_spec(drop_pod_sc=["seccompProfile"]), "Seccomp", 18, 19),
        (restricted_spec(drop_container_sc=["capabilities"]), "Capabilities", 21, 22),
        (
            restricted_spec(container_sc={"capabilities": {"drop": ["ALL"], "add": ["CHOWN"]}}),
            "Capabilities",
            21,
            22,
        ),
        (restricted_spec(pod_sc={"runAsUser": 0}), "Running as Non-root user", 22, 23),
    ],
    ids=["allowPrivilegeEscalation-1.8", "seccomp-1.19", "drop-ALL-1.22", "add-1.22", "runAsUser-1.23"],
)
def test_restricted_controls_start_at_their_version(spec, control, older, newer):
    resource = pod(**spec)
    assert control not in controls("restricted", resource, older)
    assert control in controls("restricted", resource, newer)
    assert control in controls("restricted", resource, LATEST)


def test_capabilities_below_1_22_still_run_the_baseline_list():
    spec = restricted_spec(container_sc={"capabilities": {"add": ["SYS_ADMIN"]}})
    assert controls("restricted", pod(**spec), 21) == ["Capabilities"]


def test_host_probes_and_lifecycle_from_1_34():
    spec = {
        "containers": [
            {
                "name": "c",
                "image": "x",
                "livenessProbe": {"httpGet": {"host": "10.0.0.1", "port": 80}},
                "lifecycle": {"preStop": {"tcpSocket": {"host": "evil", "port": 1}}},
            }
        ]
    }
    found = violations("baseline", [], pod(**spec), 34)
    assert [v[1] for _, v in found] == [
        ("containers", 0, "livenessProbe", "httpGet", "host"),
        ("containers", 0, "lifecycle", "preStop", "tcpSocket", "host"),
    ]
    assert controls("baseline", pod(**spec), 33) == []
    assert controls("baseline", pod(**spec), LATEST) == ["Probes / Lifecycle Hooks"]
    no_host = {"containers": [{"name": "c", "image": "x", "readinessProbe": {"httpGet": {"port": 80}}}]}
    assert controls("baseline", pod(**no_host), LATEST) == []


def test_seccomp_annotations_checked_at_explicit_versions_only():
    resource = pod(containers=[{"name": "c", "image": "x"}])
    resource["metadata"]["annotations"] = {
        "seccomp.security.alpha.kubernetes.io/pod": "unconfined",
        "container.seccomp.security.alpha.kubernetes.io/c": "localhost/profile.json",
    }
    found = violations("baseline", [], resource, 18)
    assert [(name, v[1]) for name, v in found] == [
        ("Seccomp", ("metadata", "annotations", "seccomp.security.alpha.kubernetes.io/pod"))
    ]
    # Kyverno runs v1.0 beside v1.19 at an explicit version; ``latest`` runs the field check only.
    assert controls("baseline", resource, 30) == ["Seccomp"]
    assert controls("baseline", resource, LATEST) == []
    resource["metadata"]["annotations"]["seccomp.security.alpha.kubernetes.io/pod"] = "runtime/default"
    assert controls("baseline", resource, 18) == []


@pytest.mark.parametrize(
    ("sysctl", "since"),
    [
        ("net.ipv4.ip_local_reserved_ports", 27),
        ("net.ipv4.tcp_keepalive_time", 29),
        ("net.ipv4.tcp_fin_timeout", 29),
        ("net.ipv4.tcp_rmem", 32),
        ("net.ipv4.tcp_wmem", 32),
    ],
)
def test_sysctls_allowed_later_pass_at_latest_only(sysctl, since):
    resource = pod(securityContext={"sysctls": [{"name": sysctl, "value": "1"}]})
    assert controls("baseline", resource, since - 1) == ["Sysctls"]
    # The v1.0 allow-list still runs beside the newer one at an explicit version (Kyverno).
    assert controls("baseline", resource, since) == ["Sysctls"]
    assert controls("baseline", resource, LATEST) == []


def test_original_sysctls_pass_at_every_version():
    resource = pod(securityContext={"sysctls": [{"name": "net.ipv4.ping_group_range", "value": "0 1"}]})
    for minor in (0, 27, 32, LATEST):
        assert controls("baseline", resource, minor) == []


def test_selinux_container_engine_t_allowed_at_latest():
    resource = pod(securityContext={"seLinuxOptions": {"type": "container_engine_t"}})
    assert controls("baseline", resource, 30) == ["SELinux"]
    assert controls("baseline", resource, 31) == ["SELinux"]
    assert controls("baseline", resource, LATEST) == []
    other = pod(securityContext={"seLinuxOptions": {"type": "spc_t"}})
    assert controls("baseline", other, LATEST) == ["SELinux"]


def test_windows_pods_exempt_from_linux_only_restricted_controls_at_latest():
    spec = restricted_spec(
        drop_container_sc=["allowPrivilegeEscalation", "capabilities"], drop_pod_sc=["seccompProfile"]
    )
    windows = pod(**spec, os={"name": "windows"})
    assert controls("restricted", windows, LATEST) == []
    assert controls("restricted", windows, 25) == ["Capabilities", "Privilege Escalation", "Seccomp"]
    assert controls("restricted", pod(**spec), LATEST) == ["Capabilities", "Privilege Escalation", "Seccomp"]


def test_user_namespace_pods_relaxed_at_latest():
    spec = restricted_spec(drop_pod_sc=["runAsNonRoot"], pod_sc={"runAsUser": 0})
    userns = pod(**spec, hostUsers=False)
    assert controls("restricted", userns, LATEST) == []
    assert controls("restricted", userns, 34) == ["Running as Non-root", "Running as Non-root user"]
    assert controls("restricted", pod(**spec), LATEST) == ["Running as Non-root", "Running as Non-root user"]


def test_unmasked_proc_mount_baseline_relaxed_for_user_namespaces_restricted_not():
    spec = restricted_spec(container_sc={"procMount": "Unmasked"})
    userns = pod(**spec, hostUsers=False)
    assert controls("baseline", userns, LATEST) == []
    assert controls("baseline", userns, 34) == ["/proc Mount Type"]
    assert controls("restricted", userns, LATEST) == ["/proc Mount Type"]
    assert controls("baseline", pod(**spec), LATEST) == ["/proc Mount Type"]


def test_image_volumes_allowed_and_empty_apparmor_annotation_allowed():
    resource = pod(**restricted_spec(volumes=[{"name": "v", "image": {"reference": "r"}}]))
    assert controls("restricted", resource, LATEST) == []
    resource["metadata"]["annotations"] = {"container.apparmor.security.beta.kubernetes.io/c": ""}
    assert controls("baseline", resource, LATEST) == []
    resource["metadata"]["annotations"] = {"container.apparmor.security.beta.kubernetes.io/c": "unconfined"}
    assert controls("baseline", resource, LATEST) == ["AppArmor"]


def test_violation_reported_once_when_two_versions_agree():
    resource = pod(securityContext={"sysctls": [{"name": "kernel.msgmax", "value": "1"}]})
    assert len(violations("baseline", [], resource, 35)) == 1


def test_baseline_runs_no_restricted_check():
    for minor in (0, 25, 35, LATEST):
        assert all(
            name not in {"Volume Types", "Privilege Escalation"}
            for name, _ in active_checks("baseline", minor)
        )


@pytest.mark.parametrize(
    ("text", "minor"), [("latest", None), ("", None), ("v1.0", 0), ("v1.29", 29), ("v1.100", 100)]
)
def test_parse_version(text, minor):
    assert parse_version(text) == minor


@pytest.mark.parametrize("text", ["1.29", "v2.0", "v1.029", "v1", "v1.x", "Latest"])
def test_parse_version_rejects(text):
    with pytest.raises(ValueError, match="invalid podSecurity version"):
        parse_version(text)


def test_rule_results_follow_version():
    spec = restricted_spec(drop_pod_sc=["seccompProfile"])

    def status(version):
        pol = policy([rule({"podSecurity": {"level": "restricted", "version": version}})])
        return statuses(pol, pod(**spec))["r"]

    assert status("v1.18") == "pass"
    assert status("v1.19") == "fail"
    assert status("latest") == "fail"
    assert status("1.19") == "error"
