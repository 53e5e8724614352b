"""Passes, targets and frontends from other packages, through the ``ircc.plugins`` entry-point group.

An entry point named ``pass:<name>``, ``target:<name>`` or ``frontend:<name>`` points at the
``ModulePass`` subclass, the ``Backend`` subclass, or a frontend function. A frontend function takes
``(obj, **options)`` and returns ``None`` when ``obj`` is not its kind of program, else
``(module, default_pipeline)``: the IR it built and the pass pipeline to run by default. Entries are
imported only when first used. In ``pyproject.toml``::

    [project.entry-points."ircc.plugins"]
    "pass:my-pass" = "my_package.passes:MyPass"
    "target:my-target" = "my_package.backend:MyBackend"
    "frontend:my-lang" = "my_package.frontend:build"
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib.metadata import entry_points
from typing import Any


@cache
def _all_entries() -> tuple[tuple[str, str, Any], ...]:
    out = []
    for ep in entry_points(group="ircc.plugins"):
        kind, _, name = ep.name.partition(":")
        if kind in ("pass", "target", "frontend") and name:
            out.append((kind, name, ep))
    return tuple(out)


def plugin_entries(kind: str) -> dict[str, Callable[[], Any]]:
    """name -> loader (call it to import the object) for every plugin entry of ``kind``."""
    return {name: ep.load for k, name, ep in _all_entries() if k == kind}
