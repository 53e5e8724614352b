"""``convert-linalg-to-parallel-loops``: linalg ops on memrefs to loop nests whose outermost loop is an
``scf.parallel`` where the op's first dimension is parallel and the nest is big enough to share out.

Each op is lowered by xDSL's ``convert-linalg-to-loops`` pattern (one ``scf.for`` per dimension, in
order); the outermost loop then becomes ``scf.parallel`` when its dimension is ``parallel`` (its
iterations write disjoint parts of the outputs) and the nest runs at least ``min-work`` innermost
iterations. The backends run it on ``threads`` threads (serially for ``threads=1``). Ops it leaves
alone (smaller ones, a reduction outermost) are lowered the same way to plain ``scf.for`` nests.

```mlir
linalg.generic {... iterator_types = ["parallel", "parallel"]} ins(%x : memref<512x256xf32>) outs(%y : ...)
// becomes
scf.parallel (%i) = (%c0) to (%c512) step (%c1) {
  scf.for %j = %c0 to %c256 step %c1 { ... }
}
```
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import scf
from xdsl.dialects.builtin import ModuleOp
from xdsl.dialects.linalg.abstract_ops import LinalgStructuredOperation
from xdsl.ir import Block, Region
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import PatternRewriter
from xdsl.transforms.convert_linalg_to_loops import LowerLinalgStructuredOpPattern


@dataclass(frozen=True)
class ConvertLinalgToParallelLoops(ModulePass):
    name = "convert-linalg-to-parallel-loops"

    min_work: int = 16384  # innermost iterations below which a nest stays serial

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        pattern = LowerLinalgStructuredOpPattern()
        for linalg_op in [o for o in op.walk() if isinstance(o, LinalgStructuredOperation)]:
            iterators = [str(it.data) for it in linalg_op.get_iterator_types().data]
            work = 1
            for extent in linalg_op.get_static_loop_ranges():
                work *= max(extent, 1)
            block = linalg_op.parent_block()
            following = linalg_op.next_op
            pattern.match_and_rewrite(linalg_op, PatternRewriter(linalg_op))
            if not iterators or iterators[0] != "parallel" or work < self.min_work or block is None:
                continue
            outer = following.prev_op if following is not None else block.last_op
            if isinstance(outer, scf.ForOp) and not outer.iter_args:
                _to_parallel(outer)


def _to_parallel(loop: scf.ForOp) -> None:
    """An ``scf.for`` without carried values as the ``scf.parallel`` over the same range."""
    old = loop.body.block
    body = Block(arg_types=[old.args[0].type])
    old.args[0].replace_all_uses_with(body.args[0])
    for inner in list(old.ops):
        inner.detach()
        if isinstance(inner, scf.YieldOp):
            inner.erase()
            continue
        body.add_op(inner)
    body.add_op(scf.ReduceOp())
    parallel = scf.ParallelOp([loop.lb], [loop.ub], [loop.step], Region(body))
    loop.parent_block().insert_op_before(parallel, loop)
    loop.detach()
    loop.erase()
