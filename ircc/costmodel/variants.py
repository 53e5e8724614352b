"""Groups of equivalent variants, generated from ircc's own choices, for ``ircc costmodel collect``.

A *group* is one computation on one input; its *variants* compute the same result in the ways a pass or the
driver could choose between. Each variant carries the IR its backend lowers (for the features) and a
``run()`` that calls the compiled kernel on prepared arguments (what is timed: no conversions, no checks).

Families:

* ``spgemm``: ``C = A @ A`` by each strategy (spa, hash, esc, heap, hybrid) on seeded R-MAT, uniform,
  Barabási-Albert and 2-D Poisson matrices (``ircc.matrices``);
* ``graph``: a pattern count with the planner's optional passes left out in turn (orientation, reuse,
  counting the last vertex, choose; the plans ``ircc.graph.count`` could run) on seeded random graphs;
* ``backend``: one sympy kernel on the ``llvm`` and the ``numba`` backends (the ``cpu`` target's choice);
* ``egraph``: the extractions the e-graph pass makes for one expression under different per-op cost tables
  (the static table, every op alike, and skewed tables), each distinct result a variant.

Every variant runs on one thread (its time is process CPU time).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

FAMILIES = ("spgemm", "graph", "backend", "egraph")
SPGEMM_STRATEGIES = ("spa", "hash", "esc", "heap", "hybrid")
#: planner passes the graph family leaves out, alone or together (graph-plan itself is required)
GRAPH_SKIPS = ((), ("graph-orient",), ("graph-reuse",), ("graph-count-last",), ("graph-choose",),
               ("graph-orient", "graph-reuse"), ("graph-reuse", "graph-count-last", "graph-choose"))


@dataclass
class Variant:
    name: str
    run: Callable[[], Any]
    ir: str  # the module the backend lowers (MLIR text); its features leave sizes unknown (``Group.inputs``
    # has them), so one variant's features serve every input


@dataclass
class Group:
    family: str
    kernel: str  # the computation (held out whole by the evaluation's splits)
    instance: str  # its input
    inputs: dict[str, float]  # the input's figures (sizes, nonzeros, degrees)
    variants: list[Variant]

    @property
    def key(self) -> str:
        return f"{self.family}/{self.kernel}/{self.instance}"


# -- spgemm ------------------------------------------------------------------------------------------------
def _matrices(rng: np.random.Generator, quick: bool) -> Iterator[tuple[str, Any]]:
    from ircc import matrices as mx

    scales = (7, 8) if quick else (7, 8, 9, 10)
    for s in scales:
        for ef in (4, 8, 16):
            yield f"rmat-s{s}-ef{ef}", mx.rmat(s, ef, seed=int(rng.integers(1 << 30)))
    for n in ((256, 1024) if quick else (256, 1024, 4096)):
        for per_row in (2, 4, 8, 16):
            yield f"uniform-{n}x{per_row}", mx.uniform(n, per_row, seed=int(rng.integers(1 << 30)))
    for n, m in ((500, 2), (2000, 3)) if quick else ((500, 2), (2000, 3), (4000, 5)):
        yield f"ba-{n}-{m}", mx.ba(n, m, seed=int(rng.integers(1 << 30)))
    for k in ((16, 48) if quick else (16, 48, 96)):
        yield f"poisson-{k}", mx.poisson2d(k)


def matrix_figures(A: Any) -> dict[str, float]:
    """What the model knows of a SpGEMM input ``A @ A`` (also asked at call time by ``algorithm="auto"``)."""
    m, n = A.shape
    row_nnz = np.diff(A.indptr)
    lengths = row_nnz[A.indices] if A.nnz else np.zeros(0, np.int64)
    rows = np.repeat(np.arange(m), row_nnz)
    row_flops = np.bincount(rows, weights=lengths, minlength=m) if A.nnz else np.zeros(m)
    flops = float(row_flops.sum())
    mean = flops / max(m, 1)
    return {"m": float(m), "n": float(n), "nnz": float(A.nnz), "flops": flops,
            "nnz_per_row": A.nnz / max(m, 1), "flops_per_row": mean,
            "max_row_flops": float(row_flops.max(initial=0)),
            "cv_row_flops": float(row_flops.std() / mean) if mean else 0.0,
            "max_row_nnz": float(row_nnz.max(initial=0)),
            "flops_per_n": flops / max(n, 1) / max(m, 1)}


def spgemm_groups(rng: np.random.Generator, quick: bool) -> Iterator[Group]:
    import ircc

    kernels = {a: ircc.compile(ircc.sparse.spgemm(), target="llvm", algorithm=a, threads=1)
               for a in SPGEMM_STRATEGIES}
    for name, A in _matrices(rng, quick):
        variants = []
        for a, k in kernels.items():
            k(A, A)  # compiles the variant for A's index widths
            s = k.stats
            inner = k._call.variants[a, s["index_in"], s["index_out"], s["phases"]]
            it = np.int32 if A.indices.dtype == np.int32 else np.int64
            args = (A.indptr.astype(it), A.indices.astype(it), A.data, A.shape[0], A.shape[1],
                    A.indptr.astype(it), A.indices.astype(it), A.data, A.shape[1])
            variants.append(Variant(a, lambda inner=inner, args=args: inner(*args), inner.mlir(-1)))
        yield Group("spgemm", "spgemm-f64", name, matrix_figures(A), variants)


# -- graph ---------------------------------------------------------------------------------------------------
def _graphs(rng: np.random.Generator, quick: bool) -> Iterator[tuple[str, Any]]:
    from ircc import matrices as mx
    from ircc.graph import DataGraph

    for s in ((8, 10) if quick else (8, 10, 11, 12)):
        for ef in (4, 8):
            A = mx.rmat(s, ef, seed=int(rng.integers(1 << 30)))
            yield f"rmat-s{s}-ef{ef}", DataGraph.from_csr(A.indptr, A.indices)
    for n in ((500, 2000) if quick else (500, 2000, 8000)):
        A = mx.uniform(n, 4, seed=int(rng.integers(1 << 30)))
        A = ((A + A.T) > 0).astype(np.float64).tocsr()
        A.setdiag(0)
        A.eliminate_zeros()
        A.sort_indices()
        yield f"uniform-{n}x4", DataGraph.from_csr(A.indptr, A.indices)


def graph_figures(G: Any) -> dict[str, float]:
    deg = np.diff(np.asarray(G.indptr))
    n = max(G.n, 1)
    mean = float(deg.mean()) if len(deg) else 0.0
    return {"vertices": float(G.n), "edges": float(deg.sum() / 2), "mean_degree": mean,
            "max_degree": float(deg.max(initial=0)), "cv_degree": float(deg.std() / mean) if mean else 0.0,
            "wedges": float((deg * (deg - 1) / 2).sum()) / n}


def _patterns() -> list[tuple[str, Any]]:
    from ircc.graph import Pattern

    return [("triangle", Pattern.clique(3)), ("4-cycle", Pattern.cycle(4)), ("4-clique", Pattern.clique(4)),
            ("diamond", Pattern.parse("a-b b-c c-d d-a a-c")), ("tailed-triangle", Pattern.parse("a-b b-c c-a c-d")),
            ("3-star", Pattern.star(4))]


def graph_groups(rng: np.random.Generator, quick: bool) -> Iterator[Group]:
    from ircc.graph.query import compile_query, default_pipeline, query

    plans = {}
    for pname, P in _patterns()[: 3 if quick else None]:
        for skip in GRAPH_SKIPS:
            k = compile_query(query(P), target="llvm", threads=1, pipeline=default_pipeline(1, "llvm", skip))
            plans[pname, skip] = k
    for gname, G in _graphs(rng, quick):
        for pname, _ in _patterns()[: 3 if quick else None]:
            variants, seen = [], set()
            for skip in GRAPH_SKIPS:
                k = plans[pname, skip]
                ir = k.mlir(-1)
                if ir in seen:  # a skipped pass that changed nothing for this pattern: the same plan
                    continue
                seen.add(ir)
                call = k._call
                indptr, indices, _, _ = G.degree_ordered(call.oriented)
                args = (indptr, indices, G.n)
                variants.append(Variant("skip=" + ("+".join(s.removeprefix("graph-") for s in skip) or "none"),
                                        lambda inner=call.kernel, args=args: inner(*args), ir))
            if len(variants) > 1:
                yield Group("graph", f"count-{pname}", gname, graph_figures(G), variants)


# -- backend and egraph: sympy kernels -----------------------------------------------------------------------
def _expressions(rng: np.random.Generator, count: int) -> Iterator[tuple[str, list[Any], list[Any]]]:
    """Seeded sympy expression sets over 2 to 4 variables: polynomials, transcendental mixes, rational terms."""
    import sympy as sp

    xs = sp.symbols("x0:4")
    unary = (sp.sin, sp.cos, sp.exp, sp.log, sp.sqrt, sp.tanh)
    for i in range(count):
        nvars = int(rng.integers(2, 5))
        args = list(xs[:nvars])
        outs = []
        for _ in range(int(rng.integers(1, 4))):
            terms = []
            for _ in range(int(rng.integers(2, 6))):
                a, b = rng.choice(nvars, 2)
                kind = rng.integers(6)
                u = unary[int(rng.integers(len(unary)))]
                if kind == 0:
                    terms.append(args[a] ** int(rng.integers(2, 6)) * args[b])
                elif kind == 1:
                    terms.append(u(args[a] + 1) * args[b])
                elif kind == 2:
                    terms.append(args[a] / (1 + args[b] ** 2))
                elif kind == 3:
                    terms.append(u(args[a]) * u(args[b]) + args[a] * args[b])
                elif kind == 4:  # rewrites the e-graph knows: exp/log products and sums, shared factors
                    terms.append(sp.exp(args[a]) * sp.exp(args[b]) + sp.log(args[a]) + sp.log(args[b]))
                else:
                    terms.append(args[a] * args[b] + args[a] * u(args[b]) + args[a] ** 3 * args[b] ** 2)
            outs.append(sum(terms))
        yield f"expr{i}", outs, args


def _points(rng: np.random.Generator, nvars: int, n: int) -> list[np.ndarray]:
    return [0.2 + 0.6 * rng.random(n) for _ in range(nvars)]


def backend_groups(rng: np.random.Generator, quick: bool) -> Iterator[Group]:
    import ircc

    for name, outs, args in _expressions(rng, 6 if quick else 24):
        kernels = {t: ircc.compile(outs, args=args, target=t, threads=1) for t in ("llvm", "numba")}
        for n in (1_000, 30_000) if quick else (1_000, 10_000, 100_000):
            pts = _points(rng, len(args), n)
            variants = [Variant(t, lambda k=k, pts=pts: k(*pts), k.mlir(-1)) for t, k in kernels.items()]
            yield Group("backend", f"sympy-{name}", f"n{n}", {"points": float(n), "outputs": float(len(outs)),
                                                              "variables": float(len(args))}, variants)


#: per-op cost tables the egraph family extracts under: the static one, every op alike, and tables that
#: turn the trade-offs around (arithmetic dear against transcendental functions, or the other way)
def _tables(static: dict[str, int]) -> dict[str, dict[str, int]]:
    arith = ("add", "sub", "mul", "neg", "fma", "div")
    return {"static": static, "uniform": {op: 1000 for op in static},
            "cheap-math": {op: (c if op in arith else max(1, c // 50)) for op, c in static.items()},
            "dear-arith": {op: (c * 200 if op in arith else c) for op, c in static.items()},
            "dear-mul": {op: c * (100 if op in ("mul", "div") else 1) for op, c in static.items()}}


def egraph_groups(rng: np.random.Generator, quick: bool) -> Iterator[Group]:
    import ircc
    from ircc import costmodel

    static = costmodel.egraph_op_costs("f64")
    for name, outs, args in _expressions(rng, 6 if quick else 24):
        kernels, seen = {}, set()
        for tname, table in _tables(static).items():
            with costmodel.override_egraph_costs(table):
                k = ircc.compile(outs, args=args, target="llvm", threads=1, eqsat=True, fastmath=True)
            ir = k.mlir(-1)
            if ir not in seen:
                seen.add(ir)
                kernels[tname] = k
        if len(kernels) < 2:
            continue
        for n in (1_000, 30_000) if quick else (1_000, 30_000):
            pts = _points(rng, len(args), n)
            variants = [Variant(t, lambda k=k, pts=pts: k(*pts), k.mlir(-1)) for t, k in kernels.items()]
            yield Group("egraph", f"sympy-{name}", f"n{n}", {"points": float(n), "outputs": float(len(outs)),
                                                             "variables": float(len(args))}, variants)


GENERATORS: dict[str, Callable[[np.random.Generator, bool], Iterator[Group]]] = {
    "spgemm": spgemm_groups, "graph": graph_groups, "backend": backend_groups, "egraph": egraph_groups}


def groups(families: tuple[str, ...], seed: int, quick: bool) -> Iterator[Group]:
    """The families' groups, interleaved (a budget cut still sees every family)."""
    gens = [GENERATORS[f](np.random.default_rng([seed, i]), quick) for i, f in enumerate(families)]
    for batch in itertools.zip_longest(*gens):
        for g in batch:
            if g is not None:
                yield g
