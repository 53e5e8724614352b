"""The loop order of a ``linalg.generic`` as the learned cost model ranks it (``linalg-interchange{cost=learned}``).

The candidates are the generic with each dimension that may go innermost moved last (the others keep their
order), as ``linalg-interchange{inner=d}`` forces it: a parallel dimension, or a reduction whose combiner may
be reassociated, of at least ``min-trip`` iterations (or a dynamic number). Each candidate is lowered on its
own (``standalone_loops``: the generic alone in a function, ``LOWERING``) and its features go to the shipped
model with the others (the ``loop-order`` family, which was timed on exactly such functions). The rule's
choice (``linalg_interchange._best_innermost``) stays where no model covers the family.
"""

from __future__ import annotations


from xdsl.dialects import func
from xdsl.dialects.builtin import FunctionType, MemRefType, ModuleOp
from xdsl.dialects.linalg.ops import GenericOp
from xdsl.ir import Block, Region

#: how a candidate is lowered to read its features (and how the loop-order family's kernels are compiled)
LOWERING = "convert-linalg-to-loops,lower-affine,canonicalize,cse"


def movable(generic: GenericOp, min_trip: int, reassoc: bool) -> list[int]:
    """The dimensions that may go innermost."""
    iterators = [str(it.data) for it in generic.iterator_types.data]
    extents = generic.get_static_loop_ranges()
    return [d for d in range(len(iterators)) if (iterators[d] != "reduction" or reassoc)
            and not (0 <= extents[d] < min_trip)]


def standalone(generic: GenericOp, inner: int) -> ModuleOp | None:
    """A module holding a copy of ``generic`` alone in ``@generic`` (its operands the arguments), with dimension
    ``inner`` moved innermost; None when an operand is not a memref."""
    from ircc.passes.linalg_interchange import _move_last

    operands = list(dict.fromkeys(generic.operands))
    if not all(isinstance(v.type, MemRefType) for v in operands):
        return None
    types = [v.type for v in operands]
    block = Block(arg_types=types)
    copy = generic.clone(value_mapper=dict(zip(operands, block.args)))
    block.add_op(copy)
    block.add_op(func.ReturnOp())
    if inner != len(generic.iterator_types.data) - 1:
        _move_last(copy, inner)
    return ModuleOp([func.FuncOp("generic", FunctionType.from_lists(types, []), Region(block))])


def standalone_loops(generic: GenericOp, inner: int) -> ModuleOp | None:
    """``standalone`` lowered to loops by ``LOWERING``."""
    from ircc.options import Options
    from ircc.passes.pipeline import Pipeline, parse_pipeline_spec

    module = standalone(generic, inner)
    if module is not None:
        Pipeline(parse_pipeline_spec(LOWERING), Options(cost="static", verify=False)).run(module, record=False)
    return module


def learned_innermost(generic: GenericOp, min_trip: int, reassoc: bool) -> int | None:
    """The dimension the shipped model ranks best innermost (None: no model covers loop orders, or fewer
    than two candidates)."""
    from ircc.costmodel import learned

    m = learned.model()
    dims = movable(generic, min_trip, reassoc)
    if m is None or not m.covers("loop-order") or len(dims) < 2:
        return None
    best = m.best_module("loop-order", [standalone_loops(generic, d) for d in dims])
    return None if best is None else dims[best]
