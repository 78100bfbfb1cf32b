"""Restore the generator registry after a test that registers plugins."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import veriscene.generators.plugins as plugins_module
from veriscene.generators.registry import GENERATORS, select_generators


@contextmanager
def registry_restored(*module_prefixes: str) -> Iterator[None]:
    """The registry, the loaded plugins and the plugin modules (names starting with
    `veriscene_plugin_` or one of `module_prefixes`) as they were before; the built-in generators
    are registered first, so they are kept."""
    select_generators()
    generators, loaded, modules = dict(GENERATORS), dict(plugins_module._LOADED), set(sys.modules)
    try:
        yield
    finally:
        GENERATORS.clear()
        GENERATORS.update(generators)
        plugins_module._LOADED.clear()
        plugins_module._LOADED.update(loaded)
        for name in set(sys.modules) - modules:
            if name.startswith(("veriscene_plugin_", *module_prefixes)):
                del sys.modules[name]
