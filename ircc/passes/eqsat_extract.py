"""DAG-aware extraction from a serialized egglog e-graph.

egglog's own extractor minimizes the *tree* cost of each root: a subterm used twice is paid twice, so it
prefers rewrites that duplicate work a DAG would share (and cannot see that ``1/d`` serves three divisions).
Here the cost of a program is the sum, over the distinct e-classes it computes, of the chosen node's cost:

1. tree costs by a worklist fixpoint (Bellman-Ford over e-nodes) give an acyclic first choice per e-class;
   the program the e-graph was loaded with (found again by walking its terms through the e-classes) is the
   other start, and the cheaper of the two is refined, so extraction never returns a program dearer than
   the one it was given;
2. rounds of re-choice: with the current program's set of computed e-classes ``S``, each e-class in ``S``
   takes the node minimizing ``cost(node) + sum(share of children not in S)``: a child already computed is
   free, one that ``k`` e-classes of ``S`` could use (a node of theirs reads it) costs its best tree cost / k
   (so three divisions by ``d`` can discover that one ``1/d`` serves all three); a round is kept only if it
   lowers the program's DAG cost and stays acyclic.

Node costs are the constructors' ``:cost`` (the per-op table from ``ircc.costmodel``) as the serialized
e-graph reports them; ``PowI`` is priced by its square-and-multiply chain (plus one, so that on a tie the
explicit multiplications, which share with the rest of the program, win).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field

from ircc.passes.eqsat_bridge import LEAF_OPS, powi_chain


@dataclass
class Node:
    op: str
    eclass: str
    children: list[str]  # e-classes of the M-typed children
    ints: list[int]
    floats: list[float]
    cost: float


@dataclass
class Graph:
    nodes: list[Node] = field(default_factory=list)
    classes: dict[str, list[int]] = field(default_factory=dict)  # e-class -> node indices
    lets: dict[str, str] = field(default_factory=dict)  # let name ($vK) -> e-class


def parse(serialized_json: str, mul_cost: int, sort: str = "M") -> Graph:
    """The ``sort``-typed part of egglog's serialized e-graph."""
    data = json.loads(serialized_json)
    raw = data["nodes"]
    graph = Graph()
    for cls, info in data.get("class_data", {}).items():
        if info.get("type") == sort and "let" in info:
            for name in info["let"].split(", "):
                graph.lets[name] = cls
    for info in raw.values():
        cls = info["eclass"]
        if not cls.startswith(sort + "-"):
            continue
        children, ints, floats = [], [], []
        for child in info["children"]:
            c = raw[child]
            ccls = c["eclass"]
            if ccls.startswith(sort + "-"):
                children.append(ccls)
            elif ccls.startswith("i64-"):
                ints.append(int(c["op"]))
            elif ccls.startswith("f64-"):
                floats.append(float(c["op"]))
        op = info["op"]
        if op in LEAF_OPS:
            cost = 0.0
        elif op == "PowI":
            cost = float(mul_cost * powi_chain(ints[0]) + 1)  # a tie goes to the explicit multiplications
        else:
            cost = float(info["cost"])
        graph.classes.setdefault(cls, []).append(len(graph.nodes))
        graph.nodes.append(Node(op, cls, children, ints, floats, cost))
    return graph


def tree_costs(graph: Graph) -> tuple[dict[str, float], dict[str, int]]:
    """Best tree cost and node per e-class (worklist fixpoint)."""
    best: dict[str, float] = {c: math.inf for c in graph.classes}
    choice: dict[str, int] = {}
    parents: dict[str, list[int]] = {}
    for i, n in enumerate(graph.nodes):
        for c in n.children:
            parents.setdefault(c, []).append(i)
    work = [i for i, n in enumerate(graph.nodes) if not n.children]
    while work:
        nxt: list[int] = []
        for i in work:
            n = graph.nodes[i]
            c = n.cost + sum(best[ch] for ch in n.children)
            if c < best[n.eclass]:
                best[n.eclass] = c
                choice[n.eclass] = i
                nxt.extend(parents.get(n.eclass, ()))
        work = list(dict.fromkeys(nxt))
    return best, choice


def dag_cost(graph: Graph, choice: dict[str, int], roots: list[str]) -> tuple[float, set[str]] | None:
    """The program's cost (each e-class once) and its e-classes; None if the choice has a cycle."""
    result = _walk(graph, choice, roots)
    return None if isinstance(result, list) else result


def _walk(graph: Graph, choice: dict[str, int], roots: list[str]) -> tuple[float, set[str]] | list[str]:
    """(cost, e-classes) of the chosen program, or the e-classes of a cycle in it."""
    seen: set[str] = set()
    total = 0.0
    for root in roots:
        if root in seen:
            continue
        path = [root]
        stack = [iter(graph.nodes[choice[root]].children)]
        on_path = {root}
        seen.add(root)
        total += graph.nodes[choice[root]].cost
        while stack:
            child = next(stack[-1], None)
            if child is None:
                stack.pop()
                on_path.discard(path.pop())
                continue
            if child in on_path:
                return path[path.index(child):]
            if child in seen:
                continue
            seen.add(child)
            on_path.add(child)
            path.append(child)
            node = graph.nodes[choice[child]]
            total += node.cost
            stack.append(iter(node.children))
    return total, seen


def extract(graph: Graph, roots: list[str], rounds: int = 8,
            loaded: dict[str, str] | None = None) -> tuple[dict[str, int], float, float]:
    """The chosen node per e-class, the program's DAG cost, and the loaded program's cost as the e-graph
    sees it (``inf`` without ``loaded``: let name -> term text, the program the e-graph started from, which
    is also a second starting point). The loaded program's cost counts congruent duplicates once (``k*y``
    and ``y*k`` after commutation): merges LLVM's own CSE makes too."""
    best, choice = tree_costs(graph)
    missing = [r for r in roots if r not in choice]
    if missing:
        raise ValueError(f"e-classes without a finite extraction: {missing[:3]}")
    result = dag_cost(graph, choice, roots)
    assert result is not None, "tree-cost extraction is acyclic"
    cost, used = result
    loaded_cost = math.inf
    if loaded:
        seeded = dict(choice)
        seeded.update(_loaded_choice(graph, loaded))
        seeded_result = dag_cost(graph, seeded, roots)
        if seeded_result is not None:
            loaded_cost = seeded_result[0]
            if loaded_cost < cost:
                choice, (cost, used) = seeded, seeded_result
    for _ in range(rounds):
        proposal = dict(choice)
        changed = False
        demand: dict[str, int] = {}
        for cls in used:
            wanted = {ch for i in graph.classes[cls] for ch in graph.nodes[i].children if ch not in used}
            for ch in wanted:
                demand[ch] = demand.get(ch, 0) + 1
        share = {ch: best[ch] / k for ch, k in demand.items()}
        for cls in used:
            current = choice[cls]
            best_i, best_c = current, _marginal(graph.nodes[current], used, share)
            for i in graph.classes[cls]:
                if cls in graph.nodes[i].children:
                    continue  # x = 1 * x: never the way to compute x
                c = _marginal(graph.nodes[i], used, share)
                if c < best_c - 1e-9 and all(ch in best and best[ch] < math.inf for ch in graph.nodes[i].children):
                    best_i, best_c = i, c
            if best_i != current:
                proposal[cls] = best_i
                changed = True
        if not changed:
            break
        result = _acyclic(graph, proposal, choice, roots)
        if result is None:
            break
        new_cost, new_used, proposal = result
        if new_cost >= cost - 1e-9:
            break
        choice, cost, used = proposal, new_cost, new_used
    return choice, cost, loaded_cost


_TOKEN = re.compile(r"\(|\)|[^\s()]+")


def _parse_term(text: str):
    """``(Add (Leaf 0) $v3)`` -> ``("Add", ("Leaf", 0), "$v3")``; numbers as int / float."""
    stack: list[list] = [[]]
    for tok in _TOKEN.findall(text):
        if tok == "(":
            stack.append([])
        elif tok == ")":
            done = tuple(stack.pop())
            stack[-1].append(done)
        elif tok[0] == "$" or tok[0].isalpha():
            stack[-1].append(tok)
        else:
            stack[-1].append(float(tok) if any(c in tok for c in ".en") else int(tok))
    return stack[0][0]


def _loaded_choice(graph: Graph, loaded: dict[str, str]) -> dict[str, int]:
    """The nodes of the loaded program, found by walking its terms from each let's e-class."""
    terms = {name: _parse_term(text) for name, text in loaded.items()}
    leaf_class: dict[tuple, str] = {}
    for n in graph.nodes:
        if n.op in LEAF_OPS:
            leaf_class[(n.op, *(n.ints or n.floats))] = n.eclass
    choice: dict[str, int] = {}

    def known(arg) -> str | None:
        if isinstance(arg, str):
            return graph.lets.get(arg)
        if arg[0] in LEAF_OPS:
            return leaf_class.get(arg)
        return None

    def walk(cls: str, term) -> None:
        if isinstance(term, str):
            term = terms.get(term)
            if term is None:
                return
        if cls in choice:
            return
        op, args = term[0], term[1:]
        kids = [a for a in args if isinstance(a, (tuple, str))]
        prims = [a for a in args if not isinstance(a, (tuple, str))]
        best_i, best_score = None, -1
        for i in graph.classes.get(cls, ()):
            n = graph.nodes[i]
            if n.op != op or len(n.children) != len(kids) or (n.ints or n.floats) != prims:
                continue
            score = sum(1 for ch, a in zip(n.children, kids) if known(a) == ch)
            if score > best_score:
                best_i, best_score = i, score
        if best_i is None:
            return
        choice[cls] = best_i
        for ch, a in zip(graph.nodes[best_i].children, kids):
            walk(ch, a)

    for name in terms:
        cls = graph.lets.get(name)
        if cls is not None:
            walk(cls, name)
    return choice


def _marginal(node: Node, used: set[str], share: dict[str, float]) -> float:
    return node.cost + sum(0.0 if ch in used else share.get(ch, math.inf) for ch in node.children)


def _acyclic(graph: Graph, proposal: dict[str, int], previous: dict[str, int], roots: list[str]):
    """Undo the proposed changes on each cycle the proposal closes (the previous choice is acyclic)."""
    while True:
        result = _walk(graph, proposal, roots)
        if not isinstance(result, list):
            return result[0], result[1], proposal
        changed = [c for c in result if proposal[c] != previous[c]]
        if not changed:
            return None
        for c in changed:
            proposal[c] = previous[c]


def program_of(graph: Graph, choice: dict[str, int], roots: dict) -> tuple[str, dict, dict[str, str]]:
    """The chosen program as egglog ``let``s (roots and e-classes used twice; the rest inline), the
    root -> let name map, and let name -> term (what ``extract(loaded=)`` takes)."""
    uses: dict[str, int] = {}
    result = dag_cost(graph, choice, list(roots.values()))
    assert result is not None
    for cls in result[1]:
        for ch in graph.nodes[choice[cls]].children:
            uses[ch] = uses.get(ch, 0) + 1
    root_classes = set(roots.values())
    names = {cls: f"$c{k}" for k, cls in enumerate(sorted(c for c in result[1]
                                                          if c in root_classes or uses.get(c, 0) > 1))}
    lets: dict[str, str] = {}  # in definition order

    def term(cls: str, top: bool = False) -> str:
        if not top and cls in names:
            if names[cls] not in lets:
                lets[names[cls]] = term(cls, True)
            return names[cls]
        node = graph.nodes[choice[cls]]
        if node.op in ("Leaf", "Special"):
            return f"({node.op} {node.ints[0]})"
        if node.op == "Num":
            return f"(Num {node.floats[0]!r})"
        args = [term(c) for c in node.children]
        if node.op == "PowI":
            args.append(str(node.ints[0]))
        return f"({node.op} {' '.join(args)})"

    for cls in roots.values():
        term(cls)
    text = "\n".join(f"(let {name} {body})" for name, body in lets.items())
    return text, {value: names[cls] for value, cls in roots.items()}, lets
