"""A pattern query as a ``graph``-dialect matching plan (the planner's first form).

The plan matches the pattern's vertices in ``matching_order``: the root loop takes every data vertex for
the first; each later vertex's candidates are the intersection of the neighbour lists of its matched
pattern neighbours, minus those of its matched anti-neighbours (``graph.difference``), cut by the
symmetry conditions that involve a matched vertex (``graph.above`` / ``graph.below``), without the
matched vertices it is not adjacent to (``graph.exclude``). The last vertex is counted with
``graph.size`` instead of a loop. Each subgraph is counted once (the conditions keep one of its
|Aut(P)| matches).

```
func.func @count(%indptr: memref<?xi64>, %indices: memref<?xi32>, %n: index) -> i64
```
"""

from __future__ import annotations

from xdsl.dialects import func
from xdsl.dialects.builtin import FunctionType, IndexType, ModuleOp, i32, i64
from xdsl.ir import Block, Region, SSAValue

from ircc.graph.analysis import matching_order, symmetry_conditions
from ircc.graph.pattern import Pattern, PatternError
from ircc.ir.builder import memref_1d
from ircc.ir.dialects import graph as g

INDPTR = memref_1d(i64)
INDICES = memref_1d(i32)


def build_count(p: Pattern, induced: bool = False) -> ModuleOp:
    """``@count``: the number of distinct subgraphs of the data graph matching ``p``."""
    if induced:
        p = p.induced()
    if p.anti_vertices:
        raise PatternError("pattern: anti-vertices are not planned yet (the graph issue's next step)")
    if any(label is not None for label in p.labels):
        raise PatternError("pattern: labelled patterns are not planned yet (the graph issue's next step)")
    order = matching_order(p)
    conditions = symmetry_conditions(p)
    block = Block(arg_types=[INDPTR, INDICES, IndexType()])
    indptr, indices, n = block.args
    graph = _add(block, g.AssembleOp(indptr, indices, n)).result
    matched: dict[int, SSAValue] = {}

    def level(i: int, into: Block) -> SSAValue:
        """Ops for pattern vertex order[i] into ``into``; returns the i64 count of this level."""
        u = order[i]
        earlier = order[:i]
        nbrs = [w for w in earlier if w in p.neighbours(u)]
        antis = [w for w in earlier if w in p.anti_neighbours(u)]
        s = _add(into, g.NeighboursOp(graph, matched[nbrs[0]])).result
        for w in nbrs[1:]:
            s = _add(into, g.IntersectOp(s, _add(into, g.NeighboursOp(graph, matched[w])).result)).result
        for w in antis:
            s = _add(into, g.DifferenceOp(s, _add(into, g.NeighboursOp(graph, matched[w])).result)).result
        for a, b in conditions:
            if b == u and a in matched:
                s = _add(into, g.AboveOp(s, matched[a])).result
            elif a == u and b in matched:
                s = _add(into, g.BelowOp(s, matched[b])).result
        apart = [matched[w] for w in earlier if w not in nbrs]
        if apart:
            s = _add(into, g.ExcludeOp(s, apart)).result
        if i == len(order) - 1:
            return _add(into, g.SizeOp(s)).result
        return _loop(into, g.ForEachOp, s, i)

    def _loop(into: Block, kind, operand: SSAValue, i: int) -> SSAValue:
        body = Block(arg_types=[IndexType()])
        matched[order[i]] = body.args[0]
        body.args[0].name_hint = f"v{order[i]}"
        count = level(i + 1, body)
        body.add_op(g.YieldOp(count))
        return _add(into, kind(operand, Region(body))).result

    root = Block(arg_types=[IndexType()])
    matched[order[0]] = root.args[0]
    root.args[0].name_hint = f"v{order[0]}"
    root.add_op(g.YieldOp(level(1, root)))
    total = _add(block, g.ForVerticesOp(graph, Region(root), parallel=True)).result
    block.add_op(func.ReturnOp(total))
    fn = func.FuncOp("count", FunctionType.from_lists([INDPTR, INDICES, IndexType()], [i64]), Region(block))
    return ModuleOp([fn])


def _add(block: Block, op):
    block.add_op(op)
    return op
