"""The one Jinja environment factory: sandboxed, StrictUndefined, filters and globals in one place.

Values from environment files enter templates only as data through the ``q`` filter (JSON, which
YAML reads as a flow scalar/collection), so a value is never evaluated as a template nor able to
break the YAML structure. Templates are loaded once, up front, by ``load_templates``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from jinja2.bccache import Bucket
from jinja2.sandbox import SandboxedEnvironment

from generator.errors import TemplateError
from generator.usercache import private_dir

__all__ = ["TemplateSet", "jinja_env", "load_templates"]

TEMPLATE_SUFFIX = ".yaml.j2"
#: Templates of this component render once per environment, into its Argo CD hub.
HUB_COMPONENT = "argocd"


#: ``json.dumps(text, ensure_ascii=True)`` for a ``str``: the encoder's own C function, without the
#: per-call encoder ``json.dumps`` builds for non-default options (templates quote every value).
_quoted = json.encoder.encode_basestring_ascii


def q(value: Any) -> str:
    """Insert ``value`` as YAML data (JSON flow syntax), never as template or YAML source."""
    if type(value) is str:
        return _quoted(value)
    if isinstance(value, jinja2.Undefined):
        value._fail_with_undefined_error()
    return json.dumps(value, sort_keys=True, ensure_ascii=True, default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, tuple | frozenset):
        return list(value)
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"cannot insert a {type(value).__name__} into YAML")


def prefix(value: str, text: str) -> str:
    """``text + value``: builds names such as SPIFFE principals from service names."""
    return f"{text}{value}"


def suffix(value: str, text: str) -> str:
    """``value + text``."""
    return f"{value}{text}"


#: How templates are compiled (besides the sandbox and ``StrictUndefined``): part of the cache key.
_OPTIONS: Mapping[str, bool] = {
    "keep_trailing_newline": True,
    "autoescape": False,
    "trim_blocks": True,
    "lstrip_blocks": True,
}


class _BytecodeCache(jinja2.FileSystemBytecodeCache):
    """Compiled templates kept between runs, in the user's cache (only a cache).

    Compiling the templates is 0.1 s of every ``render`` and ``check`` process. jinja2 checks each
    entry against the template's source (a checksum) and its own bytecode format; the key adds what
    it does not: jinja2's version and the class and options of our environment. The key is the
    template's name, not its path, so the cache holds one entry per template whatever the number
    of checkouts (another project's template of that name is compiled and replaces it). It lives
    outside the repository on purpose: bytecode runs unsandboxed, so a commit must never be able to
    plant it. An entry that cannot be read or written means "compile".
    """

    def __init__(self, directory: Path) -> None:
        super().__init__(str(directory), "%s.cache")
        options = sorted(_OPTIONS.items())
        self.salt = f"{jinja2.__version__}|{SandboxedEnvironment.__name__}|StrictUndefined|{options}"

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        return hashlib.sha256(f"{self.salt}|{name}".encode()).hexdigest()

    def load_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):
            super().load_bytecode(bucket)

    def dump_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def _cache_dir() -> Path | None:
    """Where compiled templates are kept: the user's private cache (``generator.usercache``)."""
    return private_dir("jinja")


def jinja_env(template_dir: Path, *, cache: Path | None = None) -> SandboxedEnvironment:
    """The sandboxed environment every template renders in (``cache``: a bytecode cache directory)."""
    env = SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(str(template_dir)),
        undefined=jinja2.StrictUndefined,
        bytecode_cache=_BytecodeCache(cache) if cache is not None else None,
        **_OPTIONS,
    )
    env.filters["q"] = q
    env.filters["prefix"] = prefix
    env.filters["suffix"] = suffix
    return env


@dataclass(frozen=True, slots=True)
class TemplateSet:
    """Compiled templates by scope: ``cluster`` ones render once per cluster, ``service`` per service.

    Variables every template sees: ``env`` (the ``model.Environment``, grouped as the file is:
    ``env.dns.hostname``, ``env.rabbitmq.replicas``…), ``plans`` (every cluster's ``plan.ClusterPlan``)
    and ``labels(name, service=None)``. Cluster and service templates also get ``plan``, the
    ``ClusterPlan`` being rendered (``plan.name``, ``plan.version``, ``plan.cluster.server``); service
    templates get ``service``.
    """

    directory: Path
    cluster: Mapping[str, jinja2.Template]
    """Relative name → template, for ``templates/<component>/*.yaml.j2``."""
    service: Mapping[str, jinja2.Template]
    """Relative name → template, for ``templates/<component>/service/*.yaml.j2``."""
    hub: Mapping[str, jinja2.Template] = field(default_factory=dict)
    """Relative name → template, for ``templates/argocd/*.yaml.j2``: once per environment, into its hub."""


def load_templates(template_dir: Path) -> TemplateSet:
    """Compile every template once (in a project, through the bytecode cache: ``_BytecodeCache``).

    Raises:
        TemplateError: a template with a syntax error (names template and line).
    """
    env = jinja_env(template_dir, cache=_cache_dir())
    cluster: dict[str, jinja2.Template] = {}
    service: dict[str, jinja2.Template] = {}
    hub: dict[str, jinja2.Template] = {}
    for path in sorted(template_dir.rglob(f"*{TEMPLATE_SUFFIX}")):
        rel = path.relative_to(template_dir).as_posix()
        try:
            template = env.get_template(rel)
        except jinja2.TemplateSyntaxError as e:
            raise TemplateError(
                f"template syntax error: {e.message}",
                path=f"templates/{rel}",
                line=e.lineno,
                hint="fix the Jinja syntax",
            ) from e
        if "/service/" in f"/{rel}":
            service[rel] = template
        elif rel.startswith(f"{HUB_COMPONENT}/"):
            hub[rel] = template
        else:
            cluster[rel] = template
    if not cluster and not service and not hub:
        raise TemplateError("no templates found", path=str(template_dir), hint=f"expected *{TEMPLATE_SUFFIX}")
    return TemplateSet(template_dir, cluster, service, hub)
