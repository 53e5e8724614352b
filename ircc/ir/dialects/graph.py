"""The ``graph`` dialect: matching plans over a data graph, as loops over sorted vertex sets.

A ``!graph.graph`` is a data graph in CSR (row pointers ``memref<?xi64>``, sorted neighbour lists
``memref<?xi32>``, n); a ``!graph.set`` is a sorted set of vertex ids (a neighbour list or the result of
set algebra). Loops carry an ``i64`` count: each one sums what its body yields. ``lower-graph`` turns
every op here into scf / memref / arith: a neighbour list is a slice of the CSR arrays (no copy), an
intersection or difference is a sorted merge into a buffer of its loop depth, the symmetry bounds are
binary searches.

```mlir
// triangles: v0 < v1 < v2, v1 and v2 in N(v0), v2 also in N(v1)
%g = graph.assemble %indptr, %indices, %n : memref<?xi64>, memref<?xi32> -> !graph.graph
%count = "graph.for_vertices"(%g) ({
^bb0(%v0: index):
  %n0 = graph.neighbours %g, %v0 : !graph.graph -> !graph.set
  %s1 = graph.above %n0, %v0 : !graph.set
  %c1 = "graph.for_each"(%s1) ({
  ^bb1(%v1: index):
    %n1 = graph.neighbours %g, %v1 : !graph.graph -> !graph.set
    %s2 = graph.intersect %s1, %n1 : !graph.set
    %s3 = graph.above %s2, %v1 : !graph.set
    %c2 = graph.size %s3 : !graph.set -> i64
    graph.yield %c2 : i64
  }) : (!graph.set) -> i64
  graph.yield %c1 : i64
}) : (!graph.graph) -> i64
```
"""

from __future__ import annotations

from xdsl.dialects.builtin import IndexType, IntegerType, MemRefType, UnitAttr, i64
from xdsl.ir import Dialect, ParametrizedAttribute, TypeAttribute
from xdsl.irdl import (
    IRDLOperation,
    irdl_attr_definition,
    irdl_op_definition,
    operand_def,
    opt_attr_def,
    region_def,
    result_def,
    traits_def,
    var_operand_def,
)
from xdsl.traits import IsTerminator, Pure
from xdsl.utils.exceptions import VerifyException


@irdl_attr_definition
class GraphType(ParametrizedAttribute, TypeAttribute):
    """A data graph: CSR with sorted rows."""

    name = "graph.graph"


@irdl_attr_definition
class SetType(ParametrizedAttribute, TypeAttribute):
    """A sorted set of vertex ids."""

    name = "graph.set"


@irdl_op_definition
class AssembleOp(IRDLOperation):
    """A data graph from its CSR parts: row pointers (n + 1, i64), neighbour lists (i32), n."""

    name = "graph.assemble"
    indptr = operand_def(MemRefType)
    indices = operand_def(MemRefType)
    n = operand_def(IndexType)
    result = result_def(GraphType)
    traits = traits_def(Pure())
    assembly_format = "$indptr `,` $indices `,` $n attr-dict `:` type($indptr) `,` type($indices) `->` type($result)"

    def __init__(self, indptr, indices, n):
        super().__init__(operands=[indptr, indices, n], result_types=[GraphType()])

    def verify_(self) -> None:
        for value, want in ((self.indptr, "memref<?xi64>"), (self.indices, "memref<?xi32>")):
            if str(value.type) != want:
                raise VerifyException(f"graph.assemble: CSR parts are memref<?xi64> row pointers and "
                                      f"memref<?xi32> neighbours, got {value.type}")


class _LoopOp(IRDLOperation):
    """A loop whose body (one block, an index argument) yields an i64 count; the loop yields the sum."""

    body = region_def("single_block")
    result = result_def(IntegerType)

    def verify_(self) -> None:
        block = self.body.block
        if len(block.args) != 1 or not isinstance(block.args[0].type, IndexType):
            raise VerifyException(f"{self.name}: the body takes one index (the vertex)")
        if not isinstance(block.last_op, YieldOp):
            raise VerifyException(f"{self.name}: the body must end with graph.yield")


@irdl_op_definition
class ForVerticesOp(_LoopOp):
    """The root loop: every vertex of the graph (``parallel``: rows split over threads)."""

    name = "graph.for_vertices"
    graph = operand_def(GraphType)
    parallel = opt_attr_def(UnitAttr)

    def __init__(self, graph, body, parallel: bool = False):
        super().__init__(operands=[graph], result_types=[i64], regions=[body],
                         attributes={"parallel": UnitAttr()} if parallel else {})


@irdl_op_definition
class ForEachOp(_LoopOp):
    """A loop over the members of a set, in ascending order."""

    name = "graph.for_each"
    set = operand_def(SetType)

    def __init__(self, s, body):
        super().__init__(operands=[s], result_types=[i64], regions=[body])


@irdl_op_definition
class YieldOp(IRDLOperation):
    name = "graph.yield"
    value = operand_def(IntegerType)
    traits = traits_def(IsTerminator())
    assembly_format = "$value attr-dict `:` type($value)"

    def __init__(self, value):
        super().__init__(operands=[value])


@irdl_op_definition
class NeighboursOp(IRDLOperation):
    """N(v): a slice of the neighbour lists (no copy)."""

    name = "graph.neighbours"
    graph = operand_def(GraphType)
    vertex = operand_def(IndexType)
    result = result_def(SetType)
    traits = traits_def(Pure())
    assembly_format = "$graph `,` $vertex attr-dict `:` type($graph) `->` type($result)"

    def __init__(self, graph, vertex):
        super().__init__(operands=[graph, vertex], result_types=[SetType()])


class _SetBinaryOp(IRDLOperation):
    lhs = operand_def(SetType)
    rhs = operand_def(SetType)
    result = result_def(SetType)
    traits = traits_def(Pure())
    assembly_format = "$lhs `,` $rhs attr-dict `:` type($result)"

    def __init__(self, lhs, rhs):
        super().__init__(operands=[lhs, rhs], result_types=[SetType()])


@irdl_op_definition
class IntersectOp(_SetBinaryOp):
    """Members of both sets (a sorted merge, or galloping when one is much smaller)."""

    name = "graph.intersect"


@irdl_op_definition
class DifferenceOp(_SetBinaryOp):
    """Members of lhs not in rhs (anti-edges)."""

    name = "graph.difference"


class _BoundOp(IRDLOperation):
    set = operand_def(SetType)
    bound = operand_def(IndexType)
    result = result_def(SetType)
    traits = traits_def(Pure())
    assembly_format = "$set `,` $bound attr-dict `:` type($result)"

    def __init__(self, s, bound):
        super().__init__(operands=[s, bound], result_types=[SetType()])


@irdl_op_definition
class AboveOp(_BoundOp):
    """Members greater than the bound (a symmetry-breaking condition; a binary search)."""

    name = "graph.above"


@irdl_op_definition
class BelowOp(_BoundOp):
    """Members smaller than the bound."""

    name = "graph.below"


@irdl_op_definition
class ExcludeOp(IRDLOperation):
    """The set without the given vertices (matched vertices the set could otherwise hold again)."""

    name = "graph.exclude"
    set = operand_def(SetType)
    vertices = var_operand_def(IndexType)
    result = result_def(SetType)
    traits = traits_def(Pure())
    assembly_format = "$set `,` $vertices attr-dict `:` type($result)"

    def __init__(self, s, vertices):
        super().__init__(operands=[s, list(vertices)], result_types=[SetType()])


@irdl_op_definition
class SizeOp(IRDLOperation):
    """The number of members (the last level of a count: no loop)."""

    name = "graph.size"
    set = operand_def(SetType)
    result = result_def(IntegerType)
    traits = traits_def(Pure())
    assembly_format = "$set attr-dict `:` type($set) `->` type($result)"

    def __init__(self, s):
        super().__init__(operands=[s], result_types=[i64])


Graph = Dialect("graph", [AssembleOp, ForVerticesOp, ForEachOp, YieldOp, NeighboursOp, IntersectOp, DifferenceOp,
                          AboveOp, BelowOp, ExcludeOp, SizeOp], [GraphType, SetType])
