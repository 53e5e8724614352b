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


def symmetry_conditions(p: Pattern, order: list[int] | None = None) -> list[tuple[int, int]]:
    """Pairs (a, b): the data vertex matched to pattern vertex a is smaller than b's. Among the vertices
    with the largest orbit the one matched earliest (``order``) is fixed first, so the conditions bind
    the first levels and leave trailing vertices free (``graph-choose`` needs them so)."""
    rank = {u: i for i, u in enumerate(order)} if order is not None else {u: u for u in range(p.k)}
    group = p.automorphisms()
    conditions: list[tuple[int, int]] = []
    while len(group) > 1:
        orbits = {v: sorted({g[v] for g in group}) for v in range(p.k)}
        moved = [v for v in range(p.k) if len(orbits[v]) > 1 and v not in p.anti_vertices]
        if not moved:
            break
        # the vertex with the largest orbit breaks the most symmetry (ties: the smallest id)
        v = max(moved, key=lambda x: (len(orbits[x]), -rank.get(x, x)))
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


def regular_automorphisms(p: Pattern) -> int:
    """|Aut(P)| as the matcher sees it: automorphisms restricted to the regular vertices (distinct ones)."""
    regular = [u for u in range(p.k) if u not in p.anti_vertices]
    return len({tuple(perm[u] for u in regular) for perm in p.automorphisms()})


def breadth_first_order(p: Pattern) -> list[int]:
    """Regular vertices in breadth-first order from the smallest id (the order without ``graph-order``)."""
    regular = [u for u in range(p.k) if u not in p.anti_vertices]
    order = [regular[0]]
    for u in order:
        order += [v for v in p.neighbours(u) if v not in order]
    return order


def transitive_reduction(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The pairs (a, b) not implied by a chain a < c < ... < b of other pairs (all of them are enforced)."""
    after: dict[int, set[int]] = {}
    for a, b in pairs:
        after.setdefault(a, set()).add(b)

    def reaches(a: int, b: int, skip: tuple[int, int]) -> bool:
        todo, seen = [a], {a}
        while todo:
            x = todo.pop()
            for y in after.get(x, ()):
                if (x, y) == skip or y in seen:
                    continue
                if y == b:
                    return True
                seen.add(y)
                todo.append(y)
        return False

    return [(a, b) for a, b in pairs if not reaches(a, b, (a, b))]
