"""SpGEMM, strategy ``hash``: Gustavson's row-wise product with a hash accumulator, in two phases.

Each row of C accumulates in an open-addressing table (linear probing, key -1 = empty) whose size is
the smallest power of two at least twice the row's flop bound ``min(flops(i), n)`` (in the numeric
phase, twice the row's size, which the symbolic phase counted): the load factor
stays at most 1/2 and the table a row touches is as small as its work, so it stays in cache where a
dense accumulator of n entries would not (the row-wise atomic-hash of the SMASH thesis, without the
atomics: each partition owns its table). The symbolic phase counts each row's distinct keys in the
table; the numeric phase accumulates, appending each new column to C's row (as SPA does), sorts the
row's columns (``sorted``), looks each one's value up, and clears the slots of that row only (a list
of the filled slots: never a scan of the table). Scratch per partition: one
table as large as the biggest row's, never an n-entry array (except a mask's marker).

```
row i: size = pow2 >= 2 * min(flops(i), n) (numeric phase: 2 * nnz(C[i, :])); for each product (j, v):
         h = (j * 107) & (size - 1); while key[h] != j and key[h] != -1: h = (h + 1) & (size - 1)
         if key[h] == -1: key[h] = j; val[h] = v   else: val[h] += v
       (new key: C.col[pos++] = j); sort C's row; for each column j of it: C.val[p] = val[probe(j)]
       key[slot] = -1 for the row's filled slots
```
"""

from __future__ import annotations

from xdsl.dialects import func
from xdsl.ir import Attribute, SSAValue

from ircc.ir.builder import INDEX, LoopBuilder
from ircc.passes.sparse_common import (
    Mask,
    MaskMarker,
    Parts,
    numeric_rows,
    row_flops,
    row_products,
    row_range,
    sr_add,
    sr_mul,
    tag_type,
)
from ircc.passes.sparse_output import plan_output

#: the multiplier of the hash: (j * HASH_SCALE) & (size - 1)
HASH_SCALE = 107


def table_size(b: LoopBuilder, flops: SSAValue, n: SSAValue, hint: str = "size") -> SSAValue:
    """The smallest power of two >= 2 * min(flops, n), at least 2."""
    want = b.mul(b.min(flops, n), b.index(2))
    size = b.while_([b.index(2)], lambda b, s: b.cmp("slt", s, want), lambda b, s: [b.mul(s, b.index(2))])[0]
    size.name_hint = hint
    return size


class HashTable:
    """Keys (-1: empty) and, for the numeric phase, values: ``capacity`` slots, a row using the first ``size``."""

    def __init__(self, b: LoopBuilder, capacity: SSAValue, key_t: Attribute, value_t: Attribute | None):
        self.key_t = key_t
        self.empty = b.const(-1, key_t)
        self.keys = b.alloc(key_t, capacity)
        self.keys.name_hint = "hash_keys"
        b.fill(self.keys, self.empty, capacity)
        self.vals = None
        if value_t is not None:
            self.vals = b.alloc(value_t, capacity)
            self.vals.name_hint = "hash_vals"
        self.used = b.alloc(INDEX, capacity)  # the slots a row filled, to clear just those
        self.used.name_hint = "used_slots"

    def probe(self, b: LoopBuilder, j: SSAValue, key: SSAValue, size: SSAValue) -> SSAValue:
        """The slot holding ``key`` (column ``j`` as a key), or the empty slot where it goes."""
        last = b.sub(size, b.index(1))
        start = b.and_(b.mul(j, b.index(HASH_SCALE)), last)

        def occupied_by_other(b: LoopBuilder, h: SSAValue) -> SSAValue:
            k = b.load(self.keys, h)
            return b.and_(b.cmp("ne", k, key), b.cmp("ne", k, self.empty))

        slot = b.while_([start], occupied_by_other, lambda b, h: [b.and_(b.add(h, b.index(1)), last)])[0]
        slot.name_hint = "slot"
        return slot

    def clear(self, b: LoopBuilder, filled: SSAValue) -> None:
        """Empty the ``filled`` slots listed in ``used`` (a row's own: not the whole table)."""
        b.for_(b.index(0), filled, [], lambda b, t: b.store(self.empty, self.keys, b.load(self.used, t)))

    def free(self, b: LoopBuilder) -> None:
        b.dealloc(self.keys)
        b.dealloc(self.used)
        if self.vals is not None:
            b.dealloc(self.vals)


def count_columns_hash(b: LoopBuilder, a: Parts, bm: Parts, cptr: SSAValue, first: SSAValue, end: SSAValue,
                       capacity: SSAValue, mask: Mask | None) -> None:
    """The symbolic phase for rows ``first:end``: each row's distinct (allowed) columns into ``cptr[i + 1]``."""
    key_t = tag_type(a)
    table = HashTable(b, capacity, key_t, None)
    masks = MaskMarker(b, mask, bm.ncols, key_t)

    def count_row(b: LoopBuilder, i: SSAValue) -> None:
        i.name_hint = "i"
        masks.start_row(b, i)
        lo, hi = row_range(b, a.indptr, i)
        size = table_size(b, row_flops(b, a, bm, lo, hi), bm.ncols)

        def visit(b: LoopBuilder, j: SSAValue, p: SSAValue, q: SSAValue, count: SSAValue) -> SSAValue:
            key = b.cast(j, key_t)
            h = table.probe(b, j, key, size)
            new = b.cmp("eq", b.load(table.keys, h), table.empty)

            def insert(b: LoopBuilder) -> None:
                b.store(key, table.keys, h)
                b.store(h, table.used, count)

            b.if_(new, insert)
            return b.add(count, b.select(new, b.index(1), b.index(0)))

        filled = row_products(b, a, bm, masks, i, lo, hi, b.index(0), visit)
        b.store(filled, cptr, b.add(i, b.index(1)))
        table.clear(b, filled)

    b.for_(first, end, [], count_row)
    table.free(b)
    masks.free(b)


class HashRows:
    """The numeric phase of one partition: its table and ``row(b, i)``."""

    def __init__(self, b: LoopBuilder, a: Parts, bm: Parts, out: Parts, *, semiring: str, value_type,
                 capacity: SSAValue, sort_fn: str | None, mask: Mask | None):
        self.a, self.bm, self.out, self.semiring, self.sort_fn = a, bm, out, semiring, sort_fn
        self.key_t = tag_type(a)
        self.table = HashTable(b, capacity, self.key_t, value_type)
        self.masks = MaskMarker(b, mask, bm.ncols, self.key_t)

    def row(self, b: LoopBuilder, i: SSAValue) -> SSAValue:
        a, bm, out, table = self.a, self.bm, self.out, self.table
        keys, vals = table.keys, table.vals
        self.masks.start_row(b, i)
        lo, hi = row_range(b, a.indptr, i)
        start, end = row_range(b, out.indptr, i)
        size = table_size(b, b.sub(end, start), bm.ncols)  # the symbolic phase counted the row's columns

        def visit(b: LoopBuilder, j: SSAValue, p: SSAValue, q: SSAValue, pos: SSAValue) -> SSAValue:
            key = b.cast(j, self.key_t)
            prod = sr_mul(b, self.semiring, b.load(a.values, p), b.load(bm.values, q))
            h = table.probe(b, j, key, size)

            def insert(b: LoopBuilder) -> list[SSAValue]:
                b.store(key, keys, h)
                b.store(prod, vals, h)
                b.store(j, out.indices, pos)  # columns in discovery order, as SPA
                return [b.add(pos, b.index(1))]

            def update(b: LoopBuilder) -> list[SSAValue]:
                b.store(sr_add(b, self.semiring, b.load(vals, h), prod), vals, h)
                return [pos]

            return b.if_(b.cmp("eq", b.load(keys, h), table.empty), insert, update, types=[INDEX])[0]

        row_end = row_products(b, a, bm, self.masks, i, lo, hi, start, visit)
        if self.sort_fn is not None:
            b.insert(func.CallOp(self.sort_fn, [out.indices, start, row_end], []))

        def gather(b: LoopBuilder, p: SSAValue) -> None:
            j = b.load_index(out.indices, p)
            h = table.probe(b, j, b.cast(j, self.key_t), size)
            b.store(b.load(vals, h), out.values, p)
            b.store(h, table.used, b.sub(p, start))

        b.for_(start, row_end, [], gather)
        table.clear(b, b.sub(row_end, start))
        return row_end

    def free(self, b: LoopBuilder) -> None:
        self.table.free(b)
        self.masks.free(b)


def emit_hash(b: LoopBuilder, a: Parts, bm: Parts, *, semiring: str, index_type, value_type,
              sort_fn: str | None, parallel: bool = True, parts: int = 16, mask: Mask | None = None,
              phases: int = 2) -> Parts:
    """Each partition sizes its table from the largest row's flops (``table_size``: a few steps)."""
    n = bm.ncols

    def count_rows(b: LoopBuilder, cptr: SSAValue, first: SSAValue, end: SSAValue, most: SSAValue) -> None:
        count_columns_hash(b, a, bm, cptr, first, end, table_size(b, most, n, "capacity"), mask)

    plan = plan_output(b, a, bm, index_type=index_type, value_type=value_type, parallel=parallel, parts=parts,
                       mask=mask, phases=phases, count_rows=count_rows, need_max_flops=True)
    numeric_rows(b, plan.bounds, plan.count, parallel,
                 lambda b: HashRows(b, a, bm, plan.rows, semiring=semiring, value_type=value_type,
                                    capacity=table_size(b, plan.max_flops, n, "capacity"), sort_fn=sort_fn, mask=mask),
                 record=plan.record)
    return plan.finish(b)
