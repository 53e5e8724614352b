"""The reference interpreter (``-t interp``): every op against numpy, at the declared widths."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from xdsl.dialects.builtin import IndexType, IntegerType, MemRefType, ModuleOp
from xdsl.interpreter import Interpreter
from xdsl.ir import Operation

from ircc.backends.base import Artifact, numpy_dtype
from ircc.backends.interp import InterpBackend
from ircc.errors import ArgumentError, BackendError
from ircc.ir.text import parse_module
from ircc.options import Options
from tests.conftest import EXAMPLES



class ValueModelCheck(Interpreter.Listener):
    """Asserts every op result is in the interpreter's value model for its IR type."""

    def did_interpret_op(self, op: Operation, results: tuple) -> None:
        for result, value in zip(op.results, results, strict=True):
            t = result.type
            if isinstance(t, MemRefType):
                ok = (isinstance(value, np.ndarray) and value.dtype == numpy_dtype(t.get_element_type())
                      and value.ndim == len(t.get_shape()))
            elif isinstance(t, IntegerType) and t.width.data == 1:
                ok = type(value) is bool
            elif isinstance(t, IntegerType | IndexType):
                width = 64 if isinstance(t, IndexType) else t.width.data
                ok = type(value) is int and -(1 << (width - 1)) <= value < (1 << (width - 1))
            else:
                ok = type(value) is numpy_dtype(t).type
            assert ok, f"{op.name} produced {value!r} ({type(value).__name__}) for a {t}"


class CheckedInterpBackend(InterpBackend):
    def make_interpreter(self, module: ModuleOp) -> Interpreter:
        interpreter = super().make_interpreter(module)
        interpreter.listeners = (ValueModelCheck(),)
        return interpreter


def emit(text: str) -> Artifact:
    """Every kernel in this file runs with the value-model check on."""
    return CheckedInterpBackend().emit(parse_module(text), Options(threads=1))


def kernel(text: str, name: str = "f"):
    return emit(text).entries[name]


# ---------------------------------------------------------------- the examples and the artifact


def test_saxpy_example_updates_y_in_place():
    art = InterpBackend().emit(parse_module((EXAMPLES / "mlir" / "saxpy.mlir").read_text(), "saxpy.mlir"), Options())
    x = np.linspace(-1.0, 2.0, 7)
    y = np.arange(7.0)
    expected = 2.5 * x + y
    assert art.entries["saxpy"](2.5, x, y) is None
    np.testing.assert_array_equal(y, expected)


def test_matsum_example():
    art = InterpBackend().emit(parse_module((EXAMPLES / "mlir" / "matsum.mlir").read_text(), "matsum.mlir"), Options())
    m = np.random.default_rng(0).random((5, 3))
    total = art.entries["matsum"](m)
    assert isinstance(total, np.float64)
    assert total == pytest.approx(m.sum(), rel=1e-14)
    sums = art.entries["rowsums"](m)
    assert isinstance(sums, np.ndarray) and sums.dtype == np.float64 and sums.shape == (5,)
    assert sums.base is None  # a returned memref owns its memory
    np.testing.assert_allclose(sums, m.sum(axis=1), rtol=1e-14)


def test_artifact_fields():
    text = """
    func.func private @ext(f64) -> f64
    func.func @g(%a: i32, %m: memref<?x4xf32>) -> (i32, f64) {
      %c = arith.constant 1.5 : f64
      func.return %a, %c : i32, f64
    }
    """
    art = emit(text)
    assert art.target == "interp"
    assert set(art.entries) == {"g"} and set(art.signatures) == {"g"}
    sig = art.signatures["g"]
    assert sig.args[1].shape == (None, 4) and sig.results[0].dtype == np.int32
    assert "func.func @g" in art.source
    assert InterpBackend.name == "interp" and InterpBackend.lowering == "" and not InterpBackend.cacheable
    a, c = art.entries["g"](np.int32(7), np.zeros((2, 4), np.float32))
    assert (a, c) == (7, 1.5) and isinstance(a, np.int32) and isinstance(c, np.float64)


# ---------------------------------------------------------------- elementwise kernels

BINARY = """
func.func @f(%a: memref<?x{t}>, %b: memref<?x{t}>, %out: memref<?x{rt}>) {{
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %a, %c0 : memref<?x{t}>
  scf.for %i = %c0 to %n step %c1 {{
    %x = memref.load %a[%i] : memref<?x{t}>
    %y = memref.load %b[%i] : memref<?x{t}>
    %r = {expr}
    memref.store %r, %out[%i] : memref<?x{rt}>
  }}
  func.return
}}
"""

UNARY = """
func.func @f(%a: memref<?x{t}>, %out: memref<?x{rt}>) {{
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %a, %c0 : memref<?x{t}>
  scf.for %i = %c0 to %n step %c1 {{
    %x = memref.load %a[%i] : memref<?x{t}>
    %r = {expr}
    memref.store %r, %out[%i] : memref<?x{rt}>
  }}
  func.return
}}
"""

INT_TYPES = {"i8": np.int8, "i16": np.int16, "i32": np.int32, "i64": np.int64, "index": np.int64}


def run_binary(expr: str, t: str, rt: str, a: np.ndarray, b: np.ndarray, out_dtype) -> np.ndarray:
    out = np.zeros(len(a), dtype=out_dtype)
    kernel(BINARY.format(t=t, rt=rt, expr=expr))(a, b, out)
    return out


def run_unary(expr: str, t: str, rt: str, a: np.ndarray, out_dtype) -> np.ndarray:
    out = np.zeros(len(a), dtype=out_dtype)
    kernel(UNARY.format(t=t, rt=rt, expr=expr))(a, out)
    return out


def int_operands(dtype) -> tuple[np.ndarray, np.ndarray]:
    info = np.iinfo(dtype)
    lo, hi = int(info.min), int(info.max)
    pairs = [(100, 100), (lo, -1), (lo, 1), (hi, 1), (hi, hi), (7, -2), (-7, 2), (-7, -2), (7, 2), (0, 5),
             (-1, 3), (5, 3), (lo, lo), (-1, -1), (hi, -1), (1, hi), (-100, 7), (13, 13), (-1, hi)]
    a, b = zip(*pairs)
    return np.array(a, dtype=dtype), np.array(b, dtype=dtype)


def _trunc_div(a: int, b: int) -> int:
    return int(Fraction(a, b))


def _wrapped(values: list[int], dtype) -> np.ndarray:
    bits = np.dtype(dtype).itemsize * 8
    return np.array([(v + (1 << (bits - 1))) % (1 << bits) - (1 << (bits - 1)) for v in values], dtype=dtype)


def int_reference(op: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    dt = a.dtype
    u = np.dtype(f"u{dt.itemsize}")
    au, bu = a.view(u), b.view(u)
    pairs = list(zip(a.tolist(), b.tolist()))
    upairs = list(zip(au.tolist(), bu.tolist()))
    with np.errstate(all="ignore"):
        match op:
            case "addi": return a + b
            case "subi": return a - b
            case "muli": return a * b
            case "andi": return a & b
            case "ori": return a | b
            case "xori": return a ^ b
            case "divsi": return _wrapped([_trunc_div(x, y) for x, y in pairs], dt)
            case "remsi": return np.fmod(a, b)
            case "divui": return (au // bu).view(dt)
            case "remui": return (au % bu).view(dt)
            case "floordivsi": return _wrapped([x // y for x, y in pairs], dt)
            case "ceildivsi": return _wrapped([math.ceil(Fraction(x, y)) for x, y in pairs], dt)
            case "ceildivui": return _wrapped([math.ceil(Fraction(x, y)) for x, y in upairs], dt)
            case "maxsi": return np.maximum(a, b)
            case "minsi": return np.minimum(a, b)
            case "maxui": return np.maximum(au, bu).view(dt)
            case "minui": return np.minimum(au, bu).view(dt)
    raise AssertionError(op)


INT_BINARY = ["addi", "subi", "muli", "andi", "ori", "xori", "divsi", "remsi", "divui", "remui", "floordivsi",
              "ceildivsi", "ceildivui", "maxsi", "minsi", "maxui", "minui"]


@pytest.mark.parametrize("t", list(INT_TYPES))
@pytest.mark.parametrize("op", INT_BINARY)
def test_integer_binary_ops_wrap_at_their_width(op, t):
    dtype = INT_TYPES[t]
    a, b = int_operands(dtype)
    got = run_binary(f"arith.{op} %x, %y : {t}", t, t, a, b, dtype)
    np.testing.assert_array_equal(got, int_reference(op, a, b), err_msg=f"{op} {t}")


@pytest.mark.parametrize("t", list(INT_TYPES))
def test_shifts(t):
    dtype = INT_TYPES[t]
    bits = np.dtype(dtype).itemsize * 8
    a, _ = int_operands(dtype)
    s = np.array([i % bits for i in range(len(a))], dtype=dtype)
    u = np.dtype(f"u{np.dtype(dtype).itemsize}")
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(run_binary(f"arith.shli %x, %y : {t}", t, t, a, s, dtype), a << s)
        np.testing.assert_array_equal(run_binary(f"arith.shrsi %x, %y : {t}", t, t, a, s, dtype), a >> s)
        np.testing.assert_array_equal(run_binary(f"arith.shrui %x, %y : {t}", t, t, a, s, dtype),
                                      (a.view(u) >> s.view(u)).view(dtype))


CMPI = {"eq": np.equal, "ne": np.not_equal, "slt": np.less, "sle": np.less_equal, "sgt": np.greater,
        "sge": np.greater_equal, "ult": np.less, "ule": np.less_equal, "ugt": np.greater, "uge": np.greater_equal}


@pytest.mark.parametrize("t", ["i8", "i64", "index"])
@pytest.mark.parametrize("predicate", list(CMPI))
def test_cmpi(predicate, t):
    dtype = INT_TYPES[t]
    a, b = int_operands(dtype)
    got = run_binary(f"arith.cmpi {predicate}, %x, %y : {t}", t, "i1", a, b, np.bool_)
    if predicate.startswith("u"):
        u = np.dtype(f"u{np.dtype(dtype).itemsize}")
        a, b = a.view(u), b.view(u)
    np.testing.assert_array_equal(got, CMPI[predicate](a, b))


def test_cmpi_on_i1_is_signed_for_signed_predicates():
    text = """
    func.func @f(%a: i1, %b: i1) -> (i1, i1) {
      %s = arith.cmpi slt, %a, %b : i1
      %u = arith.cmpi ult, %a, %b : i1
      func.return %s, %u : i1, i1
    }"""
    f = kernel(text)
    assert f(True, False) == (True, False)  # true is -1 signed, 1 unsigned
    assert f(False, True) == (False, True)


FLOAT_VALUES = [1.5, -2.25, 0.0, -0.0, 3.0e38, 1.0e-40, np.inf, -np.inf, np.nan, 0.1, 7.0, -1.0e-3]


def float_operands(dtype) -> tuple[np.ndarray, np.ndarray]:
    a, b = zip(*[(x, y) for x in FLOAT_VALUES for y in FLOAT_VALUES])
    return np.array(a, dtype=dtype), np.array(b, dtype=dtype)


FLOAT_TYPES = {"f32": np.float32, "f64": np.float64}

FLOAT_BINARY = {
    "arith.addf": np.add, "arith.subf": np.subtract, "arith.mulf": np.multiply, "arith.divf": np.divide,
    "arith.maxnumf": np.fmax, "arith.minnumf": np.fmin, "math.powf": np.power, "math.atan2": np.arctan2,
    "math.copysign": np.copysign,
}


@pytest.mark.parametrize("t", list(FLOAT_TYPES))
@pytest.mark.parametrize("op", list(FLOAT_BINARY))
def test_float_binary_ops_round_at_their_width(op, t):
    dtype = FLOAT_TYPES[t]
    a, b = float_operands(dtype)
    got = run_binary(f"{op} %x, %y : {t}", t, t, a, b, dtype)
    with np.errstate(all="ignore"):
        expected = FLOAT_BINARY[op](a, b)
    assert expected.dtype == dtype
    if op in ("math.powf", "math.atan2"):
        np.testing.assert_allclose(got, expected, rtol=4 * np.finfo(dtype).eps, atol=0)
    else:
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("t", list(FLOAT_TYPES))
def test_maximumf_minimumf_propagate_nan_and_order_zeros(t):
    dtype = FLOAT_TYPES[t]
    a, b = float_operands(dtype)
    mx = run_binary(f"arith.maximumf %x, %y : {t}", t, t, a, b, dtype)
    mn = run_binary(f"arith.minimumf %x, %y : {t}", t, t, a, b, dtype)
    np.testing.assert_array_equal(mx, np.maximum(a, b))  # numpy's maximum propagates NaN
    np.testing.assert_array_equal(mn, np.minimum(a, b))
    zeros = (a == 0) & (b == 0)
    np.testing.assert_array_equal(np.signbit(mx[zeros]), np.signbit(a[zeros]) & np.signbit(b[zeros]))
    np.testing.assert_array_equal(np.signbit(mn[zeros]), np.signbit(a[zeros]) | np.signbit(b[zeros]))


def test_float_division_by_zero_is_ieee():
    a = np.array([1.0, -1.0, 0.0], np.float32)
    b = np.zeros(3, np.float32)
    got = run_binary("arith.divf %x, %y : f32", "f32", "f32", a, b, np.float32)
    np.testing.assert_array_equal(got, [np.inf, -np.inf, np.nan])


def test_f32_arithmetic_is_single_precision():
    text = """
    func.func @f(%n: index) -> (f32, f32) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %zero = arith.constant 0.0 : f32
      %tenth = arith.constant 0.1 : f32
      %one = arith.constant 1.0 : f32
      %three = arith.constant 3.0 : f32
      %s = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %zero) -> (f32) {
        %t = arith.addf %acc, %tenth : f32
        scf.yield %t : f32
      }
      %third = arith.divf %one, %three : f32
      func.return %s, %third : f32, f32
    }"""
    s, third = kernel(text)(1000)
    assert isinstance(s, np.float32) and isinstance(third, np.float32)
    assert s == np.add.accumulate(np.full(1000, np.float32(0.1)))[-1]
    assert s != np.float32(sum([0.1] * 1000))
    assert third == np.float32(1) / np.float32(3)


CMPF = ["false", "oeq", "ogt", "oge", "olt", "ole", "one", "ord", "ueq", "ugt", "uge", "ult", "ule", "une",
        "uno", "true"]


def cmpf_reference(predicate: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    unordered = np.isnan(a) | np.isnan(b)
    base = {"eq": a == b, "gt": a > b, "ge": a >= b, "lt": a < b, "le": a <= b, "ne": (a < b) | (a > b)}
    match predicate:
        case "false": return np.zeros_like(unordered)
        case "true": return np.ones_like(unordered)
        case "ord": return ~unordered
        case "uno": return unordered
    rel = base[predicate[1:]]
    return rel & ~unordered if predicate[0] == "o" else rel | unordered


@pytest.mark.parametrize("predicate", CMPF)
def test_cmpf_all_predicates(predicate):
    a, b = float_operands(np.float64)
    got = run_binary(f"arith.cmpf {predicate}, %x, %y : f64", "f64", "i1", a, b, np.bool_)
    np.testing.assert_array_equal(got, cmpf_reference(predicate, a, b))


def test_select_and_negf():
    text = """
    func.func @f(%c: i1, %a: f32, %b: f32) -> (f32, f32) {
      %r = arith.select %c, %a, %b : f32
      %n = arith.negf %r : f32
      func.return %r, %n : f32, f32
    }"""
    f = kernel(text)
    assert f(True, 1.0, 2.0) == (1.0, -1.0)
    assert f(np.False_, 1.0, 2.0) == (2.0, -2.0)
    _, n = f(True, 0.0, 1.0)
    assert np.signbit(n)


# ---------------------------------------------------------------- casts


def test_int_float_casts():
    big = np.array([2**53 + 1, -(2**62) - 1, 16777217, -16777217, 123, -5, 2**63 - 1, -(2**63)], np.int64)
    np.testing.assert_array_equal(
        run_unary("arith.sitofp %x : i64 to f32", "i64", "f32", big, np.float32), big.astype(np.float32))
    np.testing.assert_array_equal(
        run_unary("arith.sitofp %x : i64 to f64", "i64", "f64", big, np.float64), big.astype(np.float64))
    np.testing.assert_array_equal(
        run_unary("arith.uitofp %x : i64 to f64", "i64", "f64", big, np.float64),
        big.view(np.uint64).astype(np.float64))
    small = np.array([-1, 0, 7, -(2**31)], np.int32)
    np.testing.assert_array_equal(
        run_unary("arith.uitofp %x : i32 to f32", "i32", "f32", small, np.float32),
        small.view(np.uint32).astype(np.float32))
    f = np.array([1.9, -1.9, -0.5, 2.0e9, -2.0e9, 0.0], np.float64)
    np.testing.assert_array_equal(
        run_unary("arith.fptosi %x : f64 to i32", "f64", "i32", f, np.int32), f.astype(np.int32))
    g = np.array([1.9, 0.5, 4.0e9, 255.9], np.float32)
    np.testing.assert_array_equal(
        run_unary("arith.fptoui %x : f32 to i32", "f32", "i32", g, np.int32), g.astype(np.uint32).view(np.int32))


def test_float_width_casts():
    d = np.array([0.1, 1.0 / 3.0, 1e300, -1e-300, np.nan, -np.inf, 3.4028235677973366e38], np.float64)
    with np.errstate(over="ignore"):
        s = d.astype(np.float32)
    np.testing.assert_array_equal(run_unary("arith.truncf %x : f64 to f32", "f64", "f32", d, np.float32), s)
    np.testing.assert_array_equal(
        run_unary("arith.extf %x : f32 to f64", "f32", "f64", s, np.float64), s.astype(np.float64))
    np.testing.assert_array_equal(
        run_unary("arith.truncf %x : f32 to f16", "f32", "f16", s, np.float16), s.astype(np.float16))


def test_integer_width_casts():
    a = np.array([-1, 127, -128, 5, 0], np.int8)
    np.testing.assert_array_equal(run_unary("arith.extsi %x : i8 to i32", "i8", "i32", a, np.int32), a.astype(np.int32))
    np.testing.assert_array_equal(run_unary("arith.extui %x : i8 to i32", "i8", "i32", a, np.int32),
                                  a.view(np.uint8).astype(np.int32))
    np.testing.assert_array_equal(run_unary("arith.index_cast %x : i8 to index", "i8", "index", a, np.int64),
                                  a.astype(np.int64))
    b = np.array([300, -129, 2**40 + 7, -1], np.int64)
    np.testing.assert_array_equal(run_unary("arith.trunci %x : i64 to i8", "i64", "i8", b, np.int8), b.astype(np.int8))
    np.testing.assert_array_equal(run_unary("arith.index_cast %x : index to i16", "index", "i16", b, np.int16),
                                  b.astype(np.int16))
    text = """
    func.func @f(%b: i1) -> (i32, i32, i8) {
      %s = arith.extsi %b : i1 to i32
      %u = arith.extui %b : i1 to i32
      %x = arith.constant 3 : i8
      %t = arith.trunci %x : i8 to i1
      %e = arith.extui %t : i1 to i8
      func.return %s, %u, %e : i32, i32, i8
    }"""
    assert kernel(text)(True) == (-1, 1, 1)


def test_bitcast():
    f = np.array([1.0, -0.0, np.inf, 0.1], np.float32)
    i = run_unary("arith.bitcast %x : f32 to i32", "f32", "i32", f, np.int32)
    np.testing.assert_array_equal(i, f.view(np.int32))
    back = run_unary("arith.bitcast %x : i32 to f32", "i32", "f32", i, np.float32)
    np.testing.assert_array_equal(back.view(np.int32), f.view(np.int32))
    d = np.array([2.5, -1e300], np.float64)
    np.testing.assert_array_equal(run_unary("arith.bitcast %x : f64 to i64", "f64", "i64", d, np.int64),
                                  d.view(np.int64))


# ---------------------------------------------------------------- math

MATH_UNARY = {
    "exp": np.exp, "exp2": np.exp2, "expm1": np.expm1, "log": np.log, "log2": np.log2, "log10": np.log10,
    "log1p": np.log1p, "sqrt": np.sqrt, "cbrt": np.cbrt, "sin": np.sin, "cos": np.cos, "tan": np.tan,
    "asin": np.arcsin, "acos": np.arccos, "atan": np.arctan, "sinh": np.sinh, "cosh": np.cosh,
    "tanh": np.tanh, "asinh": np.arcsinh, "acosh": np.arccosh, "atanh": np.arctanh, "absf": np.abs,
    "floor": np.floor, "ceil": np.ceil, "trunc": np.trunc, "roundeven": np.rint,
    "rsqrt": lambda x: 1 / np.sqrt(x),
    "erf": np.vectorize(math.erf, otypes=[np.float64]),
}
MATH_VALUES = [0.5, -0.5, 1.5, -2.5, 0.0, -0.0, 3.75, 0.999, 1.0, 10.0, -7.25, 1e-7, np.inf, -np.inf, np.nan]


@pytest.mark.parametrize("t", list(FLOAT_TYPES))
@pytest.mark.parametrize("op", list(MATH_UNARY))
def test_math_unary(op, t):
    dtype = FLOAT_TYPES[t]
    a = np.array(MATH_VALUES, dtype)
    got = run_unary(f"math.{op} %x : {t}", t, t, a, dtype)
    with np.errstate(all="ignore"):
        expected = MATH_UNARY[op](a).astype(dtype)
    np.testing.assert_allclose(got, expected, rtol=2 * np.finfo(dtype).eps, atol=0, err_msg=op)
    np.testing.assert_array_equal(np.signbit(got[~np.isnan(got)]), np.signbit(expected[~np.isnan(expected)]))


def test_round_is_half_away_from_zero():
    a = np.array([0.5, 1.5, 2.5, -0.5, -2.5, 0.49999997, 2.4, -2.6, np.inf], np.float32)
    got = run_unary("math.round %x : f32", "f32", "f32", a, np.float32)
    np.testing.assert_array_equal(got, [1, 2, 3, -1, -3, 0, 2, -3, np.inf])
    even = run_unary("math.roundeven %x : f32", "f32", "f32", a, np.float32)
    np.testing.assert_array_equal(even, [0, 2, 2, -0.0, -2, 0, 2, -3, np.inf])


def test_fma_rounds_once():
    text = """
    func.func @f(%x: {t}, %y: {t}, %z: {t}) -> {t} {{
      %r = math.fma %x, %y, %z : {t}
      func.return %r : {t}
    }}"""
    f64 = kernel(text.format(t="f64"))
    e = 2.0**-30
    assert f64(1 + e, 1 - e, -1.0) == -(e * e)  # unfused: (1 - 2^-60) rounds to 1, giving 0
    f32 = kernel(text.format(t="f32"))
    e = np.float32(2.0**-12)
    r = f32(np.float32(1) + e, np.float32(1) - e, np.float32(-1))
    assert isinstance(r, np.float32) and r == -(e * e)
    assert f32(np.float32(2), np.float32(3), np.float32(1)) == 7
    # 1 + 2^-11 + 2^-24 + 2^-80: rounding to double first would land on an f32 tie and round down.
    x = np.float32(1 + 2.0**-12)
    assert f32(x, x, np.float32(2.0**-80)) == np.float32(1 + 2.0**-11 + 2.0**-23)


def test_fpowi_ipowi_and_integer_math():
    text = """
    func.func @f(%x: f32, %n: i32, %b: i32, %e: i32) -> (f32, i32, i32, i32, i32, i32) {
      %p = math.fpowi %x, %n : f32, i32
      %q = math.ipowi %b, %e : i32
      %a = math.absi %b : i32
      %l = math.ctlz %b : i32
      %t = math.cttz %b : i32
      %c = math.ctpop %b : i32
      func.return %p, %q, %a, %l, %t, %c : f32, i32, i32, i32, i32, i32
    }"""
    f = kernel(text)
    p, q, a, lz, tz, pop = f(np.float32(1.5), 3, -3, 5)
    assert p == np.float32(1.5) ** 3 and isinstance(p, np.float32)
    assert (q, a, lz, tz, pop) == (-243, 3, 0, 0, 31)
    assert f(2.0, -2, 2, 31)[:2] == (0.25, -(2**31))  # 2^31 wraps in i32
    assert f(2.0, 0, -1, -3)[1] == -1 and f(2.0, 0, 7, -1)[1] == 0
    _, _, a, lz, tz, pop = f(1.0, 0, -(2**31), 1)
    assert (a, lz, tz, pop) == (-(2**31), 0, 31, 1)  # absi of INT_MIN wraps
    assert f(1.0, 0, 0, 1)[3:5] == (32, 32)


# ---------------------------------------------------------------- scf


def test_scf_if_with_results_and_while():
    text = (EXAMPLES / "mlir" / "control.mlir").read_text()
    f = kernel(text, "collatz")

    def steps(n):
        k = 0
        while n > 1:
            n = 3 * n + 1 if n % 2 else n // 2
            k += 1
        return k

    for n in (1, 6, 7, 27):
        assert f(n) == steps(n)


def test_scf_for_with_several_iter_args():
    text = """
    func.func @fib(%n: index) -> i64 {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %a0 = arith.constant 0 : i64
      %b0 = arith.constant 1 : i64
      %r:2 = scf.for %i = %c0 to %n step %c1 iter_args(%a = %a0, %b = %b0) -> (i64, i64) {
        %s = arith.addi %a, %b : i64
        scf.yield %b, %s : i64, i64
      }
      func.return %r#0 : i64
    }"""
    f = kernel(text, "fib")
    assert [f(n) for n in range(10)] == [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]
    assert f(100) == np.int64(((354224848179261915075 + 2**63) % 2**64) - 2**63)  # wraps at 64 bits


PARALLEL_REDUCE = """
func.func @stats(%x: memref<?xf32>) -> (f32, f32, i32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %izero = arith.constant 0 : i32
  %n = memref.dim %x, %c0 : memref<?xf32>
  %r:3 = "scf.parallel"(%c0, %n, %c1, %zero, %ninf, %izero)
      <{operandSegmentSizes = array<i32: 1, 1, 1, 3>}> ({
  ^bb0(%i: index):
    %v = memref.load %x[%i] : memref<?xf32>
    %pos = arith.cmpf ogt, %v, %zero : f32
    %one = arith.extui %pos : i1 to i32
    scf.reduce(%v, %v, %one : f32, f32, i32) {
    ^bb1(%a: f32, %b: f32):
      %s = arith.addf %a, %b : f32
      scf.reduce.return %s : f32
    }, {
    ^bb2(%a: f32, %b: f32):
      %m = arith.maximumf %a, %b : f32
      scf.reduce.return %m : f32
    }, {
    ^bb3(%a: i32, %b: i32):
      %c = arith.addi %a, %b : i32
      scf.reduce.return %c : i32
    }
  }) : (index, index, index, f32, f32, i32) -> (f32, f32, i32)
  func.return %r#0, %r#1, %r#2 : f32, f32, i32
}
"""


def test_scf_parallel_with_reductions():
    x = np.random.default_rng(1).standard_normal(50).astype(np.float32)
    total, largest, positives = kernel(PARALLEL_REDUCE, "stats")(x)
    assert isinstance(total, np.float32)
    assert total == np.add.accumulate(x)[-1]  # folded in order, in f32
    assert largest == x.max() and positives == (x > 0).sum()
    assert kernel(PARALLEL_REDUCE, "stats")(np.zeros(0, np.float32)) == (0, -np.inf, 0)


def test_scf_parallel_2d_without_reductions():
    text = """
    func.func @outer(%a: memref<?xf64>, %b: memref<?xf64>, %out: memref<?x?xf64>) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c2 = arith.constant 2 : index
      %m = memref.dim %a, %c0 : memref<?xf64>
      %n = memref.dim %b, %c0 : memref<?xf64>
      "scf.parallel"(%c0, %c0, %m, %n, %c1, %c2) <{operandSegmentSizes = array<i32: 2, 2, 2, 0>}> ({
      ^bb0(%i: index, %j: index):
        %x = memref.load %a[%i] : memref<?xf64>
        %y = memref.load %b[%j] : memref<?xf64>
        %p = arith.mulf %x, %y : f64
        memref.store %p, %out[%i, %j] : memref<?x?xf64>
        scf.reduce
      }) : (index, index, index, index, index, index) -> ()
      func.return
    }"""
    a, b = np.arange(1.0, 4.0), np.arange(1.0, 6.0)
    out = np.zeros((3, 5))
    kernel(text, "outer")(a, b, out)
    expected = np.outer(a, b)
    expected[:, 1::2] = 0  # step 2 in the second dimension
    np.testing.assert_array_equal(out, expected)


def test_scf_index_switch_and_execute_region():
    text = """
    func.func @f(%i: index) -> i32 {
      %r = scf.index_switch %i -> i32
      case 2 {
        %a = arith.constant 20 : i32
        scf.yield %a : i32
      }
      case 5 {
        %b = scf.execute_region -> i32 {
          %c = arith.constant 50 : i32
          scf.yield %c : i32
        }
        scf.yield %b : i32
      }
      default {
        %d = arith.constant -1 : i32
        scf.yield %d : i32
      }
      func.return %r : i32
    }"""
    f = kernel(text)
    assert [f(i) for i in (2, 5, 0)] == [20, 50, -1]


def test_cf_branches():
    text = """
    func.func @f(%n: i32) -> i32 {
      %c0 = arith.constant 0 : i32
      %c1 = arith.constant 1 : i32
      cf.br ^loop(%c0, %c0 : i32, i32)
    ^loop(%i: i32, %s: i32):
      %done = arith.cmpi sge, %i, %n : i32
      cf.cond_br %done, ^exit(%s : i32), ^body
    ^body:
      %s2 = arith.addi %s, %i : i32
      %i2 = arith.addi %i, %c1 : i32
      cf.br ^loop(%i2, %s2 : i32, i32)
    ^exit(%r: i32):
      func.return %r : i32
    }"""
    assert kernel(text)(10) == 45


# ---------------------------------------------------------------- memref


def test_memref_nd_dynamic_alloc_alloca_copy_and_cast():
    text = """
    func.func @f(%x: memref<?x?x?xi32>) -> memref<?x?x?xi32> {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c2 = arith.constant 2 : index
      %d0 = memref.dim %x, %c0 : memref<?x?x?xi32>
      %d1 = memref.dim %x, %c1 : memref<?x?x?xi32>
      %d2 = memref.dim %x, %c2 : memref<?x?x?xi32>
      %tmp = memref.alloca(%d0, %d1, %d2) : memref<?x?x?xi32>
      %out = memref.alloc(%d0, %d1, %d2) : memref<?x?x?xi32>
      %ten = arith.constant 10 : i32
      scf.for %i = %c0 to %d0 step %c1 {
        scf.for %j = %c0 to %d1 step %c1 {
          scf.for %k = %c0 to %d2 step %c1 {
            %v = memref.load %x[%i, %j, %k] : memref<?x?x?xi32>
            %w = arith.muli %v, %ten : i32
            memref.store %w, %tmp[%i, %j, %k] : memref<?x?x?xi32>
          }
        }
      }
      "memref.copy"(%tmp, %out) : (memref<?x?x?xi32>, memref<?x?x?xi32>) -> ()
      %s = memref.alloc() : memref<2xf32>
      %sd = "memref.cast"(%s) : (memref<2xf32>) -> memref<?xf32>
      memref.dealloc %sd : memref<?xf32>
      func.return %out : memref<?x?x?xi32>
    }"""
    x = np.arange(24, dtype=np.int32).reshape(2, 3, 4)
    out = kernel(text)(x)
    assert out.dtype == np.int32 and out.shape == (2, 3, 4)
    np.testing.assert_array_equal(out, x * 10)


def test_memref_stores_into_arguments_are_visible_and_calls_between_functions():
    text = """
    func.func @scale(%m: memref<?xf64>, %k: f64) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %n = memref.dim %m, %c0 : memref<?xf64>
      scf.for %i = %c0 to %n step %c1 {
        %v = memref.load %m[%i] : memref<?xf64>
        %w = arith.mulf %v, %k : f64
        memref.store %w, %m[%i] : memref<?xf64>
      }
      func.return
    }
    func.func @fact(%n: i64) -> i64 {
      %c1 = arith.constant 1 : i64
      %small = arith.cmpi sle, %n, %c1 : i64
      %r = scf.if %small -> (i64) {
        scf.yield %c1 : i64
      } else {
        %m = arith.subi %n, %c1 : i64
        %f = func.call @fact(%m) : (i64) -> i64
        %p = arith.muli %n, %f : i64
        scf.yield %p : i64
      }
      func.return %r : i64
    }
    func.func @main(%m: memref<?xf64>) -> i64 {
      %two = arith.constant 2.0 : f64
      func.call @scale(%m, %two) : (memref<?xf64>, f64) -> ()
      func.call @scale(%m, %two) : (memref<?xf64>, f64) -> ()
      %c5 = arith.constant 5 : i64
      %f = func.call @fact(%c5) : (i64) -> i64
      func.return %f : i64
    }"""
    art = emit(text)
    m = np.arange(4.0)
    assert art.entries["main"](m) == 120
    np.testing.assert_array_equal(m, np.arange(4.0) * 4)
    assert art.entries["fact"](20) == math.factorial(20)


def test_memref_views_share_memory():
    text = """
    func.func @f(%m: memref<4x6xf32>) -> memref<12xf32> {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %one = arith.constant 1.0 : f32
      %sv = memref.subview %m[1, 2] [2, 3] [1, 1] : memref<4x6xf32> to memref<2x3xf32, strided<[6, 1], offset: 8>>
      memref.store %one, %sv[%c1, %c0] : memref<2x3xf32, strided<[6, 1], offset: 8>>
      %row = memref.subview %m[3, 0] [1, 3] [1, 2] : memref<4x6xf32> to memref<3xf32, strided<[2], offset: 18>>
      %two = arith.constant 2.0 : f32
      memref.store %two, %row[%c1] : memref<3xf32, strided<[2], offset: 18>>
      %flat = memref.collapse_shape %m [[0, 1]] : memref<4x6xf32> into memref<24xf32>
      %c5 = arith.constant 5 : index
      %three = arith.constant 3.0 : f32
      memref.store %three, %flat[%c5] : memref<24xf32>
      %e = memref.expand_shape %flat [[0, 1]] output_shape [2, 12] : memref<24xf32> into memref<2x12xf32>
      %h = memref.subview %e[1, 0] [1, 12] [1, 1] : memref<2x12xf32> to memref<12xf32, strided<[1], offset: 12>>
      %r = memref.alloc() : memref<12xf32>
      "memref.copy"(%h, %r) : (memref<12xf32, strided<[1], offset: 12>>, memref<12xf32>) -> ()
      func.return %r : memref<12xf32>
    }"""
    m = np.zeros((4, 6), np.float32)
    r = kernel(text)(m)
    expected = np.zeros((4, 6), np.float32)
    expected[2, 2] = 1
    expected[3, 2] = 2
    expected[0, 5] = 3
    np.testing.assert_array_equal(m, expected)
    np.testing.assert_array_equal(r, expected.reshape(-1)[12:])


def test_memref_global_and_rank_and_i1_memrefs():
    text = """
    "memref.global"() <{sym_name = "table", sym_visibility = "private", type = memref<3xi16>,
                        initial_value = dense<[7, -8, 9]> : tensor<3xi16>}> : () -> ()
    func.func @f(%flags: memref<3xi1>) -> (i16, index) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c3 = arith.constant 3 : index
      %g = memref.get_global @table : memref<3xi16>
      %zero = arith.constant 0 : i16
      %s = scf.for %i = %c0 to %c3 step %c1 iter_args(%acc = %zero) -> (i16) {
        %v = memref.load %g[%i] : memref<3xi16>
        %neg = arith.cmpi slt, %v, %zero : i16
        memref.store %neg, %flags[%i] : memref<3xi1>
        %a = arith.addi %acc, %v : i16
        scf.yield %a : i16
      }
      %r = "memref.rank"(%g) : (memref<3xi16>) -> index
      func.return %s, %r : i16, index
    }"""
    flags = np.zeros(3, np.bool_)
    s, r = kernel(text)(flags)
    assert (s, r) == (8, 1) and isinstance(s, np.int16)
    np.testing.assert_array_equal(flags, [False, True, False])


def test_memref_atomic_rmw():
    text = """
    func.func @f(%m: memref<2xi32>, %v: i32) -> (i32, i32) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %old = "memref.atomic_rmw"(%v, %m, %c0) <{kind = 1 : i64}> : (i32, memref<2xi32>, index) -> i32
      %old2 = "memref.atomic_rmw"(%v, %m, %c1) <{kind = 5 : i64}> : (i32, memref<2xi32>, index) -> i32
      func.return %old, %old2 : i32, i32
    }"""
    m = np.array([5, 3], np.int32)
    assert kernel(text)(m, -1) == (5, 3)
    np.testing.assert_array_equal(m, [4, -1])  # addi; maxu picks 0xffffffff


# ---------------------------------------------------------------- errors


def test_unsupported_op_is_a_backend_error_naming_it():
    text = """
    func.func @f() {
      "test.op"() : () -> ()
      func.return
    }"""
    with pytest.raises(BackendError, match=r"no implementation of 'test\.op' \(in @f\)"):
        emit(text)


def test_call_to_a_declaration_is_a_backend_error():
    text = """
    func.func private @ext(f64) -> f64
    func.func @f(%x: f64) -> f64 {
      %y = func.call @ext(%x) : (f64) -> f64
      func.return %y : f64
    }"""
    with pytest.raises(BackendError, match="@ext"):
        emit(text)


def test_runtime_faults_are_backend_errors():
    load = kernel("""
    func.func @f(%m: memref<?xf32>, %i: index) -> f32 {
      %v = memref.load %m[%i] : memref<?xf32>
      func.return %v : f32
    }""")
    m = np.arange(3, dtype=np.float32)
    assert load(m, 2) == 2
    for bad in (3, -1):
        with pytest.raises(BackendError, match=r"memref\.load: index .* out of bounds"):
            load(m, bad)
    div = kernel("""
    func.func @f(%a: i32, %b: i32) -> i32 {
      %q = arith.divsi %a, %b : i32
      func.return %q : i32
    }""")
    with pytest.raises(BackendError, match=r"arith\.divsi: integer division by zero \(in @f\)") as err:
        div(1, 0)
    assert not getattr(err.value, "__notes__", None)


def test_bad_arguments_are_argument_errors():
    f = kernel("""
    func.func @f(%m: memref<?xf32>, %i: i32) {
      func.return
    }""")
    f(np.zeros(2, np.float32), np.int32(3))
    with pytest.raises(ArgumentError):
        f(np.zeros(2, np.float64), 1)
    with pytest.raises(ArgumentError):
        f(np.zeros(2, np.float32), 1.5)
    with pytest.raises(ArgumentError):
        f(np.zeros(2, np.float32), 2**40)
    with pytest.raises(ArgumentError):
        f(np.zeros(2, np.float32))


def test_memref_reinterpret_cast_and_alloca_scope():
    text = """
    func.func @f(%m: memref<12xf32>) -> f32 {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %r = memref.reinterpret_cast %m to offset: [2], sizes: [2, 2], strides: [3, 1]
          : memref<12xf32> to memref<2x2xf32, strided<[3, 1], offset: 2>>
      %nine = arith.constant 9.0 : f32
      memref.store %nine, %r[%c1, %c1] : memref<2x2xf32, strided<[3, 1], offset: 2>>
      %v = memref.alloca_scope -> (f32) {
        %t = memref.alloca() : memref<1xf32>
        %x = memref.load %r[%c1, %c0] : memref<2x2xf32, strided<[3, 1], offset: 2>>
        memref.store %x, %t[%c0] : memref<1xf32>
        %y = memref.load %t[%c0] : memref<1xf32>
        memref.alloca_scope.return %y : f32
      }
      func.return %v : f32
    }"""
    m = np.arange(12, dtype=np.float32)
    assert kernel(text)(m) == 5  # element [1, 0] is m[2 + 3]
    assert m[6] == 9 and m[5] == 5
