"""``metadata`` checked as the API server checks it (apimachinery ``ValidateObjectMeta``).

CRD schemas say only ``type: object`` for ``metadata`` and the JSON Schemas of built-in kinds only
give types, so names, label syntax and the annotation size limit are checked here, by pure
functions that yield ``(yaml_path, rule, message)`` triples. Which name rule applies depends on
the kind (``NAME_RULES``); custom resources always use the DNS-1123 subdomain rule, as the
apiextensions server does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache
from typing import Any

__all__ = [
    "NAME_RULES",
    "MetaIssue",
    "check_metadata",
    "dns1123_label",
    "dns1123_subdomain",
    "label_value",
    "qualified_name",
]

MetaIssue = tuple[tuple[str | int, ...], str, str]

_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_DNS1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
_QUALIFIED_NAME_PART = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
_TOTAL_ANNOTATION_SIZE = 256 * 1024

_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character (e.g. 'example.com')"
)
_LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character (e.g. 'my-name')"
)
_DNS1035_MSG = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character (e.g. 'my-name')"
)


def _rule(pattern: re.Pattern[str], max_len: int, message: str) -> Callable[[str], list[str]]:
    """A name check: length limit and pattern, with the API server's wording (cached: values repeat)."""

    @lru_cache(maxsize=8192)
    def check(value: str) -> list[str]:
        errs = [f"must be no more than {max_len} characters"] if len(value) > max_len else []
        if not pattern.fullmatch(value):
            errs.append(message)
        return errs

    return check


_subdomain = _rule(_DNS1123_SUBDOMAIN, 253, _SUBDOMAIN_MSG)
_label = _rule(_DNS1123_LABEL, 63, _LABEL_MSG)
_dns1035 = _rule(_DNS1035_LABEL, 63, _DNS1035_MSG)
_label_value = _rule(
    _LABEL_VALUE,
    63,
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character",
)


def _path_segment(value: str) -> list[str]:
    if value in (".", ".."):
        return [f"may not be '{value}'"]
    return [f"may not contain '{c}'" for c in ("/", "%") if c in value]


#: Name rule per built-in kind (apimachinery/pkg/api/validation + the kind's own validation).
#: Kinds not listed use the DNS-1123 subdomain rule, as do all custom resources.
NAME_RULES = {
    "Namespace": _label,
    "Service": _dns1035,
    "Role": _path_segment,
    "ClusterRole": _path_segment,
    "RoleBinding": _path_segment,
    "ClusterRoleBinding": _path_segment,
}


@lru_cache(maxsize=8192)
def _qualified_name(key: str) -> list[str]:
    """Label and annotation keys: ``[prefix/]name`` (apimachinery ``IsQualifiedName``)."""
    prefix, sep, name = key.rpartition("/")
    errs = []
    if sep and not prefix:
        errs.append("prefix part must be non-empty")
    elif sep:
        errs += [f"prefix part {m}" for m in _subdomain(prefix)]
    if not name:
        errs.append("name part must be non-empty")
    elif len(name) > 63:
        errs.append("name part must be no more than 63 characters")
    elif not _QUALIFIED_NAME_PART.fullmatch(name):
        errs.append(
            "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and "
            "end with an alphanumeric character (e.g. 'MyName', 'my.name' or '123-abc')"
        )
    return errs


dns1123_label = _label
"""``IsDNS1123Label`` (also used by ``generator.schema.native_rules`` for fields)."""
dns1123_subdomain = _subdomain
"""``IsDNS1123Subdomain``."""
label_value = _label_value
"""``IsValidLabelValue``."""
qualified_name = _qualified_name
"""``IsQualifiedName``: label and annotation keys."""


def _invalid(value: str, errs: list[str]) -> str:
    return f"Invalid value: {value!r}: " + "; ".join(errs)


def check_metadata(body: Mapping[str, Any], *, kind: str) -> Iterator[MetaIssue]:
    """Yield what the API server would reject in ``metadata`` (types are the schema's job)."""
    meta = body.get("metadata")
    if not isinstance(meta, dict):
        if meta is None:
            yield ("metadata", "name"), "metadata.name", "Required value: name or generateName is required"
        return
    name, generate = meta.get("name"), meta.get("generateName")
    name_rule = NAME_RULES.get(kind, _subdomain)
    if isinstance(name, str) and name:
        errs = name_rule(name)
        if errs:
            yield ("metadata", "name"), "metadata.name", _invalid(name, errs)
    elif name in (None, "") and not (isinstance(generate, str) and generate):
        yield ("metadata", "name"), "metadata.name", "Required value: name or generateName is required"
    namespace = meta.get("namespace")
    if isinstance(namespace, str) and namespace:
        errs = _label(namespace)
        if errs:
            yield ("metadata", "namespace"), "metadata.namespace", _invalid(namespace, errs)
    labels = meta.get("labels")
    if isinstance(labels, dict):
        for key, value in labels.items():
            errs = _qualified_name(str(key))
            if errs:
                yield ("metadata", "labels", str(key)), "metadata.labels", _invalid(str(key), errs)
            if isinstance(value, str):
                errs = _label_value(value)
                if errs:
                    yield ("metadata", "labels", str(key)), "metadata.labels", _invalid(value, errs)
    annotations = meta.get("annotations")
    if isinstance(annotations, dict):
        total = 0
        for key, value in annotations.items():
            errs = _qualified_name(str(key).lower())
            if errs:
                yield ("metadata", "annotations", str(key)), "metadata.annotations", _invalid(str(key), errs)
            total += len(str(key).encode()) + (len(value.encode()) if isinstance(value, str) else 0)
        if total > _TOTAL_ANNOTATION_SIZE:
            yield (
                ("metadata", "annotations"),
                "metadata.annotations",
                f"Too long: may not be more than {_TOTAL_ANNOTATION_SIZE} bytes (annotations total {total})",
            )
