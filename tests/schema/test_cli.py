"""``gitops-gen validate``: exit codes, unknown kinds, output formats (contracts)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

GOOD = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: n}\ndata: {k: v}\n"
BAD = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: A_B}\ndata: {k: v}\n"
UNKNOWN = "apiVersion: example.org/v1\nkind: Gizmo\nmetadata: {name: g}\n"
SCHEMA = """
type: object
properties:
  spec: {type: object, properties: {size: {type: integer}}}
"""


@pytest.fixture
def files(tree, tmp_path):
    tree({"crds/.keep": "", "good.yaml": GOOD, "bad.yaml": BAD, "unknown.yaml": UNKNOWN})
    return tmp_path


def run(cli, path, *args):
    """Validate ``path`` (under a tmp tree holding an empty ``crds/``) with ``args``."""
    crds = next(p for p in (path, *path.parents) if (p / "crds").is_dir()) / "crds"
    return cli("validate", str(path), *args, "--crd-dir", str(crds))


def test_valid_exit_0(cli, files):
    r = run(cli, files / "good.yaml")
    assert r.code == 0, r.err
    assert "documents: 1, errors: 0" in r.out


def test_findings_exit_1(cli, files):
    r = run(cli, files / "bad.yaml")
    assert r.code == 1
    assert "bad.yaml:3:12: error: ConfigMap A_B: $.metadata.name: Invalid value: 'A_B'" in r.out


@pytest.mark.parametrize(
    ("target", "extra", "message"),
    [
        ("nope.yaml", (), "nope.yaml: no such file or directory"),
        ("good.yaml", ("--kubernetes-version", "1.2"), "--kubernetes-version 1.2: no schemas shipped"),
        ("good.yaml", ("--crd-dir", "absent"), "absent: CRD directory not found"),
        ("crds", (), "no manifest files (*.yaml, *.yml, *.json) found"),
    ],
    ids=["missing-path", "bad-version", "missing-crd-dir", "no-manifests"],
)
def test_input_errors_exit_2(cli, files, target, extra, message):
    extra = tuple(str(files / e) if e == "absent" else e for e in extra)
    r = cli("validate", str(files / target), "--crd-dir", str(files / "crds"), *extra)
    assert r.code == 2
    assert message in r.err
    assert "Traceback" not in r.err


def test_yaml_syntax_error_exit_2(cli, tree, tmp_path):
    tree({"crds/.keep": "", "broken.yaml": "apiVersion: v1\nkind: [\n"})
    r = run(cli, tmp_path / "broken.yaml")
    assert (r.code, "invalid YAML" in r.err, "broken.yaml:" in r.err) == (2, True, True)


def test_unknown_kind_is_a_visible_warning(cli, files):
    r = run(cli, files / "unknown.yaml")
    assert r.code == 0
    assert "warning: Gizmo g: $: no schema for example.org/v1 Gizmo" in r.out
    assert "unknown_kinds: 1" in r.out


def test_unknown_kind_is_an_error_under_strict(cli, files):
    r = run(cli, files / "unknown.yaml", "--strict")
    assert r.code == 1
    assert "error: Gizmo g" in r.out


def test_crd_among_the_inputs_defines_its_kind(cli, tree, tmp_path, make_crd):
    tree(
        {
            "crds/.keep": "",
            "in/a-gizmo.yaml": UNKNOWN + "spec: {size: big}\n",
            "in/z-crd.yaml": make_crd("Gizmo", "example.org", SCHEMA, scope="Cluster"),
        }
    )
    r = run(cli, tmp_path / "in")
    assert r.code == 1
    assert "$.spec.size" in r.out
    assert "unknown_kinds: 0" in r.out


def test_list_kind_is_flattened(cli, tree, tmp_path):
    items = "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: ok}}\n"
    items += "- {apiVersion: v1, kind: ConfigMap, metadata: {name: Bad_Name}}\n"
    tree({"crds/.keep": "", "list.yaml": items})
    r = run(cli, tmp_path / "list.yaml", "-o", "json")
    doc = json.loads(r.out)
    assert doc["summary"]["documents"] == 2
    assert [f["name"] for f in doc["findings"]] == ["Bad_Name"]


def test_json_shape(cli, files):
    r = run(cli, files, "-o", "json")
    assert r.code == 1
    doc = json.loads(r.out)
    assert set(doc) == {"findings", "summary"}
    assert {
        "files": 3,
        "documents": 3,
        "errors": 1,
        "warnings": 1,
        "unknown_kinds": 1,
        "strict": False,
    }.items() <= doc["summary"].items()
    first = doc["findings"][0]
    assert first["json_path"] == "$.metadata.name"
    assert first["rule"] == "metadata.name"
    assert first["kind"] == "ConfigMap"
    assert first["line"] == 3
    assert "unknown kinds were not validated" in r.err


def test_junit_is_xml_with_one_failure(cli, files):
    r = run(cli, files / "bad.yaml", "-o", "junit")
    root = ET.fromstring(r.out)
    assert root.get("failures") == "1"
    assert root.find(".//failure") is not None


def test_sarif_2_1_0(cli, files):
    r = run(cli, files / "bad.yaml", "-o", "sarif")
    doc = json.loads(r.out)
    assert doc["version"] == "2.1.0"
    (result,) = doc["runs"][0]["results"]
    assert result["ruleId"] == "metadata.name"
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 3


def test_output_is_deterministic_and_same_in_parallel(cli, tree, tmp_path):
    files = {"crds/.keep": ""}
    for i in range(12):
        files[f"m/{i:02d}.yaml"] = BAD.replace("A_B", f"A_{i}") + "---\n" + GOOD
    tree(files)
    serial = run(cli, tmp_path / "m", "-o", "json", "-j", "1")
    parallel = run(cli, tmp_path / "m", "-o", "json", "-j", "2")
    assert serial.out == parallel.out
    assert json.loads(serial.out)["summary"]["errors"] == 12


def test_parallel_run_keeps_input_order_whatever_the_file_names(cli, tree, tmp_path, make_crd):
    """Workers take files grouped by the kind their name suggests; findings still come in input order.

    Names are chosen so that grouping reorders them (``z-`` before ``a-`` in the input), one file is
    given twice, and a CRD among the inputs defines a kind another file uses (validated again at the
    end): the JSON of ``-j 2`` equals that of ``-j 1`` byte for byte.
    """
    files = {"crds/.keep": "", "m/crd.yaml": make_crd("Gizmo", "example.org", SCHEMA)}
    for i in range(24):
        prefix = ("z", "a", "configmap", "gizmo")[i % 4]
        body = BAD.replace("A_B", f"A_{i}") + "---\n" + GOOD
        if prefix == "gizmo":
            body = f"apiVersion: example.org/v1\nkind: Gizmo\nmetadata: {{name: g{i}}}\nspec: {{size: x}}\n"
        files[f"m/{i:02d}/{prefix}-{i}.yaml"] = body
    tree(files)
    once = str(tmp_path / "m" / "03")
    serial = run(cli, tmp_path / "m", once, "-o", "json", "-j", "1")
    parallel = run(cli, tmp_path / "m", once, "-o", "json", "-j", "2")
    assert serial.out == parallel.out
    report = json.loads(serial.out)
    assert report["summary"]["unknown_kinds"] == 0
    assert report["summary"]["errors"] == 18 + 6 + 1  # bad names, bad sizes, gizmo-3 again
    shown = [f["file"] for f in report["findings"]]
    assert shown == [*sorted(shown[:-1]), shown[-1]]


def test_input_crds_are_registered_in_input_order_in_parallel(cli, tree, tmp_path, make_crd):
    """Two input CRDs define one kind: the first in input order wins, however workers group files."""
    strict = SCHEMA.replace("type: integer", "type: string")
    files = {"crds/.keep": "", "m/a/zz-crd.yaml": make_crd("Gizmo", "example.org", SCHEMA)}
    files["m/b/aa-crd.yaml"] = make_crd("Gizmo", "example.org", strict)
    for i in range(8):
        files[f"m/c/gizmo-{i}.yaml"] = f"apiVersion: example.org/v1\nkind: Gizmo\nmetadata: {{name: g{i}}}\n"
        files[f"m/c/gizmo-{i}.yaml"] += "spec: {size: 3}\n"
    tree(files)
    serial = run(cli, tmp_path / "m", "-o", "json", "-j", "1")
    parallel = run(cli, tmp_path / "m", "-o", "json", "-j", "2")
    assert serial.out == parallel.out
    assert (serial.code, json.loads(serial.out)["summary"]["errors"]) == (0, 0)  # zz-crd's integer size


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--kubernetes-version", "1.2"), "--kubernetes-version 1.2: no schemas shipped"),
        (("--crd-dir", "absent"), "absent: CRD directory not found"),
    ],
    ids=["bad-version", "missing-crd-dir"],
)
def test_bad_options_exit_2_with_workers_too(cli, tree, tmp_path, jobs, extra, message):
    """With ``environments/`` to read, workers start before the options are checked: none is left."""
    files = {"environments/dev.yaml": "eks: {version: '1.30'}\n"}
    files.update({f"m/{i}.yaml": GOOD for i in range(4)})
    tree(files)
    extra = tuple(str(tmp_path / e) if e == "absent" else e for e in extra)
    r = cli("validate", str(tmp_path / "m"), "--root", str(tmp_path), "-j", jobs, *extra)
    assert (r.code, r.out) == (2, "")
    assert message in r.err
    assert "Traceback" not in r.err


def test_declared_version_is_used_by_every_worker(cli, tree, tmp_path):
    """The EKS version ``environments/`` declares reaches the workers (decided while they read)."""
    from generator.schema.kube import available_versions

    oldest = available_versions()[0]
    files = {"crds/.keep": "", "environments/dev.yaml": f"eks: {{version: '{oldest}'}}\n"}
    files.update({f"m/{i:02d}.yaml": BAD.replace("A_B", f"A_{i}") for i in range(12)})
    tree(files)
    out = {j: run(cli, tmp_path / "m", "--root", str(tmp_path), "-o", "json", "-j", j).out for j in "12"}
    assert out["1"] == out["2"]
    assert json.loads(out["2"])["summary"]["kubernetes_version"] == oldest


def test_first_unreadable_file_in_input_order_is_reported_in_parallel(cli, tree, tmp_path):
    """Workers take files grouped by name; the error shown is still the one a serial run stops at."""
    files = {"crds/.keep": "", "m/00/zz-broken.yaml": "a: [\n", "m/01/aa-broken.yaml": "b: {\n"}
    files.update({f"m/{i:02d}/configmap-{i}.yaml": GOOD for i in range(2, 10)})
    tree(files)
    serial = run(cli, tmp_path / "m", "-j", "1")
    parallel = run(cli, tmp_path / "m", "-j", "2")
    assert (serial.code, serial.err) == (parallel.code, parallel.err)
    assert serial.code == 2
    assert "zz-broken.yaml" in serial.err
