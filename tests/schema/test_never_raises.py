"""Property: whatever the document holds, the engine returns findings and never raises."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.documents import Document
from generator.findings import Finding

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False)
    | st.text(max_size=8)
)
KEYS = st.sampled_from(
    ["spec", "metadata", "name", "labels", "template", "requirements", "key", "values", "operator", "host"]
) | st.text(max_size=5)
VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(KEYS, children, max_size=4),
    max_leaves=20,
)
KINDS = st.sampled_from(
    [
        ("apps/v1", "Deployment"),
        ("v1", "ConfigMap"),
        ("karpenter.sh/v1", "NodePool"),
        ("karpenter.k8s.aws/v1", "EC2NodeClass"),
        ("networking.istio.io/v1", "DestinationRule"),
        ("security.istio.io/v1", "AuthorizationPolicy"),
    ]
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=KINDS, body=st.dictionaries(KEYS, VALUES, max_size=4))
def test_engine_never_raises(shared_engine, kind, body):
    body = {**body, "apiVersion": kind[0], "kind": kind[1]}
    found = shared_engine.check(Document(file="x.yaml", index=0, line=1, body=body))
    assert all(isinstance(f, Finding) for f in found)
    assert all(f.kind == kind[1] for f in found)


VALID = [
    {
        "apiVersion": "karpenter.sh/v1",
        "kind": "NodePool",
        "metadata": {"name": "default"},
        "spec": {
            "template": {
                "spec": {
                    "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "d"},
                    "requirements": [
                        {"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["spot"]}
                    ],
                }
            },
            "disruption": {"consolidateAfter": "1m", "budgets": [{"nodes": "10%"}]},
            "limits": {"cpu": 10},
        },
    },
    {
        "apiVersion": "networking.istio.io/v1",
        "kind": "DestinationRule",
        "metadata": {"name": "web", "namespace": "n"},
        "spec": {
            "host": "web",
            "workloadSelector": {"matchLabels": {"app": "web"}},
            "trafficPolicy": {"connectionPool": {"http": {"idleTimeout": "1s"}}, "tls": {"mode": "SIMPLE"}},
        },
    },
]


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*prefix, i))


def _replace(value, path, new):
    if not path:
        return new
    head, rest = path[0], path[1:]
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[head] = _replace(value[head], rest, new)
    return copy


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_valid_documents_never_raise(shared_engine, data):
    base = data.draw(st.sampled_from(VALID))
    paths = [p for p in _paths(base) if len(p) > 1]
    path = data.draw(st.sampled_from(paths))
    body = _replace(base, path, data.draw(VALUES))
    found = shared_engine.check(Document(file="x.yaml", index=0, line=1, body=body))
    assert all(isinstance(f, Finding) for f in found)
