"""Strings extension and regex library, from the cel-go / Kubernetes CEL docs examples."""

from __future__ import annotations

import pytest

from generator.cel import CelEvaluationError, evaluate


def ev(expr: str, **activation: object) -> object:
    return evaluate(expr, activation)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("'abc 123'.find('[0-9]+')", "123"),
        ("'abc'.find('[0-9]+')", ""),
        ("'al2023@v2'.find('^[^@]+')", "al2023"),
        ("'123 abc 456'.findAll('[0-9]+')", ["123", "456"]),
        ("'123 abc 456'.findAll('[0-9]+', 1)", ["123"]),
        ("'123 abc 456'.findAll('[0-9]+', 0)", []),
        ("'123 abc 456'.findAll('[0-9]+', -1)", ["123", "456"]),
        ("'abc'.matches('^[a-z]+$')", True),
    ],
)
def test_regex(expr: str, expected: object) -> None:
    assert ev(expr) == expected


def test_find_invalid_regex_is_an_error() -> None:
    with pytest.raises(CelEvaluationError, match="invalid regular expression"):
        ev("'a'.find('(')")


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("'hello mellow'.indexOf('')", 0),
        ("'hello mellow'.indexOf('ello')", 1),
        ("'hello mellow'.indexOf('jello')", -1),
        ("'hello mellow'.indexOf('', 2)", 2),
        ("'hello mellow'.indexOf('ello', 2)", 7),
        ("'hello mellow'.lastIndexOf('ello')", 7),
        ("'hello mellow'.lastIndexOf('ello', 6)", 1),
        ("'hello'.charAt(4)", "o"),
        ("'hello'.charAt(5)", ""),
        ("'TacoCat'.lowerAscii()", "tacocat"),
        ("'TacoCÆt Xii'.upperAscii()", "TACOCÆT XII"),
        ("'hello hello'.replace('he', 'we')", "wello wello"),
        ("'hello hello'.replace('he', 'we', 1)", "wello hello"),
        ("'hello hello'.replace('he', 'we', 0)", "hello hello"),
        ("'hello hello hello'.split(' ')", ["hello", "hello", "hello"]),
        ("'hello hello hello'.split(' ', 0)", []),
        ("'hello hello hello'.split(' ', 1)", ["hello hello hello"]),
        ("'hello hello hello'.split(' ', 2)", ["hello", "hello hello"]),
        ("'hello hello hello'.split(' ', -1)", ["hello", "hello", "hello"]),
        ("'al2@latest'.split('@')[0]", "al2"),
        ("'tacocat'.substring(4)", "cat"),
        ("'tacocat'.substring(0, 4)", "taco"),
        ("'  \\ttrim\\n    '.trim()", "trim"),
        ("['hello', 'mellow'].join()", "hellomellow"),
        ("['hello', 'mellow'].join(' ')", "hello mellow"),
        ("[].join('/')", ""),
        ("'gums'.reverse()", "smug"),
        ("strings.quote('single-quote with \"double quote\"')", '"single-quote with \\"double quote\\""'),
        ("'%s is %d years, %.2f%%'.format(['Bob', 42, 99.5])", "Bob is 42 years, 99.50%"),
        ("'%s'.format([true])", "true"),
        ("'%s'.format([[1, 'a']])", "[1, a]"),
        ("'%x'.format([255])", "ff"),
        ("string(true) + '/' + string(false)", "true/false"),
        ("string(1.5)", "1.5"),
    ],
)
def test_strings(expr: str, expected: object) -> None:
    assert ev(expr) == expected


@pytest.mark.parametrize(
    "expr",
    [
        "'hello'.charAt(6)",
        "'hello'.substring(3, 1)",
        "'hello'.indexOf('l', 9)",
        "['a', 1].join()",
        "'%d'.format(['x'])",
        "'%s %s'.format(['x'])",
        "(1).lowerAscii()",
        "string([1])",
        "string(null)",
    ],
)
def test_strings_errors(expr: str) -> None:
    with pytest.raises(CelEvaluationError):
        ev(expr)
