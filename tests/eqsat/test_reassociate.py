"""Ranked reassociation (fastmath): sum and product trees written in an order that lets factoring work
without associativity rules; values unchanged up to rounding."""

from __future__ import annotations

import numpy as np
import sympy as sp

import ircc
from ircc.frontends.sympy import build_module
from ircc.passes.eqsat_bridge import ExprBlock, float_types
from ircc.passes.eqsat_reassociate import reassociate

l0, q1 = sp.symbols("l0 q1")
MASSES = sp.symbols("m1:9")
#: two rows of a pendulum's mass matrix: -l0*cos(q1)*(m1 + ... + m8) and -l0*cos(q1)*(m2 + ... + m8)
ROWS = [sum(-l0 * m * sp.cos(q1) for m in MASSES), sum(-l0 * m * sp.cos(q1) for m in MASSES[1:])]


def _body(exprs, args) -> ExprBlock:
    module, _ = build_module(exprs, args)
    blocks = [b for o in module.walk() for r in o.regions for b in r.blocks]
    return max((ExprBlock.collect(b, t) for b in blocks for t in float_types(b)), key=lambda e: len(e.ops))


def test_negated_sum_becomes_one_negation_with_terms_last_first() -> None:
    eb = _body(ROWS, [l0, q1, *MASSES])
    trees = reassociate(eb)
    texts = sorted((t for t in trees.values() if t.startswith("(Neg")), key=len)
    assert len(texts) == 2 and not any("Sub" in t for t in texts)
    shorter, longer = (t[len("(Neg "):-1] for t in texts)
    # the sum of m2..m8 (last term first) is the inner part of the sum of m1..m8: one chain serves both
    assert longer.startswith("(Add " + shorter + " ")
    # each product leads with the factors all terms share: (l0 * cos(q1)) * m_i
    assert all(t.startswith("(Mul (Mul (Leaf 0) v") for v, t in trees.items() if t.startswith("(Mul"))


def test_factoring_shares_the_suffix_sums() -> None:
    # without assoc the e-graph stays small and the factoring cascade (one term per iteration) completes
    spec = "eqsat{fastmath=true rules=ieee,factor,cancel}"
    k = ircc.compile(ROWS, args=[l0, q1, *MASSES], fastmath=True, cache=False, emit="eqsat", pipeline=spec)
    text = k.stages[-1][1]
    assert text.count("arith.addf") == 7  # m8 + ... + m1, once, its prefix serving the second row
    assert text.count("arith.mulf") <= 4 and text.count("math.cos") == 1
    run = ircc.compile(ROWS, args=[l0, q1, *MASSES], fastmath=True, cache=False, pipeline=spec)
    pts = [np.linspace(0.5, 1.5, 5) for _ in range(10)]
    want = ircc.compile(ROWS, args=[l0, q1, *MASSES], eqsat=False, cache=False)(*pts)
    np.testing.assert_allclose(np.array(run(*pts)), np.array(want), rtol=1e-13)
