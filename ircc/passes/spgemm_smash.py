"""SpGEMM, strategies ``smash-v1`` and ``smash-v2`` (the piuma target): row-wise products merged by atomic
hashing in each core's scratchpad, a window of rows at a time; ``smash-v3`` is in ``spgemm_smash_v3.py``.

The SMASH thesis (Shivdikar, 2021) names its versions "V1: atomic hashing with windows of rows", "V2:
tokenization" and "V3: fragmenting memory". Its body was not available to check against, so the three
dataflows here are this project's reading of those names, each fixing what the simulator's statistics
showed the previous one losing:

* **v1 (windows)**: rows are cut into windows whose products fit half a scratchpad table (``slots`` keys of
  8 bytes, and as many values in the numeric phase) and give every core several windows. Core ``c`` takes
  windows ``c, c + cores, ...``; its threads take the window's entries of A in turn (so a long row is shared by
  all of them). Each product ``A[i, k] * B[k, j]`` is a key ``(i - window start) * n + j`` in the core's table:
  a thread claims an empty slot with ``piuma.cas`` or finds its key there (linear probing), and adds the
  product to the slot's value with ``piuma.atomic_add``. Threads of one core merge their partial products in
  the scratchpad without ever writing them to DRAM.
* **v2 (tokens)**: the same tables, but work is handed out by tokens instead of a fixed split: a core takes
  its next window from a counter in DRAM (``piuma.atomic_add``) when it finishes one, and within a window a
  thread takes its next ``TOKEN_ENTRIES`` entries of A from a counter in the core's scratchpad. R-MAT's
  windows and entries differ widely in products; static shares leave cores and threads waiting at barriers.

Both run two phases:

* symbolic: a claimed slot counts a column of its row; C's row pointers are the counts' running sum;
* numeric: after a core barrier, the core's threads sweep the table: each filled slot is appended to
  its row of C (the row's fill counter in DRAM, ``piuma.atomic_add``); after another barrier the next window
  starts (each window empties the slots it uses first). Rows are then sorted by column (``sorted``).

```
window w (its rows ws..we, its table of size pow2 >= 2 * its products):
  thread t of the core: entries t, t + T, ... of A's rows ws..we (v2: the entries of its tokens): for each
  product (i, j, v):
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
from ircc.passes.sparse_common import Parts, exclusive_scan, row_flops, row_range, sr_mul

#: the multiplier of the hash: (key * HASH_SCALE) & (size - 1)
HASH_SCALE = 107
KEY = IntegerType(64)


#: windows per core at least (where the table would hold more): work for every core, balanced between them
WINDOWS_PER_CORE = 4
#: entries of A a thread takes per token (smash-v2, smash-v3)
TOKEN_ENTRIES = 2
#: the cells of a core's token block in its scratchpad
CELL_START, CELL_END, CELL_ENTRY, CELL_ROW = 0, 1, 2, 3


def row_prefix(b: LoopBuilder, a: Parts, bm: Parts, *weights) -> list[SSAValue]:
    """For each ``weight(b, flops)`` of ``weights``: its running sum over A's rows (``prefix[i]`` before row i,
    ``prefix[m]`` the total), with a row's flops the products of its entries."""
    m = a.nrows
    out = []
    for _ in weights:
        prefix = b.alloc(INDEX, b.add(m, b.index(1)))
        out.append(prefix)

    def row(b: LoopBuilder, i: SSAValue) -> None:
        lo, hi = row_range(b, a.indptr, i)
        f = row_flops(b, a, bm, lo, hi)
        for prefix, weight in zip(out, weights):
            b.store(weight(b, f), prefix, b.add(i, b.index(1)))

    b.parallel(b.index(0), m, row)
    for prefix in out:
        exclusive_scan(b, prefix, m, parallel=True)
    return out


def window_starts(b: LoopBuilder, prefix: SSAValue, m: SSAValue, limit: int, cores: int) -> tuple[SSAValue, SSAValue]:
    """The windows' first rows (``starts[w]``, ``starts[count] = m``) and their count: a window grows while its
    weight (``prefix``'s) stays within ``limit`` and within a ``WINDOWS_PER_CORE * cores``-th of the total (a
    row with more is a window of its own)."""
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
    return starts, count


def entry_rows(b: LoopBuilder, a: Parts) -> SSAValue:
    """Each entry of A's row: the core's threads share a window's entries, not its rows, so a long row (a hub
    of R-MAT) is spread over all of them -- the atomics are what let them merge into one row."""
    rows_of = b.alloc(INDEX, b.load_index(a.indptr, a.nrows))
    rows_of.name_hint = "row_of_entry"

    def mark(b: LoopBuilder, i: SSAValue) -> None:
        lo, hi = row_range(b, a.indptr, i)
        b.for_(lo, hi, [], lambda b, p: b.store(i, rows_of, p))

    b.parallel(b.index(0), a.nrows, mark)
    return rows_of


def _atomic_add(b: LoopBuilder, v: SSAValue, m: SSAValue, idx: SSAValue) -> SSAValue:
    """``piuma.atomic_add``: the element's old value."""
    return b.value(AtomicAddOp(v, m, [idx]))


def zeroed(b: LoopBuilder, n: int | SSAValue, hint: str) -> SSAValue:
    """A DRAM buffer of ``n`` index zeros."""
    size = b.index(n) if isinstance(n, int) else n
    buf = b.alloc(INDEX, size)
    buf.name_hint = hint
    b.parallel(b.index(0), size, lambda b, i: b.store(b.index(0), buf, i))
    return buf


class CoreFrame:
    """A launch's per-thread frame: its core, its place in the core, the core's table and token cells."""

    def __init__(self, b: LoopBuilder, tid: SSAValue, nthreads: SSAValue, per_core: int, slots: int,
                 value_t: Attribute | None, tokens: bool):
        self.b = b
        self.per_core = b.index(per_core)
        self.cores = b.value(arith.DivSIOp(nthreads, self.per_core))
        # thread ids go round-robin over the cores (the simulator's numbering): tid = local * cores + core
        self.core = b.value(arith.RemSIOp(tid, self.cores))
        self.local = b.value(arith.DivSIOp(tid, self.cores))
        self.keys = b.value(SpadAllocOp(MemRefType(KEY, [slots])))
        self.keys.name_hint = "spad_keys"
        self.vals = None
        self.empty = b.const(-1, KEY)
        self.slots = slots
        if value_t is not None:
            self.vals = b.value(SpadAllocOp(MemRefType(value_t, [slots])))
            self.vals.name_hint = "spad_vals"
        self.cells = None
        if tokens:
            self.cells = b.value(SpadAllocOp(MemRefType(INDEX, [4])))
            self.cells.name_hint = "spad_tokens"

    def leader(self, b: LoopBuilder, then) -> None:
        """``then(b)`` on the core's first thread only."""
        b.if_(b.cmp("eq", self.local, b.index(0)), then)

    def clear(self, b: LoopBuilder, lo: SSAValue, hi: SSAValue) -> None:
        """The core's threads empty slots [lo, hi) between them."""
        def slot(b: LoopBuilder, s: SSAValue) -> None:
            b.store(self.empty, self.keys, s)
            if self.vals is not None:
                b.store(b.const(0, self.vals.type.element_type), self.vals, s)

        b.for_(b.add(lo, self.local), hi, [], slot, step=self.per_core)

    def insert(self, b: LoopBuilder, key: SSAValue, start: SSAValue, advance) -> tuple[SSAValue, SSAValue]:
        """The slot of ``key`` (claimed with CAS if new) probing from ``start`` by ``advance(b, h)``, and whether
        this thread claimed it."""
        empty, keys = self.empty, self.keys

        def probing(b: LoopBuilder, h: SSAValue, done: SSAValue, new: SSAValue) -> SSAValue:
            return b.cmp("eq", done, b.const(0, IntegerType(1)))

        def probe(b: LoopBuilder, h: SSAValue, done: SSAValue, new: SSAValue) -> list[SSAValue]:
            old = b.value(CasOp(empty, key, keys, [h]))
            claimed = b.cmp("eq", old, empty)
            found = b.or_(claimed, b.cmp("eq", old, key))
            return [b.select(found, h, advance(b, h)), found, claimed]

        false = b.const(0, IntegerType(1))
        slot, _, new = b.while_([start, false, false], probing, probe)
        return slot, new

    def windows(self, b: LoopBuilder, starts: SSAValue, count: SSAValue, body) -> None:
        """``body(b, ws, we)`` for the windows ``starts`` lists that are this core's: c, c + cores, ... (every
        thread of the core runs every one; a body ends with a core barrier)."""
        def window(b: LoopBuilder, w: SSAValue) -> None:
            body(b, b.load(starts, w), b.load(starts, b.add(w, b.index(1))))

        b.for_(self.core, count, [], window, step=self.cores)

    def claimed_windows(self, b: LoopBuilder, prefix: SSAValue, m: SSAValue, limit: int,
                        next_row: tuple[SSAValue, int], body) -> None:
        """``body(b, ws, we)`` for the windows this core claims: when the core is done with one, its first thread
        takes the rows from ``next_row`` (a DRAM counter: buffer and index) on while their weight (``prefix``'s)
        stays within the limit (``window_starts``'); a binary search on ``prefix`` finds the end, ``piuma.cas``
        claims it. No window list is computed before (that is a serial pass over the rows), and a core that drew
        light windows takes more of them."""
        cells, (counter, at) = self.cells, next_row
        total = b.load(prefix, m)
        share = b.max(b.value(arith.DivSIOp(total, b.index(WINDOWS_PER_CORE))), b.index(1))
        lim = b.min(b.index(limit), b.value(arith.DivSIOp(share, self.cores)))
        lim = b.max(lim, b.index(1))

        def greedy_end(b: LoopBuilder, start: SSAValue) -> SSAValue:
            bound = b.add(b.load(prefix, start), lim)

            def halve(b: LoopBuilder, lo: SSAValue, hi: SSAValue) -> list[SSAValue]:
                mid = b.value(arith.DivSIOp(b.add(b.add(lo, hi), b.index(1)), b.index(2)))
                fits = b.cmp("sle", b.load(prefix, mid), bound)
                return [b.select(fits, mid, lo), b.select(fits, hi, b.sub(mid, b.index(1)))]

            return b.while_([b.add(start, b.index(1)), m], lambda b, lo, hi: b.cmp("slt", lo, hi), halve)[0]

        def claim(b: LoopBuilder) -> None:
            def trying(b: LoopBuilder, start: SSAValue, got: SSAValue) -> SSAValue:
                return b.and_(b.cmp("slt", start, m), b.cmp("eq", got, b.const(0, IntegerType(1))))

            def attempt(b: LoopBuilder, start: SSAValue, got: SSAValue) -> list[SSAValue]:
                end = greedy_end(b, start)
                old = b.value(CasOp(start, end, counter, [b.index(at)]))
                b.store(end, cells, b.index(CELL_END))
                ok = b.cmp("eq", old, start)
                return [b.select(ok, start, old), ok]

            first = b.load(counter, b.index(at))
            start, _ = b.while_([first, b.const(0, IntegerType(1))], trying, attempt)
            b.store(start, cells, b.index(CELL_START))

        def next_window(b: LoopBuilder) -> SSAValue:
            self.leader(b, claim)
            b.insert(BarrierOp(core=True))
            return b.load(cells, b.index(CELL_START))

        def step(b: LoopBuilder, ws: SSAValue) -> list[SSAValue]:
            body(b, ws, b.load(cells, b.index(CELL_END)))
            return [next_window(b)]

        b.while_([next_window(b)], lambda b, ws: b.cmp("slt", ws, m), step)

    def deal(self, b: LoopBuilder, first: SSAValue, end: SSAValue, visit, cell: int | None = None,
             per_token: int = TOKEN_ENTRIES) -> None:
        """``visit(b, p)`` for this thread's share of ``[first, end)``: every ``per_core``-th, or (``cell``) the
        items of the tokens it takes from that cell (which the leader set to ``first`` before a barrier)."""
        if cell is None:
            b.for_(b.add(first, self.local), end, [], lambda b, p: visit(b, p), step=self.per_core)
            return
        cells, at, chunk = self.cells, b.index(cell), b.index(per_token)

        def take(b: LoopBuilder, t: SSAValue) -> list[SSAValue]:
            b.for_(t, b.min(b.add(t, chunk), end), [], lambda b, p: visit(b, p))
            return [_atomic_add(b, chunk, cells, at)]

        b.while_([_atomic_add(b, chunk, cells, at)], lambda b, t: b.cmp("slt", t, end), take)


def launch(b: LoopBuilder, per_core: int, slots: int, value_t, tokens: bool = False) -> tuple[LoopBuilder, CoreFrame]:
    """A ``piuma.launch`` at ``b`` and its threads' frame (the body's builder with it)."""
    op = b.insert(LaunchOp())
    inner = LoopBuilder.at_end(op.body.block)
    tid, nthreads = op.body.block.args
    return inner, CoreFrame(inner, tid, nthreads, per_core, slots, value_t, tokens)


def emit_smash(b: LoopBuilder, a: Parts, bm: Parts, *, semiring: str, index_type, value_type,
               sort_fn: str | None, slots: int = 1 << 16, per_core: int = 64, cores: int = 1,
               version: int = 1) -> Parts:
    """C = A @ B on the simulated machine's scratchpads, smash-v1 or smash-v2 (see the module docstring)."""
    m, n = a.nrows, bm.ncols
    tokens = version >= 2
    prefix, = row_prefix(b, a, bm, lambda b, f: f)
    prefix.name_hint = "flops_before"
    limit = slots // 2
    scratch = [prefix]
    if tokens:  # windows claimed as the cores go
        next_row = zeroed(b, 2, "next_row")
        scratch.append(next_row)
    else:
        starts, count = window_starts(b, prefix, m, limit, cores)
        scratch.append(starts)
    cptr = b.alloc(index_type, b.add(m, b.index(1)))
    cptr.name_hint = "c_indptr"
    rows_of = entry_rows(b, a)

    def table_size(b: LoopBuilder, ws: SSAValue, we: SSAValue) -> SSAValue:
        products = b.sub(b.load(prefix, we), b.load(prefix, ws))
        want = b.min(b.mul(b.max(products, b.index(1)), b.index(2)), b.index(slots))
        return b.while_([b.index(2)], lambda b, s: b.cmp("slt", s, want), lambda b, s: [b.mul(s, b.index(2))])[0]

    def products(b: LoopBuilder, frame: CoreFrame, ws: SSAValue, we: SSAValue, size: SSAValue, visit) -> None:
        """``visit(b, i, slot, new, p, q)`` for each product of this thread's entries of the window."""
        last = b.sub(size, b.index(1))

        def entry(b: LoopBuilder, p: SSAValue) -> None:
            i = b.load(rows_of, p)
            base = b.cast(b.mul(b.sub(i, ws), n), KEY)
            blo, bhi = row_range(b, bm.indptr, b.load_index(a.indices, p))

            def over_b(b: LoopBuilder, q: SSAValue) -> None:
                key = b.add(base, b.cast(b.load_index(bm.indices, q), KEY))
                start = b.and_(b.mul(b.cast(key, INDEX), b.index(HASH_SCALE)), last)
                slot, new = frame.insert(b, key, start, lambda b, h: b.and_(b.add(h, b.index(1)), last))
                visit(b, i, slot, new, p, q)

            b.for_(blo, bhi, [], over_b)

        frame.deal(b, b.load_index(a.indptr, ws), b.load_index(a.indptr, we), entry,
                   CELL_ENTRY if tokens else None)

    def open_window(b: LoopBuilder, frame: CoreFrame, ws: SSAValue, we: SSAValue) -> SSAValue:
        size = table_size(b, ws, we)
        if tokens:  # the window's first entry is the first token
            frame.leader(b, lambda b: b.store(b.load_index(a.indptr, ws), frame.cells, b.index(CELL_ENTRY)))
        frame.clear(b, b.index(0), size)  # the slots this window uses, emptied by the core's threads together
        b.insert(BarrierOp(core=True))
        return size

    def each_window(b: LoopBuilder, frame: CoreFrame, at: int, body) -> None:
        if tokens:
            frame.claimed_windows(b, prefix, m, limit, (next_row, at), body)
        else:
            frame.windows(b, starts, count, body)

    # symbolic: each claimed slot is one more column of its row
    counts = zeroed(b, b.add(m, b.index(1)), "row_counts")
    sb, frame = launch(b, per_core, slots, None, tokens)

    def count_window(b: LoopBuilder, ws: SSAValue, we: SSAValue) -> None:
        size = open_window(b, frame, ws, we)

        def visit(b: LoopBuilder, i, slot, new, p, q) -> None:
            b.if_(new, lambda b: _atomic_add(b, b.index(1), counts, b.add(i, b.index(1))))

        products(b, frame, ws, we, size, visit)
        b.insert(BarrierOp(core=True))  # the next window empties the table only once every thread is done

    each_window(sb, frame, 0, count_window)
    b.parallel(b.index(0), b.add(m, b.index(1)), lambda b, i: b.store(b.load(counts, i), cptr, i))
    nnz = exclusive_scan(b, cptr, m, parallel=True)
    nnz.name_hint = "nnz"
    out = Parts(cptr, b.alloc(index_type, nnz), b.alloc(value_type, nnz), m, n)
    out.indices.name_hint, out.values.name_hint = "c_indices", "c_values"

    # numeric: products merged in the table; a sweep appends each filled slot to its row of C
    fill = zeroed(b, m, "row_fill")
    nb, nframe = launch(b, per_core, slots, value_type, tokens)

    def merge_window(b: LoopBuilder, ws: SSAValue, we: SSAValue) -> None:
        size = open_window(b, nframe, ws, we)

        def visit(b: LoopBuilder, i, slot, new, p, q) -> None:
            prod = sr_mul(b, semiring, b.load(a.values, p), b.load(bm.values, q))
            b.value(AtomicAddOp(prod, nframe.vals, [slot]))

        products(b, nframe, ws, we, size, visit)
        b.insert(BarrierOp(core=True))

        def sweep(b: LoopBuilder, s: SSAValue) -> None:
            key = b.load(nframe.keys, s)

            def emit(b: LoopBuilder) -> None:
                k = b.cast(key, INDEX)
                row = b.add(ws, b.value(arith.DivSIOp(k, n)))
                col = b.value(arith.RemSIOp(k, n))
                at = b.add(b.load_index(cptr, row), _atomic_add(b, b.index(1), fill, row))
                b.store(col, out.indices, at)
                b.store(b.load(nframe.vals, s), out.values, at)

            b.if_(b.cmp("ne", key, nframe.empty), emit)

        b.for_(nframe.local, size, [], sweep, step=nframe.per_core)
        b.insert(BarrierOp(core=True))

    each_window(nb, nframe, 1, merge_window)
    if sort_fn is not None:
        def sort_row(b: LoopBuilder, i: SSAValue) -> None:
            lo, hi = row_range(b, cptr, i)
            b.insert(func.CallOp(sort_fn, [out.indices, out.values, lo, hi], []))

        b.parallel(b.index(0), m, sort_row)
    for buf in scratch + [counts, fill, rows_of]:
        b.dealloc(buf)
    return out
