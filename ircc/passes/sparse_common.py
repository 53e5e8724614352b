"""Pieces the SpGEMM lowerings share: matrix parts, semiring arithmetic, the row sort, the prefix sum.

A CSR value is lowered to ``Parts``: row pointers, column indices, values (memrefs) and the two
dimensions (index). The row sort lives in ``sparse_sort.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects.builtin import IntegerType
from xdsl.ir import Attribute, SSAValue

from ircc.ir.builder import INDEX, LoopBuilder


@dataclass
class Parts:
    indptr: SSAValue
    indices: SSAValue
    values: SSAValue
    nrows: SSAValue
    ncols: SSAValue


def is_bool(t: Attribute) -> bool:
    return isinstance(t, IntegerType) and t.width.data == 1


def semiring_of(name: str, element: Attribute) -> str:
    """The semiring actually computed: on booleans, plus_times is or_and (as scipy's bool product)."""
    return "or_and" if is_bool(element) and name in ("plus_times", "plus_pair") else name


def sr_mul(b: LoopBuilder, semiring: str, x: SSAValue, y: SSAValue) -> SSAValue:
    if semiring == "plus_times":
        return b.mul(x, y)
    if semiring == "or_and":
        return b.and_(x, y)
    if semiring == "min_plus":
        return b.add(x, y)
    if semiring == "plus_pair":
        return b.const(1, x.type)
    raise ValueError(semiring)


def sr_add(b: LoopBuilder, semiring: str, acc: SSAValue, x: SSAValue) -> SSAValue:
    if semiring in ("plus_times", "plus_pair"):
        return b.add(acc, x)
    if semiring == "or_and":
        return b.or_(acc, x)
    if semiring == "min_plus":
        return b.min(acc, x)
    raise ValueError(semiring)


def row_range(b: LoopBuilder, indptr: SSAValue, i: SSAValue) -> tuple[SSAValue, SSAValue]:
    return b.load_index(indptr, i), b.load_index(indptr, b.add(i, b.index(1)))


def row_flops(b: LoopBuilder, a: Parts, bm: Parts, lo: SSAValue, hi: SSAValue) -> SSAValue:
    """The products of one row of A @ B: the lengths of the rows of B that ``A[lo:hi]`` selects."""
    def entry(b: LoopBuilder, p: SSAValue, f: SSAValue) -> list[SSAValue]:
        blo, bhi = row_range(b, bm.indptr, b.load_index(a.indices, p))
        return [b.add(f, b.sub(bhi, blo))]

    return b.for_(lo, hi, [b.index(0)], entry)[0]


#: blocks of a parallel prefix sum (``exclusive_scan(..., parallel=True)``)
SCAN_BLOCKS = 64


def _running_sum(b: LoopBuilder, ptr: SSAValue, lo: SSAValue, hi: SSAValue, start: SSAValue) -> SSAValue:
    """``ptr[i+1] = start + counts ptr[lo+1..i+1]`` for i in [lo, hi); returns the sum at hi."""
    def step(b: LoopBuilder, i: SSAValue, total: SSAValue) -> list[SSAValue]:
        nxt = b.add(i, b.index(1))
        s = b.add(total, b.load_index(ptr, nxt))
        b.store(s, ptr, nxt)
        return [s]

    return b.for_(lo, hi, [start], step)[0]


def exclusive_scan(b: LoopBuilder, ptr: SSAValue, m: SSAValue, parallel: bool = False) -> SSAValue:
    """``ptr[1:m+1]`` holds counts: make it their running sum (ptr[0] is 0); returns the total.
    ``parallel``: in ``SCAN_BLOCKS`` blocks -- each block's sum in parallel, a serial scan of the block sums,
    then each block's running sum from its offset in parallel (a many-threaded machine: the serial scan of
    R-MAT scale 10's rows is ~130k cycles on the simulated die, the blocked one a tenth)."""
    b.store(b.index(0), ptr, b.index(0))
    if not parallel:
        return _running_sum(b, ptr, b.index(0), m, b.index(0))
    blocks = b.index(SCAN_BLOCKS)
    size = b.div_floor(b.add(m, b.index(SCAN_BLOCKS - 1)), blocks)
    sums = b.alloc(INDEX, b.index(SCAN_BLOCKS + 1))
    sums.name_hint = "block_sums"

    def block(b: LoopBuilder, k: SSAValue) -> tuple[SSAValue, SSAValue]:
        lo = b.min(b.mul(k, size), m)
        return lo, b.min(b.add(lo, size), m)

    def block_sum(b: LoopBuilder, k: SSAValue) -> None:
        lo, hi = block(b, k)
        total = b.for_(lo, hi, [b.index(0)], lambda b, i, s: [b.add(s, b.load_index(ptr, b.add(i, b.index(1))))])[0]
        b.store(total, sums, b.add(k, b.index(1)))

    b.parallel(b.index(0), blocks, block_sum)
    total = exclusive_scan(b, sums, blocks)

    def block_scan(b: LoopBuilder, k: SSAValue) -> None:
        lo, hi = block(b, k)
        _running_sum(b, ptr, lo, hi, b.load(sums, k))

    b.parallel(b.index(0), blocks, block_scan)
    b.dealloc(sums)
    return total


#: partitions from which the flop pass runs in parallel (a many-threaded machine: the simulated PIUMA's 512
#: threads wait ~3.7M cycles for one thread to walk R-MAT scale 10's entries; two CPU threads gain nothing)
PARALLEL_PARTITIONING = 64


def flop_partitions(b: LoopBuilder, a: Parts, bm: Parts, parts: int,
                    parallel: bool = False) -> tuple[SSAValue, SSAValue, SSAValue, SSAValue]:
    """Row ranges of about equal work: ``(bounds, count, total_flops, max_row_flops)``, partition p being rows
    ``bounds[p]:bounds[p+1]``. Work is a row's flops (the nonzeros of the rows of B its entries select),
    so a hub row is a partition of its own and empty rows cost nothing (balanced by flops, not rows).
    ``parallel``: the rows' flops and the partitions' boundaries in ``scf.parallel`` loops (only the running
    sum stays serial)."""
    m = a.nrows
    one = b.index(1)
    fptr = b.alloc(INDEX, b.add(m, one))
    fptr.name_hint = "row_flops"
    b.store(b.index(0), fptr, b.index(0))

    def flops_of(b: LoopBuilder, i: SSAValue) -> SSAValue:
        lo, hi = row_range(b, a.indptr, i)

        def entry(b: LoopBuilder, p: SSAValue, s: SSAValue) -> list[SSAValue]:
            k = b.load_index(a.indices, p)
            blo, bhi = row_range(b, bm.indptr, k)
            return [b.add(s, b.sub(bhi, blo))]

        return b.for_(lo, hi, [b.index(0)], entry)[0]

    if parallel:
        b.parallel(b.index(0), m, lambda b, i: b.store(flops_of(b, i), fptr, b.add(i, one)))

    def row(b: LoopBuilder, i: SSAValue, total: SSAValue, most: SSAValue) -> list[SSAValue]:
        f = b.load(fptr, b.add(i, one)) if parallel else flops_of(b, i)
        new_total = b.add(total, f)
        b.store(new_total, fptr, b.add(i, one))
        return [new_total, b.max(most, f)]

    total, most = b.for_(b.index(0), m, [b.index(0), b.index(0)], row)
    most.name_hint = "max_row_flops"
    count = b.min(m, b.index(parts))
    count = b.max(count, b.index(1))
    bounds = b.alloc(INDEX, b.add(count, one))
    bounds.name_hint = "part_rows"

    def boundary(b: LoopBuilder, p: SSAValue) -> None:
        # the first row whose running flops reach p * total / count (a binary search over fptr)
        target = b.div_floor(b.mul(p, total), count)

        def cond(b: LoopBuilder, lo: SSAValue, hi: SSAValue) -> SSAValue:
            return b.cmp("slt", lo, hi)

        def step(b: LoopBuilder, lo: SSAValue, hi: SSAValue) -> list[SSAValue]:
            mid = b.div_floor(b.add(lo, hi), b.index(2))
            below = b.cmp("slt", b.load(fptr, mid), target)
            return [b.select(below, b.add(mid, one), lo), b.select(below, hi, mid)]

        first = b.while_([b.index(0), m], cond, step)[0]
        b.store(first, bounds, p)

    if parallel:
        b.parallel(b.index(0), count, boundary)
    else:
        b.for_(b.index(0), count, [], boundary)
    b.store(m, bounds, count)
    b.dealloc(fptr)
    return bounds, count, total, most


def over_partitions(b: LoopBuilder, bounds: SSAValue, count: SSAValue, parallel: bool, body) -> None:
    """``body(b, first_row, end_row)`` for every partition, in ``scf.parallel`` when ``parallel``."""
    def one(b: LoopBuilder, p: SSAValue) -> None:
        body(b, b.load(bounds, p), b.load(bounds, b.add(p, b.index(1))))

    if parallel:
        b.parallel(b.index(0), count, one)
    else:
        b.for_(b.index(0), count, [], lambda b, p: one(b, p))


@dataclass
class Mask:
    """A mask for C: its parts and whether it is complemented (``C<!M>``)."""

    parts: Parts
    complement: bool


class MaskMarker:
    """Which columns row i of C may have: ``mmark[j] == i`` for the columns of M's row i (filled per row);
    ``allowed(j)`` is that test, negated for a complemented mask."""

    def __init__(self, b: LoopBuilder, mask: Mask | None, n: SSAValue, tag_t: Attribute = INDEX):
        self.mask, self.tag_t = mask, tag_t
        self.mmark = None
        if mask is not None:
            self.mmark = b.alloc(tag_t, n)
            self.mmark.name_hint = "mask_mark"
            b.fill(self.mmark, b.const(-1, tag_t), n)

    def start_row(self, b: LoopBuilder, i: SSAValue) -> None:
        if self.mask is None:
            return
        lo, hi = row_range(b, self.mask.parts.indptr, i)
        tag = b.cast(i, self.tag_t)
        b.for_(lo, hi, [], lambda b, q: b.store(tag, self.mmark, b.load_index(self.mask.parts.indices, q)))

    def allowed(self, b: LoopBuilder, i: SSAValue, j: SSAValue) -> SSAValue | None:
        """An i1 (None: every column is allowed)."""
        if self.mask is None:
            return None
        return b.cmp("ne" if self.mask.complement else "eq", b.load(self.mmark, j), b.cast(i, self.tag_t))

    def free(self, b: LoopBuilder) -> None:
        if self.mmark is not None:
            b.dealloc(self.mmark)


def tag_type(a: Parts) -> Attribute:
    """The element type of the row markers: A's index type (i32 halves their memory when rows fit)."""
    return a.indptr.type.element_type  # type: ignore[attr-defined]


def count_columns(b: LoopBuilder, a: Parts, bm: Parts, n: SSAValue, cptr: SSAValue, first: SSAValue,
                  end: SSAValue, mask: Mask | None = None) -> None:
    """The symbolic phase for rows ``first:end``: each row's distinct (allowed) columns into ``cptr[i + 1]``,
    with a marker of n entries tagged by the row (so it is filled once per partition, never cleared)."""
    tag_t = tag_type(a)
    mark = b.alloc(tag_t, n)
    mark.name_hint = "mark"
    b.fill(mark, b.const(-1, tag_t), n)
    masks = MaskMarker(b, mask, n, tag_t)

    def count_row(b: LoopBuilder, i: SSAValue) -> None:
        i.name_hint = "i"
        masks.start_row(b, i)
        tag = b.cast(i, tag_t)
        tag.name_hint = "tag"
        lo, hi = row_range(b, a.indptr, i)

        def over_a(b: LoopBuilder, p: SSAValue, count: SSAValue) -> list[SSAValue]:
            blo, bhi = row_range(b, bm.indptr, b.load_index(a.indices, p))

            def over_b(b: LoopBuilder, q: SSAValue, count: SSAValue) -> list[SSAValue]:
                j = b.load_index(bm.indices, q)
                j.name_hint = "j"
                new = b.cmp("ne", b.load(mark, j), tag)
                allowed = masks.allowed(b, i, j)
                if allowed is not None:
                    new = b.and_(new, allowed)
                b.if_(new, lambda b: b.store(tag, mark, j))
                return [b.add(count, b.select(new, b.index(1), b.index(0)))]

            return b.for_(blo, bhi, [count], over_b)

        row_count = b.for_(lo, hi, [b.index(0)], over_a)[0]
        b.store(row_count, cptr, b.add(i, b.index(1)))

    b.for_(first, end, [], count_row)
    b.dealloc(mark)
    masks.free(b)


def row_products(b: LoopBuilder, a: Parts, bm: Parts, masks: MaskMarker, i: SSAValue, lo: SSAValue, hi: SSAValue,
              init: SSAValue, visit) -> SSAValue:
    """``carried = visit(b, j, p, q, carried)`` for every product A[i, k] * B[k, j] the mask allows."""
    def over_a(b: LoopBuilder, p: SSAValue, carried: SSAValue) -> list[SSAValue]:
        blo, bhi = row_range(b, bm.indptr, b.load_index(a.indices, p))

        def over_b(b: LoopBuilder, q: SSAValue, carried: SSAValue) -> list[SSAValue]:
            j = b.load_index(bm.indices, q)
            j.name_hint = "j"
            allowed = masks.allowed(b, i, j)
            if allowed is None:
                return [visit(b, j, p, q, carried)]
            return b.if_(allowed, lambda b: [visit(b, j, p, q, carried)], lambda b: [carried], types=[INDEX])

        return b.for_(blo, bhi, [carried], over_b)

    return b.for_(lo, hi, [init], over_a)[0]


def max_row_length(b: LoopBuilder, a: Parts) -> SSAValue:
    def row(b: LoopBuilder, i: SSAValue, best: SSAValue) -> list[SSAValue]:
        lo, hi = row_range(b, a.indptr, i)
        return [b.max(best, b.sub(hi, lo))]

    return b.for_(b.index(0), a.nrows, [b.index(0)], row)[0]


def numeric_rows(b: LoopBuilder, bounds: SSAValue, count: SSAValue, parallel: bool, make_rows,
                 record: tuple[SSAValue, SSAValue] | None = None) -> None:
    """The numeric phase: per partition, ``rows = make_rows(b)`` (its scratch), ``rows.row(b, i)`` for each
    of its rows (returning where the row ended), then ``rows.free(b)``. ``record = (starts, lengths)``
    (one phase): row i's length, its end minus ``starts[i]``, goes to ``lengths[i + 1]``."""
    def partition(b: LoopBuilder, first: SSAValue, end: SSAValue) -> None:
        rows = make_rows(b)

        def one(b: LoopBuilder, i: SSAValue) -> None:
            i.name_hint = "i"
            row_end = rows.row(b, i)
            if record is not None:
                starts, lengths = record
                b.store(b.sub(row_end, b.load_index(starts, i)), lengths, b.add(i, b.index(1)))

        b.for_(first, end, [], one)
        rows.free(b)

    over_partitions(b, bounds, count, parallel, partition)
