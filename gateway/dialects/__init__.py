"""The four public API dialects plus the native admin API."""

from __future__ import annotations

import importlib
import pkgutil

DIALECT_PACKAGES = ("nextconsole", "dify", "nexent", "lbai")


def load_route_modules() -> None:
    """Import every module of every dialect so each can register its router in its package's ROUTERS."""
    for name in DIALECT_PACKAGES:
        package = importlib.import_module(f"{__name__}.{name}")
        for module in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{package.__name__}.{module.name}")
