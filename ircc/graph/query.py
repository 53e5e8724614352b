"""Pattern queries: ``count(G, P)`` and the reusable ``query(P)`` compiled with ``ircc.compile``.

    n = ircc.graph.count(G, Pattern.clique(4))            # distinct 4-cliques of G
    q = ircc.graph.query(Pattern.cycle(4), induced=True)  # or compile once, run on many graphs
    k = ircc.compile(q, target="llvm"); k(G)

A query is planned in the ``graph`` dialect (``plan.py``), lowered by ``lower-graph`` and compiled by
any CPU backend; ``kernel.mlir("input")`` shows the plan. Counting is what this step provides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ircc.errors import IrccError
from ircc.graph.datagraph import DataGraph
from ircc.graph.pattern import Pattern

_KERNELS: dict[tuple, Any] = {}
OPS = ("count",)


@dataclass(frozen=True)
class GraphQuery:
    """What ``ircc.compile`` takes: a pattern, induced or not, and the operation."""

    pattern: Pattern
    induced: bool = False
    op: str = "count"

    def __post_init__(self) -> None:
        if not isinstance(self.pattern, Pattern):
            raise IrccError(f"ircc.graph.query: the pattern must be an ircc.graph.Pattern, not "
                            f"{type(self.pattern).__name__} (Pattern.parse('a-b b-c c-a'), Pattern.clique(4), ...)")
        if self.op not in OPS:
            raise IrccError(f"ircc.graph.query: op '{self.op}' is not supported; ops are: {', '.join(OPS)}")


def query(pattern: Pattern, induced: bool = False, op: str = "count") -> GraphQuery:
    return GraphQuery(pattern, induced, op)


class QueryCall:
    """Runs a compiled plan on a data graph (a DataGraph, or a networkx graph converted)."""

    def __init__(self, kernel: Any):
        self.kernel = kernel

    def __call__(self, G: Any) -> int:
        G = as_datagraph(G)
        if G.n == 0:
            return 0
        return int(self.kernel(G.indptr, G.indices, G.n))


def compile_query(q: GraphQuery, *, target: str = "cpu", **options: Any):
    from ircc.driver import compile_module
    from ircc.graph.plan import build_count
    from ircc.kernel import Kernel
    from ircc.options import Options

    def rebuild():
        return build_count(q.pattern, q.induced)

    threads = Options.from_kwargs(target=target, **options).threads
    pipeline = f"lower-graph{{parallel={'true' if threads > 1 else 'false'}}},canonicalize,cse"
    inner = compile_module(rebuild(), rebuild, pipeline, "graph", entry="count", target=target, **options)
    stats = dict(inner.compile_stats)
    stats["pattern"] = repr(q.pattern)
    stats["induced"] = q.induced
    return Kernel(stages=lambda: inner.stages, artifact=inner._artifact, call=QueryCall(inner),
                  compile_stats=stats, entry="count", target=inner.target)


def count(G: Any, P: Pattern | list[Pattern], induced: bool = False, target: str = "cpu",
          threads: int | None = None, **options: Any) -> int | list[int]:
    """The number of distinct subgraphs of G matching P (edge-induced unless ``induced``); a list of
    patterns gives a list of counts."""
    if isinstance(P, (list, tuple)):
        G = as_datagraph(G)
        return [count(G, p, induced, target, threads, **options) for p in P]
    extra = {} if threads is None else {"threads": threads}
    key = (P, induced, target, threads, tuple(sorted(options.items())))
    kernel = _KERNELS.get(key)
    if kernel is None:
        kernel = compile_query(query(P, induced), target=target, **extra, **options)
        _KERNELS[key] = kernel
    return kernel(G)


def as_datagraph(G: Any) -> DataGraph:
    if isinstance(G, DataGraph):
        return G
    if hasattr(G, "is_directed") and hasattr(G, "edges"):
        return DataGraph.from_networkx(G)
    raise IrccError(f"ircc.graph: the data graph must be a DataGraph or a networkx graph, not {type(G).__name__}")
