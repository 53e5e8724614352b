"""``graph-symmetry``: automorphisms of each ``graph.pattern`` and the conditions that break them.

Adds ``automorphisms`` (|Aut(P)| restricted to the regular vertices: anti-vertices are never matched) and
``conditions``: Grochow–Kellis pairs (a, b), "the data vertex of a is smaller than b's", as Peregrine
uses them, so that of the |Aut(P)| matches onto one subgraph exactly one survives. After ``graph-order``
the vertex fixed first is the earliest matched of the largest orbit, so the conditions bind the
outer loops. Without this pass
``graph-plan`` counts every match and divides by |Aut(P)| (``exists`` needs no division; ``match``
needs the conditions to return each subgraph once).

```mlir
// before
%c = graph.pattern %g {k = 3 : i64, edges = array<i64: 0, 1, 0, 2, 1, 2>, ...} : !graph.graph -> i64
// after
%c = graph.pattern %g {k = 3 : i64, ..., automorphisms = 6 : i64, conditions = array<i64: 0, 1, 0, 2, 1, 2>}
```
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import builtin
from xdsl.dialects.builtin import IntegerAttr, i64
from xdsl.passes import ModulePass

from ircc.graph.analysis import regular_automorphisms, symmetry_conditions
from ircc.ir.dialects import graph as g


@dataclass(frozen=True)
class GraphSymmetry(ModulePass):
    name = "graph-symmetry"

    def apply(self, ctx: Context, op: builtin.ModuleOp) -> None:
        for pattern in [x for x in op.walk() if isinstance(x, g.PatternOp)]:
            p = pattern.pattern()
            pattern.attributes["automorphisms"] = IntegerAttr(regular_automorphisms(p), i64)
            pattern.attributes["conditions"] = g.pairs_attr(symmetry_conditions(p, pattern.order_list))


__all__ = ["GraphSymmetry"]
