"""Random sympy expressions: every backend agrees with sympy.lambdify (and expand-powi preserves values)."""

from __future__ import annotations

import numpy as np
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

import ircc

x, y, z = sp.symbols("x y z")
LEAVES = [x, y, z, sp.Integer(2), sp.Rational(1, 3), sp.Float(0.75), sp.pi]
SAFE_UNARY = [sp.sin, sp.cos, sp.atan, sp.tanh, sp.exp, lambda e: sp.sqrt(1 + e**2),
              lambda e: sp.log(1 + e**2), sp.Abs, sp.sign]


def expressions(unary=SAFE_UNARY) -> st.SearchStrategy:
    """Random sympy expressions over x, y, z: arithmetic, powers, ``unary`` functions, Max, Piecewise."""
    leaves = st.sampled_from(LEAVES)

    def extend(children: st.SearchStrategy) -> st.SearchStrategy:
        return st.one_of(
            st.tuples(children, children).map(lambda t: t[0] + t[1]),
            st.tuples(children, children).map(lambda t: t[0] - t[1]),
            st.tuples(children, children).map(lambda t: t[0] * t[1]),
            st.tuples(children, children).map(lambda t: t[0] / (2 + t[1] ** 2)),
            st.tuples(children, st.integers(-4, 6)).map(lambda t: t[0] ** t[1] if t[1] >= 0 else 1 / (1 + t[0] ** 2)),
            st.tuples(st.sampled_from(unary), children).map(lambda t: t[0](t[1])),
            st.tuples(children, children).map(lambda t: sp.Max(t[0], t[1])),
            st.tuples(children, children, children).map(
                lambda t: sp.Piecewise((t[0], t[1] < t[2]), (t[2], True))),
        )

    return st.recursive(leaves, extend, max_leaves=8)


POINTS = [np.random.default_rng(7).uniform(-1.5, 1.5, 9) for _ in range(3)]


def _check(expr: sp.Expr, target: str) -> None:
    kernel = ircc.compile(expr, args=[x, y, z], target=target)
    got = kernel(*POINTS)
    with np.errstate(all="ignore"):
        want = np.broadcast_to(sp.lambdify([x, y, z], expr, modules="numpy")(*POINTS), got.shape)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9, equal_nan=True, err_msg=str(expr))


@given(expressions())
def test_llvm_matches_lambdify(expr: sp.Expr) -> None:
    _check(expr, "llvm")


@given(expressions())
def test_interp_matches_lambdify(expr: sp.Expr) -> None:
    _check(expr, "interp")


@given(st.integers(-20, 20), st.floats(-3, 3, allow_nan=False))
def test_expand_powi_preserves_values(n: int, value: float) -> None:
    plain = ircc.compile(x**n, args=[x], target="llvm", pipeline="")
    expanded = ircc.compile(x**n, args=[x], target="llvm")
    a, b = plain(value), expanded(value)
    if np.isfinite(a):
        assert b == a or abs(b - a) <= 4e-16 * abs(n) * abs(a)
    else:
        assert not np.isfinite(b) or np.isnan(a) == np.isnan(b)
