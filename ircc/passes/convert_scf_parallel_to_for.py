"""``convert-scf-parallel-to-for``: ``scf.parallel`` without reductions becomes nested ``scf.for``.

For backends or runs without threads (and as the serial reference of a parallel loop).

```mlir
scf.parallel (%i, %j) = (%a, %b) to (%c, %d) step (%s, %t) { ... scf.reduce }
// becomes
scf.for %i = %a to %c step %s { scf.for %j = %b to %d step %t { ... } }
```
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import builtin, scf
from xdsl.ir import Block, Region
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)
from xdsl.rewriter import InsertPoint


class ParallelToNestedFor(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: scf.ParallelOp, rewriter: PatternRewriter) -> None:
        if op.initVals:
            return  # reductions stay parallel ops; backends lower them serially themselves
        body = op.body.blocks.first
        assert body is not None
        dims = len(op.lowerBound)
        if dims == 0:  # one iteration: the body itself
            reduce_op = body.last_op
            assert isinstance(reduce_op, scf.ReduceOp), "scf.parallel body must end in scf.reduce"
            rewriter.erase(reduce_op)
            rewriter.inline_block(body, InsertPoint.before(op))
            rewriter.erase(op)
            return
        blocks = [Block(arg_types=[builtin.IndexType()]) for _ in range(dims)]
        loops = []
        for d in range(dims):
            loops.append(scf.ForOp(op.lowerBound[d], op.upperBound[d], op.step[d], [], Region(blocks[d])))
        for d in range(dims - 1):
            blocks[d].add_op(loops[d + 1])
            blocks[d].add_op(scf.YieldOp())
        innermost = blocks[-1]
        reduce_op = body.last_op
        assert isinstance(reduce_op, scf.ReduceOp), "scf.parallel body must end in scf.reduce"
        rewriter.erase(reduce_op)
        for d in range(dims):
            body.args[d].replace_all_uses_with(blocks[d].args[0])
            blocks[d].args[0].name_hint = body.args[d].name_hint
        rewriter.inline_block(body, InsertPoint.at_end(innermost), blocks[-1].args * 0 + tuple(
            blocks[d].args[0] for d in range(dims)))
        innermost.add_op(scf.YieldOp())
        rewriter.replace(op, loops[0])


@dataclass(frozen=True)
class ConvertScfParallelToFor(ModulePass):
    name = "convert-scf-parallel-to-for"

    def apply(self, ctx: Context, op: builtin.ModuleOp) -> None:
        PatternRewriteWalker(ParallelToNestedFor(), apply_recursively=False).rewrite_module(op)
