"""``graph-choose``: trailing vertices drawn from one candidate set are counted, not enumerated.

Pattern vertices matched last that are not adjacent to each other and have the same matched neighbours
(a star's leaves, the two ends of a wedge) all take their candidates from one set S. When a loop over S
only counts the members of S above its vertex (or below, or simply other than it), the loop counts the
ways to pick r + 1 distinct members: C(|S|, r + 1) with symmetry breaking, (|S|)_(r+1) (ordered) without.
Applied from the innermost loop out, a star with k leaves becomes C(deg(v), k) per centre vertex.
Two trailing vertices with different sets A and B that must only differ (the ends of a 4-path) are
counted by inclusion–exclusion: |A| |B| - |A ∩ B| (the intersection only counted, never stored).

```mlir
// before                                              // after
%c = "graph.for_each"(%s) ({                           %c = graph.choose %s {r = 2 : i64} : !graph.set -> i64
^bb0(%v1: index):
  %t = graph.above %s, %v1 : !graph.set
  %n = graph.size %t : !graph.set -> i64
  graph.yield %n : i64
}) : (!graph.set) -> i64
```
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, builtin
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from ircc.ir.dialects import graph as g
from ircc.passes.graph_reuse import inside


def excluded(s: SSAValue) -> set[SSAValue]:
    """Vertices a set's definition excludes (through cuts and exclusions)."""
    return {x for cut in g.cuts(s) if isinstance(cut, g.ExcludeOp) for x in cut.vertices}


def _counted(loop: g.ForEachOp) -> g.ChooseOp | None:
    """The choose op that replaces ``loop``, or None when its body does something else."""
    block = loop.body.block
    v = block.args[0]
    ops = list(block.ops)
    if len(ops) < 2:
        return None
    counter, yield_op = ops[-2], ops[-1]
    if not isinstance(counter, (g.SizeOp, g.ChooseOp)) or yield_op.value is not counter.result:
        return None
    r = counter.r.value.data if isinstance(counter, g.ChooseOp) else 1
    inner_ordered = isinstance(counter, g.ChooseOp) and counter.ordered is not None
    # the chain from the loop's set to what is counted: one cut by v, or an exclusion of v
    chain = ops[:-2]
    allowed = excluded(loop.set) | {v}
    cuts, excludes_v, current = 0, False, loop.set
    for op in chain:
        if isinstance(op, (g.AboveOp, g.BelowOp)) and op.set is current and op.bound is v:
            cuts += 1
        elif isinstance(op, g.ExcludeOp) and op.set is current and set(op.vertices) <= allowed:
            excludes_v = excludes_v or v in op.vertices
        else:
            return None
        current = op.results[0]
    if current is not counter.set or current.uses.get_length() != 1:
        return None
    if cuts == 1 and (r == 1 or not inner_ordered):
        return g.ChooseOp(loop.set, r + 1)
    if cuts == 0 and excludes_v and (r == 1 or inner_ordered):
        return g.ChooseOp(loop.set, r + 1, ordered=True)
    return None


def _product(loop: g.ForEachOp) -> list[Operation] | None:
    """Ops computing the loop's count as a product, when its body counts a set that does not depend on
    the loop's vertex v (|A| |T|) or only excludes v from it: sum over a in A of |B minus a| =
    |A| |B| - |A ∩ B| (inclusion–exclusion for two trailing vertices that must differ)."""
    block = loop.body.block
    v = block.args[0]
    ops = list(block.ops)
    counter, yield_op = ops[-2] if len(ops) >= 2 else None, ops[-1]
    if not isinstance(counter, g.SizeOp) or yield_op.value is not counter.result:
        return None
    chain = ops[:-2]
    if not chain:
        if inside(counter.set, loop.body):
            return None
        n_a = g.SizeOp(loop.set)
        return [n_a, arith.MuliOp(n_a.result, counter.result)]
    vertices: list[SSAValue] = []
    current = chain[0].operands[0]
    if inside(current, loop.body):
        return None
    base = current
    for op in chain:
        if not isinstance(op, g.ExcludeOp) or op.set is not current:
            return None
        vertices += list(op.vertices)
        current = op.result
    if current is not counter.set or not any(x is v for x in vertices):
        return None
    others = [x for x in vertices if x is not v]
    if any(inside(x, loop.body) for x in others):
        return None
    new: list[Operation] = []
    if others:
        new.append(g.ExcludeOp(base, others))
        base = new[-1].results[0]
    n_a, n_b = g.SizeOp(loop.set), g.SizeOp(base)
    both = g.IntersectOp(loop.set, base)
    n_both = g.SizeOp(both.result)
    product = arith.MuliOp(n_a.result, n_b.result)
    return new + [n_a, n_b, both, n_both, product, arith.SubiOp(product.result, n_both.result)]


@dataclass(frozen=True)
class GraphChoose(ModulePass):
    name = "graph-choose"

    def apply(self, ctx: Context, op: builtin.ModuleOp) -> None:
        changed = True
        while changed:
            changed = False
            for loop in [x for x in op.walk() if isinstance(x, g.ForEachOp)]:
                replacement = _counted(loop)
                if replacement is not None:
                    Rewriter.replace_op(loop, replacement)
                    changed = True
                    break
                ops = _product(loop)
                if ops is not None:
                    Rewriter.insert_op(ops, InsertPoint.before(loop))
                    loop.result.replace_all_uses_with(ops[-1].results[0])
                    Rewriter.erase_op(loop)
                    changed = True
                    break


__all__ = ["GraphChoose"]
