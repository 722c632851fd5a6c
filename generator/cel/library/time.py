"""Timestamp accessors with a time zone: ``ts.getHours('Europe/Paris')``, ``ts.getDayOfWeek('+05:30')``.

cel-rust implements the accessors in UTC only (``ts.getHours()``); it calls these Python
fallbacks for the overloads it lacks, i.e. the ones taking a time zone. CEL spec: the zone is an
IANA name or a fixed offset ``[+-]HH:MM``; months, days of year and days of week count from 0,
``getDate``/``getDayOfMonth`` from 1 and 0 respectively; Sunday is day 0.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from generator.cel.library.opaque import type_name

__all__ = ["FUNCTIONS"]

_OFFSET = re.compile(r"^([+-])(\d{2}):(\d{2})$")


def _zone(name: str) -> tzinfo:
    m = _OFFSET.match(name)
    if m:
        sign = -1 if m.group(1) == "-" else 1
        return timezone(sign * timedelta(hours=int(m.group(2)), minutes=int(m.group(3))))
    if name == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise ValueError(f"unknown time zone {name!r}") from e


def _accessor(name: str, part: Callable[[datetime], int]) -> Callable[..., int]:
    def call(ts: Any, zone: Any) -> int:
        if not isinstance(ts, datetime) or not isinstance(zone, str):
            raise TypeError(f"no such overload: {name}({type_name(ts)}, {type_name(zone)})")
        return part(ts.astimezone(_zone(zone)))

    call.__name__ = name
    return call


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "getFullYear": _accessor("getFullYear", lambda t: t.year),
    "getMonth": _accessor("getMonth", lambda t: t.month - 1),
    "getDayOfYear": _accessor("getDayOfYear", lambda t: t.timetuple().tm_yday - 1),
    "getDayOfMonth": _accessor("getDayOfMonth", lambda t: t.day - 1),
    "getDate": _accessor("getDate", lambda t: t.day),
    "getDayOfWeek": _accessor("getDayOfWeek", lambda t: (t.weekday() + 1) % 7),
    "getHours": _accessor("getHours", lambda t: t.hour),
    "getMinutes": _accessor("getMinutes", lambda t: t.minute),
    "getSeconds": _accessor("getSeconds", lambda t: t.second),
    "getMilliseconds": _accessor("getMilliseconds", lambda t: t.microsecond // 1000),
}
