"""Keyword arguments renamed so that the Python API uses the CLI's names (`--rejects` is
`rejects=`, `--from` is `from_format=`, `from` being a Python keyword): the old names keep
working for one release, with a DeprecationWarning."""

from __future__ import annotations

import functools
import warnings
from typing import Callable, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

# CLI options whose name is not the keyword's with dashes (`from` is a Python keyword)
CLI_FLAGS = {"from_format": "--from"}


def renamed_keywords(**renames: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorator: each old keyword of `renames` (old name -> new name) is passed on under its new
    name with a DeprecationWarning naming both; giving both is a TypeError. The signature
    (`inspect.signature`, `help`) shows the new names only."""

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            for old, new in renames.items():
                if old not in kwargs:
                    continue
                if new in kwargs:
                    raise TypeError(f"{func.__name__}() got both {old}= and {new}=: {old}= is the old name of "
                                    f"{new}=, give only {new}=")
                warnings.warn(f"{func.__name__}({old}=...) is deprecated and will be removed in the next release: "
                              f"use {new}= (the CLI's {CLI_FLAGS.get(new, '--' + new.replace('_', '-'))})",
                              DeprecationWarning, stacklevel=2)
                kwargs[new] = kwargs.pop(old)
            return func(*args, **kwargs)

        return wrapper

    return decorate
