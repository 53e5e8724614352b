"""Passes, targets and frontends from other packages, through the ``ircc.plugins`` entry-point group.

An entry point named ``pass:<name>``, ``target:<name>`` or ``frontend:<name>`` points at a
zero-argument callable returning the pass class, the backend class or the frontend function.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from importlib.metadata import entry_points
from typing import Any


@lru_cache(maxsize=None)
def _all_entries() -> tuple[tuple[str, str, Any], ...]:
    out = []
    for ep in entry_points(group="ircc.plugins"):
        kind, _, name = ep.name.partition(":")
        if kind in ("pass", "target", "frontend") and name:
            out.append((kind, name, ep))
    return tuple(out)


def plugin_entries(kind: str) -> dict[str, Callable[[], Any]]:
    """name -> loader for every plugin entry of ``kind`` ('pass', 'target' or 'frontend')."""
    return {name: ep.load() for k, name, ep in _all_entries() if k == kind}
