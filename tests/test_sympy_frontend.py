"""The sympy frontend: the IR it builds, its errors, and names that look like CSE temporaries."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import ircc
from ircc.errors import ArgumentError, IrccError

x, y = sp.symbols("x y")


def test_ir_shape_and_locations() -> None:
    k = ircc.compile([sp.sin(x) * y, x + y], args=[x, y], target="interp")
    text = k.mlir("input")
    assert "func.func @kernel(%x: memref<?xf64> {llvm.noalias}, %y: memref<?xf64> {llvm.noalias}, " \
           "%out: memref<?x2xf64> {llvm.noalias}) attributes {ircc.scalar_entry = 1 : i64}" in text
    assert '"scf.parallel"' in text and "math.sin" in text
    assert [name for name, _ in k.stages] == ["input", "eqsat", "expand-powi", "cse"]
    assert k.compile_stats["target"] == "interp"


def test_shared_subexpression_is_computed_once() -> None:
    e = sp.exp(sp.sin(x) + y)
    k = ircc.compile([e * 2, e + 1, e], args=[x, y], target="interp")
    final = k.mlir(-1)
    assert final.count("math.exp") == 1 and final.count("math.sin") == 1


def test_rationals_are_rounded_once_to_the_dtype() -> None:
    for dtype in (np.float64, np.float32):
        k = ircc.compile(sp.Rational(1, 3) * x, args=[x], target="llvm", dtype=dtype)
        got = k(np.ones(3, dtype=dtype))
        assert got.dtype == dtype
        assert got[0] == dtype(1) * dtype(1 / 3)


def test_unsupported_function_names_the_subexpression() -> None:
    with pytest.raises(IrccError, match=r"unsupported subexpression gamma\(x\) in y \+ gamma\(x\)"):
        ircc.compile(sp.gamma(x) + y, args=[x, y])


def test_undefined_function_suggests_a_symbol() -> None:
    f = sp.Function("f")
    with pytest.raises(IrccError, match=r"undefined function f: substitute a Symbol"):
        ircc.compile(f(x) * 2, args=[x])


def test_missing_symbol_is_named() -> None:
    with pytest.raises(IrccError, match=r"free symbol\(s\) y in output 1 .* not in args"):
        ircc.compile([x, x * y], args=[x])


def test_duplicate_and_bad_args() -> None:
    with pytest.raises(IrccError, match="appears twice"):
        ircc.compile(x, args=[x, x])
    with pytest.raises(IrccError, match="pass args="):
        ircc.compile(x)
    with pytest.raises(IrccError, match="is not a sympy Symbol"):
        ircc.compile(x, args=[x + 1])
    with pytest.raises(IrccError, match="dtype int64 is not supported"):
        ircc.compile(x, args=[x], dtype=np.int64)
    with pytest.raises(IrccError, match="is a condition"):
        ircc.compile([x > 1], args=[x])


def test_arrays_of_different_lengths_are_named() -> None:
    k = ircc.compile(x + y, args=[x, y], target="llvm")
    with pytest.raises(ArgumentError, match=r"x has shape \(3,\), y has shape \(4,\)"):
        k(np.ones(3), np.ones(4))
    with pytest.raises(ArgumentError, match=r"takes 2 argument\(s\) \(x, y\), got 1"):
        k(np.ones(3))
    with pytest.raises(ArgumentError, match="expected real numbers"):
        k(np.ones(3, dtype=complex), 1.0)


def test_cse_like_argument_names() -> None:
    """symengine 0.15's Lambdify(cse=True) returns wrong results for these names; ircc must not."""
    x0, x1, x2, x3 = sp.symbols("x0 x1 x2 x3")
    exprs = [sp.sin(x0 + x1) * x2, sp.sin(x0 + x1) * x3, x0 * x1 * x2 * x3]
    k = ircc.compile(exprs, args=[x0, x1, x2, x3], target="llvm")
    pts = [np.linspace(0.1, 1, 5) * (i + 1) for i in range(4)]
    want = sp.lambdify([x0, x1, x2, x3], exprs)(*pts)
    for got, ref in zip(k(*pts), want):
        np.testing.assert_allclose(got, ref, rtol=1e-15)


def test_options_reach_the_compile() -> None:
    with pytest.raises(IrccError, match="unknown option"):
        ircc.compile(x, args=[x], thread=2)
    with pytest.raises(IrccError, match="unknown target 'gpu'"):
        ircc.compile(x, args=[x], target="gpu")
    k = ircc.compile(x * 2, args=[x], target="llvm", pipeline="cse")  # replaces the default: no eqsat
    assert [n for n, _ in k.stages] == ["input", "cse"]
    k = ircc.compile(x * 2, args=[x], target="llvm", pipeline="cse", eqsat=True)
    assert [n for n, _ in k.stages] == ["input", "eqsat", "cse"]


def test_outputs_larger_than_memory_are_refused(monkeypatch) -> None:
    from ircc.frontends import sympy_call

    k = ircc.compile([x + y, x * y], args=[x, y], target="llvm")
    monkeypatch.setattr(sympy_call, "_available_bytes", lambda: 100 << 20)
    big = np.ones(20_000_000)  # outputs: 20e6 x 2 x 8 bytes = 0.3 GiB > 0.1 GiB "available"
    with pytest.raises(ArgumentError, match=r"the outputs need 0.3 GiB .* but only 0.1 GiB of memory is available"):
        k(big, big)


def test_out_argument_fills_the_callers_array() -> None:
    x, y = sp.symbols("x y")
    kernel = ircc.compile([x + y, x * y, sp.Integer(0), sp.Integer(0), sp.Integer(0)], args=[x, y])
    a, b = np.arange(4.0), np.arange(4.0) + 1
    buf = np.full((4, 5), 7.0)  # most outputs are zero: the kernel does not store them, the call zeroes them
    assert kernel(a, b, out=buf) is buf
    np.testing.assert_array_equal(buf, np.column_stack([a + b, a * b, *[np.zeros(4)] * 3]))
    with pytest.raises(ArgumentError, match=r"as many points as out= has rows \(3\); x has 4"):
        kernel(a, b, out=np.empty((3, 5)))
    with pytest.raises(ArgumentError, match=r"shape \(4, 5\); got \(4, 4\)"):
        kernel(a, b, out=np.empty((4, 4)))
    with pytest.raises(ArgumentError, match="contiguous 1-D float64"):
        kernel(a.astype(np.float32), b, out=np.empty((4, 5)))
    with pytest.raises(ArgumentError, match="contiguous 1-D float64"):
        kernel(2.0, b, out=np.empty((4, 5)))
    with pytest.raises(ArgumentError, match="contiguous 1-D float64"):
        kernel(a[::2], b[::2], out=np.empty((2, 5)))
    # strided views are converted on the ordinary path
    np.testing.assert_array_equal(kernel(a[::2], b[::2])[0], a[::2] + b[::2])
