"""validate.podSecurity: Pod Security Standards controls, levels and exclusions."""

import pytest

from generator.policy.pss import violations

from .helpers import pod, policy, rule, statuses

RESTRICTED_OK = {
    "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
    "containers": [
        {
            "name": "c",
            "image": "nginx",
            "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
        }
    ],
}


def controls(level, resource, excludes=()):
    return sorted({name for name, _ in violations(level, list(excludes), resource)})


def test_restricted_pod_passes_both_levels():
    assert controls("restricted", pod(**RESTRICTED_OK)) == []
    assert controls("baseline", pod(**RESTRICTED_OK)) == []


@pytest.mark.parametrize(
    ("spec", "control"),
    [
        ({"hostNetwork": True}, "Host Namespaces"),
        (
            {"containers": [{"name": "c", "image": "x", "securityContext": {"privileged": True}}]},
            "Privileged Containers",
        ),
        (
            {
                "containers": [
                    {"name": "c", "image": "x", "securityContext": {"capabilities": {"add": ["SYS_ADMIN"]}}}
                ]
            },
            "Capabilities",
        ),
        ({"volumes": [{"name": "v", "hostPath": {"path": "/"}}]}, "HostPath Volumes"),
        (
            {"containers": [{"name": "c", "image": "x", "ports": [{"containerPort": 80, "hostPort": 80}]}]},
            "Host Ports",
        ),
        (
            {"containers": [{"name": "c", "image": "x", "securityContext": {"procMount": "Unmasked"}}]},
            "/proc Mount Type",
        ),
        ({"securityContext": {"seccompProfile": {"type": "Unconfined"}}}, "Seccomp"),
        ({"securityContext": {"sysctls": [{"name": "kernel.msgmax", "value": "1"}]}}, "Sysctls"),
        ({"securityContext": {"seLinuxOptions": {"type": "spc_t"}}}, "SELinux"),
    ],
)
def test_baseline_controls(spec, control):
    assert control in controls("baseline", pod(**spec))


def test_restricted_adds_controls():
    found = controls("restricted", pod())
    assert {"Privilege Escalation", "Running as Non-root", "Seccomp", "Capabilities"} <= set(found)
    assert controls("baseline", pod()) == []
    volume = dict(RESTRICTED_OK, volumes=[{"name": "v", "nfs": {"server": "s", "path": "/"}}])
    assert controls("restricted", pod(**volume)) == ["Volume Types"]


def test_exclude_by_control_and_image():
    spec = dict(RESTRICTED_OK, securityContext={"runAsNonRoot": True})
    assert controls("restricted", pod(**spec)) == ["Seccomp"]
    assert controls("restricted", pod(**spec), [{"controlName": "Seccomp"}]) == []
    assert controls("restricted", pod(**spec), [{"controlName": "Seccomp", "images": ["nginx*"]}]) == []
    assert controls("restricted", pod(**spec), [{"controlName": "Seccomp", "images": ["redis*"]}]) == [
        "Seccomp"
    ]


def test_rule_results_and_controllers():
    pol = policy([rule({"podSecurity": {"level": "baseline", "version": "latest"}})])
    assert statuses(pol, pod()) == {"r": "pass"}
    assert statuses(pol, pod(hostPID=True)) == {"r": "fail"}
    deploy = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d", "namespace": "default"},
        "spec": {
            "template": {
                "metadata": {},
                "spec": {"hostIPC": True, "containers": [{"name": "c", "image": "x"}]},
            }
        },
    }
    assert statuses(pol, deploy) == {"autogen-r": "fail"}


def test_exclude_by_restricted_field_and_values():
    spec = dict(RESTRICTED_OK)
    container = dict(spec["containers"][0])
    container["securityContext"] = {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"], "add": ["NET_ADMIN"]},
    }
    spec = dict(spec, containers=[container], hostNetwork=True)
    resource = pod(**spec)
    assert controls("restricted", resource) == ["Capabilities", "Host Namespaces"]
    field = "spec.containers[*].securityContext.capabilities.add"
    exempt_caps = [
        {
            "controlName": "Capabilities",
            "images": ["nginx"],
            "restrictedField": field,
            "values": ["NET_ADMIN"],
        }
    ]
    assert controls("restricted", resource, exempt_caps) == ["Host Namespaces"]
    wrong_value = [
        {
            "controlName": "Capabilities",
            "images": ["nginx"],
            "restrictedField": field,
            "values": ["SYS_ADMIN"],
        }
    ]
    assert controls("restricted", resource, wrong_value) == ["Capabilities", "Host Namespaces"]
    host = [{"controlName": "Host Namespaces", "restrictedField": "spec.hostNetwork", "values": ["true"]}]
    assert controls("restricted", resource, host) == ["Capabilities"]
