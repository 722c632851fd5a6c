"""The CEL cost budget: an expression whose cost may exceed it is refused before it runs.

cel-rust has no cost tracker, and an evaluation cannot be interrupted from Python once it is in
Rust: nested ``all`` over 100 items ran for minutes, and doubling a string through ``cel.bind``
aborted the whole process when an allocation failed. The Kubernetes API server bounds both with
a cost budget (k8s.io/apiserver/pkg/apis/cel ``PerCallLimit``, 1,000,000 units); we enforce the
same figure, as an *upper bound computed before evaluation* over the parsed expression
(``generator.cel.parse``), the way the API server's static estimator works
(k8s.io/apiextensions-apiserver ``CRDValidationEstimator``), except that sizes come from the
values being checked rather than from ``maxItems``/``maxLength``: the bound is tight for the
document at hand and needs no schema.

The model (:func:`estimate`), in the API server's units:

* every operation costs 1; a comprehension (``all``, ``exists``, ``exists_one``, ``map``,
  ``filter``, and the macros built from them: ``cel.bind``, two-variable forms, ``transform*``)
  costs its range's size times its body, so nesting multiplies;
* traversing a string, list or map (comparison, ``+``, string functions, conversions) costs
  0.1 per element or character (``StringTraversalCostFactor``);
* sizes flow through the expression: ``a + b`` is as long as both, ``s.replace(o, n)`` at most
  ``(|s| + 1)(|n| + 1)``, ``lists.range(n)`` has ``n`` items, ``x.map(…)`` as many as ``x``; a
  variable bound by a comprehension is as large as the largest element.

Expressions built only from operations linear in their input (selection, comparison, logic,
arithmetic, ``size``, ``has``, ``startsWith``…) are not estimated: their cost is bounded by the
input size, which the YAML reader bounds. The figures are in docs/limits.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from generator.cel.parse import Call, Ident, ListLit, Literal, MapLit, Node, Select, literal_size

__all__ = ["BUDGET", "COPY", "MAX_RANGE", "AbstractValue", "estimate", "needs_estimate"]

BUDGET = 1_000_000
"""Cost units one evaluation may use: Kubernetes' per-call limit for CRD rules and policies."""

MAX_RANGE = 1_000_000
"""Longest ``lists.range`` (a backstop in the function itself; the budget refuses most before)."""

TRAVERSAL = 0.1
"""Cost per character or element traversed (Kubernetes ``StringTraversalCostFactor``)."""

COPY = 5
"""Cost per list or map entry built (literals, ``map``, ``filter``, ``cel.bind``).

cel-rust copies a list when it binds or builds one (``cel.bind(s, [s, s], …)`` 22 levels deep
took 2.9 GB, ~500 bytes per entry), so building counts for memory as well as time: the budget
allows about 200,000 entries (~100 MB).
"""

_COMPREHENSIONS = frozenset({"all", "exists", "exists_one", "map", "filter"})
_LINEAR = frozenset(
    {
        "_==_", "_!=_", "_<_", "_<=_", "_>_", "_>=_", "_&&_", "_||_", "!_", "-_", "_?_:_",
        "_-_", "_*_", "_/_", "_%_", "_+_", "_[_]", "@in", "@not_strictly_false",
        "has", "size", "startsWith", "endsWith", "contains", "matches", "int", "uint", "double",
        "bool", "bytes", "dyn", "type", "timestamp", "duration", "hasValue", "orValue", "value",
        "_variable", "_or_value", "_opt_field", "_opt_index", "lowerAscii", "upperAscii",
        "isQuantity", "isURL", "isIP", "isCIDR", "isSemver", "quantity", "url", "ip", "cidr",
        "semver",
    }
)  # fmt: skip
"""Calls whose cost and result are linear in their arguments: alone, they need no estimate."""


class AbstractValue:
    """What the estimator knows of a value: bounds on its length, deep size and integer value."""

    size: int
    """Length (characters, items, entries) at most; 1 for scalars."""
    total: int
    """Deep size at most: characters and entries of everything inside."""
    num: int | None
    """Magnitude of an integer value at most, when known."""
    items: int
    """List and map entries inside, at most (what building a copy costs)."""

    def element(self) -> AbstractValue:
        """Any element of a list, value of a map, or what a comprehension variable may hold."""
        raise NotImplementedError

    def member(self, name: str) -> AbstractValue:
        """The field ``name`` of a map or object."""
        return self.element()


@dataclass(slots=True)
class _Bound(AbstractValue):
    """Only bounds are known (computed values)."""

    size: int
    total: int
    num: int | None = None
    elem: Callable[[], AbstractValue] | None = None
    entries: int | None = None

    @property
    def items(self) -> int:  # type: ignore[override]
        return self.total if self.entries is None else self.entries

    def element(self) -> AbstractValue:
        if self.elem is not None:
            return self.elem()
        # Nothing known of the inside: any part is at most as large as the whole.
        return _Bound(self.total, self.total, self.total)


def _scalar(num: int | None = None) -> AbstractValue:
    return _Bound(1, 1, num, None, 0)


@dataclass(eq=False)
class _Known(AbstractValue):
    """The actual values a name may hold (several for a comprehension variable)."""

    values: list[Any]
    _cache: dict[str, AbstractValue] = field(default_factory=dict)

    @cached_property
    def size(self) -> int:  # type: ignore[override]
        return max((_length(v) for v in self.values), default=0)

    @cached_property
    def total(self) -> int:  # type: ignore[override]
        return max((_deep_size(v) for v in self.values), default=0)

    @cached_property
    def items(self) -> int:  # type: ignore[override]
        return max((_deep_items(v) for v in self.values), default=0)

    @cached_property
    def num(self) -> int | None:  # type: ignore[override]
        nums = [_magnitude(v) for v in self.values]
        return None if not nums or None in nums else max(n for n in nums if n is not None)

    def element(self) -> AbstractValue:
        if "" not in self._cache:
            items: list[Any] = []
            for v in self.values:
                if isinstance(v, list | tuple):
                    items.extend(v)
                elif isinstance(v, Mapping):
                    items.extend(v.keys())
                    items.extend(v.values())
            self._cache[""] = _Known(items)
        return self._cache[""]

    def member(self, name: str) -> AbstractValue:
        key = "." + name
        if key not in self._cache:
            self._cache[key] = _Known([v[name] for v in self.values if isinstance(v, Mapping) and name in v])
        return self._cache[key]


def _length(value: Any) -> int:
    return len(value) if isinstance(value, str | bytes | list | tuple | Mapping) else 1


def _magnitude(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return abs(value)


def _deep_size(value: Any) -> int:
    if isinstance(value, str | bytes):
        return len(value)
    if isinstance(value, list | tuple):
        return len(value) + sum(_deep_size(v) for v in value)
    if isinstance(value, Mapping):
        return len(value) + sum(_deep_size(k) + _deep_size(v) for k, v in value.items())
    return 1


def _deep_items(value: Any) -> int:
    if isinstance(value, list | tuple):
        return len(value) + sum(_deep_items(v) for v in value)
    if isinstance(value, Mapping):
        return len(value) + sum(_deep_items(v) for v in value.values())
    return 0


def _join(values: Iterable[AbstractValue]) -> AbstractValue:
    """A value that may be any of ``values``."""
    parts = list(values)
    if len(parts) == 1:
        return parts[0]
    if not parts:
        return _Bound(0, 0, 0)
    nums = [p.num for p in parts]
    return _Bound(
        max(p.size for p in parts),
        max(p.total for p in parts),
        None if None in nums else max(n for n in nums if n is not None),
        lambda: _join(p.element() for p in parts),
        max(p.items for p in parts),
    )


def _collection(size: int, items: list[AbstractValue]) -> AbstractValue:
    total, entries = size + sum(i.total for i in items), size + sum(i.items for i in items)
    return _Bound(size, total, None, lambda: _join(items), entries)


def _traverse(*values: AbstractValue) -> float:
    return TRAVERSAL * sum(v.total for v in values)


@dataclass(slots=True)
class _Estimator:
    values: Mapping[str, Any]
    variables: Mapping[str, Any] | None

    def run(self, node: Node, scope: dict[str, AbstractValue]) -> tuple[float, AbstractValue]:
        """``(cost, result)`` of ``node`` with comprehension variables ``scope``."""
        if isinstance(node, Literal):
            if isinstance(node.value, str):
                n = literal_size(node.value)
                return 1, _Bound(n, n, None, None, 0)
            return 1, _scalar(_magnitude(node.value))
        if isinstance(node, Ident):
            if node.name in scope:
                return 1, scope[node.name]
            if node.name in self.values:
                return 1, _Known([self.values[node.name]])
            return 1, _Bound(0, 0, 0)  # an unknown name: evaluation fails at once
        if isinstance(node, Select):
            cost, operand = self.run(node.operand, scope)
            return cost + 1, operand.member(node.field)
        if isinstance(node, ListLit | MapLit):
            parts = list(node.items) if isinstance(node, ListLit) else [x for kv in node.entries for x in kv]
            results = [self.run(p, scope) for p in parts]
            count = len(node.items) if isinstance(node, ListLit) else len(node.entries)
            built = _collection(count, [v for _, v in results])
            return 1 + sum(c for c, _ in results) + COPY * built.items, built
        return self.call(node, scope)

    def call(self, node: Call, scope: dict[str, AbstractValue]) -> tuple[float, AbstractValue]:
        name, target = node.function, node.target
        if target is not None and _namespace(target, scope, self.values):
            name, target = f"{_namespace(target, scope, self.values)}.{name}", None
        if name in _COMPREHENSIONS and target is not None and node.args and isinstance(node.args[0], Ident):
            return self.comprehension(name, target, node.args, scope)
        if name == "has" and len(node.args) == 1:
            return self.run(node.args[0], scope)[0] + 1, _scalar()
        if name == "_variable" and len(node.args) == 1 and isinstance(node.args[0], Literal):
            return 1, self.variable(str(node.args[0].value).strip("'\""))
        operands = ([target] if target is not None else []) + list(node.args)
        results = [self.run(o, scope) for o in operands]
        cost = 1 + sum(c for c, _ in results)
        args = [v for _, v in results]
        if name == "_?_:_":
            return results[0][0] + max(results[1][0], results[2][0]) + 1, _join(args[1:])
        extra, value = _apply(name, args, node)
        return cost + extra, value

    def comprehension(
        self, name: str, target: Node, args: tuple[Node, ...], scope: dict[str, AbstractValue]
    ) -> tuple[float, AbstractValue]:
        cost, over = self.run(target, scope)
        var = args[0].name if isinstance(args[0], Ident) else ""
        inner = {**scope, var: over.element()}
        steps = [self.run(a, inner) for a in args[1:]]
        each = 1 + sum(c for c, _ in steps)
        cost += 1 + over.size * each
        if name == "map":
            body = steps[-1][1]
            entries = over.size * (1 + body.items)
            built = _Bound(over.size, over.size * (1 + body.total), None, lambda: body, entries)
            return cost + COPY * entries, built
        if name == "filter":
            return cost + COPY * over.items, over
        return cost, _scalar()

    def variable(self, name: str) -> AbstractValue:
        """A Kyverno/VAP variable: its actual value (evaluated now, itself within the budget)."""
        if self.variables is None or name not in self.variables:
            return _Bound(0, 0, 0)
        try:
            return _Known([self.variables[name]])
        except Exception:  # its error is raised where the evaluation reads it
            return _Bound(0, 0, 0)


def _namespace(target: Node, scope: Mapping[str, Any], values: Mapping[str, Any]) -> str | None:
    """``lists`` in ``lists.range(n)``: a name that is no variable qualifies the function."""
    if isinstance(target, Ident) and target.name not in scope and target.name not in values:
        return target.name
    return None


def _apply(name: str, args: list[AbstractValue], node: Call) -> tuple[float, AbstractValue]:
    """Extra cost and the result of calling ``name`` on ``args`` (receiver first)."""
    first = args[0] if args else _scalar()
    if name == "size":
        return 0, _scalar(first.size)
    if name in ("_+_", "_-_", "_*_", "_/_", "_%_", "-_") and all(a.num is not None for a in args):
        nums = [a.num or 0 for a in args]
        num = nums[0] * nums[1] if name == "_*_" else (max(nums) if name in ("_/_", "_%_") else sum(nums))
        return 0, _scalar(num)
    if name == "_+_" and len(args) == 2:
        a, b = args
        both = _Bound(a.size + b.size, a.total + b.total, None, lambda: _join([a.element(), b.element()]))
        both.entries = a.items + b.items
        return _traverse(a, b) + COPY * both.items, both
    if name == "_[_]" and len(args) == 2:
        key = node.args[1] if len(node.args) == 2 else None
        if isinstance(key, Literal) and isinstance(key.value, str):
            return 0, first.member(key.value.strip("'\""))
        return 0, first.element()
    if name == "@in" and len(args) == 2:
        return TRAVERSAL * args[1].size, _scalar()
    if name in ("_or_value", "orValue", "or", "of", "optional.of", "value", "_opt_field"):
        if name == "_opt_field" and isinstance(node.args[-1], Literal):
            return 0, first.member(str(node.args[-1].value).strip("'\""))
        return 0, _join(args if name in ("_or_value", "orValue", "or") else args[:1])
    if name == "_opt_index":
        return 0, first.element()
    if name in ("first", "last"):
        return 0, first.element()
    if name == "lists.range":
        n = first.num if first.num is not None else MAX_RANGE
        return COPY * n, _Bound(n, 2 * n, None, lambda: _scalar(n), n)
    growth = _growth(name, args)
    if growth is not None:
        return _traverse(*args) + TRAVERSAL * growth, _Bound(growth, growth, growth, None, 0)
    whole = max((a.total for a in args), default=1)
    if name in ("_==_", "_!=_", "_<_", "_<=_", "_>_", "_>=_", "_&&_", "_||_", "!_", "@not_strictly_false"):
        return _traverse(*args), _scalar()
    # Everything else (split, findAll, sort, flatten, quantity()…) yields at most its input.
    return _traverse(*args), _Bound(whole, whole, whole)


def _growth(name: str, args: list[AbstractValue]) -> int | None:
    """The result length of the functions whose output may outgrow their input."""
    s = args[0] if args else _scalar()
    if name == "replace" and len(args) >= 3:
        return (s.size + 1) * (args[2].size + 1)
    if name == "join":
        sep = args[1].size if len(args) > 1 else 0
        return s.size * (s.element().total + sep)
    if name == "format":
        # Precision is capped in format_string; each argument prints at most ~4 characters a unit.
        return s.size + 4 * sum(a.total for a in args[1:]) + 1024 * max((a.size for a in args[1:]), default=0)
    if name in ("strings.quote", "quote"):
        return 6 * s.size + 2
    if name in ("base64.encode", "encode", "string"):
        return 2 * s.total + 32
    return None


def needs_estimate(node: Node) -> bool:
    """Whether ``node`` uses anything whose cost is not linear in its input (or is unknown)."""
    if isinstance(node, Literal | Ident):
        return False
    if isinstance(node, Select):
        return needs_estimate(node.operand)
    if isinstance(node, ListLit):
        return any(needs_estimate(i) for i in node.items)
    if isinstance(node, MapLit):
        return any(needs_estimate(x) for kv in node.entries for x in kv)
    if node.function not in _LINEAR:
        return True
    parts = ([node.target] if node.target is not None else []) + list(node.args)
    return any(needs_estimate(p) for p in parts)


def estimate(node: Node, values: Mapping[str, Any], variables: Mapping[str, Any] | None = None) -> float:
    """An upper bound of the cost of evaluating ``node`` over ``values`` (the activation).

    Args:
        node: the parsed expression.
        values: the top-level names (``self``, ``object``…) as Python values.
        variables: ``variables.<name>``; read when the expression reads it.

    Returns:
        The estimated cost in Kubernetes cost units.
    """
    return _Estimator(values, variables).run(node, {})[0]
