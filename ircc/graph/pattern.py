"""Patterns for graph mining: small graphs with edges, anti-edges, anti-vertices and optional labels.

    P = Pattern.parse("a-b b-c c-a a!d b!d c!d")   # a triangle no vertex outside it closes (d: anti-vertex)
    P = Pattern.parse("[1-2][2-3](1~3)")            # Peregrine's notation: [u-v] edge, (u~v) anti-edge
    P = Pattern.clique(4); Pattern.all_connected(4)  # generators (k = number of vertices)

Vertices are numbered 0..k-1 in order of first appearance (``names`` keeps what the user wrote).
An anti-vertex is a vertex with anti-edges only. Patterns are hashable and compare equal when
isomorphic (same edges, anti-edges and labels up to renumbering): ``canonical()`` is the smallest
encoding over the renumberings that keep each vertex's invariants in order, ``automorphisms()`` the
renumberings that map the pattern onto itself (the planner's symmetry breaking starts from them).
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Sequence
from functools import cached_property
from typing import Any

from ircc.errors import IrccError

#: the largest pattern the planner takes
MAX_VERTICES = 8


class PatternError(IrccError, ValueError):
    """A pattern that cannot be matched: what is wrong with it and what to do."""


class Pattern:
    """An immutable pattern; build it with the class methods."""

    def __init__(self, k: int, edges: Iterable[tuple[int, int]], anti_edges: Iterable[tuple[int, int]] = (),
                 labels: Sequence[int | None] | None = None, names: Sequence[Hashable] | None = None):
        self.k = k
        self.edges = frozenset(_pair(u, v, k) for u, v in edges)
        self.anti_edges = frozenset(_pair(u, v, k) for u, v in anti_edges)
        both = self.edges & self.anti_edges
        if both:
            u, v = sorted(next(iter(both)))
            raise PatternError(f"pattern: {self._name(names, u)}-{self._name(names, v)} is both an edge and an "
                               f"anti-edge")
        self.labels = tuple(labels) if labels is not None else (None,) * k
        if len(self.labels) != k:
            raise PatternError(f"pattern: {len(self.labels)} labels for {k} vertices")
        self.names = tuple(names) if names is not None else tuple(range(k))
        self._validate()

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_edges(cls, edges: Iterable[tuple[Hashable, Hashable]],
                   anti_edges: Iterable[tuple[Hashable, Hashable]] = (),
                   labels: dict[Hashable, int] | Sequence[int | None] | None = None) -> Pattern:
        """Vertices are named by what the edges hold (numbered in order of first appearance)."""
        edges, anti_edges = list(edges), list(anti_edges)
        names: list[Hashable] = []
        index: dict[Hashable, int] = {}
        for u, v in edges + anti_edges:
            for x in (u, v):
                if x not in index:
                    index[x] = len(names)
                    names.append(x)
        if isinstance(labels, dict):
            for x in labels:
                if x not in index:
                    raise PatternError(f"pattern: label given for {x!r}, which no edge or anti-edge names")
            labels = [labels.get(x) for x in names]
        return cls(len(names), [(index[u], index[v]) for u, v in edges],
                   [(index[u], index[v]) for u, v in anti_edges], labels, names)

    @classmethod
    def parse(cls, text: str) -> Pattern:
        """``"a-b b-c a!c"`` (``-`` edge, ``!`` anti-edge, ``a:3`` labels a with 3) or Peregrine's
        ``"[1-2][2-3](1~3)"``."""
        text = text.strip()
        if text.startswith(("[", "(")):
            return cls._parse_peregrine(text)
        edges, anti, labels = [], [], {}
        for token in text.split():
            m = re.fullmatch(r"(\w+)(?::(\d+))?(?:([-!])(\w+)(?::(\d+))?)?", token)
            if m is None:
                raise PatternError(f"pattern: cannot read {token!r} in {text!r}; write u-v (edge), u!v "
                                   f"(anti-edge), with u:3 to label u with 3")
            u, lu, kind, v, lv = m.groups()
            for name, label in ((u, lu), (v, lv)):
                if name is not None and label is not None:
                    if labels.get(name, int(label)) != int(label):
                        raise PatternError(f"pattern: vertex {name} has two labels ({labels[name]} and {label})")
                    labels[name] = int(label)
            if kind is None and lu is not None:
                continue  # "u:3" alone labels a vertex an edge names
            if kind is None:
                raise PatternError(f"pattern: {token!r} names a vertex but no edge; every vertex needs an edge "
                                   f"or an anti-edge")
            (edges if kind == "-" else anti).append((u, v))
        return cls.from_edges(edges, anti, labels)

    @classmethod
    def _parse_peregrine(cls, text: str) -> Pattern:
        edges, anti = [], []
        for m in re.finditer(r"\s*(\[|\()\s*(\w+)\s*([-~])\s*(\w+)\s*(\]|\))", text):
            opening, u, kind, v, closing = m.groups()
            if (opening, kind, closing) not in (("[", "-", "]"), ("(", "~", ")")):
                raise PatternError(f"pattern: {m.group(0).strip()!r}: Peregrine's notation is [u-v] for an edge "
                                   f"and (u~v) for an anti-edge")
            (edges if kind == "-" else anti).append((u, v))
        rest = re.sub(r"\s*(\[|\()\s*(\w+)\s*([-~])\s*(\w+)\s*(\]|\))", "", text).strip()
        if rest:
            raise PatternError(f"pattern: cannot read {rest!r} in {text!r}")
        return cls.from_edges(edges, anti)

    @classmethod
    def from_networkx(cls, g: Any, label: str = "label") -> Pattern:
        if g.is_directed():
            raise PatternError("pattern: directed graphs are not patterns; convert with g.to_undirected()")
        labels = {x: d[label] for x, d in g.nodes(data=True) if label in d}
        edges = list(g.edges())
        missing = [x for x in g.nodes if g.degree(x) == 0]
        if missing:
            raise PatternError(f"pattern: vertex {missing[0]!r} has no edge (patterns must be connected)")
        return cls.from_edges(edges, labels=labels or None)

    @classmethod
    def clique(cls, k: int) -> Pattern:
        return cls(k, [(u, v) for u in range(k) for v in range(u + 1, k)])

    @classmethod
    def cycle(cls, k: int) -> Pattern:
        if k < 3:
            raise PatternError(f"pattern: a cycle needs at least 3 vertices, not {k}")
        return cls(k, [(u, (u + 1) % k) for u in range(k)])

    @classmethod
    def path(cls, k: int) -> Pattern:
        """A path of k vertices."""
        return cls(k, [(u, u + 1) for u in range(k - 1)])

    @classmethod
    def star(cls, k: int) -> Pattern:
        """A centre and k - 1 leaves (k vertices)."""
        return cls(k, [(0, u) for u in range(1, k)])

    @classmethod
    def all_connected(cls, k: int, induced: bool = False) -> list[Pattern]:
        """Every connected pattern of k vertices up to isomorphism (2 / 6 / 21 / 112 for k = 3..6), each with
        anti-edges on its non-edges when ``induced``."""
        if not 2 <= k <= MAX_VERTICES:
            raise PatternError(f"pattern: all_connected takes 2 to {MAX_VERTICES} vertices, not {k}")
        level = {cls(2, [(0, 1)])}
        for size in range(3, k + 1):  # every connected graph is a smaller one plus a vertex (a non-cut one)
            grown = set()
            for p in level:
                for mask in range(1, 1 << (size - 1)):
                    new = [(u, size - 1) for u in range(size - 1) if mask >> u & 1]
                    grown.add(cls(size, list(p.edges_list) + new))
            level = grown
        out = sorted(level, key=lambda p: (len(p.edges), p.canonical()))
        return [p.induced() for p in out] if induced else out

    # -- derived patterns -----------------------------------------------------------------------
    def induced(self) -> Pattern:
        """The vertex-induced form: an anti-edge between every two non-adjacent (regular) vertices."""
        regular = [u for u in range(self.k) if u not in self.anti_vertices]
        anti = set(self.anti_edges) | {frozenset((u, v)) for i, u in enumerate(regular) for v in regular[i + 1:]
                                        if frozenset((u, v)) not in self.edges}
        return Pattern(self.k, self.edges_list, [tuple(sorted(e)) for e in anti], self.labels, self.names)

    # -- structure ------------------------------------------------------------------------------
    @property
    def edges_list(self) -> list[tuple[int, int]]:
        return sorted(tuple(sorted(e)) for e in self.edges)  # type: ignore[misc]

    @property
    def anti_edges_list(self) -> list[tuple[int, int]]:
        return sorted(tuple(sorted(e)) for e in self.anti_edges)  # type: ignore[misc]

    @cached_property
    def anti_vertices(self) -> frozenset[int]:
        touched = {u for e in self.edges for u in e}
        return frozenset(u for u in range(self.k) if u not in touched)

    def neighbours(self, u: int) -> list[int]:
        return sorted(v for e in self.edges if u in e for v in e if v != u)

    def anti_neighbours(self, u: int) -> list[int]:
        return sorted(v for e in self.anti_edges if u in e for v in e if v != u)

    def _invariant(self, u: int) -> tuple:
        label = self.labels[u]
        return (u in self.anti_vertices, -1 if label is None else label, len(self.neighbours(u)),
                len(self.anti_neighbours(u)))

    def _encode(self, order: Sequence[int]) -> tuple:
        """The pattern with vertex order[i] renamed i: labels, then edge and anti-edge bits over the pairs."""
        bits = []
        for i in range(self.k):
            for j in range(i + 1, self.k):
                pair = frozenset((order[i], order[j]))
                bits.append(2 if pair in self.edges else 1 if pair in self.anti_edges else 0)
        return tuple(-1 if self.labels[u] is None else self.labels[u] for u in order), tuple(bits)

    def _orders(self):
        """Vertex orders that list the invariant classes in a fixed order (the only ones canonical() tries)."""
        classes: dict[tuple, list[int]] = {}
        for u in range(self.k):
            classes.setdefault(self._invariant(u), []).append(u)
        groups = [classes[key] for key in sorted(classes)]

        def extend(prefix: list[int], gi: int, remaining: list[int]):
            if gi == len(groups):
                yield prefix
                return
            if not remaining:
                yield from extend(prefix, gi + 1, groups[gi + 1] if gi + 1 < len(groups) else [])
                return
            for u in remaining:
                yield from extend(prefix + [u], gi, [x for x in remaining if x != u])

        yield from extend([], 0, groups[0] if groups else [])

    @cached_property
    def _canonical(self) -> tuple:
        return min(self._encode(order) for order in self._orders())

    def canonical(self) -> tuple:
        """A form equal for isomorphic patterns and different otherwise (with k)."""
        return (self.k, self._canonical)

    @cached_property
    def _automorphisms(self) -> tuple[tuple[int, ...], ...]:
        inv = [self._invariant(u) for u in range(self.k)]

        def relation(u: int, v: int) -> int:
            pair = frozenset((u, v))
            return 2 if pair in self.edges else 1 if pair in self.anti_edges else 0

        found: list[tuple[int, ...]] = []

        def extend(perm: list[int]) -> None:
            i = len(perm)
            if i == self.k:
                found.append(tuple(perm))
                return
            for u in range(self.k):
                if u in perm or inv[u] != inv[i]:
                    continue
                if all(relation(j, i) == relation(perm[j], u) for j in range(i)):
                    extend(perm + [u])

        extend([])
        return tuple(sorted(found))

    def automorphisms(self) -> list[tuple[int, ...]]:
        """Permutations p (vertex i -> p[i]) that map edges, anti-edges and labels onto themselves."""
        return list(self._automorphisms)

    def __hash__(self) -> int:
        return hash(self.canonical())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Pattern) and self.canonical() == other.canonical()

    def __repr__(self) -> str:
        parts = [f"{self._name(self.names, u)}-{self._name(self.names, v)}" for u, v in self.edges_list]
        parts += [f"{self._name(self.names, u)}!{self._name(self.names, v)}" for u, v in self.anti_edges_list]
        for u, label in enumerate(self.labels):
            if label is not None:
                parts.append(f"{self._name(self.names, u)}:{label}")
        return f"Pattern.parse({' '.join(parts)!r})"

    # -- checks ---------------------------------------------------------------------------------
    @staticmethod
    def _name(names: Sequence[Hashable] | None, u: int) -> str:
        return str(names[u]) if names is not None and u < len(names) else str(u)

    def _validate(self) -> None:
        if self.k > MAX_VERTICES:
            raise PatternError(f"pattern: {self.k} vertices; patterns have at most {MAX_VERTICES} (larger ones "
                               f"need a different planner: split the query)")
        if self.k == 0 or not self.edges:
            raise PatternError("pattern: no edges; a pattern needs at least one edge")
        regular = [u for u in range(self.k) if u not in self.anti_vertices]
        seen, todo = {regular[0]}, [regular[0]]
        while todo:
            u = todo.pop()
            for v in self.neighbours(u):
                if v not in seen:
                    seen.add(v)
                    todo.append(v)
        if len(seen) != len(regular):
            apart = self._name(self.names, min(set(regular) - seen))
            raise PatternError(f"pattern: disconnected (vertex {apart} is not reachable by edges); count each "
                               f"connected part separately")
        for w in self.anti_vertices:
            if any(x in self.anti_vertices for x in self.anti_neighbours(w)):
                raise PatternError(f"pattern: anti-vertex {self._name(self.names, w)} has an anti-edge to "
                                   f"another anti-vertex; anti-vertices connect to regular vertices only")


def _pair(u: int, v: int, k: int) -> frozenset[int]:
    if not (0 <= u < k and 0 <= v < k):
        raise PatternError(f"pattern: edge ({u}, {v}) names a vertex outside 0..{k - 1}")
    if u == v:
        raise PatternError(f"pattern: self-loop on vertex {u}; patterns are simple graphs")
    return frozenset((u, v))
