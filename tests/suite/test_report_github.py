"""``--output github``: annotations on the environment line, properties and messages escaped."""

from __future__ import annotations

import dataclasses

from generator.findings import Finding
from generator.gate.report import get_formatter
from generator.location import Location


def finding(source: Location | None, rule: str = "restrict-images/disallow-latest-tag") -> Finding:
    return Finding(
        file="rendered/dev/main/apps/docproc/rollout-ingest-api.yaml",
        line=73,
        column=9,
        yaml_path=("spec", "template", "spec", "containers", 0, "image"),
        rule=rule,
        message="tag 'latest' is not allowed,\nname a release",
        kind="Rollout",
        namespace="docproc",
        name="ingest-api",
        source=source,
    )


def test_annotation_sits_on_the_environment_line_and_names_the_rendered_file() -> None:
    out = get_formatter("github")([finding(Location("environments/dev.yaml", 14))], {"errors": 1}, tool="t")
    line = out.splitlines()[0]
    assert line.startswith(
        "::error file=environments/dev.yaml,line=14,title=restrict-images/disallow-latest-tag::"
    )
    assert "rendered/dev/main/apps/docproc/rollout-ingest-api.yaml:73:9" in line
    assert "%0Aname a release" in line


def test_without_a_source_the_rendered_file_is_annotated() -> None:
    out = get_formatter("github")([finding(None)], {}, tool="t")
    assert out.startswith("::error file=rendered/dev/main/apps/docproc/rollout-ingest-api.yaml,line=73,")


def test_property_values_escape_commas_and_colons() -> None:
    out = get_formatter("github")([finding(Location("environments/dev.yaml"), rule="a:b,c")], {}, tool="t")
    assert "title=a%3Ab%2Cc::" in out
    assert "file=environments/dev.yaml,title=" in out


def test_warnings_are_warning_annotations() -> None:
    f = finding(Location("environments/dev.yaml", 3))
    warning = dataclasses.replace(f, severity="warning")
    assert get_formatter("github")([warning], {}, tool="t").startswith("::warning ")
