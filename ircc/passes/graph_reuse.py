"""``graph-reuse``: each level continues from the sets its enclosing levels already built.

``graph-plan`` builds every candidate set from scratch. This pass, in four steps:

1. hoists set algebra out of every ``graph.for_each`` whose vertex it does not read (N(v0) ∩ N(v1) at
   the fourth level of a 4-clique moves up to the level of v1);
2. shares equal set ops within a block (the hoisted N(v0) ∩ N(v1) is the one the third level built);
3. continues from the loop's own set: inside a loop over S = above(B, x) (or below / exclude chains
   of B) with vertex v, an op reading B reads S instead when everything it feeds is cut by
   ``graph.above(·, w)`` anyway, w being v or a vertex the loops put above v (w >= v > x, so the cut
   implies S's) — the 4-clique's last level then intersects the third level's candidates rather
   than N(v0) ∩ N(v1);
4. applies bounds before the set algebra they cut: above(A ∩ B, x) = above(A, x) ∩ above(B, x), the same
   through ``graph.difference``, ``graph.exclude`` and ``graph.with_label``, so merges read only the
   tails (and ``lower-graph`` takes above(S, v) for the loop's own S and v as the rest of S: no search).

```mlir
// K4's last level, before                 // after
%a = graph.intersect %n0, %n1              %t = graph.above %s2, %v2          // the rest of s2
%b = graph.intersect %a, %n2               %u = graph.above %n2, %v2
%c = graph.above %b, %v2                   %c = graph.intersect %t, %u
```
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, builtin
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from ircc.ir.dialects import graph as g

#: pure set algebra the pass moves and shares
SET_OPS = (g.NeighboursOp, g.IntersectOp, g.DifferenceOp, g.AboveOp, g.BelowOp, g.ExcludeOp, g.WithLabelOp)
BOUNDS = (g.AboveOp, g.BelowOp)


@dataclass(frozen=True)
class GraphReuse(ModulePass):
    name = "graph-reuse"

    def apply(self, ctx: Context, op: builtin.ModuleOp) -> None:
        while _hoist(op):
            pass
        _share(op)
        _continue_from_loop_sets(op)
        while _bounds_first(op):
            pass
        _share(op)
        _drop_unused(op)


def inside(value: SSAValue, region: Region) -> bool:
    """Whether ``value`` is defined in ``region`` (at any depth)."""
    block = value.owner if not isinstance(value.owner, Operation) else value.owner.parent_block()
    while block is not None:
        if block.parent_region() is region:
            return True
        parent = block.parent_op()
        block = parent.parent_block() if parent is not None else None
    return False


def _hoist(module: builtin.ModuleOp) -> bool:
    moved = False
    for loop in [x for x in module.walk() if isinstance(x, g.ForEachOp)]:
        for op in list(loop.body.block.ops):
            movable = isinstance(op, SET_OPS) or (isinstance(op, arith.ConstantOp))
            if movable and not any(inside(v, loop.body) for v in op.operands):
                op.detach()
                Rewriter.insert_op(op, InsertPoint.before(loop))
                moved = True
    return moved


def _key(op: Operation) -> tuple:
    return (op.name, tuple(op.operands), tuple(sorted((k, str(v)) for k, v in op.attributes.items())),
            tuple(sorted((k, str(v)) for k, v in op.properties.items())))


def _share(module: builtin.ModuleOp) -> None:
    for block in [b for op in module.walk() for r in op.regions for b in r.blocks]:
        seen: dict[tuple, Operation] = {}
        for op in list(block.ops):
            if not isinstance(op, SET_OPS) and not isinstance(op, arith.ConstantOp):
                continue
            key = _key(op)
            if key in seen:
                op.results[0].replace_all_uses_with(seen[key].results[0])
                Rewriter.erase_op(op)
            else:
                seen[key] = op


def beyond(w: SSAValue, v: SSAValue, kind: str) -> bool:
    """Whether vertex w is v or, by the loops that bind it, above v (``kind`` above) or below it."""
    if w is v:
        return True
    loop = w.owner.parent_op() if isinstance(w.owner, Block) else None
    if not isinstance(loop, g.ForEachOp) or w is not loop.body.block.args[0]:
        return False
    wanted = g.AboveOp if kind == "above" else g.BelowOp
    return any(isinstance(cut, wanted) and beyond(cut.bound, v, kind) for cut in g.cuts(loop.set))


def _cut_by(value: SSAValue, kind: str, v: SSAValue) -> bool:
    """Every use of ``value`` ends, through set algebra, in a cut ``kind``(·, w) with w beyond v."""
    if not value.uses:
        return False
    for use in value.uses:
        user = use.operation
        if (isinstance(user, g.AboveOp if kind == "above" else g.BelowOp) and use.index == 0
                and beyond(user.bound, v, kind)):
            continue
        if isinstance(user, (g.IntersectOp, g.AboveOp, g.BelowOp, g.ExcludeOp, g.WithLabelOp)) or (
                isinstance(user, g.DifferenceOp) and use.index == 0):
            if _cut_by(user.results[0], kind, v):
                continue
        return False
    return True


def _continue_from_loop_sets(module: builtin.ModuleOp) -> None:
    for loop in [x for x in module.walk() if isinstance(x, g.ForEachOp)]:
        s, v = loop.set, loop.body.block.args[0]
        # every set S was cut from, nearest first, with the kinds of cut between it and S
        kinds: set[str] = set()
        for cut in g.cuts(s):
            if not isinstance(cut, g.ExcludeOp):
                kinds.add("above" if isinstance(cut, g.AboveOp) else "below")
            _substitute(cut.set, s, v, set(kinds), loop)


def _substitute(base: SSAValue, s: SSAValue, v: SSAValue, kinds: set[str], loop: g.ForEachOp) -> None:
    """Ops in the loop body reading ``base`` read the loop's set ``s`` instead where the cuts allow."""
    for use in list(base.uses):
        user = use.operation
        if not user.results or not inside(user.results[0], loop.body):
            continue
        if not isinstance(user, (g.IntersectOp, g.AboveOp, g.BelowOp, g.ExcludeOp, g.WithLabelOp)) and not (
                isinstance(user, g.DifferenceOp) and use.index == 0):
            continue
        if all(_cut_by(user.results[0], kind, v) or _is_cut(user, kind, v) for kind in kinds):
            user.operands[use.index] = s


def _is_cut(op: Operation, kind: str, v: SSAValue) -> bool:
    return isinstance(op, g.AboveOp if kind == "above" else g.BelowOp) and beyond(op.bound, v, kind)


def _bounds_first(module: builtin.ModuleOp) -> bool:
    changed = False
    for cut in [x for x in module.walk() if isinstance(x, BOUNDS)]:
        inner = cut.set.owner
        if not isinstance(inner, (g.IntersectOp, g.DifferenceOp, g.ExcludeOp, g.WithLabelOp)):
            continue
        if inner.results[0].uses.get_length() != 1:
            continue
        kind = type(cut)
        at = InsertPoint.before(cut)
        if isinstance(inner, (g.IntersectOp, g.DifferenceOp)):
            lhs, rhs = kind(inner.lhs, cut.bound), kind(inner.rhs, cut.bound)
            new = type(inner)(lhs.result, rhs.result)
            Rewriter.insert_op([lhs, rhs, new], at)
        elif isinstance(inner, g.ExcludeOp):
            lhs = kind(inner.set, cut.bound)
            new = g.ExcludeOp(lhs.result, inner.vertices)
            Rewriter.insert_op([lhs, new], at)
        else:
            lhs = kind(inner.set, cut.bound)
            new = g.WithLabelOp(lhs.result, inner.graph, inner.label.value.data)
            Rewriter.insert_op([lhs, new], at)
        cut.result.replace_all_uses_with(new.result)
        Rewriter.erase_op(cut)
        Rewriter.erase_op(inner)
        changed = True
    return changed


def _drop_unused(module: builtin.ModuleOp) -> None:
    changed = True
    while changed:
        changed = False
        for op in list(module.walk()):
            if isinstance(op, SET_OPS + (arith.ConstantOp,)) and not op.results[0].uses:
                Rewriter.erase_op(op)
                changed = True


__all__ = ["GraphReuse", "inside"]
