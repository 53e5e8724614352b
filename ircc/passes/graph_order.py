"""``graph-order``: the matching order of each ``graph.pattern``, core first.

Peregrine matches a minimum vertex cover of the pattern (its core) first: every other vertex is then a
candidate of matched core vertices only. The order puts core vertices first as far as connectivity
allows, each next vertex adjacent to a matched one, preferring more matched neighbours (smaller
candidate sets) and then higher degree (``ircc.graph.analysis.matching_order``). Without this pass
``graph-plan`` matches in breadth-first order of vertex ids.

```mlir
// a 4-cycle 0-1-2-3-0: the core {0, 2} first, 1 between them, then 3
%c = graph.pattern %g {..., order = array<i64: 0, 1, 2, 3>} : !graph.graph -> i64
```
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import builtin
from xdsl.dialects.builtin import DenseArrayBase, i64
from xdsl.passes import ModulePass

from ircc.graph.analysis import matching_order
from ircc.ir.dialects import graph as g


@dataclass(frozen=True)
class GraphOrder(ModulePass):
    name = "graph-order"

    def apply(self, ctx: Context, op: builtin.ModuleOp) -> None:
        for pattern in [x for x in op.walk() if isinstance(x, g.PatternOp)]:
            pattern.attributes["order"] = DenseArrayBase.from_list(i64, matching_order(pattern.pattern()))


__all__ = ["GraphOrder"]
