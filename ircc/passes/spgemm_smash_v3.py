"""SpGEMM, strategy ``smash-v3`` (the piuma target): SMASH's third version, "fragmenting memory", as this
project reads it (the thesis body was not available; see ``spgemm_smash.py`` for v1 and v2).

v2's statistics show where its time goes once the work is balanced: every product is hashed twice (a
symbolic phase, then the numeric one), and C's rows are sorted in DRAM after. v3 fragments both memories by
row so neither is needed:

* **the scratchpad table** is cut into one fragment per row of the window, ``min(2 * flops, n)`` slots. A key
  is just the column. A fragment of ``n`` slots (a row with ``2 * flops >= n``, a hub of R-MAT) is addressed
  directly by the column: no probing, and packing its filled slots leaves them in column order, so it is
  never sorted. Other fragments place column j at ``j * size / n`` (an order-preserving hash) with linear
  probing, so a packed fragment is nearly in column order and one insertion sort, linear in its few
  inversions, finishes it (``ircc_sort_nearly_*``; a random hash left the shell sort twice the work).
  Windows fill the table with whole fragments.
* **C** is written once, at an upper bound: row i's fragment of a flops-sized buffer starts at the running
  sum of flops. When a window's products are merged, each row's thread (rows are handed out by tokens, so a
  hub row does not hold up the rest) packs its fragment's filled slots together, sorts them in the scratchpad
  (the module's row sort, on the fragment), and streams them to its fragment of C with its count.
* after the launch C's row pointers are the counts' running sum and a parallel copy joins the fragments.

So products are hashed once, sorting runs at scratchpad latency, and the only DRAM atomics are the token
counters. Work is handed out by tokens as in v2.

```
window w (rows ws..we; fragment of row i at frag[i] - frag[ws], frag[i + 1] - frag[i] slots):
  thread: the entries of its tokens: for each product (i, j, v):
      h = off(i) + (size(i) == n ? j : j * size(i) / n); CAS-claim or find j there (probing within the fragment);
      atomic_add(vals[h], v)
  core barrier; thread: the rows of its tokens: pack fragment, sort it (unless dense), C_ub[flops_before[i]:] = it,
  count[i] = its length; core barrier
after: C.indptr = running sum of counts; C[indptr[i]:] = C_ub[flops_before[i]:][:count[i]]
```
"""

from __future__ import annotations

from xdsl.dialects import arith, func, memref
from xdsl.ir import SSAValue

from ircc.ir.builder import INDEX, LoopBuilder, memref_1d
from ircc.ir.dialects.piuma import AtomicAddOp, BarrierOp
from ircc.passes.spgemm_smash import (
    CELL_ENTRY,
    CELL_ROW,
    KEY,
    entry_rows,
    launch,
    row_prefix,
    zeroed,
)
from ircc.passes.sparse_common import Parts, exclusive_scan, row_range, sr_mul

#: rows of a window a thread takes per token in the pack-sort-write step
TOKEN_ROWS = 1


def emit_smash_v3(b: LoopBuilder, a: Parts, bm: Parts, *, semiring: str, index_type, value_type,
                  sort_fn: str | None, slots: int = 1 << 16, per_core: int = 64, cores: int = 1) -> Parts:
    """C = A @ B on the simulated machine's scratchpads, one phase (see the module docstring)."""
    m, n = a.nrows, bm.ncols
    flops_before, frag = row_prefix(b, a, bm, lambda b, f: f,
                                    lambda b, f: b.min(b.min(b.mul(f, b.index(2)), n), b.index(slots)))
    flops_before.name_hint, frag.name_hint = "flops_before", "fragment_before"
    rows_of = entry_rows(b, a)
    total = b.max(b.load(flops_before, m), b.index(1))
    ub = Parts(flops_before, b.alloc(index_type, total), b.alloc(value_type, total), m, n)
    ub.indices.name_hint, ub.values.name_hint = "c_fragments_indices", "c_fragments_values"
    counts = zeroed(b, b.add(m, b.index(1)), "row_counts")
    next_row = zeroed(b, 1, "next_row")

    lb, frame = launch(b, per_core, slots, value_type, tokens=True)
    keys = lb.value(memref.CastOp.get(frame.keys, memref_1d(KEY)))  # the row sort's argument types
    vals = lb.value(memref.CastOp.get(frame.vals, memref_1d(value_type)))

    def window(b: LoopBuilder, ws: SSAValue, we: SSAValue) -> None:
        base = b.load(frag, ws)

        def first_tokens(b: LoopBuilder) -> None:
            b.store(b.load_index(a.indptr, ws), frame.cells, b.index(CELL_ENTRY))
            b.store(ws, frame.cells, b.index(CELL_ROW))

        frame.leader(b, first_tokens)
        frame.clear(b, b.index(0), b.sub(b.load(frag, we), base))
        b.insert(BarrierOp(core=True))

        def entry(b: LoopBuilder, p: SSAValue) -> None:
            i = b.load(rows_of, p)
            off = b.sub(b.load(frag, i), base)
            size = b.sub(b.load(frag, b.add(i, b.index(1))), b.load(frag, i))
            end = b.add(off, size)
            blo, bhi = row_range(b, bm.indptr, b.load_index(a.indices, p))

            def over_b(b: LoopBuilder, q: SSAValue) -> None:
                j = b.load_index(bm.indices, q)
                hashed = b.value(arith.DivSIOp(b.mul(j, size), n))
                start = b.add(off, b.select(b.cmp("eq", size, n), j, hashed))  # a dense fragment: direct

                def advance(b: LoopBuilder, h: SSAValue) -> SSAValue:
                    nxt = b.add(h, b.index(1))
                    return b.select(b.cmp("eq", nxt, end), off, nxt)

                slot, _ = frame.insert(b, b.cast(j, KEY), start, advance)
                prod = sr_mul(b, semiring, b.load(a.values, p), b.load(bm.values, q))
                b.value(AtomicAddOp(prod, frame.vals, [slot]))

            b.for_(blo, bhi, [], over_b)

        frame.deal(b, b.load_index(a.indptr, ws), b.load_index(a.indptr, we), entry, CELL_ENTRY)
        b.insert(BarrierOp(core=True))

        def row(b: LoopBuilder, i: SSAValue) -> None:
            off = b.sub(b.load(frag, i), base)
            end = b.sub(b.load(frag, b.add(i, b.index(1))), base)

            def pack(b: LoopBuilder, s: SSAValue, filled: SSAValue) -> list[SSAValue]:
                key = b.load(frame.keys, s)

                def keep(b: LoopBuilder) -> list[SSAValue]:
                    to = b.add(off, filled)
                    b.store(key, frame.keys, to)
                    b.store(b.load(frame.vals, s), frame.vals, to)
                    return [b.add(filled, b.index(1))]

                return b.if_(b.cmp("ne", key, frame.empty), keep, lambda b: [filled], types=[INDEX])

            filled = b.for_(off, end, [b.index(0)], pack)[0]
            if sort_fn is not None:  # a dense fragment packs in column order
                b.if_(b.cmp("ne", b.sub(end, off), n),
                      lambda b: b.insert(func.CallOp(sort_fn, [keys, vals, off, b.add(off, filled)], [])))
            at = b.load(flops_before, i)

            def write(b: LoopBuilder, t: SSAValue) -> None:
                src = b.add(off, t)
                b.store(b.cast(b.load(frame.keys, src), INDEX), ub.indices, b.add(at, t))
                b.store(b.load(frame.vals, src), ub.values, b.add(at, t))

            b.for_(b.index(0), filled, [], write)
            b.store(filled, counts, b.add(i, b.index(1)))

        frame.deal(b, ws, we, row, CELL_ROW, TOKEN_ROWS)
        b.insert(BarrierOp(core=True))  # the next window empties the table only once every row is out

    frame.claimed_windows(lb, frag, m, slots, (next_row, 0), window)

    cptr = b.alloc(index_type, b.add(m, b.index(1)))
    cptr.name_hint = "c_indptr"
    b.parallel(b.index(0), b.add(m, b.index(1)), lambda b, i: b.store(b.load(counts, i), cptr, i))
    nnz = exclusive_scan(b, cptr, m, parallel=True)
    nnz.name_hint = "nnz"
    out = Parts(cptr, b.alloc(index_type, nnz), b.alloc(value_type, nnz), m, n)
    out.indices.name_hint, out.values.name_hint = "c_indices", "c_values"

    def join(b: LoopBuilder, i: SSAValue) -> None:
        src, dst = b.load(flops_before, i), b.load_index(cptr, i)

        def move(b: LoopBuilder, t: SSAValue) -> None:
            b.store(b.load(ub.indices, b.add(src, t)), out.indices, b.add(dst, t))
            b.store(b.load(ub.values, b.add(src, t)), out.values, b.add(dst, t))

        b.for_(b.index(0), b.load(counts, b.add(i, b.index(1))), [], move)

    b.parallel(b.index(0), m, join)
    for scratch in (flops_before, frag, rows_of, ub.indices, ub.values, counts, next_row):
        b.dealloc(scratch)
    return out
