"""``linalg-tile``: choose tile sizes for each ``linalg.generic``'s loops (cache blocking on the CPU).

The pass marks a generic with the sizes, as a lowering configuration (as IREE's ``lowering_config`` does);
``convert-linalg-to-parallel-loops`` reads the mark when it lowers the generic and tiles the loop nest
(``loop_tiling``): the tiled dimensions step over tiles, then every dimension walks its tile (xDSL's
``convert-linalg-to-loops`` ignores the mark). A size of 0 leaves its dimension untiled; the sizes name the
innermost dimensions, so ``sizes=32,32`` tiles the last two::

    linalg.generic {(d0, d1) -> (d1, d0), (d0, d1) -> (d0, d1)} ins(%a : memref<2048x1024xf32>) ...
    // becomes
    linalg.generic {...} ins(%a : memref<2048x1024xf32>) outs(...) attrs = {ircc.tile = array<i64: 32, 32>}

How the sizes are chosen:

* ``sizes=...`` forces them on every generic of at least that many dimensions (``sizes=0``: no tiling).
* ``cost=learned``: the shipped model ranks the candidates (``TILE_CANDIDATES`` that fit the generic's extents)
  by the features of the generic lowered alone with each (``linalg_tile_choice``, the ``tile`` family).
* ``cost=static``, or where no model covers tiles: the rule below. A transpose-like generic (its innermost loop
  walks an operand down a column while another operand's rows follow the loop outside it) of at least
  ``min-extent`` in both of those dimensions gets 64 x 512 tiles (``RULE_TILE``): a tile's 64 rows of the
  column-walked operand stay cached while its columns are walked, and the loop over 512 stays long enough to
  vectorize. Measured on this project's machine over the 41 transpose-like groups of the ``tile`` family, the
  best single size: 1.08x the per-case best, against 1.45x untiled and 1.80x for 32 x 32 tiles (whose
  32-long inner loops undo the gain). Anything else is left untiled.

Only generics of static shape whose operands hold at least ``min-bytes`` are considered (smaller ones fit in
the L2 cache whole).
At most one reduction dimension is tiled, unless the combiner may be reassociated: the iterations that add into
one output element then keep their order, and a float sum rounds as before.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import DenseArrayBase, MemRefType, ModuleOp, i64
from xdsl.dialects.linalg.ops import GenericOp
from xdsl.passes import ModulePass

#: the mark convert-linalg-to-parallel-loops reads: one size per dimension
TILE_ATTR = "ircc.tile"
#: the static rule's sizes for a transpose-like generic (see the module docstring)
RULE_TILE = (64, 512)
#: the sizes cost=learned ranks, for the innermost dimensions (the empty tuple: no tiling)
TILE_CANDIDATES: tuple[tuple[int, ...], ...] = ((), (16, 16), (32, 32), (64, 64), (128, 128), (8, 256),
                                                (32, 256), (64, 512), (32, 64, 256), (64, 128, 512))


@dataclass(frozen=True)
class LinalgTile(ModulePass):
    name = "linalg-tile"

    sizes: tuple[int, ...] = ()  # forced sizes of the innermost dimensions (0: that dimension untiled)
    cost: str = "default"  # learned: the shipped model ranks TILE_CANDIDATES; static: the rule
    min_bytes: int = 1 << 20  # generics whose operands hold fewer bytes are not tiled
    min_extent: int = 64  # the rule tiles only dimensions at least this long

    def __post_init__(self) -> None:
        from ircc.costmodel import check_cost

        check_cost(self.cost)
        if any(s < 0 for s in self.sizes):
            raise ValueError(f"sizes={','.join(map(str, self.sizes))}: a tile size is positive, or 0 (untiled)")

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        from ircc.costmodel import resolve_cost

        learned = resolve_cost(self.cost) == "learned"
        for generic in [o for o in op.walk() if isinstance(o, GenericOp)]:
            dims = len(generic.iterator_types.data)
            if self.sizes:
                if dims >= len(self.sizes):
                    mark(generic, legal_sizes(generic, self.sizes))
                continue
            if dims < 2 or any(e < 0 for e in generic.get_static_loop_ranges()):
                continue  # a dynamic dimension: its size is unknown when the tiles are chosen
            if operand_bytes(generic) < self.min_bytes:
                continue
            sizes = _learned_sizes(generic) if learned else None
            if sizes is None:
                sizes = rule_sizes(generic, self.min_extent)
            mark(generic, sizes)


def operand_bytes(generic: GenericOp) -> float:
    """The bytes the generic's memref operands hold (static shapes)."""
    total = 0.0
    for v in dict.fromkeys(generic.operands):
        t = v.type
        if isinstance(t, MemRefType):
            width = getattr(t.element_type, "width", None)
            total += math.prod(max(s, 1) for s in t.get_shape()) * (width.data // 8 if width else 8)
    return total


def legal_sizes(generic: GenericOp, inner: tuple[int, ...]) -> tuple[int, ...]:
    """``inner`` (sizes of the innermost dimensions) as one size per dimension, with 0 where tiling would do
    nothing (a tile as long as the dimension) or could reorder a float sum (a second reduction dimension, when
    the combiner may not be reassociated)."""
    from ircc.passes.linalg_interchange import _reassociable

    n = len(generic.iterator_types.data)
    sizes = [0] * (n - len(inner)) + list(inner)
    extents = generic.get_static_loop_ranges()
    iterators = [str(it.data) for it in generic.iterator_types.data]
    reductions = [d for d in range(n) if iterators[d] == "reduction"]
    for d in range(n):
        if 0 <= extents[d] <= sizes[d]:
            sizes[d] = 0
    if len(reductions) > 1 and not _reassociable(generic):
        for d in reductions:
            sizes[d] = 0
    return tuple(sizes)


def rule_sizes(generic: GenericOp, min_extent: int) -> tuple[int, ...]:
    """The static rule's sizes (all 0: untiled): ``RULE_TILE`` for a transpose-like generic (module docstring)."""
    from ircc.passes.linalg_interchange import _coefficient

    maps = [m.data for m in generic.indexing_maps.data]
    n = maps[0].num_dims
    extents = generic.get_static_loop_ranges()
    inner, outer = n - 1, n - 2
    column = rows = False
    for m in maps:
        if not m.results:
            continue
        last = m.results[-1]
        moves_outer_index = any(_coefficient(e, inner) != 0 for e in m.results[:-1])
        if moves_outer_index and _coefficient(last, inner) == 0:
            column = True  # the innermost loop walks this operand down a column
        if _coefficient(last, outer) not in (0, None):
            rows = True  # the loop outside it moves along this operand's rows
    long_enough = all(e >= min_extent for e in (extents[inner], extents[outer]))
    if column and rows and long_enough:
        return legal_sizes(generic, RULE_TILE)
    return (0,) * n


def candidates(generic: GenericOp) -> list[tuple[int, ...]]:
    """The distinct legal per-dimension sizes of ``TILE_CANDIDATES`` for this generic (untiled first)."""
    n = len(generic.iterator_types.data)
    out = [(0,) * n]
    for inner in TILE_CANDIDATES:
        if inner and len(inner) <= n:
            sizes = legal_sizes(generic, inner)
            if sizes not in out:
                out.append(sizes)
    return out


def mark(generic: GenericOp, sizes: tuple[int, ...]) -> None:
    """Set (or, for all-zero sizes, clear) the generic's tile mark."""
    if any(sizes):
        generic.attributes[TILE_ATTR] = DenseArrayBase.from_list(i64, list(sizes))
    else:
        generic.attributes.pop(TILE_ATTR, None)


def tile_sizes(generic) -> tuple[int, ...] | None:
    """The generic's tile mark (None: none)."""
    attr = generic.attributes.get(TILE_ATTR)
    return tuple(int(s) for s in attr.get_values()) if isinstance(attr, DenseArrayBase) else None


_LEARNED: dict[str, tuple[int, ...] | None] = {}  # a generic's text -> the model's choice (layers repeat)


def _learned_sizes(generic: GenericOp) -> tuple[int, ...] | None:
    from ircc.passes.linalg_tile_choice import learned_sizes

    key = str(generic)
    if key not in _LEARNED:
        _LEARNED[key] = learned_sizes(generic)
    return _LEARNED[key]
