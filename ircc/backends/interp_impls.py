"""Scalar semantics for the reference interpreter: the value model and the arith / math tables.

The value model (what an SSA value is while ``interp`` runs):

* ``iN`` / ``index``: a Python ``int`` in the signed range of its width (``index`` is 64 bits);
  ``i1`` is a Python ``bool``. Every integer op wraps its result to the result width, so
  ``addi`` overflows as two's complement does; unsigned ops reinterpret the bits.
* ``f16`` / ``f32`` / ``f64``: a numpy scalar of that width (``numpy.float32`` for ``f32``), so
  every operation rounds as the declared type does; division by zero gives inf / nan (IEEE),
  never a Python exception (the caller runs under ``numpy.errstate(all="ignore")``).
* ``memref``: a numpy array (the caller's own array for an argument, so stores are visible to it).

xDSL's own arith / math implementations use ``IntegerAttr`` / ``FloatAttr`` values (Python floats,
so ``f32`` would compute in double precision) and lack divf and the casts: these tables replace them.

Each table maps an op type to a handler ``(op, args) -> results``; ``table_functions`` turns a
table into an ``InterpreterFunctions`` class for ``xdsl.interpreter.Interpreter``.
"""

from __future__ import annotations

import math as pymath
import operator
from collections.abc import Callable
from fractions import Fraction
from math import isnan
from typing import Any

import numpy as np
from xdsl.dialects import arith, func, math
from xdsl.dialects.builtin import (
    FileLineColLoc,
    Float16Type,
    Float32Type,
    Float64Type,
    FloatAttr,
    IndexType,
    IntegerAttr,
    IntegerType,
)
from xdsl.interpreter import (
    Interpreter,
    InterpreterFunctions,
    PythonValues,
    ReturnedValues,
    impl,
    impl_terminator,
    register_impls,
)
from xdsl.ir import Attribute, Operation
from xdsl.traits import IsTerminator

from ircc.ir.dialects.arith_ext import RemFOp
from ircc.ir.dialects.math_ext import ErfcOp
from ircc.errors import BackendError

Handler = Callable[[Operation, PythonValues], PythonValues]
RegionHandler = Callable[[Interpreter, Operation, PythonValues], PythonValues]

INDEX_WIDTH = 64

#: IR float type -> the numpy scalar type that holds its values.
FLOAT_TYPES: dict[type[Attribute], type[np.floating]] = {
    Float16Type: np.float16, Float32Type: np.float32, Float64Type: np.float64,
}


# ---------------------------------------------------------------- value model helpers


def where(op: Operation) -> str:
    """Where ``op`` is, for messages: its file:line:col if known, else its enclosing function."""
    loc = op.location
    if isinstance(loc, FileLineColLoc):
        return f"at {loc.filename.data}:{loc.line.data}:{loc.column.data}"
    parent = op.parent_op()
    while parent is not None and not isinstance(parent, func.FuncOp):
        parent = parent.parent_op()
    return f"in @{parent.sym_name.data}" if parent is not None else "at an unknown location"


def fault(op: Operation, message: str) -> BackendError:
    """A run-time fault of ``op`` (division by zero, an index out of bounds) as a BackendError."""
    return BackendError(f"{op.name}: {message} ({where(op)})")


def int_width(t: Attribute) -> int:
    """The bit width of an integer-like IR type (``index`` is 64 bits)."""
    if isinstance(t, IntegerType):
        return t.width.data
    if isinstance(t, IndexType):
        return INDEX_WIDTH
    raise BackendError(f"expected an integer or index type, found {t}")


def float_type(t: Attribute) -> type[np.floating]:
    """The numpy scalar type of an IR float type."""
    try:
        return FLOAT_TYPES[type(t)]
    except KeyError:
        raise BackendError(f"the interp backend has no float type for {t} (f16, f32, f64 only)") from None


def wrap(v: int, width: int) -> int:
    """``v`` reduced to ``width`` bits, as a signed value (a bool for i1)."""
    if width == 1:
        return bool(v & 1)
    half = 1 << (width - 1)
    if -half <= v < half:
        return v
    v &= (half << 1) - 1
    return v - (half << 1) if v >= half else v


def signed(v: int, width: int) -> int:
    """The signed reading of a value (only i1 differs from the stored form: true is -1)."""
    return -int(v) if width == 1 else v


def unsigned(v: int, width: int) -> int:
    """The unsigned reading of a value's ``width`` bits."""
    return int(v) & ((1 << width) - 1)


def int_to_float(v: int, ftype: type[np.floating]) -> np.floating:
    """``v`` rounded once (to nearest, ties to even) to ``ftype``, as LLVM's sitofp/uitofp do."""
    if ftype is np.float64 or -(1 << 53) <= v <= (1 << 53):
        return ftype(float(v))  # exact int -> double, then one rounding
    bits = np.finfo(ftype).nmant + 1
    mag = abs(v)
    shift = mag.bit_length() - bits
    kept, rest, half = mag >> shift, mag & ((1 << shift) - 1), 1 << (shift - 1)
    if rest > half or (rest == half and kept & 1):
        kept += 1
    return ftype(float(kept << shift) * (1 if v > 0 else -1))


def float_to_int(x: np.floating, width: int) -> int:
    """fptosi / fptoui: truncate toward zero. Out of range is poison in MLIR; here it wraps (NaN/inf give 0)."""
    if not np.isfinite(x):
        return wrap(0, width)
    return wrap(int(x), width)


def exact_fma(x: np.floating, y: np.floating, z: np.floating) -> np.floating:
    """``x * y + z`` with a single rounding to the type of ``x``."""
    ftype = type(x)
    if not (np.isfinite(x) and np.isfinite(y) and np.isfinite(z)):
        return x * y + z
    exact = Fraction(float(x)) * Fraction(float(y)) + Fraction(float(z))
    if exact == 0:
        return x * y + z  # x*y is then exact, and IEEE decides the sign of zero
    try:
        r = float(exact)  # correctly rounded to double
    except OverflowError:
        return ftype(np.inf if exact > 0 else -np.inf)
    if ftype is not np.float64 and Fraction(r) != exact:
        # Round to odd in double, so the second rounding (to ftype) is correct.
        bits = np.float64(r).view(np.int64)
        if not bits & 1:
            r = float(np.nextafter(r, np.inf if exact > r else -np.inf))
    return ftype(r)


def round_half_away(x: np.floating) -> np.floating:
    """math.round: to nearest, ties away from zero."""
    t = np.trunc(x)
    if abs(x - t) >= 0.5:
        t = t + np.copysign(type(x)(1), x)
    return t


def ipowi(b: int, e: int, width: int, op: Operation) -> int:
    """math.ipowi with MLIR's rules for negative exponents."""
    if e < 0:
        if b == 0:
            raise fault(op, "integer division by zero (0 raised to a negative power)")
        if b == 1:
            return 1
        if b == -1:
            return -1 if e & 1 else 1
        return 0
    return wrap(pow(b, e, 1 << width), width)


def maximumf(x: np.floating, y: np.floating) -> np.floating:
    """IEEE maximum: NaN wins, +0 > -0."""
    if isnan(x) or isnan(y):
        return x + y
    if x == y:
        return y if np.signbit(x) else x
    return max(y, x)


def minimumf(x: np.floating, y: np.floating) -> np.floating:
    """IEEE minimum: NaN wins, -0 < +0."""
    if isnan(x) or isnan(y):
        return x + y
    if x == y:
        return x if np.signbit(x) else y
    return min(y, x)


def bitcast(v: Any, src: Attribute, dst: Attribute) -> Any:
    """arith.bitcast between same-width integer and float types."""
    if isinstance(src, IntegerType | IndexType):
        width = int_width(src)
        bits = np.array(unsigned(v, width), dtype=f"u{width // 8}")
    else:
        bits = np.array(v)
    if isinstance(dst, IntegerType | IndexType):
        return wrap(int(bits.view(f"u{bits.itemsize}")), int_width(dst))
    return bits.view(float_type(dst))[()]


# ---------------------------------------------------------------- table -> InterpreterFunctions


def table_functions(name: str, handlers: dict[type[Operation], Handler],
                    region_handlers: dict[type[Operation], RegionHandler] | None = None) -> type[InterpreterFunctions]:
    """An ``InterpreterFunctions`` class running each op type with its handler.

    ``handlers`` take ``(op, args)``; ``region_handlers`` also take the interpreter (for ops
    that run regions). Terminators return the values they pass to their parent.
    """
    namespace: dict[str, Any] = {}
    entries = [(t, h, False) for t, h in handlers.items()]
    entries += [(t, h, True) for t, h in (region_handlers or {}).items()]
    for op_type, handler, needs_interpreter in entries:
        namespace[f"run_{op_type.name}"] = _as_impl(op_type, handler, needs_interpreter)
    return register_impls(type(name, (InterpreterFunctions,), namespace))


def _as_impl(op_type: type[Operation], handler: Any, needs_interpreter: bool) -> Any:
    if op_type.has_trait(IsTerminator):
        def run_terminator(self: InterpreterFunctions, interpreter: Interpreter, op: Operation,
                           args: PythonValues) -> tuple[ReturnedValues, PythonValues]:
            values = handler(interpreter, op, args) if needs_interpreter else handler(op, args)
            return ReturnedValues(values), ()

        return impl_terminator(op_type)(run_terminator)
    if needs_interpreter:
        def run_region_op(self: InterpreterFunctions, interpreter: Interpreter, op: Operation,
                          args: PythonValues) -> PythonValues:
            return handler(interpreter, op, args)

        return impl(op_type)(run_region_op)

    def run(self: InterpreterFunctions, interpreter: Interpreter, op: Operation, args: PythonValues) -> PythonValues:
        return handler(op, args)

    return impl(op_type)(run)


# ---------------------------------------------------------------- arith


def _int_binary(fn: Callable[[int, int, int], int]) -> Handler:
    """A handler for a binary integer op: ``fn(lhs, rhs, width)``, wrapped to the result width."""
    def run(op: Operation, args: PythonValues) -> PythonValues:
        width = int_width(op.results[0].type)
        try:
            return (wrap(fn(args[0], args[1], width), width),)
        except ZeroDivisionError:
            raise fault(op, "integer division by zero") from None
    return run


def _float_binary(fn: Callable[[Any, Any], Any]) -> Handler:
    return lambda op, args: (fn(args[0], args[1]),)


def _float_unary(fn: Callable[[Any], Any]) -> Handler:
    return lambda op, args: (fn(args[0]),)


def _div_trunc(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return -q if (a < 0) != (b < 0) else q


def _divsi(a: int, b: int, w: int) -> int:
    return _div_trunc(signed(a, w), signed(b, w))


def _remsi(a: int, b: int, w: int) -> int:
    a, b = signed(a, w), signed(b, w)
    return a - b * _div_trunc(a, b)


def _shli(a: int, b: int, w: int) -> int:
    shift = unsigned(b, w)
    return 0 if shift >= w else int(a) << shift  # shifting by >= width is poison in MLIR


def _shrsi(a: int, b: int, w: int) -> int:
    return signed(a, w) >> min(unsigned(b, w), w - 1)


def _shrui(a: int, b: int, w: int) -> int:
    shift = unsigned(b, w)
    return 0 if shift >= w else unsigned(a, w) >> shift


def _constant(op: Operation, args: PythonValues) -> PythonValues:
    assert isinstance(op, arith.ConstantOp)
    value, t = op.value, op.result.type
    if isinstance(value, IntegerAttr) and isinstance(t, IntegerType | IndexType):
        return (wrap(value.value.data, int_width(t)),)
    if isinstance(value, FloatAttr):
        return (float_type(t)(value.value.data),)
    raise fault(op, f"constants of type {t} are not supported by the interp backend (scalars only)")


_CMPI: list[Callable[[int, int], bool]] = [
    operator.eq, operator.ne, operator.lt, operator.le, operator.gt, operator.ge,  # eq ne slt sle sgt sge
    operator.lt, operator.le, operator.gt, operator.ge,  # ult ule ugt uge
]


def _cmpi(op: Operation, args: PythonValues) -> PythonValues:
    assert isinstance(op, arith.CmpiOp)
    predicate = op.predicate.value.data
    width = int_width(op.lhs.type)
    a, b = args
    if predicate >= 6:
        a, b = unsigned(a, width), unsigned(b, width)
    elif width == 1:
        a, b = -int(a), -int(b)
    return (bool(_CMPI[predicate](a, b)),)


# Ordered predicates are false on NaN; unordered ones are true (written as "not ordered-opposite").
_CMPF: list[Callable[[Any, Any], Any]] = [
    lambda x, y: False,  # false
    lambda x, y: x == y,  # oeq
    lambda x, y: x > y,  # ogt
    lambda x, y: x >= y,  # oge
    lambda x, y: x < y,  # olt
    lambda x, y: x <= y,  # ole
    lambda x, y: x < y or x > y,  # one
    lambda x, y: not (isnan(x) or isnan(y)),  # ord
    lambda x, y: not (x < y or x > y),  # ueq
    lambda x, y: not x <= y,  # ugt
    lambda x, y: not x < y,  # uge
    lambda x, y: not x >= y,  # ult
    lambda x, y: not x > y,  # ule
    lambda x, y: x != y,  # une
    lambda x, y: isnan(x) or isnan(y),  # uno
    lambda x, y: True,  # true
]


def _cmpf(op: Operation, args: PythonValues) -> PythonValues:
    assert isinstance(op, arith.CmpfOp)
    return (bool(_CMPF[op.predicate.value.data](args[0], args[1])),)


def _int_cast(fn: Callable[[int, int, int], int]) -> Handler:
    """A handler for an integer -> integer cast: ``fn(value, in_width, out_width)``."""
    def run(op: Operation, args: PythonValues) -> PythonValues:
        return (wrap(fn(args[0], int_width(op.operands[0].type), int_width(op.results[0].type)),
                     int_width(op.results[0].type)),)
    return run


def _to_float(is_signed: bool) -> Handler:
    def run(op: Operation, args: PythonValues) -> PythonValues:
        width = int_width(op.operands[0].type)
        v = signed(args[0], width) if is_signed else unsigned(args[0], width)
        return (int_to_float(v, float_type(op.results[0].type)),)
    return run


def _from_float(op: Operation, args: PythonValues) -> PythonValues:
    """fptosi and fptoui: in range, both give the same bits."""
    return (float_to_int(args[0], int_width(op.results[0].type)),)


def _float_cast(op: Operation, args: PythonValues) -> PythonValues:
    return (float_type(op.results[0].type)(args[0]),)


def _mul_extended(is_signed: bool) -> Handler:
    def run(op: Operation, args: PythonValues) -> PythonValues:
        w = int_width(op.results[0].type)
        read = signed if is_signed else unsigned
        p = read(args[0], w) * read(args[1], w)
        return (wrap(p, w), wrap(p >> w, w))
    return run


def _addui_extended(op: Operation, args: PythonValues) -> PythonValues:
    w = int_width(op.results[0].type)
    s = unsigned(args[0], w) + unsigned(args[1], w)
    return (wrap(s, w), s >> w != 0)


ARITH: dict[type[Operation], Handler] = {
    arith.ConstantOp: _constant,
    # integers
    arith.AddiOp: _int_binary(lambda a, b, w: a + b),
    arith.SubiOp: _int_binary(lambda a, b, w: a - b),
    arith.MuliOp: _int_binary(lambda a, b, w: signed(a, w) * signed(b, w)),
    arith.DivSIOp: _int_binary(_divsi),
    arith.DivUIOp: _int_binary(lambda a, b, w: unsigned(a, w) // unsigned(b, w)),
    arith.RemSIOp: _int_binary(_remsi),
    arith.RemUIOp: _int_binary(lambda a, b, w: unsigned(a, w) % unsigned(b, w)),
    arith.FloorDivSIOp: _int_binary(lambda a, b, w: signed(a, w) // signed(b, w)),
    arith.CeilDivSIOp: _int_binary(lambda a, b, w: -(-signed(a, w) // signed(b, w))),
    arith.CeilDivUIOp: _int_binary(lambda a, b, w: -(-unsigned(a, w) // unsigned(b, w))),
    arith.MaxSIOp: _int_binary(lambda a, b, w: max(signed(a, w), signed(b, w))),
    arith.MinSIOp: _int_binary(lambda a, b, w: min(signed(a, w), signed(b, w))),
    arith.MaxUIOp: _int_binary(lambda a, b, w: max(unsigned(a, w), unsigned(b, w))),
    arith.MinUIOp: _int_binary(lambda a, b, w: min(unsigned(a, w), unsigned(b, w))),
    arith.AndIOp: _int_binary(lambda a, b, w: a & b),
    arith.OrIOp: _int_binary(lambda a, b, w: a | b),
    arith.XOrIOp: _int_binary(lambda a, b, w: a ^ b),
    arith.ShLIOp: _int_binary(_shli),
    arith.ShRSIOp: _int_binary(_shrsi),
    arith.ShRUIOp: _int_binary(_shrui),
    arith.MulSIExtendedOp: _mul_extended(is_signed=True),
    arith.MulUIExtendedOp: _mul_extended(is_signed=False),
    arith.AddUIExtendedOp: _addui_extended,
    arith.CmpiOp: _cmpi,
    # floats
    arith.AddfOp: _float_binary(operator.add),
    arith.SubfOp: _float_binary(operator.sub),
    arith.MulfOp: _float_binary(operator.mul),
    arith.DivfOp: _float_binary(operator.truediv),
    RemFOp: _float_binary(np.fmod),
    arith.MaximumfOp: _float_binary(maximumf),
    arith.MinimumfOp: _float_binary(minimumf),
    arith.MaxnumfOp: _float_binary(np.fmax),
    arith.MinnumfOp: _float_binary(np.fmin),
    arith.NegfOp: _float_unary(operator.neg),
    arith.CmpfOp: _cmpf,
    # both
    arith.SelectOp: lambda op, args: (args[1] if args[0] else args[2],),
    # casts
    arith.ExtSIOp: _int_cast(lambda v, wi, wo: signed(v, wi)),
    arith.ExtUIOp: _int_cast(lambda v, wi, wo: unsigned(v, wi)),
    arith.TruncIOp: _int_cast(lambda v, wi, wo: int(v)),
    arith.IndexCastOp: _int_cast(lambda v, wi, wo: signed(v, wi)),
    arith.SIToFPOp: _to_float(is_signed=True),
    arith.UIToFPOp: _to_float(is_signed=False),
    arith.FPToSIOp: _from_float,
    arith.FPToUIOp: _from_float,
    arith.ExtFOp: _float_cast,
    arith.TruncFOp: _float_cast,
    arith.BitcastOp: lambda op, args: (bitcast(args[0], op.operands[0].type, op.results[0].type),),
}


# ---------------------------------------------------------------- math


def _scalar_fn(fn: Callable[[float], float]) -> Callable[[Any], Any]:
    """A Python ``math`` function evaluated in double and rounded to the argument's type."""
    return lambda x: type(x)(fn(float(x)))


def _int_unary(fn: Callable[[int, int], int]) -> Handler:
    def run(op: Operation, args: PythonValues) -> PythonValues:
        width = int_width(op.results[0].type)
        return (wrap(fn(args[0], width), width),)
    return run


def _ipowi(op: Operation, args: PythonValues) -> PythonValues:
    width = int_width(op.results[0].type)
    return (ipowi(signed(args[0], width), signed(args[1], width), width, op),)


def _ctlz(v: int, w: int) -> int:
    return w - unsigned(v, w).bit_length()


def _cttz(v: int, w: int) -> int:
    u = unsigned(v, w)
    return (u & -u).bit_length() - 1 if u else w


MATH: dict[type[Operation], Handler] = {
    math.ExpOp: _float_unary(np.exp),
    math.Exp2Op: _float_unary(np.exp2),
    math.ExpM1Op: _float_unary(np.expm1),
    math.LogOp: _float_unary(np.log),
    math.Log2Op: _float_unary(np.log2),
    math.Log10Op: _float_unary(np.log10),
    math.Log1pOp: _float_unary(np.log1p),
    math.SqrtOp: _float_unary(np.sqrt),
    math.RsqrtOp: _float_unary(lambda x: type(x)(1) / np.sqrt(x)),
    math.CbrtOp: _float_unary(np.cbrt),
    math.SinOp: _float_unary(np.sin),
    math.CosOp: _float_unary(np.cos),
    math.TanOp: _float_unary(np.tan),
    math.AsinOp: _float_unary(np.arcsin),
    math.AcosOp: _float_unary(np.arccos),
    math.AtanOp: _float_unary(np.arctan),
    math.SinhOp: _float_unary(np.sinh),
    math.CoshOp: _float_unary(np.cosh),
    math.TanhOp: _float_unary(np.tanh),
    math.AsinhOp: _float_unary(np.arcsinh),
    math.AcoshOp: _float_unary(np.arccosh),
    math.AtanhOp: _float_unary(np.arctanh),
    math.ErfOp: _float_unary(_scalar_fn(pymath.erf)),
    ErfcOp: _float_unary(_scalar_fn(pymath.erfc)),
    math.AbsFOp: _float_unary(np.abs),
    math.FloorOp: _float_unary(np.floor),
    math.CeilOp: _float_unary(np.ceil),
    math.TruncOp: _float_unary(np.trunc),
    math.RoundOp: _float_unary(round_half_away),
    math.RoundEvenOp: _float_unary(np.rint),
    math.Atan2Op: _float_binary(np.arctan2),
    math.PowFOp: _float_binary(np.power),
    math.CopySignOp: _float_binary(np.copysign),
    math.FPowIOp: lambda op, args: (args[0] ** signed(args[1], int_width(op.operands[1].type)),),
    math.FmaOp: lambda op, args: (exact_fma(*args),),
    math.IPowIOp: _ipowi,
    math.AbsIOp: _int_unary(lambda v, w: abs(signed(v, w))),
    math.CountLeadingZerosOp: _int_unary(_ctlz),
    math.CountTrailingZerosOp: _int_unary(_cttz),
    math.CtPopOp: _int_unary(lambda v, w: unsigned(v, w).bit_count()),
}
# xDSL 0.75's math dialect has no erfc (ircc/ir/dialects/math_ext.py adds it), isnan, isinf or isfinite.

ArithImpls = table_functions("ArithImpls", ARITH)
MathImpls = table_functions("MathImpls", MATH)
