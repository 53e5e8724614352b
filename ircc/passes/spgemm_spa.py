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
from xdsl.ir import SSAValue

from ircc.ir.builder import INDEX, LoopBuilder
from ircc.passes.sparse_common import (
    Mask,
    MaskMarker,
    Parts,
    count_columns,
    exclusive_scan,
    flop_partitions,
    over_partitions,
    tag_type,
    row_range,
    sr_add,
    sr_mul,
)


#: a row with k entries is sorted by scanning the marker when k * DENSE_ROW_FACTOR >= n
DENSE_ROW_FACTOR = 16


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

    def row(self, b: LoopBuilder, i: SSAValue, masked_row_started: bool = False) -> None:
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
            # a row covering a good part of the columns is sorted by scanning the marker in column
            # order (n steps, sequential); a sparser one by the row sort (k log k)
            k = b.sub(row_end, start)
            dense = b.cmp("sge", b.mul(k, b.index(DENSE_ROW_FACTOR)), bm.ncols)

            def scan(b: LoopBuilder) -> None:
                def column(b: LoopBuilder, j: SSAValue, pos: SSAValue) -> list[SSAValue]:
                    hit = b.cmp("eq", b.load(mark, j), tag)
                    b.if_(hit, lambda b: b.store(j, out.indices, pos))
                    return [b.add(pos, b.select(hit, b.index(1), b.index(0)))]

                b.for_(b.index(0), bm.ncols, [start], column)

            b.if_(dense, scan, lambda b: b.insert(func.CallOp(self.sort_fn, [out.indices, start, row_end], [])))
        b.for_(start, row_end, [], lambda b, p: b.store(b.load(acc, b.load_index(out.indices, p)), out.values, p))

    def free(self, b: LoopBuilder) -> None:
        b.dealloc(self.mark)
        b.dealloc(self.acc)
        if self.own_masks:
            self.masks.free(b)


def symbolic(b: LoopBuilder, a: Parts, bm: Parts, *, index_type, value_type, parallel: bool, parts: int,
             mask: Mask | None) -> tuple[Parts, SSAValue, SSAValue]:
    """C's row pointers (counted per partition), its exact indices and values arrays, and the partitions."""
    m, n = a.nrows, bm.ncols
    cptr = b.alloc(index_type, b.add(m, b.index(1)))
    cptr.name_hint = "c_indptr"
    bounds, count, _ = flop_partitions(b, a, bm, parts)
    over_partitions(b, bounds, count, parallel,
                    lambda b, first, end: count_columns(b, a, bm, n, cptr, first, end, mask))
    nnz = exclusive_scan(b, cptr, m)
    cidx = b.alloc(index_type, nnz)
    cval = b.alloc(value_type, nnz)
    nnz.name_hint, cidx.name_hint, cval.name_hint = "nnz", "c_indices", "c_values"
    return Parts(cptr, cidx, cval, m, n), bounds, count


def emit_spa(b: LoopBuilder, a: Parts, bm: Parts, *, semiring: str, index_type, value_type, sorted: bool,
             sort_fn: str | None, parallel: bool = True, parts: int = 16, mask: Mask | None = None) -> Parts:
    out, bounds, count = symbolic(b, a, bm, index_type=index_type, value_type=value_type, parallel=parallel,
                                  parts=parts, mask=mask)

    def fill_rows(b: LoopBuilder, first: SSAValue, end: SSAValue) -> None:
        rows = SpaRows(b, a, bm, out, semiring=semiring, value_type=value_type,
                       sort_fn=sort_fn if sorted else None, mask=mask)

        def fill_row(b: LoopBuilder, i: SSAValue) -> None:
            i.name_hint = "i"
            rows.row(b, i)

        b.for_(first, end, [], fill_row)
        rows.free(b)

    over_partitions(b, bounds, count, parallel, fill_rows)
    b.dealloc(bounds)
    return out
