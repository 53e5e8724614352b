"""Patterns: parsing, generators, isomorphism (canonical form) and automorphisms against networkx."""

from __future__ import annotations

import math
import random

import networkx as nx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from networkx.algorithms.isomorphism import GraphMatcher

from ircc.graph import Pattern, PatternError


def test_all_connected_counts_match_the_known_numbers():
    for k, count in ((3, 2), (4, 6), (5, 21), (6, 112)):
        patterns = Pattern.all_connected(k)
        assert len(patterns) == count == len(set(patterns))
        graphs = [nx.Graph(p.edges_list) for p in patterns]
        assert all(nx.is_connected(g) and g.number_of_nodes() == k for g in graphs)
        for i, g in enumerate(graphs):  # pairwise non-isomorphic, by networkx
            assert not any(nx.is_isomorphic(g, h) for h in graphs[i + 1:])
    induced = Pattern.all_connected(4, induced=True)
    assert all(len(p.edges) + len(p.anti_edges) == 6 for p in induced)


def test_generators_and_their_automorphism_counts():
    for k in range(3, 7):
        assert len(Pattern.clique(k).automorphisms()) == math.factorial(k)
        assert len(Pattern.cycle(k).automorphisms()) == 2 * k
        assert len(Pattern.star(k).automorphisms()) == math.factorial(k - 1)
        assert len(Pattern.path(k).automorphisms()) == 2
    assert Pattern.path(4) != Pattern.star(4) and Pattern.cycle(3) == Pattern.clique(3)


def _random_pattern(rng: random.Random, k: int) -> Pattern:
    while True:
        g = nx.gnp_random_graph(k, 0.5, seed=rng.randrange(10**6))
        if nx.is_connected(g):
            return Pattern.from_edges(list(g.edges()))


@given(seed=st.integers(0, 10**6), k=st.integers(3, 6))
def test_relabelled_patterns_are_equal_and_automorphisms_match_networkx(seed, k):
    rng = random.Random(seed)
    p = _random_pattern(rng, k)
    perm = list(range(k))
    rng.shuffle(perm)
    q = Pattern(k, [(perm[u], perm[v]) for u, v in p.edges_list])
    assert p == q and hash(p) == hash(q)
    g = nx.Graph(p.edges_list)
    autos = p.automorphisms()
    assert len(autos) == sum(1 for _ in GraphMatcher(g, g).isomorphisms_iter())
    for a in autos:
        assert {frozenset((a[u], a[v])) for u, v in p.edges_list} == set(p.edges)
    other = _random_pattern(rng, k)
    assert (p == other) == nx.is_isomorphic(g, nx.Graph(other.edges_list))


def test_parse_edges_anti_edges_labels_and_peregrine_notation():
    p = Pattern.parse("a-b b-c c-a a!d b!d c!d")
    assert p.k == 4 and len(p.edges) == 3 and len(p.anti_edges) == 3 and p.anti_vertices == {3}
    assert len(p.automorphisms()) == 6
    assert Pattern.parse("[1-2][2-3](1~3)") == Pattern.path(3).induced()
    lab = Pattern.parse("a:1-b:2 b-c:1")
    assert lab.labels == (1, 2, 1) and len(lab.automorphisms()) == 2
    assert lab != Pattern.parse("a:2-b:1 b-c:2")
    assert Pattern.parse("x-y y-z") == Pattern.from_networkx(nx.path_graph(3))
    assert eval(repr(lab)) == lab  # noqa: S307 - repr round-trips


@pytest.mark.parametrize(("text", "message"), [
    ("a-b c-d", "disconnected .* count each connected part separately"),
    ("a-b a!b", "a-b is both an edge and an anti-edge"),
    ("a-a", "self-loop"),
    ("a-b b", "names a vertex but no edge"),
    ("a=b", "cannot read 'a=b'"),
    ("a:1-b a:2-c", "vertex a has two labels"),
    ("[1-2](2-3)", "Peregrine's notation is"),
    (" ".join(f"v{i}-v{i + 1}" for i in range(8)), "9 vertices; patterns have at most 8"),
    ("a-b a!c c!d", "anti-vertex .* anti-edge to another anti-vertex"),
])
def test_bad_patterns_say_what_is_wrong(text, message):
    with pytest.raises(PatternError, match=message):
        Pattern.parse(text)


def test_directed_and_edgeless_patterns_are_refused():
    with pytest.raises(PatternError, match="directed"):
        Pattern.from_networkx(nx.DiGraph([(0, 1)]))
    with pytest.raises(PatternError, match="no edges"):
        Pattern(1, [])
    with pytest.raises(PatternError, match="at least 3"):
        Pattern.cycle(2)
