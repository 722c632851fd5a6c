"""The function library registered on every CEL evaluation: Kubernetes' CEL libraries and cel-go extensions.

cel-rust maps one name to one Python callable, and ``x.f(a)`` calls ``f(x, a)``. Where two
libraries share a name (``indexOf`` on strings and on lists), :func:`_overloaded` dispatches to
the first implementation whose receiver type fits, as CEL overload resolution would.

``FUNCTIONS`` maps each CEL name (dotted for namespaced ones, e.g. ``sets.contains``) to its
implementation. A callable raising ``TypeError`` means "no such overload"; any other exception
is an evaluation error. Every callable is pure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from cel import stdlib

from generator.cel.library import (
    formats,
    lists,
    maps,
    network,
    optional,
    quantity,
    regex,
    semver,
    strings,
    time,
)
from generator.cel.library.opaque import kind_of, type_name

__all__ = ["FUNCTIONS", "short_name"]

Function = Callable[..., Any]


def _overloaded(name: str, impls: list[tuple[type, Function]]) -> Function:
    def call(*args: Any) -> Any:
        if args:
            for receiver, impl in impls:
                if isinstance(args[0], receiver):
                    return impl(*args)
        raise TypeError(f"no such overload: {name}({', '.join(type_name(a) for a in args)})")

    call.__name__ = name
    return call


def _merge(libraries: Mapping[type, Mapping[str, Function]]) -> dict[str, Function]:
    seen: dict[str, list[tuple[type, Function]]] = {}
    for receiver, library in libraries.items():
        for name, impl in library.items():
            seen.setdefault(name, []).append((receiver, impl))
    return {
        name: impls[0][1] if len(impls) == 1 else _overloaded(name, impls) for name, impls in seen.items()
    }


def _by_kind(libraries: Mapping[str, Mapping[str, Function]]) -> dict[str, Function]:
    """Merge libraries of opaque kinds; a shared method name dispatches on the receiver's kind."""
    seen: dict[str, dict[str, Function]] = {}
    for kind, library in libraries.items():
        for name, impl in library.items():
            seen.setdefault(name, {})[kind] = impl

    def dispatch(name: str, impls: dict[str, Function]) -> Function:
        def call(*args: Any) -> Any:
            impl = impls.get(kind_of(args[0]) or "") if args else None
            if impl is None:
                raise TypeError(f"no such overload: {name}({', '.join(type_name(a) for a in args)})")
            return impl(*args)

        call.__name__ = name
        return call

    return {
        name: next(iter(impls.values())) if len(impls) == 1 else dispatch(name, impls)
        for name, impls in seen.items()
    }


def _math() -> dict[str, Function]:
    return dict(stdlib.EXTENSIONS["math"])


FUNCTIONS: dict[str, Function] = {
    **_merge({str: strings.FUNCTIONS, list: lists.FUNCTIONS}),
    **regex.FUNCTIONS,
    **optional.FUNCTIONS,
    **_by_kind({"quantity": quantity.FUNCTIONS, "semver": semver.FUNCTIONS}),
    **network.FUNCTIONS,
    **formats.FUNCTIONS,
    **maps.FUNCTIONS,
    **time.FUNCTIONS,
    **_math(),
    "bool": stdlib.bool_,
    "base64.encode": stdlib.base64_encode,
    "base64.decode": stdlib.base64_decode,
}
"""Every library function by its CEL name."""


def short_name(name: str) -> str:
    """The name cel-rust reports in ``Program.functions()`` (``sets.contains`` → ``contains``)."""
    return name.rsplit(".", 1)[-1]
