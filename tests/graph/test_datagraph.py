"""Data graphs: every constructor gives the same symmetric, simple, sorted CSR."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sps

from ircc.graph import DataGraph
from ircc.graph.datagraph import GraphError


def _assert_simple_sorted_symmetric(G: DataGraph, g: nx.Graph) -> None:
    assert G.indices.dtype == np.int32 and G.n == g.number_of_nodes() and G.num_edges == g.number_of_edges()
    for v in range(G.n):
        row = G.neighbours(v)
        assert np.all(np.diff(row) > 0) and v not in row
        assert sorted(row.tolist()) == sorted(g.neighbors(v))


def test_constructors_agree():
    g = nx.gnm_random_graph(60, 200, seed=3)
    edges = list(g.edges()) + [(v, u) for u, v in list(g.edges())[:50]] + [(5, 5), (7, 7)]  # both ways, loops
    A = nx.to_scipy_sparse_array(g, format="csr")
    for G in (DataGraph.from_edges(60, edges), DataGraph.from_networkx(g), DataGraph.from_scipy(A),
              DataGraph.from_csr(A.indptr, A.indices)):
        _assert_simple_sorted_symmetric(G, g)


def test_labels_and_node_names():
    g = nx.Graph([("x", "y"), ("y", "z")])
    nx.set_node_attributes(g, {"x": 1, "y": 2, "z": 1}, "label")
    G = DataGraph.from_networkx(g)
    assert G.nodes == ["x", "y", "z"] and G.labels.tolist() == [1, 2, 1]
    assert DataGraph.from_edges(3, [(0, 1)], labels=[0, 4, 4]).labels.dtype == np.int32


def test_empty_graphs():
    assert DataGraph.from_edges(0, []).n == 0
    G = DataGraph.from_edges(5, [])
    assert G.num_edges == 0 and G.indptr.tolist() == [0] * 6


@pytest.mark.parametrize(("build", "message"), [
    (lambda: DataGraph.from_edges(3, [(0, 3)]), r"edge \(0, 3\) names a vertex outside 0..2"),
    (lambda: DataGraph.from_networkx(nx.DiGraph([(0, 1)])), "directed graphs are not supported"),
    (lambda: DataGraph.from_scipy(sps.csr_array((2, 3))), "square, this one is 2x3"),
    (lambda: DataGraph.from_scipy(np.eye(3)), "takes a scipy sparse matrix"),
    (lambda: DataGraph.from_csr([0, 2, 1], [0, 1]), "never decrease"),
    (lambda: DataGraph.from_edges(2, [(0, 1)], labels=[1]), "labels must be 2 non-negative integers"),
])
def test_bad_graphs_say_what_is_wrong(build, message):
    with pytest.raises(GraphError, match=message):
        build()


def test_degree_ordered_copy_is_the_same_graph_renumbered():
    g = nx.powerlaw_cluster_graph(60, 3, 0.3, seed=1)
    labels = np.arange(60) % 3
    G = DataGraph.from_edges(60, list(g.edges), labels=labels)
    indptr, indices, lab, old = G.degree_ordered()
    degrees = np.diff(indptr)
    assert np.all(np.diff(degrees) >= 0)  # ids ascend by degree
    renamed = {(int(old[r]), int(old[c])) for r in range(60) for c in indices[indptr[r]:indptr[r + 1]]}
    assert renamed == {(u, v) for u, v in g.edges} | {(v, u) for u, v in g.edges}
    assert np.array_equal(lab, labels[old])
    up, up_indices, _, _ = G.degree_ordered(oriented=True)
    assert len(up_indices) == G.num_edges
    assert all(np.all(up_indices[up[r]:up[r + 1]] > r) for r in range(60))
    assert G.degree_ordered() is G.degree_ordered()  # made once
