"""``graph-plan``: a ``graph.pattern`` becomes a matching plan, one loop per pattern vertex.

The pattern's regular vertices are matched in ``order`` (from ``graph-order``; breadth-first by id
without it). The root loop (``graph.for_vertices``) takes every data vertex for the first; every later
vertex u loops (``graph.for_each``) over its candidates, built from scratch at its level:

    N(w1) ∩ N(w2) ∩ ...          the neighbour lists of u's matched pattern neighbours, in order
          \\ N(a1) \\ ...          minus those of its matched anti-neighbours
    above / below                the symmetry conditions between u and a matched vertex (the
                                 transitive reduction of ``conditions``: the rest follow)
    exclude                      the matched vertices u is not adjacent to (a match is injective)
    with_label                   when u has a label

The innermost body yields 1 per match, times ``graph.empty`` of each anti-vertex's candidates (the
common neighbours of its anti-neighbours, outside the match), and ``graph.emit``s the match for ``match``.
Without ``conditions`` a count is divided by |Aut(P)|. Later passes remove the redundancy this form has
on purpose (``graph-reuse``, ``graph-count-last``, ``graph-choose``, ``graph-orient``).

```mlir
// triangles
%count = "graph.for_vertices"(%g) <{...}> ({
^bb0(%v0: index):
  %0 = graph.neighbours %g, %v0 : !graph.graph -> !graph.set
  %1 = graph.above %0, %v0 : !graph.set
  %c1 = "graph.for_each"(%1) ({
  ^bb1(%v1: index):
    %2 = graph.neighbours %g, %v0 : !graph.graph -> !graph.set
    %3 = graph.neighbours %g, %v1 : !graph.graph -> !graph.set
    %4 = graph.intersect %2, %3 : !graph.set
    %5 = graph.above %4, %v1 : !graph.set
    %c2 = "graph.for_each"(%5) ({
    ^bb2(%v2: index):
      %one = arith.constant 1 : i64
      graph.yield %one : i64
    }) ...
```
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, builtin
from xdsl.dialects.builtin import IndexType, IntegerAttr, i64
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter
from xdsl.utils.exceptions import DiagnosticException

from ircc.graph.analysis import breadth_first_order, regular_automorphisms, transitive_reduction
from ircc.ir.dialects import graph as g


@dataclass(frozen=True)
class GraphPlan(ModulePass):
    name = "graph-plan"

    parallel: bool = True

    def apply(self, ctx: Context, op: builtin.ModuleOp) -> None:
        for pattern in [x for x in op.walk() if isinstance(x, g.PatternOp)]:
            _expand(pattern, self.parallel)


def _expand(pattern: g.PatternOp, parallel: bool) -> None:
    p = pattern.pattern()
    kind = pattern.op.data
    conditions = pattern.condition_pairs
    if kind == "match" and conditions is None:
        raise DiagnosticException("graph-plan: 'match' returns each subgraph once only with symmetry-breaking "
                                  "conditions; run graph-symmetry before graph-plan")
    order = pattern.order_list or breadth_first_order(p)
    regular = [u for u in range(p.k) if u not in p.anti_vertices]
    if sorted(order) != regular:
        raise DiagnosticException(f"graph-plan: order {order} does not list the regular vertices {regular}")
    for i in range(1, len(order)):
        if not any(w in p.neighbours(order[i]) for w in order[:i]):
            raise DiagnosticException(f"graph-plan: order {order}: vertex {order[i]} has no matched neighbour "
                                      f"when its turn comes (the order must stay connected)")
    bounds = transitive_reduction(conditions or [])
    graph = pattern.graph
    rows = pattern.rows
    matched: dict[int, SSAValue] = {}

    def add(block: Block, op: Operation) -> SSAValue:
        block.add_op(op)
        return op.results[0]

    def candidates(block: Block, u: int, among: list[int]) -> SSAValue:
        nbrs = [w for w in among if w in p.neighbours(u)]
        antis = [w for w in among if w in p.anti_neighbours(u)]
        s = add(block, g.NeighboursOp(graph, matched[nbrs[0]]))
        for w in nbrs[1:]:
            s = add(block, g.IntersectOp(s, add(block, g.NeighboursOp(graph, matched[w]))))
        for w in antis:
            s = add(block, g.DifferenceOp(s, add(block, g.NeighboursOp(graph, matched[w]))))
        for a, b in bounds:
            if b == u and a in among:
                s = add(block, g.AboveOp(s, matched[a]))
            elif a == u and b in among:
                s = add(block, g.BelowOp(s, matched[b]))
        apart = [matched[w] for w in among if w not in nbrs]
        if apart:
            s = add(block, g.ExcludeOp(s, apart))
        if p.labels[u] is not None:
            s = add(block, g.WithLabelOp(s, graph, p.labels[u]))
        return s

    def innermost(block: Block) -> SSAValue:
        found = add(block, arith.ConstantOp(IntegerAttr(1, i64)))
        for w in sorted(p.anti_vertices):
            # an outside vertex adjacent to all of w's anti-neighbours would close the match
            antis = p.anti_neighbours(w)
            s = add(block, g.NeighboursOp(graph, matched[antis[0]]))
            for a in antis[1:]:
                s = add(block, g.IntersectOp(s, add(block, g.NeighboursOp(graph, matched[a]))))
            others = [matched[a] for a in order if a not in antis]
            if others:
                s = add(block, g.ExcludeOp(s, others))
            if p.labels[w] is not None:
                s = add(block, g.WithLabelOp(s, graph, p.labels[w]))
            found = add(block, arith.MuliOp(found, add(block, g.EmptyOp(s))))
        if rows is not None:
            block.add_op(g.EmitOp(rows, [matched[u] for u in regular], found if p.anti_vertices else None))
        return found

    def level(i: int, block: Block) -> SSAValue:
        u = order[i]
        s = candidates(block, u, order[:i])
        body = Block(arg_types=[IndexType()])
        body.args[0].name_hint = f"v{u}"
        matched[u] = body.args[0]
        found = level(i + 1, body) if i + 1 < len(order) else innermost(body)
        body.add_op(g.YieldOp(found))
        return add(block, g.ForEachOp(s, Region(body)))

    root = Block(arg_types=[IndexType()])
    root.args[0].name_hint = f"v{order[0]}"
    matched[order[0]] = root.args[0]
    root.add_op(g.YieldOp(level(1, root) if len(order) > 1 else innermost(root)))
    limit = pattern.limit.value.data if pattern.limit is not None else (1 if kind == "exists" else None)
    loop = g.ForVerticesOp(graph, Region(root), parallel=parallel, limit=limit, label=p.labels[order[0]],
                           chunks=pattern.offsets if kind == "match" else pattern.partial)
    new_ops: list[Operation] = [loop]
    result = loop.result
    if conditions is None and kind == "count":
        aut = pattern.automorphisms.value.data if pattern.automorphisms is not None else regular_automorphisms(p)
        divisor = arith.ConstantOp(IntegerAttr(aut, i64))
        quotient = arith.DivSIOp(result, divisor.result)
        new_ops += [divisor, quotient]
        result = quotient.result
    Rewriter.insert_op(new_ops, InsertPoint.before(pattern))
    pattern.result.replace_all_uses_with(result)
    Rewriter.erase_op(pattern)


__all__ = ["GraphPlan"]
