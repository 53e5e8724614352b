"""The sympy frontend: expressions -> a point function and a parallel loop over points.

For ``exprs`` over ``args`` it builds (destination-passing; the ``Kernel`` allocates outputs)::

    func.func @kernel(%x: memref<?xf64> {llvm.noalias}, %y: memref<?xf64> {llvm.noalias},
                      %out: memref<?x2xf64> {llvm.noalias}) attributes {ircc.scalar_entry = 1 : i64}
      scf.parallel (%i) = (0) to (n) step (1) { loads; arith / math ops; stores }

When most outputs are identically zero (a sparse Jacobian), those are not stored: the function then
carries ``ircc.zero_filled_output`` and the caller passes ``numpy.zeros`` (calloc'd pages are free until
written).

A Matrix output is ``memref<?xRxCxf64>`` (points first, as the user gets it back).
Every distinct subexpression is emitted once (sympy expressions are hash-consed); ``cse`` and
``canonicalize`` run afterwards as passes. Nothing is rewritten in sympy beforehand.
"""

from __future__ import annotations

import inspect
import os
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy
from xdsl.dialects import arith, func, memref, scf
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    ArrayAttr,
    DictionaryAttr,
    FileLineColLoc,
    Float32Type,
    Float64Type,
    FunctionType,
    IndexType,
    IntAttr,
    IntegerAttr,
    MemRefType,
    ModuleOp,
    StringAttr,
    UnitAttr,
    f32,
    f64,
)
from xdsl.ir import Block, Region

from ircc.backends.base import SCALAR_ENTRY_ATTR
from ircc.errors import IrccError
from ircc.frontends.sympy_ops import ExprEmitter

#: a function attribute: outputs that are identically zero are not stored; the output must be zero-filled.
ZEROED_OUTPUT_ATTR = "ircc.zero_filled_output"

#: the optimization passes run on sympy kernels by default (the target's lowering is appended):
#: integer powers become multiplications, then cse merges what they share (the frontend already
#: emits each sympy subexpression once and folds numbers, so canonicalize adds nothing here but time).
DEFAULT_PIPELINE = "expand-powi,cse"


@dataclass(frozen=True)
class SympyLayout:
    """How the kernel's outputs map back to what the user passed in."""

    kind: str  # "scalar" (one expression), "tuple" (a list/tuple), "matrix"
    nout: int
    matrix_shape: tuple[int, int] | None
    arg_names: tuple[str, ...]
    dtype: np.dtype
    entry: str
    zeroed: bool = False  # outputs identically zero are not stored: pass a zero-filled output


def _as_exprs(exprs: Any) -> tuple[str, list[sympy.Expr], tuple[int, int] | None]:
    if isinstance(exprs, sympy.MatrixBase):
        rows, cols = exprs.shape
        return "matrix", [sympy.sympify(e) for e in exprs], (rows, cols)
    if isinstance(exprs, (list, tuple)):
        if not exprs:
            raise IrccError("sympy frontend: empty list of expressions; pass at least one expression")
        return "tuple", [_one(e, i) for i, e in enumerate(exprs)], None
    return "scalar", [_one(exprs, None)], None


def _one(e: Any, index: int | None) -> sympy.Expr:
    where = f" (output {index})" if index is not None else ""
    if isinstance(e, sympy.MatrixBase):
        raise IrccError(f"sympy frontend: a Matrix inside a list{where}; pass one Matrix, or flatten it")
    try:
        value = sympy.sympify(e)
    except (sympy.SympifyError, TypeError) as err:
        raise IrccError(f"sympy frontend: {e!r}{where} is not a sympy expression: {err}") from None
    if isinstance(value, sympy.logic.boolalg.Boolean) and not isinstance(value, sympy.Expr):
        raise IrccError(f"sympy frontend: output {value}{where} is a condition, not a number; "
                        f"wrap it as Piecewise((1, cond), (0, True))")
    if not isinstance(value, sympy.Expr):
        raise IrccError(f"sympy frontend: {value!r}{where} is not an expression")
    return value


def _as_args(args: Any) -> list[sympy.Symbol]:
    if args is None:
        raise IrccError("sympy frontend: pass args=[x, y, ...]: the symbols, in the order the kernel takes them")
    if isinstance(args, sympy.Symbol):
        args = [args]
    out = []
    for i, a in enumerate(args):
        if isinstance(a, str):
            a = sympy.Symbol(a)
        if not isinstance(a, sympy.Symbol):
            raise IrccError(f"sympy frontend: args[{i}] = {a!r} is not a sympy Symbol")
        out.append(a)
    seen: dict[sympy.Symbol, int] = {}
    for i, a in enumerate(out):
        if a in seen:
            raise IrccError(f"sympy frontend: symbol {a} appears twice in args (positions {seen[a]} and {i})")
        seen[a] = i
    return out


def _user_location() -> FileLineColLoc | None:
    """The first stack frame outside ircc: where the user called compile."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for frame in inspect.stack()[2:]:
        if not os.path.abspath(frame.filename).startswith(here):
            return FileLineColLoc(StringAttr(frame.filename), IntAttr(frame.lineno), IntAttr(1))
    return None


def _rounder(dtype: np.dtype):
    digits = 40

    def round_constant(e: sympy.Expr) -> float:
        if e in (sympy.zoo, sympy.nan):
            return float("nan")
        if e == sympy.oo:
            return float("inf")
        if e == -sympy.oo:
            return float("-inf")
        value = float(sympy.Float(sympy.N(e, digits), digits))
        return float(np.float32(value)) if dtype == np.float32 else value

    return round_constant


def _symbol_name(s: sympy.Symbol) -> str:
    name = re.sub(r"[^A-Za-z0-9_]", "_", s.name)
    return name if name and not name[0].isdigit() else f"s_{name}"


def build_module(exprs: Any, args: Any, *, dtype: Any = np.float64,
                 name: str = "kernel") -> tuple[ModuleOp, SympyLayout]:
    """Build the IR for ``exprs`` over ``args``; see the module docstring for its shape."""
    np_dtype = np.dtype(dtype)
    if np_dtype not in (np.dtype(np.float64), np.dtype(np.float32)):
        raise IrccError(f"sympy frontend: dtype {np_dtype} is not supported; use numpy.float64 or numpy.float32")
    ftype: Float64Type | Float32Type = f64 if np_dtype == np.float64 else f32
    kind, outputs, matrix_shape = _as_exprs(exprs)
    symbols = _as_args(args)
    known = set(symbols)
    for i, e in enumerate(outputs):
        missing = sorted(e.free_symbols - known, key=str)
        if missing:
            where = f"output {i} ({e})" if kind != "scalar" else f"the expression {e}"
            names = ", ".join(map(str, missing))
            raise IrccError(f"sympy frontend: free symbol(s) {names} in {where} are not in args; "
                            f"add them to args=[...]")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise IrccError(f"kernel name {name!r} is not an identifier")
    loc = _user_location()
    loop = _build_loop(name, kind, outputs, matrix_shape, symbols, ftype, np_dtype)
    if loc is not None:
        loop.location = loc
    layout = SympyLayout(kind, len(outputs), matrix_shape, tuple(s.name for s in symbols), np_dtype, name,
                         zeroed=ZEROED_OUTPUT_ATTR in loop.attributes)
    return ModuleOp([loop]), layout


def _index(block: Block, value: int):
    op = arith.ConstantOp(IntegerAttr(value, IndexType()))
    block.add_op(op)
    return op.result


def _build_loop(name: str, kind: str, outputs: list[sympy.Expr], matrix_shape, symbols, ftype,
                np_dtype) -> func.FuncOp:
    nout = len(outputs)
    dyn = MemRefType(ftype, [DYNAMIC_INDEX])
    if kind == "matrix":
        out_t = MemRefType(ftype, [DYNAMIC_INDEX, matrix_shape[0], matrix_shape[1]])
    else:
        # points-major, like the Matrix case: each point's outputs are contiguous, the stores of one
        # iteration provably disjoint (cheap for LLVM's alias analysis with hundreds of outputs)
        out_t = MemRefType(ftype, [DYNAMIC_INDEX, nout])
    block = Block(arg_types=[dyn] * len(symbols) + [out_t])
    for arg, s in zip(block.args, symbols):
        arg.name_hint = _symbol_name(s)
    out = block.args[-1]
    out.name_hint = "out"
    consts: dict[int, Any] = {}

    def idx(v: int):
        if v not in consts:
            consts[v] = _index(block, v)
        return consts[v]

    for v in range(max(2, max(matrix_shape) if kind == "matrix" else nout)):
        idx(v)
    n_op = memref.DimOp(out, idx(0))
    block.add_op(n_op)
    body = Block(arg_types=[IndexType()])
    i = body.args[0]
    i.name_hint = "i"
    loads = []
    for arg in block.args[:-1]:
        ld = memref.LoadOp.get(arg, [i])
        body.add_op(ld)
        loads.append(ld.res)
    emitter = ExprEmitter(body, dict(zip(symbols, loads)), ftype, _rounder(np_dtype))
    # When most outputs are identically zero (sparse Jacobians), the caller passes a zero-filled output
    # (calloc'd pages cost nothing until written) and the loop stores only what it computes. With few
    # zeros, storing them is cheaper than zero-filling reused memory.
    skip_zeros = 2 * sum(1 for e in outputs if e == sympy.S.Zero) > len(outputs)
    skipped_zero = False
    for j, e in enumerate(outputs):
        if skip_zeros and e == sympy.S.Zero:
            skipped_zero = True
            continue
        emitter.root = e
        value = emitter.emit(e)
        if kind == "matrix":
            rows, cols = matrix_shape
            indices = [i, idx(j // cols), idx(j % cols)]
        else:
            indices = [i, idx(j)]
        body.add_op(memref.StoreOp.get(value, out, indices))
    body.add_op(scf.ReduceOp())
    block.add_op(scf.ParallelOp([idx(0)], [n_op.result], [idx(1)], Region(body)))
    block.add_op(func.ReturnOp())
    fn = func.FuncOp(name, FunctionType.from_lists(block.arg_types, []), Region(block))
    noalias = DictionaryAttr({"llvm.noalias": UnitAttr()})
    fn.arg_attrs = ArrayAttr([noalias] * len(block.args))
    # One point can be evaluated by calling with numbers: every dynamic size is 1, the last
    # memref is the output (backends may give this a fast path; see backends/base.py).
    fn.attributes[SCALAR_ENTRY_ATTR] = IntegerAttr(1, 64)
    if skipped_zero:
        fn.attributes[ZEROED_OUTPUT_ATTR] = UnitAttr()
    return fn
