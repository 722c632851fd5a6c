"""Schema strictness generated from the schema itself: every pattern anchors the whole string."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.envguard import anchor_pattern, check_values, strict_validator
from generator.load import env_schema


def _patterns(schema: Any, where: str = "$") -> Iterator[tuple[str, Mapping[str, Any]]]:
    if isinstance(schema, Mapping):
        if isinstance(schema.get("pattern"), str):
            yield where, schema
        for key, value in schema.items():
            yield from _patterns(value, f"{where}.{key}")
    elif isinstance(schema, list):
        for i, value in enumerate(schema):
            yield from _patterns(value, f"{where}[{i}]")


PATTERNS = list(_patterns(env_schema()))


def test_the_schema_has_patterns() -> None:
    assert len(PATTERNS) > 10


@pytest.mark.parametrize(("where", "sub"), PATTERNS, ids=[w for w, _ in PATTERNS])
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_pattern_refuses_a_trailing_newline(
    where: str, sub: Mapping[str, Any], data: st.DataObject
) -> None:
    schema = {"type": "string", "pattern": sub["pattern"]}
    value = data.draw(st.from_regex(sub["pattern"], fullmatch=True).filter(lambda s: "\n" not in s))
    assert _accepted(schema, value), (where, value)
    assert not _accepted(schema, value + "\n"), (where, value)


def _accepted(schema: Mapping[str, Any], value: str) -> bool:
    """What the loader accepts: the strict schema, then the control-character check of every value."""

    def error_at(message: str, *_: object) -> Exception:
        return ValueError(message)

    try:
        check_values({"field": value}, error_at)
    except ValueError:
        return False
    return bool(strict_validator(schema).is_valid(value))


@pytest.mark.parametrize(
    ("pattern", "anchored"),
    [
        ("^a$", r"^a\Z"),
        (r"^a\$$", r"^a\$\Z"),
        ("^[$]$", r"^[$]\Z"),
        ("^(a$|b$)", r"^(a\Z|b\Z)"),
        (r"^[\]$]x$", r"^[\]$]x\Z"),
    ],
)
def test_anchor_pattern(pattern: str, anchored: str) -> None:
    assert anchor_pattern(pattern) == anchored


def test_published_schema_is_unchanged() -> None:
    """Editors read ECMA-262 patterns: ``gitops-gen schema`` still prints ``$``."""
    assert all(r"\Z" not in sub["pattern"] for _, sub in PATTERNS)


@pytest.mark.parametrize("value", [10.0, True, "10"])
def test_integer_means_integer(value: object) -> None:
    assert not strict_validator({"type": "integer"}).is_valid(value)


def test_numbers_get_a_bound() -> None:
    validator = strict_validator({"type": "object", "properties": {"n": {"type": "integer"}}})
    assert validator.is_valid({"n": 2**31 - 1})
    assert not validator.is_valid({"n": 2**31})
    assert not validator.is_valid({"n": -(2**31)})


def test_quantities_are_bounded() -> None:
    """A 400-digit CPU limit used to pass render and check."""
    resources = env_schema()["properties"]["services"]["items"]["properties"]["resources"]["properties"]
    cpu = strict_validator(resources["cpu"])
    memory = strict_validator(resources["memory"])
    assert cpu.is_valid("250m")
    assert cpu.is_valid("1.5")
    assert not cpu.is_valid("1" * 400)
    assert memory.is_valid("512Mi")
    assert not memory.is_valid("9" * 400 + "Gi")


_KEYS = st.sampled_from(["a", "b", "env", "x\n", "services", "1", "é"])
_SCALARS = st.one_of(
    st.sampled_from(["ok", "bad\x01", "two\nlines", "x" * 5000, "\u2028"]),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.sampled_from([1.5, float("inf"), float("nan"), True]),
)
_DATA = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=3),
    max_leaves=12,
)


@given(_DATA)
def test_check_values_names_the_first_problem_in_path_order(data: object) -> None:
    """The value reported is the first with a problem in the order of the paths as text."""
    from generator import envguard

    ordered = sorted(envguard._leaves(data), key=lambda t: tuple(map(str, t[0])))
    expected = next(
        ((p, problem) for p, v, k in ordered if (problem := envguard._problem(p, v, k)) is not None), None
    )

    class Raised(Exception):
        pass

    def error_at(message: str, path: tuple[str | int, ...], hint: str | None) -> Exception:
        return Raised((path, (message, hint)))

    if expected is None:
        envguard.check_values(data, error_at)
        return
    with pytest.raises(Raised) as caught:
        envguard.check_values(data, error_at)
    assert caught.value.args[0] == expected
