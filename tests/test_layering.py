"""Layering: ``extends`` chains of any depth, merge by name, removal, replacement, chain errors."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from generator.errors import EnvFileError
from generator.layering import merge_layers
from generator.load import env_schema, load_environment
from tests.conftest import SHIPPED_ENVS, CliResult, shipped_data

#: A shipped single-cluster environment (whichever: the tests take its values, never assume them).
SINGLE = next(n for n in SHIPPED_ENVS if shipped_data(n)["topology"]["type"] == "single")


def _write(project: Path, name: str, text: str) -> None:
    (project / "environments" / f"{name}.yaml").write_text(text)


def _load(project: Path, name: str):
    return load_environment(project / "environments", name, shown_root=project)


def _chain(project: Path) -> None:
    """_defaults ← _tier ← _team ← SINGLE (the shipped file, made to extend _team)."""
    _write(project, "_tier", "extends: _defaults\nrabbitmq:\n  storage: 7Gi\n  replicas: 5\n")
    _write(project, "_team", "extends: _tier\nrabbitmq:\n  storage: 9Gi\n")
    env = project / "environments" / f"{SINGLE}.yaml"
    env.write_text("extends: _team\n" + env.read_text().replace("rabbitmq:", "rabbitmq_unused:", 1))
    text = env.read_text()
    env.write_text(re.sub(r"(?m)^rabbitmq_unused:\n(  .*\n)*", "", text))


def test_deep_chain_precedence_nearest_file_wins(project: Path) -> None:
    _chain(project)
    loaded = _load(project, SINGLE)
    assert loaded.data["rabbitmq"]["storage"] == "9Gi"  # _team over _tier
    assert loaded.data["rabbitmq"]["replicas"] == 5  # _tier over _defaults
    assert loaded.chain == (
        "environments/_defaults.yaml",
        "environments/_tier.yaml",
        "environments/_team.yaml",
        f"environments/{SINGLE}.yaml",
    )
    assert loaded.mark(("rabbitmq", "storage")).file == "environments/_team.yaml"
    assert loaded.mark(("rabbitmq", "replicas")).file == "environments/_tier.yaml"
    assert loaded.mark(("rabbitmq", "queues")).file == "environments/_defaults.yaml"


def test_cycle_is_reported_with_the_whole_chain(project: Path, cli: Callable[..., CliResult]) -> None:
    _chain(project)
    _write(project, "_tier", f"extends: {SINGLE}\n")
    result = cli("render", "--root", str(project), "--env", SINGLE)
    assert result.code == 2
    assert "Traceback" not in result.err
    assert re.search(
        rf"environments/_tier\.yaml:1:1: extends: extends '{SINGLE}' makes a cycle \(chain: "
        rf"environments/{SINGLE}\.yaml:1 → environments/_team\.yaml:1 → environments/_tier\.yaml:1 → "
        rf"environments/{SINGLE}\.yaml\)",
        result.err,
    ), result.err


def test_missing_parent_is_reported_with_the_chain(project: Path, cli: Callable[..., CliResult]) -> None:
    _chain(project)
    _write(project, "_team", "extends: _nowhere\n")
    result = cli("render", "--root", str(project), "--env", SINGLE)
    assert result.code == 2
    assert re.search(
        rf"environments/_team\.yaml:1:1: extends: extends names '_nowhere' but environments/_nowhere\.yaml "
        rf"does not exist \(chain: environments/{SINGLE}\.yaml:1 → environments/_team\.yaml:1 → "
        r"environments/_nowhere\.yaml \(missing\)\)",
        result.err,
    ), result.err


def test_parent_symlinked_out_of_the_repository_is_refused(
    project: Path, cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    _chain(project)
    tier = project / "environments" / "_tier.yaml"
    outside = tmp_path / "tier.yaml"
    outside.write_bytes(tier.read_bytes())
    tier.unlink()
    tier.symlink_to(outside)
    result = cli("render", "--root", str(project), "--env", SINGLE)
    assert result.code == 2
    assert "environments/_tier.yaml" in result.err
    assert "outside the repository" in result.err


# --- merge by name (pure: generator.layering) -------------------------------------------------------


def _merge(*layers: dict) -> dict:
    def error_at(message: str, path: tuple, marks: object, hint: str) -> Exception:
        return EnvFileError(message, path="x.yaml", yaml_path=path, hint=hint)

    data, _ = merge_layers([(layer, {}) for layer in layers], env_schema(), error_at)
    return data


BASE = {
    "services": [
        {"name": "a", "type": "http", "paths": ["/a"], "env": {"X": "1", "Y": "2"}},
        {"name": "b", "type": "worker"},
        {"name": "c", "type": "worker"},
    ],
    "images": {"registries": ["r1", "r2"], "registry": "r1"},
}


def test_named_entries_override_fields_and_keep_their_place() -> None:
    out = _merge(BASE, {"services": [{"name": "a", "env": {"Y": "3"}, "paths": ["/z"]}]})
    assert [s["name"] for s in out["services"]] == ["a", "b", "c"]
    assert out["services"][0] == {"name": "a", "type": "http", "paths": ["/z"], "env": {"X": "1", "Y": "3"}}


def test_new_named_entries_are_appended_in_file_order() -> None:
    out = _merge(BASE, {"services": [{"name": "e", "type": "worker"}, {"name": "d", "type": "worker"}]})
    assert [s["name"] for s in out["services"]] == ["a", "b", "c", "e", "d"]


def test_remove_marker_removes_the_inherited_entry() -> None:
    out = _merge(BASE, {"services": [{"name": "b", "$remove": True}]})
    assert [s["name"] for s in out["services"]] == ["a", "c"]


def test_three_layers_override_then_remove() -> None:
    out = _merge(
        BASE, {"services": [{"name": "c", "type": "http"}]}, {"services": [{"name": "a", "$remove": True}]}
    )
    assert out["services"] == [{"name": "b", "type": "worker"}, {"name": "c", "type": "http"}]


def test_other_lists_replace_wholesale() -> None:
    out = _merge(BASE, {"images": {"registries": ["r3"]}})
    assert out["images"] == {"registries": ["r3"], "registry": "r1"}


@pytest.mark.parametrize(
    ("overlay", "message"),
    [
        pytest.param(
            {"services": [{"name": "zz", "$remove": True}]}, "nothing named 'zz'", id="unknown-name"
        ),
        pytest.param({"services": [{"name": "a", "$remove": "yes"}]}, "exactly {name", id="not-true"),
        pytest.param(
            {"services": [{"name": "a", "$remove": True, "type": "http"}]}, "exactly {name", id="extra-keys"
        ),
        pytest.param(
            {"services": [{"name": "q", "type": "http"}, {"name": "q", "type": "worker"}]},
            "duplicate name 'q' (first at services[0])",
            id="duplicate-in-one-file",
        ),
    ],
)
def test_bad_overlays_are_errors(overlay: dict, message: str) -> None:
    with pytest.raises(EnvFileError, match=re.escape(message)):
        _merge(BASE, overlay)


def test_remove_in_a_file_that_inherits_nothing_is_an_error() -> None:
    with pytest.raises(EnvFileError, match="nothing named 'a' is inherited"):
        _merge({"services": [{"name": "a", "$remove": True}]})


def test_remove_located_in_the_file_that_wrote_it(project: Path, cli: Callable[..., CliResult]) -> None:
    env = project / "environments" / f"{SINGLE}.yaml"
    env.write_text(env.read_text() + "services:\n  - {name: no-such-service, $remove: true}\n")
    result = cli("render", "--root", str(project), "--env", SINGLE)
    assert result.code == 2
    assert re.search(
        rf"environments/{SINGLE}\.yaml:\d+:\d+: services\[\d+\]\.name: \$remove: nothing named "
        r"'no-such-service' is inherited here",
        result.err,
    ), result.err


def test_remove_a_shipped_service_through_the_cli(project: Path) -> None:
    inherited = [s["name"] for s in shipped_data(SINGLE)["services"]]
    victim = inherited[-1]
    env = project / "environments" / f"{SINGLE}.yaml"
    env.write_text(env.read_text() + f"services:\n  - {{name: {victim}, $remove: true}}\n")
    loaded = _load(project, SINGLE)  # loading merges and checks the schema (references: the model)
    assert [s["name"] for s in loaded.data["services"]] == inherited[:-1]
