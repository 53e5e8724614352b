"""SpGEMM against scipy (and dense references for the other semirings) on every CPU backend."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sps
from hypothesis import given
from hypothesis import strategies as st

import ircc
from ircc.errors import IrccError


def pattern(X) -> np.ndarray:
    """The structural pattern of a canonical CSR matrix, as a dense 0/1 int array."""
    P = sps.csr_array((np.ones(X.nnz, dtype=np.int64), X.indices, X.indptr), shape=X.shape)
    return P.toarray()


def assert_matches_scipy(C, A, B):
    """Values equal scipy's A @ B; the pattern is the structural product (ircc keeps cancelled zeros)."""
    want = (A @ B).toarray()
    assert C.shape == want.shape
    if np.issubdtype(want.dtype, np.floating):
        # rounding: relative to the sum of the magnitudes of the products (cancellation is allowed to lose digits)
        eps = 1e-5 if want.dtype == np.float32 else 1e-12
        scale = (abs(A).astype(np.float64) @ abs(B).astype(np.float64)).toarray()
        err = np.abs(C.toarray().astype(np.float64) - want.astype(np.float64))
        assert np.all((err <= eps * scale + 1e-30) | (np.isnan(want) & np.isnan(C.toarray()))), err.max()
    else:
        np.testing.assert_array_equal(C.toarray(), want)
    np.testing.assert_array_equal(pattern(C) > 0, (pattern(A) @ pattern(B)) > 0)
    for i in range(C.shape[0]):  # sorted, no duplicates
        row = C.indices[C.indptr[i]:C.indptr[i + 1]]
        assert np.all(np.diff(row) > 0), f"row {i} is not strictly increasing: {row}"


@st.composite
def operands(draw, dtypes=("float64", "float32", "int64", "int32", "bool")):
    m, k, n = (draw(st.integers(0, 12)) for _ in range(3))
    dtype = np.dtype(draw(st.sampled_from(dtypes)))
    seed = draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)

    def matrix(r, c, hub: bool):
        density = draw(st.sampled_from([0.0, 0.1, 0.3, 1.0]))
        dense = rng.random((r, c)) < density
        if hub and r:
            dense[rng.integers(r)] = True  # one full row
        values = rng.integers(1, 5, (r, c)) if dtype.kind in "iub" else rng.standard_normal((r, c))
        return sps.csr_array(np.where(dense, values, 0).astype(dtype))

    return matrix(m, k, draw(st.booleans())), matrix(k, n, draw(st.booleans()))


ALGORITHMS = ["spa", "hash", "esc", "heap", "hybrid"]
#: every strategy on llvm; the other backends run hybrid (both row kinds) and hash (keeps CI time down)
COMBINATIONS = [("llvm", a) for a in ALGORITHMS] + [("numba", "hybrid"), ("interp", "hybrid"), ("interp", "hash")]


@pytest.mark.parametrize(("target", "algorithm"), [c for c in COMBINATIONS if c[0] != "numba"])
@given(ab=operands())
def test_matches_scipy(target, algorithm, ab):
    A, B = ab
    assert_matches_scipy(ircc.sparse.matmul(A, B, target=target, algorithm=algorithm), A, B)


@given(ab=operands(dtypes=("float64",)))
def test_numba_matches_scipy(ab):
    A, B = ab
    assert_matches_scipy(ircc.sparse.matmul(A, B, target="numba", algorithm="hybrid"), A, B)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("threads", [1, 2, 70])  # 70: a many-threaded machine's parallel flop pass and scans
def test_parallel_partitions_match_serial(algorithm, threads):
    # a hub row and many empty rows: partitions are balanced by flops, not by rows
    rng = np.random.default_rng(5)
    A = sps.random_array((400, 300), density=0.02, random_state=rng, format="lil")
    A[7, :] = 1.0
    A[100:200, :] = 0
    A = sps.csr_array(A)
    B = sps.random_array((300, 350), density=0.05, random_state=rng, format="csr")
    C = ircc.sparse.matmul(A, B, target="llvm", algorithm=algorithm, threads=threads)
    assert_matches_scipy(C, A, B)
    if threads > 2:  # one phase: its compaction scans in blocks too
        assert_matches_scipy(ircc.sparse.matmul(A, B, target="llvm", algorithm=algorithm, threads=threads,
                                                phases=1), A, B)


def _dense_semiring(A, B, semiring):
    PA, PB = pattern(A) > 0, pattern(B) > 0
    a, b = A.toarray(), B.toarray()
    if semiring == "min_plus":
        big = np.where(PA[:, :, None] & PB[None, :, :], a[:, :, None] + b[None, :, :], np.inf)
        return big.min(axis=1), (PA.astype(int) @ PB.astype(int)) > 0
    if semiring == "plus_pair":
        counts = PA.astype(np.int64) @ PB.astype(np.int64)
        return counts, counts > 0
    raise ValueError(semiring)


@pytest.mark.parametrize(("target", "algorithm", "semiring"), [
    (t, a, s) for t, a in COMBINATIONS for s in ("min_plus", "plus_pair", "or_and")
    if t != "numba" or s == "min_plus"])  # numba compiles slowly: one semiring there
def test_semirings(target, semiring, algorithm):
    rng = np.random.default_rng(3)
    A = sps.random_array((9, 7), density=0.3, random_state=rng, format="csr")
    B = sps.random_array((7, 8), density=0.3, random_state=rng, format="csr")
    if semiring == "or_and":
        A, B = A.astype(bool), B.astype(bool)
        C = ircc.sparse.matmul(A, B, semiring=semiring, target=target, algorithm=algorithm)
        np.testing.assert_array_equal(C.toarray(), (A @ B).toarray())
        return
    C = ircc.sparse.matmul(A, B, semiring=semiring, target=target, algorithm=algorithm)
    want, structure = _dense_semiring(A, B, semiring)
    np.testing.assert_array_equal(pattern(C) > 0, structure)
    got = C.toarray()
    np.testing.assert_allclose(got[structure], want[structure], rtol=1e-12)


@pytest.mark.parametrize("target", ["llvm", "interp"])
def test_duplicates_and_unsorted_input_are_summed_first(target):
    # row 0: columns 2, 0, 2 (unsorted, a duplicate); min_plus shows the sum happened before the product
    A = sps.csr_array((np.array([1.0, 5.0, 2.0]), np.array([2, 0, 2]), np.array([0, 3])), shape=(1, 3))
    B = sps.csr_array(np.array([[1.0, 0.0], [0.0, 0.0], [10.0, 1.0]]))
    assert not A.has_canonical_format
    C = ircc.sparse.matmul(A, B, semiring="min_plus", target=target)
    np.testing.assert_array_equal(C.toarray(), [[6.0, 4.0]])  # A[0, 2] is 3 after summing
    C = ircc.sparse.matmul(A, B, target=target)
    np.testing.assert_allclose(C.toarray(), (A.toarray() @ B.toarray()))


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_unsorted_output_has_the_same_entries(algorithm):
    rng = np.random.default_rng(11)
    A = sps.random_array((60, 50), density=0.15, random_state=rng, format="csr")
    B = sps.random_array((50, 70), density=0.15, random_state=rng, format="csr")
    C = ircc.sparse.matmul(A, B, target="llvm", algorithm=algorithm, sorted=False)
    assert not C.has_sorted_indices or algorithm in ("esc", "heap")  # those two are sorted by construction
    np.testing.assert_array_equal(np.diff(C.indptr), np.diff((A @ B).indptr))
    C.sort_indices()
    assert_matches_scipy(C, A, B)


def test_types_and_formats():
    A = sps.random(20, 30, density=0.2, format="csr", random_state=1)
    B = sps.random(30, 10, density=0.2, format="csc", random_state=2)  # converted
    C = ircc.sparse.matmul(A, B)
    assert isinstance(C, sps.csr_matrix) and C.indices.dtype == np.int32 and C.has_sorted_indices
    C = ircc.sparse.matmul(sps.csr_array(A), B)
    assert isinstance(C, sps.csr_array)
    mixed = ircc.sparse.matmul(A.astype(np.int32), B.astype(np.float32))
    assert mixed.dtype == np.float64  # numpy's promotion, as scipy


def test_nan_and_inf_propagate():
    A = sps.csr_array(np.array([[np.nan, 1.0], [np.inf, 0.0]]))
    B = sps.csr_array(np.array([[1.0, 0.0], [1.0, 2.0]]))
    np.testing.assert_array_equal(ircc.sparse.matmul(A, B).toarray(), (A @ B).toarray())


def test_errors():
    A = sps.random(4, 5, density=0.5, format="csr")
    with pytest.raises(ValueError, match=r"A is 4x5, B is 4x5"):
        ircc.sparse.matmul(A, A)
    with pytest.raises(TypeError, match="scipy sparse"):
        ircc.sparse.matmul(A.toarray(), A.T)
    with pytest.raises(IrccError, match="unknown semiring"):
        ircc.sparse.matmul(A, A.T, semiring="max_times")
    with pytest.raises(IrccError, match="unknown SpGEMM algorithm 'magic'; algorithms are: auto, spa, hash, esc, heap, "
                                        "hybrid"):
        ircc.sparse.matmul(A, A.T, algorithm="magic")
    with pytest.raises(IrccError, match="complex"):
        ircc.sparse.matmul(A.astype(complex), A.T)


def test_compiled_spec_reports_its_choices():
    k = ircc.compile(ircc.sparse.spgemm(dtype=np.float64), target="llvm", algorithm="auto", cost="static")
    assert k.compile_stats["algorithm"] == "auto" and "heap when" in k.compile_stats["algorithm_rule"]
    assert [name for name, _ in k.stages][:2] == ["input", "lower-sparse"]
    assert "sparse.spgemm" in k.mlir("input") and "sparse." not in k.mlir("lower-sparse")
    A = sps.random(30, 30, density=0.1, format="csr", random_state=4)
    C = k(A, A)
    assert k.stats["algorithm"] == "spa" and k.stats["index_out"] == 32 and k.stats["nnz"] == C.nnz
    assert_matches_scipy(C, A, A)
    few = sps.random_array((200, 200), density=0.04, random_state=5, format="csr")  # 8 entries per row
    many = sps.random_array((200, 200), density=0.1, random_state=6, format="csr")  # 20 per row: 160 flops
    C = k(few, many)  # few entries per row of A, many flops per row: the heap merge
    assert k.stats["algorithm"] == "heap"
    assert_matches_scipy(C, few, many)


@st.composite
def masked_operands(draw):
    A, B = draw(operands(dtypes=("float64",)))
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    density = draw(st.sampled_from([0.0, 0.2, 0.6, 1.0]))
    M = sps.csr_array((rng.random((A.shape[0], B.shape[1])) < density).astype(np.float64))
    return A, B, M


@pytest.mark.parametrize(("target", "algorithm"), [c for c in COMBINATIONS if c[0] != "numba"])
@given(abm=masked_operands(), complement=st.booleans())
def test_mask_matches_scipy(target, algorithm, abm, complement):
    A, B, M = abm
    C = ircc.sparse.matmul(A, B, mask=M, complement_mask=complement, target=target, algorithm=algorithm)
    keep = (M.toarray() == 0) if complement else (M.toarray() != 0)
    want = np.where(keep, (A @ B).toarray(), 0.0)
    np.testing.assert_allclose(C.toarray(), want, rtol=1e-12, atol=1e-12)
    structure = ((pattern(A) @ pattern(B)) > 0) & keep
    np.testing.assert_array_equal(pattern(C) > 0, structure)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_triangle_count_with_a_masked_plus_pair_product(algorithm):
    nx = pytest.importorskip("networkx")
    G = nx.karate_club_graph()
    A = sps.csr_array(nx.to_scipy_sparse_array(G, format="csr", dtype=np.int64))
    L = sps.tril(A, k=-1, format="csr")
    C = ircc.sparse.matmul(L, L, mask=L, semiring="plus_pair", target="llvm", algorithm=algorithm)
    assert C.sum() == sum(nx.triangles(G).values()) // 3 == 45


def test_mask_errors():
    A = sps.random(4, 5, density=0.5, format="csr")
    with pytest.raises(ValueError, match="the mask is 3x3, the product is 4x4"):
        ircc.sparse.matmul(A, A.T, mask=sps.eye(3, format="csr"))
    with pytest.raises(IrccError, match="complement_mask=True needs a mask"):
        ircc.sparse.matmul(A, A.T, complement_mask=True)


def test_an_output_too_large_is_refused_before_allocation(monkeypatch):
    import ircc.frontends.sympy_call as sc

    monkeypatch.setattr(sc, "_available_bytes", lambda: 64 << 10)  # pretend 64 KiB are free
    monkeypatch.setattr(sc, "_CHECK_ABOVE_BYTES", 0)
    A = sps.random_array((300, 300), density=0.2, format="csr", random_state=1)
    with pytest.raises(MemoryError, match=r"needs at least .* GiB .* multiply blocks of rows"):
        ircc.sparse.matmul(A, A, target="llvm")


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@given(ab=operands(dtypes=("float64", "int32")))
def test_one_phase_matches_scipy(algorithm, ab):
    A, B = ab
    assert_matches_scipy(ircc.sparse.matmul(A, B, target="llvm", algorithm=algorithm, phases=1, threads=2), A, B)


@pytest.mark.parametrize("target", ["numba", "interp"])
def test_one_phase_on_other_backends(target):
    rng = np.random.default_rng(8)
    A = sps.random_array((40, 30), density=0.1, random_state=rng, format="csr")
    B = sps.random_array((30, 35), density=0.1, random_state=rng, format="csr")
    assert_matches_scipy(ircc.sparse.matmul(A, B, target=target, algorithm="spa", phases=1), A, B)


def test_one_phase_falls_back_to_two_over_the_memory_cap():
    rng = np.random.default_rng(9)
    A = sps.random_array((50, 40), density=0.2, random_state=rng, format="csr")
    At = A.T.tocsr()
    k = ircc.compile(ircc.sparse.spgemm(), target="llvm", algorithm="spa", phases=1, memory_cap=1024)
    assert_matches_scipy(k(A, At), A, At)
    assert k.stats["phases"] == 2 and "over the memory cap of 1.0 KiB" in k.stats["phases_note"]
    k = ircc.compile(ircc.sparse.spgemm(), target="llvm", algorithm="spa", phases=1)
    assert_matches_scipy(k(A, At), A, At)
    assert k.stats["phases"] == 1 and "phases_note" not in k.stats
    with pytest.raises(IrccError, match="phases must be 1 .* or 2 .*, not 3"):
        ircc.compile(ircc.sparse.spgemm(), target="llvm", phases=3)


def test_auto_asks_the_learned_model_where_one_ships():
    """cost="learned": the strategy the shipped model ranks fastest for A (the static rule without a model)."""
    from ircc.costmodel.learned import best_variant, has_model
    from ircc.costmodel.variants import matrix_figures

    for threads in (1, 2):  # on two threads: the strategies' ranking as they ran on every core, where known
        k = ircc.compile(ircc.sparse.spgemm(dtype=np.float64), target="llvm", algorithm="auto", cost="learned",
                         threads=threads)
        assert k.compile_stats["algorithm"] == "auto"
        for A in (sps.random_array((300, 300), density=0.03, random_state=1, format="csr"),
                  sps.random_array((300, 300), density=0.2, random_state=2, format="csr")):
            C = k(A, A)
            assert_matches_scipy(C, A, A)
            want = None
            if has_model() and threads > 1:
                want = best_variant("spgemm-parallel", matrix_figures(A) | {"threads": 2.0})
            if has_model() and want is None:
                want = best_variant("spgemm", matrix_figures(A))
            assert k.stats["algorithm"] == (want or ircc.sparse.choose_algorithm(A, k.stats["flops"]))
