"""``linalg-interchange``: put the loop that walks memory with unit stride innermost in each ``linalg.generic``.

``convert-linalg-to-loops`` nests a generic's loops in dimension order, and LLVM vectorizes the innermost one.
This pass scores every dimension by the operands it walks contiguously (its coefficient in the operand's last
index is 1, on an identity or unit-stride layout) and moves the best one last; the other dimensions keep their
order. A reduction dimension can go innermost only when the combining op of the body carries
``fastmath<reassoc>`` (vectorizing it reorders the sum); a dimension of fewer than ``min-trip`` iterations is
not worth a vector loop. So after elementwise fusion folds a transpose into a batched matmul, ``out[b, i, j] +=
a[b, i, k] * kt[b, j, k]`` runs k innermost as a dot product over contiguous rows::

    linalg.generic {(d0, d1, d2, d3) -> (d0, d1, d2), (d0, d1, d2, d3) -> (d0, d3, d2),
                    (d0, d1, d2, d3) -> (d0, d1, d3)} ["parallel", "parallel", "reduction", "parallel"]
    // becomes (k, now d3, last)
    linalg.generic {(d0, d1, d2, d3) -> (d0, d1, d3), (d0, d1, d2, d3) -> (d0, d2, d3),
                    (d0, d1, d2, d3) -> (d0, d1, d2)} ["parallel", "parallel", "parallel", "reduction"]

Under ``cost=learned`` the shipped model ranks the dimensions that may go innermost instead (``linalg_loop_order``),
where it covers loop orders; ``inner=d`` forces dimension d in every generic that has it.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.arith import FastMathFlag
from xdsl.dialects.builtin import AffineMapAttr, ArrayAttr, MemRefType, ModuleOp, NoneAttr, StridedLayoutAttr
from xdsl.dialects.linalg.ops import GenericOp, IndexOp, YieldOp
from xdsl.ir.affine import AffineBinaryOpExpr, AffineBinaryOpKind, AffineConstantExpr, AffineDimExpr, AffineMap
from xdsl.passes import ModulePass


@dataclass(frozen=True)
class LinalgInterchange(ModulePass):
    name = "linalg-interchange"

    min_trip: int = 4
    parallel_outer: bool = False  # instead: every parallel dimension before every reduction (for GPU grids)
    inner: int = -1  # >= 0: move this dimension innermost in every generic that has it (no scoring)
    cost: str = "default"  # learned: the shipped model ranks the candidates (linalg_loop_order); static: the rule

    def __post_init__(self) -> None:
        from ircc.costmodel import check_cost

        check_cost(self.cost)

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        from ircc.costmodel import resolve_cost

        learned = resolve_cost(self.cost) == "learned" and self.inner < 0 and not self.parallel_outer
        for generic in [o for o in op.walk() if isinstance(o, GenericOp)]:
            dims = len(generic.iterator_types.data)
            if dims < 2:
                continue
            if self.parallel_outer:
                iterators = [str(it.data) for it in generic.iterator_types.data]
                order = [d for d in range(dims) if iterators[d] == "parallel"]
                order += [d for d in range(dims) if iterators[d] != "parallel"]
                if order != list(range(dims)):
                    _permute(generic, order)
                continue
            if self.inner >= 0:
                if self.inner < dims - 1:
                    _move_last(generic, self.inner)
                continue
            best = _learned_innermost(generic, self.min_trip) if learned else None
            if best is None:
                best = _best_innermost(generic, self.min_trip)
            if best is not None and best != dims - 1:
                _move_last(generic, best)


_LEARNED: dict[tuple[str, int], int | None] = {}  # a generic's text -> the model's choice (layers repeat)


def _learned_innermost(generic: GenericOp, min_trip: int) -> int | None:
    from ircc.passes.linalg_loop_order import learned_innermost

    key = (str(generic), min_trip)
    if key not in _LEARNED:
        _LEARNED[key] = learned_innermost(generic, min_trip, _reassociable(generic))
    return _LEARNED[key]


def _coefficient(expr, d: int) -> int | None:
    """The coefficient of dimension ``d`` in an affine expression linear in it (0: absent; None: not linear,
    e.g. inside floordiv / mod)."""
    if isinstance(expr, AffineDimExpr):
        return 1 if expr.position == d else 0
    if isinstance(expr, AffineConstantExpr):
        return 0
    if isinstance(expr, AffineBinaryOpExpr):
        lhs, rhs = _coefficient(expr.lhs, d), _coefficient(expr.rhs, d)
        if expr.kind == AffineBinaryOpKind.Add:
            return None if lhs is None or rhs is None else lhs + rhs
        if expr.kind == AffineBinaryOpKind.Mul:
            if isinstance(expr.rhs, AffineConstantExpr) and lhs is not None:
                return lhs * expr.rhs.value
            if isinstance(expr.lhs, AffineConstantExpr) and rhs is not None:
                return rhs * expr.lhs.value
            return None
        return 0 if lhs == 0 and rhs == 0 else None
    return None


def _unit_stride_last(value) -> bool:
    t = value.type
    if not isinstance(t, MemRefType):
        return False
    layout = t.layout
    if isinstance(layout, NoneAttr):
        return True
    return isinstance(layout, StridedLayoutAttr) and layout.get_strides()[-1:] == [1]


def _reassociable(generic: GenericOp) -> bool:
    """Whether the value the body yields comes from an op that may be reassociated."""
    yielded = generic.body.block.last_op
    if not isinstance(yielded, YieldOp) or len(yielded.operands) != 1:
        return False
    owner = yielded.operands[0].owner
    flags = getattr(owner, "fastmath", None)
    return flags is not None and FastMathFlag.REASSOC in flags.data


def _best_innermost(generic: GenericOp, min_trip: int) -> int | None:
    maps = [m.data for m in generic.indexing_maps.data]
    n = maps[0].num_dims
    iterators = [str(it.data) for it in generic.iterator_types.data]
    extents = generic.get_static_loop_ranges()
    reassoc = _reassociable(generic)
    scores: list[tuple[int, int, int]] = []
    for d in range(n):
        if iterators[d] == "reduction" and not reassoc:
            continue
        if 0 <= extents[d] < min_trip:
            continue
        unit = strided = 0
        for value, m in zip(generic.operands, maps):
            if not m.results:
                continue
            inner = _coefficient(m.results[-1], d)
            outer = [_coefficient(e, d) for e in m.results[:-1]]
            if inner == 1 and all(c == 0 for c in outer) and _unit_stride_last(value):
                unit += 1
            elif inner != 0 or any(c != 0 for c in outer):
                strided += 1
        scores.append((unit - strided, d == n - 1, d))
    if not scores:
        return None
    score, _, best = max(scores)
    current = [s for s in scores if s[2] == n - 1]
    if best == n - 1 or score <= 0 or (current and current[0][0] >= score):
        return None  # nothing walks memory better than the current innermost loop
    return best


def _move_last(generic: GenericOp, d: int) -> None:
    """Renumber the dimensions so ``d`` is last (the others keep their order)."""
    n = len(generic.iterator_types.data)
    _permute(generic, [k for k in range(n) if k != d] + [d])


def _permute(generic: GenericOp, order: list[int]) -> None:
    """Renumber the dimensions: new position ``k`` is old dimension ``order[k]``."""
    n = len(order)
    new_pos = {old: new for new, old in enumerate(order)}
    to_old = AffineMap(n, 0, tuple(AffineDimExpr(new_pos[old]) for old in range(n)))
    maps = [AffineMapAttr(m.data.compose(to_old)) for m in generic.indexing_maps.data]
    generic.indexing_maps = ArrayAttr(maps)
    generic.iterator_types = ArrayAttr([generic.iterator_types.data[old] for old in order])
    for inner in list(generic.body.block.ops):
        if isinstance(inner, IndexOp):
            replacement = IndexOp(new_pos[inner.dim.value.data])
            generic.body.block.insert_op_before(replacement, inner)
            inner.results[0].replace_all_uses_with(replacement.results[0])
            inner.detach()
            inner.erase()
