"""CI templates (ci/): valid against their published schemas and calling commands that exist.

check-jsonschema (pinned in the dev extras) validates with the schemas it vendors
(``--builtin-schema vendor.*``); the test blocks the network through an unusable proxy, so a
schema that needed a download would fail here rather than pass by luck.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from generator.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TEMPLATES = {"github-actions.yml": "vendor.github-workflows", "gitlab-ci.yml": "vendor.gitlab-ci"}
OFFLINE = {"HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9", "NO_PROXY": ""}


@pytest.mark.parametrize(("name", "schema"), TEMPLATES.items())
def test_template_matches_its_published_schema(name: str, schema: str) -> None:
    result = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", schema, str(ROOT / "ci" / name)],
        env={**os.environ, **OFFLINE},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_broken_template_is_rejected(tmp_path: Path) -> None:
    """The validation can fail: steps must be a list."""
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  gate:\n    runs-on: ubuntu-latest\n    steps: 3\n")
    result = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(bad)],
        env={**os.environ, **OFFLINE},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1


def _script_lines(name: str) -> list[str]:
    data = yaml.safe_load((ROOT / "ci" / name).read_text())
    if name == "github-actions.yml":
        return [s["run"] for job in data["jobs"].values() for s in job["steps"] if "run" in s]
    return [line for job in data.values() if isinstance(job, dict) for line in job.get("script", [])]


@pytest.mark.parametrize("name", TEMPLATES)
def test_templates_call_commands_that_exist(name: str) -> None:
    targets = set(re.findall(r"^([a-z-]+):", (ROOT / "Makefile").read_text(), re.MULTILINE))
    lines = _script_lines(name)
    assert any("make check" in line for line in lines)
    for line in lines:
        command = line.split("||")[0].split(">")[0]
        words = shlex.split(command)
        if words[0] == "make":
            assert words[1] in targets, line
        elif words[0].endswith("gitops-gen"):
            build_parser(words[1:]).parse_args(words[1:])  # raises on an unknown flag or value
        for output in re.findall(r"OUTPUT=(\w+)", command):
            build_parser(["check"]).parse_args(["check", "--output", output])
