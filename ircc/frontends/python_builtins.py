"""Calls in compiled Python: builtins, ``math`` and numpy scalar functions, numpy allocation, jit functions.

Each callable is recognised by identity (``from math import sqrt`` works as well as ``math.sqrt``).
``math`` functions take and return floats, except ``math.floor`` / ``ceil`` / ``trunc`` which return
int as in Python; the numpy versions return floats.
"""

from __future__ import annotations

import ast
import builtins
import math as pymath
from typing import Any

import numpy as np
from xdsl.dialects import arith, math, memref, scf
from xdsl.ir import Block, Region

from ircc.frontends.python_types import BOOL, F32, F64, I32, I64, SCALARS, Array, Scalar, View
from ircc.frontends.python_values import INDEX, NOT_STATIC, TupleVal, Val, Value

# float -> float functions and the op computing them
_FLOAT_UNARY: dict[Any, type] = {}
for _name, _op in {
    "sin": math.SinOp, "cos": math.CosOp, "tan": math.TanOp, "asin": math.AsinOp, "acos": math.AcosOp,
    "atan": math.AtanOp, "sinh": math.SinhOp, "cosh": math.CoshOp, "tanh": math.TanhOp, "asinh": math.AsinhOp,
    "acosh": math.AcoshOp, "atanh": math.AtanhOp, "exp": math.ExpOp, "expm1": math.ExpM1Op, "log": math.LogOp,
    "log2": math.Log2Op, "log10": math.Log10Op, "log1p": math.Log1pOp, "sqrt": math.SqrtOp, "fabs": math.AbsFOp,
    "erf": math.ErfOp, "cbrt": math.CbrtOp, "exp2": math.Exp2Op,
}.items():
    if hasattr(pymath, _name):
        _FLOAT_UNARY[getattr(pymath, _name)] = _op
for _name, _op in {
    "sin": math.SinOp, "cos": math.CosOp, "tan": math.TanOp, "arcsin": math.AsinOp, "arccos": math.AcosOp,
    "arctan": math.AtanOp, "sinh": math.SinhOp, "cosh": math.CoshOp, "tanh": math.TanhOp,
    "arcsinh": math.AsinhOp, "arccosh": math.AcoshOp, "arctanh": math.AtanhOp, "exp": math.ExpOp,
    "expm1": math.ExpM1Op, "exp2": math.Exp2Op, "log": math.LogOp, "log2": math.Log2Op, "log10": math.Log10Op,
    "log1p": math.Log1pOp, "sqrt": math.SqrtOp, "fabs": math.AbsFOp, "cbrt": math.CbrtOp, "floor": math.FloorOp,
    "ceil": math.CeilOp, "trunc": math.TruncOp, "rint": math.RoundEvenOp,
}.items():
    _FLOAT_UNARY[getattr(np, _name)] = _op
_FLOAT_BINARY: dict[Any, type] = {pymath.atan2: math.Atan2Op, np.arctan2: math.Atan2Op, pymath.pow: math.PowFOp,
                                  pymath.copysign: math.CopySignOp, np.copysign: math.CopySignOp}
_TO_INT = {pymath.floor: math.FloorOp, pymath.ceil: math.CeilOp, pymath.trunc: math.TruncOp}
_CASTS = {np.float64: F64, np.float32: F32, np.int64: I64, np.int32: I32, np.bool_: BOOL, float: F64, int: I64,
          bool: BOOL}
_ALLOC = {np.empty: None, np.zeros: 0, np.ones: 1}
_ALLOC_LIKE = {np.empty_like: None, np.zeros_like: 0, np.ones_like: 1}
_FLOAT_CHECKS = {pymath.isnan: "nan", np.isnan: "nan", pymath.isinf: "inf", np.isinf: "inf",
                 pymath.isfinite: "finite", np.isfinite: "finite"}

SUPPORTED_CALLS = ("len, abs, min, max, int, float, bool, round, pow; math.* (sin ... sqrt, exp, log, floor, ceil, "
                   "isnan, ...); the numpy scalar functions (numpy.sqrt, numpy.exp, numpy.minimum, ...); numpy.empty, "
                   "zeros, ones and their *_like forms; numpy.float64(x) and the other dtype casts; other @ircc.jit "
                   "functions")


def emit_call(em, node: ast.Call) -> Value:
    fn = em.static_object(node.func)
    if fn is NOT_STATIC:
        if isinstance(node.func, ast.Attribute):
            base = em.expr(node.func.value)
            raise em.error(node.func, f"method .{node.func.attr}() of a {base.type} is not supported",
                           note="compiled code calls functions, not methods; write the loop (e.g. for a sum)")
        raise em.error(node.func, "only named functions can be called", note=f"supported: {SUPPORTED_CALLS}")
    if node.keywords and fn not in _ALLOC and fn not in _ALLOC_LIKE:
        raise em.error(node, f"keyword arguments are not supported in a call to {_name_of(fn)}")
    from ircc.frontends.python import Dispatcher, is_prange

    if isinstance(fn, Dispatcher):
        return em.call_function(fn, [em.expr(a) for a in node.args], node)
    if fn is builtins.range or is_prange(fn):
        raise em.error(node, f"{_name_of(fn)}() is only supported as the iterable of a for loop")
    if fn in _ALLOC:
        return _allocate(em, node, _ALLOC[fn])
    if fn in _ALLOC_LIKE:
        return _allocate_like(em, node, _ALLOC_LIKE[fn])
    if not _known(fn):
        raise em.error(node.func, f"{_name_of(fn)} cannot be called in compiled code",
                       note=f"supported: {SUPPORTED_CALLS}")
    args = [em.expr(a) for a in node.args]
    if fn is builtins.len:
        _arity(em, node, 1, 1)
        a = args[0]
        if isinstance(a, TupleVal):
            return em.const(len(a.items), I64)
        if isinstance(a.type, (Array, View)):
            return em.dim(a, 0)
        raise em.error(node.args[0], f"len() of a {a.type}")
    scalars = [_scalar(em, a, n, _name_of(fn)) for a, n in zip(args, node.args)]
    if fn in _FLOAT_UNARY:
        _arity(em, node, 1, 1)
        x = _float(em, scalars[0])
        return Val(x.type, em.value(_FLOAT_UNARY[fn](x.ssa)))
    if fn in _FLOAT_BINARY:
        _arity(em, node, 2, 2)
        x, y = _float(em, scalars[0]), _float(em, scalars[1])
        t = F64 if F64 in (x.type, y.type) else x.type
        return Val(t, em.value(_FLOAT_BINARY[fn](em.convert(x, t).ssa, em.convert(y, t).ssa)))
    if fn in _TO_INT:
        _arity(em, node, 1, 1)
        x = scalars[0]
        if not x.type.is_float:
            return em.convert(x, I64)
        return em.convert(Val(x.type, em.value(_TO_INT[fn](x.ssa))), I64)
    if fn in _FLOAT_CHECKS:
        _arity(em, node, 1, 1)
        return _float_check(em, scalars[0], _FLOAT_CHECKS[fn])
    if fn in _CASTS:
        _arity(em, node, 1, 1)
        return em.convert(scalars[0], _CASTS[fn])
    if fn in (builtins.abs, np.abs, np.absolute):
        _arity(em, node, 1, 1)
        x = scalars[0]
        if x.type.is_float:
            return Val(x.type, em.value(math.AbsFOp(x.ssa)))
        x = em.convert(x, I64)
        return Val(I64, em.value(math.AbsIOp(x.ssa)))
    if fn in (builtins.min, builtins.max, np.minimum, np.maximum, np.fmin, np.fmax):
        return _minmax(em, node, fn, scalars)
    if fn is builtins.round:
        _arity(em, node, 1, 1)
        x = scalars[0]
        if not x.type.is_float:
            return em.convert(x, I64)
        return em.convert(Val(x.type, em.value(math.RoundEvenOp(x.ssa))), I64)
    if fn in (builtins.pow, np.power):
        _arity(em, node, 2, 2)
        return em.power(scalars[0], scalars[1], node)
    if fn is np.sign:
        _arity(em, node, 1, 1)
        return _sign(em, scalars[0])
    if fn is np.hypot or fn is getattr(pymath, "hypot", None):
        _arity(em, node, 2, 2)
        x, y = _float(em, scalars[0]), _float(em, scalars[1])
        t = F64 if F64 in (x.type, y.type) else x.type
        x, y = em.convert(x, t), em.convert(y, t)
        flags = em.fastmath_flags
        s = em.value(arith.AddfOp(em.value(arith.MulfOp(x.ssa, x.ssa, flags=flags)),
                                  em.value(arith.MulfOp(y.ssa, y.ssa, flags=flags)), flags=flags))
        return Val(t, em.value(math.SqrtOp(s)))
    raise em.error(node.func, f"{_name_of(fn)} cannot be called in compiled code", note=f"supported: {SUPPORTED_CALLS}")


_OTHERS = (builtins.len, builtins.abs, np.abs, np.absolute, builtins.min, builtins.max, np.minimum, np.maximum,
           np.fmin, np.fmax, builtins.round, builtins.pow, np.power, np.sign, np.hypot, getattr(pymath, "hypot", None))


def _known(fn: Any) -> bool:
    try:
        return any(fn in table for table in (_FLOAT_UNARY, _FLOAT_BINARY, _TO_INT, _FLOAT_CHECKS, _CASTS)) or \
            any(fn is other for other in _OTHERS)
    except TypeError:  # unhashable
        return False


def _name_of(fn: Any) -> str:
    mod = getattr(fn, "__module__", None) or ""
    name = getattr(fn, "__name__", None) or type(fn).__name__
    return f"{mod}.{name}" if mod and mod != "builtins" else name


def _arity(em, node: ast.Call, lo: int, hi: int) -> None:
    n = len(node.args)
    if not lo <= n <= hi:
        want = str(lo) if lo == hi else f"{lo} to {hi}"
        raise em.error(node, f"{_name_of(em.static_object(node.func))}() takes {want} argument(s) here, got {n}")


def _scalar(em, v: Value, node: ast.AST, fname: str) -> Val:
    if not (isinstance(v, Val) and isinstance(v.type, Scalar)):
        raise em.error(node, f"{fname}() of a {v.type} is not supported in compiled code",
                       note="numpy functions take numbers here; loop over the array elements")
    return v


def _float(em, v: Val) -> Val:
    return v if v.type.is_float else em.convert(v, F64)


def _float_check(em, x: Val, kind: str) -> Val:
    if not x.type.is_float:
        return em.const(kind == "finite", BOOL)
    if kind == "nan":
        return Val(BOOL, em.value(arith.CmpfOp(x.ssa, x.ssa, "uno")))
    absx = em.value(math.AbsFOp(x.ssa))
    inf = em.const(float("inf"), x.type).ssa
    pred = "oeq" if kind == "inf" else "olt"
    return Val(BOOL, em.value(arith.CmpfOp(absx, inf, pred)))


def _sign(em, x: Val) -> Val:
    t = x.type if x.type.is_float else I64
    x = em.convert(x, t)
    zero, one, minus = em.const(0, t), em.const(1, t), em.const(-1, t)
    if t.is_float:
        gt = em.value(arith.CmpfOp(x.ssa, zero.ssa, "ogt"))
        lt = em.value(arith.CmpfOp(x.ssa, zero.ssa, "olt"))
    else:
        gt = em.value(arith.CmpiOp(x.ssa, zero.ssa, "sgt"))
        lt = em.value(arith.CmpiOp(x.ssa, zero.ssa, "slt"))
    # numpy: sign(nan) is nan, sign(0.0) is 0.0 -- keep x itself when neither comparison holds
    rest = em.value(arith.SelectOp(lt, minus.ssa, x.ssa if t.is_float else zero.ssa))
    return Val(t, em.value(arith.SelectOp(gt, one.ssa, rest)))


def _minmax(em, node: ast.Call, fn: Any, xs: list[Val]) -> Val:
    is_min = fn in (builtins.min, np.minimum, np.fmin)
    if fn in (builtins.min, builtins.max):
        if len(xs) < 2:
            raise em.error(node, f"{fn.__name__}() of one value: compiled code takes two or more numbers",
                           note="loop over an array to find its minimum or maximum")
    else:
        _arity(em, node, 2, 2)
    from ircc.frontends.python_types import unify

    t = xs[0].type
    for x in xs[1:]:
        t = unify(t, x.type)
    t = I64 if not t.is_float else t
    result = em.convert(xs[0], t)
    for x in xs[1:]:
        x = em.convert(x, t)
        if t.is_float:
            if fn in (np.minimum, np.maximum):  # numpy propagates nan
                op = arith.MinimumfOp if is_min else arith.MaximumfOp
                result = Val(t, em.value(op(result.ssa, x.ssa)))
                continue
            if fn in (np.fmin, np.fmax):  # numpy ignores nan
                op = arith.MinnumfOp if is_min else arith.MaxnumfOp
                result = Val(t, em.value(op(result.ssa, x.ssa)))
                continue
            # Python: the first argument unless a later one is strictly smaller (larger)
            better = em.value(arith.CmpfOp(x.ssa, result.ssa, "olt" if is_min else "ogt"))
        else:
            better = em.value(arith.CmpiOp(x.ssa, result.ssa, "slt" if is_min else "sgt"))
        result = Val(t, em.value(arith.SelectOp(better, x.ssa, result.ssa)))
    return result


def python_min_max(em, kind: str, acc: Val, x: Val) -> Val:
    """``min(acc, x)`` / ``max(acc, x)`` with Python's tie and nan rule (for reductions)."""
    if acc.type.is_float:
        better = em.value(arith.CmpfOp(x.ssa, acc.ssa, "olt" if kind == "min" else "ogt"))
    else:
        better = em.value(arith.CmpiOp(x.ssa, acc.ssa, "slt" if kind == "min" else "sgt"))
    return Val(acc.type, em.value(arith.SelectOp(better, x.ssa, acc.ssa)))


# -- allocation --------------------------------------------------------------------------------
def _dtype_of(em, node: ast.Call, default: Scalar) -> Scalar:
    for kw in node.keywords:
        if kw.arg != "dtype":
            raise em.error(kw.value, f"keyword {kw.arg}= is not supported here (only dtype=)")
        if isinstance(kw.value, ast.Attribute) and kw.value.attr == "dtype":
            a = em.expr(kw.value.value)
            if isinstance(a.type, (Array, View)):
                return (a.type.base if isinstance(a.type, View) else a.type).dtype
        obj = em.static_object(kw.value)
        if isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
            obj = kw.value.value
        try:
            name = "bool" if obj in (bool, np.bool_, "bool") else str(np.dtype(obj))
        except TypeError:
            name = ""
        if name not in SCALARS:
            raise em.error(kw.value, "dtype must be float64, float32, int64, int32 or bool")
        return SCALARS[name]
    return default


def _allocate(em, node: ast.Call, fill: int | None) -> Val:
    if len(node.args) != 1:
        raise em.error(node, "numpy.empty/zeros/ones take one shape argument (an int or a tuple) here")
    shape = em.expr(node.args[0])
    dims = list(shape.items) if isinstance(shape, TupleVal) else [shape]
    if not dims:
        raise em.error(node.args[0], "0-d arrays are not supported; use a number")
    sizes = [em.convert(_scalar(em, d, node.args[0], "shape"), I64) for d in dims]
    for d in sizes:
        if d.type.is_float:
            raise em.error(node.args[0], "array sizes must be integers")
    return em.allocate(sizes, _dtype_of(em, node, F64), fill, node)


def _allocate_like(em, node: ast.Call, fill: int | None) -> Val:
    if len(node.args) != 1:
        raise em.error(node, "numpy.*_like take one array argument")
    a = em.expr(node.args[0])
    if not isinstance(a.type, (Array, View)):
        raise em.error(node.args[0], f"numpy.*_like of a {a.type}: pass an array")
    dtype = (a.type.base if isinstance(a.type, View) else a.type).dtype
    sizes = [em.dim(a, d) for d in range(a.type.ndim)]
    return em.allocate(sizes, _dtype_of(em, node, dtype), fill, node)


def fill_loops(em, array: Val, sizes: list, value: Val) -> None:
    """Store ``value`` into every element (a loop nest, innermost dimension last)."""
    outer = em.block
    zero, one = em.index_const(0), em.index_const(1)
    ubs = [em.value(arith.IndexCastOp(s.ssa, INDEX)) for s in sizes]
    ivs = []
    blocks = []
    for ub in ubs:
        body = Block(arg_types=[INDEX])
        blocks.append((em.block, body, ub))
        ivs.append(body.args[0])
        em.block = body
    em.add(memref.StoreOp.get(value.ssa, array.ssa, ivs))
    for parent, body, ub in reversed(blocks):
        em.block = body
        em.add(scf.YieldOp())
        em.block = parent
        em.add(scf.ForOp(zero, ub, one, [], Region(body)))
    em.block = outer


__all__ = ["SUPPORTED_CALLS", "emit_call", "fill_loops", "python_min_max"]
