"""Data graphs for pattern mining: undirected, simple, CSR with sorted rows and int32 vertex ids.

Every constructor symmetrizes, drops duplicate edges and self-loops, and sorts each vertex's neighbours
(the matcher intersects sorted lists). Vertex labels are optional non-negative integers.

    G = DataGraph.from_edges(4, [(0, 1), (1, 2), (2, 0), (2, 3)])
    G = DataGraph.from_networkx(g)       # node ids kept in G.nodes (G.nodes[i] is data vertex i)
    G = DataGraph.from_scipy(A)          # the pattern of A (values ignored)
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np

from ircc.errors import IrccError

MAX_VERTICES = 2**31 - 1


class GraphError(IrccError, ValueError):
    """A data graph that cannot be built: what is wrong and what to do."""


class DataGraph:
    """``indptr`` (int64, n + 1), ``indices`` (int32, each row sorted), optional ``labels`` (int32, n)."""

    def __init__(self, indptr: np.ndarray, indices: np.ndarray, labels: np.ndarray | None = None,
                 nodes: Sequence[Hashable] | None = None):
        self.indptr, self.indices, self.labels = indptr, indices, labels
        self.n = len(indptr) - 1
        self.nodes = list(nodes) if nodes is not None else None

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_edges(cls, n: int, edges: Any, labels: Any = None) -> DataGraph:
        e = np.asarray(edges, dtype=np.int64).reshape(-1, 2) if len(edges) else np.zeros((0, 2), np.int64)
        if n < 0 or n > MAX_VERTICES:
            raise GraphError(f"data graph: {n} vertices; ids are int32 (at most {MAX_VERTICES})")
        if e.size and (e.min() < 0 or e.max() >= n):
            bad = e[(e < 0).any(axis=1) | (e >= n).any(axis=1)][0]
            raise GraphError(f"data graph: edge ({bad[0]}, {bad[1]}) names a vertex outside 0..{n - 1}")
        return cls._build(n, e[:, 0], e[:, 1], labels)

    @classmethod
    def from_csr(cls, indptr: Any, indices: Any, labels: Any = None) -> DataGraph:
        indptr, indices = np.asarray(indptr, dtype=np.int64), np.asarray(indices, dtype=np.int64)
        n = len(indptr) - 1
        if n < 0 or indptr[0] != 0 or np.any(np.diff(indptr) < 0) or indptr[-1] != len(indices):
            raise GraphError("data graph: indptr must start at 0, never decrease and end at len(indices)")
        if len(indices) and (indices.min() < 0 or indices.max() >= n):
            raise GraphError(f"data graph: a column index is outside 0..{n - 1} (the graph must be square)")
        rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr))
        return cls._build(n, rows, indices, labels)

    @classmethod
    def from_scipy(cls, A: Any, labels: Any = None) -> DataGraph:
        import scipy.sparse as sps

        if not sps.issparse(A):
            raise GraphError(f"data graph: from_scipy takes a scipy sparse matrix, not {type(A).__name__}")
        if A.shape[0] != A.shape[1]:
            raise GraphError(f"data graph: an adjacency matrix is square, this one is {A.shape[0]}x{A.shape[1]}")
        coo = A.tocoo()
        keep = coo.data != 0
        return cls._build(A.shape[0], coo.row[keep].astype(np.int64), coo.col[keep].astype(np.int64), labels)

    @classmethod
    def from_networkx(cls, g: Any, label: str | None = "label") -> DataGraph:
        if g.is_directed():
            raise GraphError("data graph: directed graphs are not supported; pass g.to_undirected()")
        nodes = list(g.nodes)
        index = {x: i for i, x in enumerate(nodes)}
        e = np.array([(index[u], index[v]) for u, v in g.edges()], dtype=np.int64).reshape(-1, 2)
        labels = None
        if label is not None and nodes and all(label in d for _, d in g.nodes(data=True)):
            labels = [g.nodes[x][label] for x in nodes]
        G = cls._build(len(nodes), e[:, 0], e[:, 1], labels)
        G.nodes = nodes
        return G

    @classmethod
    def _build(cls, n: int, rows: np.ndarray, cols: np.ndarray, labels: Any) -> DataGraph:
        keep = rows != cols  # self-loops dropped
        rows, cols = rows[keep], cols[keep]
        both_r = np.concatenate([rows, cols])
        both_c = np.concatenate([cols, rows])
        key = np.unique(both_r * n + both_c) if len(both_r) else np.zeros(0, np.int64)  # sorted, deduplicated
        r, c = key // max(n, 1), key % max(n, 1)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(r, minlength=n), out=indptr[1:])
        lab = None
        if labels is not None:
            lab = np.asarray(labels)
            if lab.shape != (n,) or not np.issubdtype(lab.dtype, np.integer) or (n and lab.min() < 0):
                raise GraphError(f"data graph: labels must be {n} non-negative integers, one per vertex")
            lab = lab.astype(np.int32)
        return cls(indptr, c.astype(np.int32), lab)

    # -- queries ------------------------------------------------------------------------------
    @property
    def num_edges(self) -> int:
        return len(self.indices) // 2

    def degrees(self) -> np.ndarray:
        return np.diff(self.indptr)

    def neighbours(self, v: int) -> np.ndarray:
        return self.indices[self.indptr[v]:self.indptr[v + 1]]

    def degree_ordered(self, oriented: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]:
        """The graph with vertices renumbered by ascending degree (ties by id): ``(indptr, indices, labels,
        old)`` where ``old[new_id]`` is the original id. ``oriented``: each list keeps only the larger new
        ids (a hub then lists few vertices). Computed once per graph and kept."""
        cache = self.__dict__.setdefault("_ordered", {})
        if oriented in cache:
            return cache[oriented]
        n = self.n
        old = np.argsort(self.degrees(), kind="stable")
        new = np.empty(n, dtype=np.int64)
        new[old] = np.arange(n, dtype=np.int64)
        rows = new[np.repeat(np.arange(n, dtype=np.int64), self.degrees())]
        cols = new[self.indices]
        if oriented:
            keep = cols > rows
            rows, cols = rows[keep], cols[keep]
        key = np.sort(rows * max(n, 1) + cols)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(key // max(n, 1), minlength=n), out=indptr[1:])
        labels = self.labels[old] if self.labels is not None else None
        cache[oriented] = (indptr, (key % max(n, 1)).astype(np.int32), labels, old)
        return cache[oriented]

    def __repr__(self) -> str:
        labelled = ", labelled" if self.labels is not None else ""
        return f"DataGraph(n={self.n}, edges={self.num_edges}{labelled})"
