"""``sparse.spmv`` and ``sparse.spmm`` to loops: rows in ``scf.parallel``, each row reduced over its entries.

``y[i] = add over p in A[i, :] of mul(A.val[p], x[A.col[p]])``, starting from the semiring's additive
identity (0, false, or +inf for min_plus), so an empty row gives the identity (0 for plus_times, as
scipy). For ``spmm`` the innermost loop runs along a row of the dense row-major X (unit stride).
"""

from __future__ import annotations

from xdsl.ir import SSAValue

from ircc.ir.builder import LoopBuilder
from ircc.passes.sparse_common import Parts, row_range, sr_add, sr_mul


def additive_identity(b: LoopBuilder, semiring: str, t) -> SSAValue:
    if semiring == "min_plus":
        from xdsl.dialects.builtin import IntegerType

        if isinstance(t, IntegerType):
            return b.const((1 << (t.width.data - 1)) - 1, t)
        return b.const(float("inf"), t)
    return b.const(0, t)


def emit_spmv(b: LoopBuilder, a: Parts, x: SSAValue, y: SSAValue, *, semiring: str, parallel: bool) -> None:
    t = y.type.element_type

    def row(b: LoopBuilder, i: SSAValue) -> None:
        lo, hi = row_range(b, a.indptr, i)

        def entry(b: LoopBuilder, p: SSAValue, acc: SSAValue) -> list[SSAValue]:
            prod = sr_mul(b, semiring, b.load(a.values, p), b.load(x, b.load_index(a.indices, p)))
            return [sr_add(b, semiring, acc, prod)]

        b.store(b.for_(lo, hi, [additive_identity(b, semiring, t)], entry)[0], y, i)

    if parallel:
        b.parallel(b.index(0), a.nrows, row)
    else:
        b.for_(b.index(0), a.nrows, [], lambda b, i: row(b, i))


def emit_spmm(b: LoopBuilder, a: Parts, x: SSAValue, y: SSAValue, *, semiring: str, parallel: bool) -> None:
    t = y.type.element_type
    ncols = b.dim(y, 1)

    def row(b: LoopBuilder, i: SSAValue) -> None:
        ident = additive_identity(b, semiring, t)
        b.for_(b.index(0), ncols, [], lambda b, c: b.store(ident, y, i, c))
        lo, hi = row_range(b, a.indptr, i)

        def entry(b: LoopBuilder, p: SSAValue) -> None:
            av = b.load(a.values, p)
            k = b.load_index(a.indices, p)

            def column(b: LoopBuilder, c: SSAValue) -> None:
                prod = sr_mul(b, semiring, av, b.load(x, k, c))
                b.store(sr_add(b, semiring, b.load(y, i, c), prod), y, i, c)

            b.for_(b.index(0), ncols, [], column)

        b.for_(lo, hi, [], entry)

    if parallel:
        b.parallel(b.index(0), a.nrows, row)
    else:
        b.for_(b.index(0), a.nrows, [], lambda b, i: row(b, i))
