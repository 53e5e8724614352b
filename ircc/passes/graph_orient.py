"""``graph-orient``: plans that only ever read N(v) above v run on the degree-ordered orientation.

When every ``graph.neighbours %g, %v`` of a plan is used only as ``graph.above(·, %v)`` (cliques: each
vertex above the previous one, after ``graph-reuse`` applied the bounds first), the plan needs only each
vertex's neighbours with larger ids. The pass drops those cuts, marks the lists ``forward`` and the graph
``oriented``: the caller then passes the orientation of the graph with vertices numbered by ascending
degree (each list holds at most sqrt(2m) vertices; a hub's list is short), half the neighbour lists, and
no binary search remains.

```mlir
// before                                        // after
%g = graph.assemble %p, %i, %n : ...              %g = graph.assemble %p, %i, %n {oriented} : ...
%a = graph.neighbours %g, %v0 : ...               %a = graph.neighbours %g, %v0 {forward} : ...
%s = graph.above %a, %v0 : !graph.set
```
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import builtin, func
from xdsl.dialects.builtin import UnitAttr
from xdsl.passes import ModulePass
from xdsl.rewriter import Rewriter

from ircc.ir.dialects import graph as g


def orientable(fn: func.FuncOp) -> bool:
    lists = [op for op in fn.walk() if isinstance(op, g.NeighboursOp)]
    return bool(lists) and all(
        use.operation.__class__ is g.AboveOp and use.operation.bound is nb.vertex and use.index == 0
        for nb in lists for use in nb.result.uses)


@dataclass(frozen=True)
class GraphOrient(ModulePass):
    name = "graph-orient"

    def apply(self, ctx: Context, op: builtin.ModuleOp) -> None:
        for fn in [f for f in op.ops if isinstance(f, func.FuncOp)]:
            if not orientable(fn):
                continue
            for nb in [x for x in fn.walk() if isinstance(x, g.NeighboursOp)]:
                nb.attributes["forward"] = UnitAttr()
                for use in list(nb.result.uses):
                    cut = use.operation
                    cut.results[0].replace_all_uses_with(nb.result)
                    Rewriter.erase_op(cut)
            for asm in [x for x in fn.walk() if isinstance(x, g.AssembleOp)]:
                asm.attributes["oriented"] = UnitAttr()


__all__ = ["GraphOrient"]
