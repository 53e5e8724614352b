"""Seeded sparse matrices (SpGEMM workloads for the benchmarks, the tests and ``ircc costmodel collect``).

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
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sps

SEED = 20240611


def random_values(rng: np.random.Generator, nnz: int) -> np.ndarray:
    return 0.5 + rng.random(nnz)


def csr_from_pairs(rows: np.ndarray, cols: np.ndarray, n: int, rng: np.random.Generator) -> sps.csr_array:
    """Canonical n x n CSR with the pattern of (rows, cols) (duplicates merged) and random values."""
    keys = np.unique(rows.astype(np.int64) * n + cols.astype(np.int64))  # sorted by row, then column
    r, c = np.divmod(keys, n)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(r, minlength=n), out=indptr[1:])
    return canonical_csr(n, indptr, c, random_values(rng, len(keys)))


def canonical_csr(n: int, indptr: np.ndarray, indices: np.ndarray, data: np.ndarray) -> sps.csr_array:
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
    return csr_from_pairs(rows, cols.ravel(), n, rng)


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
    return csr_from_pairs(np.concatenate([u, v]), np.concatenate([v, u]), n, rng)


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
    return csr_from_pairs(np.concatenate([src, dst]), np.concatenate([dst, src]), n, rng)


def poisson2d(k: int) -> sps.csr_array:
    T = sps.diags_array([np.full(k - 1, -1.0), np.full(k, 2.0), np.full(k - 1, -1.0)], offsets=[-1, 0, 1])
    eye = sps.identity(k, format="csr")
    A = (sps.kron(eye, T, format="csr") + sps.kron(T, eye, format="csr")).tocsr()
    A.sum_duplicates()
    A.eliminate_zeros()
    A.sort_indices()
    return canonical_csr(k * k, A.indptr, A.indices, A.data)
