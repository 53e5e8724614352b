"""Anti-vertices, labels, exists, match, motifs and planner ablations against a brute-force oracle."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ircc
from ircc.errors import IrccError
from ircc.graph import DataGraph, Pattern, PatternError
from ircc.graph.plan import PLAN_PIPELINE
from ircc.graph.query import default_pipeline

from .brute import brute_count, brute_maps

ANTI = [Pattern.parse("a-b b-c c-a a!d b!d c!d"),  # a triangle in no 4-clique
        Pattern.parse("a-b b-c a!d b!d"),  # a wedge whose first edge is in no triangle
        Pattern.parse("a-b b-c c-d a!e c!e"),
        Pattern.parse("a-b b-c c-a a!d"),  # a triangle with a corner of degree 2
        Pattern.parse("a-b a!c b!c a!d b!d")]  # two interchangeable anti-vertices
SMALL = [Pattern.clique(3), Pattern.cycle(4), Pattern.path(4), Pattern.star(4), ANTI[0]]


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(0, 9), density=st.sampled_from([0.3, 0.5, 0.8]),
       induced=st.booleans())
def test_anti_vertices_match_brute_force(seed, n, density, induced):
    g = nx.gnp_random_graph(n, density, seed=seed)
    assert ircc.graph.count(g, ANTI, induced=induced) == [brute_count(g, p, induced) for p in ANTI]


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(1, 9))
def test_labelled_patterns_match_brute_force(seed, n):
    g = nx.gnp_random_graph(n, 0.5, seed=seed)
    labels = np.random.default_rng(seed).integers(0, 2, n)
    G = DataGraph.from_edges(n, list(g.edges), labels=labels)
    patterns = [Pattern.parse("a:0-b:1 b-c c-a"), Pattern.parse("a:1-b:1 b-c:0"),
                Pattern.parse("a-b b-c c-a a!d:1 b!d c!d")]
    assert ircc.graph.count(G, patterns) == [brute_count(g, p, False, labels) for p in patterns]


@pytest.mark.parametrize("target", ["llvm", "numba", "interp"])
def test_exists_and_match(target):
    # numba compiles each kernel for seconds: two patterns there (one with an anti-vertex), all on llvm
    patterns = SMALL if target == "llvm" else [Pattern.cycle(4), ANTI[0]]
    for seed in (1, 2):
        g = nx.gnp_random_graph(9, 0.45, seed=seed)
        for p in patterns:
            want = brute_count(g, p)
            assert ircc.graph.exists(g, p, target=target) == (want > 0)
            rows = ircc.graph.match(g, p, target=target)
            maps = set(brute_maps(g, p))
            assert rows.shape == (want, p.k - len(p.anti_vertices)) and rows.dtype == np.int32
            assert all(tuple(r) in maps for r in rows)  # each row is a real match ...
            assert len({_image(p, r) for r in rows}) == len(rows)  # ... of a subgraph of its own
            assert len(ircc.graph.match(g, p, target=target, limit=2)) == min(2, want)
    assert not ircc.graph.exists(nx.path_graph(6), Pattern.clique(3), target=target)


def _image(p: Pattern, row) -> frozenset:
    """The data edges a match maps P's edges onto (a subgraph, whatever vertex order found it)."""
    column = {u: i for i, u in enumerate(u for u in range(p.k) if u not in p.anti_vertices)}
    return frozenset(frozenset((int(row[column[u]]), int(row[column[v]]))) for u, v in p.edges_list)


@pytest.mark.parametrize("k", [3, 4])
def test_motifs_census(k):
    g = nx.gnp_random_graph(10, 0.45, seed=k)
    census = ircc.graph.motifs(g, k)
    assert set(census) == set(Pattern.all_connected(k))
    assert census == {p: brute_count(g, p, True) for p in census}
    assert ircc.graph.motifs(g, k, method="induced") == census


@pytest.mark.slow  # 42 plans to compile
def test_motifs_5_agrees_between_methods():
    g = nx.powerlaw_cluster_graph(60, 3, 0.4, seed=5)
    assert ircc.graph.motifs(g, 5) == ircc.graph.motifs(g, 5, method="induced")


@pytest.mark.parametrize("skip", [p for p in PLAN_PIPELINE if p != "graph-plan"])
def test_every_planner_pass_can_be_switched_off(skip):
    g = nx.powerlaw_cluster_graph(80, 4, 0.4, seed=7)
    patterns = [Pattern.clique(4), Pattern.cycle(4), Pattern.path(4), Pattern.star(4), ANTI[0]]
    want = ircc.graph.count(g, patterns)
    pipeline = default_pipeline(1, "llvm", skip=(skip,))
    got = [ircc.compile(ircc.graph.query(p), target="llvm", pipeline=pipeline)(g) for p in patterns]
    assert got == want
    assert skip not in pipeline


def test_planner_reaches_the_plan_it_promises():
    k4 = ircc.compile(ircc.graph.query(Pattern.clique(4)), target="llvm")
    assert k4.compile_stats["oriented"] and "{forward}" in k4.mlir("graph-orient")
    star = ircc.compile(ircc.graph.query(Pattern.star(5)), target="llvm")
    assert "graph.choose" in star.mlir("graph-choose") and "graph.for_each" not in star.mlir("graph-choose")
    g = nx.star_graph(7)
    assert star(g) == 35  # C(7, 4)


def test_errors_say_what_to_do():
    with pytest.raises(PatternError, match="census covers k = 3, 4 and 5"):
        ircc.graph.motifs(nx.path_graph(3), 6)
    with pytest.raises(IrccError, match="cannot skip graph-plan"):
        default_pipeline(1, "llvm", skip=("graph-plan",))
    with pytest.raises(IrccError, match="limit=0; give a positive int"):
        ircc.graph.query(Pattern.clique(3), op="match", limit=0)
    with pytest.raises(IrccError, match="op 'list' is not supported"):
        ircc.graph.query(Pattern.clique(3), op="list")
    assert ircc.graph.match(DataGraph.from_edges(0, []), Pattern.clique(3)).shape == (0, 3)
