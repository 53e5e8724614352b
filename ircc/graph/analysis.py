"""Pattern analysis the planner builds on: symmetry-breaking conditions, the core, a matching order.

``symmetry_conditions(P)``: Grochow–Kellis conditions, as Peregrine uses them. While the automorphism
group (restricted to the vertices fixed so far) moves some vertex v, require ``m(v) < m(u)`` for every
other u in v's orbit and continue with v's stabilizer. Every subgraph then matches in exactly one way:
of the |Aut(P)| monomorphisms onto the same vertices, one satisfies all conditions (tested by brute
force), so a plan counts each distinct subgraph once without dividing.

``core(P)``: a minimum vertex cover of the regular edges (Peregrine matches it first; the rest are
candidates of already matched core vertices). ``matching_order(P)``: the core first as far as
connectivity allows (a core like C4's two opposite corners needs a non-core vertex between), each next
vertex adjacent to a matched one, preferring vertices with more matched neighbours (smaller candidate sets) and
then higher degree.
"""

from __future__ import annotations

from itertools import combinations

from ircc.graph.pattern import Pattern


def symmetry_conditions(p: Pattern) -> list[tuple[int, int]]:
    """Pairs (a, b): the data vertex matched to pattern vertex a is smaller than b's."""
    group = p.automorphisms()
    conditions: list[tuple[int, int]] = []
    while len(group) > 1:
        orbits = {v: sorted({g[v] for g in group}) for v in range(p.k)}
        moved = [v for v in range(p.k) if len(orbits[v]) > 1 and v not in p.anti_vertices]
        if not moved:
            break
        # the vertex with the largest orbit breaks the most symmetry (ties: the smallest id)
        v = max(moved, key=lambda x: (len(orbits[x]), -x))
        conditions += [(v, u) for u in orbits[v] if u != v]
        group = [g for g in group if g[v] == v]
    return conditions


def core(p: Pattern) -> list[int]:
    """A minimum vertex cover of the regular edges (the smallest, then lexicographically first)."""
    regular = [u for u in range(p.k) if u not in p.anti_vertices]
    edges = p.edges_list
    for size in range(1, len(regular) + 1):
        for cover in combinations(regular, size):
            chosen = set(cover)
            if all(u in chosen or v in chosen for u, v in edges):
                return list(cover)
    return regular


def matching_order(p: Pattern) -> list[int]:
    """Regular vertices in matching order: core first, always connected to what is matched."""
    degree = {u: len(p.neighbours(u)) for u in range(p.k)}
    in_core = set(core(p))
    regular = [u for u in range(p.k) if u not in p.anti_vertices]
    order = [max(in_core, key=lambda u: (degree[u], -u))]
    while len(order) < len(regular):
        frontier = [u for u in regular if u not in order and any(v in order for v in p.neighbours(u))]
        order.append(max(frontier, key=lambda u: (u in in_core, sum(v in order for v in p.neighbours(u)),
                                                  degree[u], -u)))
    return order
