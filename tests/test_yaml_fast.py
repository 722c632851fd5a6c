"""The fast floor (yaml-rs) reads machine-written YAML exactly as PyYAML does, or leaves it to PyYAML."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
import yaml_rs
from hypothesis import given, settings
from hypothesis import strategies as st

from generator import yamlread
from generator.errors import ManifestLoadError
from generator.write import plan_files
from tests.conftest import ROOT, SHIPPED_ENVS

_LOADER = yaml.CSafeLoader


def _pyyaml(text: str) -> object:
    return yamlread.load(text, "t.yaml", ManifestLoadError)


def _same(a: object, b: object) -> bool:
    """Equal data of equal types (``repr`` tells 1 from 1.0 and True, and nan equals nan)."""
    return repr(a) == repr(b)


#: Plain scalars that YAML 1.1 (PyYAML) and 1.2 (yaml-rs) may read differently, and forms outside
#: the plain subset. Each is tried as a value, a list item, a flow item and a key.
DIVERGENT = [
    "yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "y", "n",
    "017", "00", "0o17", "0x1F", "0b101", "1_000", "1e3", "1.0e5", "12e03", "-1.5e+3", "1.0e+20",
    ".5", "-.5", "+.5", "1.", "+1", "-0", "1:20", "-1:20:30.5", "2024-01-01", "2024-1-1",
    ".inf", "-.inf", ".Inf", ".nan", ".NaN", "~", "null", "Null", "NULL", "True", "TRUE", "False",
    "FALSE", "123456789012345678901234", "=", "<<",
]  # fmt: skip
STRUCTURES = [
    "a: &x 1\nb: *x\n",
    "a: !!str 1\n",
    "a: !!int '7'\n",
    "a: ! 12\n",
    "base: &b {x: 1}\nc:\n  <<: *b\n  y: 2\n",
    "%YAML 1.1\n---\na: yes\n",
    "? a\n: 1\n",
    "a: 2024-01-01 10:00:00\n",
    "a: [yes, on, 017]\n",
    "{on: 1, off: 2}\n",
    "a: b\n...\n",
    "a:\n" + "".join(f"{'  ' * i}k{i}:\n" for i in range(1, 120)) + "  " * 120 + "x: 1\n",  # too deep
    "a: " + "[" * 120 + "]" * 120 + "\n",
    "a:\n" + "".join(f"{'  ' * i}k{i}:\n" for i in range(1, 40)) + "  " * 40 + "x: 1\n",  # deep, fine
]


def _forms(token: str) -> list[str]:
    return [
        f"a: {token}\n",
        f"- {token}\n",
        f"a: [x, {token}]\n",
        f"{token}: 1\n",
        f"a:\n  b: {token}  # c\n",
    ]


@pytest.mark.parametrize("text", [f for t in DIVERGENT for f in _forms(t)] + STRUCTURES)
def test_divergent_text_reads_as_pyyaml_reads_it(text: str) -> None:
    def outcome(read: object) -> str:
        try:
            return repr(read(text, "t.yaml", ManifestLoadError))  # type: ignore[operator]
        except ManifestLoadError as e:
            return f"error: {e}"

    assert outcome(yamlread.load_generated) == outcome(yamlread.load)


def test_the_guard_is_needed() -> None:
    """Without the guard, yaml-rs reads many of these differently: the test above can fail."""
    differ = 0
    for text in [f for t in DIVERGENT for f in _forms(t)] + STRUCTURES:
        try:
            fast = yaml_rs.loads(text, parse_datetime=False)
            slow = yaml.load(text, Loader=_LOADER)
        except (ValueError, yaml.YAMLError):
            continue
        differ += not _same(fast, slow)
    assert differ >= 30


def test_errors_are_pyyaml_errors() -> None:
    for text in ("a: 1\na: 2\n", "a: [1\n", "a:\n\tb: 1\n"):
        with pytest.raises(ManifestLoadError) as fast:
            yamlread.load_generated(text, "t.yaml", ManifestLoadError)
        with pytest.raises(ManifestLoadError) as slow:
            _pyyaml(text)
        assert str(fast.value) == str(slow.value)


def _assert_equivalent(texts: dict[str, str]) -> None:
    """Every document: yaml-rs alone (no guard) reads what PyYAML reads, and the guard lets it."""
    fast = 0
    for path, text in texts.items():
        for _, chunk in yamlread.split_documents(text):
            expected = yaml.load(chunk, Loader=_LOADER)
            assert _same(yaml_rs.loads(chunk, parse_datetime=False), expected), path
            assert _same(yamlread.load_generated(chunk, path, ManifestLoadError), expected), path
            fast += not yamlread.divergent(chunk)
    # The canonical dumper quotes every divergent scalar: almost all documents take the fast path
    # (false alarms, e.g. the word "on," in a description, only cost speed).
    assert fast >= 0.95 * sum(len(yamlread.split_documents(t)) for t in texts.values())


def test_every_shipped_rendered_document_reads_alike() -> None:
    texts = {p.as_posix(): p.read_text(encoding="utf-8") for p in sorted((ROOT / "rendered").rglob("*.yaml"))}
    assert texts
    _assert_equivalent(texts)


def test_every_golden_document_reads_alike() -> None:
    golden = sorted((ROOT / "tests" / "golden").glob("*/expected/**/*.yaml"))
    assert golden
    _assert_equivalent({p.as_posix(): p.read_text(encoding="utf-8") for p in golden})


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from generator.bench.fleet import make_fleet_project

    return make_fleet_project(ROOT, tmp_path_factory.mktemp("fleet") / "p", 12)


def test_generated_fleet_reads_alike_and_renders_alike(fleet: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fleet's files read alike; rendering it with the PyYAML parser alone gives the same bytes."""
    from generator.pipeline import Project, render_environments

    project = Project(fleet)
    fast_files = plan_files(render_environments(project))
    _assert_equivalent(fast_files)
    monkeypatch.setattr(yamlread, "load_all_generated", lambda text: None)
    assert plan_files(render_environments(project)) == fast_files


@pytest.mark.parametrize("env", SHIPPED_ENVS)
def test_template_output_reads_alike(env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every template output of a shipped environment: fast and PyYAML parses give the same objects."""
    from generator import render as render_module
    from generator.pipeline import Project, render_environments

    outputs: list[str] = []
    real = render_module._render_text

    def spy(*args: object, **kwargs: object) -> str:
        text = real(*args, **kwargs)  # type: ignore[arg-type]
        outputs.append(text)
        return text

    monkeypatch.setattr(render_module, "_render_text", spy)
    render_environments(Project(ROOT), [env])
    assert outputs
    for text in outputs:
        expected = [d for d in yaml.load_all(text, Loader=_LOADER) if d is not None]
        fast = yamlread.load_all_generated(text)
        assert fast is None or _same(fast, expected)


keys = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12
)
scalars = st.one_of(
    st.text(max_size=20),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
    st.sampled_from(DIVERGENT),
)


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(
        keys,
        st.recursive(
            scalars, lambda i: st.lists(i, max_size=3) | st.dictionaries(keys, i, max_size=3), max_leaves=12
        ),
        max_size=5,
    )
)
def test_canonical_dump_reads_back_alike(doc: dict[str, object]) -> None:
    from generator.dump import dump

    text = dump(doc)
    assert _same(yamlread.load_generated(text, "t.yaml", ManifestLoadError), yaml.load(text, Loader=_LOADER))


def test_without_yaml_rs_everything_goes_the_pyyaml_way() -> None:
    """An install older than the yaml-rs pin (a hook run from a stale .venv) still reads every file.

    ``sys.modules["yaml_rs"] = None`` makes the import fail as a missing package does: the rendered
    files must then read as the same objects, and ``validate`` must pass, not end in a traceback.
    """
    import subprocess
    import sys

    code = (
        "import sys, yaml\n"
        "sys.modules['yaml_rs'] = None\n"
        "from pathlib import Path\n"
        "from generator import yamlread\n"
        "assert yamlread._YAML_RS is None\n"
        "root = Path(sys.argv[1])\n"
        "files = sorted((root / 'rendered').rglob('*.yaml'))\n"
        "assert files\n"
        "for f in files:\n"
        "    text = f.read_text()\n"
        "    want = [d for d in yaml.load_all(text, Loader=yamlread.LOADER) if d is not None]\n"
        "    got = yamlread.load_all_generated(text)\n"
        "    assert got is None or repr(got) == repr(want), f\n"
        "sys.argv = ['gitops-gen', 'validate', str(root / 'rendered'), '-q']\n"
        "from generator.cli import main\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(ROOT)], capture_output=True, text=True, timeout=300, check=False
    )
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 0, done.stderr


def test_bounds_walk_libyamls_events() -> None:
    """The depth and alias bounds read libyaml's events, not PyYAML's Python scanner.

    The Python scanner is 5x slower: reading the chart values took 0.6 s of every ``check`` with it.
    """
    assert yaml.__with_libyaml__
    assert yamlread._CParser is not None
    assert yamlread._CParser.__module__.startswith("yaml._yaml")
