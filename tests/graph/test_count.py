"""Pattern counts from compiled plans against networkx VF2 and closed forms."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from networkx.algorithms.isomorphism import GraphMatcher

import ircc
from ircc.errors import IrccError
from ircc.graph import DataGraph, Pattern


def vf2_count(g: nx.Graph, p: Pattern, induced: bool) -> int:
    matcher = GraphMatcher(g, nx.Graph(p.edges_list))
    maps = matcher.subgraph_isomorphisms_iter() if induced else matcher.subgraph_monomorphisms_iter()
    return sum(1 for _ in maps) // len(p.automorphisms())


PATTERNS = Pattern.all_connected(3) + Pattern.all_connected(4)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(0, 14), density=st.sampled_from([0.2, 0.5, 0.9]),
       induced=st.booleans())
def test_every_3_and_4_vertex_pattern_matches_vf2(seed, n, density, induced):
    g = nx.gnp_random_graph(n, density, seed=seed)
    got = ircc.graph.count(g, PATTERNS, induced=induced, target="llvm")
    assert got == [vf2_count(g, p, induced) for p in PATTERNS]


@pytest.mark.parametrize("target", ["numba", "interp"])
def test_other_backends_agree(target):
    g = nx.gnp_random_graph(12, 0.5, seed=4)
    for p in (Pattern.clique(3), Pattern.cycle(4)):
        for induced in (False, True):
            assert ircc.graph.count(g, p, induced=induced, target=target) == vf2_count(g, p, induced)


@pytest.mark.parametrize("threads", [1, 2])
def test_closed_forms_and_identities(threads):
    g = nx.powerlaw_cluster_graph(300, 5, 0.3, seed=2)
    G = DataGraph.from_networkx(g)
    A = nx.to_scipy_sparse_array(g, format="csr").astype(np.int64)
    assert ircc.graph.count(G, Pattern.clique(3), threads=threads) == int((A @ A).multiply(A).sum()) // 6
    c4, c4_induced = (ircc.graph.count(G, Pattern.cycle(4), induced=i, threads=threads) for i in (False, True))
    # closed 4-walks: d^2 from each vertex out and back twice, sum over neighbours a of (d_a - 1) there
    # and back through a, and 8 per 4-cycle (4 starts, 2 directions)
    d = np.asarray(A.sum(axis=1)).ravel()
    A2 = A @ A
    assert c4 == (int(A2.multiply(A2.T).sum()) - 2 * int((d * d).sum()) + int(d.sum())) // 8
    diamond = ircc.graph.count(G, Pattern.parse("a-b b-c c-d d-a a-c"), induced=True, threads=threads)
    k4 = ircc.graph.count(G, Pattern.clique(4), threads=threads)
    assert c4 == c4_induced + diamond + 3 * k4


def test_compiled_query_shows_its_plan_and_errors():
    k = ircc.compile(ircc.graph.query(Pattern.clique(3)), target="llvm")
    assert "graph.pattern" in k.mlir("input")
    assert "graph.for_vertices" in k.mlir("graph-plan") and "graph.size" in k.mlir("graph-count-last")
    assert "graph." not in k.mlir("lower-graph")
    assert k(nx.complete_graph(5)) == 10 and k(DataGraph.from_edges(0, [])) == 0
    with pytest.raises(IrccError, match="the pattern has labels but the data graph has none"):
        ircc.graph.count(nx.path_graph(3), Pattern.parse("a:1-b b-c"))
    with pytest.raises(IrccError, match="must be a DataGraph or a networkx graph, not list"):
        ircc.graph.count([(0, 1)], Pattern.clique(3))
    with pytest.raises(IrccError, match="must be an ircc.graph.Pattern, not str"):
        ircc.graph.query("a-b")
