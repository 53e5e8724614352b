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

from xdsl.dialects.builtin import (
    DenseArrayBase,
    IndexType,
    IntegerAttr,
    IntegerType,
    MemRefType,
    StringAttr,
    UnitAttr,
    i64,
)
from xdsl.ir import Dialect, ParametrizedAttribute, TypeAttribute
from xdsl.irdl import (
    AttrSizedOperandSegments,
    IRDLOperation,
    attr_def,
    irdl_attr_definition,
    irdl_op_definition,
    operand_def,
    opt_attr_def,
    opt_operand_def,
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
    """A data graph from its CSR parts: row pointers (n + 1, i64), neighbour lists (i32), n, and optional
    vertex labels (i32). ``oriented``: each list holds only the neighbours with a larger id (the caller
    passes the degree-ordered orientation; ``graph-orient`` decides)."""

    name = "graph.assemble"
    indptr = operand_def(MemRefType)
    indices = operand_def(MemRefType)
    n = operand_def(IndexType)
    labels = opt_operand_def(MemRefType)
    oriented = opt_attr_def(UnitAttr)
    result = result_def(GraphType)
    traits = traits_def(Pure())
    irdl_options = (AttrSizedOperandSegments(),)
    assembly_format = ("$indptr `,` $indices `,` $n (`labels` $labels^ `:` type($labels))? attr-dict `:` "
                       "type($indptr) `,` type($indices) `->` type($result)")

    def __init__(self, indptr, indices, n, labels=None, oriented: bool = False):
        super().__init__(operands=[indptr, indices, n, [labels] if labels is not None else []],
                         result_types=[GraphType()], attributes={"oriented": UnitAttr()} if oriented else {})

    def verify_(self) -> None:
        parts = [(self.indptr, "memref<?xi64>"), (self.indices, "memref<?xi32>")]
        if self.labels is not None:
            parts.append((self.labels, "memref<?xi32>"))
        for value, want in parts:
            if str(value.type) != want:
                raise VerifyException(f"graph.assemble: CSR parts are memref<?xi64> row pointers, memref<?xi32> "
                                      f"neighbours and memref<?xi32> labels, got {value.type}")


def _pairs(attr: DenseArrayBase | None) -> list[tuple[int, int]]:
    values = [] if attr is None else list(attr.get_values())
    return [(int(values[i]), int(values[i + 1])) for i in range(0, len(values), 2)]


def pairs_attr(pairs) -> DenseArrayBase:
    return DenseArrayBase.from_list(i64, [int(x) for pair in pairs for x in pair])


OPS = ("count", "exists", "match")


@irdl_op_definition
class PatternOp(IRDLOperation):
    """A pattern query before planning: what to find (``k`` vertices, ``edges`` and ``anti_edges`` as
    flattened pairs, ``labels`` per vertex, -1 for any) and what to do (``op`` = count | exists | match;
    ``limit``: stop after that many). The planner passes add ``conditions`` (symmetry breaking: pairs
    (a, b) meaning m(a) < m(b)) with ``automorphisms`` (|Aut(P)|), and ``order`` (the matching order);
    ``graph-plan`` replaces the op by loops. ``match`` writes rows of ``k`` vertex ids into ``rows`` from
    each root chunk's offset in ``offsets`` (chunks + 1 entries); ``count`` may store each root chunk's
    count in ``partial``."""

    name = "graph.pattern"
    graph = operand_def(GraphType)
    partial = opt_operand_def(MemRefType)
    offsets = opt_operand_def(MemRefType)
    rows = opt_operand_def(MemRefType)
    k = attr_def(IntegerAttr)
    edges = attr_def(DenseArrayBase)
    anti_edges = attr_def(DenseArrayBase)
    labels = attr_def(DenseArrayBase)
    op = attr_def(StringAttr)
    limit = opt_attr_def(IntegerAttr)
    conditions = opt_attr_def(DenseArrayBase)
    automorphisms = opt_attr_def(IntegerAttr)
    order = opt_attr_def(DenseArrayBase)
    result = result_def(IntegerType)
    irdl_options = (AttrSizedOperandSegments(),)
    assembly_format = ("$graph (`partial` $partial^ `:` type($partial))? (`offsets` $offsets^ `:` "
                       "type($offsets))? (`rows` $rows^ `:` type($rows))? attr-dict `:` type($graph) `->` "
                       "type($result)")

    def __init__(self, graph, k: int, edges, anti_edges, labels, op: str = "count", limit: int | None = None,
                 partial=None, offsets=None, rows=None):
        attributes = {"k": IntegerAttr(k, i64), "edges": pairs_attr(edges), "anti_edges": pairs_attr(anti_edges),
                      "labels": DenseArrayBase.from_list(i64, [-1 if x is None else int(x) for x in labels]),
                      "op": StringAttr(op)}
        if limit is not None:
            attributes["limit"] = IntegerAttr(limit, i64)
        super().__init__(operands=[graph] + [[x] if x is not None else [] for x in (partial, offsets, rows)],
                         result_types=[i64], attributes=attributes)

    @property
    def edge_pairs(self) -> list[tuple[int, int]]:
        return _pairs(self.edges)

    @property
    def anti_edge_pairs(self) -> list[tuple[int, int]]:
        return _pairs(self.anti_edges)

    @property
    def condition_pairs(self) -> list[tuple[int, int]] | None:
        return None if self.conditions is None else _pairs(self.conditions)

    @property
    def label_list(self) -> list[int | None]:
        return [None if x < 0 else int(x) for x in self.labels.get_values()]

    @property
    def order_list(self) -> list[int] | None:
        return None if self.order is None else [int(x) for x in self.order.get_values()]

    def pattern(self):
        """The ``ircc.graph.Pattern`` this op asks for."""
        from ircc.graph.pattern import Pattern

        return Pattern(self.k.value.data, self.edge_pairs, self.anti_edge_pairs, self.label_list)

    def verify_(self) -> None:
        kind = self.op.data
        if kind not in OPS:
            raise VerifyException(f"graph.pattern: op '{kind}' is not one of {', '.join(OPS)}")
        if (kind == "match") != (self.rows is not None and self.offsets is not None):
            raise VerifyException("graph.pattern: op 'match' takes rows and offsets (and only it does)")
        k = self.k.value.data
        if len(self.labels.get_values()) != k:
            raise VerifyException(f"graph.pattern: {len(self.labels.get_values())} labels for k = {k} vertices")
        for u, v in self.edge_pairs + self.anti_edge_pairs + (self.condition_pairs or []):
            if not (0 <= u < k and 0 <= v < k) or u == v:
                raise VerifyException(f"graph.pattern: pair ({u}, {v}) is not two distinct vertices of 0..{k - 1}")
        order = self.order_list
        if order is not None and sorted(order) != sorted(set(order)):
            raise VerifyException(f"graph.pattern: order {order} repeats a vertex")


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
    """The root loop: every vertex of the graph (``label``: only vertices with that label), in chunks of
    consecutive vertices. ``parallel``: chunks over threads, taken dynamically; ``limit``: stop once the
    count reaches it (every level stops too; ``exists`` is a count with limit 1). ``chunks`` (optional
    operand, i64): each chunk's count is stored there, or, when the body has ``graph.emit``, it holds where
    each chunk's rows start (one entry more: the last ends the rows)."""

    name = "graph.for_vertices"
    graph = operand_def(GraphType)
    chunks = opt_operand_def(MemRefType)
    parallel = opt_attr_def(UnitAttr)
    limit = opt_attr_def(IntegerAttr)
    label = opt_attr_def(IntegerAttr)

    def __init__(self, graph, body, parallel: bool = False, limit: int | None = None, label: int | None = None,
                 chunks=None):
        attributes = {"parallel": UnitAttr()} if parallel else {}
        if limit is not None:
            attributes["limit"] = IntegerAttr(limit, i64)
        if label is not None:
            attributes["label"] = IntegerAttr(label, i64)
        super().__init__(operands=[graph, [chunks] if chunks is not None else []],
                         result_types=[i64], regions=[body], attributes=attributes)


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
    """N(v): a slice of the neighbour lists (no copy). ``forward``: the graph is oriented, so this is
    N(v) above v (``graph-orient`` marks it so the dump says what the list holds)."""

    name = "graph.neighbours"
    graph = operand_def(GraphType)
    vertex = operand_def(IndexType)
    forward = opt_attr_def(UnitAttr)
    result = result_def(SetType)
    traits = traits_def(Pure())
    assembly_format = "$graph `,` $vertex attr-dict `:` type($graph) `->` type($result)"

    def __init__(self, graph, vertex, forward: bool = False):
        super().__init__(operands=[graph, vertex], result_types=[SetType()],
                         attributes={"forward": UnitAttr()} if forward else {})


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


class _SetCountOp(IRDLOperation):
    """An i64 computed from a set."""

    set = operand_def(SetType)
    result = result_def(IntegerType)
    traits = traits_def(Pure())
    assembly_format = "$set attr-dict `:` type($set) `->` type($result)"

    def __init__(self, s):
        super().__init__(operands=[s], result_types=[i64])


@irdl_op_definition
class SizeOp(_SetCountOp):
    """The number of members (the last level of a count: no loop)."""

    name = "graph.size"


@irdl_op_definition
class WithLabelOp(IRDLOperation):
    """Members whose data-graph label is ``label`` (a labelled pattern vertex)."""

    name = "graph.with_label"
    set = operand_def(SetType)
    graph = operand_def(GraphType)
    label = attr_def(IntegerAttr)
    result = result_def(SetType)
    traits = traits_def(Pure())
    assembly_format = "$set `,` $graph attr-dict `:` type($graph) `->` type($result)"

    def __init__(self, s, graph, label: int):
        super().__init__(operands=[s, graph], result_types=[SetType()], attributes={"label": IntegerAttr(label, i64)})


@irdl_op_definition
class EmptyOp(_SetCountOp):
    """1 when the set has no members, else 0 (an anti-vertex: no outside vertex may close the match)."""

    name = "graph.empty"


@irdl_op_definition
class ChooseOp(IRDLOperation):
    """C(|s|, r): the ways to pick r distinct members (``ordered``: r-permutations, |s|!/(|s|-r)!). What
    ``graph-choose`` leaves of r trailing loops over one candidate set."""

    name = "graph.choose"
    set = operand_def(SetType)
    r = attr_def(IntegerAttr)
    ordered = opt_attr_def(UnitAttr)
    result = result_def(IntegerType)
    traits = traits_def(Pure())
    assembly_format = "$set attr-dict `:` type($set) `->` type($result)"

    def __init__(self, s, r: int, ordered: bool = False):
        attributes = {"r": IntegerAttr(r, i64)}
        if ordered:
            attributes["ordered"] = UnitAttr()
        super().__init__(operands=[s], result_types=[i64], attributes=attributes)


@irdl_op_definition
class EmitOp(IRDLOperation):
    """Writes one match (the data vertex of each regular pattern vertex, in pattern order) as the next row
    of ``rows`` (one int32 per vertex) at the root chunk's cursor; with ``when``, only if it is not 0 (the
    anti-vertex checks)."""

    name = "graph.emit"
    rows = operand_def(MemRefType)
    vertices = var_operand_def(IndexType)
    when = opt_operand_def(IntegerType)
    irdl_options = (AttrSizedOperandSegments(),)
    assembly_format = "$rows `,` $vertices (`when` $when^ `:` type($when))? attr-dict `:` type($rows)"

    def __init__(self, rows, vertices, when=None):
        super().__init__(operands=[rows, list(vertices), [when] if when is not None else []])

def cuts(s):
    """The ops ``s`` was cut by, nearest first: its chain of ``graph.above`` / ``below`` / ``exclude``."""
    while isinstance(s.owner, (AboveOp, BelowOp, ExcludeOp)):
        yield s.owner
        s = s.owner.set


Graph = Dialect("graph", [AssembleOp, PatternOp, ForVerticesOp, ForEachOp, YieldOp, NeighboursOp, IntersectOp,
                          DifferenceOp, AboveOp, BelowOp, ExcludeOp, SizeOp, WithLabelOp, EmptyOp, ChooseOp, EmitOp],
                [GraphType, SetType])
