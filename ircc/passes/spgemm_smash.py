"""SpGEMM, strategy ``smash-v1`` (the piuma target): row-wise products merged by atomic hashing in each core's
scratchpad, a window of rows at a time (after the SMASH thesis' first version, as far as its abstract and
the issue describe it: "atomic hashing with windows of rows"; the thesis body was not available to check
the details).

Rows are cut into windows whose products fit half a scratchpad table (``slots`` keys of 8 bytes, and as many
values in the numeric phase) and give every core several windows. Core ``c`` takes windows ``c, c + cores,
...``; its threads take the window's entries of A in turn (so a long row is shared by all of them). Each
product ``A[i, k] * B[k, j]`` is a key ``(i - window start) * n + j`` in the core's table: a thread claims an
empty slot with ``piuma.cas`` or finds its key there (linear probing), and adds the product to the slot's
value with ``piuma.atomic_add``. So threads of one core merge their partial products in the scratchpad without
ever writing them to DRAM.

* symbolic phase: a claimed slot counts a column of its row; C's row pointers are the counts' running sum;
* numeric phase: after a core barrier, the core's threads sweep the table: each filled slot is appended to
  its row of C (the row's fill counter in DRAM, ``piuma.atomic_add``); after another barrier the next window
  starts (each window empties the slots it uses first). Rows are then sorted by column (``sorted``).

```
window w (its rows ws..we, its table of size pow2 >= 2 * its products):
  thread t of the core: entries t, t + T, ... of A's rows ws..we: for each product (i, j, v):
      key = (i - ws) * n + j; h = (key * 107) & (size - 1)
      while (old = cas(keys[h], -1 -> key)) not in (-1, key): h = (h + 1) & (size - 1)
      atomic_add(vals[h], v)
  core barrier; thread t sweeps slots t, t + T, ...: C[row(key)][fill[row]++] = (col(key), vals[h])
  core barrier (each window first empties the slots it uses, the core's threads together, then a barrier)
```
"""

from __future__ import annotations

from xdsl.dialects import arith, func
from xdsl.dialects.builtin import IntegerType, MemRefType
from xdsl.ir import Attribute, SSAValue

from ircc.ir.builder import INDEX, LoopBuilder
from ircc.ir.dialects.piuma import AtomicAddOp, BarrierOp, CasOp, LaunchOp, SpadAllocOp
from ircc.passes.sparse_common import Parts, exclusive_scan, row_range, sr_mul

#: the multiplier of the hash: (key * HASH_SCALE) & (size - 1)
HASH_SCALE = 107
KEY = IntegerType(64)


#: windows per core at least (where the table would hold more): work for every core, balanced between them
WINDOWS_PER_CORE = 4


def _windows(b: LoopBuilder, a: Parts, bm: Parts, limit: int, cores: int) -> tuple[SSAValue, SSAValue, SSAValue]:
    """Row flops' running sum, the windows' first rows (``starts[w]``, ``starts[count] = m``) and their count:
    a window grows while its products stay within ``limit`` and within a ``WINDOWS_PER_CORE * cores``-th of
    all (a row with more is a window of its own)."""
    m = a.nrows
    prefix = b.alloc(INDEX, b.add(m, b.index(1)))
    prefix.name_hint = "flops_before"

    def flops(b: LoopBuilder, i: SSAValue) -> None:
        lo, hi = row_range(b, a.indptr, i)

        def entry(b: LoopBuilder, p: SSAValue, f: SSAValue) -> list[SSAValue]:
            blo, bhi = row_range(b, bm.indptr, b.load_index(a.indices, p))
            return [b.add(f, b.sub(bhi, blo))]

        b.store(b.for_(lo, hi, [b.index(0)], entry)[0], prefix, b.add(i, b.index(1)))

    b.parallel(b.index(0), m, flops)
    exclusive_scan(b, prefix, m)
    starts = b.alloc(INDEX, b.add(m, b.index(1)))
    starts.name_hint = "window_starts"
    b.store(b.index(0), starts, b.index(0))
    share = b.max(b.value(arith.DivSIOp(b.load(prefix, m), b.index(WINDOWS_PER_CORE * cores))), b.index(1))
    lim = b.min(b.index(limit), share)

    def row(b: LoopBuilder, i: SSAValue, count: SSAValue, first: SSAValue) -> list[SSAValue]:
        used = b.sub(b.load(prefix, b.add(i, b.index(1))), b.load(prefix, first))
        split = b.and_(b.cmp("sgt", used, lim), b.cmp("sgt", i, first))  # i starts a new window

        def cut(b: LoopBuilder) -> list[SSAValue]:
            nxt = b.add(count, b.index(1))
            b.store(i, starts, nxt)
            return [nxt, i]

        return b.if_(split, cut, lambda b: [count, first], types=[INDEX, INDEX])

    last, _ = b.for_(b.index(0), m, [b.index(0), b.index(0)], row)
    count = b.add(last, b.index(1))
    b.store(m, starts, count)
    count.name_hint = "windows"
    return prefix, starts, count


class _Launch:
    """A launch's per-thread frame: its core, its place in the core, the core's table."""

    def __init__(self, b: LoopBuilder, tid: SSAValue, nthreads: SSAValue, per_core: int, slots: int,
                 value_t: Attribute | None):
        self.b = b
        self.per_core = b.index(per_core)
        self.core = b.value(arith.DivSIOp(tid, self.per_core))
        self.local = b.value(arith.RemSIOp(tid, self.per_core))
        self.cores = b.value(arith.DivSIOp(nthreads, self.per_core))
        self.keys = b.value(SpadAllocOp(MemRefType(KEY, [slots])))
        self.keys.name_hint = "spad_keys"
        self.vals = None
        self.empty = b.const(-1, KEY)
        self.slots = slots
        if value_t is not None:
            self.vals = b.value(SpadAllocOp(MemRefType(value_t, [slots])))
            self.vals.name_hint = "spad_vals"

    def clear(self, b: LoopBuilder, size: SSAValue) -> None:
        """The core's threads empty slots [0, size) between them."""
        def slot(b: LoopBuilder, s: SSAValue) -> None:
            b.store(self.empty, self.keys, s)
            if self.vals is not None:
                b.store(b.const(0, self.vals.type.element_type), self.vals, s)

        b.for_(self.local, size, [], slot, step=self.per_core)

    def insert(self, b: LoopBuilder, key: SSAValue, size: SSAValue) -> tuple[SSAValue, SSAValue]:
        """The slot of ``key`` (claimed with CAS if new), and whether this thread claimed it."""
        last = b.sub(size, b.index(1))
        start = b.and_(b.mul(b.cast(key, INDEX), b.index(HASH_SCALE)), last)
        empty, keys = self.empty, self.keys

        def probing(b: LoopBuilder, h: SSAValue, done: SSAValue, new: SSAValue) -> SSAValue:
            return b.cmp("eq", done, b.const(0, IntegerType(1)))

        def probe(b: LoopBuilder, h: SSAValue, done: SSAValue, new: SSAValue) -> list[SSAValue]:
            old = b.value(CasOp(empty, key, keys, [h]))
            claimed = b.cmp("eq", old, empty)
            found = b.or_(claimed, b.cmp("eq", old, key))
            nxt = b.select(found, h, b.and_(b.add(h, b.index(1)), last))
            return [nxt, found, claimed]

        false = b.const(0, IntegerType(1))
        slot, _, new = b.while_([start, false, false], probing, probe)
        return slot, new

    def windows(self, b: LoopBuilder, count: SSAValue, body) -> None:
        """``body(b, w)`` for the windows of this core (every thread of the core runs every one)."""
        b.for_(self.core, count, [], lambda b, w: body(b, w), step=self.cores)


def _launch(b: LoopBuilder, per_core: int, slots: int, value_t) -> tuple[LoopBuilder, _Launch]:
    """A ``piuma.launch`` at ``b`` and its threads' frame (the body's builder with it)."""
    launch = b.insert(LaunchOp())
    inner = LoopBuilder.at_end(launch.body.block)
    tid, nthreads = launch.body.block.args
    return inner, _Launch(inner, tid, nthreads, per_core, slots, value_t)


def emit_smash(module, b: LoopBuilder, a: Parts, bm: Parts, *, semiring: str, index_type, value_type,
               sort_fn: str | None, slots: int = 1 << 16, per_core: int = 64, cores: int = 1) -> Parts:
    """C = A @ B on the simulated machine's scratchpads (see the module docstring)."""
    m, n = a.nrows, bm.ncols
    limit = slots // 2
    prefix, starts, count = _windows(b, a, bm, limit, cores)
    cptr = b.alloc(index_type, b.add(m, b.index(1)))
    cptr.name_hint = "c_indptr"

    def table_size(b: LoopBuilder, w: SSAValue) -> tuple[SSAValue, SSAValue]:
        ws, we = b.load(starts, w), b.load(starts, b.add(w, b.index(1)))
        products = b.sub(b.load(prefix, we), b.load(prefix, ws))
        want = b.min(b.mul(b.max(products, b.index(1)), b.index(2)), b.index(slots))
        size = b.while_([b.index(2)], lambda b, s: b.cmp("slt", s, want), lambda b, s: [b.mul(s, b.index(2))])[0]
        return ws, we, size

    # each entry of A knows its row: the core's threads share a window's entries, not its rows, so a long row
    # (a hub of R-MAT) is spread over all of them -- the atomics are what let them merge into one row
    rows_of = b.alloc(INDEX, b.load_index(a.indptr, m))
    rows_of.name_hint = "row_of_entry"

    def mark(b: LoopBuilder, i: SSAValue) -> None:
        lo, hi = row_range(b, a.indptr, i)
        b.for_(lo, hi, [], lambda b, p: b.store(i, rows_of, p))

    b.parallel(b.index(0), m, mark)

    def products(b: LoopBuilder, frame: _Launch, ws: SSAValue, we: SSAValue, size: SSAValue, visit) -> None:
        """``visit(b, i, slot, new, p, q)`` for each product of this thread's entries of the window."""
        def entry(b: LoopBuilder, p: SSAValue) -> None:
            i = b.load(rows_of, p)
            base = b.cast(b.mul(b.sub(i, ws), n), KEY)
            blo, bhi = row_range(b, bm.indptr, b.load_index(a.indices, p))

            def over_b(b: LoopBuilder, q: SSAValue) -> None:
                j = b.load_index(bm.indices, q)
                key = b.add(base, b.cast(j, KEY))
                slot, new = frame.insert(b, key, size)
                visit(b, i, slot, new, p, q)

            b.for_(blo, bhi, [], over_b)

        first, end = b.load_index(a.indptr, ws), b.load_index(a.indptr, we)
        b.for_(b.add(first, frame.local), end, [], entry, step=frame.per_core)

    # symbolic: each claimed slot is one more column of its row
    counts = b.alloc(INDEX, b.add(m, b.index(1)))
    counts.name_hint = "row_counts"
    b.parallel(b.index(0), b.add(m, b.index(1)), lambda b, i: b.store(b.index(0), counts, i))
    sb, frame = _launch(b, per_core, slots, None)

    def open_window(b: LoopBuilder, w: SSAValue) -> tuple[SSAValue, SSAValue, SSAValue]:
        ws, we, size = table_size(b, w)
        frame.clear(b, size)  # the slots this window uses, emptied by the core's threads together
        b.insert(BarrierOp(core=True))
        return ws, we, size

    def count_window(b: LoopBuilder, w: SSAValue) -> None:
        ws, we, size = open_window(b, w)

        def visit(b: LoopBuilder, i, slot, new, p, q) -> None:
            def bump(b: LoopBuilder) -> None:
                b.value(AtomicAddOp(b.index(1), counts, [b.add(i, b.index(1))]))

            b.if_(new, bump)

        products(b, frame, ws, we, size, visit)
        b.insert(BarrierOp(core=True))  # the next window empties the table only once every thread is done

    frame.windows(sb, count, count_window)
    b.parallel(b.index(0), b.add(m, b.index(1)), lambda b, i: b.store(b.load(counts, i), cptr, i))
    nnz = exclusive_scan(b, cptr, m)
    nnz.name_hint = "nnz"
    out = Parts(cptr, b.alloc(index_type, nnz), b.alloc(value_type, nnz), m, n)
    out.indices.name_hint, out.values.name_hint = "c_indices", "c_values"

    # numeric: products merged in the table; a sweep appends each filled slot to its row of C
    fill = b.alloc(INDEX, m)
    fill.name_hint = "row_fill"
    b.parallel(b.index(0), m, lambda b, i: b.store(b.index(0), fill, i))
    nb, frame = _launch(b, per_core, slots, value_type)

    def merge_window(b: LoopBuilder, w: SSAValue) -> None:
        ws, we, size = open_window(b, w)

        def visit(b: LoopBuilder, i, slot, new, p, q) -> None:
            prod = sr_mul(b, semiring, b.load(a.values, p), b.load(bm.values, q))
            b.value(AtomicAddOp(prod, frame.vals, [slot]))

        products(b, frame, ws, we, size, visit)
        b.insert(BarrierOp(core=True))

        def sweep(b: LoopBuilder, s: SSAValue) -> None:
            key = b.load(frame.keys, s)

            def emit(b: LoopBuilder) -> None:
                k = b.cast(key, INDEX)
                row = b.add(ws, b.value(arith.DivSIOp(k, n)))
                col = b.value(arith.RemSIOp(k, n))
                at = b.add(b.load_index(cptr, row), b.value(AtomicAddOp(b.index(1), fill, [row])))
                b.store(col, out.indices, at)
                b.store(b.load(frame.vals, s), out.values, at)

            b.if_(b.cmp("ne", key, frame.empty), emit)

        b.for_(frame.local, size, [], sweep, step=frame.per_core)
        b.insert(BarrierOp(core=True))

    frame.windows(nb, count, merge_window)
    if sort_fn is not None:
        def sort_row(b: LoopBuilder, i: SSAValue) -> None:
            lo, hi = row_range(b, cptr, i)
            b.insert(func.CallOp(sort_fn, [out.indices, out.values, lo, hi], []))

        b.parallel(b.index(0), m, sort_row)
    for scratch in (prefix, starts, counts, fill, rows_of):
        b.dealloc(scratch)
    return out


