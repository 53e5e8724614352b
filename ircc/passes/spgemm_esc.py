"""SpGEMM, strategy ``esc``: expand, sort, compress, row by row.

Each row of C is computed without an accumulator: its products are expanded into a buffer of
(column, value) pairs, the pairs are sorted by column (``@ircc_sort_<K>_<V>``), and runs of equal
columns are compressed into one entry each, written straight into C's row. Sorted output comes for
free. The work is flops * log(flops) per row rather than flops: the strategy for rows of few products,
with no scattered accumulator at all (the GPU libraries' choice, with a row at a time here so the
buffer stays as small as the largest row's flops). The symbolic phase (each row's distinct columns)
is SPA's marker count; rows run over flop-balanced partitions in ``scf.parallel``.

```
row i: e = 0; for p in A[i]: for q in B[A.col[p]]: key[e], val[e] = B.col[q], A.val[p] * B.val[q]; e += 1
       sort (key, val)[0:e] by key
       for t < e: if key[t] == last: C.val[pos - 1] += val[t] else: C.col[pos], C.val[pos] = key[t], val[t]; pos += 1
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
    numeric_rows,
    row_products,
    row_range,
    sr_add,
    sr_mul,
    tag_type,
)
from ircc.passes.sparse_output import plan_output


class EscRows:
    """The numeric phase of one partition: the pair buffer (the largest row's flops) and ``row(b, i)``."""

    def __init__(self, b: LoopBuilder, a: Parts, bm: Parts, out: Parts, *, semiring: str, value_type,
                 width: SSAValue, sort_fn: str, mask: Mask | None):
        self.a, self.bm, self.out, self.semiring, self.sort_fn = a, bm, out, semiring, sort_fn
        self.key_t = tag_type(a)
        self.keys, self.vals = b.alloc(self.key_t, width), b.alloc(value_type, width)
        self.keys.name_hint, self.vals.name_hint = "expanded_cols", "expanded_vals"
        self.masks = MaskMarker(b, mask, bm.ncols, self.key_t)

    def row(self, b: LoopBuilder, i: SSAValue) -> SSAValue:
        a, bm, out, keys, vals = self.a, self.bm, self.out, self.keys, self.vals
        self.masks.start_row(b, i)
        lo, hi = row_range(b, a.indptr, i)

        def expand(b: LoopBuilder, j: SSAValue, p: SSAValue, q: SSAValue, e: SSAValue) -> SSAValue:
            b.store(j, keys, e)
            b.store(sr_mul(b, self.semiring, b.load(a.values, p), b.load(bm.values, q)), vals, e)
            return b.add(e, b.index(1))

        e = row_products(b, a, bm, self.masks, i, lo, hi, b.index(0), expand)
        e.name_hint = "expanded"
        b.insert(func.CallOp(self.sort_fn, [keys, vals, b.index(0), e], []))
        start = b.load_index(out.indptr, i)

        def compress(b: LoopBuilder, t: SSAValue, pos: SSAValue, last: SSAValue) -> list[SSAValue]:
            k, v = b.load(keys, t), b.load(vals, t)

            def combine(b: LoopBuilder) -> list[SSAValue]:
                at = b.sub(pos, b.index(1))
                b.store(sr_add(b, self.semiring, b.load(out.values, at), v), out.values, at)
                return [pos]

            def emit(b: LoopBuilder) -> list[SSAValue]:
                b.store(k, out.indices, pos)
                b.store(v, out.values, pos)
                return [b.add(pos, b.index(1))]

            return [b.if_(b.cmp("eq", k, last), combine, emit, types=[INDEX])[0], k]

        return b.for_(b.index(0), e, [start, b.const(-1, self.key_t)], compress)[0]

    def free(self, b: LoopBuilder) -> None:
        b.dealloc(self.keys)
        b.dealloc(self.vals)
        self.masks.free(b)


def emit_esc(b: LoopBuilder, a: Parts, bm: Parts, *, semiring: str, index_type, value_type, sort_fn: str,
             parallel: bool = True, parts: int = 16, mask: Mask | None = None, phases: int = 2) -> Parts:
    plan = plan_output(b, a, bm, index_type=index_type, value_type=value_type, parallel=parallel, parts=parts,
                       mask=mask, phases=phases, need_max_flops=True)
    width = b.max(plan.max_flops, b.index(1))
    numeric_rows(b, plan.bounds, plan.count, parallel,
                 lambda b: EscRows(b, a, bm, plan.rows, semiring=semiring, value_type=value_type, width=width,
                                   sort_fn=sort_fn, mask=mask),
                 record=plan.record)
    return plan.finish(b)
