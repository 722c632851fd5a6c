"""Arbitrary YAML given to ``validate --strict`` and to the Kyverno engine: results, never exceptions.

Issue 11 point 6. The engines' own property tests (tests/schema/test_never_raises.py,
tests/policy/test_fuzz.py) draw *structures*; here Hypothesis draws *text*: dumped random
structures shaped like Kubernetes objects, and raw YAML-ish character soup (anchors, tags, flow
brackets, block scalars, tabs, document markers), whole or spliced into a valid manifest. Whatever
it is, the commands return 0, 1 (findings) or 2 (one located user error), never 3 (a bug) or a
traceback. Example counts as in tests/test_env_fuzz.py (``make fuzz`` runs more).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.cli import run
from tests.conftest import ROOT
from tests.test_env_fuzz import FUZZ_EXAMPLES

KINDS = [
    ("v1", "Pod"),
    ("v1", "ConfigMap"),
    ("apps/v1", "Deployment"),
    ("batch/v1", "CronJob"),
    ("karpenter.sh/v1", "NodePool"),
    ("networking.istio.io/v1", "VirtualService"),
    ("argoproj.io/v1alpha1", "Application"),
    ("example.org/v1", "Unknown"),
]
SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
KEYS = st.sampled_from(
    ["metadata", "name", "namespace", "spec", "containers", "image", "labels", "template", "ports", "data"]
) | st.text(max_size=6)
TREES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=20,
)


@st.composite
def _dumped(draw: st.DrawFn) -> str:
    docs = []
    for _ in range(draw(st.integers(1, 3))):
        api, kind = draw(st.sampled_from(KINDS))
        body = {"apiVersion": api, "kind": kind, **draw(st.dictionaries(KEYS, TREES, max_size=4))}
        docs.append(yaml.safe_dump(body, allow_unicode=draw(st.booleans())))
    return "---\n".join(docs)


TOKENS = [*"ak: -[]{}&*!|>'\"#\n\t\\%@`,?01.~=<$\x00", "---\n", "...\n", "  ", "!!python/object ", "<<: "]
SOUP = st.lists(st.sampled_from(TOKENS), max_size=60).map("".join)
VALID = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n  namespace: ns\ndata:\n  a: b\n"


@st.composite
def _spliced(draw: st.DrawFn) -> str:
    lines = VALID.splitlines(keepends=True)
    at = draw(st.integers(0, len(lines)))
    return "".join(lines[:at]) + draw(SOUP) + "".join(lines[at:])


YAML_TEXT = st.one_of(_dumped(), SOUP, _spliced())

FUZZ = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _run(argv: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(argv, out, err)
    return code, err.getvalue()


def _assert_result(code: int, err: str, file: Path) -> None:
    assert code in (0, 1, 2), f"exit {code}: {err}"
    assert "Traceback" not in err
    if code == 2:
        assert str(file.name) in err, err


@FUZZ
@given(text=YAML_TEXT)
def test_validate_strict_returns_results(
    tmp_path_factory: pytest.TempPathFactory, crd_dir: Path, text: str
) -> None:
    file = tmp_path_factory.mktemp("yaml") / "fuzz.yaml"
    file.write_bytes(text.encode("utf-8", "surrogatepass"))
    code, err = _run(["validate", str(file), "--strict", "--crd-dir", str(crd_dir), "--quiet"])
    _assert_result(code, err, file)


@FUZZ
@given(text=YAML_TEXT)
def test_policy_engine_returns_results(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    file = tmp_path_factory.mktemp("yaml") / "fuzz.yaml"
    file.write_bytes(text.encode("utf-8", "surrogatepass"))
    code, err = _run(
        ["policy", "apply", "--policy", str(ROOT / "policies"), "--resource", str(file), "--quiet"]
    )
    _assert_result(code, err, file)
