"""SpGEMM, strategy ``spa``: Gustavson's row-wise product with a dense accumulator, in two phases.

For each row i of C = A @ B, every A[i, k] scales row k of B into a dense accumulator ``acc[0:n]``;
``mark[j] == i`` says column j is already in row i (so the accumulator is never cleared: the marker
moves on with the row, MLIR sparse_tensor's expand/compress with a row tag). Phase 1 (symbolic) counts
each row's distinct columns with the marker into ``C.indptr``, an exclusive scan gives the offsets and
the output is allocated exactly; phase 2 (numeric) collects each row's columns in discovery order,
sorts them (``sorted``) and gathers the values. Rows are independent: phase 1 and 2 can run their rows
in parallel: both phases run over row partitions of about equal flops (``flop_partitions``) in
``scf.parallel``, each partition with its own marker and accumulator.

```
symbolic:  for i: for p in A[i]: for q in B[A.col[p]]: if mark[j] != i: mark[j] = i; count += 1
numeric:   for i: for p, q: if mark[j] != i: mark[j] = i; acc[j] = a*b; C.col[pos++] = j
                              else: acc[j] = acc[j] + a*b
           sort C.col[start:pos]; for p in start..pos: C.val[p] = acc[C.col[p]]
```
"""

from __future__ import annotations

from xdsl.dialects import func
from xdsl.dialects.builtin import IntegerType
from xdsl.ir import SSAValue

from ircc.ir.builder import INDEX, LoopBuilder
from ircc.passes.sparse_common import (
    Mask,
    MaskMarker,
    Parts,
    numeric_rows,
    row_range,
    sr_add,
    sr_mul,
    tag_type,
)
from ircc.passes.sparse_output import plan_output


#: a row with more than BITMAP_MIN entries is sorted through a two-level bitmap; shorter ones by the row sort
BITMAP_MIN = 16
I64 = IntegerType(64)


class SpaRows:
    """The numeric phase of one partition: its marker and dense accumulator, and ``row(b, i)``."""

    def __init__(self, b: LoopBuilder, a: Parts, bm: Parts, out: Parts, *, semiring: str, value_type,
                 sort_fn: str | None, mask: Mask | None, masks: MaskMarker | None = None):
        self.a, self.bm, self.out, self.semiring, self.sort_fn = a, bm, out, semiring, sort_fn
        n = bm.ncols
        self.tag_t = tag_type(a)
        self.mark = b.alloc(self.tag_t, n)
        self.mark.name_hint = "mark"
        b.fill(self.mark, b.const(-1, self.tag_t), n)
        self.acc = b.alloc(value_type, n)
        self.acc.name_hint = "acc"
        self.own_masks = masks is None
        self.masks = masks if masks is not None else MaskMarker(b, mask, n, self.tag_t)
        self.bits = self.summary = None
        if sort_fn is not None:  # bit j of bits: column j is in the row; bit w of summary: word w is not 0
            words = b.div_floor(b.add(n, b.index(63)), b.index(64))
            self.nsummary = b.div_floor(b.add(words, b.index(63)), b.index(64))
            self.bits, self.summary = b.alloc(I64, words), b.alloc(I64, self.nsummary)
            self.bits.name_hint, self.summary.name_hint = "bits", "bits_summary"
            b.fill(self.bits, b.const(0, I64), words)
            b.fill(self.summary, b.const(0, I64), self.nsummary)

    def row(self, b: LoopBuilder, i: SSAValue, masked_row_started: bool = False) -> SSAValue:
        """Row i of C, written from ``out.indptr[i]``; returns where it ends."""
        a, bm, out, mark, acc, masks = self.a, self.bm, self.out, self.mark, self.acc, self.masks
        if not masked_row_started:
            masks.start_row(b, i)
        tag = b.cast(i, self.tag_t)
        tag.name_hint = "tag"
        lo, hi = row_range(b, a.indptr, i)
        start = b.load_index(out.indptr, i)

        def over_a(b: LoopBuilder, p: SSAValue, pos: SSAValue) -> list[SSAValue]:
            k = b.load_index(a.indices, p)
            av = b.load(a.values, p)
            blo, bhi = row_range(b, bm.indptr, k)

            def over_b(b: LoopBuilder, q: SSAValue, pos: SSAValue) -> list[SSAValue]:
                j = b.load_index(bm.indices, q)
                j.name_hint = "j"
                prod = sr_mul(b, self.semiring, av, b.load(bm.values, q))
                seen = b.cmp("eq", b.load(mark, j), tag)

                def update(b: LoopBuilder) -> list[SSAValue]:
                    b.store(sr_add(b, self.semiring, b.load(acc, j), prod), acc, j)
                    return [pos]

                def insert(b: LoopBuilder) -> list[SSAValue]:
                    b.store(tag, mark, j)
                    b.store(prod, acc, j)
                    b.store(j, out.indices, pos)
                    return [b.add(pos, b.index(1))]

                def accumulate(b: LoopBuilder) -> list[SSAValue]:
                    return b.if_(seen, update, insert, types=[INDEX])

                allowed = masks.allowed(b, i, j)
                if allowed is None:
                    return accumulate(b)
                return b.if_(allowed, accumulate, lambda b: [pos], types=[INDEX])

            return b.for_(blo, bhi, [pos], over_b)

        row_end = b.for_(lo, hi, [start], over_a)[0]
        if self.sort_fn is not None:
            k = b.sub(row_end, start)
            b.if_(b.cmp("sle", k, b.index(BITMAP_MIN)),
                  lambda b: b.insert(func.CallOp(self.sort_fn, [out.indices, start, row_end], [])),
                  lambda b: self._bitmap_sort(b, start, row_end))
        b.for_(start, row_end, [], lambda b, p: b.store(b.load(acc, b.load_index(out.indices, p)), out.values, p))
        return row_end

    def _bitmap_sort(self, b: LoopBuilder, start: SSAValue, end: SSAValue) -> None:
        """Sort ``C.col[start:end]`` by setting each column's bit, then reading the bits back in order: the
        summary's set bits name the nonzero words between the row's first and last, ``cttz`` finds each
        set bit. Every word read is cleared, so the bitmap is zero again for the next row."""
        out, bits, summary = self.out, self.bits, self.summary
        six, low6, one = b.const(6, I64), b.const(63, I64), b.const(1, I64)
        zero = b.const(0, I64)

        def set_bit(b: LoopBuilder, p: SSAValue, first: SSAValue, last: SSAValue) -> list[SSAValue]:
            j = b.cast(b.load(out.indices, p), I64)
            w = b.shr(j, six)
            wi = b.cast(w, INDEX)
            b.store(b.or_(b.load(bits, wi), b.shl(one, b.and_(j, low6))), bits, wi)
            s = b.cast(b.shr(w, six), INDEX)
            b.store(b.or_(b.load(summary, s), b.shl(one, b.and_(w, low6))), summary, s)
            return [b.min(first, s), b.max(last, s)]

        first, last = b.for_(start, end, [self.nsummary, b.index(0)], set_bit)

        def bits_of(b: LoopBuilder, word: SSAValue, base: SSAValue, pos: SSAValue, emit) -> SSAValue:
            """``emit(b, base * 64 + t, pos)`` for each set bit t of ``word``, lowest first; returns pos."""
            def cond(b: LoopBuilder, rest: SSAValue, pos: SSAValue) -> SSAValue:
                return b.cmp("ne", rest, zero)

            def step(b: LoopBuilder, rest: SSAValue, pos: SSAValue) -> list[SSAValue]:
                at = b.add(b.shl(base, six), b.cttz(rest))
                return [b.and_(rest, b.sub(rest, one)), emit(b, at, pos)]

            return b.while_([word, pos], cond, step)[1]

        def column(b: LoopBuilder, j: SSAValue, pos: SSAValue) -> SSAValue:
            b.store(j, out.indices, pos)
            return b.add(pos, b.index(1))

        def word(b: LoopBuilder, w: SSAValue, pos: SSAValue) -> SSAValue:
            wi = b.cast(w, INDEX)
            value = b.load(bits, wi)
            b.store(zero, bits, wi)
            return bits_of(b, value, w, pos, column)

        def summary_word(b: LoopBuilder, s: SSAValue, pos: SSAValue) -> list[SSAValue]:
            value = b.load(summary, s)
            b.store(zero, summary, s)
            return [bits_of(b, value, b.cast(s, I64), pos, word)]

        b.for_(first, b.add(last, b.index(1)), [start], summary_word)

    def free(self, b: LoopBuilder) -> None:
        b.dealloc(self.mark)
        b.dealloc(self.acc)
        if self.bits is not None:
            b.dealloc(self.bits)
            b.dealloc(self.summary)
        if self.own_masks:
            self.masks.free(b)


def emit_spa(b: LoopBuilder, a: Parts, bm: Parts, *, semiring: str, index_type, value_type, sorted: bool,
             sort_fn: str | None, parallel: bool = True, parts: int = 16, mask: Mask | None = None,
             phases: int = 2) -> Parts:
    plan = plan_output(b, a, bm, index_type=index_type, value_type=value_type, parallel=parallel, parts=parts,
                       mask=mask, phases=phases)
    numeric_rows(b, plan.bounds, plan.count, parallel,
                 lambda b: SpaRows(b, a, bm, plan.rows, semiring=semiring, value_type=value_type,
                                   sort_fn=sort_fn if sorted else None, mask=mask),
                 record=plan.record)
    return plan.finish(b)
