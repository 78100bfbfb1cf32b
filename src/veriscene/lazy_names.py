"""A package whose public names are imported when first asked for (PEP 562), not by its import.

`import veriscene` and `import veriscene.engine.remote` (any module of a package imports the
package first) used to import the engine, numpy, the readers and writers: 0.35 s of every
`veriscene` command's start, of each Ray worker and of every process a test starts. A package
lists `_LAZY = {name: module}` and makes itself a `LazyPackage`:

    _LAZY = {"generate": "veriscene.engine.generate"}
    sys.modules[__name__].__class__ = LazyPackage

with `if TYPE_CHECKING:` imports of the same names for type checkers.
"""

from __future__ import annotations

import importlib
import types
from typing import Any


class LazyPackage(types.ModuleType):
    """A package module importing each name of its `_LAZY` table on first use. A name that is also
    a submodule's (`veriscene.verify`, `veriscene.engine.generate`) stays the object named so,
    as the eager `from ... import` made it, once that submodule is imported too (the import
    system binds a submodule on its package by that name)."""

    def __getattr__(self, name: str) -> Any:  # only for names not in the module yet
        lazy: dict[str, str] = self.__dict__.get("_LAZY", {})
        if name in lazy:
            value = getattr(importlib.import_module(lazy[name]), name)
            self.__dict__[name] = value
            return value
        raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")

    def __dir__(self) -> list[str]:
        """The package's public names: its `__all__` and `_LAZY` names, its submodules imported so
        far (`veriscene.io` once used) and the module's dunders; not what its `__init__` imported
        for itself (`sys`, `TYPE_CHECKING`, `LazyPackage`) nor its private names (`_LAZY`)."""
        names = self.__dict__
        public = {*names.get("__all__", ()), *names.get("_LAZY", {})}
        public.update(name for name in names if name.startswith("__") and name.endswith("__"))
        public.update(name for name, value in names.items() if isinstance(value, types.ModuleType)
                      and value.__name__ == f"{self.__name__}.{name}")
        return sorted(public)

    def __setattr__(self, name: str, value: Any) -> None:
        lazy: dict[str, str] = self.__dict__.get("_LAZY", {})
        if (name in lazy and isinstance(value, types.ModuleType) and value.__name__ == f"{self.__name__}.{name}"
                and hasattr(value, name)):
            value = getattr(value, name)
        super().__setattr__(name, value)
