"""Render units: what one part of an environment's render depends on, digested into a key.

A render of an environment is made of units: one per service and cluster (the service templates
rendered for that service) and one per hub or cluster template (``template_unit``); policies and
extra manifests render every time. A unit's files are a function of the templates and the tool
(``stamps.shared_digest``), every part of the environment but its services, the cluster plans, its
service (a service unit) and the services its templates read. ``Tracked`` is the environment as a
unit's templates see it: it notes each service read (``env.service(name)``) and counts any way to
them it cannot follow (``env.services``, a method not known to leave services alone) as reading all
of them. A unit's key digests exactly those inputs, so an edit to one service changes the keys of
that service's units and of the units that read it, and nothing else; ``pipeline.render`` reuses
the files of every other unit (their keys equal the ones the stamp recorded). Pure.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from generator.model import Environment, Service
from generator.plan import ClusterPlan

__all__ = [
    "Digests",
    "Noted",
    "Reads",
    "Tracked",
    "Unit",
    "digests",
    "is_template",
    "parse_unit_id",
    "service_units",
    "template_unit",
    "unit_id",
    "unit_key",
]

#: ``(cluster, service)``: one service's objects on one cluster; ``(cluster, "@" + template)``: one
#: hub or cluster template's (``template_unit``).
Unit = tuple[str, str]
#: The other services a unit read, sorted; ``None``: possibly all of them.
Reads = tuple[str, ...] | None

#: ``Environment`` methods that read no service, which a template may call without reading all of
#: them (tested: each runs with the services unreadable).
QUIET_METHODS = frozenset(
    {"cluster_versions", "operator_values", "placeholder_values", "proxy_hostname", "secret_store"}
)
_DATA = frozenset(f.name for f in fields(Environment)) - {"services"}


class Tracked:
    """``env`` for one unit's templates: every attribute is ``env``'s; reads of services are noted."""

    __slots__ = ("_env", "_every", "_names")

    def __init__(self, env: Environment) -> None:  # noqa: D107
        self._env = env
        self._names: set[str] = set()
        self._every = False

    def __getattr__(self, name: str) -> Any:  # noqa: D105
        if name == "service":
            return self._service
        if name not in _DATA and name not in QUIET_METHODS:
            self._every = True  # env.services, or a method that may read them
        return getattr(self._env, name)

    def _service(self, name: str) -> Service:
        self._names.add(name)
        return self._env.service(name)

    def reads(self) -> Reads:
        """What the templates read of the other services so far."""
        return None if self._every else tuple(sorted(self._names))


@dataclass(frozen=True, slots=True)
class Digests:
    """An environment digested for unit keys: all but its services, and each service."""

    core: str
    services: dict[str, str]


@dataclass(slots=True)
class Noted:
    """What rendering an environment noted of its units (filled by ``render_environment``)."""

    reads: dict[Unit, Reads] = field(default_factory=dict)
    """What each rendered unit read of the services."""
    files: dict[Unit, list[str]] = field(default_factory=dict)
    """The files of each rendered template unit (a service unit's are those of its service's origin)."""


def template_unit(cluster: str, template: str) -> Unit:
    """The unit of ``template`` (under ``templates/``) on ``cluster``; no service name starts with "@"."""
    return cluster, f"@{template}"


def is_template(unit: Unit) -> bool:
    """True for a template unit, False for a service unit."""
    return unit[1].startswith("@")


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=20).hexdigest()


def _stable(text: str) -> bool:
    """False for a representation holding an object's address (not the same in the next run)."""
    return " at 0x" not in text


def digests(env: Environment, plans: Sequence[ClusterPlan]) -> Digests | None:
    """``env`` and its plans digested through their representations (frozen dataclasses, data).

    ``None`` when one is not stable across runs: then no unit is ever reused.
    """
    core = repr((tuple((f.name, getattr(env, f.name)) for f in fields(env) if f.name != "services"), plans))
    services = {s.name: repr(s) for s in env.services}
    if not _stable(core) or not all(_stable(text) for text in services.values()):
        return None
    return Digests(_digest(core), {name: _digest(text) for name, text in services.items()})


def unit_key(shared: str, digested: Digests, unit: Unit, reads: Reads) -> str | None:
    """The key of ``unit``'s files, given what it read; ``None`` when its service is gone."""
    cluster, service = unit
    own = "template" if is_template(unit) else digested.services.get(service)
    if own is None:
        return None
    h = hashlib.blake2b(digest_size=20)
    h.update(f"{shared}\0{digested.core}\0{cluster}\0{service}\0{own}".encode())
    for name in sorted(digested.services) if reads is None else reads:
        h.update(f"\0{name}\0{digested.services.get(name, '-')}".encode())
    return h.hexdigest()


def service_units(env: Environment, plans: Sequence[ClusterPlan]) -> list[Unit]:
    """The service units ``render_environment`` renders: each service on each cluster that runs it."""
    return [(plan.name, s.name) for plan in plans for s in env.services if s.exists_in(plan.version)]


def unit_id(unit: Unit) -> str:
    """How a stamp names a unit: ``"<cluster>/<service>"`` or ``"<cluster>/@<template>"``."""
    return f"{unit[0]}/{unit[1]}"


def parse_unit_id(text: str) -> Unit:
    """The unit ``unit_id`` names."""
    cluster, _, service = text.partition("/")
    return cluster, service
