"""Kubernetes semver and format libraries."""

from __future__ import annotations

import pytest

from generator.cel import CelEvaluationError, evaluate


def ev(expr: str) -> object:
    return evaluate(expr, {})


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("isSemver('1.2.3')", True),
        ("isSemver('1.2.3-rc.1+build.5')", True),
        ("isSemver('v1.2.3')", False),
        ("isSemver('1.2')", False),
        ("isSemver('01.2.3')", False),
        ("isSemver('v1.2', true)", True),
        ("isSemver('v01.02', true)", True),
        ("semver('v1.2', true) == semver('1.2.0')", True),
        ("semver('1.2.3').major()", 1),
        ("semver('1.2.3').minor()", 2),
        ("semver('1.2.3').patch()", 3),
        ("semver('1.0.0').isGreaterThan(semver('0.9.9'))", True),
        ("semver('1.0.0-alpha').isLessThan(semver('1.0.0'))", True),
        ("semver('1.0.0-alpha').compareTo(semver('1.0.0-alpha.1'))", -1),
        ("semver('1.0.0-alpha.beta').compareTo(semver('1.0.0-alpha.1'))", 1),
        ("semver('1.0.0-beta.11').compareTo(semver('1.0.0-beta.2'))", 1),
        ("semver('1.0.0+a') == semver('1.0.0+b')", True),
        ("semver('1.10.0').isGreaterThan(semver('1.9.0'))", True),
        ("quantity('2').isGreaterThan(quantity('1'))", True),
    ],
)
def test_semver(expr: str, expected: object) -> None:
    assert ev(expr) == expected


@pytest.mark.parametrize("expr", ["semver('1.2')", "semver('1.0.0').isLessThan(quantity('1'))", "semver(1)"])
def test_semver_errors(expr: str) -> None:
    with pytest.raises(CelEvaluationError):
        ev(expr)


@pytest.mark.parametrize(
    ("fmt", "value", "valid"),
    [
        ("dns1123Label", "my-name", True),
        ("dns1123Label", "My_Name", False),
        ("dns1123Label", "a" * 64, False),
        ("dns1123Subdomain", "example.com", True),
        ("dns1123Subdomain", "-example.com", False),
        ("dns1035Label", "abc-123", True),
        ("dns1035Label", "123-abc", False),
        ("qualifiedName", "example.com/MyName", True),
        ("qualifiedName", "MyName", True),
        ("qualifiedName", "a/b/c", False),
        ("qualifiedName", "Example.com/x", False),
        ("dns1123LabelPrefix", "web-", True),
        ("labelValue", "", True),
        ("labelValue", "my_value.1", True),
        ("labelValue", "-bad", False),
        ("uuid", "123e4567-e89b-12d3-a456-426614174000", True),
        ("uuid", "nope", False),
        ("byte", "aGVsbG8=", True),
        ("byte", "%%%", False),
        ("date", "2024-02-29", True),
        ("date", "2023-02-29", False),
        ("datetime", "2024-01-01T10:00:00Z", True),
        ("uri", "https://example.com/x", True),
        ("uri", "relative", False),
    ],
)
def test_formats(fmt: str, value: str, valid: bool) -> None:
    assert ev(f"!format.{fmt}().validate('{value}').hasValue()") is valid
    assert ev(f"!format.named('{fmt}').value().validate('{value}').hasValue()") is valid


def test_format_errors_are_messages() -> None:
    errors = ev("format.dns1123Label().validate('" + "A" * 64 + "').value()")
    assert isinstance(errors, list)
    assert errors[0] == "must be no more than 63 characters"
    assert "RFC 1123 label" in errors[1]


def test_unknown_format_name_is_none() -> None:
    assert ev("format.named('nope').hasValue()") is False
