"""Fuzzing and injection generated from the environment JSON Schema (issue 11 points 2 and 6).

Nothing here lists fields by hand: ``schema_fields`` walks ``gitops-gen schema`` (so fields other
issues add are covered the day they land) and every string field gets the injection payload; the
Hypothesis strategies draw values for any field from its own subschema (valid) or from hostile
text and wrong types (mutated). The property: rendering either succeeds with output that
passes ``validate --strict`` (the in-process engine behind it, with ../shared/crds) or raises one
``GeneratorError`` naming the environment file, never anything else; and an injected value changes
nothing rendered beyond the scalar that holds it.

Example counts are bounded for ``make test`` (``FUZZ_EXAMPLES``); ``make fuzz`` runs the same
properties with ``GITOPS_GEN_FUZZ_EXAMPLES`` (default there: 500).
"""

from __future__ import annotations

import copy
import functools
import os
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.documents import load_file
from generator.errors import GeneratorError
from generator.load import env_schema, load_environment
from generator.pipeline import Project, render_files
from generator.schema import Engine, Options
from tests.conftest import ROOT

FUZZ_EXAMPLES = int(os.environ.get("GITOPS_GEN_FUZZ_EXAMPLES", "25"))
SchemaPath = tuple[str | int, ...]  # "*" stands for any array index or map key

#: One value holding every way text could turn into code or structure on its way to YAML.
PAYLOAD = "x{{ 7*7 }}{% if true %}y{% endif %}\n---\nkind: Injected\n!!python/object:os.system &a *a: ${HOME}"
MARKER = "INJECTED-MARKER"


def schema_fields(
    schema: Mapping[str, Any], path: SchemaPath = ()
) -> Iterator[tuple[SchemaPath, Mapping[str, Any]]]:
    """Every leaf field of ``schema``: its path (``*`` for items and map values) and subschema."""
    types = schema.get("type")
    if types == "object" or "properties" in schema:
        for name, sub in (schema.get("properties") or {}).items():
            yield from schema_fields(sub, (*path, name))
        extra = schema.get("additionalProperties")
        if isinstance(extra, Mapping):
            yield from schema_fields(extra, (*path, "*"))
        return
    if types == "array":
        items = schema.get("items")
        if isinstance(items, Mapping):
            yield from schema_fields(items, (*path, "*"))
        return
    yield path, schema


def _is_string(sub: Mapping[str, Any]) -> bool:
    types = sub.get("type")
    return types == "string" or (isinstance(types, list) and "string" in types)


FIELDS = list(schema_fields(env_schema()))
STRING_FIELDS = [(p, s) for p, s in FIELDS if _is_string(s) and "enum" not in s]


def _merged(name: str) -> dict[str, Any]:
    loaded = load_environment(ROOT / "environments", name, shown_root=ROOT)
    return copy.deepcopy(dict(loaded.data))


BASES = {name: _merged(name) for name in ("dev", "prod")}


def _concrete(data: Any, path: SchemaPath) -> list[str | int] | None:
    """``path`` with each ``*`` made an existing index/key of ``data`` whose subtree has the rest.

    A last ``*`` under an empty mapping becomes a new key; ``None`` when no parent exists.
    """
    if not path:
        return []
    part, rest = path[0], path[1:]
    if part == "*":
        if isinstance(data, list):
            candidates: list[str | int] = list(range(len(data)))
        elif isinstance(data, dict):
            candidates = sorted(data) or (["FUZZ_KEY"] if not rest else [])
        else:
            return None
    else:
        candidates = [part]
    for candidate in candidates:
        if not rest:
            if isinstance(data, dict) or (isinstance(data, list) and isinstance(candidate, int)):
                return [candidate]
            continue
        try:
            child = data[candidate]
        except (KeyError, IndexError, TypeError):
            continue
        found = _concrete(child, rest)
        if found is not None:
            return [candidate, *found]
    return None


def _set(data: Any, path: list[str | int], value: Any) -> None:
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


def _base_for(path: SchemaPath) -> tuple[dict[str, Any], list[str | int]] | None:
    for data in BASES.values():
        concrete = _concrete(data, path)
        if concrete is not None:
            return copy.deepcopy(data), concrete
    return None


def _project(tmp: Path) -> Project:
    if not (tmp / "templates").exists():
        for name in ("templates", "policies"):
            shutil.copytree(ROOT / name, tmp / name)
        (tmp / "environments").mkdir()
    return Project(tmp)


def _render(project: Project, data: Mapping[str, Any]) -> dict[str, str] | GeneratorError:
    """Render ``data`` as ``environments/fuzz.yaml``: the files, or the one user error it raised."""
    body = {**data, "extends": "none"}
    (project.environments / "fuzz.yaml").write_text(yaml.safe_dump(body, sort_keys=True), encoding="utf-8")
    try:
        return render_files(project, ["fuzz"])
    except GeneratorError as e:
        error = e
    assert "environments/fuzz.yaml" in str(error), str(error)
    return error


@functools.cache
def _strict_engine(crd_dir: str) -> Engine:
    return Engine(Options(crd_dirs=(crd_dir,), strict=True))


def _assert_validates_strict(files: Mapping[str, str], crd_dir: Path) -> None:
    """Every rendered file passes ``gitops-gen validate --strict`` (its engine, in-process)."""
    engine = _strict_engine(str(crd_dir))
    errors = [
        f for path, text in files.items() for doc in load_file(path, text=text) for f in engine.check(doc)
    ]
    errors = [f for f in errors if f.severity == "error"]
    assert not errors, "a successful render fails validate --strict:\n" + "\n".join(map(str, errors[:5]))


def _replace_everywhere(value: Any, old: str, new: str) -> Any:
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, dict):
        return {_replace_everywhere(k, old, new): _replace_everywhere(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_everywhere(v, old, new) for v in value]
    return value


def _documents(files: Mapping[str, str]) -> dict[str, list[Any]]:
    return {path: [d for d in yaml.safe_load_all(text) if d is not None] for path, text in files.items()}


def test_the_schema_yields_fields() -> None:
    assert len(STRING_FIELDS) > 20
    assert any(p[-1] == "*" for p, _ in STRING_FIELDS)


@pytest.mark.parametrize(
    ("path", "sub"), STRING_FIELDS, ids=[".".join(map(str, p)) for p, _ in STRING_FIELDS]
)
def test_an_injected_value_is_one_scalar(tmp_path: Path, path: SchemaPath, sub: Mapping[str, Any]) -> None:
    """The payload is refused with a clear error, or it changes nothing but the scalar holding it."""
    found = _base_for(path)
    if found is None:
        pytest.skip(f"no shipped environment has a parent for {path}")
    data, concrete = found
    project = _project(tmp_path)
    injected = copy.deepcopy(data)
    _set(injected, concrete, PAYLOAD)
    outcome = _render(project, injected)
    if isinstance(outcome, GeneratorError):
        return  # refused: one located message (checked in _render)
    marked = copy.deepcopy(data)
    _set(marked, concrete, MARKER)
    baseline = _render(project, marked)
    assert not isinstance(baseline, GeneratorError), f"the marker itself is refused: {baseline}"
    assert sorted(outcome) == sorted(baseline), "an injected value changed which files are rendered"
    assert _replace_everywhere(_documents(outcome), PAYLOAD, MARKER) == _documents(baseline)


# --- Hypothesis: values drawn from each field's subschema, valid or mutated ------------------------

HOSTILE_TEXT = st.sampled_from(
    [
        PAYLOAD,
        "",
        " ",
        "\n",
        "a\nb: c",
        "{{ x }}",
        "{% x %}",
        "---",
        "&a",
        "*a",
        "!!python/object:x",
        "..",
        "/",
        "A" * 300,
    ]
)
WRONG_TYPES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def _valid(sub: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    """A value valid for ``sub`` alone (semantic rules across fields may still refuse it)."""
    if "enum" in sub:
        return st.sampled_from(list(sub["enum"]))
    types = sub.get("type")
    types = types if isinstance(types, list) else [types]
    if "integer" in types:
        return st.integers(
            min_value=int(sub.get("minimum", -(2**31) + 1)), max_value=int(sub.get("maximum", 2**31 - 1))
        )
    if "boolean" in types:
        return st.booleans()
    if "string" in types:
        if "pattern" in sub:
            text = st.from_regex(sub["pattern"], fullmatch=True).filter(lambda s: "\n" not in s)
        else:
            text = st.text(st.characters(min_codepoint=32, max_codepoint=0x2FF), max_size=40)
        return text.filter(
            lambda s: len(s) <= sub.get("maxLength", 4096) and len(s) >= sub.get("minLength", 0)
        )
    return WRONG_TYPES


def _edits(mutated: bool) -> st.SearchStrategy[list[tuple[SchemaPath, Any]]]:
    def value(field: tuple[SchemaPath, Mapping[str, Any]]) -> st.SearchStrategy[tuple[SchemaPath, Any]]:
        path, sub = field
        drawn = st.one_of(_valid(sub), HOSTILE_TEXT, WRONG_TYPES) if mutated else _valid(sub)
        return drawn.map(lambda v: (path, v))

    return st.lists(st.sampled_from(FIELDS).flatmap(value), min_size=1, max_size=4)


def _apply(edits: list[tuple[SchemaPath, Any]], base: str) -> dict[str, Any]:
    data = copy.deepcopy(BASES[base])
    for path, value in edits:
        concrete = _concrete(data, path)
        if concrete is not None:
            _set(data, concrete, value)
    return data


FUZZ = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)


@FUZZ
@given(edits=_edits(mutated=True), base=st.sampled_from(sorted(BASES)))
def test_mutated_environments_render_or_fail_clearly(
    tmp_path_factory: pytest.TempPathFactory, crd_dir: Path, edits, base: str
) -> None:
    project = _project(tmp_path_factory.mktemp("fuzz"))
    outcome = _render(project, _apply(edits, base))  # anything but a located GeneratorError fails
    if not isinstance(outcome, GeneratorError):
        _assert_validates_strict(outcome, crd_dir)


@FUZZ
@given(edits=_edits(mutated=False), base=st.sampled_from(sorted(BASES)))
def test_schema_valid_values_render_or_fail_clearly(
    tmp_path_factory: pytest.TempPathFactory, crd_dir: Path, edits, base: str
) -> None:
    project = _project(tmp_path_factory.mktemp("fuzz"))
    outcome = _render(project, _apply(edits, base))
    if not isinstance(outcome, GeneratorError):
        for path in outcome:
            assert path.startswith("fuzz/")
            assert ".." not in path.split("/")
            assert "\n" not in path
        _assert_validates_strict(outcome, crd_dir)


# --- the fast schema check (jsonschema-rs) never calls valid what the strict validator refuses ----


@functools.cache
def _engines(index: int | None = None) -> tuple[Any, Any]:
    """The strict validator and the fast check of the whole schema, or of field ``index`` alone."""
    from generator.envguard import fast_validity, strict_validator

    schema = env_schema() if index is None else FIELDS[index][1]
    return strict_validator(schema), fast_validity(schema)


def _agree(value: Any, index: int | None = None) -> None:
    """The fast check calls ``value`` valid only if the strict validator does, and refuses only floats."""
    from generator.envguard import _has_float

    strict, fast = _engines(index)
    errors = [e.message for e in strict.iter_errors(value)]
    if fast(value):
        assert not errors, f"{value!r:.200}: jsonschema-rs calls valid what the strict validator refuses"
    elif not errors:
        assert _has_float(value), f"{value!r:.200}: jsonschema-rs refuses what the strict one accepts"


def test_the_fast_schema_check_accepts_the_shipped_environments() -> None:
    for data in BASES.values():
        assert _engines()[1](data)
        _agree(data)


@settings(FUZZ, max_examples=FUZZ_EXAMPLES * 8)
@given(edits=_edits(mutated=True), base=st.sampled_from(sorted(BASES)))
def test_the_fast_schema_check_agrees_with_the_strict_validator(edits, base: str) -> None:
    _agree(_apply(edits, base))


#: Values that probe the differences between the two engines (anchors, integers, lengths, types).
PROBES = [
    "a",
    "a\n",
    "\na",
    "a\r",
    "A",
    "-a",
    "a-",
    "a" * 64,
    "a" * 300,
    "é",
    "\u212a",
    "1",
    "",
    " ",
    0,
    1,
    -1,
    2**31,
    -(2**31),
    10.0,
    0.5,
    True,
    None,
    [],
    {},
    ["a", "a"],
]


@pytest.mark.parametrize("index", range(len(FIELDS)), ids=["/".join(map(str, p)) for p, _ in FIELDS])
def test_the_fast_schema_check_agrees_on_every_field(index: int) -> None:
    """Each field's own schema, alone: what the two engines decide for values near its edges."""
    for value in PROBES:
        _agree(value, index)


def _drawn(index: int) -> st.SearchStrategy[tuple[int, Any]]:
    valid = _valid(FIELDS[index][1])
    texts = valid.filter(lambda v: isinstance(v, str)).map(lambda v: f"{v}\n")
    return st.one_of(valid, texts, HOSTILE_TEXT, WRONG_TYPES).map(lambda v: (index, v))


@settings(FUZZ, max_examples=FUZZ_EXAMPLES * 20)
@given(drawn=st.integers(0, len(FIELDS) - 1).flatmap(_drawn))
def test_the_fast_schema_check_agrees_on_drawn_values(drawn: tuple[int, Any]) -> None:
    _agree(drawn[1], drawn[0])
