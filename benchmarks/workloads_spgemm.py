"""Seeded sparse matrices for the SpGEMM benchmark (``benchmarks/spgemm.py``); every product is ``A @ A``.

The generators (``uniform``, ``rmat``, ``ba``, ``poisson2d``) live in ``ircc.matrices``; besides them:

- ``copter2``: the finite-element mesh pattern from ``<repo>/../shared/data/matrices/copter2.npz`` (keys
  ``n``, ``indptr``, ``indices``: sorted rows, no diagonal), values random in [0.5, 1.5). Absent file:
  ``load_file`` returns None and the benchmark skips the matrix with a note.

Random values are positive (except Poisson's fixed stencil, whose products cannot cancel either), so no
entry of ``A @ A`` cancels to an exact zero and every library's pattern is the symbolic one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sps

from ircc.matrices import SEED, canonical_csr, random_values, ba, poisson2d, rmat, uniform  # noqa: F401

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data" / "matrices"


def load_file(path: Path, seed: int = SEED) -> sps.csr_array | None:
    """The pattern stored in ``path`` (an .npz with n, indptr, indices) with seeded random values."""
    if not path.is_file():
        return None
    with np.load(path) as z:
        n, indptr, indices = int(z["n"]), z["indptr"], z["indices"]
    rng = np.random.default_rng(seed)
    A = sps.csr_array((random_values(rng, len(indices)), indices, indptr), shape=(n, n))
    if not A.has_canonical_format:  # the file promises sorted rows without duplicates; make sure
        A.sum_duplicates()
    return canonical_csr(n, A.indptr, A.indices, A.data)


@dataclass
class Workload:
    name: str
    description: str
    make: Callable[[], sps.csr_array | None]
    source: str = "generated"  # or the path of the file read
    extra: dict[str, Any] = field(default_factory=dict)


def workloads(quick: bool) -> list[Workload]:
    """The benchmark's matrices, small versions when ``quick`` (the whole quick run is under a minute)."""
    copter = DATA / "copter2.npz"
    if quick:
        sizes = {"uniform": 20_000, "rmat": (10, 11), "ba": 10_000, "poisson": 200}
    else:
        sizes = {"uniform": 200_000, "rmat": (14, 15), "ba": 100_000, "poisson": 1000}
    nu, (s1, s2), nba, kp = sizes["uniform"], sizes["rmat"], sizes["ba"], sizes["poisson"]
    return [
        Workload(f"uniform-{nu // 1000}k", f"uniform random {nu}x{nu}, 10 per row", lambda: uniform(nu, 10)),
        Workload(f"rmat-{s1}", f"R-MAT scale {s1}, edge factor 16, symmetric", lambda: rmat(s1)),
        Workload(f"rmat-{s2}", f"R-MAT scale {s2}, edge factor 16, symmetric", lambda: rmat(s2)),
        Workload(f"ba-{nba // 1000}k", f"Barabasi-Albert n={nba}, m=5, symmetric", lambda: ba(nba, 5)),
        Workload(f"poisson-{kp}", f"2D Poisson {kp}x{kp}, 5-point", lambda: poisson2d(kp)),
        Workload("copter2", "FE mesh copter2 (pattern from file, random values)", lambda: load_file(copter),
                 source=str(copter)),
    ]


def flops(A: sps.csr_array, B: sps.csr_array) -> int:
    """Multiply-adds of ``A @ B``: the sum over the nonzeros A[i, k] of nnz(B row k)."""
    return int(np.diff(B.indptr)[A.indices].sum(dtype=np.int64)) if A.nnz else 0


def _symmetric_pattern(A: sps.csr_array) -> bool:
    P = A.copy()
    P.data[:] = 1.0
    return (P != P.T).nnz == 0


if __name__ == "__main__":  # sizes and generation times
    import sys

    for w in workloads(quick="--quick" in sys.argv):
        t0 = time.perf_counter()
        A = w.make()
        dt = time.perf_counter() - t0
        if A is None:
            print(f"{w.name:14s} absent ({w.source})")
            continue
        deg = np.diff(A.indptr)
        print(f"{w.name:14s} n={A.shape[0]:8d} nnz={A.nnz:9d} max row={deg.max():6d} flops={flops(A, A):12d} "
              f"symmetric pattern={_symmetric_pattern(A)} gen {dt:.2f}s")
