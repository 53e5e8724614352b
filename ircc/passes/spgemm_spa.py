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
    max_row_length,
    numeric_rows,
    row_range,
    sr_add,
    sr_mul,
    tag_type,
)
from ircc.passes.sparse_output import plan_output


#: a row with k entries is sorted by scanning the marker when k * DENSE_ROW_FACTOR >= n, by merging its
#: ascending runs (one per entry of A's row) when k > MERGE_MIN, else by the row sort (insertion / shell)
DENSE_ROW_FACTOR = 16
MERGE_MIN = 32


class SpaRows:
    """The numeric phase of one partition: its marker and dense accumulator, and ``row(b, i)``."""

    def __init__(self, b: LoopBuilder, a: Parts, bm: Parts, out: Parts, *, semiring: str, value_type,
                 sort_fn: str | None, mask: Mask | None, masks: MaskMarker | None = None,
                 longest: SSAValue | None = None):
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
        self.runs = self.tmp = None
        if sort_fn is not None:  # each entry of A's row appends an ascending run: merge the runs to sort
            assert longest is not None, "a sorting SpaRows needs A's longest row (computed once, outside)"
            self.runs = b.alloc(INDEX, b.add(longest, b.index(1)))
            self.tmp = b.alloc(out.indices.type.element_type, b.mul(n, b.index(2)))  # type: ignore[attr-defined]
            self.runs.name_hint, self.tmp.name_hint = "runs", "merge_buffer"

    def row(self, b: LoopBuilder, i: SSAValue, masked_row_started: bool = False) -> SSAValue:
        """Row i of C, written from ``out.indptr[i]``; returns where it ends."""
        a, bm, out, mark, acc, masks = self.a, self.bm, self.out, self.mark, self.acc, self.masks
        if not masked_row_started:
            masks.start_row(b, i)
        tag = b.cast(i, self.tag_t)
        tag.name_hint = "tag"
        lo, hi = row_range(b, a.indptr, i)
        start = b.load_index(out.indptr, i)

        long_row = None
        if self.runs is not None:  # the row's length is known from the symbolic phase: record runs only if merging
            length = b.sub(b.load_index(out.indptr, b.add(i, b.index(1))), start)
            long_row = b.cmp("sgt", length, b.index(MERGE_MIN))

        def over_a(b: LoopBuilder, p: SSAValue, pos: SSAValue) -> list[SSAValue]:
            if long_row is not None:
                b.if_(long_row, lambda b: b.store(b.sub(pos, start), self.runs, b.sub(p, lo)))
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

            def merge(b: LoopBuilder) -> None:
                nruns = b.sub(hi, lo)
                b.store(k, self.runs, nruns)
                merge_runs(b, out.indices, start, k, self.runs, nruns, self.tmp, bm.ncols)

            def short_or_long(b: LoopBuilder) -> None:
                b.if_(b.cmp("sle", k, b.index(MERGE_MIN)),
                      lambda b: b.insert(func.CallOp(self.sort_fn, [out.indices, start, row_end], [])), merge)

            b.if_(dense, scan, short_or_long)
        b.for_(start, row_end, [], lambda b, p: b.store(b.load(acc, b.load_index(out.indices, p)), out.values, p))
        return row_end

    def free(self, b: LoopBuilder) -> None:
        b.dealloc(self.mark)
        b.dealloc(self.acc)
        if self.runs is not None:
            b.dealloc(self.runs)
            b.dealloc(self.tmp)
        if self.own_masks:
            self.masks.free(b)


def merge_runs(b: LoopBuilder, keys: SSAValue, start: SSAValue, k: SSAValue, runs: SSAValue, nruns: SSAValue,
               tmp: SSAValue, n: SSAValue) -> None:
    """Sort ``keys[start:start+k]``, made of ``nruns`` ascending runs starting at ``runs[0..nruns)`` (offsets
    from start; ``runs[nruns] == k``), by merging pairs of runs pass after pass between the two halves of
    ``tmp`` (``[0, n)`` and ``[n, 2n)``): ceil(log2(nruns)) passes of k moves."""
    one, two = b.index(1), b.index(2)
    b.for_(b.index(0), k, [], lambda b, p: b.store(b.load(keys, b.add(start, p)), tmp, p))

    def merge_pair(b: LoopBuilder, src: SSAValue, dst: SSAValue, s0: SSAValue, s1: SSAValue, s2: SSAValue) -> None:
        def cond(b: LoopBuilder, i: SSAValue, j: SSAValue, o: SSAValue) -> SSAValue:
            return b.cmp("slt", o, s2)

        def step(b: LoopBuilder, i: SSAValue, j: SSAValue, o: SSAValue) -> list[SSAValue]:
            left_open = b.cmp("slt", i, s1)
            right_open = b.cmp("slt", j, s2)
            # take the left key when the right run is done, or both are open and left <= right
            both = b.and_(left_open, right_open)
            le = b.if_(both, lambda b: [b.cmp("sle", b.load(tmp, b.add(src, i)), b.load(tmp, b.add(src, j)))],
                       lambda b: [left_open], types=[both.type])[0]
            take = b.select(both, le, left_open)
            at = b.select(take, i, j)
            b.store(b.load(tmp, b.add(src, at)), tmp, b.add(dst, o))
            return [b.add(i, b.select(take, one, b.index(0))), b.add(j, b.select(take, b.index(0), one)),
                    b.add(o, one)]

        b.while_([s0, s1, s0], cond, step)

    def cond(b: LoopBuilder, r: SSAValue, src: SSAValue) -> SSAValue:
        return b.cmp("sgt", r, one)

    def one_pass(b: LoopBuilder, r: SSAValue, src: SSAValue) -> list[SSAValue]:
        dst = b.sub(n, src)  # the other half: 0 <-> n
        pairs = b.div_floor(b.add(r, one), two)

        def pair(b: LoopBuilder, q: SSAValue) -> None:
            first = b.mul(q, two)
            s0 = b.load(runs, first)
            s1 = b.load(runs, b.min(b.add(first, one), r))
            s2 = b.load(runs, b.min(b.add(first, two), r))
            merge_pair(b, src, dst, s0, s1, s2)
            b.store(s0, runs, q)

        b.for_(b.index(0), pairs, [], pair)
        b.store(k, runs, pairs)
        return [pairs, dst]

    src = b.while_([nruns, b.index(0)], cond, one_pass)[1]
    b.for_(b.index(0), k, [], lambda b, p: b.store(b.load(tmp, b.add(src, p)), keys, b.add(start, p)))


def emit_spa(b: LoopBuilder, a: Parts, bm: Parts, *, semiring: str, index_type, value_type, sorted: bool,
             sort_fn: str | None, parallel: bool = True, parts: int = 16, mask: Mask | None = None,
             phases: int = 2) -> Parts:
    plan = plan_output(b, a, bm, index_type=index_type, value_type=value_type, parallel=parallel, parts=parts,
                       mask=mask, phases=phases)
    longest = max_row_length(b, a) if sorted and sort_fn is not None else None
    numeric_rows(b, plan.bounds, plan.count, parallel,
                 lambda b: SpaRows(b, a, bm, plan.rows, semiring=semiring, value_type=value_type,
                                   sort_fn=sort_fn if sorted else None, mask=mask, longest=longest),
                 record=plan.record)
    return plan.finish(b)
