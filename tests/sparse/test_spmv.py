"""ircc.sparse.spmv / spmm against scipy (and a dense min_plus reference) on every CPU backend."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sps

import ircc
from tests.conftest import CPU_TARGETS


def _operands(dtype=np.float64):
    rng = np.random.default_rng(2)
    A = sps.random_array((40, 30), density=0.2, format="csr", random_state=rng)
    A = sps.csr_array(A.toarray() * (np.arange(40)[:, None] % 5 != 0))  # every fifth row empty
    return A.astype(dtype), rng.standard_normal(30).astype(dtype), rng.standard_normal((30, 7)).astype(dtype)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("target", CPU_TARGETS)
def test_spmv_and_spmm_match_scipy(target, threads):
    A, x, X = _operands()
    np.testing.assert_allclose(ircc.sparse.spmv(A, x, target=target, threads=threads), A @ x, rtol=1e-12)
    np.testing.assert_allclose(ircc.sparse.spmm(A, X, target=target, threads=threads), A @ X, rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.int32])
def test_dtypes(dtype):
    A, x, X = _operands()
    A, x, X = (A * 10).astype(dtype), (x * 10).astype(dtype), (X * 10).astype(dtype)
    np.testing.assert_allclose(ircc.sparse.spmv(A, x), A @ x, rtol=1e-5)
    np.testing.assert_allclose(ircc.sparse.spmm(A, X), A @ X, rtol=1e-5)


def test_min_plus_gives_infinity_for_empty_rows():
    A, x, _ = _operands()
    y = ircc.sparse.spmv(A, x, semiring="min_plus")
    dense = np.where(A.toarray() != 0, A.toarray(), np.inf)
    np.testing.assert_allclose(y, (dense + x[None, :]).min(axis=1))
    assert np.isinf(y[0])


def test_shape_errors():
    A, x, X = _operands()
    with pytest.raises(ValueError, match="A is 40x30, the dense operand has 7 rows"):
        ircc.sparse.spmv(A, x[:7])
    with pytest.raises(ValueError, match="must be 2-D"):
        ircc.sparse.spmm(A, x)
