"""The objects ``check`` checks: read back from their files or taken from a render, they are equal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator.manifest import Manifest
from generator.pipeline import Project, _render_loaded, render_environments
from generator.reread import RoundTripError, reread
from generator.write import plan_files
from tests.conftest import SHIPPED_ENVS

#: Each shipped environment's objects as rendered, and the files the writer plans for them.
Shipped = dict[str, tuple[tuple[Manifest, ...], dict[str, str]]]


@pytest.fixture(scope="module")
def shipped() -> Shipped:
    """Rendered as ``check`` renders (``compact``): each body as its file holds it."""
    root = Path(__file__).resolve().parent.parent
    out: Shipped = {}
    for env in SHIPPED_ENVS:
        manifests = _render_loaded(Project(root), [env], compact=True)[0]
        out[env] = (manifests, plan_files(manifests))
    return out


def _exact(body: object) -> str:
    """``body`` with its key order and its scalars' types (``1``, ``1.0``, ``true``), which ``==`` does not see."""
    return json.dumps(body, default=repr)


def test_read_back_and_rendered_objects_are_equal_in_order_and_key_order(shipped: Shipped) -> None:
    for env, (manifests, files) in shipped.items():
        sources = {m.path: m.sources for m in manifests}
        back = reread(env, files, sources.get)
        assert [(m.path, m.cluster, m.component) for m in back] == [
            (m.path, m.cluster, m.component) for m in manifests
        ]
        assert [_exact(m.body) for m in back] == [_exact(m.body) for m in manifests]
        assert all(b.sources is m.sources for b, m in zip(back, manifests, strict=True))


def test_compact_changes_only_key_order_and_memory(shipped: Shipped) -> None:
    """The compact render (``check``'s) is the render: equal objects, keys as filed, the same files."""
    root = Path(__file__).resolve().parent.parent
    for env, (compact, files) in shipped.items():
        plain = render_environments(Project(root), [env])
        assert [(m.path, m.body) for m in compact] == [(m.path, m.body) for m in plain]
        assert plan_files(plain) == files
        assert all(_keys_sorted(m.body) for m in compact)


def _keys_sorted(value: object) -> bool:
    if isinstance(value, dict):
        return list(value) == sorted(value) and all(_keys_sorted(v) for v in value.values())
    return all(_keys_sorted(v) for v in value) if isinstance(value, list) else True


def test_each_distinct_string_is_held_once(shipped: Shipped) -> None:
    env, (manifests, files) = next(iter(shipped.items()))
    for objects in (reread(env, files, lambda _: None), manifests):
        names = [
            m.body["metadata"]["labels"]["docproc.io/environment"]
            for m in objects
            if "labels" in m.body["metadata"]
        ]
        assert len(names) > 1
        assert all(n is names[0] for n in names)


def test_an_object_at_another_objects_path_is_an_internal_error(shipped: Shipped) -> None:
    env, (_, files) = next(iter(shipped.items()))
    first, second = list(files)[:2]
    swapped = {first: files[second], second: files[first]}
    with pytest.raises(RoundTripError, match="whose file is"):
        reread(env, swapped, lambda _: None)
