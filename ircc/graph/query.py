"""Pattern queries: count, exists, match and the motif census, compiled from the IR.

    n = ircc.graph.count(G, Pattern.clique(4))            # distinct 4-cliques of G
    ircc.graph.exists(G, Pattern.clique(8))               # stops at the first match
    rows = ircc.graph.match(G, Pattern.cycle(4), limit=10)  # (M, k) data vertices, column i = pattern vertex i
    ircc.graph.motifs(G, 4)                               # {Pattern: count} of every connected 4-vertex pattern
    q = ircc.graph.query(Pattern.cycle(4), induced=True)  # or compile once, run on many graphs
    k = ircc.compile(q, target="llvm"); k(G)

A query is a ``graph.pattern`` op (``plan.py``), planned by the passes in ``plan.PLAN_PIPELINE``, lowered
by ``lower-graph`` and compiled by any CPU backend; ``kernel.mlir("input")`` shows the query and the
dumps every step of the plan. Under ``cost="learned"`` (the default where a model ships) a count runs the
plan the model ranks fastest for each data graph large enough to repay the choice (``plan_choice.py``;
``kernel.stats["plan"]``). The data graph is renumbered by ascending degree before the call (once per graph;
counts do not depend on the numbering, and ``match`` maps its rows back).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from itertools import combinations
from typing import Any

import numpy as np

from ircc.errors import IrccError
from ircc.graph.datagraph import DataGraph
from ircc.graph.pattern import Pattern, PatternError

_KERNELS: dict[tuple, Any] = {}
OPS = ("count", "exists", "match")
#: backends with memref.atomic_rmw under threads take root chunks dynamically; the others cyclically
_DYNAMIC = ("llvm",)


@dataclass(frozen=True)
class GraphQuery:
    """What ``ircc.compile`` takes: a pattern, induced or not, the operation and an optional limit."""

    pattern: Pattern
    induced: bool = False
    op: str = "count"
    limit: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.pattern, Pattern):
            raise IrccError(f"ircc.graph.query: the pattern must be an ircc.graph.Pattern, not "
                            f"{type(self.pattern).__name__} (Pattern.parse('a-b b-c c-a'), Pattern.clique(4), ...)")
        if self.op not in OPS:
            raise IrccError(f"ircc.graph.query: op '{self.op}' is not supported; ops are: {', '.join(OPS)}")
        if self.limit is not None and (not isinstance(self.limit, int) or self.limit < 1):
            raise IrccError(f"ircc.graph.query: limit={self.limit!r}; give a positive int or None")


def query(pattern: Pattern, induced: bool = False, op: str = "count", limit: int | None = None) -> GraphQuery:
    return GraphQuery(pattern, induced, op, limit)


def default_pipeline(threads: int, target: str, skip: tuple[str, ...] = ()) -> str:
    """The planner and lowering passes of a query; ``skip`` leaves planner passes out (ablations)."""
    from ircc.graph.plan import PLAN_PIPELINE

    unknown = set(skip) - set(PLAN_PIPELINE) or ({"graph-plan"} & set(skip))
    if unknown:
        raise IrccError(f"ircc.graph: cannot skip {', '.join(sorted(unknown))}; optional planner passes are "
                        f"{', '.join(p for p in PLAN_PIPELINE if p != 'graph-plan')}")
    parallel = "true" if threads > 1 else "false"
    plan = [p if p != "graph-plan" else f"graph-plan{{parallel={parallel}}}" for p in PLAN_PIPELINE if p not in skip]
    schedule = "dynamic" if target in _DYNAMIC else "cyclic"
    return ",".join(plan + [f"lower-graph{{parallel={parallel} schedule={schedule}}}", "canonicalize", "cse"])


class QueryCall:
    """Runs compiled plans on a data graph (a DataGraph, or a networkx graph converted)."""

    def __init__(self, q: GraphQuery, kernel: Any, module: Any, count_kernel: Any = None):
        self.q = q
        self.kernel = kernel
        self.count_kernel = count_kernel
        fn = next(iter(module.ops))
        self.oriented = "ircc.graph_oriented" in fn.attributes
        chunk = fn.attributes.get("ircc.graph_chunk")
        self.chunk = chunk.value.data if chunk is not None else 64
        p = q.pattern.induced() if q.induced else q.pattern
        self.labelled = any(label is not None for label in p.labels)
        self.width = p.k - len(p.anti_vertices)
        # cost=learned: how to compile the plan the model picks (None: no choice), the candidates once built
        self.compile_plan: Any = None
        self.use_cache = True
        self.plans: Any = None
        self._plan_kernels: dict[tuple[str, ...], Any] = {}

    def _chosen(self, G: DataGraph) -> Any:
        """The kernel of the plan the learned model ranks fastest on G (None: this one's, the default)."""
        from ircc.graph.plan_choice import MIN_EDGES, PlanChoice

        if len(G.indices) < 2 * MIN_EDGES:
            return None
        if self.plans is None:
            self.plans = PlanChoice.for_query(self.q, self.use_cache)
            if self.plans is None:  # every plan is the same IR, or no model ranks them
                self.compile_plan = None
                return None
        i = self.plans.choose(G)
        artifact = self.kernel._artifact
        if artifact is not None:
            artifact.stats["last_call"] = {"plan": self.plans.names[i], "plan_chosen_by": "learned cost model"}
        skip = self.plans.skips[i]
        if not skip:
            return None
        if skip not in self._plan_kernels:
            self._plan_kernels[skip] = self.compile_plan(skip)
        return self._plan_kernels[skip]

    def __call__(self, G: Any):
        G = as_datagraph(G)
        if self.labelled and G.labels is None:
            raise IrccError("ircc.graph: the pattern has labels but the data graph has none; build it with "
                            "DataGraph.from_edges(n, edges, labels=...)")
        if G.n == 0:
            return {"count": 0, "exists": False}.get(self.q.op, np.zeros((0, self.width), np.int32))
        if self.compile_plan is not None:
            other = self._chosen(G)
            if other is not None:
                return other(G)
        indptr, indices, labels, old = G.degree_ordered(self.oriented)
        args = [indptr, indices, G.n] + ([labels] if self.labelled else [])
        if self.q.op == "count":
            return int(self.kernel(*args))
        if self.q.op == "exists":
            return bool(self.kernel(*args) > 0)
        chunks = -(-G.n // self.chunk)
        partial = np.zeros(chunks, np.int64)
        self.count_kernel(*args, partial)
        if self.q.limit is not None:
            np.minimum(partial, self.q.limit, out=partial)
        offsets = np.zeros(chunks + 1, np.int64)
        np.cumsum(partial, out=offsets[1:])
        total = int(offsets[-1])
        rows = np.zeros(total * self.width, np.int32)
        self.kernel(*args, offsets, rows)
        out = old[rows.reshape(total, self.width)].astype(np.int32)
        return out[: self.q.limit] if self.q.limit is not None else out


def compile_query(q: GraphQuery, *, target: str = "cpu", **options: Any):
    from ircc.backends import resolve_target
    from ircc.driver import compile_module
    from ircc.graph.plan import build_query
    from ircc.kernel import Kernel
    from ircc.options import Options

    opts = Options.from_kwargs(target=target, **options)
    resolved = resolve_target(target)
    pipeline = default_pipeline(opts.threads, resolved)

    def build(op: str, partial: bool = False):
        def rebuild():
            return build_query(q.pattern, q.induced, op, q.limit, partial=partial)

        module = rebuild()
        return module, compile_module(module, rebuild, pipeline, "graph", entry=op, target=target, **options)

    module, inner = build(q.op)
    count_kernel = build("count", partial=True)[1] if q.op == "match" else None
    stats = dict(inner.compile_stats)
    stats["pattern"] = repr(q.pattern)
    stats["induced"] = q.induced
    stats["op"] = q.op
    call = QueryCall(q, inner, module, count_kernel)
    stats["oriented"] = call.oriented
    if opts.cost == "learned" and q.op == "count" and opts.pipeline is None and resolved in ("llvm", "numba"):
        from ircc.costmodel.learned import model
        from ircc.graph.plan_choice import MIN_EDGES

        m = model()
        if m is not None and m.covers("graph"):
            stats["plan_choice"] = f"learned cost model, per data graph of {MIN_EDGES} edges or more"

            def compile_plan(skip: tuple[str, ...]):
                chosen = {**options, "pipeline": default_pipeline(opts.threads, resolved, skip), "cost": "static"}
                return compile_query(q, target=target, **chosen)

            call.compile_plan = compile_plan
            call.use_cache = opts.cache
    return Kernel(stages=lambda: inner.stages, artifact=inner._artifact, call=call, compile_stats=stats,
                  entry=q.op, target=inner.target)


def _kernel(q: GraphQuery, target: str, threads: int | None, options: dict) -> Any:
    key = (q, target, threads, tuple(sorted(options.items())))
    kernel = _KERNELS.get(key)
    if kernel is None:
        extra = {} if threads is None else {"threads": threads}
        kernel = compile_query(q, target=target, **extra, **options)
        _KERNELS[key] = kernel
    return kernel


def count(G: Any, P: Pattern | list[Pattern], induced: bool = False, target: str = "cpu",
          threads: int | None = None, **options: Any) -> int | list[int]:
    """The number of distinct subgraphs of G matching P (edge-induced unless ``induced``); a list of
    patterns gives a list of counts."""
    if isinstance(P, (list, tuple)):
        G = as_datagraph(G)
        return [count(G, p, induced, target, threads, **options) for p in P]
    return _kernel(query(P, induced), target, threads, options)(G)


def exists(G: Any, P: Pattern, induced: bool = False, target: str = "cpu", threads: int | None = None,
           **options: Any) -> bool:
    """Whether G has a subgraph matching P; every worker stops at the first match."""
    return _kernel(query(P, induced, "exists"), target, threads, options)(G)


def match(G: Any, P: Pattern, induced: bool = False, limit: int | None = None, target: str = "cpu",
          threads: int | None = None, **options: Any) -> np.ndarray:
    """One row per distinct matching subgraph (at most ``limit``): column i holds the data vertex of
    pattern vertex i (anti-vertices have no column). For a networkx graph, ``DataGraph.from_networkx(g)
    .nodes[i]`` is the node of id i."""
    return _kernel(query(P, induced, "match", limit), target, threads, options)(G)


def motifs(G: Any, k: int, target: str = "cpu", threads: int | None = None, method: str = "edge",
           **options: Any) -> dict[Pattern, int]:
    """The vertex-induced census of every connected k-vertex pattern (k = 3, 4, 5).

    ``method="edge"`` (default) counts each pattern edge-induced, which the planner does fastest (stars
    by C(d, r), paths by inclusion–exclusion, no anti-edges to test), then solves for the induced counts:
    an edge-induced count of P sums, over the patterns Q with P as a spanning subgraph, the induced
    count of Q times the number of ways P sits in Q. ``method="induced"`` counts each pattern with
    its anti-edges directly (the check of the other)."""
    if k not in (3, 4, 5):
        raise PatternError(f"ircc.graph.motifs: k={k}; the census covers k = 3, 4 and 5")
    if method not in ("edge", "induced"):
        raise IrccError(f"ircc.graph.motifs: method='{method}'; use 'edge' or 'induced'")
    G = as_datagraph(G)
    patterns = sorted(Pattern.all_connected(k), key=lambda p: -len(p.edges))
    if method == "induced":
        return dict(zip(patterns, count(G, patterns, True, target, threads, **options)))
    edge_counts = dict(zip(patterns, count(G, patterns, False, target, threads, **options)))
    induced: dict[Pattern, int] = {}
    for p in patterns:  # densest first: every Q containing p is solved already
        induced[p] = edge_counts[p] - sum(_embeddings(p, q) * induced[q] for q in induced if q != p)
    return {p: induced[p] for p in sorted(patterns, key=lambda p: len(p.edges))}


@cache
def _embeddings(p: Pattern, q: Pattern) -> int:
    """The number of edge subsets of q (on all of q's vertices) that form a copy of p."""
    if len(p.edges) >= len(q.edges):
        return 0
    found = 0
    for subset in combinations(q.edges_list, len(p.edges)):
        if len({u for e in subset for u in e}) != q.k:
            continue
        try:
            if Pattern(q.k, subset) == p:
                found += 1
        except PatternError:  # disconnected
            continue
    return found


def as_datagraph(G: Any) -> DataGraph:
    if isinstance(G, DataGraph):
        return G
    if hasattr(G, "is_directed") and hasattr(G, "edges"):
        return DataGraph.from_networkx(G)
    raise IrccError(f"ircc.graph: the data graph must be a DataGraph or a networkx graph, not {type(G).__name__}")
