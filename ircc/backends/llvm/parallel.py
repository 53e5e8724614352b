"""``scf.parallel`` in the llvm backend: serial loop nests, or outlined bodies run on native threads.

A parallel loop outside another parallel loop, with ``threads > 1``, is outlined: its body becomes
``<fn>.par<k>.body(captures..., partials..., klo, khi, lb, step, chunk)`` (memref captures keep
``noalias``), a ``task(env, klo, khi, chunk)`` trampoline reads the captures from an environment
struct, and ``ircc.parallel_for`` (LLVM IR emitted into the module, below) splits the iteration
count into one contiguous chunk per thread and runs them inside ``GOMP_parallel`` (libgomp's pool, torch's
own where torch is loaded: ``threads.py``), or, where no libgomp loads, chunk 0 on the calling thread and
the others on ``pthread_create``d threads it then joins. Loops too small to pay for threads (an estimate from
the body's op count) run on the calling thread. A 1-D loop with reductions whose combining regions
have a known identity (add, mul, and/or/xor, min/max) is outlined too: each chunk reduces from the
identity into its slot of a per-thread array, and the caller combines the initial value with the
slots in chunk order. Everything else is lowered as a serial loop nest.
"""

from __future__ import annotations

from llvmlite import ir
from xdsl.dialects import arith, func, memref, scf
from xdsl.dialects.builtin import IntegerAttr, MemRefType, NoneAttr
from xdsl.ir import Operation, SSAValue

from ircc.backends.llvm.lower import FunctionLowerer, ModuleLowering, captured_values, region_block
from ircc.backends.llvm.types import I32, I64, PTR, Memref, alloca, expanded_arg_types

#: work (ops x iterations) a thread must get before a second thread is started (woken, on libgomp's pool)
MIN_WORK_PER_THREAD = {"pthreads": 200_000, "gomp": 25_000}


def lower_parallel(lo: FunctionLowerer, op: scf.ParallelOp) -> None:
    if lo.in_worker or lo.ml.threads <= 1 or (op.initVals and _identities(lo, op) is None):
        lower_serial(lo, op)
    else:
        lower_outlined(lo, op)


def _identities(lo: FunctionLowerer, op: scf.ParallelOp) -> list[ir.Constant] | None:
    """The identity of every reduction of ``op`` (recognised combining regions), or None.

    A reduction runs in parallel when each chunk can start from the identity: its partial result is
    then combined with the initial value and the other chunks' partials, in chunk order.
    """
    if len(op.lowerBound) != 1 or not op.initVals:
        return None if op.initVals else []
    reduce_op = region_block(op).last_op
    out = []
    for region, init in zip(reduce_op.regions, op.initVals):
        ident = _identity(region.blocks.first, lo.as_value(init).type)
        if ident is None:
            return None
        out.append(ident)
    return out


_INT_IDENTITY = {arith.AddiOp: 0, arith.OrIOp: 0, arith.XOrIOp: 0, arith.MuliOp: 1, arith.AndIOp: -1}
_FLOAT_IDENTITY = {arith.AddfOp: -0.0, arith.MulfOp: 1.0, arith.MaximumfOp: float("-inf"),
                   arith.MaxnumfOp: float("-inf"), arith.MinimumfOp: float("inf"), arith.MinnumfOp: float("inf")}
_MIN_PREDICATES = {"olt", "ole", "ult", "ule", "slt", "sle"}
_MAX_PREDICATES = {"ogt", "oge", "ugt", "uge", "sgt", "sge"}


def _identity(block, t: ir.Type) -> ir.Constant | None:
    """The identity element of the combining function in ``block`` (``^bb(%acc, %x)``), if recognised:
    add, mul, or, xor, and, min / max (also as ``select(cmp(x, acc), x, acc)``)."""
    ops = list(block.ops)
    a, x = block.args
    body = ops[:-1]
    is_float = isinstance(t, (ir.DoubleType, ir.FloatType))

    def extreme(minimum: bool) -> ir.Constant:
        if is_float:
            return ir.Constant(t, float("inf") if minimum else float("-inf"))
        width = t.width
        return ir.Constant(t, (1 << (width - 1)) - 1 if minimum else -(1 << (width - 1)))

    if len(body) == 1 and set(body[0].operands) == {a, x} and body[0].results[0] is ops[-1].operands[0]:
        kind = type(body[0])
        if is_float and kind in _FLOAT_IDENTITY:
            return ir.Constant(t, _FLOAT_IDENTITY[kind])
        if not is_float and kind in _INT_IDENTITY:
            return ir.Constant(t, _INT_IDENTITY[kind] if t.width > 1 or kind is not arith.AndIOp else 1)
        if kind in (arith.MaxSIOp, arith.MinSIOp):
            return extreme(kind is arith.MinSIOp)
        return None
    if len(body) == 2 and isinstance(body[0], (arith.CmpfOp, arith.CmpiOp)) and isinstance(body[1], arith.SelectOp):
        cmp, sel = body
        names = (arith.CMPF_COMPARISON_OPERATIONS if isinstance(cmp, arith.CmpfOp)
                 else arith.CMPI_COMPARISON_OPERATIONS)
        try:
            pred = names[int(cmp.predicate.value.data)]
        except (IndexError, ValueError, TypeError):
            return None
        if sel.operands[0] is not cmp.results[0] or sel.results[0] is not ops[-1].operands[0]:
            return None
        # select(x < acc, x, acc) is min; select(x > acc, x, acc) is max (and with the operands swapped)
        if tuple(cmp.operands) == (x, a) and tuple(sel.operands[1:]) == (x, a):
            flip = False
        elif tuple(cmp.operands) == (a, x) and tuple(sel.operands[1:]) == (a, x):
            flip = False
        elif tuple(cmp.operands) == (x, a) and tuple(sel.operands[1:]) == (a, x):
            flip = True
        elif tuple(cmp.operands) == (a, x) and tuple(sel.operands[1:]) == (x, a):
            flip = True
        else:
            return None
        if pred in _MIN_PREDICATES:
            return extreme(not flip)
        if pred in _MAX_PREDICATES:
            return extreme(flip)
    return None


def _bounds(lo: FunctionLowerer, op: scf.ParallelOp) -> tuple[list[ir.Value], list[ir.Value], list[ir.Value]]:
    return ([lo.scalar(v) for v in op.lowerBound], [lo.scalar(v) for v in op.upperBound],
            [lo.scalar(v) for v in op.step])


def lower_serial(lo: FunctionLowerer, op: scf.ParallelOp) -> None:
    """Nested loops over every dimension, combining reductions with their ``scf.reduce`` regions."""
    lbs, ubs, steps = _bounds(lo, op)
    finals = _loop_nest(lo, op, lbs, ubs, steps, 0, [lo.as_value(v) for v in op.initVals])
    for r, v in zip(op.results, finals):
        lo.values[r] = lo.from_value(r.type, v)


def _loop_nest(lo: FunctionLowerer, op: scf.ParallelOp, lbs: list, ubs: list, steps: list, first: int,
               inits: list[ir.Value]) -> list[ir.Value]:
    """Serial loops over dimensions ``first..`` of ``op`` (earlier induction variables already bound),
    carrying the reductions; returns their final values."""
    block = region_block(op)
    reduce_op = block.last_op
    assert isinstance(reduce_op, scf.ReduceOp), f"scf.parallel body must end in scf.reduce, not {reduce_op}"

    def innermost(values: list[ir.Value]) -> list[ir.Value]:
        lo.lower_block(block)
        out = []
        for k, (acc, new) in enumerate(zip(values, lo.reduced)):
            rblock = reduce_op.regions[k].blocks.first
            lo.values[rblock.args[0]] = acc
            lo.values[rblock.args[1]] = new
            lo.lower_block(rblock)
            out.append(lo.yielded[0])
        return out

    def level(d: int, carried: list[ir.Value]) -> list[ir.Value]:
        if d == len(lbs):
            return innermost(carried)

        def body(iv: ir.Value, values: list[ir.Value]) -> list[ir.Value]:
            lo.values[block.args[d]] = iv
            return level(d + 1, values)

        return lo.counted_loop(lbs[d], ubs[d], steps[d], carried, body)

    return level(first, inits)


#: iterations assumed for a loop inside a parallel body whose trip count is not known when compiling
ASSUMED_INNER_TRIPS = 1000


def _op_count(op: Operation, module_functions: dict[str, func.FuncOp], depth: int = 0) -> int:
    """Estimated ops per iteration of ``op``'s body: ops in inner loops count once per iteration, with
    a constant trip count where the bounds are constants and ``ASSUMED_INNER_TRIPS`` otherwise."""
    total = 0
    for region in op.regions:
        for block in region.blocks:
            for inner in block.ops:
                total += 1
                if isinstance(inner, func.CallOp) and depth < 4:
                    callee = module_functions.get(inner.callee.root_reference.data)
                    if callee is not None:
                        total += _op_count(callee, module_functions, depth + 1)
                if inner.regions:
                    trips = _trips(inner) if isinstance(inner, (scf.ForOp, scf.WhileOp, scf.ParallelOp)) else 1
                    total += trips * _op_count(inner, module_functions, depth)
    return min(total, 1 << 40)


def _trips(loop: Operation) -> int:
    if isinstance(loop, scf.ForOp):
        from ircc.costmodel import constant_trip_count

        trips = constant_trip_count(loop)
        if trips is not None:
            return max(1, trips)
    return ASSUMED_INNER_TRIPS
def lower_outlined(lo: FunctionLowerer, op: scf.ParallelOp) -> None:
    ml = lo.ml
    b = lo.b
    captures = captured_values(op)
    for v in (*op.lowerBound[1:], *op.upperBound[1:], *op.step[1:]):
        if v not in captures:
            captures.append(v)
    # constants are re-created inside the body, where LLVM can see them (consecutive stores, strides)
    constants = [v for v in captures if isinstance(v.owner, arith.ConstantOp)]
    captures = [v for v in captures if not isinstance(v.owner, arith.ConstantOp)]
    stem = ml.fresh(f"{lo.fn.name}.par")
    compact = {v for v in captures if _compact_capture(op, v)}
    identities = _identities(lo, op) or []
    body_fn = _emit_body(ml, lo, op, captures, compact, constants, stem, identities)

    # env: the captures' fields (compact memrefs: the aligned pointer and dynamic sizes), the partial
    # result arrays of the reductions (one slot per thread), then lb0, step0
    field_values: list[ir.Value] = []
    for v in captures:
        field_values += _capture_fields(lo, v, v in compact)
    partials = []
    for ident in identities:
        with b.goto_entry_block():
            slots = alloca(b, ident.type, size=ir.Constant(I64, ml.threads))
        for j in range(ml.threads):
            b.store(ident, b.gep(slots, [ir.Constant(I64, j)], inbounds=True, source_etype=ident.type))
        partials.append(slots)
    field_values += partials
    lb0, ub0, step0 = lo.scalar(op.lowerBound[0]), lo.scalar(op.upperBound[0]), lo.scalar(op.step[0])
    field_values += [lb0, step0]
    env_t = ir.LiteralStructType([v.type for v in field_values])
    task = _emit_task(ml, stem, env_t, body_fn, len(field_values))
    with b.goto_entry_block():
        env = alloca(b, env_t)
    for i, v in enumerate(field_values):
        b.store(v, b.gep(env, [ir.Constant(I32, 0), ir.Constant(I32, i)], inbounds=True, source_etype=env_t))
    span = b.sub(ub0, lb0)
    total = b.sdiv(b.add(span, b.sub(step0, ir.Constant(I64, 1))), step0)
    total = b.select(b.icmp_signed(">", span, ir.Constant(I64, 0)), total, ir.Constant(I64, 0))
    work = max(1, _op_count(op, {f.sym_name.data: f for f in ml.signatures.values()}))
    min_iters = max(1, MIN_WORK_PER_THREAD[ml.thread_runtime] // work)
    runtime = parallel_for_runtime(ml)
    b.call(runtime, [task, env, total, ir.Constant(I64, min_iters), ir.Constant(I64, ml.threads)])
    if identities:  # init, then each chunk's partial in chunk order (the same result for the same threads)
        reduce_op = region_block(op).last_op
        for k, (init, slots, ident) in enumerate(zip(op.initVals, partials, identities)):
            rblock = reduce_op.regions[k].blocks.first
            acc = lo.as_value(init)
            for j in range(ml.threads):
                lo.values[rblock.args[0]] = acc
                lo.values[rblock.args[1]] = b.load(b.gep(slots, [ir.Constant(I64, j)], inbounds=True,
                                                         source_etype=ident.type), typ=ident.type)
                lo.lower_block(rblock)
                acc = lo.yielded[0]
            lo.values[op.results[k]] = lo.from_value(op.results[k].type, acc)


def _compact_capture(op: scf.ParallelOp, v: SSAValue) -> bool:
    """An identity-layout memref the body only loads from, stores to or measures travels as its aligned
    pointer and dynamic sizes: fewer fields to pass, fewer arguments for LLVM to keep alive."""
    if not isinstance(v.type, MemRefType) or not isinstance(v.type.layout, NoneAttr):
        return False
    for use in v.uses:
        user = use.operation
        if op.is_ancestor(user) and not isinstance(user, (memref.LoadOp, memref.StoreOp, memref.DimOp)):
            return False
    return True


def _capture_fields(lo: FunctionLowerer, v: SSAValue, compact: bool) -> list[ir.Value]:
    if not compact:
        return lo.expanded(v)
    m = lo.memref(v)
    return [m.aligned] + [m.sizes[k] for k, d in enumerate(v.type.get_shape()) if d < 0]


def _capture_types(v: SSAValue, compact: bool) -> list[ir.Type]:
    if not compact:
        return expanded_arg_types(v.type)
    return [PTR] + [I64 for d in v.type.get_shape() if d < 0]


def _rebuild_capture(v: SSAValue, values: list[ir.Value]) -> Memref:
    shape = v.type.get_shape()
    dynamic = iter(values[1:])
    sizes = [ir.Constant(I64, d) if d >= 0 else next(dynamic) for d in shape]
    # (strides are unused by loads and stores of an identity layout)
    return Memref(v.type, values[0], values[0], ir.Constant(I64, 0), sizes, [ir.Constant(I64, 0)] * len(shape))


def _emit_body(ml: ModuleLowering, lo: FunctionLowerer, op: scf.ParallelOp, captures: list[SSAValue],
               compact: set[SSAValue], constants: list[SSAValue], stem: str,
               identities: list[ir.Constant]) -> ir.Function:
    arg_types: list[ir.Type] = []
    for v in captures:
        arg_types += _capture_types(v, v in compact)
    arg_types += [PTR] * len(identities)  # the reductions' partial arrays
    arg_types += [I64, I64, I64, I64, I64]  # klo, khi, lb0, step0, chunk
    fn = ir.Function(ml.llmod, ir.FunctionType(ir.VoidType(), arg_types), f"{stem}.body")
    fn.linkage = "internal"
    fn.attributes.add("nounwind")
    fn.attributes.add("noinline")  # keeps its noalias arguments; the call per chunk costs nothing
    inner = FunctionLowerer(ml, fn, in_worker=True)
    index = 0
    for v in captures:
        n = len(_capture_types(v, v in compact))
        chunk = list(fn.args[index:index + n])
        if v in compact:
            inner.values[v] = _rebuild_capture(v, chunk)
            if v in lo.noalias:
                fn.args[index].add_attribute("noalias")
        elif isinstance(v.type, MemRefType):
            inner.values[v] = Memref.from_fields(v.type, chunk)
            if v in lo.noalias:
                fn.args[index + 1].add_attribute("noalias")
        else:
            inner.values[v] = chunk[0]
        index += n
    partial_ptrs = fn.args[index:index + len(identities)]
    index += len(identities)
    klo, khi, lb0, step0, chunk = fn.args[index:index + 5]
    from ircc.backends.llvm.ops import HANDLERS

    for v in constants:
        HANDLERS[arith.ConstantOp](inner, v.owner)
    block = region_block(op)
    lbs = [None] + [inner.scalar(v) for v in op.lowerBound[1:]]
    ubs = [None] + [inner.scalar(v) for v in op.upperBound[1:]]
    steps = [None] + [inner.scalar(v) for v in op.step[1:]]

    lb0 = _constant_index(op.lowerBound[0]) or lb0  # literal bounds let LLVM see a unit-stride loop
    step0 = _constant_index(op.step[0]) or step0

    def outer(k: ir.Value, carried: list[ir.Value]) -> list[ir.Value]:
        inner.values[block.args[0]] = inner.b.add(lb0, inner.b.mul(k, step0, flags=["nsw"]), flags=["nsw"])
        return _loop_nest(inner, op, lbs, ubs, steps, 1, carried)

    finals = inner.counted_loop(klo, khi, ir.Constant(I64, 1), list(identities), outer)
    for ptr, value, ident in zip(partial_ptrs, finals, identities):
        inner.b.store(value, inner.b.gep(ptr, [chunk], inbounds=True, source_etype=ident.type))
    inner.b.ret_void()
    return fn


def _constant_index(v: SSAValue) -> ir.Constant | None:
    owner = v.owner
    if isinstance(owner, arith.ConstantOp) and isinstance(owner.value, IntegerAttr):
        return ir.Constant(I64, int(owner.value.value.data))
    return None


def _emit_task(ml: ModuleLowering, stem: str, env_t: ir.LiteralStructType, body: ir.Function,
               nfields: int) -> ir.Function:
    fn = ir.Function(ml.llmod, ir.FunctionType(ir.VoidType(), [PTR, I64, I64, I64]), f"{stem}.task")
    fn.linkage = "internal"
    fn.attributes.add("nounwind")
    env, klo, khi, chunk = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    fields = [b.load(b.gep(env, [ir.Constant(I32, 0), ir.Constant(I32, i)], inbounds=True, source_etype=env_t),
                     typ=env_t.elements[i]) for i in range(nfields)]
    lb0, step0 = fields[-2], fields[-1]
    b.call(body, fields[:-2] + [klo, khi, lb0, step0, chunk])
    b.ret_void()
    return fn


def parallel_for_runtime(ml: ModuleLowering) -> ir.Function:
    """``void ircc.parallel_for(ptr task, ptr env, i64 total, i64 min_iters, i64 threads)``."""
    existing = ml.llmod.globals.get("ircc.parallel_for")
    if existing is not None:
        return existing
    if ml.thread_runtime == "gomp":
        return _gomp_parallel_for(ml)
    mod = ml.llmod
    task_t = ir.FunctionType(ir.VoidType(), [PTR, I64, I64, I64])
    chunk_t = ir.LiteralStructType([PTR, PTR, I64, I64, I64])  # task, env, lo, hi, chunk index
    pthread_create = ml.declare("pthread_create", I32, [PTR, PTR, PTR, PTR])
    pthread_join = ml.declare("pthread_join", I32, [I64, PTR])

    # the thread entry: runs one chunk
    main = ir.Function(mod, ir.FunctionType(PTR, [PTR]), "ircc.thread_main")
    main.linkage = "internal"
    b = ir.IRBuilder(main.append_basic_block("entry"))
    arg = main.args[0]
    vals = [b.load(b.gep(arg, [ir.Constant(I32, 0), ir.Constant(I32, i)], inbounds=True, source_etype=chunk_t),
                   typ=chunk_t.elements[i]) for i in range(5)]
    _call_task(b, vals[0], task_t, [vals[1], vals[2], vals[3], vals[4]])
    b.ret(ir.Constant(PTR, None))

    fn, b, t, _ = _parallel_for_entry(ml, task_t)
    task, env, total = fn.args[:3]
    zero, one = ir.Constant(I64, 0), ir.Constant(I64, 1)
    chunks = alloca(b, chunk_t, size=t)
    tids = alloca(b, I64, size=t)

    def bound(j: ir.Value) -> ir.Value:
        return b.sdiv(b.mul(total, j), t)

    def spawn(j: ir.Value) -> None:  # chunks 1..t-1 on threads of their own
        slot = b.gep(chunks, [j], inbounds=True, source_etype=chunk_t)
        for i, v in enumerate((task, env, bound(j), bound(b.add(j, one)), j)):
            b.store(v, b.gep(slot, [ir.Constant(I32, 0), ir.Constant(I32, i)], inbounds=True, source_etype=chunk_t))
        tid = b.gep(tids, [j], inbounds=True, source_etype=I64)
        rc = b.call(pthread_create, [tid, ir.Constant(PTR, None), main, slot])
        with b.if_then(b.icmp_signed("!=", rc, ir.Constant(I32, 0))):  # no thread: run the chunk here,
            b.store(zero, tid)  # and mark the slot as not joinable
            _call_task(b, task, task_t, [env, bound(j), bound(b.add(j, one)), j])

    def join(k: ir.Value) -> None:
        handle = b.load(b.gep(tids, [k], inbounds=True, source_etype=I64), typ=I64)
        with b.if_then(b.icmp_signed("!=", handle, zero)):
            b.call(pthread_join, [handle, ir.Constant(PTR, None)])

    _counted_loop(b, "spawn", one, t, one, spawn)
    _call_task(b, task, task_t, [env, zero, bound(one), zero])
    _counted_loop(b, "join", one, t, one, join)
    b.ret_void()
    return fn


def _gomp_parallel_for(ml: ModuleLowering) -> ir.Function:
    """``ircc.parallel_for`` on libgomp's pool (``threads.py``): ``t`` chunks as before, run inside
    ``GOMP_parallel(ircc.omp_chunks, &{task, env, total, t}, t, 0)``; OpenMP thread ``j`` of ``n`` runs chunks
    ``j, j + n, ...`` (all ``t`` of them even where OpenMP gives fewer threads than asked, as nested)."""
    mod = ml.llmod
    task_t = ir.FunctionType(ir.VoidType(), [PTR, I64, I64, I64])
    ctx_t = ir.LiteralStructType([PTR, PTR, I64, I64])  # task, env, total, chunks
    gomp_parallel = ml.declare("GOMP_parallel", ir.VoidType(), [PTR, PTR, I32, I32])
    thread_num = ml.declare("omp_get_thread_num", I32, [])
    num_threads = ml.declare("omp_get_num_threads", I32, [])

    body = ir.Function(mod, ir.FunctionType(ir.VoidType(), [PTR]), "ircc.omp_chunks")
    body.linkage = "internal"
    b = ir.IRBuilder(body.append_basic_block("entry"))
    task, env, total, t = (b.load(b.gep(body.args[0], [ir.Constant(I32, 0), ir.Constant(I32, i)], inbounds=True,
                                        source_etype=ctx_t), typ=ctx_t.elements[i]) for i in range(4))
    j0 = b.sext(b.call(thread_num, []), I64)
    n = b.sext(b.call(num_threads, []), I64)

    def run(c: ir.Value) -> None:
        lo = b.sdiv(b.mul(total, c), t)
        hi = b.sdiv(b.mul(total, b.add(c, ir.Constant(I64, 1))), t)
        _call_task(b, task, task_t, [env, lo, hi, c])

    _counted_loop(b, "chunk", j0, t, n, run)
    b.ret_void()

    fn, b, t, done = _parallel_for_entry(ml, task_t)
    task, env, total = fn.args[:3]
    ctx = alloca(b, ctx_t)
    for i, v in enumerate((task, env, total, t)):
        b.store(v, b.gep(ctx, [ir.Constant(I32, 0), ir.Constant(I32, i)], inbounds=True, source_etype=ctx_t))
    b.call(gomp_parallel, [body, ctx, b.trunc(t, I32), ir.Constant(I32, 0)])
    b.branch(done)
    return fn


def _parallel_for_entry(ml: ModuleLowering, task_t: ir.FunctionType):
    """``ircc.parallel_for``'s shared part: ``t`` = min(threads, total / min_iters) chunks; one (or none) runs
    the task on the calling thread. Returns the function, a builder in the block for ``t >= 2`` (it must end
    by branching to ``done``), ``t``, and ``done`` (which returns)."""
    fn = ir.Function(ml.llmod, ir.FunctionType(ir.VoidType(), [PTR, PTR, I64, I64, I64]), "ircc.parallel_for")
    fn.linkage = "internal"
    task, env, total, min_iters, threads = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    serial_bb, par_bb = fn.append_basic_block("serial"), fn.append_basic_block("parallel")
    nonempty, done = fn.append_basic_block("serial.run"), fn.append_basic_block("done")
    zero, one = ir.Constant(I64, 0), ir.Constant(I64, 1)
    by_work = b.sdiv(total, min_iters)
    t = b.select(b.icmp_signed("<", by_work, threads), by_work, threads)
    b.cbranch(b.icmp_signed("<=", t, one), serial_bb, par_bb)
    b.position_at_end(serial_bb)
    b.cbranch(b.icmp_signed(">", total, zero), nonempty, done)
    b.position_at_end(nonempty)
    _call_task(b, task, task_t, [env, zero, total, zero])
    b.branch(done)
    b.position_at_end(done)
    b.ret_void()
    b.position_at_end(par_bb)
    return fn, b, t, done


def _counted_loop(b: ir.IRBuilder, stem: str, start: ir.Value, stop: ir.Value, step: ir.Value, body) -> None:
    """``for i = start; i < stop; i += step: body(i)`` (i64), emitted at the builder, which ends after it."""
    fn = b.function
    header, run, done = (fn.append_basic_block(f"{stem}.{part}") for part in ("header", "body", "exit"))
    pre = b.block
    b.branch(header)
    b.position_at_end(header)
    i = b.phi(I64)
    i.add_incoming(start, pre)
    b.cbranch(b.icmp_signed("<", i, stop), run, done)
    b.position_at_end(run)
    body(i)
    i.add_incoming(b.add(i, step), b.block)
    b.branch(header)
    b.position_at_end(done)


def _call_task(b: ir.IRBuilder, task: ir.Value, task_t: ir.FunctionType, args: list[ir.Value]) -> None:
    """Call through an opaque pointer: llvmlite needs the callee's function type."""
    b.call(_IndirectCallee(task, task_t), args)


class _IndirectCallee:
    """A pointer value seen as a callee of a known function type."""

    def __init__(self, ptr: ir.Value, fnty: ir.FunctionType):
        self.ptr, self.function_type, self.type = ptr, fnty, ptr.type

    def get_reference(self) -> str:
        return self.ptr.get_reference()
