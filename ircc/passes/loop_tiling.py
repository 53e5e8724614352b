"""Tiling a perfect ``scf.for`` nest (the loops ``convert-linalg-to-parallel-loops`` makes of one linalg op).

``tile_nest(outer, sizes)`` rewrites loops ``L0 .. Ln-1`` (dimension ``d`` is ``L_d``) so that every dimension
with ``sizes[d] > 0`` first steps over tiles, in dimension order, and then every dimension walks its tile (an
untiled one its whole range), in dimension order::

    scf.for %i = %c0 to %cM step %c1 {            scf.for %it = %c0 to %cM step %c32 {
      scf.for %j = %c0 to %cN step %c1 {            scf.for %jt = %c0 to %cN step %c32 {
        BODY(%i, %j)                      ==>         %ie = arith.minsi (%it + 32), %cM
      }                                               scf.for %i = %it to %ie step %c1 {
    }                                                   %je = arith.minsi (%jt + 32), %cN
                                                        scf.for %j = %jt to %je step %c1 { BODY(%i, %j) }

A point's iterations for one output element keep their order when at most one reduction dimension is tiled
(``linalg_tile`` checks that), so a float sum rounds as before. The last tile of a dimension is cut by the
``arith.minsi``; LLVM still vectorizes the innermost loop (a trip count known at entry).
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects import arith, scf
from xdsl.dialects.builtin import IndexType, IntegerAttr
from xdsl.ir import Block, Operation, SSAValue


def perfect_nest(outer: scf.ForOp, depth: int) -> list[scf.ForOp] | None:
    """The ``depth`` loops perfectly nested from ``outer`` (no carried values, nothing beside the inner loop);
    None when the nest is not that deep or not perfect."""
    loops = [outer]
    while len(loops) < depth:
        ops = [o for o in loops[-1].body.block.ops if not isinstance(o, scf.YieldOp)]
        if len(ops) != 1 or not isinstance(ops[0], scf.ForOp):
            return None
        loops.append(ops[0])
    if any(lp.iter_args for lp in loops):
        return None
    return loops


def _constant(v: SSAValue) -> int | None:
    op = v.owner
    if isinstance(op, arith.ConstantOp) and isinstance(op.value, IntegerAttr):
        return int(op.value.value.data)
    return None


def tile_nest(outer: scf.ForOp, sizes: Sequence[int]) -> scf.ForOp | None:
    """Tile the perfect nest of ``len(sizes)`` loops at ``outer`` (see the module docstring); returns the new
    outermost loop, or None (nothing changed) when the nest is not perfect, a tiled loop's step is not the
    constant 1, or no size is positive."""
    loops = perfect_nest(outer, len(sizes))
    if loops is None or not any(s > 0 for s in sizes):
        return None
    if any(s > 0 and _constant(lp.step) != 1 for lp, s in zip(loops, sizes)):
        return None
    block = outer.parent_block()
    assert block is not None
    index = IndexType()
    before: list[Operation] = []  # built ahead of the nest: the tile sizes
    consts: dict[int, SSAValue] = {}

    def const(value: int) -> SSAValue:
        if value not in consts:
            c = arith.ConstantOp(IntegerAttr(value, index))
            before.append(c)
            consts[value] = c.result
        return consts[value]

    # the tile loops, outermost first; each one's body receives the next
    tile_starts: dict[int, SSAValue] = {}
    new_loops: list[tuple[scf.ForOp, Block]] = []
    for d, (lp, s) in enumerate(zip(loops, sizes)):
        if s > 0:
            body = Block(arg_types=[index])
            new_loops.append((scf.ForOp(lp.lb, lp.ub, const(s), [], body), body))
            tile_starts[d] = body.args[0]
            body.args[0].name_hint = f"t{d}"
    # the point loops
    for d, lp in enumerate(loops):
        body = Block(arg_types=[index])
        if d in tile_starts:
            parent_body = new_loops[-1][1]
            start = tile_starts[d]
            end = arith.AddiOp(start, const(sizes[d]))
            bound = arith.MinSIOp(end.result, lp.ub)
            parent_body.add_ops([end, bound])
            new = scf.ForOp(start, bound.result, lp.step, [], body)
        else:
            new = scf.ForOp(lp.lb, lp.ub, lp.step, [], body)
        if lp.body.block.args[0].name_hint:
            body.args[0].name_hint = lp.body.block.args[0].name_hint
        lp.body.block.args[0].replace_all_uses_with(body.args[0])
        new_loops.append((new, body))
    # link each loop into its parent's body
    for (_, parent_body), (child, _) in zip(new_loops, new_loops[1:]):
        parent_body.add_ops([child, scf.YieldOp()])
    innermost = new_loops[-1][1]
    for inner in list(loops[-1].body.block.ops):
        inner.detach()
        innermost.add_op(inner)
    block.insert_ops_before(before, outer)
    block.insert_op_before(new_loops[0][0], outer)
    outer.detach()
    outer.erase()
    return new_loops[0][0]
