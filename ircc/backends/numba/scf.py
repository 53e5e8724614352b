"""Rendering scf ops: ``scf.for``/``scf.while`` as Python loops, ``scf.if`` as ``if``, ``scf.parallel``
as a ``numba.prange`` loop.

Reductions numba recognizes (``+``, ``*``, integer min/max) are written as ``acc += v`` /
``acc = min(acc, v)``; any other reduction region is combined per chunk of iterations and then serially.
``scf.yield``, ``scf.condition`` and ``scf.reduce`` are rendered by their parent op.
"""

from __future__ import annotations

from collections.abc import Callable

from xdsl.dialects import arith, scf
from xdsl.dialects.builtin import IntegerAttr
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue

from ircc.backends.numba.renderer import FunctionRenderer, Handler
from ircc.backends.numba.types import int_width, is_float, np_type, wrap


# --------------------------------------------------------------------------------------------
# scf
# --------------------------------------------------------------------------------------------

def _is_constant(value: SSAValue, number: int) -> bool:
    owner = value.owner
    return (isinstance(owner, arith.ConstantOp) and isinstance(owner.value, IntegerAttr)
            and owner.value.value.data == number)


def _range_args(r: FunctionRenderer, lb: SSAValue, ub: SSAValue, step: SSAValue) -> str:
    if _is_constant(step, 1):
        return f"{r.name(lb)}, {r.name(ub)}"
    return f"{r.name(lb)}, {r.name(ub)}, {r.name(step)}"


def _for(r: FunctionRenderer, op: scf.ForOp) -> None:
    block = op.body.block
    iv, carried = block.args[0], block.args[1:]
    carried_names = [r.define(a, op) for a in carried]
    r.assign_many(carried_names, [r.name(v) for v in op.iter_args])
    bounds = _range_args(r, op.lb, op.ub, op.step)
    if int_width(iv.type) == 64:
        header = f"for {r.define(iv, op)} in range({bounds}):"
        convert = None
    else:  # an iN induction variable: count in int64, convert at the top of the body
        counter = r.derived(iv, "k")
        header = f"for {counter} in range({bounds}):"
        convert = f"{r.define(iv, op)} = {np_type(iv.type)}({counter})"
    with r.nested(header):
        if convert:
            r.emit(convert)
        yield_op = r.render_ops(block)
        assert isinstance(yield_op, scf.YieldOp), f"scf.for body must end in scf.yield, got {yield_op}"
        r.assign_many(carried_names, r.operands(yield_op))
    for res, name in zip(op.res, carried_names, strict=True):
        r.emit(f"{r.define(res, op)} = {name}")


def _if(r: FunctionRenderer, op: scf.IfOp) -> None:
    results = [r.define(v, op) for v in op.output]

    def branch(region: Region) -> None:
        yield_op = r.render_ops(region.block)
        if results:
            assert isinstance(yield_op, scf.YieldOp), f"scf.if region must end in scf.yield, got {yield_op}"
            r.assign_many(results, r.operands(yield_op))

    with r.nested(f"if {r.name(op.cond)}:"):
        branch(op.true_region)
    if op.false_region.blocks and (results or _has_statements(op.false_region.block)):
        with r.nested("else:"):
            branch(op.false_region)


def _has_statements(block: Block) -> bool:
    return any(not isinstance(o, scf.YieldOp) for o in block.ops)


def _while(r: FunctionRenderer, op: scf.WhileOp) -> None:
    before, after = op.before_region.block, op.after_region.block
    carried = [r.define(a, op) for a in before.args]
    r.assign_many(carried, r.operands(op))
    results = [r.define(v, op) for v in op.res]
    with r.nested("while True:"):
        condition = r.render_ops(before)
        assert isinstance(condition, scf.ConditionOp), f"scf.while must end in scf.condition, got {condition}"
        # the results are the condition's values when it fails; assign them first, then test
        r.assign_many(results, [r.name(v) for v in condition.args])
        with r.nested(f"if not {r.name(condition.condition)}:"):
            r.emit("break")
        for arg, value in zip(after.args, results, strict=True):
            r.bind(arg, value)
        yield_op = r.render_ops(after)
        assert isinstance(yield_op, scf.YieldOp), f"scf.while body must end in scf.yield, got {yield_op}"
        r.assign_many(carried, r.operands(yield_op))


# ---- scf.parallel -----------------------------------------------------------------------------

def native_reduction(region: Region, t: Attribute) -> str | None:
    """``+``, ``*``, ``min`` or ``max`` when ``region`` is one such op on its two arguments and numba
    reduces it exactly; None when the region needs the general per-chunk combination."""
    block = region.block
    ops = list(block.ops)
    if len(ops) != 2 or not isinstance(ops[1], scf.ReduceReturnOp):
        return None
    combine, ret = ops
    if ret.operands[0] is not combine.results[0] or set(combine.operands) != set(block.args) \
            or len(combine.operands) != 2 or block.args[0] is block.args[1]:
        return None
    if is_float(t):
        table: dict[type[Operation], str] = {arith.AddfOp: "+", arith.MulfOp: "*"}
    elif int_width(t) in (8, 16, 32, 64):
        table = {arith.AddiOp: "+", arith.MuliOp: "*", arith.MinSIOp: "min", arith.MaxSIOp: "max"}
    else:
        return None
    return table.get(type(combine))


def _parallel(r: FunctionRenderer, op: scf.ParallelOp) -> None:
    r.uses_prange = r.uses_prange or not r.serial
    block = op.body.block
    reduce_op = block.last_op
    assert isinstance(reduce_op, scf.ReduceOp), f"scf.parallel body must end in scf.reduce, got {reduce_op}"
    kinds = [native_reduction(region, v.type) for region, v in zip(reduce_op.reductions, op.res, strict=True)]
    r.parallel_depth += 1
    if all(k is not None for k in kinds):
        _parallel_native(r, op, [k for k in kinds if k is not None])
    else:
        _parallel_chunked(r, op)
    r.parallel_depth -= 1


def _render_parallel_body(r: FunctionRenderer, op: scf.ParallelOp,
                          on_reduce: Callable[[scf.ReduceOp], None]) -> None:
    """Serial loops for the dimensions after the first, the body inside, ``on_reduce`` at its scf.reduce."""
    ivs = op.body.block.args
    opened = []
    for d in range(1, len(ivs)):
        nest = r.nested(f"for {r.define(ivs[d], op)} in "
                        f"range({_range_args(r, op.lowerBound[d], op.upperBound[d], op.step[d])}):")
        nest.__enter__()
        opened.append(nest)
    reduce_op = r.render_ops(op.body.block)
    assert isinstance(reduce_op, scf.ReduceOp), f"scf.parallel body must end in scf.reduce, got {reduce_op}"
    on_reduce(reduce_op)
    for nest in reversed(opened):
        nest.__exit__(None, None, None)


def _trip_count(r: FunctionRenderer, op: scf.ParallelOp) -> str:
    lb, ub, step = r.name(op.lowerBound[0]), r.name(op.upperBound[0]), r.name(op.step[0])
    if _is_constant(op.step[0], 1):
        return f"{ub} - {lb}"
    return f"({ub} - {lb} + {step} - 1) // {step}"


def _parallel_native(r: FunctionRenderer, op: scf.ParallelOp, kinds: list[str]) -> None:
    """The first dimension as a prange, reductions as ``acc += v`` / ``acc = min(acc, v)``."""
    iv0 = op.body.block.args[0]
    accs = [r.derived(v, "acc") for v in op.res]
    r.emit(f"# scf.parallel: {r.prange} over the first dimension"
           + (f", reductions {', '.join(kinds)}" if kinds else ""))
    r.assign_many(accs, [r.name(v) for v in op.initVals])

    def on_reduce(reduce_op: scf.ReduceOp) -> None:
        for acc, kind, value in zip(accs, kinds, r.operands(reduce_op), strict=True):
            r.emit(f"{acc} = {kind}({acc}, {value})" if kind in ("min", "max") else f"{acc} {kind}= {value}")

    if _is_constant(op.step[0], 1):
        bounds = f"{r.name(op.lowerBound[0])}, {r.name(op.upperBound[0])}"
        header = f"for {r.define(iv0, op)} in {r.prange}({bounds}):"
        first = None
    else:
        counter = r.derived(iv0, "k")
        header = f"for {counter} in {r.prange}({_trip_count(r, op)}):"
        first = f"{r.define(iv0, op)} = {r.name(op.lowerBound[0])} + {counter} * {r.name(op.step[0])}"
    with r.nested(header):
        if first:
            r.emit(first)
        _render_parallel_body(r, op, on_reduce)
    for res, acc in zip(op.res, accs, strict=True):
        r.emit(f"{r.define(res, op)} = {wrap(acc, res.type) if int_width(res.type) else acc}")


def _combine(r: FunctionRenderer, region: Region, lhs: str, rhs: str, suffix: str) -> str:
    """Render a reduction region inline on ``lhs`` and ``rhs``; returns the name of its result."""
    block = region.block
    r.bind(block.args[0], lhs)
    r.bind(block.args[1], rhs)
    saved, r.suffix = r.suffix, suffix
    for inner in block.ops:
        if isinstance(inner, scf.ReduceReturnOp):
            r.suffix = saved
            return r.name(inner.result)
        r.render_op(inner)
    raise AssertionError(f"scf.reduce region without scf.reduce.return: {region}")


def _parallel_chunked(r: FunctionRenderer, op: scf.ParallelOp) -> None:
    """A prange over chunks of the first dimension: each chunk combines its own values with the
    reduction regions, then the chunks' partial results are combined serially with the init values."""
    first = op.res[0]
    n, chunks, chunk, have, have_c = (r.derived(first, t) for t in ("n", "chunks", "c", "have", "have_c"))
    partials = [r.derived(v, "p") for v in op.res]
    parts = [r.derived(v, "parts") for v in op.res]
    inits = [r.name(v) for v in op.initVals]
    r.emit(f"# scf.parallel: {r.prange} over chunks of the first dimension; each chunk reduces its own")
    r.emit("# iterations, then the chunks are combined in order (the reduction is not one numba recognizes)")
    r.emit(f"{n} = max({_trip_count(r, op)}, 0)")
    r.emit(f"{chunks} = max(min({n}, numba.get_num_threads()), 1)")
    for part, res in zip(parts, op.res, strict=True):
        r.emit(f"{part} = np.empty({chunks}, {np_type(res.type)})")
    r.emit(f"{have} = np.zeros({chunks}, np.bool_)")
    iv0 = op.body.block.args[0]
    counter = r.derived(iv0, "k")
    reduce_region = op.body.block.last_op
    assert isinstance(reduce_region, scf.ReduceOp)

    def on_reduce(reduce_op: scf.ReduceOp) -> None:
        values = r.operands(reduce_op)
        with r.nested(f"if {have_c}:"):
            combined = [_combine(r, region, p, v, "")
                        for region, p, v in zip(reduce_op.reductions, partials, values, strict=True)]
            r.assign_many(partials, combined)
        with r.nested("else:"):
            r.assign_many(partials, values)
        r.emit(f"{have_c} = True")

    with r.nested(f"for {chunk} in {r.prange}({chunks}):"):
        r.emit(f"{have_c} = False")
        r.assign_many(partials, inits)
        with r.nested(f"for {counter} in range({chunk} * {n} // {chunks}, ({chunk} + 1) * {n} // {chunks}):"):
            scaled = counter if _is_constant(op.step[0], 1) else f"{counter} * {r.name(op.step[0])}"
            r.emit(f"{r.define(iv0, op)} = {r.name(op.lowerBound[0])} + {scaled}")
            _render_parallel_body(r, op, on_reduce)
        for part, p in zip(parts, partials, strict=True):
            r.emit(f"{part}[{chunk}] = {p}")
        r.emit(f"{have}[{chunk}] = {have_c}")
    results = [r.define(v, op) for v in op.res]
    r.assign_many(results, inits)
    with r.nested(f"for {chunk} in range({chunks}):"), r.nested(f"if {have}[{chunk}]:"):
        combined = [_combine(r, region, res, f"{part}[{chunk}]", "c")
                    for region, res, part in zip(reduce_region.reductions, results, parts, strict=True)]
        r.assign_many(results, combined)


SCF_HANDLERS: dict[type[Operation], Handler] = {
    scf.ForOp: _for,
    scf.IfOp: _if,
    scf.WhileOp: _while,
    scf.ParallelOp: _parallel,
}
