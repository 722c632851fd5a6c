"""Kubernetes list and quantity libraries (examples from the Kubernetes CEL docs)."""

from __future__ import annotations

import datetime

import pytest

from generator.cel import CelEvaluationError, evaluate


def ev(expr: str) -> object:
    return evaluate(expr, {})


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("[1, 2, 3].isSorted()", True),
        ("[1, 3, 2].isSorted()", False),
        ("['a', 'b', 'b'].isSorted()", True),
        ("[].isSorted()", True),
        ("[1, 2, 3].sum()", 6),
        ("[1.5, 2.5].sum()", 4.0),
        ("[].sum()", 0),
        ("[duration('1h'), duration('30m')].sum()", datetime.timedelta(minutes=90)),
        ("[1, 2, 3].min()", 1),
        ("[1, 2, 3].max()", 3),
        ("['b', 'a'].min()", "a"),
        ("[1, 2, 2, 3].indexOf(2)", 1),
        ("[1, 2, 2, 3].lastIndexOf(2)", 2),
        ("[1, 2].indexOf(5)", -1),
        ("[[1], [2]].indexOf([2])", 1),
        ("[true, 1].indexOf(1)", 1),
        ("'ab'.indexOf('b')", 1),
        ("[1, 2, 1].distinct()", [1, 2]),
        ("[[1, 2], [3]].flatten()", [1, 2, 3]),
        ("[3, 1, 2].sort()", [1, 2, 3]),
        ("[1, 2, 3].slice(1, 3)", [2, 3]),
        ("[1, 2].reverse()", [2, 1]),
        ("lists.range(3)", [0, 1, 2]),
        ("sets.contains([1, 2, 3], [2, 3])", True),
        ("sets.contains([1, 2], [2, 5])", False),
        ("sets.equivalent([1, 2], [2, 1, 1])", True),
        ("sets.intersects([1, 2], [2, 5])", True),
        ("sets.intersects([1], [true])", False),
    ],
)
def test_lists(expr: str, expected: object) -> None:
    assert ev(expr) == expected


@pytest.mark.parametrize(
    "expr",
    ["[].min()", "[].max()", "[1, 'a'].isSorted()", "['a'].sum()", "[true].sum()", "'abc'.sum()"],
)
def test_list_errors(expr: str) -> None:
    with pytest.raises(CelEvaluationError):
        ev(expr)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("quantity('50k').isGreaterThan(quantity('100'))", True),
        ("quantity('1Gi').isGreaterThan(quantity('1000Mi'))", True),
        ("quantity('50M').isLessThan(quantity('100M'))", True),
        ("quantity('200M').compareTo(quantity('0.2G'))", 0),
        ("quantity('1Ki').compareTo(quantity('1k'))", 1),
        ("quantity('1') == quantity('1000m')", True),
        ("quantity('1.5') == quantity('1500m')", True),
        ("quantity('1') != quantity('2')", True),
        ("quantity('50k').add(quantity('20k')) == quantity('70k')", True),
        ("quantity('50k').add(20) == quantity('50020')", True),
        ("quantity('50k').sub(quantity('20k')) == quantity('30k')", True),
        ("quantity('50k').sub(20) == quantity('49980')", True),
        ("quantity('50k').asInteger()", 50000),
        ("quantity('1.5Gi').asInteger()", 1610612736),
        ("quantity('5e3').asInteger()", 5000),
        ("quantity('50m').asApproximateFloat()", 0.05),
        ("quantity('1.5').isInteger()", False),
        ("quantity('9999999999999999999999').isInteger()", False),
        ("quantity('-10').sign()", -1),
        ("quantity('0').sign()", 0),
        ("quantity('200M').sign()", 1),
        ("isQuantity('1.3G')", True),
        ("isQuantity('1.3Gi')", True),
        ("isQuantity('1,3G')", False),
        ("isQuantity('10000k')", True),
        ("isQuantity('200K')", False),
        ("isQuantity('Three')", False),
        ("isQuantity('Mi')", False),
        ("isQuantity('')", False),
        ("string(quantity('1500m'))", "1.5"),
    ],
)
def test_quantity(expr: str, expected: object) -> None:
    assert ev(expr) == expected


@pytest.mark.parametrize(
    "expr",
    ["quantity('1GG')", "quantity('1.5').asInteger()", "quantity('1').isGreaterThan(1)", "quantity(1)"],
)
def test_quantity_errors(expr: str) -> None:
    with pytest.raises(CelEvaluationError):
        ev(expr)
