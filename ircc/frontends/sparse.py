"""The sparse frontend: an SpGEMM spec becomes a function over CSR parts with one ``sparse.spgemm``.

``build_spgemm(spec, index_in, index_out)`` returns the module::

    func.func @spgemm(A parts, m, k, B parts, n) -> (C parts)
      %a = sparse.assemble ... ; %b = sparse.assemble ...
      %c = sparse.spgemm %a, %b {semiring, sorted}
      sparse.disassemble %c -> returned

The index widths (int32 when everything fits, else int64) are decided per call by the caller
(``ircc.sparse``), which compiles one variant per width pair.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import FunctionType, IndexType, IntegerType, ModuleOp, Region
from xdsl.ir import Attribute, Block

from ircc.errors import IrccError
from ircc.ir.dialects.sparse import SEMIRINGS, AssembleOp, CsrType, DisassembleOp, SpGemmOp

#: dtypes the sparse kernels take, and their IR element types
_ELEMENT = {"float64": "f64", "float32": "f32", "int64": "i64", "int32": "i32", "bool": "i1"}


def element_type(dtype: np.dtype) -> Attribute:
    from xdsl.dialects.builtin import f32, f64, i1, i32, i64

    return {"f64": f64, "f32": f32, "i64": i64, "i32": i32, "i1": i1}[_ELEMENT[_dtype_name(dtype)]]


def _dtype_name(dtype) -> str:
    d = np.dtype(dtype)
    name = "bool" if d == np.bool_ else str(d)
    if name not in _ELEMENT:
        raise IrccError(f"sparse kernels take float64, float32, int64, int32 or bool values, not {d}")
    return name


@dataclass(frozen=True)
class SpGemmSpec:
    """What ``ircc.sparse.spgemm(...)`` returns: compile it with ``ircc.compile(spec, algorithm=...)``."""

    dtype: np.dtype
    semiring: str = "plus_times"
    masked: bool = False
    complement_mask: bool = False
    sorted: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "dtype", np.dtype(_dtype_name(self.dtype)) if _dtype_name(self.dtype) != "bool"
                           else np.dtype(np.bool_))
        if self.semiring not in SEMIRINGS:
            raise IrccError(f"unknown semiring '{self.semiring}'; semirings are: {', '.join(SEMIRINGS)}")
        if self.complement_mask and not self.masked:
            raise IrccError("complement_mask=True needs masked=True (a mask to complement)")


#: what ``algorithm="auto"`` compiles first (its stages describe the kernel); each call then picks spa or
#: heap from the inputs (``ircc.sparse.choose_algorithm``)
DEFAULT_ALGORITHM = "spa"


def pipeline_for(algorithm: str, threads: int, phases: int = 2) -> str:
    """One row partition per thread: each thread allocates its marker and accumulator once (fresh
    scratch per partition costs page faults, which two threads contend for)."""
    parallel = "true" if threads > 1 else "false"
    return (f"lower-sparse{{algorithm={algorithm} parallel={parallel} parts={threads} phases={phases}}},"
            "canonicalize,cse")


def build_spgemm(spec: SpGemmSpec, index_in: int, index_out: int) -> ModuleOp:
    elem = element_type(spec.dtype)
    it_in, it_out = IntegerType(index_in), IntegerType(index_out)
    tin, tout = CsrType(elem, it_in), CsrType(elem, it_out)
    pa, pb = tin.parts(), tin.parts()
    idx = IndexType()
    mask_types = list(tin.parts()) if spec.masked else []
    block = Block(arg_types=[*pa, idx, idx, *pb, idx, *mask_types])
    ap, ai, av, m, k, bp, bi, bv, n = block.args[:9]
    names = ["a_indptr", "a_indices", "a_values", "m", "k", "b_indptr", "b_indices", "b_values", "n"]
    for arg, name in zip(block.args, names + ["m_indptr", "m_indices", "m_values"]):
        arg.name_hint = name
    a = AssembleOp(ap, ai, av, m, k, tin)
    b = AssembleOp(bp, bi, bv, k, n, tin)
    ops = [a, b]
    mask = None
    if spec.masked:
        mp, mi, mv = block.args[9:]
        mask_op = AssembleOp(mp, mi, mv, m, n, tin)
        ops.append(mask_op)
        mask = mask_op.result
    c = SpGemmOp(a.result, b.result, tout, semiring=spec.semiring, sorted=spec.sorted, mask=mask,
                 complement_mask=spec.complement_mask)
    parts = DisassembleOp(c.result)
    ret = func.ReturnOp(parts.indptr, parts.indices, parts.values)
    for op in (*ops, c, parts, ret):
        block.add_op(op)
    fn = func.FuncOp("spgemm", FunctionType.from_lists(block.arg_types, list(tout.parts())), Region(block))
    return ModuleOp([fn])


def build_spmv(kind: str, dtype, semiring: str, index: int) -> ModuleOp:
    """``@spmv(A parts, m, k, x, y)`` (``kind="spmv"``, 1-D x and y) or ``@spmm`` (2-D X and Y): y = A @ x
    into the caller's y."""
    from xdsl.dialects.builtin import DYNAMIC_INDEX, MemRefType

    from ircc.ir.dialects.sparse import SpMMOp, SpMVOp

    if semiring not in SEMIRINGS:
        raise IrccError(f"unknown semiring '{semiring}'; semirings are: {', '.join(SEMIRINGS)}")
    elem = element_type(dtype)
    t = CsrType(elem, IntegerType(index))
    rank = 1 if kind == "spmv" else 2
    dense = MemRefType(elem, [DYNAMIC_INDEX] * rank)
    idx = IndexType()
    block = Block(arg_types=[*t.parts(), idx, idx, dense, dense])
    ap, ai, av, m, k, x, y = block.args
    for arg, name in zip(block.args, ("a_indptr", "a_indices", "a_values", "m", "k", "x", "y")):
        arg.name_hint = name
    a = AssembleOp(ap, ai, av, m, k, t)
    op = (SpMVOp if kind == "spmv" else SpMMOp)(a.result, x, y, semiring=semiring)
    for o in (a, op, func.ReturnOp()):
        block.add_op(o)
    return ModuleOp([func.FuncOp(kind, FunctionType.from_lists(block.arg_types, []), Region(block))])
