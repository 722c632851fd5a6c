"""Kubernetes CEL format library (k8s.io/apiserver/pkg/cel/library/format.go, Kubernetes 1.31+).

``format.dns1123Label().validate('my-name')`` is ``optional.none()`` when the string is valid and
``optional.of([messages])`` otherwise; ``format.named('dns1123Label')`` is the same format as an
optional (``none`` for an unknown name). Messages follow k8s.io/apimachinery's validation
helpers (IsDNS1123Label, IsQualifiedName, …).
"""

from __future__ import annotations

import base64
import functools
import re
import uuid as uuidlib
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

import cel

from generator.cel.library.opaque import tag, type_name, untag

__all__ = ["FORMATS", "FUNCTIONS"]

_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_SUBDOMAIN = rf"{_LABEL}(\.{_LABEL})*"
_1035 = "[a-z]([-a-z0-9]*[a-z0-9])?"
_QNAME = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_VALUE = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?"


def _regex_check(pattern: str, max_len: int, what: str, example: str) -> Callable[[str], list[str]]:
    compiled = re.compile(f"^(?:{pattern})$")

    def check(value: str) -> list[str]:
        errors = []
        if len(value) > max_len:
            errors.append(f"must be no more than {max_len} characters")
        if not compiled.match(value):
            errors.append(f"{what} (e.g. {example}, regex used for validation is '{pattern}')")
        return errors

    return check


_DNS1123_LABEL = _regex_check(
    _LABEL, 63,
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character", "'my-name',  or '123-abc'",
)  # fmt: skip
_DNS1123_SUBDOMAIN = _regex_check(
    _SUBDOMAIN, 253,
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character", "'example.com'",
)  # fmt: skip
_DNS1035_LABEL = _regex_check(
    _1035, 63,
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character", "'my-name',  or 'abc-123'",
)  # fmt: skip
_LABEL_VALUE_CHECK = _regex_check(
    _LABEL_VALUE, 63,
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character", "'MyValue',  or 'my_value',  or '12345'",
)  # fmt: skip
_NAME_PART = _regex_check(
    _QNAME, 63,
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
    "with an alphanumeric character", "'MyName',  or 'my.name',  or '123-abc'",
)  # fmt: skip


def _qualified_name(value: str) -> list[str]:
    prefix, _, name = value.rpartition("/")
    if value.count("/") > 1:
        return [
            "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start "
            "and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex "
            f"used for validation is '{_QNAME}') with an optional DNS subdomain prefix and '/' "
            "(e.g. 'example.com/MyName')"
        ]
    errors = [f"prefix part {e}" for e in _DNS1123_SUBDOMAIN(prefix)] if "/" in value else []
    if not name:
        return [*errors, "name part must be non-empty"]
    return errors + _NAME_PART(name)


def _prefix(check: Callable[[str], list[str]]) -> Callable[[str], list[str]]:
    """The ``…Prefix`` formats: a trailing ``-`` is allowed (generateName)."""
    return lambda value: check(value[:-1] if value.endswith("-") else value)


def _parses(parse: Callable[[str], Any], message: str) -> Callable[[str], list[str]]:
    def check(value: str) -> list[str]:
        try:
            parse(value)
        except (ValueError, TypeError):
            return [message]
        return []

    return check


def _uri(value: str) -> None:
    if not urlsplit(value).scheme and not value.startswith("/"):
        raise ValueError(value)


FORMATS: dict[str, Callable[[str], list[str]]] = {
    "dns1123Label": _DNS1123_LABEL,
    "dns1123Subdomain": _DNS1123_SUBDOMAIN,
    "dns1035Label": _DNS1035_LABEL,
    "qualifiedName": _qualified_name,
    "dns1123LabelPrefix": _prefix(_DNS1123_LABEL),
    "dns1123SubdomainPrefix": _prefix(_DNS1123_SUBDOMAIN),
    "dns1035LabelPrefix": _prefix(_DNS1035_LABEL),
    "labelValue": _LABEL_VALUE_CHECK,
    "uri": _parses(_uri, "invalid URI"),
    "uuid": _parses(uuidlib.UUID, "does not match the UUID format"),
    "byte": _parses(lambda v: base64.b64decode(v, validate=True), "invalid base64"),
    "date": _parses(date.fromisoformat, "invalid date"),
    "datetime": _parses(lambda v: datetime.fromisoformat(v.replace("Z", "+00:00")), "invalid datetime"),
}
"""Format name → check returning the error messages (empty when valid)."""


def named(name: Any) -> Any:
    """``format.named('dns1123Label')``: the format as an optional value."""
    if not isinstance(name, str):
        raise TypeError(f"no such overload: format.named({type_name(name)})")
    return cel.OptionalValue.of(tag("format", name)) if name in FORMATS else cel.OptionalValue.none()


def validate(fmt: Any, value: Any) -> Any:
    """``<format>.validate(s)``: ``optional.none()`` when valid, else ``optional.of(errors)``."""
    name = untag("format", fmt, "validate")
    if not isinstance(value, str):
        raise TypeError(f"no such overload: validate(format, {type_name(value)})")
    errors = FORMATS[name](value)
    return cel.OptionalValue.of(errors) if errors else cel.OptionalValue.none()


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "format.named": named,
    "validate": validate,
    **{f"format.{name}": functools.partial(tag, "format", name) for name in FORMATS},
}
