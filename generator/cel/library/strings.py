"""Strings extension (cel-go ``ext.Strings``, as enabled in Kubernetes) for string receivers.

``charAt``, ``indexOf``, ``lastIndexOf``, ``lowerAscii``, ``upperAscii``, ``replace``, ``split``,
``substring``, ``trim``, ``join``, ``reverse``, ``strings.quote`` and ``format``. Indices count
code points, as in cel-go. Most bodies come from ``cel.stdlib`` (the package's optional
library); here they gain the argument checks cel-go applies (a wrong type is "no such
overload", not a Python error) and ``format``, which the package lacks.

``indexOf``/``lastIndexOf``/``reverse`` also exist for lists; ``generator.cel.library`` dispatches
on the receiver type.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from cel import stdlib

from generator.cel.library.opaque import kind_of, type_name

__all__ = ["FUNCTIONS", "format_string", "to_display_string"]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check(name: str, args: tuple[Any, ...], *types: type | tuple[type, ...]) -> None:
    """Raise "no such overload" unless ``args`` match ``types`` (ints exclude bools)."""
    if len(args) != len(types):
        raise TypeError(f"no such overload: {name} takes {len(types) - 1} argument(s)")
    for arg, want in zip(args, types, strict=True):
        ok = _is_int(arg) if want is int else isinstance(arg, want)
        if not ok:
            got = ", ".join(type_name(a) for a in args)
            raise TypeError(f"no such overload: {name}({got})")


def _typed(
    name: str, fn: Callable[..., Any], *signatures: tuple[type | tuple[type, ...], ...]
) -> Callable[..., Any]:
    """Wrap ``fn`` so that it accepts only the given argument-type signatures."""

    def call(*args: Any) -> Any:
        for sig in signatures:
            try:
                _check(name, args, *sig)
            except TypeError:
                continue
            return fn(*args)
        got = ", ".join(type_name(a) for a in args)
        raise TypeError(f"no such overload: {name}({got})")

    call.__name__ = name
    call.__doc__ = fn.__doc__
    return call


def _join(items: Any, sep: str = "") -> str:
    if not all(isinstance(item, str) for item in items):
        raise TypeError("no such overload: join() needs a list of strings")
    return sep.join(items)


def to_display_string(value: Any) -> str:
    """Render a value as cel-go's ``%s`` / ``string()`` does (``true``, ``null``, ``[a, b]``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, float):
        return _format_double(value)
    if isinstance(value, timedelta):
        return f"{value.total_seconds():g}s"
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    kind = kind_of(value)
    if kind:
        return str(next(iter(value.values())))
    if isinstance(value, list):
        return "[" + ", ".join(to_display_string(v) for v in value) + "]"
    if isinstance(value, dict):
        inner = ", ".join(f"{to_display_string(k)}: {to_display_string(v)}" for k, v in value.items())
        return "{" + inner + "}"
    return str(value)


def _format_double(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "+Inf" if value > 0 else "-Inf"
    if value == int(value) and abs(value) < 1e21:
        return str(int(value))
    return repr(value)


def _format_one(verb: str, precision: int | None, arg: Any) -> str:
    if verb == "s":
        return to_display_string(arg)
    if verb == "d":
        if not _is_int(arg):
            raise TypeError(f"format: %d needs an integer, got {type_name(arg)}")
        return str(arg)
    if verb in "fe":
        if isinstance(arg, bool) or not isinstance(arg, int | float):
            raise TypeError(f"format: %{verb} needs a number, got {type_name(arg)}")
        return f"{float(arg):.{6 if precision is None else precision}{verb}}"
    if verb in "xXob":
        if _is_int(arg):
            return format(arg, verb)
        if isinstance(arg, str | bytes) and verb in "xX":
            data = arg.encode() if isinstance(arg, str) else arg
            return data.hex() if verb == "x" else data.hex().upper()
        raise TypeError(f"format: %{verb} needs an integer, got {type_name(arg)}")
    raise ValueError(f"format: unsupported verb %{verb}")


def format_string(template: str, args: list[Any]) -> str:
    """cel-go ``string.format(list)``: ``%s %d %f %.Nf %e %x %X %o %b %%``."""
    if not isinstance(template, str) or not isinstance(args, list):
        raise TypeError("no such overload: format(string, list)")
    out: list[str] = []
    i = n = 0
    while i < len(template):
        ch = template[i]
        if ch != "%":
            out.append(ch)
            i += 1
            continue
        i += 1
        if i < len(template) and template[i] == "%":
            out.append("%")
            i += 1
            continue
        precision = None
        if i < len(template) and template[i] == ".":
            j = i + 1
            while j < len(template) and template[j].isdigit():
                j += 1
            if j - i > 4:  # > 999 digits: a memory bomb (`'%.99999999f'`), not a format
                raise ValueError("format: precision over 999")
            precision = int(template[i + 1 : j] or 0)
            i = j
        if i >= len(template):
            raise ValueError("format: unterminated format verb")
        if n >= len(args):
            raise ValueError("format: too few arguments for the format string")
        out.append(_format_one(template[i], precision, args[n]))
        n += 1
        i += 1
    return "".join(out)


def string_fallback(value: Any) -> str:
    """``string(x)`` where cel-rust has no overload: bools (``'true'``) and our opaque values.

    cel-rust converts numbers, strings, bytes, timestamps and durations itself and calls this only
    for the rest. ``string(null)``, lists and maps stay errors, as in cel-go.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    kind = kind_of(value)
    if kind is None:
        raise TypeError(f"no such overload: string({type_name(value)})")
    return str(value["@" + kind])


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "string": string_fallback,
    "charAt": _typed("charAt", stdlib.char_at, (str, int)),
    "indexOf": _typed("indexOf", stdlib.index_of, (str, str), (str, str, int)),
    "lastIndexOf": _typed("lastIndexOf", stdlib.last_index_of, (str, str), (str, str, int)),
    "lowerAscii": _typed("lowerAscii", stdlib.lower_ascii, (str,)),
    "upperAscii": _typed("upperAscii", stdlib.upper_ascii, (str,)),
    "replace": _typed("replace", stdlib.replace, (str, str, str), (str, str, str, int)),
    "split": _typed("split", stdlib.split, (str, str), (str, str, int)),
    "substring": _typed("substring", stdlib.substring, (str, int), (str, int, int)),
    "trim": _typed("trim", stdlib.trim, (str,)),
    "join": _typed("join", _join, (list,), (list, str)),
    "reverse": _typed("reverse", stdlib.reverse, (str,)),
    "strings.quote": _typed("strings.quote", stdlib.quote, (str,)),
    "format": format_string,
}
