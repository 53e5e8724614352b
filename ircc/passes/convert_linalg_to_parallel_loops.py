"""``convert-linalg-to-parallel-loops``: linalg ops on memrefs to loop nests whose outermost loop is an
``scf.parallel`` where the op's first dimension is parallel and the nest is big enough to share out.

Each op is lowered by xDSL's ``convert-linalg-to-loops`` pattern (one ``scf.for`` per dimension, in
order); the outermost loop then becomes ``scf.parallel`` when its dimension is ``parallel`` (its
iterations write disjoint parts of the outputs) and the nest runs at least ``min-work`` innermost
iterations. The backends run it on ``threads`` threads (serially for ``threads=1``). Ops it leaves
alone (smaller ones, a reduction outermost) are lowered the same way to plain ``scf.for`` nests. A generic
that ``linalg-tile`` marked (``ircc.tile``) has its nest tiled first (``loop_tiling``), from its first tiled
dimension in; the outermost loop is then that dimension's tile loop, parallel when the dimension is.

Where BLAS calls (``func.call @ircc_sgemm``) do most of a function's work and the BLAS has threads of its
own, no loop is made parallel: the threads go to the BLAS instead (``ircc.costmodel.parallel_loops_pay``).
OpenBLAS's idle workers spin after a call, and native threads started beside them fight them for the cores:
a GPT-2 block at batch 64 on two threads ran in 23 ms with both, 9.6 ms with the BLAS alone threaded
(measured on this machine). Where the BLAS is torch's MKL and the loops run on torch's libgomp, one pool
serves both, and both are threaded.

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
from xdsl.dialects import arith, func, memref, scf
from xdsl.dialects.builtin import ModuleOp
from xdsl.dialects.linalg.abstract_ops import LinalgStructuredOperation
from xdsl.ir import Block, Region
from xdsl.passes import ModulePass

from ircc.backends.runtime import is_runtime
from ircc.costmodel import extent
from ircc.passes.linalg_tile import tile_sizes
from ircc.passes.loop_tiling import perfect_nest, tile_nest
from xdsl.pattern_rewriter import PatternRewriter
from xdsl.transforms.convert_linalg_to_loops import LowerLinalgStructuredOpPattern


@dataclass(frozen=True)
class ConvertLinalgToParallelLoops(ModulePass):
    name = "convert-linalg-to-parallel-loops"

    min_work: int = 0  # innermost iterations below which a nest stays serial (0: costmodel.parallel_min_work)
    all_dims: bool = False  # every nest, every leading parallel dimension (one scf.parallel each): for GPUs

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        from ircc.costmodel import parallel_loops_pay, parallel_min_work

        min_work = self.min_work or parallel_min_work()
        for fn in [o for o in op.walk() if isinstance(o, func.FuncOp)]:
            self._lower(fn, parallel_loops_pay, min_work)

    def _lower(self, fn: func.FuncOp, parallel_loops_pay, min_work: int) -> None:
        pattern = LowerLinalgStructuredOpPattern()
        ops = [o for o in fn.walk() if isinstance(o, LinalgStructuredOperation)]
        works = {o: _work(o) for o in ops}
        parallel = parallel_loops_pay(sum(works.values()), _blas_work(fn))
        for linalg_op in ops:
            iterators = [str(it.data) for it in linalg_op.get_iterator_types().data]
            work = works[linalg_op] if parallel else 0
            block = linalg_op.parent_block()
            following = linalg_op.next_op
            tiles = tile_sizes(linalg_op)
            pattern.match_and_rewrite(linalg_op, PatternRewriter(linalg_op))
            if block is None:
                continue
            if tiles is not None:
                _tile(following.prev_op if following is not None else block.last_op, tiles)
            if not iterators or iterators[0] != "parallel":
                continue
            if work < min_work and not self.all_dims:
                continue
            outer = following.prev_op if following is not None else block.last_op
            if isinstance(outer, scf.ForOp) and not outer.iter_args:
                leading = 1
                while self.all_dims and leading < len(iterators) and iterators[leading] == "parallel":
                    leading += 1
                _to_parallel(outer, leading)


def _tile(outer, sizes: tuple[int, ...]) -> None:
    """Tile the nest at ``outer`` by ``sizes`` (one per dimension), from the first tiled dimension in: the
    untiled dimensions before it stay the outermost loops (a batch stays outside its tiles)."""
    first = next((d for d, s in enumerate(sizes) if s > 0), None)
    if first is None or not isinstance(outer, scf.ForOp):
        return
    loops = perfect_nest(outer, first + 1)
    if loops is not None:
        tile_nest(loops[-1], sizes[first:])


def _work(linalg_op: LinalgStructuredOperation) -> int:
    work = 1
    for size in linalg_op.get_static_loop_ranges():
        work *= max(extent(size), 1)
    return work


def _blas_work(fn: func.FuncOp) -> int:
    """Multiply-adds in the function's runtime GEMM calls (m * n * k, from the matrices' static shapes)."""
    total = 0
    for call in fn.walk():
        if not isinstance(call, func.CallOp) or not is_runtime(call.callee.string_value()):
            continue
        shapes = []
        for v in call.arguments[:3]:
            source = v.owner.source if isinstance(v.owner, memref.CastOp) else v
            shapes.append(source.type.get_shape())
        (a, _, c), trans_a = shapes, call.arguments[3]
        flag = trans_a.owner.value.value.data if isinstance(trans_a.owner, arith.ConstantOp) else 0
        k = a[0] if flag else a[1]
        total += extent(c[0]) * extent(c[1]) * extent(k)
    return total


def _to_parallel(loop: scf.ForOp, dims: int = 1) -> None:
    """An ``scf.for`` without carried values as the ``scf.parallel`` over the same range; with ``dims > 1``,
    the loops perfectly nested in it too (as far as they go), as one multi-dimensional ``scf.parallel``."""
    loops = [loop]
    while len(loops) < dims:
        ops = [o for o in loops[-1].body.block.ops if not isinstance(o, scf.YieldOp)]
        if len(ops) != 1 or not isinstance(ops[0], scf.ForOp) or ops[0].iter_args:
            break
        loops.append(ops[0])
    old = loops[-1].body.block
    body = Block(arg_types=[lp.body.block.args[0].type for lp in loops])
    for lp, arg in zip(loops, body.args):
        lp.body.block.args[0].replace_all_uses_with(arg)
    for inner in list(old.ops):
        inner.detach()
        if isinstance(inner, scf.YieldOp):
            inner.erase()
            continue
        body.add_op(inner)
    body.add_op(scf.ReduceOp())
    parallel = scf.ParallelOp([lp.lb for lp in loops], [lp.ub for lp in loops], [lp.step for lp in loops],
                              Region(body))
    loop.parent_block().insert_op_before(parallel, loop)
    loop.detach()
    loop.erase()
