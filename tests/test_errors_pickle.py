"""Every ``GeneratorError`` subclass survives pickling: errors cross process boundaries (``--jobs``)."""

from __future__ import annotations

import importlib
import inspect
import pickle
import pkgutil

import pytest

import generator
from generator.errors import GeneratorError


def _all_subclasses() -> list[type[GeneratorError]]:
    for module in pkgutil.walk_packages(generator.__path__, "generator."):
        if module.name.endswith("__main__"):
            continue
        importlib.import_module(module.name)
    seen: list[type[GeneratorError]] = []
    todo = [GeneratorError]
    while todo:
        cls = todo.pop()
        if cls not in seen:
            seen.append(cls)
            todo += cls.__subclasses__()
    return sorted(seen, key=lambda c: f"{c.__module__}.{c.__qualname__}")


def _instance(cls: type[GeneratorError]) -> GeneratorError:
    """``cls`` built with a string for each required argument, plus a location and a hint."""
    kwargs: dict[str, object] = {}
    args: list[object] = []
    for name, param in inspect.signature(cls).parameters.items():
        if param.default is not inspect.Parameter.empty or param.kind in (
            param.VAR_POSITIONAL,
            param.VAR_KEYWORD,
        ):
            continue
        if param.kind is param.KEYWORD_ONLY:
            kwargs[name] = f"<{name}>"
        else:
            args.append(f"<{name}>")
    error = cls(*args, **kwargs)  # type: ignore[arg-type]
    error.path, error.line, error.column, error.hint = "environments/dev.yaml", 3, 5, "do this"
    error.others = (GeneratorError("second", path="b.yaml"),)
    return error


SUBCLASSES = _all_subclasses()


def test_discovery_finds_the_tree() -> None:
    names = {c.__name__ for c in SUBCLASSES}
    assert {"GeneratorError", "EnvFileError", "CelError", "CelUnsupportedError", "WriteError"} <= names


@pytest.mark.parametrize("cls", SUBCLASSES, ids=lambda c: c.__name__)
def test_round_trips_through_pickle(cls: type[GeneratorError]) -> None:
    error = _instance(cls)
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is cls
    assert str(back) == str(error)
    assert back.args == error.args
    without_others = {k: v for k, v in vars(error).items() if k != "others"}
    assert {k: v for k, v in vars(back).items() if k != "others"} == without_others
    assert [(type(o), str(o)) for o in back.others] == [(type(o), str(o)) for o in error.others]
