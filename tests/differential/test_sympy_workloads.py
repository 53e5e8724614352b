"""The benchmark workloads as differential tests: large kernels on every native backend (slow: make test-full)."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import sympy as sp

import ircc
from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
workloads = pytest.importorskip("workloads_symbolic")


@pytest.mark.slow
@pytest.mark.parametrize("target", ["llvm", "numba"])
@pytest.mark.parametrize("workload", ["robertson", "pendulum", "massaction"])
def test_workload_matches_lambdify(workload: str, target: str) -> None:
    name, exprs, args = getattr(workloads, workload)()
    exprs = list(exprs)
    kernel = ircc.compile(exprs, args=args, target=target, threads=2)
    rng = np.random.default_rng(3)
    pts = [rng.uniform(0.5, 1.5, 64) for _ in args]
    got = kernel(*pts)
    want = sp.lambdify(args, exprs, modules="numpy", cse=True)(*pts)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, np.broadcast_to(w, g.shape), rtol=1e-9, atol=1e-12)
    one = kernel(*[float(p[0]) for p in pts])
    np.testing.assert_allclose(one, [np.broadcast_to(w, (64,))[0] for w in want], rtol=1e-9, atol=1e-12)
