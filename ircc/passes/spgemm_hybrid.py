"""SpGEMM, strategy ``hybrid``: each row picks its accumulator by its own shape, at run time.

A row with few entries in A (at most ``HEAP_MAX_ENTRIES``) and enough flops (more than
``HEAP_MIN_FLOPS``) is merged with the heap (``spgemm_heap``): its output is long, and sorting it
after an SPA pass would cost more than the merge's log2(entries) comparisons per product. Every other
row -- short outputs (cheap to sort) or many entries (a deep heap; hub rows) -- uses the dense
accumulator and the row sort (``spgemm_spa``). Both sets of scratch live per partition, the mask
marker is shared.

```
for i in partition: a = nnz(A[i, :]); f = flops(i)
    if a <= 32 and f > 48: heap merge of row i   else: SPA row i, sorted
```
"""

from __future__ import annotations

from xdsl.ir import SSAValue

from ircc.ir.builder import INDEX, LoopBuilder
from ircc.passes.sparse_common import (
    Mask,
    MaskMarker,
    Parts,
    max_row_length,
    numeric_rows,
    row_flops,
    row_range,
    tag_type,
)
from ircc.passes.spgemm_heap import HeapRows
from ircc.passes.spgemm_spa import SpaRows
from ircc.passes.sparse_output import plan_output

HEAP_MAX_ENTRIES = 32
HEAP_MIN_FLOPS = 48


class HybridRows:
    """One partition's SPA and heap scratch (sharing the mask marker); ``row`` picks per row."""

    def __init__(self, b: LoopBuilder, a: Parts, bm: Parts, out: Parts, *, semiring: str, value_type,
                 sort_fn: str | None, mask: Mask | None, width: SSAValue):
        self.a, self.bm = a, bm
        self.masks = MaskMarker(b, mask, bm.ncols, tag_type(a))
        self.spa = SpaRows(b, a, bm, out, semiring=semiring, value_type=value_type, sort_fn=sort_fn, mask=mask,
                           masks=self.masks)
        self.heap = HeapRows(b, a, bm, out, semiring=semiring, width=width, mask=mask, masks=self.masks)

    def row(self, b: LoopBuilder, i: SSAValue) -> SSAValue:
        self.masks.start_row(b, i)
        lo, hi = row_range(b, self.a.indptr, i)
        f = row_flops(b, self.a, self.bm, lo, hi)
        few = b.cmp("sle", b.sub(hi, lo), b.index(HEAP_MAX_ENTRIES))
        use_heap = b.and_(few, b.cmp("sgt", f, b.index(HEAP_MIN_FLOPS)))
        return b.if_(use_heap, lambda b: [self.heap.row(b, i, masked_row_started=True)],
                     lambda b: [self.spa.row(b, i, masked_row_started=True)], types=[INDEX])[0]

    def free(self, b: LoopBuilder) -> None:
        self.heap.free(b)
        self.spa.free(b)
        self.masks.free(b)


def emit_hybrid(b: LoopBuilder, a: Parts, bm: Parts, *, semiring: str, index_type, value_type,
                sort_fn: str | None, parallel: bool = True, parts: int = 16, mask: Mask | None = None,
                phases: int = 2) -> Parts:
    plan = plan_output(b, a, bm, index_type=index_type, value_type=value_type, parallel=parallel, parts=parts,
                       mask=mask, phases=phases)
    longest = max_row_length(b, a)
    width = b.max(b.min(longest, b.index(HEAP_MAX_ENTRIES)), b.index(1))
    numeric_rows(b, plan.bounds, plan.count, parallel,
                 lambda b: HybridRows(b, a, bm, plan.rows, semiring=semiring, value_type=value_type,
                                      sort_fn=sort_fn, mask=mask, width=width),
                 record=plan.record)
    return plan.finish(b)
