"""Kyverno's custom JMESPath functions on top of the ``jmespath`` package (upstream ``pkg/engine/jmespath``).

Only what an offline engine can compute: string, regex, arithmetic, encoding, JSON/YAML, path,
semver and time helpers. Functions that need a cluster or a registry are absent on purpose (a
policy using them gets a rule error naming the function, never a pass).
"""

from __future__ import annotations

import base64
import binascii
import json
import posixpath
import re
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from jmespath import exceptions, functions

from generator import linear_re, yamlread
from generator.errors import GeneratorError
from generator.policy import wildcard
from generator.policy.x509 import decode_certificate
from generator.quantity import parse_duration, parse_quantity

__all__ = ["KyvernoFunctions"]

if TYPE_CHECKING:
    from jmespath.functions import _Signature

_ANY: _Signature = {"types": []}
_STR: _Signature = {"types": ["string"]}
_NUM_OR_STR: _Signature = {"types": ["number", "string"]}


def _arith_operand(value: Any) -> tuple[str, Fraction]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return "number", Fraction(value)
    if isinstance(value, str):
        d = parse_duration(value)
        if d is not None and value.strip() != "0":
            return "duration", d
        q = parse_quantity(value)
        if q is not None:
            return "quantity", q
    raise ValueError(f"invalid operand {value!r}")


def _arith_result(kind: str, value: Fraction) -> Any:
    if kind == "duration":
        return _format_duration(value)
    if kind == "quantity":
        return str(int(value)) if value.denominator == 1 else str(float(value))
    return int(value) if value.denominator == 1 else float(value)


def _format_duration(seconds: Fraction) -> str:
    """Go's ``Duration.String`` for whole and fractional seconds (``1h0m0s``, ``1m30s``, ``500ms``)."""
    if seconds == 0:
        return "0s"
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    if seconds < 1:
        ms = seconds * 1000
        return f"{sign}{int(ms) if ms.denominator == 1 else float(ms)}ms"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    sec_text = str(int(secs)) if secs.denominator == 1 else f"{float(secs):g}"
    if hours:
        return f"{sign}{int(hours)}h{int(minutes)}m{sec_text}s"
    if minutes:
        return f"{sign}{int(minutes)}m{sec_text}s"
    return f"{sign}{sec_text}s"


def _parse_time(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


_ALLOWED_TYPES: dict[tuple[str, ...], Any] = {}


class KyvernoFunctions(functions.Functions):
    """The Kyverno function set; method names follow ``jmespath``'s ``_func_<name>`` convention."""

    def _get_allowed_pytypes(self, types: list[str]) -> Any:
        """The library's type table, looked up once per signature (it is rebuilt on every call)."""
        key = tuple(types)
        found = _ALLOWED_TYPES.get(key)
        if found is None:
            found = super()._get_allowed_pytypes(types)  # type: ignore[misc]  # private, missing from the stubs
            _ALLOWED_TYPES[key] = found
        return found

    @functions.signature(_STR)
    def _func_to_upper(self, s: str) -> str:
        return s.upper()

    @functions.signature(_STR)
    def _func_to_lower(self, s: str) -> str:
        return s.lower()

    @functions.signature(_STR, _STR)
    def _func_trim(self, s: str, cut: str) -> str:
        return s.strip(cut)

    @functions.signature(_STR, _STR)
    def _func_trim_prefix(self, s: str, prefix: str) -> str:
        return s[len(prefix) :] if prefix and s.startswith(prefix) else s

    @functions.signature(_STR, _STR)
    def _func_trim_suffix(self, s: str, suffix: str) -> str:
        return s[: -len(suffix)] if suffix and s.endswith(suffix) else s

    @functions.signature(_STR, _STR)
    def _func_split(self, s: str, sep: str) -> list[str]:
        return list(s) if sep == "" else s.split(sep)

    @functions.signature(_STR, _STR, _STR, {"types": ["number"]})
    def _func_replace(self, s: str, old: str, new: str, count: float) -> str:
        return s.replace(old, new, int(count))

    @functions.signature(_STR, _STR, _STR)
    def _func_replace_all(self, s: str, old: str, new: str) -> str:
        return s.replace(old, new)

    @functions.signature(_STR, _ANY)
    def _func_regex_match(self, pattern: str, value: Any) -> bool:
        return linear_re.search(pattern, value if isinstance(value, str) else json.dumps(value)) is not None

    @functions.signature(_STR, _ANY, _ANY)
    def _func_regex_replace_all(self, pattern: str, value: Any, repl: Any) -> str:
        template = str(repl)
        return linear_re.sub(pattern, lambda m: _go_expand(template, m), str(value))

    @functions.signature(_STR, _ANY, _ANY)
    def _func_regex_replace_all_literal(self, pattern: str, value: Any, repl: Any) -> str:
        return linear_re.sub(pattern, lambda _m: str(repl), str(value))

    @functions.signature(_STR, _ANY)
    def _func_pattern_match(self, pattern: str, value: Any) -> bool:
        return wildcard.match(pattern, value if isinstance(value, str) else json.dumps(value))

    @functions.signature({"types": ["object"]}, {"types": ["object"]})
    def _func_label_match(self, selector: dict[str, Any], labels: dict[str, Any]) -> bool:
        return all(labels.get(k) == v for k, v in selector.items())

    @functions.signature(_STR, _STR)
    def _func_compare(self, a: str, b: str) -> int:
        return (a > b) - (a < b)

    @functions.signature(_STR, _STR)
    def _func_equal_fold(self, a: str, b: str) -> bool:
        return a.casefold() == b.casefold()

    @functions.signature(_STR, {"types": ["number"]})
    def _func_truncate(self, s: str, length: float) -> str:
        return s[: max(int(length), 0)]

    @functions.signature(_STR)
    def _func_base64_decode(self, s: str) -> str:
        try:
            return base64.b64decode(s, validate=False).decode("utf-8", errors="replace")
        except (binascii.Error, ValueError) as e:
            raise exceptions.JMESPathError(f"base64_decode: {e}") from e

    @functions.signature(_STR)
    def _func_base64_encode(self, s: str) -> str:
        return base64.b64encode(s.encode()).decode()

    @functions.signature(_STR)
    def _func_parse_json(self, s: str) -> Any:
        return json.loads(s)

    @functions.signature(_STR)
    def _func_parse_yaml(self, s: str) -> Any:
        try:
            return yamlread.load(s, "parse_yaml", GeneratorError)
        except GeneratorError as e:  # bounded like every YAML we read: a bomb is an error, not a hang
            raise exceptions.JMESPathError(f"parse_yaml: {e.message}") from e

    @functions.signature(_STR)
    def _func_x509_decode(self, s: str) -> dict[str, Any]:
        try:
            return decode_certificate(s)
        except (ValueError, IndexError) as e:
            raise exceptions.JMESPathError(f"x509_decode: {e}") from e

    @functions.signature(_STR)
    def _func_path_canonicalize(self, s: str) -> str:
        if not s:
            return "."
        cleaned = posixpath.normpath(s.replace("\\", "/"))
        return "/" + cleaned.lstrip("/") if s.startswith("/") else cleaned

    @functions.signature({"types": ["object", "array"]}, _STR, _STR)
    def _func_items(self, obj: Any, key_name: str, value_name: str) -> list[dict[str, Any]]:
        if isinstance(obj, dict):
            return [{key_name: k, value_name: obj[k]} for k in sorted(obj)]
        return [{key_name: i, value_name: v} for i, v in enumerate(obj)]

    @functions.signature({"types": ["array"]}, {"types": ["array"]})
    def _func_object_from_lists(self, keys: list[Any], values: list[Any]) -> dict[str, Any]:
        return {str(k): (values[i] if i < len(values) else None) for i, k in enumerate(keys)}

    @functions.signature({"types": ["object", "array"]}, _ANY)
    def _func_lookup(self, collection: Any, key: Any) -> Any:
        if isinstance(collection, dict):
            return collection.get(str(key))
        if isinstance(key, (int, float)) and not isinstance(key, bool) and 0 <= int(key) < len(collection):
            return collection[int(key)]
        return None

    def _arith(self, a: Any, b: Any, op: str) -> Any:
        (ka, va), (kb, vb) = _arith_operand(a), _arith_operand(b)
        kind = ka if ka != "number" else kb
        if op == "+":
            return _arith_result(kind, va + vb)
        if op == "-":
            return _arith_result(kind, va - vb)
        if op == "*":
            return _arith_result(kind, va * vb)
        if vb == 0:
            raise exceptions.JMESPathError("division by zero")
        if op == "/":
            return _arith_result("number" if ka == kb else kind, va / vb)
        return _arith_result(kind, va % vb)

    @functions.signature(_NUM_OR_STR, _NUM_OR_STR)
    def _func_add(self, a: Any, b: Any) -> Any:
        return self._arith(a, b, "+")

    @functions.signature(_NUM_OR_STR, _NUM_OR_STR)
    def _func_subtract(self, a: Any, b: Any) -> Any:
        return self._arith(a, b, "-")

    @functions.signature(_NUM_OR_STR, _NUM_OR_STR)
    def _func_multiply(self, a: Any, b: Any) -> Any:
        return self._arith(a, b, "*")

    @functions.signature(_NUM_OR_STR, _NUM_OR_STR)
    def _func_divide(self, a: Any, b: Any) -> Any:
        return self._arith(a, b, "/")

    @functions.signature(_NUM_OR_STR, _NUM_OR_STR)
    def _func_modulo(self, a: Any, b: Any) -> Any:
        return self._arith(a, b, "%")

    @functions.signature({"types": ["array"]})
    def _func_sum(self, items: list[Any]) -> Any:
        if not items:
            raise exceptions.JMESPathError("sum of an empty array")
        total = items[0]
        for item in items[1:]:
            total = self._arith(total, item, "+")
        return total

    @functions.signature({"types": ["number"]}, {"types": ["number"]})
    def _func_round(self, value: float, digits: float) -> float:
        return round(value, int(digits))

    @functions.signature(_STR, _STR)
    def _func_semver_compare(self, version: str, constraint: str) -> bool:
        return _semver_satisfies(version, constraint)

    @functions.signature()
    def _func_time_now(self) -> str:
        return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    @functions.signature()
    def _func_time_now_utc(self) -> str:
        return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    @functions.signature(_STR, _STR)
    def _func_time_add(self, start: str, duration: str) -> str:
        seconds = parse_duration(duration)
        if seconds is None:
            raise exceptions.JMESPathError(f"invalid duration {duration!r}")
        return (_parse_time(start) + timedelta(seconds=float(seconds))).strftime("%Y-%m-%dT%H:%M:%SZ")

    @functions.signature(_STR, _STR)
    def _func_time_before(self, a: str, b: str) -> bool:
        return _parse_time(a) < _parse_time(b)

    @functions.signature(_STR, _STR)
    def _func_time_after(self, a: str, b: str) -> bool:
        return _parse_time(a) > _parse_time(b)

    @functions.signature(_STR, _STR, _STR)
    def _func_time_between(self, t: str, start: str, end: str) -> bool:
        return _parse_time(start) < _parse_time(t) < _parse_time(end)

    @functions.signature(_STR, _STR)
    def _func_time_diff(self, a: str, b: str) -> str:
        delta = _parse_time(b) - _parse_time(a)
        return _format_duration(Fraction(delta.total_seconds()).limit_denominator(10**9))


def _semver_tuple(text: str) -> tuple[int, int, int] | None:
    m = re.match(r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?", text.strip())
    if not m:
        return None
    return int(m.group(1)), int(m.group(2) or 0), int(m.group(3) or 0)


def _semver_satisfies(version: str, constraint: str) -> bool:
    current = _semver_tuple(version)
    if current is None:
        return False
    for alternative in constraint.split("||"):
        parts = alternative.replace(",", " ").split()
        ok = True
        for part in parts:
            m = re.match(r"^(>=|<=|!=|>|<|=|==)?(.*)$", part)
            op, target_text = (m.group(1) or "=", m.group(2)) if m else ("=", part)
            target = _semver_tuple(target_text)
            if target is None:
                ok = False
                break
            ok = {
                "=": current == target,
                "==": current == target,
                "!=": current != target,
                ">": current > target,
                "<": current < target,
                ">=": current >= target,
                "<=": current <= target,
            }[op]
            if not ok:
                break
        if ok:
            return True
    return False


#: Go ``Regexp.Expand`` references: ``$$``, ``${name}``, ``$name`` (the longest word: ``$1x`` is ``${1x}``).
_GO_REFERENCE = re.compile(r"\$(\$|\{(\w+)\}|(\w+))")


def _go_expand(template: str, m: Any) -> str:
    """``template`` with Go-style group references filled from ``m`` (unknown groups: empty)."""

    def one(ref: re.Match[str]) -> str:
        if ref.group(1) == "$":
            return "$"
        name = ref.group(2) or ref.group(3)
        try:
            found = m.group(int(name)) if name.isdigit() else m.group(name)
        except (IndexError, KeyError, ValueError, TypeError):
            return ""
        return str(found or "")

    return _GO_REFERENCE.sub(one, template)
