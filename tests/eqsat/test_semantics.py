"""The e-graph pass keeps values: bit for bit with only exact rules, within a stated error with fastmath.

Random expressions (hypothesis) are compiled with and without ``eqsat`` on the llvm backend. Without
fastmath the results must be identical in every bit (NaN to NaN). With fastmath they are compared with
mpmath at 40 digits on expressions whose operations are well conditioned (positive operands, no
cancellation): the relative error must stay within ``FASTMATH_RTOL``.
"""

from __future__ import annotations

import mpmath
import numpy as np
import sympy as sp
from hypothesis import assume, given
from hypothesis import strategies as st

import ircc

x, y, z = sp.symbols("x y z")
ARGS = [x, y, z]
#: the error bound stated for fastmath rewrites of well-conditioned expressions (relative, vs mpmath)
FASTMATH_RTOL = 1e-12

#: random points plus the values exact rules must not get wrong: signed zeros, infinities, NaN, the
#: smallest subnormal, the largest double (each argument meets each special value and the others vary)
_SPECIAL = [0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, -5e-324, 1.7976931348623157e308, 1.0, -1.0]
POINTS = [np.concatenate([np.random.default_rng(11 + k).uniform(-2.0, 2.0, 16),
                          np.array(_SPECIAL), np.random.default_rng(20 + k).permutation(_SPECIAL)])
          for k in range(3)]
POSITIVE = [np.random.default_rng(12).uniform(0.5, 2.0, 16) for _ in range(3)]


def _any_expressions() -> st.SearchStrategy:
    leaves = st.sampled_from([x, y, z, sp.Integer(2), sp.Integer(-1), sp.Rational(1, 4), sp.Float(0.75), sp.Integer(0)])
    unary = [sp.sin, sp.cos, sp.exp, sp.log, sp.sqrt, sp.tan, sp.atan, lambda e: -e, lambda e: e**2,
             lambda e: e**5, lambda e: 1 / e]

    def extend(children: st.SearchStrategy) -> st.SearchStrategy:
        return st.one_of(
            st.tuples(children, children).map(lambda t: t[0] + t[1]),
            st.tuples(children, children).map(lambda t: t[0] - t[1]),
            st.tuples(children, children).map(lambda t: t[0] * t[1]),
            st.tuples(children, children).map(lambda t: t[0] / t[1]),
            st.tuples(st.sampled_from(unary), children).map(lambda t: t[0](t[1])),
        )

    return st.recursive(leaves, extend, max_leaves=10)


def _positive_expressions() -> st.SearchStrategy:
    """Sums, products, quotients, powers, roots, exp and log(2 + .) of positive values: no cancellation."""
    leaves = st.sampled_from([x, y, z, sp.Integer(2), sp.Rational(1, 4), sp.Float(0.75)])
    unary = [sp.sqrt, lambda e: sp.exp(e / (4 + e)), lambda e: sp.log(2 + e), lambda e: e**2, lambda e: e**3,
             lambda e: e**7, lambda e: 1 / e, lambda e: sp.Pow(e, sp.Rational(1, 2))]

    def extend(children: st.SearchStrategy) -> st.SearchStrategy:
        return st.one_of(
            st.tuples(children, children).map(lambda t: t[0] + t[1]),
            st.tuples(children, children).map(lambda t: t[0] * t[1]),
            st.tuples(children, children).map(lambda t: t[0] / t[1]),
            st.tuples(children, children, children).map(lambda t: t[0] / t[2] + t[1] / t[2]),
            st.tuples(children, children).map(lambda t: sp.exp(t[0] / 8) * sp.exp(t[1] / 8)),
            st.tuples(st.sampled_from(unary), children).map(lambda t: t[0](t[1])),
        )

    return st.recursive(leaves, extend, max_leaves=10)


def _many(expr: sp.Expr) -> list[sp.Expr]:
    """A few outputs sharing subterms, so the e-graph sees a DAG, not a tree."""
    return [expr, expr * x + y, sp.sqrt(expr**2 + 1)]


@given(_any_expressions())
def test_exact_rules_are_bit_identical(expr: sp.Expr) -> None:
    # sympy folds log(-1) to I*pi and atan(1/0) to AccumBounds(-pi/2, pi/2): not real kernels
    assume(not expr.has(sp.I, sp.AccumBounds))
    outputs = _many(expr)
    plain = ircc.compile(outputs, args=ARGS, target="llvm", eqsat=False)
    rewritten = ircc.compile(outputs, args=ARGS, target="llvm", eqsat=True)
    with np.errstate(all="ignore"):
        want = np.array(plain(*POINTS))
        got = np.array(rewritten(*POINTS))
    assert _same_bits(got, want), f"{expr}: {got} != {want}"
    assert rewritten.compile_stats["eqsat"]["rules"] == "ieee"


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal in every bit (signed zeros included), NaN where the other is NaN."""
    nan = np.isnan(a)
    return bool((nan == np.isnan(b)).all() and (a.view(np.int64)[~nan] == b.view(np.int64)[~nan]).all())


def _mpmath_values(outputs: list[sp.Expr], points: list[np.ndarray]) -> np.ndarray:
    with mpmath.workdps(40):
        fn = sp.lambdify(ARGS, outputs, modules="mpmath")
        return np.array([[float(v) for v in fn(*(mpmath.mpf(float(p[i])) for p in points))]
                         for i in range(len(points[0]))]).T


@given(_positive_expressions())
def test_fastmath_rules_within_stated_error(expr: sp.Expr) -> None:
    outputs = _many(expr)
    kernel = ircc.compile(outputs, args=ARGS, target="llvm", eqsat=True, fastmath=True)
    got = np.array(kernel(*POSITIVE))
    want = _mpmath_values(outputs, POSITIVE)
    np.testing.assert_allclose(got, want, rtol=FASTMATH_RTOL, atol=0, err_msg=str(expr))
