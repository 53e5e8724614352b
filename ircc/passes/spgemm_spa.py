"""SpGEMM, strategy ``spa``: Gustavson's row-wise product with a dense accumulator, in two phases.

For each row i of C = A @ B, every A[i, k] scales row k of B into a dense accumulator ``acc[0:n]``;
``mark[j] == i`` says column j is already in row i (so the accumulator is never cleared: the marker
moves on with the row, MLIR sparse_tensor's expand/compress with a row tag). Phase 1 (symbolic) counts
each row's distinct columns with the marker into ``C.indptr``, an exclusive scan gives the offsets and
the output is allocated exactly; phase 2 (numeric) collects each row's columns in discovery order,
sorts them (``sorted``) and gathers the values. Rows are independent: phase 1 and 2 can run their rows
in parallel given a marker and accumulator per thread (a later step).

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
from ircc.passes.sparse_common import Parts, exclusive_scan, row_range, sr_add, sr_mul


def emit_spa(b: LoopBuilder, a: Parts, bm: Parts, *, semiring: str, index_type, value_type, sorted: bool,
             sort_fn: str | None) -> Parts:
    m, n = a.nrows, bm.ncols
    one = b.index(1)
    cptr = b.alloc(index_type, b.add(m, one))
    mark = b.alloc(INDEX, n)
    acc = b.alloc(value_type, n)
    for v, hint in ((cptr, "c_indptr"), (mark, "mark"), (acc, "acc")):
        v.name_hint = hint
    b.fill(mark, b.index(-1), n)

    # -- phase 1: distinct columns per row -------------------------------------------------
    def count_row(b: LoopBuilder, i: SSAValue) -> None:
        i.name_hint = "i"
        lo, hi = row_range(b, a.indptr, i)

        def over_a(b: LoopBuilder, p: SSAValue, count: SSAValue) -> list[SSAValue]:
            k = b.load_index(a.indices, p)
            blo, bhi = row_range(b, bm.indptr, k)

            def over_b(b: LoopBuilder, q: SSAValue, count: SSAValue) -> list[SSAValue]:
                j = b.load_index(bm.indices, q)
                j.name_hint = "j"
                new = b.cmp("ne", b.load(mark, j), i)
                b.if_(new, lambda b: b.store(i, mark, j))
                return [b.add(count, b.select(new, b.index(1), b.index(0)))]

            return b.for_(blo, bhi, [count], over_b)

        count = b.for_(lo, hi, [b.index(0)], over_a)[0]
        b.store(count, cptr, b.add(i, b.index(1)))

    b.for_(b.index(0), m, [], count_row)
    nnz = exclusive_scan(b, cptr, m)
    cidx = b.alloc(index_type, nnz)
    cval = b.alloc(value_type, nnz)
    nnz.name_hint, cidx.name_hint, cval.name_hint = "nnz", "c_indices", "c_values"
    b.fill(mark, b.index(-1), n)

    # -- phase 2: values ----------------------------------------------------------------------
    def fill_row(b: LoopBuilder, i: SSAValue) -> None:
        i.name_hint = "i"
        lo, hi = row_range(b, a.indptr, i)
        start = b.load_index(cptr, i)

        def over_a(b: LoopBuilder, p: SSAValue, pos: SSAValue) -> list[SSAValue]:
            k = b.load_index(a.indices, p)
            av = b.load(a.values, p)
            blo, bhi = row_range(b, bm.indptr, k)

            def over_b(b: LoopBuilder, q: SSAValue, pos: SSAValue) -> list[SSAValue]:
                j = b.load_index(bm.indices, q)
                j.name_hint = "j"
                prod = sr_mul(b, semiring, av, b.load(bm.values, q))
                seen = b.cmp("eq", b.load(mark, j), i)

                def update(b: LoopBuilder) -> list[SSAValue]:
                    b.store(sr_add(b, semiring, b.load(acc, j), prod), acc, j)
                    return [pos]

                def insert(b: LoopBuilder) -> list[SSAValue]:
                    b.store(i, mark, j)
                    b.store(prod, acc, j)
                    b.store(j, cidx, pos)
                    return [b.add(pos, b.index(1))]

                return b.if_(seen, update, insert, types=[INDEX])

            return b.for_(blo, bhi, [pos], over_b)

        end = b.for_(lo, hi, [start], over_a)[0]
        if sorted and sort_fn is not None:
            b.insert(func.CallOp(sort_fn, [cidx, start, end], []))
        b.for_(start, end, [], lambda b, p: b.store(b.load(acc, b.load_index(cidx, p)), cval, p))

    b.for_(b.index(0), m, [], fill_row)
    b.dealloc(mark)
    b.dealloc(acc)
    return Parts(cptr, cidx, cval, m, n)
