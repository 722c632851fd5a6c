"""The engine's public surface: complete, sorted, importable."""

import importlib
import pkgutil

import generator.policy


def test_policy_all_is_sorted_and_resolves():
    assert generator.policy.__all__ == sorted(generator.policy.__all__)
    for name in generator.policy.__all__:
        assert getattr(generator.policy, name) is not None


def test_every_policy_module_declares_all():
    for info in pkgutil.iter_modules(generator.policy.__path__):
        module = importlib.import_module(f"generator.policy.{info.name}")
        assert isinstance(getattr(module, "__all__", None), list), info.name
