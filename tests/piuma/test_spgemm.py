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


@pytest.mark.parametrize("algorithm", ["dense-dram", "esc", "hash", "heap", "smash-v1"])
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


def test_smash_merges_in_the_scratchpads_with_atomics() -> None:
    """smash-v1: products meet in each core's scratchpad table (CAS to claim a key, atomic adds to merge), a
    window of rows at a time; windows small enough that several are needed still give scipy's result."""
    A = rmat(6, 4)
    want = (A @ A).tocsr()
    want.sort_indices()
    for spad in (4 << 20, 16 << 10):  # 16 KiB: 1024 slots, several windows
        k = ircc.compile(ircc.sparse.spgemm(), target="piuma", algorithm="smash-v1",
                         machine=ircc.backends.piuma.machine.DIE.with_(spad_bytes=spad))
        C = k(A, A)
        np.testing.assert_array_equal(C.indices, want.indices)
        np.testing.assert_allclose(C.data, want.data, rtol=1e-12)
        assert k.stats["spad_accesses"] > 0 and k.stats["atomics"] > 0


def test_unknown_and_unlowered_algorithms_say_what_there_is() -> None:
    A = uniform(16, 2)
    with pytest.raises(IrccError, match="'smash-v3' .*not lowered for the piuma target yet.*dense-dram, esc"):
        ircc.sparse.matmul(A, A, target="piuma", algorithm="smash-v3")
    with pytest.raises(IrccError, match="unknown SpGEMM algorithm 'spa' on target 'piuma'"):
        ircc.sparse.matmul(A, A, target="piuma", algorithm="spa")
