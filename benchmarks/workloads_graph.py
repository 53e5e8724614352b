"""Graphs and tasks for ``benchmarks/graph.py``: ircc.graph against networkx, igraph, GraphBLAS, networkit.

Graphs (edge arrays, 0-based, each edge once): email-Enron and cond-mat-2005 from
``<repo>/../shared/data/graphs/`` (skipped with a note when absent) and
``networkx.powerlaw_cluster_graph(200_000, 8, 0.3, seed=1)`` (generated once, cached under
``~/.cache/ircc-bench/``). ``--quick``: karate, hep-th and powerlaw_cluster_graph(20_000, 8, 0.3, seed=1).

Every anchor takes its own graph structure, built outside the timed region (networkx ``Graph`` and the
adjacency sets of the Python loop, igraph ``Graph``, the GraphBLAS lower triangle, networkit ``Graph``);
ircc takes a ``DataGraph`` whose degree-ordered copy is made once (its time is reported separately).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "graphs"
CACHE = Path(os.environ.get("IRCC_BENCH_CACHE", Path.home() / ".cache" / "ircc-bench"))


@dataclass
class GraphData:
    name: str
    n: int
    edges: np.ndarray
    source: str
    _built: dict = field(default_factory=dict)

    def get(self, kind: str) -> Any:
        """The graph as one library holds it (built on first use, kept)."""
        if kind not in self._built:
            self._built[kind] = _BUILDERS[kind](self)
        return self._built[kind]


def _shared(name: str) -> GraphData | str:
    path = DATA / f"{name}.npz"
    if not path.exists():
        return f"{name}: {path} is absent (skipped)"
    data = np.load(path)
    return GraphData(name, int(data["n"]), np.asarray(data["edges"], dtype=np.int64), str(path))


def _powerlaw(n: int) -> GraphData:
    import networkx as nx

    path = CACHE / f"powerlaw_cluster_{n}_8_0.3_seed1.npz"
    if path.exists():
        edges = np.load(path)["edges"]
    else:
        g = nx.powerlaw_cluster_graph(n, 8, 0.3, seed=1)
        edges = np.array(sorted((min(u, v), max(u, v)) for u, v in g.edges()), dtype=np.int64)
        CACHE.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, edges=edges)
    return GraphData(f"powerlaw-{n // 1000}k", n, edges, f"networkx.powerlaw_cluster_graph({n}, 8, 0.3, seed=1)")


def graphs(quick: bool) -> tuple[list[GraphData], list[str]]:
    names = ["karate", "hep-th"] if quick else ["email-Enron", "cond-mat-2005"]
    found, notes = [], []
    for name in names:
        got = _shared(name)
        (notes if isinstance(got, str) else found).append(got)
    found.append(_powerlaw(20_000 if quick else 200_000))
    return found, notes


# -- each library's graph ------------------------------------------------------------------------------
def _datagraph(gd: GraphData):
    from ircc.graph import DataGraph

    return DataGraph.from_edges(gd.n, gd.edges)


def _networkx(gd: GraphData):
    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from(range(gd.n))
    g.add_edges_from(map(tuple, gd.edges.tolist()))
    return g


def _adjacency_sets(gd: GraphData):
    g = gd.get("networkx")
    return [set(g._adj[v]) for v in range(gd.n)]


def _igraph(gd: GraphData):
    import igraph as ig

    return ig.Graph(n=gd.n, edges=gd.edges.tolist())


def _lower(gd: GraphData):
    import graphblas as gb

    rows = np.maximum(gd.edges[:, 0], gd.edges[:, 1])
    cols = np.minimum(gd.edges[:, 0], gd.edges[:, 1])
    keep = rows != cols
    L = gb.Matrix.from_coo(rows[keep], cols[keep], 1, nrows=gd.n, ncols=gd.n, dtype=gb.dtypes.INT64)
    return L


def _networkit(gd: GraphData):
    import networkit as nk

    g = nk.Graph(gd.n)
    for u, v in gd.edges.tolist():
        if u != v and not g.hasEdge(u, v):
            g.addEdge(u, v)
    g.indexEdges()
    return g


_BUILDERS: dict[str, Callable[[GraphData], Any]] = {"datagraph": _datagraph, "networkx": _networkx,
                                                    "sets": _adjacency_sets, "igraph": _igraph,
                                                    "graphblas": _lower, "networkit": _networkit}


# -- anchors --------------------------------------------------------------------------------------------
def nx_triangles(gd: GraphData) -> int:
    import networkx as nx

    return sum(nx.triangles(gd.get("networkx")).values()) // 3


def nx_cliques(k: int) -> Callable[[GraphData], int]:
    def run(gd: GraphData) -> int:
        import networkx as nx

        found = 0
        for c in nx.enumerate_all_cliques(gd.get("networkx")):
            if len(c) > k:
                break
            found += len(c) == k
        return found
    return run


def nx_vf2(pattern, induced: bool) -> Callable[[GraphData], int]:
    def run(gd: GraphData) -> int:
        import networkx as nx
        from networkx.algorithms.isomorphism import GraphMatcher

        m = GraphMatcher(gd.get("networkx"), nx.Graph(pattern.edges_list))
        maps = m.subgraph_isomorphisms_iter() if induced else m.subgraph_monomorphisms_iter()
        return sum(1 for _ in maps) // len(pattern.automorphisms())
    return run


def nx_census(k: int) -> Callable[[GraphData], dict]:
    def run(gd: GraphData) -> dict:
        from ircc.graph import Pattern

        return {p: nx_vf2(p, True)(gd) for p in Pattern.all_connected(k)}
    return run


def py_triangles_in_no_4clique(gd: GraphData) -> int:
    """Every triangle u < v < w of the adjacency sets, kept when no vertex is adjacent to all three."""
    adj = gd.get("sets")
    found = 0
    for u in range(gd.n):
        for v in adj[u]:
            if v <= u:
                continue
            common = adj[u] & adj[v]
            for w in common:
                if w > v and not (common & adj[w]):
                    found += 1
    return found


def nx_exists_clique(k: int) -> Callable[[GraphData], bool]:
    def run(gd: GraphData) -> bool:
        import networkx as nx

        return any(len(c) >= k for c in nx.find_cliques(gd.get("networkx")))
    return run


def ig_triangles(gd: GraphData) -> int:
    return len(gd.get("igraph").list_triangles())


def ig_cliques(k: int) -> Callable[[GraphData], int]:
    return lambda gd: len(gd.get("igraph").cliques(k, k))


def ig_vf2(pattern) -> Callable[[GraphData], int]:
    def run(gd: GraphData) -> int:
        import igraph as ig

        p = ig.Graph(n=pattern.k, edges=pattern.edges_list)
        return gd.get("igraph").count_subisomorphisms_vf2(p) // len(pattern.automorphisms())
    return run


def ig_motifs(k: int) -> Callable[[GraphData], dict]:
    def run(gd: GraphData) -> dict:
        import igraph as ig

        from ircc.graph import Pattern

        counts = gd.get("igraph").motifs_randesu(size=k)
        out = {}
        for cls, c in enumerate(counts):
            if c != c:  # nan: a disconnected class
                continue
            out[Pattern.from_edges(ig.Graph.Isoclass(k, cls).get_edgelist())] = int(c)
        return out
    return run


def ig_exists_clique(k: int) -> Callable[[GraphData], bool]:
    return lambda gd: gd.get("igraph").clique_number() >= k


def gb_triangles(gd: GraphData) -> int:
    """SuiteSparse:GraphBLAS: sum((L @ L) .* L) with L the strictly lower triangle, the product masked."""
    import graphblas as gb

    L = gd.get("graphblas")
    C = gb.Matrix(gb.dtypes.INT64, gd.n, gd.n)
    C(L.S) << L.mxm(L, gb.semiring.plus_pair)
    return int(C.reduce_scalar(gb.monoid.plus).new().value or 0)


def nk_triangles(gd: GraphData) -> int:
    import networkit as nk

    score = nk.sparsification.TriangleEdgeScore(gd.get("networkit"))
    score.run()
    return int(round(sum(score.scores()))) // 3
