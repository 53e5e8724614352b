"""The ``numba`` target: loop-level IR rendered as Python source and compiled by ``numba.njit``.

``render`` writes the module (``render_module``, the op table), ``renderer`` renders one function,
``arith`` / ``memref`` / ``scf`` hold the handlers per dialect, ``types`` the IR type -> numpy scalar
mapping, ``helpers`` the ``_ircc_*`` runtime helpers, and ``backend`` compiles the source
(``NumbaBackend``).
"""

from __future__ import annotations

from ircc.backends.numba.backend import NumbaBackend, NumbaEntry
from ircc.backends.numba.render import RenderedFunction, RenderedGlobal, RenderedModule, render_module

__all__ = ["NumbaBackend", "NumbaEntry", "RenderedFunction", "RenderedGlobal", "RenderedModule", "render_module"]
