"""Field validators of k8s.io/apimachinery ``pkg/util/validation`` and ``pkg/api/validation``.

Each returns the upstream error strings for one value (empty when valid), so the kind modules can
cite the Go function that applies them. Pure; no I/O, never raises on a value of the wrong type
(the schema reports types).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Mapping
from typing import Any

from generator.cel.library.quantity import parse_quantity
from generator.schema.metadata import dns1123_label, dns1123_subdomain, label_value, qualified_name

__all__ = [
    "Issue",
    "Path",
    "dns1123_label",
    "dns1123_subdomain",
    "iana_svc_name",
    "int_or_percent",
    "label_selector",
    "port_number",
    "quantity",
    "selector_matches",
]

Path = tuple[str | int, ...]
Issue = tuple[Path, str, str]
"""(yaml path, rule ``k8s:<function>``, message)."""

_IANA_SVC_NAME = re.compile(r"[-a-z0-9]+")
_HAS_LETTER = re.compile(r"[a-z]")
_PERCENT = re.compile(r"[0-9]+%")


def port_number(value: Any, low: int = 1) -> list[str]:
    """``IsValidPortNum`` (``low`` 0 for ``IsInRange(0, 65535)``, as hostPort/nodePort allow)."""
    if isinstance(value, bool) or not isinstance(value, int):
        return []
    if not low <= value <= 65535:
        return [f"must be between {low} and 65535, inclusive"]
    return []


def iana_svc_name(value: str) -> list[str]:
    """``IsValidPortName``: an IANA_SVC_NAME (RFC 6335): ≤ 15 chars, [-a-z0-9], a letter, no '--'."""
    errs = []
    if len(value) > 15:
        errs.append("must be no more than 15 characters")
    if not _IANA_SVC_NAME.fullmatch(value):
        errs.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if "--" in value:
        errs.append("must not contain consecutive hyphens")
    if value and not _HAS_LETTER.search(value):
        errs.append("must contain at least one letter (a-z)")
    if value.startswith("-") or value.endswith("-"):
        errs.append("must not begin or end with a hyphen")
    return errs


def port_num_or_name(value: Any) -> list[str]:
    """``ValidatePortNumOrName``: an int port 1-65535 or an IANA_SVC_NAME."""
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return port_number(value)
    if isinstance(value, str):
        return iana_svc_name(value)
    return []


def quantity(value: Any) -> tuple[Any, list[str]]:
    """``resource.ParseQuantity``: the parsed value (or None) and the error, as the decoder reports it."""
    if isinstance(value, bool):
        return None, [
            "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
        ]
    if isinstance(value, (int, float)):
        return parse_quantity(str(value)), []
    if not isinstance(value, str):
        return None, []
    try:
        return parse_quantity(value), []
    except (ValueError, ArithmeticError):
        return None, [
            "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
        ]


def int_or_percent(value: Any) -> list[str]:
    """``ValidatePositiveIntOrPercent`` + ``IsNotMoreThan100Percent``."""
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return ["must be greater than or equal to 0"] if value < 0 else []
    if isinstance(value, str):
        if not _PERCENT.fullmatch(value):
            return ["a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%')"]
        if int(value[:-1]) > 100:
            return ["must not be greater than 100%"]
    return []


def label_selector(selector: Any, path: Path, rule: str) -> Iterator[Issue]:
    """``ValidateLabelSelector``: keys, values and operators of matchLabels/matchExpressions."""
    if not isinstance(selector, Mapping):
        return
    labels = selector.get("matchLabels")
    for key, value in labels.items() if isinstance(labels, Mapping) else ():
        for err in qualified_name(str(key)):
            yield (*path, "matchLabels", str(key)), rule, f"Invalid value: {key!r}: {err}"
        for err in label_value(value) if isinstance(value, str) else ["must be a string"]:
            yield (*path, "matchLabels", str(key)), rule, f"Invalid value: {value!r}: {err}"
    expressions = selector.get("matchExpressions")
    for i, expr in enumerate(expressions if isinstance(expressions, list) else ()):
        if not isinstance(expr, Mapping):
            continue
        op, values = expr.get("operator"), expr.get("values") or []
        where = (*path, "matchExpressions", i)
        if op in ("In", "NotIn") and not values:
            yield (
                (*where, "values"),
                rule,
                "Required value: must be specified when `operator` is 'In' or 'NotIn'",
            )
        elif op in ("Exists", "DoesNotExist") and values:
            yield (
                (*where, "values"),
                rule,
                "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            )
        elif op not in ("In", "NotIn", "Exists", "DoesNotExist"):
            yield (*where, "operator"), rule, f"Invalid value: {op!r}: not a valid selector operator"


def selector_matches(selector: Mapping[str, Any], labels: Mapping[str, Any]) -> bool:
    """``metav1.LabelSelectorAsSelector(selector).Matches(labels)``."""
    match_labels = selector.get("matchLabels")
    for key, value in match_labels.items() if isinstance(match_labels, Mapping) else ():
        if str(labels.get(key, "\0")) != str(value):
            return False
    expressions = selector.get("matchExpressions")
    for expr in expressions if isinstance(expressions, list) else ():
        if not isinstance(expr, Mapping):
            continue
        key, op = str(expr.get("key", "")), expr.get("operator")
        values = [str(v) for v in expr.get("values") or ()]
        present = key in labels
        if (
            (op == "In" and not (present and str(labels[key]) in values))
            or (op == "NotIn" and present and str(labels[key]) in values)
            or (op == "Exists" and not present)
            or (op == "DoesNotExist" and present)
        ):
            return False
    return True


def cidr(value: Any) -> list[str]:
    """``ValidateCIDR``/``IsValidCIDR``."""
    if not isinstance(value, str):
        return []
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return ["must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"]
    if "/" not in value:
        return ["must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"]
    return []
