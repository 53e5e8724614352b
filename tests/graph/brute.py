"""A brute-force oracle for every pattern feature: all injective maps of the regular vertices."""

from __future__ import annotations

from itertools import permutations

import networkx as nx

from ircc.graph import Pattern
from ircc.graph.analysis import regular_automorphisms


def brute_maps(g: nx.Graph, p: Pattern, induced: bool = False, labels=None) -> list[tuple]:
    """Every map (data vertex of each regular pattern vertex, in order) satisfying P's edges, anti-edges,
    labels and anti-vertices."""
    if induced:
        p = p.induced()
    regular = [u for u in range(p.k) if u not in p.anti_vertices]
    nodes = list(g.nodes)
    found = []
    for image in permutations(nodes, len(regular)):
        m = dict(zip(regular, image))
        if not all(g.has_edge(m[u], m[v]) for u, v in p.edges_list):
            continue
        if any(g.has_edge(m[u], m[v]) for u, v in p.anti_edges_list if u in m and v in m):
            continue
        if labels is not None and any(p.labels[u] is not None and labels[m[u]] != p.labels[u] for u in regular):
            continue
        closed = any(
            all(g.has_edge(x, m[a]) for a in p.anti_neighbours(w))
            for w in p.anti_vertices for x in nodes
            if x not in image and (labels is None or p.labels[w] is None or labels[x] == p.labels[w]))
        if not closed:
            found.append(image)
    return found


def brute_count(g: nx.Graph, p: Pattern, induced: bool = False, labels=None) -> int:
    return len(brute_maps(g, p, induced, labels)) // regular_automorphisms(p.induced() if induced else p)
