"""Optional app modules: an app contributes a CLI group, API router or pages only once it has them."""

from __future__ import annotations

import importlib
from types import ModuleType


def optional_import(module: str) -> ModuleType | None:
    """Import ``module``; return None if it (or a package on its path) does not exist.

    An ImportError raised *inside* an existing module is a real bug and propagates.
    """
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and (module == exc.name or module.startswith(exc.name + ".")):
            return None
        raise
