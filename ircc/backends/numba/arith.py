"""Rendering arith and math ops: integers wrap at their width, floats stay f32/f64, NaN-aware compares.

Semantics follow the reference interpreter: signed division truncates (``_ircc_divsi``), comparisons and
min/max treat NaN as MLIR does, casts read their operand signed or unsigned as the op says, and an f32
math function is cast back to ``np.float32`` (numba may compute it in f64).
"""

from __future__ import annotations

import math

from xdsl.dialects import arith
from xdsl.dialects import math as mathd
from xdsl.dialects.builtin import Float32Type, FloatAttr, IntegerAttr
from xdsl.ir import Operation

from ircc.backends.numba.renderer import FunctionRenderer, Handler
from ircc.backends.numba.types import cast, int_width, is_float, np_type, signed, uint_type, unsigned, wrap
from ircc.ir.dialects.arith_ext import RemFOp
from ircc.ir.dialects.math_ext import ErfcOp

# --------------------------------------------------------------------------------------------
# arith
# --------------------------------------------------------------------------------------------

def _constant(r: FunctionRenderer, op: arith.ConstantOp) -> None:
    t = op.result.type
    attr = op.value
    if isinstance(attr, IntegerAttr) and int_width(t) is not None:
        width = int_width(t)
        assert width is not None
        v = attr.value.data
        v = ((v + (1 << (width - 1))) % (1 << width)) - (1 << (width - 1)) if width > 1 else v & 1
        if width == 1:
            text = "True" if v else "False"
        elif width == 64:
            text = f"np.int64({v})" if v == -(1 << 63) else str(v)
        else:
            text = f"{np_type(t)}({v})"
    elif isinstance(attr, FloatAttr) and is_float(t):
        v = attr.value.data
        if math.isnan(v):
            text = "np.nan"
        elif math.isinf(v):
            text = "np.inf" if v > 0 else "-np.inf"
        else:
            text = repr(v)
        if isinstance(t, Float32Type):
            text = f"np.float32({text})"
    else:
        raise r.error(op, f"the numba backend accepts only scalar integer and float constants; found {attr}")
    r.assign(op, text)


def _int_binary(symbol: str) -> Handler:
    def render(r: FunctionRenderer, op: Operation) -> None:
        a, b = r.operands(op)
        t = op.results[0].type
        if int_width(t) == 1 and symbol in "&|^":
            r.assign(op, f"{a} {symbol} {b}")
        else:
            r.assign(op, wrap(f"{signed(a, t)} {symbol} {signed(b, t)}", t))
    return render


def _int_unsigned_binary(symbol: str) -> Handler:
    def render(r: FunctionRenderer, op: Operation) -> None:
        a, b = r.operands(op)
        t = op.results[0].type
        r.assign(op, cast(f"{unsigned(a, t)} {symbol} {unsigned(b, t)}", t))
    return render


def _int_helper(helper: str, *, unsigned_operands: bool = False) -> Handler:
    def render(r: FunctionRenderer, op: Operation) -> None:
        a, b = r.operands(op)
        t = op.results[0].type
        if unsigned_operands:
            r.assign(op, cast(f"{r.helper(helper)}({unsigned(a, t)}, {unsigned(b, t)})", t))
        else:
            r.assign(op, wrap(f"{r.helper(helper)}({signed(a, t)}, {signed(b, t)})", t))
    return render


def _int_minmax(builtin: str) -> Handler:
    def render(r: FunctionRenderer, op: Operation) -> None:
        a, b = r.operands(op)
        t = op.results[0].type
        if int_width(t) == 1:
            r.assign(op, cast(f"{builtin}({signed(a, t)}, {signed(b, t)})", t))
        else:
            r.assign(op, wrap(f"{builtin}({a}, {b})", t))
    return render


def _uint_minmax(less: bool) -> Handler:
    def render(r: FunctionRenderer, op: Operation) -> None:
        a, b = r.operands(op)
        t = op.results[0].type
        symbol = "<" if less else ">"
        r.assign(op, f"{a} if {unsigned(a, t)} {symbol} {unsigned(b, t)} else {b}")
    return render


def _float_binary(symbol: str) -> Handler:
    def render(r: FunctionRenderer, op: Operation) -> None:
        a, b = r.operands(op)
        r.assign(op, f"{a} {symbol} {b}")
    return render


def _float_helper(helper: str) -> Handler:
    def render(r: FunctionRenderer, op: Operation) -> None:
        a, b = r.operands(op)
        r.assign(op, f"{r.helper(helper)}({a}, {b})")
    return render


def _float_binary_call(function: str) -> Handler:
    def render(r: FunctionRenderer, op: Operation) -> None:
        a, b = r.operands(op)
        r.assign(op, f"{function}({a}, {b})")
    return render


def _negf(r: FunctionRenderer, op: arith.NegfOp) -> None:
    r.assign(op, f"-{r.name(op.operand)}")


_CMPI = {"eq": "==", "ne": "!=", "slt": "<", "sle": "<=", "sgt": ">", "sge": ">=",
         "ult": "<", "ule": "<=", "ugt": ">", "uge": ">="}


def _cmpi(r: FunctionRenderer, op: arith.CmpiOp) -> None:
    a, b = r.operands(op)
    t = op.lhs.type
    predicate = arith.CMPI_COMPARISON_OPERATIONS[op.predicate.value.data]
    if predicate.startswith("u"):
        a, b = unsigned(a, t), unsigned(b, t)
    elif predicate.startswith("s"):
        a, b = signed(a, t), signed(b, t)
    r.assign(op, f"{a} {_CMPI[predicate]} {b}")


#: cmpf predicate -> expression over a, b. Python's float comparisons are the ordered predicates
#: (false on NaN) except ``!=``, which is ``une``; the unordered ones negate the opposite ordered one.
_CMPF = {
    "false": "False", "oeq": "{a} == {b}", "ogt": "{a} > {b}", "oge": "{a} >= {b}", "olt": "{a} < {b}",
    "ole": "{a} <= {b}", "one": "({a} < {b}) | ({a} > {b})", "ord": "({a} == {a}) & ({b} == {b})",
    "ueq": "not (({a} < {b}) | ({a} > {b}))", "ugt": "not ({a} <= {b})", "uge": "not ({a} < {b})",
    "ult": "not ({a} >= {b})", "ule": "not ({a} > {b})", "une": "{a} != {b}",
    "uno": "({a} != {a}) | ({b} != {b})", "true": "True",
}


def _cmpf(r: FunctionRenderer, op: arith.CmpfOp) -> None:
    a, b = r.operands(op)
    predicate = arith.CMPF_COMPARISON_OPERATIONS[op.predicate.value.data]
    r.assign(op, _CMPF[predicate].format(a=a, b=b))


def _select(r: FunctionRenderer, op: arith.SelectOp) -> None:
    c, a, b = r.operands(op)
    r.assign(op, f"{a} if {c} else {b}")


def _int_to_float(is_unsigned: bool) -> Handler:
    def render(r: FunctionRenderer, op: Operation) -> None:
        (a,) = r.operands(op)
        src = op.operands[0].type
        value = unsigned(a, src) if is_unsigned else signed(a, src)
        r.assign(op, f"{np_type(op.results[0].type)}({value})")
    return render


def _fptosi(r: FunctionRenderer, op: arith.FPToSIOp) -> None:
    a = r.name(op.input)
    t = op.result.type
    r.assign(op, cast(f"np.int64({a})", t) if int_width(t) == 1 else f"{np_type(t)}({a})")


def _fptoui(r: FunctionRenderer, op: arith.FPToUIOp) -> None:
    t = op.result.type
    r.assign(op, cast(f"{uint_type(t)}({r.name(op.input)})", t))


def _int_resize(is_unsigned: bool) -> Handler:
    """extsi / extui / trunci / index_cast: read the operand signed (or unsigned), then convert."""
    def render(r: FunctionRenderer, op: Operation) -> None:
        (a,) = r.operands(op)
        src, dst = op.operands[0].type, op.results[0].type
        if np_type(src) == np_type(dst):
            r.assign(op, a)
            return
        value = unsigned(a, src) if is_unsigned else signed(a, src)
        r.assign(op, cast(value, dst))
    return render


def _float_resize(r: FunctionRenderer, op: Operation) -> None:
    r.assign(op, f"{np_type(op.results[0].type)}({r.name(op.operands[0])})")


# --------------------------------------------------------------------------------------------
# math
# --------------------------------------------------------------------------------------------

def _float_call(function: str) -> Handler:
    """A float function of the operands; f32 results are cast back (numba may compute in f64)."""
    def render(r: FunctionRenderer, op: Operation) -> None:
        args = ", ".join(r.operands(op))
        t = op.results[0].type
        expr = f"{function}({args})"
        r.assign(op, f"np.float32({expr})" if isinstance(t, Float32Type) else expr)
    return render


def _rsqrt(r: FunctionRenderer, op: mathd.RsqrtOp) -> None:
    expr = f"1.0 / math.sqrt({r.name(op.operand)})"
    r.assign(op, f"np.float32({expr})" if isinstance(op.result.type, Float32Type) else expr)


def _fpowi(r: FunctionRenderer, op: mathd.FPowIOp) -> None:
    a, n = r.operands(op)
    expr = f"{a} ** np.int64({signed(n, op.operands[1].type)})"
    r.assign(op, f"np.float32({expr})" if isinstance(op.result.type, Float32Type) else expr)


def _ipowi(r: FunctionRenderer, op: mathd.IPowIOp) -> None:
    a, n = r.operands(op)
    t = op.result.type
    r.assign(op, wrap(f"{r.helper('_ircc_ipowi')}({signed(a, t)}, {signed(n, t)})", t))


def _absi(r: FunctionRenderer, op: mathd.AbsIOp) -> None:
    t = op.result.type
    a = r.name(op.operand)
    r.assign(op, a if int_width(t) == 1 else wrap(f"abs({a})", t))


def _bit_count(name: str):
    def render(r: FunctionRenderer, op: Operation) -> None:
        fn = r.helper(f"_ircc_{name}")
        r.assign(op, f"{fn}({np_type(op.result.type)}({r.name(op.operands[0])}))")
    return render


def _round(r: FunctionRenderer, op: mathd.RoundOp) -> None:
    expr = f"{r.helper('_ircc_round')}({r.name(op.operand)})"
    r.assign(op, f"{np_type(op.result.type)}({expr})")


def _fma(r: FunctionRenderer, op: mathd.FmaOp) -> None:
    a, b, c = r.operands(op)
    if isinstance(op.result.type, Float32Type):
        # the f32 product is exact in f64, leaving one f64 rounding before the f32 one
        r.assign(op, f"np.float32(np.float64({a}) * np.float64({b}) + np.float64({c}))")
    else:
        r.assign(op, f"{a} * {b} + {c}")


ARITH_HANDLERS: dict[type[Operation], Handler] = {
    # arith: integers
    arith.ConstantOp: _constant,
    arith.AddiOp: _int_binary("+"),
    arith.SubiOp: _int_binary("-"),
    arith.MuliOp: _int_binary("*"),
    arith.AndIOp: _int_binary("&"),
    arith.OrIOp: _int_binary("|"),
    arith.XOrIOp: _int_binary("^"),
    arith.ShLIOp: _int_binary("<<"),
    arith.ShRSIOp: _int_binary(">>"),
    arith.FloorDivSIOp: _int_binary("//"),
    arith.ShRUIOp: _int_unsigned_binary(">>"),
    arith.DivUIOp: _int_unsigned_binary("//"),
    arith.RemUIOp: _int_unsigned_binary("%"),
    arith.DivSIOp: _int_helper("_ircc_divsi"),
    arith.RemSIOp: _int_helper("_ircc_remsi"),
    arith.CeilDivSIOp: _int_helper("_ircc_ceildivsi"),
    arith.CeilDivUIOp: _int_helper("_ircc_ceildivui", unsigned_operands=True),
    arith.MinSIOp: _int_minmax("min"),
    arith.MaxSIOp: _int_minmax("max"),
    arith.MinUIOp: _uint_minmax(less=True),
    arith.MaxUIOp: _uint_minmax(less=False),
    arith.CmpiOp: _cmpi,
    # arith: floats
    arith.AddfOp: _float_binary("+"),
    arith.SubfOp: _float_binary("-"),
    arith.MulfOp: _float_binary("*"),
    arith.DivfOp: _float_binary("/"),
    arith.NegfOp: _negf,
    arith.MaximumfOp: _float_helper("_ircc_maximumf"),
    arith.MinimumfOp: _float_helper("_ircc_minimumf"),
    arith.MaxnumfOp: _float_helper("_ircc_maxnumf"),
    arith.MinnumfOp: _float_helper("_ircc_minnumf"),
    arith.CmpfOp: _cmpf,
    arith.SelectOp: _select,
    # arith: casts
    arith.SIToFPOp: _int_to_float(is_unsigned=False),
    arith.UIToFPOp: _int_to_float(is_unsigned=True),
    arith.FPToSIOp: _fptosi,
    arith.FPToUIOp: _fptoui,
    arith.IndexCastOp: _int_resize(is_unsigned=False),
    arith.ExtSIOp: _int_resize(is_unsigned=False),
    arith.ExtUIOp: _int_resize(is_unsigned=True),
    arith.TruncIOp: _int_resize(is_unsigned=False),
    arith.ExtFOp: _float_resize,
    arith.TruncFOp: _float_resize,
}

MATH_HANDLERS: dict[type[Operation], Handler] = {
    mathd.ExpOp: _float_call("math.exp"),
    mathd.Exp2Op: _float_call("np.exp2"),
    mathd.ExpM1Op: _float_call("math.expm1"),
    mathd.LogOp: _float_call("math.log"),
    mathd.Log2Op: _float_call("math.log2"),
    mathd.Log10Op: _float_call("math.log10"),
    mathd.Log1pOp: _float_call("math.log1p"),
    mathd.SqrtOp: _float_call("math.sqrt"),
    mathd.RsqrtOp: _rsqrt,
    mathd.CbrtOp: _float_call("np.cbrt"),
    mathd.SinOp: _float_call("math.sin"),
    mathd.CosOp: _float_call("math.cos"),
    mathd.TanOp: _float_call("math.tan"),
    mathd.AsinOp: _float_call("math.asin"),
    mathd.AcosOp: _float_call("math.acos"),
    mathd.AtanOp: _float_call("math.atan"),
    mathd.Atan2Op: _float_call("math.atan2"),
    mathd.SinhOp: _float_call("math.sinh"),
    mathd.CoshOp: _float_call("math.cosh"),
    mathd.TanhOp: _float_call("math.tanh"),
    mathd.AsinhOp: _float_call("math.asinh"),
    mathd.AcoshOp: _float_call("math.acosh"),
    mathd.AtanhOp: _float_call("math.atanh"),
    mathd.ErfOp: _float_call("math.erf"),
    mathd.PowFOp: _float_call("math.pow"),
    mathd.FPowIOp: _fpowi,
    mathd.IPowIOp: _ipowi,
    mathd.AbsFOp: _float_call("abs"),
    mathd.AbsIOp: _absi,
    mathd.CountTrailingZerosOp: _bit_count("cttz"),
    mathd.CountLeadingZerosOp: _bit_count("ctlz"),
    mathd.FloorOp: _float_call("np.floor"),
    mathd.CeilOp: _float_call("np.ceil"),
    mathd.TruncOp: _float_call("np.trunc"),
    mathd.RoundEvenOp: _float_call("np.rint"),
    mathd.RoundOp: _round,
    mathd.CopySignOp: _float_call("np.copysign"),
    mathd.FmaOp: _fma,
}
ARITH_HANDLERS[RemFOp] = _float_binary_call("np.fmod")  # ircc/ir/dialects/arith_ext.py (not in xDSL 0.75)
MATH_HANDLERS[ErfcOp] = _float_call("math.erfc")  # ircc/ir/dialects/math_ext.py (not in xDSL 0.75)
