"""SpGEMM on ``target="triton"``: the row-wise hash-accumulator template in Triton's interpreter, against scipy
-- empty rows, rows whose columns collide in their table, integer values, ``plus_pair``, unsorted output --
and what it refuses."""

from __future__ import annotations

import numpy as np
import pytest

import ircc
from ircc.errors import BackendError, IrccError

sps = pytest.importorskip("scipy.sparse")
pytest.importorskip("torch")
pytest.importorskip("triton")


def _random(m: int, n: int, density: float, seed: int, dtype=np.float64):
    rng = np.random.default_rng(seed)
    A = sps.random(m, n, density=density, format="csr", random_state=rng, dtype=np.float64)
    if np.dtype(dtype).kind in "iu":
        A.data = rng.integers(-9, 10, A.nnz).astype(np.float64)
    return A.astype(dtype)


def _check(C, want, *, sorted_rows: bool = True) -> None:
    want = want.tocsr()
    want.sort_indices()
    C = C.copy()
    C.eliminate_zeros()  # products that cancel to 0 stay in ircc's pattern (as in MKL), not in scipy's
    C.has_sorted_indices = sorted_rows
    assert C.shape == want.shape
    np.testing.assert_array_equal(C.indptr, want.indptr)
    if not sorted_rows:
        C.sort_indices()
    np.testing.assert_array_equal(C.indices, want.indices)
    np.testing.assert_allclose(C.data, want.data, rtol=1e-6 if C.dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.int32])
def test_hash_spgemm_matches_scipy(dtype) -> None:
    A, B = _random(24, 19, 0.2, 1, dtype), _random(19, 31, 0.2, 2, dtype)
    A = A.tolil()
    A[3, :] = 0  # an empty row of A: an empty row of C
    A = A.tocsr()
    A.eliminate_zeros()
    C = ircc.sparse.matmul(A, B, target="triton")
    _check(C, A @ B)
    assert C.has_sorted_indices


def test_colliding_columns_probe_to_their_own_slots() -> None:
    """Few columns, long rows: each row's table has 2 * n slots for flops far above n, so many columns share
    a hash bucket and are placed by linear probing."""
    A, B = _random(6, 40, 0.9, 3), _random(40, 7, 0.9, 4)
    _check(ircc.sparse.matmul(A, B, target="triton"), A @ B)


def test_plus_pair_and_unsorted_rows() -> None:
    A, B = _random(15, 12, 0.3, 5), _random(12, 14, 0.3, 6)
    pair = ircc.sparse.matmul(A, B, target="triton", semiring="plus_pair")
    want = (A != 0).astype(np.float64) @ (B != 0).astype(np.float64)
    _check(pair, want)
    unsorted = ircc.sparse.matmul(A, B, target="triton", sorted=False)
    _check(unsorted, A @ B, sorted_rows=False)


def test_compiled_spec_reports_the_call() -> None:
    kernel = ircc.compile(ircc.sparse.spgemm(dtype=np.float32), target="triton")
    A, B = _random(9, 8, 0.4, 7, np.float32), _random(8, 10, 0.4, 8, np.float32)
    _check(kernel(A, B), A @ B)
    assert kernel.stats["algorithm"] == "hash" and kernel.stats["nnz"] == (A @ B).nnz
    assert "tl.atomic_cas(" in kernel.source and "_accumulate(" in kernel.source


def test_refusals_say_what_to_use() -> None:
    A, B = _random(5, 5, 0.5, 9), _random(5, 5, 0.5, 10)
    with pytest.raises(IrccError, match="algorithm='hash'.*not 'spa'"):
        ircc.sparse.matmul(A, B, target="triton", algorithm="spa")
    with pytest.raises(BackendError, match="semiring 'min_plus' is not rendered on triton"):
        ircc.sparse.matmul(A, B, target="triton", semiring="min_plus")
    with pytest.raises(BackendError, match="masked products"):
        ircc.sparse.matmul(A, B, target="triton", mask=A)
