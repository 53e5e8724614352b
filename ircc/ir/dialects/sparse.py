"""The ``sparse`` dialect: CSR matrices as values, and products over a semiring.

A ``!sparse.csr<f64, i32>`` value is a matrix in compressed sparse rows: row pointers and column
indices of the index type (i32 or i64), values of the element type, and its two dimensions. At the
function boundary a matrix travels as its parts (``sparse.assemble`` / ``sparse.disassemble``), so
functions keep the memref calling convention; ``lower-sparse`` replaces every op here by loops over
those memrefs.

```mlir
func.func @spgemm(%ap: memref<?xi32>, %ai: memref<?xi32>, %av: memref<?xf64>, %m: index, %k: index,
                  %bp: memref<?xi32>, %bi: memref<?xi32>, %bv: memref<?xf64>, %n: index)
    -> (memref<?xi32>, memref<?xi32>, memref<?xf64>) {
  %a = sparse.assemble %ap, %ai, %av, %m, %k : memref<?xi32>, memref<?xi32>, memref<?xf64> -> !sparse.csr<f64, i32>
  %b = sparse.assemble %bp, %bi, %bv, %k, %n : memref<?xi32>, memref<?xi32>, memref<?xf64> -> !sparse.csr<f64, i32>
  %c = sparse.spgemm %a, %b {semiring = "plus_times", sorted}
       : !sparse.csr<f64, i32>, !sparse.csr<f64, i32> -> !sparse.csr<f64, i32>
  %cp, %ci, %cv, %cm, %cn = sparse.disassemble %c : !sparse.csr<f64, i32> -> memref<?xi32>, memref<?xi32>, memref<?xf64>
  func.return %cp, %ci, %cv : memref<?xi32>, memref<?xi32>, memref<?xf64>
}
```

Semirings (``semiring = "..."``): ``plus_times`` (the usual product), ``or_and`` (boolean: reachability),
``min_plus`` (shortest paths: a product is a sum, a sum is a minimum), ``plus_pair`` (each product is 1:
counts common neighbours). ``sparse.spgemm`` takes an optional mask (``mask %m``): C keeps only the
entries where M has one (``complement_mask``: where M has none), GraphBLAS's ``C<M> = A @ B``.
"""

from __future__ import annotations

from typing import ClassVar

from xdsl.dialects.builtin import (
    IndexType,
    IntegerType,
    MemRefType,
    StringAttr,
    UnitAttr,
)
from xdsl.ir import Attribute, Dialect, ParametrizedAttribute, TypeAttribute
from xdsl.irdl import (
    IRDLOperation,
    irdl_attr_definition,
    irdl_op_definition,
    operand_def,
    opt_attr_def,
    opt_operand_def,
    result_def,
    traits_def,
    attr_def,
)
from xdsl.parser import AttrParser
from xdsl.printer import Printer
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

SEMIRINGS = ("plus_times", "or_and", "min_plus", "plus_pair")


@irdl_attr_definition
class CsrType(ParametrizedAttribute, TypeAttribute):
    """``!sparse.csr<element, index>``: a matrix in compressed sparse rows."""

    name = "sparse.csr"

    element_type: Attribute
    index_type: Attribute

    def print_parameters(self, printer: Printer) -> None:
        with printer.in_angle_brackets():
            printer.print_attribute(self.element_type)
            printer.print_string(", ")
            printer.print_attribute(self.index_type)

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> tuple[Attribute, Attribute]:
        parser.parse_punctuation("<")
        element = parser.parse_type()
        parser.parse_punctuation(",")
        index = parser.parse_type()
        parser.parse_punctuation(">")
        return element, index

    def verify(self) -> None:
        if not (isinstance(self.index_type, IntegerType) and self.index_type.width.data in (32, 64)):
            raise VerifyException(f"!sparse.csr index type must be i32 or i64, not {self.index_type}")

    def parts(self) -> tuple[MemRefType, MemRefType, MemRefType]:
        """The memref types of (row pointers, column indices, values)."""
        from ircc.ir.builder import memref_1d

        return memref_1d(self.index_type), memref_1d(self.index_type), memref_1d(self.element_type)


def _check_parts(op, parts, t: CsrType) -> None:
    want = t.parts()
    for name, value, expected in zip(("row pointers", "column indices", "values"), parts, want):
        if value.type != expected:
            raise VerifyException(f"{op.name}: {name} are {value.type}, {t} needs {expected}")


@irdl_op_definition
class AssembleOp(IRDLOperation):
    """A CSR matrix from its parts: row pointers (nrows + 1), column indices, values, nrows, ncols."""

    name = "sparse.assemble"
    indptr = operand_def(MemRefType)
    indices = operand_def(MemRefType)
    values = operand_def(MemRefType)
    nrows = operand_def(IndexType)
    ncols = operand_def(IndexType)
    result = result_def(CsrType)
    traits = traits_def(Pure())
    assembly_format = ("$indptr `,` $indices `,` $values `,` $nrows `,` $ncols attr-dict `:` type($indptr) `,` "
                       "type($indices) `,` type($values) `->` type($result)")

    def __init__(self, indptr, indices, values, nrows, ncols, result_type: CsrType):
        super().__init__(operands=[indptr, indices, values, nrows, ncols], result_types=[result_type])

    def verify_(self) -> None:
        _check_parts(self, (self.indptr, self.indices, self.values), self.result.type)


@irdl_op_definition
class DisassembleOp(IRDLOperation):
    """The parts of a CSR matrix: row pointers, column indices, values, nrows, ncols."""

    name = "sparse.disassemble"
    matrix = operand_def(CsrType)
    indptr = result_def(MemRefType)
    indices = result_def(MemRefType)
    values = result_def(MemRefType)
    nrows = result_def(IndexType)
    ncols = result_def(IndexType)
    traits = traits_def(Pure())
    assembly_format = ("$matrix attr-dict `:` type($matrix) `->` type($indptr) `,` type($indices) `,` "
                       "type($values)")

    def __init__(self, matrix):
        t = matrix.type
        super().__init__(operands=[matrix], result_types=[*t.parts(), IndexType(), IndexType()])

    def verify_(self) -> None:
        _check_parts(self, (self.indptr, self.indices, self.values), self.matrix.type)


@irdl_op_definition
class SpGemmOp(IRDLOperation):
    """``C = A @ B`` over a semiring, optionally masked (``C<M>``, or ``C<!M>`` with ``complement_mask``);
    ``sorted``: column indices ascending in every row of C."""

    name = "sparse.spgemm"
    a = operand_def(CsrType)
    b = operand_def(CsrType)
    mask = opt_operand_def(CsrType)
    result = result_def(CsrType)
    semiring = attr_def(StringAttr)
    complement_mask = opt_attr_def(UnitAttr)
    sorted = opt_attr_def(UnitAttr)
    traits = traits_def(Pure())
    assembly_format = ("$a `,` $b (`mask` $mask^)? attr-dict `:` type($a) `,` type($b) (`,` type($mask)^)? "
                       "`->` type($result)")

    def __init__(self, a, b, result_type: CsrType, *, semiring: str = "plus_times", mask=None,
                 complement_mask: bool = False, sorted: bool = True):
        attrs: dict[str, Attribute] = {"semiring": StringAttr(semiring)}
        if complement_mask:
            attrs["complement_mask"] = UnitAttr()
        if sorted:
            attrs["sorted"] = UnitAttr()
        super().__init__(operands=[a, b, [mask] if mask is not None else []], result_types=[result_type],
                         attributes=attrs)

    def verify_(self) -> None:
        ta, tb, tc = self.a.type, self.b.type, self.result.type
        if self.semiring.data not in SEMIRINGS:
            raise VerifyException(f"sparse.spgemm: unknown semiring '{self.semiring.data}'; "
                                  f"semirings are: {', '.join(SEMIRINGS)}")
        if not (ta.element_type == tb.element_type == tc.element_type):
            raise VerifyException(f"sparse.spgemm: element types differ: A is {ta}, B is {tb}, C is {tc}")
        if self.complement_mask is not None and self.mask is None:
            raise VerifyException("sparse.spgemm: complement_mask without a mask")


class DenseProductOp(IRDLOperation):
    """``y = A @ x`` into a dense destination of rank ``RANK`` (shared by spmv and spmm)."""

    RANK: ClassVar[int]
    a = operand_def(CsrType)
    x = operand_def(MemRefType)
    y = operand_def(MemRefType)
    semiring = attr_def(StringAttr)
    assembly_format = "$a `,` $x `,` $y attr-dict `:` type($a) `,` type($x) `,` type($y)"

    def __init__(self, a, x, y, *, semiring: str = "plus_times"):
        super().__init__(operands=[a, x, y], attributes={"semiring": StringAttr(semiring)})

    def verify_(self) -> None:
        if self.semiring.data not in SEMIRINGS:
            raise VerifyException(f"{self.name}: unknown semiring '{self.semiring.data}'")
        for v, what in ((self.x, "x"), (self.y, "y")):
            t = v.type
            if t.get_num_dims() != self.RANK or t.element_type != self.a.type.element_type:
                raise VerifyException(f"{self.name}: {what} is {t}, needs a {self.RANK}-D memref of "
                                      f"{self.a.type.element_type}")


@irdl_op_definition
class SpMVOp(DenseProductOp):
    """``y = A @ x`` over a semiring, into the dense vector ``y`` (destination-passing)."""

    name = "sparse.spmv"
    RANK: ClassVar[int] = 1


@irdl_op_definition
class SpMMOp(DenseProductOp):
    """``Y = A @ X`` for a dense row-major ``X``, into ``Y`` (destination-passing)."""

    name = "sparse.spmm"
    RANK: ClassVar[int] = 2


Sparse = Dialect("sparse", [AssembleOp, DisassembleOp, SpGemmOp, SpMVOp, SpMMOp], [CsrType])
