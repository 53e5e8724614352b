"""Seeded sparse matrices for the SpGEMM benchmark (``benchmarks/spgemm.py``); every product is ``A @ A``.

Each generator returns a canonical ``scipy.sparse.csr_array`` (sorted column indices, no duplicates, no
explicit zeros) with float64 values and int32 indices, built with numpy in a few seconds at most:

- ``uniform``: n x n, ``per_row`` column indices per row drawn uniformly (with replacement; the rare
  duplicates are merged, so a row may hold one fewer), values in [0.5, 1.5).
- ``rmat``: R-MAT / Graph500 (Chakrabarti et al. 2004) with a=.57, b=c=.19, d=.05, 2**scale vertices,
  ``edge_factor * 2**scale`` edges drawn, vertex labels shuffled by a seeded permutation (as Graph500 does,
  so the hubs are not all at the low indices), self loops dropped, symmetrized, duplicates removed, values
  random in [0.5, 1.5).
- ``ba``: Barabási–Albert preferential attachment, n vertices, m edges per new vertex: vertex m joins
  vertices 0..m-1, every later vertex t picks m targets uniformly from the list of edge endpoints so far
  (each vertex appears there once per incident edge, i.e. with probability proportional to its degree);
  a target picked twice gives one edge. Symmetric adjacency, values random in [0.5, 1.5).
- ``poisson2d``: the 5-point Laplacian on a k x k grid (4 on the diagonal, -1 to the grid neighbours),
  n = k**2, via Kronecker products.
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

SEED = 20240611
REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data" / "matrices"


def _values(rng: np.random.Generator, nnz: int) -> np.ndarray:
    return 0.5 + rng.random(nnz)


def _csr_from_pairs(rows: np.ndarray, cols: np.ndarray, n: int, rng: np.random.Generator) -> sps.csr_array:
    """Canonical n x n CSR with the pattern of (rows, cols) (duplicates merged) and random values."""
    keys = np.unique(rows.astype(np.int64) * n + cols.astype(np.int64))  # sorted by row, then column
    r, c = np.divmod(keys, n)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(r, minlength=n), out=indptr[1:])
    return _finish(n, indptr, c, _values(rng, len(keys)))


def _finish(n: int, indptr: np.ndarray, indices: np.ndarray, data: np.ndarray) -> sps.csr_array:
    it = np.int32 if max(len(indices), n + 1) < 2**31 else np.int64
    A = sps.csr_array((data.astype(np.float64, copy=False), indices.astype(it, copy=False),
                       indptr.astype(it, copy=False)), shape=(n, n))
    A.has_sorted_indices = True
    A.has_canonical_format = True
    return A


def uniform(n: int, per_row: int, seed: int = SEED) -> sps.csr_array:
    rng = np.random.default_rng(seed)
    cols = rng.integers(0, n, size=(n, per_row), dtype=np.int64)
    rows = np.repeat(np.arange(n, dtype=np.int64), per_row)
    return _csr_from_pairs(rows, cols.ravel(), n, rng)


def rmat(scale: int, edge_factor: int = 16, a: float = 0.57, b: float = 0.19, c: float = 0.19,
         seed: int = SEED) -> sps.csr_array:
    rng = np.random.default_rng(seed + scale)
    n = 1 << scale
    edges = edge_factor * n
    u = np.zeros(edges, dtype=np.int64)
    v = np.zeros(edges, dtype=np.int64)
    for _ in range(scale):  # one bit of each endpoint per level: quadrant a (0,0), b (0,1), c (1,0), d (1,1)
        r = rng.random(edges)
        row_bit = r >= a + b
        col_bit = ((r >= a) & (r < a + b)) | (r >= a + b + c)
        u = (u << 1) | row_bit
        v = (v << 1) | col_bit
    perm = rng.permutation(n)
    u, v = perm[u], perm[v]
    keep = u != v
    u, v = u[keep], v[keep]
    return _csr_from_pairs(np.concatenate([u, v]), np.concatenate([v, u]), n, rng)


def ba(n: int, m: int, seed: int = SEED) -> sps.csr_array:
    rng = np.random.default_rng(seed + n + m)
    # ends[...] lists every edge endpoint so far; vertex t >= m+1 draws its m targets from ends[:2*m*(t-m)]
    ends = np.empty(2 * m * (n - m), dtype=np.int64)
    ends[:m] = np.arange(m)
    ends[m:2 * m] = m
    draws = rng.random((n, m))
    src = np.repeat(np.arange(m, n, dtype=np.int64), m)
    dst = np.empty((n - m) * m, dtype=np.int64)
    dst[:m] = np.arange(m)
    for t in range(m + 1, n):
        filled = 2 * m * (t - m)
        targets = ends[(draws[t] * filled).astype(np.int64)]
        dst[(t - m) * m:(t - m + 1) * m] = targets
        ends[filled:filled + m] = t
        ends[filled + m:filled + 2 * m] = targets
    return _csr_from_pairs(np.concatenate([src, dst]), np.concatenate([dst, src]), n, rng)


def poisson2d(k: int) -> sps.csr_array:
    T = sps.diags_array([np.full(k - 1, -1.0), np.full(k, 2.0), np.full(k - 1, -1.0)], offsets=[-1, 0, 1])
    eye = sps.identity(k, format="csr")
    A = (sps.kron(eye, T, format="csr") + sps.kron(T, eye, format="csr")).tocsr()
    A.sum_duplicates()
    A.eliminate_zeros()
    A.sort_indices()
    return _finish(k * k, A.indptr, A.indices, A.data)


def load_file(path: Path, seed: int = SEED) -> sps.csr_array | None:
    """The pattern stored in ``path`` (an .npz with n, indptr, indices) with seeded random values."""
    if not path.is_file():
        return None
    with np.load(path) as z:
        n, indptr, indices = int(z["n"]), z["indptr"], z["indices"]
    rng = np.random.default_rng(seed)
    A = sps.csr_array((_values(rng, len(indices)), indices, indptr), shape=(n, n))
    if not A.has_canonical_format:  # the file promises sorted rows without duplicates; make sure
        A.sum_duplicates()
    return _finish(n, A.indptr, A.indices, A.data)


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
