"""The one cost interface the passes ask when they choose.

For now a fixed rule and a static table; the learned model plugs in behind the same functions.
"""

from __future__ import annotations


def choose_cpu_target() -> str:
    """The concrete backend for ``target="cpu"``: llvm (a fixed rule until the cost model chooses)."""
    return "llvm"
