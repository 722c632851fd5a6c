"""Property: the engine never raises on arbitrary resources; it only yields results."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.policy.engine import evaluate_policy

from .helpers import policy, rule

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False)
    | st.text(max_size=12)
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=25,
)
KEYS = st.sampled_from(
    ["containers", "image", "name", "securityContext", "hostNetwork", "ports", "labels", "spec"]
)
K8SISH = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=5),
    max_leaves=30,
)

POLICIES = [
    policy(
        [
            rule(
                {
                    "pattern": {
                        "spec": {"containers": [{"(image)": "*:latest", "=(name)": "?*", "X(ports)": "null"}]}
                    }
                }
            )
        ]
    ),
    policy(
        [
            rule(
                {
                    "anyPattern": [
                        {"spec": {"^(containers)": [{"image": ">1 & <5 | 1Gi-2Gi"}]}},
                        {"metadata": {"labels": {"a*": "?*"}}},
                    ]
                }
            )
        ]
    ),
    policy(
        [
            rule(
                {
                    "message": "{{ request.object.metadata.name }} {{ element.name || '' }}",
                    "foreach": [
                        {
                            "list": "request.object.spec.containers",
                            "deny": {
                                "conditions": {
                                    "any": [
                                        {
                                            "key": "{{ element.ports[].hostPort }}",
                                            "operator": "AnyNotIn",
                                            "value": "1-10",
                                        }
                                    ]
                                }
                            },
                        }
                    ],
                }
            )
        ]
    ),
    policy([rule({"podSecurity": {"level": "restricted", "version": "latest"}})]),
    policy(
        [
            rule(
                {
                    "deny": {
                        "conditions": {
                            "all": [
                                {
                                    "key": "{{ request.object.spec.hostNetwork }}",
                                    "operator": "GreaterThan",
                                    "value": "1h",
                                }
                            ]
                        }
                    }
                }
            )
        ]
    ),
    policy(
        [rule({"cel": {"expressions": [{"expression": "object.spec.containers.all(c, c.image != 'x')"}]}})]
    ),
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=K8SISH, metadata=JSON, kind=st.sampled_from(["Pod", "Deployment", "CronJob"]))
def test_engine_never_raises(spec, metadata, kind):
    resource = {"apiVersion": "v1", "kind": kind, "metadata": metadata, "spec": spec}
    for pol in POLICIES:
        for result in evaluate_policy(pol, resource):
            assert result.status in {"pass", "fail", "skip", "warn", "error"}
