"""``lower-graph``: ``graph``-dialect matching plans to loops over memrefs (scf / memref / arith).

A set becomes a slice ``(buffer, lo, hi)`` of sorted i32 vertex ids plus the vertices it excludes:

- ``graph.neighbours`` is a slice of the CSR neighbour lists (no copy);
- ``graph.intersect`` / ``graph.difference`` merge two sorted slices into a buffer of their own (one per
  op, as long as the largest degree, allocated once per worker); when one side is over 16 times
  longer, the short side gallops through it (a binary search per member, from the last position
  found). An intersection only counted (``graph.size`` / ``graph.empty``, through exclusions) is
  merged without storing anything;
- ``graph.above`` / ``graph.below`` move a slice end by binary search, except above(S, v) inside the loop
  over S with vertex v: that is the rest of S after v's position;
- ``graph.exclude`` only records vertices, which ``graph.for_each`` skips and the counts subtract;
- ``graph.with_label`` copies the members with the label (the data graph's ``labels``);
- ``graph.choose`` is C(|S|, r) (or the r-permutations) from the size.

The root loop runs over chunks of ``chunk`` vertices. ``schedule=dynamic``: ``workers`` iterations of an
``scf.parallel`` each take the next chunk from a shared counter (``memref.atomic_rmw``) until none is
left, so a thread that drew the hubs does not hold up the rest; ``schedule=cyclic``: worker w takes
chunks w, w + workers, ... (for backends without atomics). Each chunk's count goes to its own slot, so
the sum does not depend on the schedule. With a ``limit`` every loop stops once its count reaches
what is left of it, and a shared flag stops the other workers (``exists``).

```
graph.intersect  ->  scf.while (i < hi1 && j < hi2): a = s1[i]; b = s2[j]
                       a < b: i++ | a > b: j++ | else: out[k++] = a; i++; j++
```
"""

from __future__ import annotations

from dataclasses import dataclass, field

from xdsl.context import Context
from xdsl.dialects import arith, builtin, func
from xdsl.dialects.builtin import IntegerAttr, IntegerType, UnitAttr, i32, i64
from xdsl.ir import Block, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import DiagnosticException

from ircc.ir.builder import LoopBuilder
from ircc.ir.dialects import graph as g

I1 = IntegerType(1)
#: an intersection with one side this many times longer gallops instead of merging
GALLOP_RATIO = 16


@dataclass
class Slice:
    """Members buf[lo:hi] without ``excluded``; ``absent``: vertices known not to be members (a list never
    holds its own vertex, a cut never holds its bound), which need no exclusion test."""

    buf: SSAValue
    lo: SSAValue
    hi: SSAValue
    excluded: list[SSAValue] = field(default_factory=list)
    absent: list[SSAValue] = field(default_factory=list)

    def cut(self, lo: SSAValue, hi: SSAValue, bound: SSAValue) -> Slice:
        absent = _unique(self.absent + [bound])
        return Slice(self.buf, lo, hi, _minus(self.excluded, absent), absent)


@dataclass
class Lazy:
    """An intersection whose members are only counted: merged when the count is asked for."""

    x: Slice
    y: Slice
    excluded: list[SSAValue] = field(default_factory=list)
    absent: list[SSAValue] = field(default_factory=list)


@dataclass
class Ctx:
    indptr: SSAValue
    indices: SSAValue
    labels: SSAValue | None
    bufs: dict
    cursor: SSAValue | None = None
    positions: dict = field(default_factory=dict)  # loop vertex -> (its Slice, its position)


@dataclass(frozen=True)
class LowerGraph(ModulePass):
    name = "lower-graph"

    parallel: bool = True
    chunk: int = 64
    workers: int = 64
    schedule: str = "dynamic"

    def apply(self, ctx: Context, op: builtin.ModuleOp) -> None:
        if self.schedule not in ("dynamic", "cyclic"):
            raise DiagnosticException(f"lower-graph: schedule={self.schedule}; use dynamic or cyclic")
        if self.chunk < 1 or self.workers < 1:
            raise DiagnosticException("lower-graph: chunk and workers are at least 1")
        for fn in [f for f in op.ops if isinstance(f, func.FuncOp)]:
            graphs: dict[SSAValue, g.AssembleOp] = {}
            for inner in list(fn.walk()):
                if isinstance(inner, g.AssembleOp):
                    graphs[inner.result] = inner
                    if inner.oriented is not None:
                        fn.attributes["ircc.graph_oriented"] = UnitAttr()
                elif isinstance(inner, g.ForVerticesOp):
                    self._root(inner, graphs[inner.graph])
                    fn.attributes["ircc.graph_chunk"] = IntegerAttr(self.chunk, i64)
                elif isinstance(inner, g.PatternOp):
                    raise DiagnosticException("lower-graph: graph.pattern is not planned; run graph-plan first "
                                              "(ircc's default pipeline does)")
            for inner in list(fn.walk()):
                if isinstance(inner, g.AssembleOp):
                    inner.detach()
                    inner.erase()

    def _root(self, root: g.ForVerticesOp, asm: g.AssembleOp) -> None:
        indptr, indices, n = asm.indptr, asm.indices, asm.n
        b = LoopBuilder.before(root)
        one, zero = b.index(1), b.index(0)
        limit = root.limit.value.data if root.limit is not None else None

        def degree(b: LoopBuilder, v: SSAValue, best: SSAValue) -> list[SSAValue]:
            return [b.max(best, b.sub(b.load_index(indptr, b.add(v, one)), b.load_index(indptr, v)))]

        max_degree = b.max(b.for_(zero, n, [zero], degree)[0], one)
        max_degree.name_hint = "max_degree"
        size = b.index(self.chunk)
        chunks = b.div_floor(b.add(n, b.index(self.chunk - 1)), size)
        chunks.name_hint = "chunks"
        workers = b.max(b.min(chunks, b.index(self.workers)), one)
        emits = any(isinstance(op, g.EmitOp) for op in root.walk())
        given = root.chunks if not emits else None
        partial = given if given is not None else b.alloc(i64, chunks)
        if given is None:
            partial.name_hint = "chunk_counts"
        b.fill(partial, b.const(0, i64), chunks)
        shared = b.alloc(i64, b.index(2))  # [next chunk, stop flag]
        shared.name_hint = "next_chunk_and_stop"
        b.store(b.const(0, i64), shared, zero)
        b.store(b.const(0, i64), shared, one)
        buffered = [op for op in root.walk() if isinstance(op, (g.IntersectOp, g.DifferenceOp, g.WithLabelOp))
                    and not _counted_only(op)]
        labels = asm.labels

        def chunk_body(b: LoopBuilder, c: SSAValue, ctx: Ctx) -> None:
            first = b.mul(c, size)
            end = b.min(b.add(first, size), n)
            if emits:  # [next row, end of this chunk's rows]: a row past the end is never written
                b.store(b.load(root.chunks, c), ctx.cursor, zero)
                b.store(b.load(root.chunks, b.add(c, one)), ctx.cursor, one)

            def vertex(b: LoopBuilder, v: SSAValue, total: SSAValue) -> SSAValue:
                block = root.body.block
                budget = None if limit is None else b.sub(b.const(limit, i64), total)

                def run(b: LoopBuilder) -> list[SSAValue]:
                    return [_block(b, block, {block.args[0]: v}, ctx, budget)]

                if root.label is not None:
                    wanted = b.cmp("eq", b.load(labels, v), b.const(root.label.value.data, i32))
                    return b.if_(wanted, run, lambda b: [b.const(0, i64)], types=[i64])[0]
                return run(b)[0]

            if limit is None:
                count = b.for_(first, end, [b.const(0, i64)], lambda b, v, t: [b.add(t, vertex(b, v, t))])[0]
            else:
                def more(b: LoopBuilder, v: SSAValue, t: SSAValue) -> SSAValue:
                    return b.and_(b.cmp("slt", v, end), b.cmp("slt", t, b.const(limit, i64)))

                count = b.while_([first, b.const(0, i64)], more,
                                 lambda b, v, t: [b.add(v, one), b.add(t, vertex(b, v, t))])[1]
                b.if_(b.cmp("sge", count, b.const(limit, i64)), lambda b: b.store(b.const(1, i64), shared, one))
            b.store(count, partial, c)

        def worker(b: LoopBuilder, w: SSAValue) -> None:
            bufs = {}
            for op in buffered:
                bufs[op] = b.alloc(i32, max_degree)
                bufs[op].name_hint = "set_buffer"
            cursor = b.alloc(i64, b.index(2)) if emits else None
            ctx = Ctx(indptr, indices, labels, bufs, cursor)
            if self.schedule == "dynamic":
                def take(b: LoopBuilder) -> SSAValue:
                    return b.cast(b.atomic_add(b.const(1, i64), shared, zero), zero.type)

                def more(b: LoopBuilder, c: SSAValue) -> SSAValue:
                    go = b.cmp("slt", c, chunks)
                    if limit is not None:  # another worker reached the limit
                        go = b.and_(go, b.cmp("eq", b.atomic_add(b.const(0, i64), shared, one), b.const(0, i64)))
                    return go

                def run(b: LoopBuilder, c: SSAValue) -> list[SSAValue]:
                    chunk_body(b, c, ctx)
                    return [take(b)]

                b.while_([take(b)], more, run)
            else:
                def cyclic(b: LoopBuilder, c: SSAValue) -> None:
                    if limit is None:
                        chunk_body(b, c, ctx)
                    else:
                        go = b.cmp("eq", b.load(shared, one), b.const(0, i64))
                        b.if_(go, lambda b: chunk_body(b, c, ctx))

                b.for_(w, chunks, [], lambda b, c: cyclic(b, c), step=workers)
            if cursor is not None:
                b.dealloc(cursor)
            for buf in bufs.values():
                b.dealloc(buf)

        if self.parallel:
            b.parallel(zero, workers, worker)
        else:
            b.for_(zero, workers, [], lambda b, w: worker(b, w))
        total = b.for_(zero, chunks, [b.const(0, i64)], lambda b, c, s: [b.add(s, b.load(partial, c))])[0]
        if given is None:
            b.dealloc(partial)
        b.dealloc(shared)
        root.result.replace_all_uses_with(total)
        root.detach()
        root.erase()


def _counted_only(op: Operation) -> bool:
    """An intersection whose result only reaches a count (size / empty), through exclusions."""
    if not isinstance(op, g.IntersectOp):
        return False
    value = op.result
    while value.uses.get_length() == 1:
        user = next(iter(value.uses)).operation
        if isinstance(user, (g.SizeOp, g.EmptyOp)):
            return True
        if not isinstance(user, g.ExcludeOp):
            return False
        value = user.result
    return False


def _block(b: LoopBuilder, block: Block, env: dict, ctx: Ctx, budget: SSAValue | None) -> SSAValue:
    """Emit ``block`` (a plan body) with ``env`` mapping its values; returns what it yields."""
    for op in block.ops:
        if isinstance(op, g.YieldOp):
            return env[op.value]
        if isinstance(op, g.EmitOp):
            _emit(b, op, env, ctx)
            continue
        if op.dialect_name() == "arith":
            clone = op.clone(value_mapper={v: env[v] for v in op.operands})
            b.insert(clone)
            env[op.results[0]] = clone.results[0]
            continue
        env[op.results[0]] = _op(b, op, env, ctx, budget)
    raise AssertionError("a graph body ends with graph.yield (verified)")


def _emit(b: LoopBuilder, op: g.EmitOp, env: dict, ctx: Ctx) -> None:
    zero = b.index(0)
    k = len(op.vertices)

    def write(b: LoopBuilder) -> None:
        row = b.load_index(ctx.cursor, zero)

        def store(b: LoopBuilder) -> None:
            for i, v in enumerate(op.vertices):
                b.store(b.cast(env[v], i32), op.rows, b.add(b.mul(row, b.index(k)), b.index(i)))
            b.store(b.add(row, b.index(1)), ctx.cursor, zero)

        b.if_(b.cmp("slt", row, b.load_index(ctx.cursor, b.index(1))), store)

    if op.when is None:
        write(b)
    else:
        b.if_(b.cmp("ne", env[op.when], b.const(0, i64)), write)


def _minus(values: list[SSAValue], absent: list[SSAValue]) -> list[SSAValue]:
    return [v for v in values if not any(v is a for a in absent)]


def _unique(values: list[SSAValue]) -> list[SSAValue]:
    out: list[SSAValue] = []
    for v in values:
        if not any(v is w for w in out):
            out.append(v)
    return out


def _op(b: LoopBuilder, op: Operation, env: dict, ctx: Ctx, budget: SSAValue | None):
    one = b.index(1)
    if isinstance(op, g.NeighboursOp):
        v = env[op.vertex]
        return Slice(ctx.indices, b.load_index(ctx.indptr, v), b.load_index(ctx.indptr, b.add(v, one)), [], [v])
    if isinstance(op, g.IntersectOp):
        x, y = env[op.lhs], env[op.rhs]
        if _counted_only(op):
            absent = _unique(x.absent + y.absent)
            return Lazy(x, y, _minus(_unique(x.excluded + y.excluded), absent), absent)
        return _intersect(b, x, y, ctx.bufs[op])
    if isinstance(op, g.DifferenceOp):
        return _difference(b, env[op.lhs], env[op.rhs], ctx.bufs[op])
    if isinstance(op, (g.AboveOp, g.BelowOp)):
        s, bound = env[op.set], env[op.bound]
        at = ctx.positions.get(op.bound)
        if at is not None and at[0] is s:  # the loop over s is at bound: the rest of s, no search
            pos = at[1]
            if isinstance(op, g.AboveOp):
                return s.cut(b.add(pos, one), s.hi, bound)
            return s.cut(s.lo, pos, bound)
        if isinstance(op, g.AboveOp):
            return s.cut(_search(b, s.buf, s.lo, s.hi, bound, strict=True), s.hi, bound)
        return s.cut(s.lo, _search(b, s.buf, s.lo, s.hi, bound, strict=False), bound)
    if isinstance(op, g.ExcludeOp):
        s = env[op.set]
        more = _minus(_unique(s.excluded + [env[v] for v in op.vertices]), s.absent)
        if isinstance(s, Lazy):
            return Lazy(s.x, s.y, more, s.absent)
        return Slice(s.buf, s.lo, s.hi, more, s.absent)
    if isinstance(op, g.WithLabelOp):
        return _with_label(b, env[op.set], ctx, op.label.value.data, ctx.bufs[op])
    if isinstance(op, g.SizeOp):
        return _size(b, env[op.set])
    if isinstance(op, g.EmptyOp):
        s = env[op.set]
        if isinstance(s, Lazy):  # the merge stops at the first common member
            return b.select(b.cmp("eq", _intersect_count(b, s.x, s.y, s.excluded, first_only=True), b.index(0)),
                            b.const(1, i64), b.const(0, i64))
        return b.select(b.cmp("eq", _size(b, s), b.const(0, i64)), b.const(1, i64), b.const(0, i64))
    if isinstance(op, g.ChooseOp):
        return _choose(b, _size(b, env[op.set]), op.r.value.data, op.ordered is not None)
    if isinstance(op, g.ForEachOp):
        return _for_each(b, op, env, ctx, budget)
    # graph.assemble and graph.for_vertices belong at function level, where LowerGraph.apply handles them
    raise DiagnosticException(f"lower-graph: {op.name} inside a loop body; the plan's root loop and the graph "
                              f"it reads must be at the function's top level")


def _for_each(b: LoopBuilder, op: g.ForEachOp, env: dict, ctx: Ctx, budget: SSAValue | None) -> SSAValue:
    s = env[op.set]
    body = op.body.block
    var = body.args[0]

    def member(b: LoopBuilder, p: SSAValue, total: SSAValue) -> SSAValue:
        x = b.load_index(s.buf, p)
        ctx.positions[var] = (s, p)
        inner = None if budget is None else b.sub(budget, total)
        skip = None
        for e in s.excluded:
            same = b.cmp("eq", x, e)
            skip = same if skip is None else b.or_(skip, same)
        if skip is None:
            found = _block(b, body, {**env, var: x}, ctx, inner)
        else:
            found = b.if_(skip, lambda b: [b.const(0, i64)],
                          lambda b: [_block(b, body, {**env, var: x}, ctx, inner)], types=[i64])[0]
        return b.add(total, found)

    if budget is None:
        return b.for_(s.lo, s.hi, [b.const(0, i64)], lambda b, p, t: [member(b, p, t)])[0]

    def more(b: LoopBuilder, p: SSAValue, t: SSAValue) -> SSAValue:
        return b.and_(b.cmp("slt", p, s.hi), b.cmp("slt", t, budget))

    return b.while_([s.lo, b.const(0, i64)], more, lambda b, p, t: [b.add(p, b.index(1)), member(b, p, t)])[1]


def _at(b: LoopBuilder, buf: SSAValue, at: SSAValue, hi: SSAValue, pred: str, x: SSAValue) -> SSAValue:
    """``at < hi and buf[at] <pred> x`` (i1), reading buf[at] only when at < hi."""
    return b.if_(b.cmp("slt", at, hi), lambda b: [b.cmp(pred, b.load(buf, at), x)],
                 lambda b: [b.const(False, I1)], types=[I1])[0]


def _present(b: LoopBuilder, s: Slice, x: SSAValue) -> SSAValue:
    """1 (index) when the sorted slice holds x."""
    at = _search(b, s.buf, s.lo, s.hi, x, strict=False)
    held = _at(b, s.buf, at, s.hi, "eq", b.cast(x, i32))
    return b.select(held, b.index(1), b.index(0))


def _size(b: LoopBuilder, s: Slice | Lazy) -> SSAValue:
    """The number of members (i64), without the excluded vertices."""
    if isinstance(s, Lazy):
        return b.cast(_intersect_count(b, s.x, s.y, s.excluded), i64)
    size = b.sub(s.hi, s.lo)
    for x in s.excluded:
        size = b.sub(size, _present(b, s, x))
    return b.cast(size, i64)


def _choose(b: LoopBuilder, n: SSAValue, r: int, ordered: bool) -> SSAValue:
    """C(n, r) (or n (n-1) ... (n-r+1)), exact at every step; 0 when n < r."""
    out = b.const(1, i64)
    for i in range(r):
        out = b.mul(out, b.max(b.sub(n, b.const(i, i64)), b.const(0, i64)))
        if not ordered:
            out = b.value(arith.DivSIOp(out, b.const(i + 1, i64)))
    return out


def _with_label(b: LoopBuilder, s: Slice, ctx: Ctx, label: int, out: SSAValue) -> Slice:
    want = b.const(label, i32)

    def keep(b: LoopBuilder, p: SSAValue, k: SSAValue) -> list[SSAValue]:
        x = b.load(s.buf, p)
        ok = b.cmp("eq", b.load(ctx.labels, b.cast(x, b.index(0).type)), want)
        b.if_(ok, lambda b: b.store(x, out, k))
        return [b.add(k, b.select(ok, b.index(1), b.index(0)))]

    k = b.for_(s.lo, s.hi, [b.index(0)], keep)[0]
    return Slice(out, b.index(0), k, s.excluded, s.absent)


def _search(b: LoopBuilder, buf: SSAValue, lo: SSAValue, hi: SSAValue, bound: SSAValue, strict: bool) -> SSAValue:
    """The first position in buf[lo:hi] holding a value > bound (``strict``) or >= bound: a binary search."""
    key = b.cast(bound, i32) if bound.type != i32 else bound

    def cond(b: LoopBuilder, lo: SSAValue, hi: SSAValue) -> SSAValue:
        return b.cmp("slt", lo, hi)

    def step(b: LoopBuilder, lo: SSAValue, hi: SSAValue) -> list[SSAValue]:
        mid = b.div_floor(b.add(lo, hi), b.index(2))
        below = b.cmp("sle" if strict else "slt", b.load(buf, mid), key)
        return [b.select(below, b.add(mid, b.index(1)), lo), b.select(below, hi, mid)]

    return b.while_([lo, hi], cond, step)[0]


def _is_excluded(b: LoopBuilder, a: SSAValue, excluded: list[SSAValue]) -> SSAValue | None:
    hit = None
    for e in excluded:
        same = b.cmp("eq", a, b.cast(e, i32))
        hit = same if hit is None else b.or_(hit, same)
    return hit


def _common(b: LoopBuilder, x: Slice, y: Slice, on_common, first_only: bool = False) -> SSAValue:
    """Walks x and y in order, calling ``on_common(b, a, hit, k)`` -> the next k for each candidate a (hit:
    whether y holds it too; no branch, so the merge does not mispredict); merges, or gallops the shorter
    through the longer when it is over GALLOP_RATIO times shorter. Returns k. ``first_only``: stop once k
    is 1 (whether any member is common)."""
    one, zero = b.index(1), b.index(0)
    nx, ny = b.sub(x.hi, x.lo), b.sub(y.hi, y.lo)
    ratio = b.index(GALLOP_RATIO)

    def more(b: LoopBuilder, go: SSAValue, k: SSAValue) -> SSAValue:
        return b.and_(go, b.cmp("eq", k, zero)) if first_only else go

    def merge(b: LoopBuilder) -> list[SSAValue]:
        def cond(b: LoopBuilder, i: SSAValue, j: SSAValue, k: SSAValue) -> SSAValue:
            return more(b, b.and_(b.cmp("slt", i, x.hi), b.cmp("slt", j, y.hi)), k)

        def step(b: LoopBuilder, i: SSAValue, j: SSAValue, k: SSAValue) -> list[SSAValue]:
            a, c = b.load(x.buf, i), b.load(y.buf, j)
            k = on_common(b, a, b.cmp("eq", a, c), k)
            return [b.add(i, b.select(b.cmp("sgt", a, c), zero, one)),
                    b.add(j, b.select(b.cmp("slt", a, c), zero, one)), k]

        return [b.while_([x.lo, y.lo, zero], cond, step)[2]]

    def gallop(small: Slice, large: Slice):
        def run(b: LoopBuilder) -> list[SSAValue]:
            def step(b: LoopBuilder, i: SSAValue, j: SSAValue, k: SSAValue) -> list[SSAValue]:
                a = b.load(small.buf, i)
                at = _search(b, large.buf, j, large.hi, a, strict=False)
                held = _at(b, large.buf, at, large.hi, "eq", a)
                k = on_common(b, a, held, k)
                return [b.add(i, one), at, k]

            def cond(b: LoopBuilder, i: SSAValue, j: SSAValue, k: SSAValue) -> SSAValue:
                return more(b, b.and_(b.cmp("slt", i, small.hi), b.cmp("slt", j, large.hi)), k)

            return [b.while_([small.lo, large.lo, zero], cond, step)[2]]
        return run

    x_short = b.cmp("slt", b.mul(nx, ratio), ny)
    y_short = b.cmp("slt", b.mul(ny, ratio), nx)
    return b.if_(x_short, gallop(x, y),
                 lambda b: b.if_(y_short, gallop(y, x), merge, types=[zero.type]), types=[zero.type])[0]


def _intersect(b: LoopBuilder, x: Slice, y: Slice, out: SSAValue) -> Slice:
    def store(b: LoopBuilder, a: SSAValue, hit: SSAValue, k: SSAValue) -> SSAValue:
        b.store(a, out, k)  # in bounds: k <= the members of x passed < |x| <= the buffer
        return b.add(k, b.select(hit, b.index(1), b.index(0)))

    k = _common(b, x, y, store)
    absent = _unique(x.absent + y.absent)
    return Slice(out, b.index(0), k, _minus(_unique(x.excluded + y.excluded), absent), absent)


def _intersect_count(b: LoopBuilder, x: Slice, y: Slice, excluded: list[SSAValue], first_only: bool = False
                     ) -> SSAValue:
    def count(b: LoopBuilder, a: SSAValue, hit: SSAValue, k: SSAValue) -> SSAValue:
        out = _is_excluded(b, a, excluded)
        if out is not None:
            hit = b.and_(hit, b.xor(out, b.const(True, I1)))
        return b.add(k, b.select(hit, b.index(1), b.index(0)))

    return _common(b, x, y, count, first_only)


def _difference(b: LoopBuilder, x: Slice, y: Slice, out: SSAValue) -> Slice:
    """x \\ y as a sorted merge into ``out``."""
    one, zero = b.index(1), b.index(0)

    def cond(b: LoopBuilder, i: SSAValue, j: SSAValue, k: SSAValue) -> SSAValue:
        return b.cmp("slt", i, x.hi)

    def step(b: LoopBuilder, i: SSAValue, j: SSAValue, k: SSAValue) -> list[SSAValue]:
        a = b.load(x.buf, i)

        # y's cursor moves past the values below a; a stays when y does not hold it
        def behind(b: LoopBuilder, jj: SSAValue) -> SSAValue:
            return _at(b, y.buf, jj, y.hi, "slt", a)

        j = b.while_([j], behind, lambda b, jj: [b.add(jj, one)])[0]
        held = _at(b, y.buf, j, y.hi, "eq", a)
        keep = b.xor(held, b.const(True, I1))
        b.if_(keep, lambda b: b.store(a, out, k))
        return [b.add(i, one), j, b.add(k, b.select(keep, one, zero))]

    k = b.while_([x.lo, y.lo, zero], cond, step)[2]
    return Slice(out, zero, k, _minus(_unique(x.excluded + y.excluded), x.absent), x.absent)


__all__ = ["LowerGraph"]
