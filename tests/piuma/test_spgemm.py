"""SpGEMM on the simulated machine: each dataflow lowered from ``sparse.spgemm`` runs there, matches scipy, and
reports the simulated run (``kernel.stats["cycles"]`` beside the call's sparse figures)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import ircc
import ircc.backends.piuma.machine
from ircc.errors import IrccError

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from workloads_spgemm import rmat, uniform  # noqa: E402


@pytest.mark.parametrize("algorithm", ["dense-dram", "esc", "hash", "heap", "smash-v1", "smash-v2", "smash-v3"])
def test_dataflows_match_scipy(algorithm: str) -> None:
    k = ircc.compile(ircc.sparse.spgemm(), target="piuma", algorithm=algorithm, machine="die")
    for A in (rmat(6, 4), uniform(80, 3)):
        C = k(A, A)
        want = (A @ A).tocsr()
        want.sort_indices()
        np.testing.assert_array_equal(C.indptr, want.indptr)
        np.testing.assert_array_equal(C.indices, want.indices)
        np.testing.assert_allclose(C.data, want.data, rtol=1e-12)
        s = k.stats
        assert s["cycles"] > 0 and s["machine"] == "die" and s["nnz"] == want.nnz
        assert s["dram_bytes"] > 0 and len(s["time_by_phase"]) >= 2  # symbolic and numeric launches at least


def test_the_spa_accumulator_lives_in_dram_per_thread() -> None:
    """dense-dram: every thread's dense accumulator is a DRAM buffer of n entries (no scratchpad used)."""
    A = uniform(64, 4)
    k = ircc.compile(ircc.sparse.spgemm(), target="piuma", algorithm="dense-dram", machine="core")
    k(A, A)
    assert k.stats["spad_accesses"] == 0 and k.stats["remote_accesses"] == 0  # one core: all DRAM local


@pytest.mark.parametrize("version", [1, 2, 3])
def test_smash_merges_in_the_scratchpads_with_atomics(version: int) -> None:
    """Products meet in each core's scratchpad table (CAS to claim a key, atomic adds to merge), a window of
    rows at a time; windows small enough that several are needed still give scipy's result."""
    A = rmat(6, 4)
    want = (A @ A).tocsr()
    want.sort_indices()
    for spad in (4 << 20, 16 << 10):  # 16 KiB: about 1000 slots, several windows
        k = ircc.compile(ircc.sparse.spgemm(), target="piuma", algorithm=f"smash-v{version}",
                         machine=ircc.backends.piuma.machine.DIE.with_(spad_bytes=spad))
        C = k(A, A)
        np.testing.assert_array_equal(C.indices, want.indices)
        np.testing.assert_allclose(C.data, want.data, rtol=1e-12)
        assert k.stats["spad_accesses"] > 0 and k.stats["atomics"] > 0


def test_smash_v3_dense_rows_sorted_or_not_and_other_types() -> None:
    """v3: rows with 2 * flops >= n get a directly addressed fragment (packed in column order, no sort); the
    others hash and sort in the scratchpad. Unsorted output has the same entries; f32 and plus_pair work."""
    for A in (uniform(32, 8), rmat(5, 6)):  # every row dense; a mix
        want = (A @ A).tocsr()
        want.sort_indices()
        C = ircc.sparse.matmul(A, A, target="piuma", algorithm="smash-v3", machine="core")
        np.testing.assert_array_equal(C.indptr, want.indptr)
        np.testing.assert_array_equal(C.indices, want.indices)
        np.testing.assert_allclose(C.data, want.data, rtol=1e-12)
        k = ircc.compile(ircc.sparse.spgemm(sorted=False), target="piuma", algorithm="smash-v3", machine="core")
        U = k(A, A)
        np.testing.assert_array_equal(U.indptr, want.indptr)
        np.testing.assert_allclose(U.toarray(), want.toarray(), rtol=1e-12)
    A = rmat(5, 6)
    k = ircc.compile(ircc.sparse.spgemm(dtype=np.float32, semiring="plus_pair"), target="piuma",
                     algorithm="smash-v3", machine="core")
    C = k(A, A)
    P = (A != 0).astype(np.float32)
    np.testing.assert_allclose(C.toarray(), (P @ P).toarray())


def test_smash_versions_hand_out_work_by_tokens() -> None:
    """v2 and v3 take windows and entries by tokens: the counters are atomics beyond v1's (same matrix, same
    machine), and v3 hashes each product once (one launch with atomics where v1 and v2 have two)."""
    A = rmat(6, 6)
    stats = {}
    for version in (1, 2, 3):
        k = ircc.compile(ircc.sparse.spgemm(), target="piuma", algorithm=f"smash-v{version}", machine="die")
        k(A, A)
        stats[version] = k.stats
    with_atomics = {v: sum(1 for ph in s["time_by_phase"] if ph["atomics"]) for v, s in stats.items()}
    assert with_atomics[1] == 2 and with_atomics[2] == 2 and with_atomics[3] == 1
    assert stats[2]["atomics"] > stats[1]["atomics"]
    assert stats[3]["cycles"] < stats[1]["cycles"]


def test_smash_refuses_a_row_wider_than_the_table() -> None:
    A = uniform(300, 20)  # rows of up to 300 columns; a 2 KiB scratchpad holds about 120 keys and values
    k = ircc.compile(ircc.sparse.spgemm(), target="piuma", algorithm="smash-v3",
                     machine=ircc.backends.piuma.machine.CORE.with_(spad_bytes=2048))
    with pytest.raises(IrccError, match=r"smash-v3: row \d+ of the product can have \d+ columns, more than the "
                                        r"\d+ slots .*algorithm='dense-dram'"):
        k(A, A)


def test_unknown_algorithms_say_what_there_is() -> None:
    A = uniform(16, 2)
    with pytest.raises(IrccError, match="unknown SpGEMM algorithm 'spa' on target 'piuma'"):
        ircc.sparse.matmul(A, A, target="piuma", algorithm="spa")
