"""Pieces the SpGEMM lowerings share: matrix parts, semiring arithmetic, the row sort, the prefix sum.

A CSR value is lowered to ``Parts``: row pointers, column indices, values (memrefs) and the two
dimensions (index). The sort of one row's column indices is a function in the module,
``@ircc_sort_<T>(%cols, %lo, %hi)`` (shell sort up to ``SHELL_MAX`` entries, heapsort above: O(k log k)
for hub rows), emitted once per index type.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects import func
from xdsl.dialects.builtin import FunctionType, IntegerType, ModuleOp
from xdsl.ir import Attribute, Block, Region, SSAValue

from ircc.ir.builder import INDEX, LoopBuilder, memref_1d


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


def exclusive_scan(b: LoopBuilder, ptr: SSAValue, m: SSAValue) -> SSAValue:
    """``ptr[1:m+1]`` holds counts: make it their running sum (ptr[0] is 0); returns the total."""
    b.store(b.index(0), ptr, b.index(0))

    def step(b: LoopBuilder, i: SSAValue, total: SSAValue) -> list[SSAValue]:
        nxt = b.add(i, b.index(1))
        s = b.add(total, b.load_index(ptr, nxt))
        b.store(s, ptr, nxt)
        return [s]

    return b.for_(b.index(0), m, [b.index(0)], step)[0]


def ensure_sort(module: ModuleOp, index_type: Attribute) -> str:
    """``@ircc_sort_<T>(memref<?xT>, lo: index, hi: index)``: sorts ``a[lo:hi]`` ascending."""
    name = f"ircc_sort_{index_type}"
    for op in module.ops:
        if isinstance(op, func.FuncOp) and op.sym_name.data == name:
            return name
    mt = memref_1d(index_type)
    block = Block(arg_types=[mt, INDEX, INDEX])
    a, lo, hi = block.args
    b = LoopBuilder.at_end(block)
    n = b.sub(hi, lo)
    b.if_(b.cmp("sle", n, b.index(SHELL_MAX)), lambda b: _shell_sort(b, a, lo, hi),
          lambda b: _heapsort(b, a, lo, n))
    b.insert(func.ReturnOp())
    fn = func.FuncOp(name, FunctionType.from_lists([mt, INDEX, INDEX], []), Region(block), visibility="private")
    module.body.block.add_op(fn)
    return name


#: rows up to this length are shell-sorted (gaps 57, 23, 10, 4, 1: fast on short rows); longer rows heapsorted
SHELL_MAX = 1024
_GAPS = (301, 132, 57, 23, 10, 4, 1)


def _gapped_insertion_sort(b: LoopBuilder, a: SSAValue, lo: SSAValue, hi: SSAValue, gap: int) -> None:
    g = b.index(gap)
    first = b.add(lo, g)

    def outer(b: LoopBuilder, x: SSAValue) -> None:
        v = b.load(a, x)

        def cond(b: LoopBuilder, j: SSAValue) -> SSAValue:
            # a[j - gap] > v, read only when j - gap >= lo
            return b.if_(b.cmp("sge", j, first), lambda b: [b.cmp("sgt", b.load(a, b.sub(j, g)), v)],
                         lambda b: [b.const(False, IntegerType(1))], types=[IntegerType(1)])[0]

        def shift(b: LoopBuilder, j: SSAValue) -> list[SSAValue]:
            jm = b.sub(j, g)
            b.store(b.load(a, jm), a, j)
            return [jm]

        j = b.while_([x], cond, shift)[0]
        b.store(v, a, j)

    b.for_(first, hi, [], outer)


def _shell_sort(b: LoopBuilder, a: SSAValue, lo: SSAValue, hi: SSAValue) -> None:
    n = b.sub(hi, lo)
    for gap in _GAPS:
        if gap == 1:
            _gapped_insertion_sort(b, a, lo, hi, 1)
        else:
            b.if_(b.cmp("sgt", n, b.index(2 * gap)), lambda b, gap=gap: _gapped_insertion_sort(b, a, lo, hi, gap))


def _heapsort(b: LoopBuilder, a: SSAValue, lo: SSAValue, n: SSAValue) -> None:
    one, two = b.index(1), b.index(2)

    def sift(b: LoopBuilder, root: SSAValue, size: SSAValue) -> None:
        """Move a[lo + root] down the max-heap of ``size`` entries."""
        i1 = IntegerType(1)

        def cond(b: LoopBuilder, r: SSAValue, done: SSAValue) -> SSAValue:
            child = b.add(b.mul(r, two), one)
            return b.and_(b.cmp("slt", child, size), b.xor(done, b.const(True, i1)))

        def body(b: LoopBuilder, r: SSAValue, done: SSAValue) -> list[SSAValue]:
            child = b.add(b.mul(r, two), one)
            right = b.add(child, one)
            has_right = b.cmp("slt", right, size)
            bigger = b.if_(has_right, lambda b: [b.select(
                b.cmp("slt", b.load(a, b.add(lo, child)), b.load(a, b.add(lo, right))), right, child)],
                lambda b: [child], types=[INDEX])[0]
            rv, cv = b.load(a, b.add(lo, r)), b.load(a, b.add(lo, bigger))
            swap = b.cmp("slt", rv, cv)

            def do_swap(b: LoopBuilder) -> list[SSAValue]:
                b.store(cv, a, b.add(lo, r))
                b.store(rv, a, b.add(lo, bigger))
                return [bigger, b.const(False, i1)]

            return b.if_(swap, do_swap, lambda b: [r, b.const(True, i1)], types=[INDEX, i1])

        b.while_([root, b.const(False, i1)], cond, body)

    half = b.div_floor(n, two)
    b.for_(b.index(0), half, [], lambda b, t: sift(b, b.sub(b.sub(half, one), t), n))

    def extract(b: LoopBuilder, t: SSAValue) -> None:
        end = b.sub(b.sub(n, one), t)
        first, last = b.load(a, lo), b.load(a, b.add(lo, end))
        b.store(last, a, lo)
        b.store(first, a, b.add(lo, end))
        sift(b, b.index(0), end)

    b.for_(b.index(0), b.sub(n, one), [], extract)


def flop_partitions(b: LoopBuilder, a: Parts, bm: Parts, parts: int) -> tuple[SSAValue, SSAValue, SSAValue]:
    """Row ranges of about equal work: ``(bounds, count, total_flops)``, partition p being rows
    ``bounds[p]:bounds[p+1]``. Work is a row's flops (the nonzeros of the rows of B its entries select),
    so a hub row is a partition of its own and empty rows cost nothing (balanced by flops, not rows)."""
    m = a.nrows
    one = b.index(1)
    fptr = b.alloc(INDEX, b.add(m, one))
    fptr.name_hint = "row_flops"
    b.store(b.index(0), fptr, b.index(0))

    def row(b: LoopBuilder, i: SSAValue, total: SSAValue) -> list[SSAValue]:
        lo, hi = row_range(b, a.indptr, i)

        def entry(b: LoopBuilder, p: SSAValue, s: SSAValue) -> list[SSAValue]:
            k = b.load_index(a.indices, p)
            blo, bhi = row_range(b, bm.indptr, k)
            return [b.add(s, b.sub(bhi, blo))]

        total = b.for_(lo, hi, [total], entry)[0]
        b.store(total, fptr, b.add(i, one))
        return [total]

    total = b.for_(b.index(0), m, [b.index(0)], row)[0]
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

    b.for_(b.index(0), count, [], boundary)
    b.store(m, bounds, count)
    b.dealloc(fptr)
    return bounds, count, total


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


def max_row_length(b: LoopBuilder, a: Parts) -> SSAValue:
    def row(b: LoopBuilder, i: SSAValue, best: SSAValue) -> list[SSAValue]:
        lo, hi = row_range(b, a.indptr, i)
        return [b.max(best, b.sub(hi, lo))]

    return b.for_(b.index(0), a.nrows, [b.index(0)], row)[0]


def numeric_rows(b: LoopBuilder, bounds: SSAValue, count: SSAValue, parallel: bool, make_rows) -> None:
    """The numeric phase: per partition, ``rows = make_rows(b)`` (its scratch), ``rows.row(b, i)`` for each
    of its rows, then ``rows.free(b)``; the partition bounds are freed after."""
    def partition(b: LoopBuilder, first: SSAValue, end: SSAValue) -> None:
        rows = make_rows(b)

        def one(b: LoopBuilder, i: SSAValue) -> None:
            i.name_hint = "i"
            rows.row(b, i)

        b.for_(first, end, [], one)
        rows.free(b)

    over_partitions(b, bounds, count, parallel, partition)
    b.dealloc(bounds)
