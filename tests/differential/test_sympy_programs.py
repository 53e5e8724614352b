"""The differential suite for sympy kernels: every program x {llvm, numba, interp} against
``sympy.lambdify`` (numpy) and against mpmath at 40 digits. Shape first, then dtype, then values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import mpmath
import numpy as np
import pytest
import sympy as sp

import ircc
from tests.conftest import CPU_TARGETS

x, y, z = sp.symbols("x y z")
x0, x1, x2 = sp.symbols("x0 x1 x2")  # look like CSE temporaries (symengine 0.15 gets these wrong)


@dataclass
class Program:
    name: str
    exprs: Any
    args: list
    low: float = -0.9
    high: float = 0.9
    dtype: Any = np.float64
    rtol: float = 1e-12
    kw: dict = field(default_factory=dict)


PROGRAMS = [
    Program("polynomial", x**3 - 2 * x * y + y**2 / 3, [x, y]),
    Program("rational", (x + 1) / (y**2 + 1) - 3 / (x - 2), [x, y]),
    Program("roots-and-powers", [sp.sqrt(x**2 + y**2), x**sp.Rational(3, 2), x**-2, x**y, x**sp.Rational(1, 3),
                                 x**sp.Rational(-5, 2), y**sp.Rational(2, 3)], [x, y], 0.1, 2.0),
    Program("exp-log", sp.exp(-x**2) * sp.log(y + 2) + sp.log(x + 3, 2), [x, y]),
    Program("trig", sp.sin(x) * sp.cos(y) + sp.tan(x / 3), [x, y]),
    Program("inverse-trig", [sp.asin(x / 2) + sp.acos(y / 3), sp.atan(x * y), sp.atan2(y, x)], [x, y]),
    Program("hyperbolic", [sp.sinh(x) + sp.cosh(y), sp.tanh(x * y)], [x, y]),
    Program("inverse-hyperbolic", [sp.asinh(x), sp.acosh(y + 2), sp.atanh(x / 3)], [x, y]),
    Program("reciprocal-trig", [sp.cot(x + 1), sp.sec(y), sp.csc(x + 2), sp.coth(x + 2), sp.sech(y), sp.csch(x + 2)],
            [x, y]),
    Program("inverse-reciprocal", [sp.acot(x + 2), sp.asec(y + 2), sp.acsc(x + 2), sp.acoth(x + 2),
                                   sp.asech(y / 2 + sp.Rational(1, 2)), sp.acsch(x + 2)], [x, y]),
    Program("abs-min-max-sign", [sp.Abs(x - y), sp.Min(x, y, 0.25), sp.Max(x, y), sp.sign(x - y)], [x, y]),
    Program("floor-ceiling", [sp.floor(3 * x), sp.ceiling(2 * y)], [x, y], -2.3, 2.3),
    Program("piecewise", sp.Piecewise((x**2, x < 0.2), (sp.sin(y), (x >= 0.2) & (y > 0.1)), (0, True)), [x, y]),
    Program("piecewise-no-otherwise", sp.Piecewise((x, x > 0), (y, sp.Or(y < -0.5, sp.Eq(x, y)))), [x, y]),
    Program("piecewise-not-ne", sp.Piecewise((1, sp.Not(x <= y)), (-1, sp.Ne(x, 0.5)), (0, True)), [x, y]),
    Program("constants", [sp.pi * x + sp.E**y + sp.Rational(1, 3), sp.EulerGamma * x + sp.GoldenRatio,
                          sp.Catalan - y], [x, y]),
    Program("erf-erfc", [sp.erf(x), sp.erfc(y)], [x, y]),
    Program("erfc-tail", sp.erfc(x), [x], 0.5, 20.0, rtol=1e-13),  # 1 - erf(x) would lose every digit
    Program("shared-subexpressions", [sp.exp(x) * sp.sin(y), sp.exp(x) * sp.cos(y), sp.exp(x)], [x, y]),
    Program("matrix", sp.Matrix([[x, y, 1], [x * y, sp.sin(x), sp.exp(y)]]), [x, y]),
    Program("cse-like-names", [x0 * x1 + x2, (x0 + x1) ** 2, sp.sin(x2) / (x0 + 2)], [x0, x1, x2]),
    Program("integer-powers", [x**17, x**-5, (x + y) ** 9], [x, y], 0.3, 1.2, rtol=1e-11),
    Program("constant-output", [sp.Integer(3), x + 1], [x]),
    Program("zero-outputs", [sp.Integer(0), x + 1, y - y, sp.Float(0.0)], [x, y]),
    Program("sparse-jacobian", sp.Matrix([x * y, x**2, 0]).jacobian([x, y, z]), [x, y, z]),
    Program("nested", sp.log(1 + sp.exp(sp.sin(x * y))) / (1 + sp.cos(z) ** 2), [x, y, z]),
    Program("float32", [sp.sin(x) * y + x**2, sp.sqrt(y + 1) / (x + 2)], [x, y], dtype=np.float32, rtol=2e-6),
    Program("unused-arg", x * 2, [x, y, z]),
]


def _points(p: Program, n: int) -> list[np.ndarray]:
    rng = np.random.default_rng(abs(hash(p.name)) % 2**32)
    return [rng.uniform(p.low, p.high, n).astype(p.dtype) for _ in p.args]


def _as_list(p: Program) -> tuple[str, list]:
    if isinstance(p.exprs, sp.MatrixBase):
        return "matrix", list(p.exprs)
    if isinstance(p.exprs, (list, tuple)):
        return "tuple", list(p.exprs)
    return "scalar", [p.exprs]


def _reference_numpy(p: Program, pts: list[np.ndarray]) -> np.ndarray:
    _, exprs = _as_list(p)
    f = sp.lambdify(p.args, exprs, modules=["scipy", "numpy"])
    with np.errstate(all="ignore"):
        cols = [np.broadcast_to(np.asarray(v, dtype=np.float64), pts[0].shape) for v in
                f(*[a.astype(np.float64) for a in pts])]
    return np.stack(cols, axis=-1)


def _reference_mpmath(p: Program, pts: list[np.ndarray], count: int = 12) -> np.ndarray:
    _, exprs = _as_list(p)
    f = sp.lambdify(p.args, exprs, modules="mpmath")
    out = np.empty((count, len(exprs)))
    with mpmath.workdps(40):
        for i in range(count):
            values = f(*[mpmath.mpf(float(a[i])) for a in pts])
            out[i] = [np.nan if v is None or mpmath.im(v) != 0 else float(mpmath.re(v)) for v in values]
    return out


def _flatten(p: Program, result: Any, n: int) -> np.ndarray:
    kind, exprs = _as_list(p)
    if kind == "matrix":
        assert result.shape == (n, *p.exprs.shape)
        return result.reshape(n, -1)
    if kind == "tuple":
        assert isinstance(result, tuple) and len(result) == len(exprs)
        for r in result:
            assert r.shape == (n,)
        return np.stack(result, axis=-1)
    assert result.shape == (n,)
    return result[:, None]


@pytest.mark.parametrize("target", CPU_TARGETS)
@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.name)
def test_program(program: Program, target: str) -> None:
    n = 16 if target == "interp" else 257
    kernel = ircc.compile(program.exprs, args=program.args, target=target, dtype=program.dtype, **program.kw)
    pts = _points(program, n)
    result = kernel(*pts)
    got = _flatten(program, result, n)
    assert got.dtype == np.dtype(program.dtype)
    want = _reference_numpy(program, pts)
    np.testing.assert_allclose(got, want, rtol=program.rtol, atol=program.rtol, equal_nan=True,
                               err_msg=f"{program.name} on {target} vs sympy.lambdify")
    exact = _reference_mpmath(program, pts, count=min(n, 12))
    np.testing.assert_allclose(got[: len(exact)], exact, rtol=program.rtol * 10, atol=program.rtol * 10,
                               equal_nan=True, err_msg=f"{program.name} on {target} vs mpmath")


@pytest.mark.parametrize("target", CPU_TARGETS)
def test_one_point_and_broadcast(target: str) -> None:
    k = ircc.compile([sp.sin(x) * y, x + y], args=[x, y], target=target)
    one = k(0.5, 2.0)
    assert isinstance(one, np.ndarray) and one.shape == (2,)
    np.testing.assert_allclose(one, [np.sin(0.5) * 2.0, 2.5], rtol=1e-15)
    xs = np.linspace(0, 1, 7)
    a, b = k(xs, 2.0)  # a scalar broadcasts against an array
    np.testing.assert_allclose(a, np.sin(xs) * 2.0, rtol=1e-15)
    np.testing.assert_allclose(b, xs + 2.0, rtol=1e-15)
    grid = np.linspace(0, 1, 6).reshape(2, 3)
    a, b = k(grid, grid.T[:1].T)  # (2, 3) with (2, 1) broadcasts
    assert a.shape == (2, 3)
    s = ircc.compile(sp.cos(x), args=[x], target=target)
    value = s(0.25)
    assert isinstance(value, float) and value == pytest.approx(np.cos(0.25), rel=1e-15)
    m = ircc.compile(sp.Matrix([[x, 2 * x]]), args=[x], target=target)
    np.testing.assert_allclose(m(1.5), [[1.5, 3.0]])
    empty = k(np.empty(0), np.empty(0))
    assert empty[0].shape == (0,)


def test_targets_agree_bitwise_on_arithmetic() -> None:
    """+ - * / and sqrt are correctly rounded everywhere: the three backends agree exactly."""
    expr = (x * y - 3) / (x + 2) + sp.sqrt(y**2 + 1) - x / 7
    pts = _points(Program("bits", expr, [x, y]), 16)
    results = [ircc.compile(expr, args=[x, y], target=t)(*pts) for t in CPU_TARGETS]
    for r in results[1:]:
        np.testing.assert_array_equal(r, results[0])
