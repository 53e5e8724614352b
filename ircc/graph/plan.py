"""A pattern query as IR: a function holding one ``graph.pattern`` op, before any planning.

The planner passes then turn it into a matching plan (see ``PLAN_PIPELINE``):

- ``graph-order``: the matching order, core (minimum vertex cover) first;
- ``graph-symmetry``: automorphisms and Grochow–Kellis symmetry-breaking conditions (attributes);
- ``graph-plan``: the loop nest (``graph.for_vertices`` / ``graph.for_each`` over candidate sets built
  from neighbour lists from scratch at every level);
- ``graph-reuse``: hoists set algebra out of loops it does not depend on, shares it, continues a level
  from its parent's candidate set, and applies symmetry bounds before intersecting;
- ``graph-count-last``: the last level counted by set size instead of a loop;
- ``graph-choose``: trailing vertices drawn from one candidate set counted as C(|S|, r);
- ``graph-orient``: cliques run on the degree-ordered orientation (each list holds larger ids only).

Entry points (``labels``: only for labelled patterns):

```
func.func @count(%indptr: memref<?xi64>, %indices: memref<?xi32>, %n: index [, %labels: memref<?xi32>]
                 [, %partial: memref<?xi64>]) -> i64
func.func @exists(... same ...) -> i64                 // 0 or 1
func.func @match(... [, %labels], %offsets: memref<?xi64>, %rows: memref<?xi32>) -> i64
```
"""

from __future__ import annotations

from xdsl.dialects import func
from xdsl.dialects.builtin import FunctionType, IndexType, ModuleOp, i32, i64
from xdsl.ir import Block, Region

from ircc.graph.pattern import Pattern
from ircc.ir.builder import memref_1d
from ircc.ir.dialects import graph as g

INDPTR = memref_1d(i64)
INDICES = memref_1d(i32)

#: the planner, pass by pass (each can be left out for an ablation; graph-plan is the one that must run)
PLAN_PIPELINE = ("graph-order", "graph-symmetry", "graph-plan", "graph-reuse", "graph-count-last", "graph-choose",
                 "graph-orient")
#: the plans a count can run: the planner with optional passes left out, alone or together (what the cost
#: model's ``graph`` family times, and what ``cost="learned"`` chooses between for a data graph)
PLAN_SKIPS = ((), ("graph-orient",), ("graph-reuse",), ("graph-count-last",), ("graph-choose",),
              ("graph-orient", "graph-reuse"), ("graph-reuse", "graph-count-last", "graph-choose"))


def plan_name(skip: tuple[str, ...]) -> str:
    """``skip=none``, ``skip=orient+reuse``, ...: a plan's name in the dataset and the stats."""
    return "skip=" + ("+".join(s.removeprefix("graph-") for s in skip) or "none")


def plan_knobs(skip: tuple[str, ...]) -> dict[str, float]:
    """The cost model's knob columns of a plan: which optional planner passes it leaves out (1.0) or runs."""
    return {"skip_" + p.removeprefix("graph-").replace("-", "_"): float(p in skip)
            for p in PLAN_PIPELINE if p not in ("graph-order", "graph-symmetry", "graph-plan")}


def build_query(p: Pattern, induced: bool = False, op: str = "count", limit: int | None = None,
                partial: bool = False) -> ModuleOp:
    """``@<op>`` over a data graph, holding the unplanned ``graph.pattern``."""
    if induced:
        p = p.induced()
    labelled = any(label is not None for label in p.labels)
    types = [INDPTR, INDICES, IndexType()] + ([INDICES] if labelled else [])
    if op == "match":
        types += [INDPTR, INDICES]
    elif partial:
        types += [INDPTR]
    block = Block(arg_types=types)
    indptr, indices, n = block.args[:3]
    for arg, name in zip(block.args, ("indptr", "indices", "n")):
        arg.name_hint = name
    labels = block.args[3] if labelled else None
    rest = list(block.args[4 if labelled else 3:])
    graph = g.AssembleOp(indptr, indices, n, labels)
    block.add_op(graph)
    extra = {}
    if op == "match":
        extra = {"offsets": rest[0], "rows": rest[1]}
    elif partial:
        extra = {"partial": rest[0]}
    pattern = g.PatternOp(graph.result, p.k, p.edges_list, p.anti_edges_list, p.labels, op, limit, **extra)
    block.add_op(pattern)
    block.add_op(func.ReturnOp(pattern.result))
    fn = func.FuncOp(op, FunctionType.from_lists(types, [i64]), Region(block))
    return ModuleOp([fn])
