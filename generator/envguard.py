r"""Load stage, strictness the environment JSON Schema cannot state: values are data, names are names.

Used by ``generator.load`` on every environment file. Two halves:

- ``strict_validator``: the shipped schema as published (``gitops-gen schema``, for editors) is
  ECMA-262; Python's ``re.search`` lets ``$`` match before a final newline, so ``"ingest\n"``
  would pass ``^[a-z0-9]…$``. The validator's copy rewrites every pattern to anchor at the true end
  of the string (``\Z``), makes ``integer`` mean a real integer (JSON Schema accepts ``10.0``) and
  gives every number without a ``maximum`` a sane one, all generically, so fields added to the
  schema later get the same treatment.
- ``check_values``: every key and string is free of control characters (a newline is only allowed
  in container ``env`` values), no longer than ``MAX_STRING``, and every number is finite and
  within ``MAX_NUMBER``.

Imports only ``errors``; reads and writes nothing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping
from functools import cache
from typing import Any

from generator.location import YamlPath

__all__ = ["MAX_NUMBER", "MAX_STRING", "anchor_pattern", "check_values", "fast_validity", "strict_validator"]

#: Longest string accepted anywhere in an environment (the longest real value is a URL).
MAX_STRING = 4096
#: Largest number accepted where the schema sets no maximum (Kubernetes int32 fields).
MAX_NUMBER = 2**31 - 1
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def anchor_pattern(pattern: str) -> str:
    r"""``pattern`` with every unescaped ``$`` outside a character class made ``\Z`` (end of string)."""
    out: list[str] = []
    escaped = in_class = False
    for ch in pattern:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "$":
            out.append(r"\Z")
            continue
        out.append(ch)
    return "".join(out)


_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"})
_SCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_SCHEMAS = frozenset(
    {"items", "additionalProperties", "propertyNames", "not", "if", "then", "else", "contains"}
    | {"unevaluatedProperties", "unevaluatedItems", "additionalItems"}
)


def _strict(schema: Any, *, anchor: bool = True) -> Any:
    """A strict copy of one (sub)schema; recurses only through keywords that hold schemas.

    ``anchor=False`` keeps the patterns as published (for an ECMA-262 engine, where ``$`` is the end).
    """
    if not isinstance(schema, Mapping):
        return schema
    out = dict(schema)
    for key, value in schema.items():
        if key in _SCHEMA_MAPS and isinstance(value, Mapping):
            out[key] = {name: _strict(sub, anchor=anchor) for name, sub in value.items()}
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            out[key] = [_strict(sub, anchor=anchor) for sub in value]
        elif key in _SCHEMAS:
            out[key] = _strict(value, anchor=anchor)
    if anchor and isinstance(out.get("pattern"), str):
        out["pattern"] = anchor_pattern(out["pattern"])
    types = out.get("type")
    numeric = {"integer", "number"} & set(types if isinstance(types, list) else [types])
    if numeric and not {"maximum", "exclusiveMaximum", "enum", "const"} & out.keys():
        out["maximum"] = MAX_NUMBER
    if numeric and not {"minimum", "exclusiveMinimum", "enum", "const"} & out.keys():
        out["minimum"] = -MAX_NUMBER
    return out


def _is_integer(_checker: Any, instance: Any) -> bool:
    return isinstance(instance, int) and not isinstance(instance, bool)


@cache
def _validator_class() -> Any:
    import jsonschema  # 40 ms of start-up that `validate` (which reads only eks.version) need not pay

    base = jsonschema.Draft202012Validator
    checker = base.TYPE_CHECKER.redefine("integer", _is_integer)
    return jsonschema.validators.extend(base, type_checker=checker)


def strict_validator(schema: Mapping[str, Any]) -> Any:
    """A Draft 2020-12 validator of ``schema`` made strict (see the module docstring)."""
    return _validator_class()(_strict(schema))


def fast_validity(schema: Mapping[str, Any]) -> Callable[[Any], bool]:
    r"""A check that is true only of data the strict validator finds no error in, ten times faster.

    jsonschema-rs (Rust) with the strict schema, its patterns as published: its ECMA-262 ``$``
    ends the string, as the strict validator's ``\Z`` does, and the shipped patterns use only
    explicit character classes, which both engines read alike. JSON Schema's ``integer`` holds
    ``10.0``, which the strict validator refuses: data with a float in it is never called valid
    here. False means "ask the strict validator", which then finds and reports the errors
    (``tests/test_env_fuzz.py`` checks the implication on mutated environments).
    """
    import jsonschema_rs

    rs = jsonschema_rs.Draft202012Validator(_strict(schema, anchor=False))

    def valid(data: Any) -> bool:
        if _has_float(data):
            return False
        try:
            return bool(rs.is_valid(data))
        except (ValueError, TypeError, OverflowError):  # what it cannot convert (a key that is no string)
            return False

    return valid


def _has_float(data: Any) -> bool:
    return any(type(value) is float for value in _scalars(data))


def _scalars(data: Any) -> Iterator[Any]:
    """Every key and scalar of ``data``, without their paths (what most scans need: a third the time)."""
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, Mapping):
            yield from value
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        else:
            yield value


def _suspect(value: Any) -> bool:
    """True for a key or scalar ``_problem`` may refuse somewhere (its strictest reading of text)."""
    if isinstance(value, str):
        return len(value) > MAX_STRING or _CONTROL.search(value) is not None
    if isinstance(value, float):
        return not math.isfinite(value) or abs(value) > MAX_NUMBER
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_NUMBER


def _leaves(data: Any, path: YamlPath = ()) -> Iterator[tuple[YamlPath, Any, bool]]:
    """``(path, value, is_key)`` of every key and scalar, iteratively deep (no recursion limit)."""
    stack: list[tuple[YamlPath, Any]] = [(path, data)]
    while stack:
        here, value = stack.pop()
        if isinstance(value, Mapping):
            for k, v in value.items():
                yield (*here, k), k, True
                stack.append(((*here, k), v))
        elif isinstance(value, list):
            stack.extend(((*here, i), v) for i, v in enumerate(value))
        else:
            yield here, value, False


def _multiline_allowed(path: YamlPath) -> bool:
    """Container ``env`` values may hold newlines (a certificate, a script); nothing else may."""
    return len(path) == 4 and path[0] == "services" and path[2] == "env"


def check_values(data: Any, error_at: Callable[[str, YamlPath, str | None], Exception]) -> None:
    """Raise ``error_at(...)`` for the first control character, over-long string or wild number.

    "First" in the order of the paths as text, so the same file always names the same value; the
    leaves are scanned as they come and only those with a problem are ordered (sorting every leaf
    of a 1,000-service file cost more than scanning it).
    """
    if not any(_suspect(value) for value in _scalars(data)):
        return  # nothing any path could refuse: the paths are not worth building
    found = []
    for index, (path, value, is_key) in enumerate(_leaves(data)):
        problem = _problem(path, value, is_key)
        if problem is not None:
            found.append((tuple(map(str, path)), index, path, problem))
    if found:
        _, _, path, (message, hint) = min(found, key=lambda f: (f[0], f[1]))
        raise error_at(message, path, hint)


def _problem(path: YamlPath, value: Any, is_key: bool) -> tuple[str, str] | None:
    """What is wrong with one key or scalar (message, hint), if anything."""
    if isinstance(value, str):
        control = (_CONTROL_IN_TEXT if not is_key and _multiline_allowed(path) else _CONTROL).search(value)
        if control is not None:
            what = "key" if is_key else "value"
            return (
                f"{what} {value[:60]!r} holds control character U+{ord(control.group()):04X}",
                "names and values are single-line text; remove the newline or control character",
            )
        if len(value) > MAX_STRING:
            return (
                f"value is {len(value)} characters long, more than the {MAX_STRING} accepted",
                "no setting needs a value this long",
            )
    elif isinstance(value, float) and not math.isfinite(value):
        return f"{value} is not a finite number", "write a plain number"
    elif isinstance(value, int | float) and not isinstance(value, bool) and abs(value) > MAX_NUMBER:
        return (
            f"number {str(value)[:40]} is out of range (at most {MAX_NUMBER})",
            "no setting takes a number this large",
        )
    return None
