"""Torch frontend: comparisons, boolean tensors, ``where``, constant tensors and dtype conversions.

Bool tensors are ``i1`` memrefs; comparisons are ``arith.cmpf`` (``cmpi`` on integer tensors) in a
``linalg.generic``, with numpy broadcasting like the arithmetic ops. These are what
``scaled_dot_product_attention`` decomposes to besides matmuls and a softmax (its guard against rows that
are entirely ``-inf``), and what ``torch.where`` and ``masked_fill`` become.
"""

from __future__ import annotations

from typing import Any

from xdsl.dialects import arith
from xdsl.dialects.builtin import IntegerType
from xdsl.dialects.linalg.ops import IndexOp
from xdsl.ir import Block, SSAValue

from ircc.frontends.torch_shapes import dims_of
from ircc.frontends.torch_import import (
    _broadcast_map,
    _const,
    convert,
    _element,
    _emit,
    _identity,
    _op_names,
    _reduce_with,
    _unsupported,
    lowering,
)

#: torch comparison -> (cmpf predicate, cmpi predicate); ``ne`` is true for NaN, as in torch
COMPARISONS = {"eq": ("oeq", "eq"), "ne": ("une", "ne"), "gt": ("ogt", "sgt"), "lt": ("olt", "slt"),
               "ge": ("oge", "sge"), "le": ("ole", "sle")}


def _operands(node, values: dict, shape, args) -> tuple[list[SSAValue], list[Any], list[Any]]:
    """Tensor operands (inputs, broadcast maps) and, per position, an input index or a Python scalar
    (wrapped in a tuple, so a scalar 0 is not taken for input 0)."""
    inputs, maps, pos = [], [], []
    for a in args:
        if hasattr(a, "meta"):
            pos.append(len(inputs))
            inputs.append(values[a])
            maps.append(_broadcast_map(dims_of(a.meta["val"]), shape))
        else:
            pos.append((a,))
    return inputs, maps, pos


def _pick(blk: Block, a, pos, t) -> list[SSAValue]:
    return [a[p] if isinstance(p, int) else _const(blk, p[0], t) for p in pos]


def _scalar_type(inputs: list[SSAValue], fallback):
    return inputs[0].type.element_type if inputs else fallback


@lowering(*COMPARISONS)
def _compare(node, values, dest, shape, b) -> None:
    name, overload = _op_names(node)
    inputs, maps, pos = _operands(node, values, shape, node.args[:2])
    t = _scalar_type(inputs, b.ftype)
    is_int = isinstance(t, IntegerType)
    fpred, ipred = COMPARISONS[name]

    def body(blk: Block, a):
        ops = _pick(blk, a, pos, t)
        if is_int:
            return _emit(blk, arith.CmpiOp(ops[0], ops[1], ipred))
        return _emit(blk, arith.CmpfOp(ops[0], ops[1], fpred))

    b.generic(inputs, [*maps, _identity(len(shape))], dest, len(shape), body)


@lowering("logical_not", "bitwise_not")
def _logical_not(node, values, dest, shape, b) -> None:
    src = values[node.args[0]]
    if src.type.element_type != IntegerType(1):
        raise _unsupported(node, _op_names(node)[1], b, "only on bool tensors")
    b.generic([src], [_broadcast_map(dims_of(node.args[0].meta["val"]), shape), _identity(len(shape))], dest,
              len(shape), lambda blk, a: _emit(blk, arith.XOrIOp(a[0], _const(blk, 1, IntegerType(1)))))


@lowering("logical_and", "logical_or", "bitwise_and", "bitwise_or")
def _logical_binary(node, values, dest, shape, b) -> None:
    inputs, maps, pos = _operands(node, values, shape, node.args[:2])
    if any(v.type.element_type != IntegerType(1) for v in inputs) or len(inputs) != 2:
        raise _unsupported(node, _op_names(node)[1], b, "only on two bool tensors")
    cls = arith.AndIOp if "and" in _op_names(node)[0] else arith.OrIOp
    b.generic(inputs, [*maps, _identity(len(shape))], dest, len(shape), lambda blk, a: _emit(blk, cls(a[0], a[1])))


@lowering("any")
def _any(node, values, dest, shape, b) -> None:
    src_node = node.args[0]
    src = dims_of(src_node.meta["val"])
    if values[src_node].type.element_type != IntegerType(1):
        raise _unsupported(node, _op_names(node)[1], b, "only on bool tensors")
    dims = node.args[1] if len(node.args) > 1 else list(range(len(src)))
    dims = [dims] if isinstance(dims, int) else list(dims)
    keepdim = bool(node.args[2]) if len(node.args) > 2 else bool(node.kwargs.get("keepdim", False))
    _reduce_with(b, values[src_node], src, [d % max(len(src), 1) for d in dims], keepdim, arith.OrIOp, 0, dest)


@lowering("full_like", "full", "scalar_tensor", "zeros_like", "ones_like", "zeros", "ones")
def _full(node, values, dest, shape, b) -> None:
    name = _op_names(node)[0]
    value = {"zeros_like": 0, "zeros": 0, "ones_like": 1, "ones": 1}.get(name)
    if value is None:
        value = node.args[0] if name == "scalar_tensor" else node.args[1]
    b.fill(dest, value)


@lowering("arange")
def _arange(node, values, dest, shape, b) -> None:
    """``start + i * step`` for i = 0 .. n-1 (``linalg.index`` gives i)."""
    args = list(node.args)
    start, step = (args[0], args[2] if len(args) > 2 else 1) if len(args) > 1 else (0, 1)
    if not all(isinstance(v, (int, float)) for v in (start, step)):
        raise _unsupported(node, _op_names(node)[1], b, "a symbolic start or step")
    t = dest.type.element_type

    def body(blk: Block, a):
        i = _emit(blk, arith.IndexCastOp(_emit(blk, IndexOp(0)), IntegerType(64)))
        i = convert(blk, i, t)
        mul, add = (arith.MuliOp, arith.AddiOp) if isinstance(t, IntegerType) else (arith.MulfOp, arith.AddfOp)
        return _emit(blk, add(_emit(blk, mul(i, _const(blk, step, t))), _const(blk, start, t)))

    b.generic([], [_identity(1)], dest, 1, body)


@lowering("where")
def _where(node, values, dest, shape, b) -> None:
    inputs, maps, pos = _operands(node, values, shape, node.args[:3])
    if not isinstance(pos[0], int) or values[node.args[0]].type.element_type != IntegerType(1):
        raise _unsupported(node, _op_names(node)[1], b, "the condition must be a bool tensor")
    t = dest.type.element_type

    def body(blk: Block, a):
        ops = _pick(blk, a, pos, t)
        return _emit(blk, arith.SelectOp(ops[0], ops[1], ops[2]))

    b.generic(inputs, [*maps, _identity(len(shape))], dest, len(shape), body)


@lowering("_to_copy", "to")
def _to_copy(node, values, dest, shape, b) -> None:
    src = node.args[0]
    if not hasattr(src, "meta"):
        raise _unsupported(node, _op_names(node)[1], b, "of a Python scalar")
    to = _element(node.meta["val"].dtype, f" ({_op_names(node)[1]})")
    b.generic([values[src]], [_broadcast_map(dims_of(src.meta["val"]), shape), _identity(len(shape))], dest,
              len(shape), lambda blk, a: convert(blk, a[0], to))

