"""Tile sizes of a ``linalg.generic`` as the learned cost model ranks them (``linalg-tile{cost=learned}``).

The candidates are ``linalg_tile.candidates``: untiled, and each size of ``TILE_CANDIDATES`` that fits the
generic. Each is lowered on its own (``standalone_tiled``: the generic alone in a function with the mark,
``LOWERING``, serial loops) and its features go to the shipped model with the others (the ``tile`` family,
timed on exactly such functions). The static rule (``linalg_tile.rule_sizes``) stays where no model covers
the family.
"""

from __future__ import annotations

from xdsl.dialects.builtin import ModuleOp
from xdsl.dialects.linalg.ops import GenericOp

#: how a candidate is lowered to read its features (and how the tile family's kernels are compiled)
LOWERING = "convert-linalg-to-parallel-loops,convert-scf-parallel-to-for,lower-affine,canonicalize,cse"


def standalone_tiled(generic: GenericOp, sizes: tuple[int, ...]) -> ModuleOp | None:
    """The generic alone in ``@generic`` (``linalg_loop_order.standalone``), marked with ``sizes``, lowered by
    ``LOWERING``; None when an operand is not a memref."""
    from ircc.options import Options
    from ircc.passes.linalg_loop_order import standalone
    from ircc.passes.linalg_tile import mark
    from ircc.passes.pipeline import Pipeline, parse_pipeline_spec

    module = standalone(generic, len(generic.iterator_types.data) - 1)
    if module is None:
        return None
    copy = next(op for op in module.walk() if isinstance(op, GenericOp))
    mark(copy, sizes)
    Pipeline(parse_pipeline_spec(LOWERING), Options(cost="static", verify=False)).run(module, record=False)
    return module


def learned_sizes(generic: GenericOp) -> tuple[int, ...] | None:
    """The sizes the shipped model ranks best (None: no model covers tiles, or an operand is not a memref)."""
    from ircc.costmodel import learned
    from ircc.passes.linalg_tile import candidates

    m = learned.model()
    if m is None or not m.covers("tile"):
        return None
    options = candidates(generic)
    if len(options) < 2:
        return options[0] if options else None
    best = m.best_module("tile", [standalone_tiled(generic, sizes) for sizes in options])
    return None if best is None else options[best]
