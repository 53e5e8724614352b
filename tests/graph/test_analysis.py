"""Pattern analysis: symmetry breaking keeps exactly one match per subgraph; cores cover; orders connect."""

from __future__ import annotations

import itertools
import random

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st

from ircc.graph import Pattern
from ircc.graph.analysis import core, matching_order, symmetry_conditions


def _monomorphisms(p: Pattern, g: nx.Graph):
    """Every injective map of p's regular vertices into g keeping edges and anti-edges (brute force)."""
    regular = [u for u in range(p.k) if u not in p.anti_vertices]
    for image in itertools.permutations(g.nodes, len(regular)):
        m = dict(zip(regular, image))
        if all(g.has_edge(m[u], m[v]) for u, v in p.edges_list) and \
                not any(g.has_edge(m[u], m[v]) for u, v in p.anti_edges_list if u in m and v in m):
            yield m


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10**6), k=st.integers(3, 5), induced=st.booleans())
def test_conditions_keep_one_match_per_subgraph(seed, k, induced):
    rng = random.Random(seed)
    pattern = rng.choice(Pattern.all_connected(k, induced=induced))
    g = nx.gnp_random_graph(7, 0.5, seed=rng.randrange(10**6))
    conditions = symmetry_conditions(pattern)
    all_maps = list(_monomorphisms(pattern, g))
    kept = [m for m in all_maps if all(m[a] < m[b] for a, b in conditions)]
    autos = len(pattern.automorphisms())
    assert len(all_maps) == autos * len(kept)
    # and one per distinct subgraph (same vertex set and same edges used)
    subgraphs = {(frozenset(m.values()), frozenset(frozenset((m[u], m[v])) for u, v in pattern.edges_list))
                 for m in all_maps}
    assert len(kept) == len(subgraphs)


def test_known_conditions():
    assert len(symmetry_conditions(Pattern.clique(4))) == 6  # a total order on the 4 vertices
    assert symmetry_conditions(Pattern.path(3)) == [(0, 2)]  # the two ends
    assert symmetry_conditions(Pattern.parse("a-b b-c c-a a-d")) == [(1, 2)]  # the two unmarked triangle corners


def test_core_is_a_minimum_cover_and_the_order_stays_connected():
    for k in (3, 4, 5):
        for p in Pattern.all_connected(k):
            c = set(core(p))
            assert all(u in c or v in c for u, v in p.edges_list)
            g = nx.Graph(p.edges_list)
            assert len(c) == len(min_cover(g))
            order = matching_order(p)
            assert sorted(order) == list(range(k)) and order[0] in c
            assert all(any(g.has_edge(order[i], order[j]) for j in range(i)) for i in range(1, k))
            for i in range(1, k):  # a non-core vertex comes early only when no core vertex could come
                if order[i] not in c:
                    assert not any(u in c and any(g.has_edge(u, order[j]) for j in range(i)) for u in order[i:])


def min_cover(g: nx.Graph) -> set:
    for size in range(g.number_of_nodes() + 1):
        for cover in itertools.combinations(g.nodes, size):
            if all(u in cover or v in cover for u, v in g.edges):
                return set(cover)
    return set(g.nodes)
