"""Graph pattern counts on the simulated machine: the pattern lowering's loops run there and count what
networkx (and the interpreter) count; the run's figures come with them."""

from __future__ import annotations

import pytest

import ircc
from ircc.graph import Pattern

nx = pytest.importorskip("networkx")


@pytest.mark.parametrize("pattern", ["triangle", "4-cycle", "4-clique"])
def test_counts_match_networkx(pattern: str) -> None:
    G = nx.gnm_random_graph(40, 160, seed=3)
    P = {"triangle": Pattern.clique(3), "4-cycle": Pattern.parse("a-b b-c c-d d-a"),
         "4-clique": Pattern.clique(4)}[pattern]
    got = ircc.graph.count(G, P, target="piuma", machine="die")
    assert got == ircc.graph.count(G, P, target="interp")
    if pattern == "triangle":
        assert got == sum(nx.triangles(G).values()) // 3
