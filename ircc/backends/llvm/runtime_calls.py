"""``func.call`` into ircc's runtime (``ircc.backends.runtime``): a GEMM becomes a call to the CBLAS function
``ircc_rt_<name>``, whose address ``codegen.resolve_symbols`` binds into the JIT."""

from __future__ import annotations

from llvmlite import ir
from xdsl.dialects import func

from ircc.backends import runtime
from ircc.backends.llvm.types import I32, I64, PTR, Memref
from ircc.errors import BackendError


def lower_runtime_call(lo, op: func.CallOp) -> None:
    name = op.callee.root_reference.data
    info = runtime.blas()
    if info is None:
        raise BackendError(f"func.call @{name}: no CBLAS was found in this process (numpy's OpenBLAS); "
                           "compile with pipeline option lower-matmul{strategy=loops} instead")
    a, bm, c = (lo.memref(v) for v in op.arguments[:3])
    trans_a, trans_b, beta = (lo.scalar(v) for v in op.arguments[3:])
    b = lo.b  # the IR builder (the matrices are a, bm, c)
    ity = ir.IntType(info.int_bits)
    elem = a.element
    cblas = lo.ml.declare(f"ircc_rt_{name}", ir.VoidType(),
                          [I32, I32, I32, ity, ity, ity, elem, PTR, ity, PTR, ity, elem, PTR, ity])

    def flag(v: ir.Value) -> ir.Value:
        return b.select(v, ir.Constant(I32, runtime.TRANS), ir.Constant(I32, runtime.NO_TRANS))

    def data(m: Memref) -> ir.Value:
        return b.gep(m.aligned, [m.offset], inbounds=True, source_etype=m.element)

    def lead(m: Memref) -> ir.Value:  # the row stride of an identity-layout matrix, at least 1
        cols = m.sizes[1]
        one = ir.Constant(I64, 1)
        return _narrow(b, b.select(b.icmp_signed("<", cols, one), one, cols), ity)

    m, n = c.sizes
    k = b.select(trans_a, a.sizes[0], a.sizes[1])
    b.call(cblas, [ir.Constant(I32, runtime.ROW_MAJOR), flag(trans_a), flag(trans_b),
                   _narrow(b, m, ity), _narrow(b, n, ity), _narrow(b, k, ity), ir.Constant(elem, 1.0),
                   data(a), lead(a), data(bm), lead(bm), beta, data(c), lead(c)])


def _narrow(b: ir.IRBuilder, v: ir.Value, ity: ir.IntType) -> ir.Value:
    return v if ity.width == 64 else b.trunc(v, ity)
