"""Hostile input, every class of issue 11 point 1: one located message, exit 2, nothing changed, fast.

The same payloads go to every reader a user can hand YAML to: environment files (``render``),
manifests (``validate``), policies and Values files (``policy apply``) and ``kyverno-test.yaml``
(``policy test``). Each must end in one ``error:`` line naming the file (and the line where there is
one), never a traceback, a hang or unbounded memory.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from generator import yamlread
from tests.conftest import CliResult, tree_bytes

#: A hostile case must fail well inside this (the billion-laughs document took 17 s before the fix).
FAST_SECONDS = 10.0


def _bomb(levels: int = 9) -> bytes:
    out = 'lol0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for i in range(1, levels):
        refs = ",".join([f"*l{i - 1}"] * 9)
        out += f"lol{i}: &l{i} [{refs}]\n"
    return out.encode()


#: (id, payload appended to a valid file (or None: replace it), text the message must hold, line?)
PAYLOADS: list[tuple[str, bytes, str, bool]] = [
    ("nul-byte", b"x: 1\x00\n", "control character U+0000", True),
    ("control-char", b"x: \x1b[31m\n", "control character U+001B", True),
    ("invalid-utf8", b"x: \xc3\x28\n", "not valid UTF-8", True),
    ("binary", b"\x7fELF\x02\x01\x01\x00\xff\xfe" * 20, "", True),
    ("tab-indent", b"x:\n\ty: 1\n", "never tabs", True),
    ("truncated", b'x: "never closed\n', "invalid YAML", True),
    ("duplicate-key-deep", b"x:\n  y:\n    z: 1\n    z: 2\n", "duplicate key 'z'", True),
    ("billion-laughs", _bomb(), "through aliases", True),
    ("recursive-alias", b"x: &a [1, *a]\n", "contains it", True),
    ("deep-nesting", b"x: " + b"[" * 5000 + b"]" * 5000 + b"\n", "nesting deeper than", True),
    ("deep-block-nesting", b"".join(b"  " * i + b"k:\n" for i in range(300)), "nesting deeper than", True),
    ("huge-integer", b"x: " + b"9" * 5000 + b"\n", "integer too large", True),
    ("unknown-tag", b"x: !foo bar\n", "'!foo'", True),
    ("python-tag", b"x: !!python/object/apply:os.system [echo]\n", "python/object", True),
]
BOM = ("byte-order-mark", "byte-order mark")

MANIFEST = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\ndata:\n  a: b\n"
POLICY = """apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: p
spec:
  rules:
  - name: r
    match:
      any:
      - resources:
          kinds: [ConfigMap]
    validate:
      message: m
      pattern:
        metadata:
          name: "?*"
"""
TEST_FILE = """apiVersion: cli.kyverno.io/v1alpha1
kind: Test
metadata:
  name: t
policies: [policy.yaml]
resources: [resource.yaml]
results:
- policy: p
  rule: r
  resources: [ok]
  kind: ConfigMap
  result: pass
"""
VALUES = "apiVersion: cli.kyverno.io/v1alpha1\nkind: Value\npolicies: []\n"


def _assert_one_error(result: CliResult, file: str, text: str, with_line: bool, seconds: float) -> None:
    assert result.code == 2, (result.code, result.out, result.err)
    assert "Traceback" not in result.err
    assert result.err.count("error:") == 1, result.err
    where = re.escape(file) + (r":\d+(:\d+)?: " if with_line else r"(:\d+)*: ")
    assert re.search(where, result.err), result.err
    assert text in result.err, result.err
    assert seconds < FAST_SECONDS


# --- environment files ----------------------------------------------------------------------------


@pytest.fixture
def rendered_project(project: Path, cli: Callable[..., CliResult]) -> Path:
    assert cli("render", "--root", str(project), "--env", "dev", "-q").code == 0
    return project


def _render_case(
    project: Path,
    cli: Callable[..., CliResult],
    text: str,
    with_line: bool,
    file: str = "environments/dev.yaml",
) -> None:
    before = {**tree_bytes(project / "rendered"), **tree_bytes(project / "environments")}
    started = time.monotonic()
    result = cli("render", "--root", str(project), "--env", "dev")
    _assert_one_error(result, file, text, with_line, time.monotonic() - started)
    assert {**tree_bytes(project / "rendered"), **tree_bytes(project / "environments")} == before


@pytest.mark.parametrize(
    ("payload", "text", "with_line"), [p[1:] for p in PAYLOADS], ids=[p[0] for p in PAYLOADS]
)
def test_environment_file(rendered_project: Path, cli, payload: bytes, text: str, with_line: bool) -> None:
    env = rendered_project / "environments" / "dev.yaml"
    env.write_bytes(env.read_bytes() + payload)
    _render_case(rendered_project, cli, text, with_line)


def test_environment_file_with_bom(rendered_project: Path, cli) -> None:
    env = rendered_project / "environments" / "dev.yaml"
    env.write_bytes(b"\xef\xbb\xbf" + env.read_bytes())
    _render_case(rendered_project, cli, BOM[1], True)


def test_empty_environment_file(rendered_project: Path, cli) -> None:
    (rendered_project / "environments" / "dev.yaml").write_bytes(b"")
    _render_case(rendered_project, cli, "must be a mapping", True)


def test_huge_environment_file(rendered_project: Path, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    from generator import load

    monkeypatch.setattr(load, "MAX_ENV_BYTES", 50_000)
    env = rendered_project / "environments" / "dev.yaml"
    env.write_bytes(env.read_bytes() + b"# " + b"x" * 60_000 + b"\n")
    _render_case(rendered_project, cli, "bytes, more than the 50000 accepted", False)


def test_huge_scalar(rendered_project: Path, cli) -> None:
    env = rendered_project / "environments" / "dev.yaml"
    env.write_text(env.read_text().replace("  routing: latency\n", f"  routing: {'x' * 10_000}\n"))
    _render_case(rendered_project, cli, "characters long", True)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_fifo_as_environment_file(rendered_project: Path, cli) -> None:
    env = rendered_project / "environments" / "dev.yaml"
    env.unlink()
    os.mkfifo(env)
    started = time.monotonic()
    result = cli("render", "--root", str(rendered_project), "--env", "dev")
    _assert_one_error(
        result, "environments/dev.yaml", "not a regular file", False, time.monotonic() - started
    )


def test_symlink_out_of_the_repository(rendered_project: Path, cli, tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    env = rendered_project / "environments" / "dev.yaml"
    outside.write_bytes(env.read_bytes())
    env.unlink()
    env.symlink_to(outside)
    _render_case(rendered_project, cli, "outside the repository", False)


#: The sprint line, whatever the shipped sprint is (a release must keep the suite green).
SPRINT = re.compile(r"^  sprint: \d+\n", re.MULTILINE)
ENV_EDITS = [
    pytest.param(SPRINT, "  sprint: 42.5\n", "expected integer", id="non-integer-sprint"),
    pytest.param(SPRINT, '  sprint: "42"\n', "expected integer", id="non-numeric-sprint"),
    pytest.param("    main:\n", "    Main:\n", "is not valid here", id="uppercase-cluster-name"),
    pytest.param("    main:\n", "    ma/in:\n", "is not valid here", id="slash-in-cluster-name"),
    pytest.param("    main:\n", "    ..:\n", "is not valid here", id="dotdot-cluster-name"),
    pytest.param("    main:\n", f"    {'a' * 64}:\n", "is too long", id="cluster-name-over-63"),
    pytest.param("    main:\n", '    "main\\n":\n', "control character U+000A", id="newline-in-cluster-name"),
    pytest.param(
        "owner:\n", "extends: ../../../outside/x\nowner:\n", "is not a file name", id="extends-dotdot"
    ),
    pytest.param("owner:\n", "extends: /etc/passwd\nowner:\n", "is not a file name", id="extends-absolute"),
    pytest.param("owner:\n", "extends: nothing-here\nowner:\n", "does not exist", id="extends-unknown"),
    pytest.param("owner:\n", "extends: dev\nowner:\n", "a cycle", id="extends-itself"),
    pytest.param(SPRINT, "  sprint: 1e400\n", "", id="infinite-number"),
    pytest.param(SPRINT, "  sprint: 99999999999\n", "", id="number-out-of-range"),
]


@pytest.mark.parametrize(("old", "new", "text"), ENV_EDITS)
def test_environment_value(
    rendered_project: Path, cli, old: str | re.Pattern[str], new: str, text: str
) -> None:
    env = rendered_project / "environments" / "dev.yaml"
    before = env.read_text()
    edited = old.sub(new, before, count=1) if isinstance(old, re.Pattern) else before.replace(old, new, 1)
    assert edited != before, f"{old!r} not in dev.yaml"
    env.write_text(edited)
    _render_case(rendered_project, cli, text, True)


def test_weights_must_be_integers(project: Path, cli) -> None:
    env = project / "environments" / "prod.yaml"
    text = env.read_text()
    weight = re.search(r"^    odd: (\d+)$", text, re.MULTILINE)
    assert weight is not None
    env.write_text(text.replace(weight.group(0), f"    odd: {weight.group(1)}.0", 1))
    before = tree_bytes(project / "environments")
    result = cli("render", "--root", str(project), "--env", "prod")
    _assert_one_error(result, "environments/prod.yaml", "expected integer", True, 0)
    assert (tree_bytes(project / "environments"), (project / "rendered").exists()) == (before, False)


def test_negative_weight(project: Path, cli) -> None:
    env = project / "environments" / "prod.yaml"
    text = env.read_text()
    weight = re.search(r"^    odd: (\d+)$", text, re.MULTILINE)
    assert weight is not None
    env.write_text(text.replace(weight.group(0), "    odd: -5", 1))
    before = tree_bytes(project / "environments")
    result = cli("render", "--root", str(project), "--env", "prod")
    _assert_one_error(result, "environments/prod.yaml", "minimum", True, 0)
    assert (tree_bytes(project / "environments"), (project / "rendered").exists()) == (before, False)


def test_extends_through_a_symlink_out_of_the_repository(rendered_project: Path, cli, tmp_path: Path) -> None:
    defaults = rendered_project / "environments" / "_defaults.yaml"
    outside = tmp_path / "elsewhere.yaml"
    outside.write_bytes(defaults.read_bytes())
    defaults.unlink()
    defaults.symlink_to(outside)
    _render_case(rendered_project, cli, "outside the repository", False, "environments/_defaults.yaml")


@pytest.mark.parametrize(
    "name", ["Bad_Name", "a" * 64, "has.dot", "-dash"], ids=["uppercase", "over-63", "dot", "dash"]
)
def test_environment_name_must_be_a_label(project: Path, cli, name: str) -> None:
    (project / "environments" / f"{name}.yaml").write_bytes(
        (project / "environments" / "dev.yaml").read_bytes()
    )
    before = tree_bytes(project / "environments")
    result = cli("render", "--root", str(project))
    _assert_one_error(result, f"environments/{name}.yaml", "not a DNS-1123 label", False, 0)
    assert not (project / "rendered").exists()
    assert tree_bytes(project / "environments") == before


def test_extends_cycle_across_two_files(rendered_project: Path, cli) -> None:
    """dev extends prod, prod extends dev: refused, never followed round."""
    envs = rendered_project / "environments"
    for name, parent in (("prod", "dev"), ("dev", "prod")):
        path = envs / f"{name}.yaml"
        text = re.sub(r"(?m)^extends:.*\n", "", path.read_text())
        path.write_text(f"extends: {parent}\n{text}")
    _render_case(rendered_project, cli, "makes a cycle", True, "environments/prod.yaml")


# --- manifests, policies, Test and Values files ------------------------------------------------------


def _files(tmp_path: Path, name: str, payload: bytes | None) -> dict[str, Path]:
    """A valid policy, resource, Test and Values file; ``name`` gets ``payload`` appended."""
    texts = {
        "policy.yaml": POLICY,
        "resource.yaml": MANIFEST,
        "kyverno-test.yaml": TEST_FILE,
        "values.yaml": VALUES,
    }
    out = {}
    for file, text in texts.items():
        path = tmp_path / file
        data = text.encode()
        if file == name and payload is not None:
            data = data + payload
        path.write_bytes(data)
        out[file] = path
    return out


def _run_reader(cli, paths: dict[str, Path], name: str) -> CliResult:
    if name == "resource.yaml":
        return cli("validate", str(paths[name]), "--kubernetes-version", "1.33")
    if name == "kyverno-test.yaml":
        return cli("policy", "test", str(paths[name].parent))
    return cli(
        "policy",
        "apply",
        "--policy",
        str(paths["policy.yaml"]),
        "--resource",
        str(paths["resource.yaml"]),
        "--values",
        str(paths["values.yaml"]),
    )


READERS = ["resource.yaml", "policy.yaml", "kyverno-test.yaml", "values.yaml"]


@pytest.mark.parametrize("name", READERS)
@pytest.mark.parametrize(
    ("payload", "text", "with_line"), [p[1:] for p in PAYLOADS], ids=[p[0] for p in PAYLOADS]
)
def test_every_reader(tmp_path: Path, cli, name: str, payload: bytes, text: str, with_line: bool) -> None:
    paths = _files(tmp_path, name, payload if name != "values.yaml" else b"\n" + payload)
    before = tree_bytes(tmp_path)
    started = time.monotonic()
    result = _run_reader(cli, paths, name)
    _assert_one_error(result, str(paths[name]), text, with_line, time.monotonic() - started)
    assert tree_bytes(tmp_path) == before


@pytest.mark.parametrize("name", READERS)
def test_every_reader_refuses_a_bom(tmp_path: Path, cli, name: str) -> None:
    paths = _files(tmp_path, name, None)
    paths[name].write_bytes(b"\xef\xbb\xbf" + paths[name].read_bytes())
    _assert_one_error(_run_reader(cli, paths, name), str(paths[name]), BOM[1], True, 0)


@pytest.mark.parametrize("name", [r for r in READERS if r != "resource.yaml"])
def test_every_reader_refuses_an_empty_file(tmp_path: Path, cli, name: str) -> None:
    paths = _files(tmp_path, name, None)
    paths[name].write_bytes(b"")
    before = tree_bytes(tmp_path)
    result = _run_reader(cli, paths, name)
    assert result.code == 2, (result.out, result.err)
    assert result.err.count("error:") == 1, result.err
    assert str(paths[name]) in result.err
    assert tree_bytes(tmp_path) == before


def test_an_empty_manifest_holds_no_documents(tmp_path: Path, cli) -> None:
    """Unlike the files above, an empty manifest is no mistake: it holds no objects (lightkube, Argo CD)."""
    paths = _files(tmp_path, "resource.yaml", None)
    paths["resource.yaml"].write_bytes(b"")
    result = _run_reader(cli, paths, "resource.yaml")
    assert (result.code, "documents: 0" in result.out + result.err) == (0, True), result


@pytest.mark.parametrize("name", READERS)
def test_every_reader_refuses_a_huge_file(
    tmp_path: Path, cli, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(yamlread, "MAX_FILE_BYTES", 20_000)
    paths = _files(tmp_path, name, b"\n#" + b"x" * 30_000 + b"\n")
    _assert_one_error(
        _run_reader(cli, paths, name), str(paths[name]), "more than the 20000 accepted", False, 0
    )


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_fifo_inside_a_validate_directory(tmp_path: Path, cli) -> None:
    (tmp_path / "a.yaml").write_text(MANIFEST)
    os.mkfifo(tmp_path / "b.yaml")
    started = time.monotonic()
    result = cli("validate", str(tmp_path), "--kubernetes-version", "1.33")
    _assert_one_error(
        result, str(tmp_path / "b.yaml"), "not a regular file", False, time.monotonic() - started
    )


@pytest.mark.parametrize("inside_dir", [False, True], ids=["given", "found-in-directory"])
def test_dangling_symlink_given_to_validate(tmp_path: Path, cli, inside_dir: bool) -> None:
    link = tmp_path / "gone.yaml"
    link.symlink_to(tmp_path / "missing.yaml")
    result = cli("validate", str(tmp_path if inside_dir else link), "--kubernetes-version", "1.33")
    _assert_one_error(result, str(link), "", False, 0)


# --- exit codes of the CLI itself -------------------------------------------------------------------


def test_internal_error_is_one_line_and_exit_3(cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import generator.commands.schema as schema_command

    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)

    def boom(*_args: object) -> int:
        raise KeyError("a bug")

    monkeypatch.setattr(schema_command, "run", boom)
    result = cli("schema")
    assert result.code == 3
    assert "Traceback" not in result.err
    assert result.err.startswith("internal error: KeyError")
    written = re.search(r"traceback is in (\S+)", result.err)
    assert written is not None, result.err
    assert "Traceback" in Path(written.group(1)).read_text()
    assert Path(written.group(1)).parent == tmp_path


def test_broken_pipe_is_quiet() -> None:
    """``gitops-gen schema | head -0``: the reader is gone; no traceback, no 'Exception ignored' noise."""
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "generator", "schema"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    proc.stdout.close()  # the reader goes away before the first write
    with proc.stderr:
        err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141
    assert err == ""


# --- the same errors as machine-readable findings --------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "text", "with_line"), [p[1:] for p in PAYLOADS], ids=[p[0] for p in PAYLOADS]
)
@pytest.mark.parametrize("command", ["render", "validate"])
def test_json_shape_of_each_hostile_input_error(
    project: Path, cli, command: str, payload: bytes, text: str, with_line: bool
) -> None:
    """Under ``--output json`` each class is one finding of the contract's shape on stdout, exit 2."""
    from generator.findings import Finding
    from generator.gate.report.common import finding_to_json

    if command == "render":
        target = project / "environments" / "dev.yaml"
        target.write_bytes(target.read_bytes() + payload)
        result = cli("render", "--root", str(project), "--env", "dev", "--output", "json")
    else:
        target = project / "hostile.yaml"
        target.write_bytes(b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n" + payload)
        result = cli("validate", str(target), "--kubernetes-version", "1.33", "--output", "json")
    assert result.code == 2, (result.out, result.err)
    doc = json.loads(result.out)
    (finding,) = doc["findings"]
    shape = finding_to_json(Finding("f", 1, 1, (), "r", "m"))
    assert set(finding) == set(shape)
    assert finding["severity"] == "error"
    assert finding["rule"]
    assert text in finding["message"]
    assert finding["file"].endswith(target.name)
    assert isinstance(finding["line"], int) or not with_line
