"""``lower-piuma``: a function's top-level parallel loops become ``piuma.launch`` regions.

Each thread takes the iterations ``tid, tid + nthreads, ...`` of the loop's flattened iteration space (cyclic:
neighbouring iterations go to neighbouring threads, which sit on different pipelines and cores, so uneven
work spreads). A top-level ``scf.for`` (or ``scf.while``, ``scf.if``, ``memref.store``) runs on thread 0 of a
launch of its own. Loops left inside a launch are the thread's own (``convert-scf-parallel-to-for`` makes
inner parallel loops sequential). What stays outside is host work: sizes, allocations.

```mlir
scf.parallel (%i) = (%c0) to (%n) step (%c1) { ... }
// becomes
piuma.launch {
^bb0(%tid: index, %nthreads: index):
  %trips = ...                                   // max(0, ceildiv(%n - %c0, %c1))
  scf.for %k = %tid to %trips step %nthreads {
    %i = %c0 + %k * %c1
    ...
  }
}
```
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, builtin, func, memref, scf
from xdsl.dialects.builtin import DYNAMIC_INDEX, IndexType, IntegerType, MemRefType
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import DiagnosticException

from ircc.ir.dialects.piuma import BarrierOp, LaunchOp, ThreadsOp

def _const(block: Block, value: int) -> SSAValue:
    op = arith.ConstantOp.from_int_and_width(value, IndexType())
    block.add_op(op)
    return op.result


def _add(block: Block, op: Operation) -> SSAValue:
    block.add_op(op)
    return op.results[0]


def _iteration_space(block: Block, loop: scf.ParallelOp, zero: SSAValue, one: SSAValue):
    """The loop's trip count (flattened), and a function making its ivs from a flat index in a block."""
    trips = []
    for lb, ub, step in zip(loop.lowerBound, loop.upperBound, loop.step):
        span = _add(block, arith.SubiOp(ub, lb))
        up = _add(block, arith.AddiOp(span, _add(block, arith.SubiOp(step, one))))
        trips.append(_add(block, arith.MaxSIOp(_add(block, arith.DivSIOp(up, step)), zero)))
    total = trips[0] if trips else one
    for t in trips[1:]:
        total = _add(block, arith.MuliOp(total, t))
    names = [a.name_hint for a in loop.body.block.args]

    def ivs_of(inner: Block, flat: SSAValue) -> list[SSAValue]:
        rest, ivs = flat, [None] * len(trips)
        for d in reversed(range(len(trips))):
            idx = _add(inner, arith.RemSIOp(rest, trips[d])) if d else rest
            if d:
                rest = _add(inner, arith.DivSIOp(rest, trips[d]))
            iv = _add(inner, arith.AddiOp(loop.lowerBound[d], _add(inner, arith.MuliOp(idx, loop.step[d]))))
            iv.name_hint = names[d]
            ivs[d] = iv
        return ivs

    return total, ivs_of


def _parallel_launch(loop: scf.ParallelOp) -> LaunchOp:
    launch = LaunchOp()
    block = launch.body.block
    tid, nthreads = block.args
    tid.name_hint, nthreads.name_hint = "tid", "nthreads"
    zero, one = _const(block, 0), _const(block, 1)
    total, ivs_of = _iteration_space(block, loop, zero, one)
    inner = Block(arg_types=[IndexType()])
    inner.args[0].name_hint = "k"
    body = loop.body.block
    for arg, iv in zip(body.args, ivs_of(inner, inner.args[0])):
        arg.replace_all_uses_with(iv)
    for op in list(body.ops):
        op.detach()
        if isinstance(op, scf.ReduceOp):
            continue
        inner.add_op(op)
    inner.add_op(scf.YieldOp())
    block.add_op(scf.ForOp(tid, total, nthreads, [], Region(inner)))
    return launch


def _combine(into: Block, region: Region, lhs: SSAValue, rhs: SSAValue) -> SSAValue:
    """A copy of an ``scf.reduce`` region's combiner appended to ``into``: its value for (lhs, rhs)."""
    copy = region.clone()
    block = copy.block
    for arg, value in zip(block.args, (lhs, rhs)):
        arg.replace_all_uses_with(value)
    result = None
    for op in list(block.ops):
        op.detach()
        if isinstance(op, scf.ReduceReturnOp):
            result = op.result
            continue
        into.add_op(op)
    assert result is not None
    return result


def _reduction_launch(loop: scf.ParallelOp, fn_block: Block) -> list[SSAValue]:
    """A parallel loop with reductions: each thread folds its iterations into a partial (with a flag for
    "has one": the initial value counts once), stores it at its thread id; after a barrier thread 0 folds the
    partials into the initial values. Returns the results, loaded by the host after the launch."""
    types = [v.type for v in loop.initVals]
    threads = ThreadsOp()
    zero_host = arith.ConstantOp.from_int_and_width(0, IndexType())
    host_ops: list[Operation] = [threads, zero_host]
    partials, flags, results = [], [], []
    for t in types:
        partials.append(memref.AllocOp([threads.result], [], MemRefType(t, [DYNAMIC_INDEX])))
        flags.append(memref.AllocOp([threads.result], [], MemRefType(IntegerType(1), [DYNAMIC_INDEX])))
        results.append(memref.AllocOp([], [], MemRefType(t, [1])))
    host_ops += partials + flags + results
    for op in host_ops:
        fn_block.insert_op_before(op, loop)
    reduce_op = loop.body.block.last_op
    assert isinstance(reduce_op, scf.ReduceOp)
    regions = list(reduce_op.reductions)
    launch = LaunchOp()
    block = launch.body.block
    tid, nthreads = block.args
    tid.name_hint, nthreads.name_hint = "tid", "nthreads"
    zero, one = _const(block, 0), _const(block, 1)
    false = _add(block, arith.ConstantOp.from_int_and_width(0, IntegerType(1)))
    true = _add(block, arith.ConstantOp.from_int_and_width(1, IntegerType(1)))
    total, ivs_of = _iteration_space(block, loop, zero, one)
    inner = Block(arg_types=[IndexType(), *types, *(IntegerType(1) for _ in types)])
    flat, accs, has = inner.args[0], inner.args[1:1 + len(types)], inner.args[1 + len(types):]
    body = loop.body.block
    for arg, iv in zip(body.args, ivs_of(inner, flat)):
        arg.replace_all_uses_with(iv)
    values = list(reduce_op.args)
    for op in list(body.ops):
        op.detach()
        if op is not reduce_op:
            inner.add_op(op)
    new_accs = []
    for acc, flag, value, region in zip(accs, has, values, regions):
        combined = _combine(inner, region, acc, value)
        new_accs.append(_add(inner, arith.SelectOp(flag, combined, value)))
    inner.add_op(scf.YieldOp(*new_accs, *(true for _ in types)))
    per_thread = scf.ForOp(tid, total, nthreads, [*loop.initVals, *(false for _ in types)], Region(inner))
    block.add_op(per_thread)
    for k in range(len(types)):
        block.add_op(memref.StoreOp.get(per_thread.results[k], partials[k].memref, [tid]))
        block.add_op(memref.StoreOp.get(per_thread.results[len(types) + k], flags[k].memref, [tid]))
    block.add_op(BarrierOp())
    first = _add(block, arith.CmpiOp(tid, zero, "eq"))
    then = Block()
    fold = Block(arg_types=[IndexType(), *types])
    t_iv, xs = fold.args[0], fold.args[1:]
    folded = []
    for k, (x, region) in enumerate(zip(xs, regions)):
        p = _add(fold, memref.LoadOp.get(partials[k].memref, [t_iv]))
        present = _add(fold, memref.LoadOp.get(flags[k].memref, [t_iv]))
        combined = _combine(fold, region, x, p)
        folded.append(_add(fold, arith.SelectOp(present, combined, x)))
    fold.add_op(scf.YieldOp(*folded))
    total_fold = scf.ForOp(zero, nthreads, one, list(loop.initVals), Region(fold))
    then.add_op(total_fold)
    for k in range(len(types)):
        then.add_op(memref.StoreOp.get(total_fold.results[k], results[k].memref, [zero]))
    then.add_op(scf.YieldOp())
    block.add_op(scf.IfOp(first, [], Region(then)))
    fn_block.insert_op_before(launch, loop)
    loads = []
    for k in range(len(types)):
        load = memref.LoadOp.get(results[k].memref, [zero_host.result])
        fn_block.insert_op_before(load, loop)
        loads.append(load.res)
    return loads


def _serial_launch(ops: list[Operation]) -> LaunchOp:
    """``ops`` (consecutive top-level ops, in order) on thread 0 of a launch."""
    launch = LaunchOp()
    block = launch.body.block
    tid = block.args[0]
    tid.name_hint, block.args[1].name_hint = "tid", "nthreads"
    zero = _const(block, 0)
    first = _add(block, arith.CmpiOp(tid, zero, "eq"))
    then = Block()
    for op in ops:
        if op.parent is not None:
            op.detach()
        then.add_op(op)
    then.add_op(scf.YieldOp())
    block.add_op(scf.IfOp(first, [], Region(then)))
    return launch


#: top-level ops the host evaluates (sizes, buffers, views) unless they use what a thread computed
_HOST = (arith.ConstantOp, memref.DimOp, memref.AllocOp, memref.DeallocOp, memref.CollapseShapeOp,
         memref.ExpandShapeOp, memref.SubviewOp, memref.CastOp, memref.GetGlobalOp, func.ReturnOp, LaunchOp, ThreadsOp)
_HOST_ARITH = (arith.AddiOp, arith.SubiOp, arith.MuliOp, arith.DivSIOp, arith.RemSIOp, arith.FloorDivSIOp,
               arith.CeilDivSIOp, arith.MaxSIOp, arith.MinSIOp, arith.IndexCastOp, arith.AddfOp, arith.SubfOp,
               arith.MulfOp, arith.DivfOp, arith.SIToFPOp, arith.ExtSIOp, arith.ExtUIOp)


@dataclass(frozen=True)
class LowerPiuma(ModulePass):
    name = "lower-piuma"

    def apply(self, ctx: Context, op: builtin.ModuleOp) -> None:
        _private_callees(op)
        for fn in op.ops:  # entry points (a private function is a callee: it runs inside a thread)
            private = fn.sym_visibility is not None and fn.sym_visibility.data == "private" if isinstance(
                fn, func.FuncOp) else True
            if isinstance(fn, func.FuncOp) and fn.body.blocks and not private:
                _lower_function(fn)


def _private_callees(module: builtin.ModuleOp) -> None:
    """A public function other functions call keeps its loops for them (they run it inside a thread): the
    calls go to a private copy, and the public one is lowered as an entry point."""
    functions = {f.sym_name.data: f for f in module.ops if isinstance(f, func.FuncOp)}
    copies: dict[str, str] = {}
    work = list(functions.values())
    while work:  # the copies' own calls too
        f = work.pop()
        for call in f.walk():
            if not isinstance(call, func.CallOp):
                continue
            name = call.callee.string_value()
            callee = functions.get(name)
            if callee is None or not callee.body.blocks:
                continue
            if callee.sym_visibility is not None and callee.sym_visibility.data == "private":
                continue
            if name not in copies:
                copy = callee.clone()
                copies[name] = f"{name}__in_thread"
                copy.sym_name = builtin.StringAttr(copies[name])
                copy.sym_visibility = builtin.StringAttr("private")
                module.body.block.add_op(copy)
                work.append(copy)
            call.callee = builtin.SymbolRefAttr(copies[name])


def _lower_function(fn: func.FuncOp) -> None:
    block = fn.body.block
    run: list[Operation] = []  # consecutive serial work: one thread-0 launch
    made: set[SSAValue] = set()  # values the run computes

    def flush() -> None:
        """The run as a launch; what it computes and later ops use comes back through one-element buffers."""
        if not run:
            return
        inside = set()
        for op in run:
            inside.update(op.walk())
        escaping = [v for v in made if any(u.operation not in inside for u in v.uses)]
        users = {v: [u for u in list(v.uses) if u.operation not in inside] for v in escaping}
        anchor = run[-1].next_op
        zero = arith.ConstantOp.from_int_and_width(0, IndexType())
        block.insert_op_before(zero, run[0])
        loads = []
        for v in escaping:
            if isinstance(v.type, MemRefType):
                raise DiagnosticException(f"lower-piuma: @{fn.sym_name.data}: a memref made by serial work "
                                          "and used after it")
            buf = memref.AllocOp([], [], MemRefType(v.type, [1]))
            block.insert_op_before(buf, run[0])
            run.append(memref.StoreOp.get(v, buf.memref, [zero.result]))
            loads.append((v, memref.LoadOp.get(buf.memref, [zero.result])))
        launch = _serial_launch(list(run))
        block.insert_op_before(launch, anchor)
        for v, load in loads:
            block.insert_op_before(load, anchor)
            for use in users[v]:
                use.operation.operands[use.index] = load.res
        run.clear()
        made.clear()

    for top in list(block.ops):
        uses_run = any(v in made for v in top.operands) or any(
            v in made for inner in top.walk() for v in inner.operands)
        if isinstance(top, scf.ParallelOp):
            flush()
            if top.initVals:
                for result, value in zip(top.results, _reduction_launch(top, block)):
                    result.replace_all_uses_with(value)
            else:
                block.insert_op_before(_parallel_launch(top), top)
            top.detach()
            top.erase()
        elif isinstance(top, _HOST_ARITH) and uses_run:  # arithmetic on what the threads computed: theirs
            run.append(top)
            made.update(top.results)
        elif isinstance(top, _HOST) or isinstance(top, _HOST_ARITH):
            if uses_run or isinstance(top, (func.ReturnOp, LaunchOp)):
                flush()  # its operands come back from the threads through memory
        else:
            run.append(top)
            made.update(top.results)
    flush()
