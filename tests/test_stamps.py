"""Unchanged environments skip rendering; a hand edit of rendered/ is still caught."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from generator import pipeline
from generator.pipeline import Project, render
from generator.stamps import STAMP_DIR
from generator.write import HEADER_PREFIX
from tests.conftest import SHIPPED_ENVS, tree_bytes


@pytest.fixture
def rendered_names(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The environments each render of files (``pipeline._rendered``) really renders."""
    calls: list[list[str]] = []
    real = pipeline._rendered

    def spy(project: Project, names: Sequence[str], *args: Any) -> pipeline.Rendered:
        calls.append(list(names))
        return real(project, names, *args)

    monkeypatch.setattr(pipeline, "_rendered", spy)
    return calls


def _since(calls: list[list[str]], start: int) -> list[str]:
    """The environments rendered by the calls after the first ``start`` ones."""
    return sorted(name for call in calls[start:] for name in call)


def _stamp(project: Path, env: str) -> tuple[bytes, dict[str, Any]]:
    """A stamp file's first line (its seal and inputs) and its JSON body."""
    head, _, body = (project / STAMP_DIR / f"{env}.json").read_bytes().partition(b"\n")
    return head, json.loads(body)


def _forge(project: Path, env: str, head: bytes, data: dict[str, Any]) -> None:
    """Rewrite a stamp's body, keeping its first line (what a hand edit or a commit would do)."""
    (project / STAMP_DIR / f"{env}.json").write_bytes(head + b"\n" + json.dumps(data).encode())


def _a_file(project: Path, env: str) -> Path:
    return next(p for p in sorted((project / "rendered" / env).rglob("*.yaml")))


def test_a_second_render_renders_nothing(project: Path, rendered_names: list[list[str]]) -> None:
    first = render(Project(project))
    start = len(rendered_names)
    second = render(Project(project))
    assert _since(rendered_names, start) == []
    assert not second.drift
    assert {c.path for c in second.changes} == {c.path for c in first.changes}
    assert {c.action for c in second.changes} == {"identical"}
    assert not render(Project(project), check=True).drift
    assert _since(rendered_names, start) == []


def test_editing_one_environment_renders_only_it(project: Path, rendered_names: list[list[str]]) -> None:
    render(Project(project))
    env = SHIPPED_ENVS[0]
    path = project / "environments" / f"{env}.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n# a comment\n", encoding="utf-8")
    start = len(rendered_names)
    assert not render(Project(project), check=True).drift
    assert _since(rendered_names, start) == [env]
    start = len(rendered_names)
    render(Project(project))
    assert _since(rendered_names, start) == []  # the clean --check stamped it again


def test_templates_policies_and_defaults_are_inputs(project: Path, rendered_names: list[list[str]]) -> None:
    render(Project(project))
    for changed in (
        next((project / "templates").rglob("*.j2")),
        next((project / "policies").rglob("*.yaml")),
        project / "environments" / "_defaults.yaml",
    ):
        changed.write_text(changed.read_text(encoding="utf-8") + "\n", encoding="utf-8")
        start = len(rendered_names)
        render(Project(project))
        assert _since(rendered_names, start) == sorted(SHIPPED_ENVS), changed


@pytest.mark.parametrize("edit", ["change", "delete", "add-generated", "add-foreign", "symlink"])
def test_render_check_still_catches_a_hand_edit(
    project: Path, rendered_names: list[list[str]], edit: str
) -> None:
    render(Project(project))
    env = SHIPPED_ENVS[0]
    target = _a_file(project, env)
    if edit == "change":
        target.write_text(target.read_text(encoding="utf-8") + "extra: 1\n", encoding="utf-8")
    elif edit == "delete":
        target.unlink()
    elif edit == "add-generated":
        (target.parent / "configmap-hand.yaml").write_text(f"{HEADER_PREFIX}\nkind: ConfigMap\n")
    elif edit == "add-foreign":
        (target.parent / "notes.yaml").write_text("hand: written\n")
    else:
        (target.parent / "link.yaml").symlink_to(target)
    start = len(rendered_names)
    report = render(Project(project), check=True)
    assert _since(rendered_names, start) == [env]
    actions = {c.action for c in report.changes if c.action != "identical"}
    assert (
        actions
        == {
            "change": {"update"},
            "delete": {"create"},
            "add-generated": {"delete"},
            "add-foreign": {"foreign"},
            "symlink": {"foreign"},
        }[edit]
    )
    assert report.drift == (edit in ("change", "delete", "add-generated"))


def test_a_render_repairs_a_hand_edit(project: Path) -> None:
    render(Project(project))
    expected = tree_bytes(project / "rendered")
    target = _a_file(project, SHIPPED_ENVS[0])
    target.write_text("edited\n", encoding="utf-8")
    assert render(Project(project)).drift
    assert tree_bytes(project / "rendered") == expected


def test_stamps_live_outside_rendered_and_are_git_ignored(project: Path) -> None:
    render(Project(project))
    stamps = project / STAMP_DIR
    assert sorted(p.stem for p in stamps.glob("*.json")) == sorted(SHIPPED_ENVS)
    assert (project / ".gitops-gen" / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"
    assert not [
        p for p in (project / "rendered").rglob("*") if ".gitops-gen" in p.parts or p.suffix == ".json"
    ]


@pytest.mark.parametrize("damage", ["garbage", "other-inputs", "missing-file"])
def test_a_damaged_stamp_means_render(project: Path, rendered_names: list[list[str]], damage: str) -> None:
    render(Project(project))
    env = SHIPPED_ENVS[0]
    head, data = _stamp(project, env)
    if damage == "garbage":
        (project / STAMP_DIR / f"{env}.json").write_text("{not json", encoding="utf-8")
    elif damage == "other-inputs":
        _forge(project, env, head.split(b" ")[0] + b" " + b"0" * 40, data)
    else:
        files = dict(data["files"])
        files.pop(next(iter(files)))
        _forge(project, env, head, {**data, "files": files})
    start = len(rendered_names)
    assert not render(Project(project), check=True).drift
    assert _since(rendered_names, start) == [env]


#: A team policy every service's Rollout breaks: findings located through each object's origin.
_FLAG_ROLLOUTS = """
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: team-flag-rollouts
spec:
  validationFailureAction: Enforce
  rules:
    - name: no-such-label
      match:
        any:
          - resources:
              kinds: [Rollout]
      validate:
        message: "every Rollout carries example.com/never"
        pattern:
          spec:
            template:
              metadata:
                labels:
                  example.com/never: "?*"
"""


def test_check_with_stamps_finds_what_it_finds_without(project: Path, tmp_path: Path) -> None:
    """``check`` reads unchanged environments back from rendered/ instead of rendering: same result.

    Same findings, in the same order, located at the same environment lines (the stamp records
    each object's origin); a team policy makes sure there are many.
    """
    team = tmp_path / "team"
    team.mkdir()
    (team / "flag.yaml").write_text(_FLAG_ROLLOUTS.lstrip(), encoding="utf-8")
    render(Project(project))
    with_stamps = pipeline.check(Project(project), crd_dirs=None, jobs=1, policy_dirs=[str(team)])
    for stamp in (project / STAMP_DIR).glob("*.json"):
        stamp.unlink()
    without = pipeline.check(Project(project), crd_dirs=None, jobs=1, policy_dirs=[str(team)])
    flagged = [f for f in without.findings if f.rule == "team-flag-rollouts/no-such-label"]
    assert flagged
    assert all(f.source is not None and f.source.file.startswith("environments/") for f in flagged)
    assert with_stamps.documents == without.documents
    assert with_stamps.findings == without.findings
    assert sorted(with_stamps.scopes) == sorted(without.scopes)


def test_check_renders_no_environment_whose_stamp_holds(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the environment edited since the last render is rendered by ``check``."""
    render(Project(project))
    env = SHIPPED_ENVS[0]
    path = project / "environments" / f"{env}.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n# a comment\n", encoding="utf-8")
    rendered: list[str] = []
    real = pipeline._render_loaded

    def spy(project: Project, names: Sequence[str], *args: Any, **kwargs: Any) -> Any:
        rendered.extend(names)
        return real(project, names, *args, **kwargs)

    monkeypatch.setattr(pipeline, "_render_loaded", spy)
    assert not pipeline.check(Project(project), crd_dirs=None, jobs=1).findings
    assert sorted(set(rendered)) == [env]


def test_stamps_record_where_each_object_came_from(project: Path) -> None:
    """The origins a stamp records are the render's own (``Manifest.sources``), file by file."""
    from generator.sourcemap import SourceMap
    from generator.stamps import inputs_digest, shared_digest, unchanged_files

    render(Project(project))
    for env in SHIPPED_ENVS:
        digest = inputs_digest(project, env, shared_digest(project))
        assert digest is not None
        kept = unchanged_files(project, env, digest)
        assert kept is not None
        expected = {
            m.path: m.sources.origin
            for m in pipeline.render_environments(Project(project), [env])
            if isinstance(m.sources, SourceMap) and m.sources.origin
        }
        assert kept.origins == expected
        assert any(origin[0] == "services" for origin in expected.values())


def test_a_stamp_rewritten_to_match_a_hand_edit_does_not_hold(project: Path) -> None:
    """A commit that edits rendered/ and forges the stamp (digests of the edited files) is caught."""
    from generator.stamps import digest

    render(Project(project))
    env = SHIPPED_ENVS[0]
    target = _a_file(project, env)
    edited = target.read_text(encoding="utf-8") + "extra: 1\n"
    target.write_text(edited, encoding="utf-8")
    head, data = _stamp(project, env)
    rel = target.relative_to(project / "rendered").as_posix()
    data["files"][rel][0] = digest(edited.encode("utf-8"))
    _forge(project, env, head, data)
    assert [c.path for c in render(Project(project), check=True).changes if c.action == "update"] == [rel]
    found = pipeline.check(Project(project), crd_dirs=None, jobs=1).findings
    assert [f.file for f in found if f.rule == "render-drift"] == [f"rendered/{rel}"]


def test_stamps_from_another_user_cache_do_not_hold(
    project: Path, rendered_names: list[list[str]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Stamps are sealed with this user's key: ones written elsewhere (a commit, a copy) render again."""
    monkeypatch.setenv("GITOPS_GEN_CACHE", str(tmp_path / "cache-a"))
    render(Project(project))
    start = len(rendered_names)
    render(Project(project))
    assert _since(rendered_names, start) == []
    monkeypatch.setenv("GITOPS_GEN_CACHE", str(tmp_path / "cache-b"))
    start = len(rendered_names)
    assert not render(Project(project), check=True).drift
    assert _since(rendered_names, start) == sorted(SHIPPED_ENVS)


def test_the_tool_fingerprint_reads_each_librarys_installed_version() -> None:
    """Versions come from the modules (no metadata scan at start-up); they are the installed ones."""
    from importlib.metadata import version

    from generator import stamps

    for lib in stamps._LIBRARIES:
        assert stamps._version(lib) == version(lib)
