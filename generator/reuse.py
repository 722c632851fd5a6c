"""Which units of an environment a render can take from ``rendered/`` instead of rendering.

An environment edited since its last render is rendered again, but only in part: a unit
(``generator.units``) whose key equals the one its stamp recorded would render exactly the files it
rendered then, so the render keeps them (the writer links them into the new tree, once it has
found each one as the stamp recorded it: ``write.compare``) and renders the rest. A service unit's
files are the ones whose object's origin is its service (``("services", i)``) on its cluster:
service templates render nothing else, and nothing else has that origin. A template unit's files
are recorded with its key. Reads the stamp.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from generator import stamps
from generator.model import Environment
from generator.plan import plan_clusters
from generator.stamps import Recorded, UnitRecord
from generator.units import (
    Digests,
    Noted,
    Unit,
    is_template,
    parse_unit_id,
    service_units,
    unit_id,
    unit_key,
)

__all__ = ["Reuse", "overlapping", "reusable", "unit_keys"]


@dataclass(frozen=True, slots=True)
class Reuse:
    """The units of one environment a render keeps, and what stands for their files."""

    stamp: stamps.Stamp
    """The environment's last stamp: the digests and origins of the kept files."""
    units: frozenset[Unit]
    """The units not to render."""
    files: dict[str, Recorded]
    """Their files as the stamp recorded them (``write_tree``'s ``same``)."""


def reusable(root: Path, env: Environment, shared: str | None, digested: Digests | None) -> Reuse | None:
    """What a render of ``env`` can keep of ``rendered/<env>/``; ``None``: nothing (render it all)."""
    stamp = stamps.read_stamp(root, env.name)
    if stamp is None or shared is None or digested is None or not stamp.units:
        return None
    present = set(service_units(env, plan_clusters(env)))
    same = set()
    paths: dict[Unit, list[str]] = {}
    for text, (key, reads, made) in stamp.units.items():
        unit = parse_unit_id(text)
        if (
            (unit in present or is_template(unit))
            and unit_key(shared, digested, unit, reads) == key
            and all(p in stamp.files for p in made or ())
        ):
            same.add(unit)
            paths[unit] = list(made or ())
    if not same:
        return None
    index = {s.name: s.index for s in env.services}
    wanted = {(cluster, index[service]): (cluster, service) for cluster, service in same if service in index}
    for path, origin in stamp.origins.items():
        if len(origin) == 2 and origin[0] == "services" and type(origin[1]) is int:
            owner = wanted.get((path.split("/", 2)[1], origin[1]))
            if owner is not None:
                paths[owner].append(path)
    files = {p: (stamp.signatures.get(p), stamp.files[p]) for unit in same for p in paths[unit]}
    return Reuse(stamp, frozenset(same), files)


def unit_keys(
    shared: str | None, digested: Digests | None, noted: Noted, reused: Reuse | None
) -> dict[str, UnitRecord]:
    """The stamp's record of every unit (``UnitRecord``; the stamp's own for the kept ones)."""
    out: dict[str, UnitRecord] = {}
    if shared is None or digested is None:
        return out
    for unit, read in noted.reads.items():
        key = unit_key(shared, digested, unit, read)
        if key is not None:
            made = noted.files.get(unit)
            out[unit_id(unit)] = (key, read, tuple(sorted(made)) if made is not None else None)
    if reused is not None:
        out.update({unit_id(u): reused.stamp.units[unit_id(u)] for u in reused.units})
    return dict(sorted(out.items()))


def _place(path: str) -> tuple[str, str, str]:
    """Cluster, scope and file name: an object's identity whatever its component."""
    _env, cluster, _component, scope, name = path.split("/")
    return cluster, scope, name


def overlapping(files: Collection[str], kept: Collection[str]) -> bool:
    """True when a rendered file may have the identity of a kept one (then render all, for its error)."""
    places = {_place(p) for p in kept}
    return any(_place(p) in places for p in files)
