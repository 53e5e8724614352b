"""``lower-matmul``: each ``linalg.matmul`` on memrefs becomes a BLAS call or a vectorizable loop nest.

Two lowerings, chosen per matmul by ``ircc.costmodel.matmul_strategy`` (``strategy=auto``) or forced
(``strategy=blas`` / ``strategy=loops``):

* ``blas``: ``func.call @ircc_sgemm(%a, %b, %c, %trans_a, %trans_b, %beta)`` into ircc's runtime
  (``ircc.backends.runtime``; the backends call the CBLAS numpy ships). A transpose feeding the matmul
  (a ``linalg.generic`` copy into a buffer read by nothing else, as ``torch.nn.Linear`` exports its weight)
  becomes the call's transpose flag, and a ``linalg.fill`` of zeros just before it becomes ``beta = 0``.
* ``loops``: a ``linalg.generic`` whose loops run (i, k, j): the innermost loop walks rows of B and C
  with unit stride, which LLVM vectorizes without reassociating the sum (``convert-linalg-to-loops`` keeps
  the dimension order). A transposed B keeps its transpose copy.

```mlir
%wt = memref.alloc() : memref<3x5xf32>
linalg.generic {... (d0, d1) -> (d1, d0) ...} ins(%w : memref<5x3xf32>) outs(%wt : memref<3x5xf32>) ...
linalg.fill ins(%zero : f32) outs(%y : memref<4x5xf32>)
linalg.matmul ins(%x, %wt : memref<4x3xf32>, memref<3x5xf32>) outs(%y : memref<4x5xf32>)
// strategy=blas becomes
%0 = "memref.cast"(%x) : (memref<4x3xf32>) -> memref<?x?xf32>
%1 = "memref.cast"(%w) : (memref<5x3xf32>) -> memref<?x?xf32>
%2 = "memref.cast"(%y) : (memref<4x5xf32>) -> memref<?x?xf32>
func.call @ircc_sgemm(%0, %1, %2, %false, %true, %zero) : (...) -> ()
```
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, func, memref
from xdsl.dialects.arith import FastMathFlag, FastMathFlagsAttr
from xdsl.dialects.builtin import (
    AffineMapAttr,
    DYNAMIC_INDEX,
    ArrayAttr,
    FloatAttr,
    IntegerAttr,
    IntegerType,
    MemRefType,
    ModuleOp,
)
from xdsl.dialects.linalg.ops import FillOp, GenericOp, IteratorTypeAttr, MatmulOp, YieldOp
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.ir.affine import AffineDimExpr, AffineMap
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import DiagnosticException

from ircc.backends import runtime

STRATEGIES = ("auto", "blas", "loops")


@dataclass(frozen=True)
class LowerMatmul(ModulePass):
    name = "lower-matmul"

    strategy: str = "auto"
    cost: str = "default"  # what strategy=auto asks: static, learned, or the compile's cost option

    def __post_init__(self) -> None:
        from ircc.costmodel import check_cost

        check_cost(self.cost)

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.strategy not in STRATEGIES:
            raise DiagnosticException(f"lower-matmul: strategy={self.strategy!r}; expected one of "
                                      f"{', '.join(STRATEGIES)}")
        from ircc.costmodel import matmul_strategy

        have_blas = runtime.blas() is not None
        if self.strategy == "blas" and not have_blas:
            raise DiagnosticException("lower-matmul: strategy=blas, but no CBLAS was found in this process "
                                  "(numpy's OpenBLAS); use strategy=loops")
        for mm in [o for o in op.walk() if isinstance(o, MatmulOp)]:
            a, b = mm.inputs
            c = mm.outputs[0]
            m, n = c.type.get_shape()
            k = a.type.get_shape()[1]
            choice = (self.strategy if self.strategy != "auto"
                      else matmul_strategy(m, n, k, have_blas, self.cost))
            if choice == "blas":
                name = _to_blas(mm)
                if not _has_symbol(op, name):
                    op.body.block.add_op(runtime.gemm_declaration(name))
            else:
                _to_loops(mm)


def _has_symbol(module: ModuleOp, name: str) -> bool:
    return any(isinstance(o, func.FuncOp) and o.sym_name.data == name for o in module.body.block.ops)


def _transposed_source(value: SSAValue, reader: Operation) -> SSAValue | None:
    """The matrix ``value`` is a transposed copy of, when that copy's buffer serves only ``reader``."""
    if not isinstance(value.owner, memref.AllocOp):
        return None
    writers = [u.operation for u in value.uses if isinstance(u.operation, GenericOp)
               and value in u.operation.outputs]
    others = [u.operation for u in value.uses
              if u.operation is not reader and not isinstance(u.operation, memref.DeallocOp)]
    if len(writers) != 1 or others != writers:
        return None
    copy = writers[0]
    body = copy.body.block
    yielded = body.last_op
    if (len(copy.inputs) != 1 or len(body.ops) != 1 or not isinstance(yielded, YieldOp)
            or yielded.operands[0] is not body.args[0]):
        return None
    in_map, out_map = (m.data for m in copy.indexing_maps.data)
    transpose = AffineMap(2, 0, (AffineDimExpr(1), AffineDimExpr(0)))
    if out_map != AffineMap.identity(2) or in_map != transpose:
        return None
    return copy.inputs[0]


def _erase_copy(value: SSAValue) -> None:
    """Erase a buffer nothing reads any more, with its writer and its dealloc."""
    for use in list(value.uses):
        use.operation.detach()
        use.operation.erase()
    value.owner.detach()
    value.owner.erase()


def _zero_fill_before(mm: MatmulOp) -> FillOp | None:
    prev = mm.prev_op
    if not isinstance(prev, FillOp) or prev.outputs[0] is not mm.outputs[0]:
        return None
    value = prev.inputs[0].owner
    if isinstance(value, arith.ConstantOp) and isinstance(value.value, FloatAttr) and value.value.value.data == 0.0:
        return prev
    return None


def _to_blas(mm: MatmulOp) -> str:
    a, b = mm.inputs
    c = mm.outputs[0]
    element = c.type.element_type
    flags = []
    operands = []
    folded = []
    for value in (a, b):
        source = _transposed_source(value, mm)
        if source is not None:
            folded.append(value)
        flags.append(source is not None)
        operands.append(source if source is not None else value)
    fill = _zero_fill_before(mm)
    beta = 0.0 if fill is not None else 1.0
    if fill is not None:
        fill.detach()
        fill.erase()
    new: list[Operation] = []
    casts = []
    for v in (*operands, c):
        cast = memref.CastOp.get(v, MemRefType(element, [DYNAMIC_INDEX, DYNAMIC_INDEX]))
        new.append(cast)
        casts.append(cast.results[0])
    consts = [arith.ConstantOp(IntegerAttr(int(f), IntegerType(1))) for f in flags]
    beta_op = arith.ConstantOp(FloatAttr(beta, element))
    new += [*consts, beta_op]
    name = runtime.gemm_name(element)
    call = func.CallOp(name, [*casts, *(x.results[0] for x in consts), beta_op.results[0]], [])
    new.append(call)
    block = mm.parent_block()
    block.insert_ops_before(new, mm)
    mm.detach()
    mm.erase()
    for value in folded:
        _erase_copy(value)
    return name


def _to_loops(mm: MatmulOp) -> None:
    """C[i, j] += A[i, k] B[k, j] as a generic over (i, k, j): unit stride on B and C innermost."""
    a, b = mm.inputs
    c = mm.outputs[0]
    d = [AffineDimExpr(x) for x in range(3)]
    maps = [AffineMap(3, 0, (d[0], d[1])), AffineMap(3, 0, (d[1], d[2])), AffineMap(3, 0, (d[0], d[2]))]
    iterators = [IteratorTypeAttr.parallel(), IteratorTypeAttr.reduction(), IteratorTypeAttr.parallel()]
    element = c.type.element_type
    body = Block(arg_types=[element] * 3)
    # linalg.matmul does not fix the order of its sum (a BLAS would not keep it either): reassociable
    flags = FastMathFlagsAttr((FastMathFlag.REASSOC, FastMathFlag.ALLOW_CONTRACT))
    prod = arith.MulfOp(body.args[0], body.args[1], flags=flags)
    total = arith.AddfOp(body.args[2], prod.results[0], flags=flags)
    body.add_ops([prod, total, YieldOp(total.results[0])])
    generic = GenericOp([a, b], [c], Region(body), [AffineMapAttr(m) for m in maps], ArrayAttr(iterators))
    block = mm.parent_block()
    block.insert_op_before(generic, mm)
    mm.detach()
    mm.erase()
