"""The label indexes of the mesh checks find exactly what a scan of every object finds, in order."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from generator.gate.checks.bylabels import ByLabels, Labelled
from generator.gate.checks.mesh import _selector_matches

KEYS = st.sampled_from(["app", "tier", "team"])
VALUES = st.sampled_from(["a", "b", "c"])
LABELS = st.dictionaries(KEYS, VALUES, max_size=3)
NAMESPACES = st.sampled_from(["x", "y"])
#: Selectors as manifests hold them, malformed ones included.
SELECTORS = st.one_of(
    st.builds(lambda m: {"matchLabels": m}, LABELS),
    st.builds(
        lambda m, v: {"matchLabels": m, "matchExpressions": [{"key": "app", "operator": "In", "values": v}]},
        LABELS,
        st.lists(VALUES, max_size=2),
    ),
    st.sampled_from(
        [None, {}, {"matchLabels": None}, {"matchLabels": {"app": 1}}, {"matchLabels": ["app"]}, "x"]
    ),
)


@given(st.lists(st.tuples(NAMESPACES, SELECTORS), max_size=12), NAMESPACES, NAMESPACES, LABELS, st.booleans())
def test_selecting_objects_alike(
    items: list[tuple[str, Any]], ns: str, other: str, labels: dict[str, str], known: bool
) -> None:
    index = ByLabels((n, sel, i) for i, (n, sel) in enumerate(items))

    def selects(i: int, namespaces: list[str]) -> bool:
        try:
            return items[i][0] in namespaces and _selector_matches(items[i][1], labels, known)
        except AttributeError:  # a malformed selector the scan trips on: so must the index
            return True

    for namespaces in ([ns], [ns, other]):
        found = [i for i in index.candidates(dict.fromkeys(namespaces), labels) if selects(i, namespaces)]
        assert found == [i for i in range(len(items)) if selects(i, namespaces)]


@given(
    st.lists(st.tuples(NAMESPACES, LABELS), max_size=12),
    NAMESPACES,
    st.dictionaries(KEYS, st.one_of(VALUES, st.just(1)), min_size=1, max_size=2),
)
def test_selected_pods_alike(
    pods: list[tuple[str, dict[str, str]]], ns: str, selector: dict[str, Any]
) -> None:
    index = Labelled((n, labels, i) for i, (n, labels) in enumerate(pods))

    def selected(i: int) -> bool:
        return pods[i][0] == ns and all(pods[i][1].get(k) == v for k, v in selector.items())

    assert [i for i in index.candidates(ns, selector) if selected(i)] == [
        i for i in range(len(pods)) if selected(i)
    ]


@given(st.lists(st.tuples(NAMESPACES, SELECTORS), max_size=12), NAMESPACES, LABELS)
def test_istio_policies_by_selector_alike(
    items: list[tuple[str, Any]], ns: str, labels: dict[str, str]
) -> None:
    """``ClusterView.selecting`` (the kong-route-plugins lookup) keeps every policy a scan selects."""
    from generator.gate.checks.cluster import ClusterView, _selects
    from generator.manifest import Manifest

    policies = [
        Manifest(
            "e",
            "c",
            "apps",
            {
                "apiVersion": "security.istio.io/v1",
                "kind": "RequestAuthentication",
                "metadata": {"name": f"p{i}", "namespace": n},
                "spec": {"selector": sel},
            },
        )
        for i, (n, sel) in enumerate(items)
    ]
    view = ClusterView("e", "c", tuple(policies))

    def selects(m: Manifest) -> bool:
        try:
            return m.namespace == ns and _selects(m.body["spec"]["selector"], labels)
        except AttributeError:  # a malformed selector the scan trips on: so must the index
            return True

    found = [m for m in view.selecting("RequestAuthentication").candidates([ns], labels) if selects(m)]
    assert found == [m for m in policies if selects(m)]
