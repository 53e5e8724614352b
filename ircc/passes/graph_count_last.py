"""``graph-count-last``: a loop that only counts its members becomes ``graph.size``.

A ``graph.for_each`` whose body does nothing but yield the constant 1 (the last pattern vertex of a
count, with no anti-vertex to check and nothing to emit) counts the set: the loop becomes one
``graph.size`` (a subtraction, plus a binary search per excluded vertex).

```mlir
// before                                          // after
%c = "graph.for_each"(%s) ({                       %c = graph.size %s : !graph.set -> i64
^bb0(%v: index):
  %one = arith.constant 1 : i64
  graph.yield %one : i64
}) : (!graph.set) -> i64
```
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, builtin
from xdsl.dialects.builtin import IntegerAttr
from xdsl.passes import ModulePass
from xdsl.rewriter import Rewriter

from ircc.ir.dialects import graph as g


def yields_one(loop: g.ForEachOp) -> bool:
    """The body is ``%one = arith.constant 1; graph.yield %one`` (or yields a constant 1 from outside)."""
    block = loop.body.block
    value = block.last_op.value  # type: ignore[union-attr]
    owner = value.owner
    if not (isinstance(owner, arith.ConstantOp) and isinstance(owner.value, IntegerAttr)
            and owner.value.value.data == 1):
        return False
    return all(op is owner or op is block.last_op for op in block.ops)


@dataclass(frozen=True)
class GraphCountLast(ModulePass):
    name = "graph-count-last"

    def apply(self, ctx: Context, op: builtin.ModuleOp) -> None:
        for loop in [x for x in op.walk() if isinstance(x, g.ForEachOp)]:
            if yields_one(loop):
                one = loop.body.block.last_op.value.owner  # type: ignore[union-attr]
                Rewriter.replace_op(loop, g.SizeOp(loop.set))
                if one.parent_block() is not None and not one.result.uses:
                    Rewriter.erase_op(one)


__all__ = ["GraphCountLast", "yields_one"]
