"""Default Kubernetes version: the EKS version environments/*.yaml declare."""

from __future__ import annotations

import io
from pathlib import Path

from generator.commands.validate import declared_version

ROOT = Path(__file__).resolve().parents[2]


def test_project_environments_declare_their_eks_version():
    env_dir = ROOT / "environments"
    err = io.StringIO()
    version = declared_version(env_dir, err)
    assert err.getvalue() == ""
    if env_dir.is_dir():
        assert version is not None
        assert version.count(".") == 1
    else:
        assert version is None


def test_no_environments_directory(tmp_path):
    assert declared_version(tmp_path / "environments", io.StringIO()) is None


def test_broken_environment_is_noted_and_ignored(tree, tmp_path):
    tree({"environments/dev.yaml": "eks: [\n"})
    err = io.StringIO()
    assert declared_version(tmp_path / "environments", err) is None
    assert "EKS version not read" in err.getvalue()


def test_version_from_the_extended_file_counts_without_a_schema_check(tree, tmp_path):
    """The version is read from the merged chain; a schema error elsewhere is the renderer's to report."""
    from generator.schema.kube import available_versions

    oldest = available_versions()[0]
    tree(
        {
            "environments/_defaults.yaml": f"eks:\n  version: '{oldest}'\n",
            "environments/dev.yaml": "notAKnownKey: 1\n",
        }
    )
    err = io.StringIO()
    assert declared_version(tmp_path / "environments", err) == oldest
    assert err.getvalue() == ""
