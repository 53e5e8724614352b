"""``lower-graph``: ``graph``-dialect matching plans to loops over memrefs (scf / memref / arith).

A set becomes a slice ``(buffer, lo, hi)`` of sorted i32 vertex ids plus the vertices it excludes:
``graph.neighbours`` is a slice of the CSR neighbour lists (no copy); ``graph.intersect`` and
``graph.difference`` merge two sorted slices into a buffer of their own (one per op, as long as the
largest degree, allocated once per root-loop chunk); ``graph.above`` / ``graph.below`` move a slice end
by binary search; ``graph.exclude`` only records vertices, which ``graph.for_each`` skips and
``graph.size`` subtracts when a binary search finds them. The root loop runs over ``chunks`` vertex ranges
in ``scf.parallel`` (``parallel=false``: a serial loop), each chunk summing into its own slot.

```
graph.intersect  ->  scf.while (i < hi1 && j < hi2): a = s1[i]; b = s2[j]
                       a < b: i++ | a > b: j++ | else: out[k++] = a; i++; j++
```
"""

from __future__ import annotations

from dataclasses import dataclass, field

from xdsl.context import Context
from xdsl.dialects import builtin, func
from xdsl.dialects.builtin import IntegerType, i32, i64
from xdsl.ir import Block, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import DiagnosticException

from ircc.ir.builder import LoopBuilder
from ircc.ir.dialects import graph as g

I1 = IntegerType(1)


@dataclass
class Slice:
    buf: SSAValue
    lo: SSAValue
    hi: SSAValue
    excluded: list[SSAValue] = field(default_factory=list)


@dataclass(frozen=True)
class LowerGraph(ModulePass):
    name = "lower-graph"

    parallel: bool = True
    chunks: int = 256

    def apply(self, ctx: Context, op: builtin.ModuleOp) -> None:
        for fn in [f for f in op.ops if isinstance(f, func.FuncOp)]:
            graphs: dict[SSAValue, tuple[SSAValue, SSAValue, SSAValue]] = {}
            for inner in list(fn.walk()):
                if isinstance(inner, g.AssembleOp):
                    graphs[inner.result] = (inner.indptr, inner.indices, inner.n)
                elif isinstance(inner, g.ForVerticesOp):
                    self._root(inner, graphs[inner.graph])
            for inner in list(fn.walk()):
                if isinstance(inner, g.AssembleOp):
                    inner.detach()
                    inner.erase()

    def _root(self, root: g.ForVerticesOp, parts: tuple[SSAValue, SSAValue, SSAValue]) -> None:
        indptr, indices, n = parts
        b = LoopBuilder.before(root)
        one = b.index(1)

        def degree(b: LoopBuilder, v: SSAValue, best: SSAValue) -> list[SSAValue]:
            return [b.max(best, b.sub(b.load_index(indptr, b.add(v, one)), b.load_index(indptr, v)))]

        max_degree = b.max(b.for_(b.index(0), n, [b.index(0)], degree)[0], one)
        max_degree.name_hint = "max_degree"
        chunks = b.max(b.min(n, b.index(self.chunks)), one)
        partial = b.alloc(i64, chunks)
        partial.name_hint = "partial_counts"
        buffered = [op for op in root.walk() if isinstance(op, (g.IntersectOp, g.DifferenceOp))]

        def chunk(b: LoopBuilder, c: SSAValue) -> None:
            first = b.div_floor(b.mul(c, n), chunks)
            end = b.div_floor(b.mul(b.add(c, one), n), chunks)
            bufs = {}
            for op in buffered:
                bufs[op] = b.alloc(i32, max_degree)
                bufs[op].name_hint = "set_buffer"

            def vertex(b: LoopBuilder, v: SSAValue, total: SSAValue) -> list[SSAValue]:
                found = _block(b, root.body.block, {root.body.block.args[0]: v}, indptr, indices, bufs)
                return [b.add(total, found)]

            b.store(b.for_(first, end, [b.const(0, i64)], vertex)[0], partial, c)
            for buf in bufs.values():
                b.dealloc(buf)

        if self.parallel:
            b.parallel(b.index(0), chunks, chunk)
        else:
            b.for_(b.index(0), chunks, [], lambda b, c: chunk(b, c))
        total = b.for_(b.index(0), chunks, [b.const(0, i64)], lambda b, c, s: [b.add(s, b.load(partial, c))])[0]
        b.dealloc(partial)
        root.result.replace_all_uses_with(total)
        root.detach()
        root.erase()


def _block(b: LoopBuilder, block: Block, env: dict, indptr: SSAValue, indices: SSAValue, bufs: dict) -> SSAValue:
    """Emit ``block`` (a plan body) with ``env`` mapping its values; returns what it yields."""
    for op in block.ops:
        if isinstance(op, g.YieldOp):
            return env[op.value]
        env[_result(op)] = _op(b, op, env, indptr, indices, bufs)
    raise AssertionError("a graph body ends with graph.yield (verified)")


def _result(op: Operation) -> SSAValue:
    return op.results[0]


def _op(b: LoopBuilder, op: Operation, env: dict, indptr, indices, bufs):
    one = b.index(1)
    if isinstance(op, g.NeighboursOp):
        v = env[op.vertex]
        return Slice(indices, b.load_index(indptr, v), b.load_index(indptr, b.add(v, one)))
    if isinstance(op, g.IntersectOp):
        return _merge(b, env[op.lhs], env[op.rhs], bufs[op], keep_common=True)
    if isinstance(op, g.DifferenceOp):
        return _merge(b, env[op.lhs], env[op.rhs], bufs[op], keep_common=False)
    if isinstance(op, g.AboveOp):
        s = env[op.set]
        return Slice(s.buf, _search(b, s, env[op.bound], strict=True), s.hi, s.excluded)
    if isinstance(op, g.BelowOp):
        s = env[op.set]
        return Slice(s.buf, s.lo, _search(b, s, env[op.bound], strict=False), s.excluded)
    if isinstance(op, g.ExcludeOp):
        s = env[op.set]
        return Slice(s.buf, s.lo, s.hi, s.excluded + [env[v] for v in op.vertices])
    if isinstance(op, g.SizeOp):
        s = env[op.set]
        size = b.sub(s.hi, s.lo)
        for x in s.excluded:
            at = _search(b, s, x, strict=False)
            present = b.if_(b.cmp("slt", at, s.hi), lambda b: [b.cmp("eq", b.load(s.buf, at), b.cast(x, i32))],
                            lambda b: [b.const(False, I1)], types=[I1])[0]
            size = b.sub(size, b.select(present, one, b.index(0)))
        return b.cast(size, i64)
    if isinstance(op, g.ForEachOp):
        s = env[op.set]
        body = op.body.block

        def member(b: LoopBuilder, p: SSAValue, total: SSAValue) -> list[SSAValue]:
            x = b.load_index(s.buf, p)
            skip = None
            for e in s.excluded:
                same = b.cmp("eq", x, e)
                skip = same if skip is None else b.or_(skip, same)
            if skip is None:
                return [b.add(total, _block(b, body, {**env, body.args[0]: x}, indptr, indices, bufs))]
            found = b.if_(skip, lambda b: [b.const(0, i64)],
                          lambda b: [_block(b, body, {**env, body.args[0]: x}, indptr, indices, bufs)], types=[i64])[0]
            return [b.add(total, found)]

        return b.for_(s.lo, s.hi, [b.const(0, i64)], member)[0]
    # graph.assemble and graph.for_vertices belong at function level, where LowerGraph.apply handles them
    raise DiagnosticException(f"lower-graph: {op.name} inside a loop body; the plan's root loop and the graph "
                              f"it reads must be at the function's top level")


def _search(b: LoopBuilder, s: Slice, bound: SSAValue, strict: bool) -> SSAValue:
    """The first position in s holding a value > bound (``strict``) or >= bound: a binary search."""
    key = b.cast(bound, i32)

    def cond(b: LoopBuilder, lo: SSAValue, hi: SSAValue) -> SSAValue:
        return b.cmp("slt", lo, hi)

    def step(b: LoopBuilder, lo: SSAValue, hi: SSAValue) -> list[SSAValue]:
        mid = b.div_floor(b.add(lo, hi), b.index(2))
        below = b.cmp("sle" if strict else "slt", b.load(s.buf, mid), key)
        return [b.select(below, b.add(mid, b.index(1)), lo), b.select(below, hi, mid)]

    return b.while_([s.lo, s.hi], cond, step)[0]


def _merge(b: LoopBuilder, x: Slice, y: Slice, out: SSAValue, keep_common: bool) -> Slice:
    """x ∩ y (``keep_common``) or x \\ y, as a sorted merge into ``out``."""
    one, zero = b.index(1), b.index(0)

    def cond(b: LoopBuilder, i: SSAValue, j: SSAValue, k: SSAValue) -> SSAValue:
        if keep_common:
            return b.and_(b.cmp("slt", i, x.hi), b.cmp("slt", j, y.hi))
        return b.cmp("slt", i, x.hi)

    def step(b: LoopBuilder, i: SSAValue, j: SSAValue, k: SSAValue) -> list[SSAValue]:
        a = b.load(x.buf, i)
        if keep_common:
            c = b.load(y.buf, j)
            less, more = b.cmp("slt", a, c), b.cmp("sgt", a, c)
            equal = b.cmp("eq", a, c)
            b.if_(equal, lambda b: b.store(a, out, k))
            step_i = b.select(more, zero, one)
            step_j = b.select(less, zero, one)
            return [b.add(i, step_i), b.add(j, step_j), b.add(k, b.select(equal, one, zero))]
        # difference: y's cursor moves past the values below a; a stays when y does not hold it
        def behind(b: LoopBuilder, jj: SSAValue) -> SSAValue:
            return b.if_(b.cmp("slt", jj, y.hi), lambda b: [b.cmp("slt", b.load(y.buf, jj), a)],
                         lambda b: [b.const(False, I1)], types=[I1])[0]

        j = b.while_([j], behind, lambda b, jj: [b.add(jj, one)])[0]
        held = b.if_(b.cmp("slt", j, y.hi), lambda b: [b.cmp("eq", b.load(y.buf, j), a)],
                     lambda b: [b.const(False, I1)], types=[I1])[0]
        keep = b.xor(held, b.const(True, I1))
        b.if_(keep, lambda b: b.store(a, out, k))
        return [b.add(i, one), j, b.add(k, b.select(keep, one, zero))]

    k = b.while_([x.lo, y.lo, zero], cond, step)[2]
    return Slice(out, zero, k, x.excluded + y.excluded)


__all__ = ["LowerGraph"]
