"""Where an SpGEMM lowering writes C: exact arrays after a symbolic phase, or upper-bound ones (one phase).

``phases=2`` (the default): the symbolic phase counts each row's columns into C's row pointers, a scan
makes them offsets, and C's indices and values are allocated exactly; the numeric phase fills them.

``phases=1``: no symbolic phase. Row i gets ``min(flops(i), n)`` slots (an upper bound on its length) in
scratch arrays; the numeric phase writes it there and records its length; a scan gives C's row pointers,
C is allocated exactly and every row copied down, in parallel, and the scratch freed. It saves a pass
over the products at the price of the upper bound's memory, so the caller only picks it when that bound
fits under a memory cap (``ircc.sparse.matmul(..., phases=1)`` falls back to two phases otherwise).

```
phases=1:  bound[i + 1] = bound[i] + min(flops(i), n); tmp = alloc(bound[m])
           numeric rows write at bound[i], len[i + 1] = end - bound[i]; scan len -> C.indptr
           C = alloc(nnz); copy tmp[bound[i] : bound[i] + len] -> C[C.indptr[i] :]; free tmp
```
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable

from xdsl.ir import SSAValue

from ircc.ir.builder import INDEX, LoopBuilder
from ircc.passes.sparse_common import (
    PARALLEL_PARTITIONING,
    Mask,
    Parts,
    count_columns,
    exclusive_scan,
    flop_partitions,
    over_partitions,
    row_flops,
    row_range,
)


@dataclass
class Output:
    """``rows``: the parts the numeric phase writes (row i from ``rows.indptr[i]``); the partitions;
    the largest row's flops; and, for one phase, the memrefs ``finish`` compacts from."""

    rows: Parts
    bounds: SSAValue
    count: SSAValue
    max_flops: SSAValue | None
    parallel: bool
    lengths: SSAValue | None = None  # one phase: C's row pointers, holding the rows' lengths until the scan
    many_threads: bool = False  # the scans in parallel blocks (``exclusive_scan``)

    @property
    def record(self) -> tuple[SSAValue, SSAValue] | None:
        """For ``numeric_rows``: where a row starts and where its length goes (one phase only)."""
        return None if self.lengths is None else (self.rows.indptr, self.lengths)

    def finish(self, b: LoopBuilder) -> Parts:
        """C itself: the exact arrays (one phase: compacted from the scratch, which is freed). Frees the partitions."""
        if self.lengths is None:
            b.dealloc(self.bounds)
            return self.rows
        tmp, cptr, m = self.rows, self.lengths, self.rows.nrows
        nnz = exclusive_scan(b, cptr, m, parallel=self.many_threads)
        cidx = b.alloc(cptr.type.element_type, nnz)  # type: ignore[attr-defined]
        cval = b.alloc(tmp.values.type.element_type, nnz)  # type: ignore[attr-defined]
        nnz.name_hint, cidx.name_hint, cval.name_hint = "nnz", "c_indices", "c_values"

        def copy_rows(b: LoopBuilder, first: SSAValue, end: SSAValue) -> None:
            def row(b: LoopBuilder, i: SSAValue) -> None:
                src = b.load_index(tmp.indptr, i)
                dst, dst_end = row_range(b, cptr, i)

                def move(b: LoopBuilder, t: SSAValue) -> None:
                    s = b.add(src, t)
                    d = b.add(dst, t)
                    b.store(b.load(tmp.indices, s), cidx, d)
                    b.store(b.load(tmp.values, s), cval, d)

                b.for_(b.index(0), b.sub(dst_end, dst), [], move)

            b.for_(first, end, [], row)

        over_partitions(b, self.bounds, self.count, self.parallel, copy_rows)
        for scratch in (tmp.indptr, tmp.indices, tmp.values, self.bounds):
            b.dealloc(scratch)
        return Parts(cptr, cidx, cval, m, tmp.ncols)


def whole_matrix(b: LoopBuilder, m: SSAValue) -> SSAValue:
    """The partition bounds of a single partition: rows ``0:m``."""
    bounds = b.alloc(INDEX, b.index(2))
    bounds.name_hint = "part_rows"
    b.store(b.index(0), bounds, b.index(0))
    b.store(m, bounds, b.index(1))
    return bounds


CountRows = Callable[[LoopBuilder, SSAValue, SSAValue, SSAValue, SSAValue], None]


def plan_output(b: LoopBuilder, a: Parts, bm: Parts, *, index_type, value_type, parallel: bool, parts: int,
                mask: Mask | None, phases: int = 2, count_rows: CountRows | None = None,
                need_max_flops: bool = False) -> Output:
    """Partitions and C's arrays for ``phases`` (see the module docstring). ``count_rows(b, cptr, first,
    end, max_flops)`` is the symbolic phase of a partition (default: the marker count); ``need_max_flops``:
    the strategy sizes scratch from the largest row's flops, so the flop pass runs even for one partition."""
    m, n = a.nrows, bm.ncols
    many = parallel and parts >= PARALLEL_PARTITIONING  # a many-threaded machine: no serial pass over the rows
    if parts == 1 and not need_max_flops and phases == 2:
        bounds, count, most = whole_matrix(b, m), b.index(1), None  # one partition: no pass to balance flops
    else:
        bounds, count, _, most = flop_partitions(b, a, bm, parts, parallel=many)
    cptr = b.alloc(index_type, b.add(m, b.index(1)))
    cptr.name_hint = "c_indptr"
    if phases == 1:
        bound = b.alloc(INDEX, b.add(m, b.index(1)))
        bound.name_hint = "row_bound"
        b.store(b.index(0), bound, b.index(0))
        b.store(b.index(0), cptr, b.index(0))

        def row(b: LoopBuilder, i: SSAValue, total: SSAValue) -> list[SSAValue]:
            lo, hi = row_range(b, a.indptr, i)
            total = b.add(total, b.min(row_flops(b, a, bm, lo, hi), n))
            b.store(total, bound, b.add(i, b.index(1)))
            return [total]

        total = b.for_(b.index(0), m, [b.index(0)], row)[0]
        total.name_hint = "upper_bound"
        tidx, tval = b.alloc(index_type, total), b.alloc(value_type, total)
        tidx.name_hint, tval.name_hint = "tmp_indices", "tmp_values"
        return Output(Parts(bound, tidx, tval, m, n), bounds, count, most, parallel, lengths=cptr, many_threads=many)

    if count_rows is None:
        def count_rows(b: LoopBuilder, cptr: SSAValue, first: SSAValue, end: SSAValue, most: SSAValue) -> None:
            count_columns(b, a, bm, n, cptr, first, end, mask)

    over_partitions(b, bounds, count, parallel, lambda b, first, end: count_rows(b, cptr, first, end, most))
    nnz = exclusive_scan(b, cptr, m, parallel=many)
    cidx, cval = b.alloc(index_type, nnz), b.alloc(value_type, nnz)
    nnz.name_hint, cidx.name_hint, cval.name_hint = "nnz", "c_indices", "c_values"
    return Output(Parts(cptr, cidx, cval, m, n), bounds, count, most, parallel, many_threads=many)
