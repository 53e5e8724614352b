"""SpGEMM, strategy ``heap``: each row of C is a k-way merge of the rows of B its entries select.

Row i of C = sum over the entries A[i, k] of A[i, k] * B[k, :]. The rows of B are sorted, so a binary
min-heap over one cursor per entry of A's row (keyed by the cursor's column) yields the products in
column order: equal columns come out together and are combined on the spot, and the row is sorted
without a sort. The work is flops * log2(nnz(A[i, :])) comparisons, no accumulator of n entries: the
strategy for rows with few entries (most rows of most matrices); SPA wins on rows with many.

The symbolic phase (each row's distinct columns) is SPA's marker count; the numeric phase merges.
Scratch per partition (``scf.parallel`` over flop-balanced row partitions): the heap's columns and
sources, and the cursors, each as long as the longest row of A.

```
numeric, row i (a = nnz(A[i, :])):
  for t < a: cur[t], end[t] = B.indptr[A.col[t]], B.indptr[A.col[t] + 1]; push (B.col[cur[t]], t)
  while heap: (j, t) = top; v = A.val[t] * B.val[cur[t]]
              if j == last: C.val[pos-1] += v else: C.col[pos], C.val[pos] = j, v; pos += 1
              cur[t] += 1; replace top by (B.col[cur[t]], t), or pop; sift down
```
"""

from __future__ import annotations

from xdsl.dialects.builtin import IntegerType
from xdsl.ir import SSAValue

from ircc.ir.builder import INDEX, LoopBuilder
from ircc.passes.sparse_common import (
    Mask,
    MaskMarker,
    Parts,
    max_row_length,
    numeric_rows,
    tag_type,
    row_range,
    sr_add,
    sr_mul,
)
from ircc.passes.sparse_output import plan_output

I1 = IntegerType(1)


class HeapRows:
    """The numeric phase of one partition: the heap and cursors (as long as A's longest row) and ``row``."""

    def __init__(self, b: LoopBuilder, a: Parts, bm: Parts, out: Parts, *, semiring: str, width: SSAValue,
                 mask: Mask | None, masks: MaskMarker | None = None):
        self.a, self.bm, self.out, self.semiring = a, bm, out, semiring
        self.hcol, self.hsrc = b.alloc(INDEX, width), b.alloc(INDEX, width)
        self.cur, self.stop = b.alloc(INDEX, width), b.alloc(INDEX, width)
        for v, hint in ((self.hcol, "heap_col"), (self.hsrc, "heap_src"), (self.cur, "cursor"), (self.stop, "stop")):
            v.name_hint = hint
        self.own_masks = masks is None
        self.masks = masks if masks is not None else MaskMarker(b, mask, bm.ncols, tag_type(a))

    def _swap(self, b: LoopBuilder, x: SSAValue, y: SSAValue, xcol: SSAValue, ycol: SSAValue) -> None:
        """Exchange heap entries x and y (their columns already loaded)."""
        xs, ys = b.load(self.hsrc, x), b.load(self.hsrc, y)
        b.store(ycol, self.hcol, x)
        b.store(ys, self.hsrc, x)
        b.store(xcol, self.hcol, y)
        b.store(xs, self.hsrc, y)

    def _sift_down(self, b: LoopBuilder, size: SSAValue) -> None:
        """Restore the heap property from the root (the entry at 0 may be too big)."""
        hcol, one = self.hcol, b.index(1)

        def cond(b: LoopBuilder, r: SSAValue, done: SSAValue) -> SSAValue:
            child = b.add(b.mul(r, b.index(2)), one)
            return b.and_(b.cmp("slt", child, size), b.xor(done, b.const(True, I1)))

        def body(b: LoopBuilder, r: SSAValue, done: SSAValue) -> list[SSAValue]:
            child = b.add(b.mul(r, b.index(2)), one)
            right = b.add(child, one)
            smaller = b.if_(b.cmp("slt", right, size), lambda b: [b.select(
                b.cmp("slt", b.load(hcol, right), b.load(hcol, child)), right, child)],
                lambda b: [child], types=[INDEX])[0]
            rc, sc = b.load(hcol, r), b.load(hcol, smaller)

            def swap(b: LoopBuilder) -> list[SSAValue]:
                self._swap(b, r, smaller, rc, sc)
                return [smaller, b.const(False, I1)]

            return b.if_(b.cmp("sgt", rc, sc), swap, lambda b: [r, b.const(True, I1)], types=[INDEX, I1])

        b.while_([b.index(0), b.const(False, I1)], cond, body)

    def _sift_up(self, b: LoopBuilder, at: SSAValue) -> None:
        hcol, one = self.hcol, b.index(1)

        def cond(b: LoopBuilder, c: SSAValue, done: SSAValue) -> SSAValue:
            return b.and_(b.cmp("sgt", c, b.index(0)), b.xor(done, b.const(True, I1)))

        def body(b: LoopBuilder, c: SSAValue, done: SSAValue) -> list[SSAValue]:
            parent = b.div_floor(b.sub(c, one), b.index(2))
            cc, pc = b.load(hcol, c), b.load(hcol, parent)

            def swap(b: LoopBuilder) -> list[SSAValue]:
                self._swap(b, c, parent, cc, pc)
                return [parent, b.const(False, I1)]

            return b.if_(b.cmp("slt", cc, pc), swap, lambda b: [c, b.const(True, I1)], types=[INDEX, I1])

        b.while_([at, b.const(False, I1)], cond, body)

    def row(self, b: LoopBuilder, i: SSAValue, masked_row_started: bool = False) -> SSAValue:
        """Row i of C, written from ``out.indptr[i]``; returns where it ends."""
        a, bm, out, masks = self.a, self.bm, self.out, self.masks
        hcol, hsrc, cur, stop = self.hcol, self.hsrc, self.cur, self.stop
        one = b.index(1)
        if not masked_row_started:
            masks.start_row(b, i)
        lo, hi = row_range(b, a.indptr, i)

        def start(b: LoopBuilder, p: SSAValue, size: SSAValue) -> list[SSAValue]:
            t = b.sub(p, lo)
            blo, bhi = row_range(b, bm.indptr, b.load_index(a.indices, p))
            b.store(blo, cur, t)
            b.store(bhi, stop, t)

            def push(b: LoopBuilder) -> list[SSAValue]:
                b.store(b.load_index(bm.indices, blo), hcol, size)
                b.store(t, hsrc, size)
                self._sift_up(b, size)
                return [b.add(size, one)]

            return b.if_(b.cmp("slt", blo, bhi), push, lambda b: [size], types=[INDEX])

        size0 = b.for_(lo, hi, [b.index(0)], start)[0]
        pos0 = b.load_index(out.indptr, i)

        def cond(b: LoopBuilder, size: SSAValue, pos: SSAValue, last: SSAValue) -> SSAValue:
            return b.cmp("sgt", size, b.index(0))

        def step(b: LoopBuilder, size: SSAValue, pos: SSAValue, last: SSAValue) -> list[SSAValue]:
            j, t = b.load(hcol, b.index(0)), b.load(hsrc, b.index(0))
            q = b.load(cur, t)
            v = sr_mul(b, self.semiring, b.load(a.values, b.add(lo, t)), b.load(bm.values, q))

            def combine(b: LoopBuilder) -> list[SSAValue]:
                at = b.sub(pos, one)
                b.store(sr_add(b, self.semiring, b.load(out.values, at), v), out.values, at)
                return [pos]

            def emit(b: LoopBuilder) -> list[SSAValue]:
                b.store(j, out.indices, pos)
                b.store(v, out.values, pos)
                return [b.add(pos, one)]

            allowed = masks.allowed(b, i, j)
            if allowed is None:
                new_pos = b.if_(b.cmp("eq", j, last), combine, emit, types=[INDEX])[0]
                new_last = j
            else:  # a column the mask excludes is skipped, and does not become the last one written
                new_pos = b.if_(allowed, lambda b: b.if_(b.cmp("eq", j, last), combine, emit, types=[INDEX]),
                                lambda b: [pos], types=[INDEX])[0]
                new_last = b.select(allowed, j, last)
            nq = b.add(q, one)
            b.store(nq, cur, t)

            def advance(b: LoopBuilder) -> list[SSAValue]:
                b.store(b.load_index(bm.indices, nq), hcol, b.index(0))
                return [size]

            def drop(b: LoopBuilder) -> list[SSAValue]:
                smaller = b.sub(size, one)
                b.store(b.load(hcol, smaller), hcol, b.index(0))
                b.store(b.load(hsrc, smaller), hsrc, b.index(0))
                return [smaller]

            new_size = b.if_(b.cmp("slt", nq, b.load(stop, t)), advance, drop, types=[INDEX])[0]
            self._sift_down(b, new_size)
            return [new_size, new_pos, new_last]

        return b.while_([size0, pos0, b.index(-1)], cond, step)[1]

    def free(self, b: LoopBuilder) -> None:
        for scratch in (self.hcol, self.hsrc, self.cur, self.stop):
            b.dealloc(scratch)
        if self.own_masks:
            self.masks.free(b)


def emit_heap(b: LoopBuilder, a: Parts, bm: Parts, *, semiring: str, index_type, value_type,
              parallel: bool = True, parts: int = 16, mask: Mask | None = None, phases: int = 2) -> Parts:
    plan = plan_output(b, a, bm, index_type=index_type, value_type=value_type, parallel=parallel, parts=parts,
                       mask=mask, phases=phases)
    width = b.max(max_row_length(b, a), b.index(1))
    numeric_rows(b, plan.bounds, plan.count, parallel,
                 lambda b: HeapRows(b, a, bm, plan.rows, semiring=semiring, width=width, mask=mask),
                 record=plan.record)
    return plan.finish(b)
