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
* ``egraph``: the extractions the e-graph pass makes for one expression (fastmath) with different rulesets
  (none, the exact ones, all, all but one family), each distinct result a variant;
* ``matmul``: an f32 ``linalg.matmul`` of seeded shapes (skinny ones included) by each ``lower-matmul``
  strategy: a BLAS call, or the (i, k, j) loop nest LLVM vectorizes (knob ``blas_mkl``: collected in a process
  with torch loaded, the calls go to its MKL);
* ``spgemm-parallel``: the SpGEMM strategies on every core of the machine (``threads`` among the inputs);
* ``loop-order``: one f32 ``linalg.generic`` (products, with B or A transposed, batched; transposes, alone, with
  an addition, batched, and a 3-D permutation; row and column sums; a broadcast) of seeded static shapes with
  each dimension that may go innermost moved last (``linalg-interchange{inner=d}``), each variant's features
  read from the generic lowered alone (``linalg_loop_order``, as the pass reads its candidates).
* ``tile``: the same generics on larger shapes (1 MiB of operands or more), in the loop order
  ``linalg-interchange`` gives them, with each tiling ``linalg-tile`` may choose (``linalg_tile.candidates``:
  untiled, square and wide tiles of the innermost two or three dimensions), the features read from the
  generic lowered alone (``linalg_tile_choice``).

Every variant but ``spgemm-parallel``'s runs on one thread (its time is process CPU time); those run on all
cores and are timed by wall clock, interleaved with the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

FAMILIES = ("spgemm", "graph", "backend", "egraph", "matmul", "spgemm-parallel", "loop-order", "tile")


@dataclass
class Variant:
    name: str
    run: Callable[[], Any]
    ir: str  # the module the backend lowers (MLIR text); its features leave sizes unknown (``Group.inputs``
    # has them), so one variant's features serve every input
    knobs: dict[str, float] = field(default_factory=dict)  # choices named apart from the IR (the backend; the
    # planner passes a graph plan leaves out)
    parallel: bool = False  # runs on several threads: timed by wall clock (process time would sum the threads)


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
        for ef in ((4, 8, 16) if quick else (2, 4, 8, 16, 32)):
            yield f"rmat-s{s}-ef{ef}", mx.rmat(s, ef, seed=int(rng.integers(1 << 30)))
    for n in ((256, 1024) if quick else (256, 1024, 4096)):
        for per_row in ((2, 4, 8, 16) if quick else (1, 2, 4, 8, 16, 32)):
            yield f"uniform-{n}x{per_row}", mx.uniform(n, per_row, seed=int(rng.integers(1 << 30)))
    for n, m in ((500, 2), (2000, 3)) if quick else ((500, 2), (2000, 3), (4000, 5), (1000, 8), (8000, 2)):
        yield f"ba-{n}-{m}", mx.ba(n, m, seed=int(rng.integers(1 << 30)))
    for k in ((16, 48) if quick else (16, 48, 96, 160)):
        yield f"poisson-{k}", mx.poisson2d(k)


def matrix_figures(A: Any, B: Any = None) -> dict[str, float]:
    """What the model knows of a SpGEMM input ``A @ B`` (B: A by default; also asked at call time by
    ``algorithm="auto"``)."""
    B = A if B is None else B
    m, n = A.shape[0], B.shape[1]
    row_nnz = np.diff(A.indptr)
    lengths = np.diff(B.indptr)[A.indices] if A.nnz else np.zeros(0, np.int64)
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


def spgemm_kernels(threads: int = 1) -> dict[str, Any]:
    """One compiled SpGEMM kernel per strategy (llvm, on ``threads`` threads)."""
    import ircc
    from ircc.sparse import STRATEGIES

    return {a: ircc.compile(ircc.sparse.spgemm(), target="llvm", algorithm=a, threads=threads) for a in STRATEGIES}


def spgemm_run(kernel: Any, algorithm: str, A: Any) -> tuple[Callable[[], Any], Any]:
    """A call of ``kernel``'s compiled variant for ``A @ A`` on prepared arguments (no conversions, no checks:
    what is timed), and that variant."""
    kernel(A, A)  # compiles the variant for A's index widths
    s = kernel.stats
    inner = kernel._call.variants[algorithm, s["index_in"], s["index_out"], s["phases"]]
    it = np.int32 if A.indices.dtype == np.int32 else np.int64
    ptr, idx = A.indptr.astype(it), A.indices.astype(it)
    args = (ptr, idx, A.data, A.shape[0], A.shape[1], ptr, idx, A.data, A.shape[1])
    return (lambda: inner(*args)), inner


def spgemm_groups(rng: np.random.Generator, quick: bool) -> Iterator[Group]:
    kernels = spgemm_kernels()
    for name, A in _matrices(rng, quick):
        variants = []
        for a, k in kernels.items():
            run, inner = spgemm_run(k, a, A)
            variants.append(Variant(a, run, inner.mlir(-1)))
        yield Group("spgemm", "spgemm-f64", name, matrix_figures(A), variants)


def parallel_threads() -> int:
    """The threads the ``spgemm-parallel`` family runs on: every core (1: no such family here)."""
    import os

    return os.cpu_count() or 1


def spgemm_parallel_groups(rng: np.random.Generator, quick: bool) -> Iterator[Group]:
    threads = parallel_threads()
    if threads < 2:
        return
    kernels = spgemm_kernels(threads)
    for name, A in _matrices(rng, quick):
        if A.shape[0] < 256:  # a few microseconds: thread start-up, not the strategy, decides
            continue
        variants = []
        for a, k in kernels.items():
            run, inner = spgemm_run(k, a, A)
            variants.append(Variant(a, run, inner.mlir(-1), parallel=True))
        yield Group("spgemm-parallel", f"spgemm-f64-{threads}t", name, matrix_figures(A) | {"threads": float(threads)},
                    variants)


# -- graph ---------------------------------------------------------------------------------------------------
def _graphs(rng: np.random.Generator, quick: bool) -> Iterator[tuple[str, Any]]:
    from ircc import matrices as mx
    from ircc.graph import DataGraph

    for s in ((8, 10) if quick else (8, 9, 10, 11)):
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
            "wedges": float((deg * (deg - 1) / 2).sum()) / n, "deg2_sum": float((deg.astype(np.float64) ** 2).sum()),
            "deg3_sum": float((deg.astype(np.float64) ** 3).sum())}


def _patterns() -> list[tuple[str, Any]]:
    """Triangle, every connected 4-vertex pattern, and seven 5-vertex ones (cycle, house, star, path, bull, gem,
    clique)."""
    from ircc.graph import Pattern

    four = {"3-star": Pattern.star(4), "4-path": Pattern.path(4), "tailed-triangle": Pattern.parse("a-b b-c c-a c-d"),
            "4-cycle": Pattern.cycle(4), "diamond": Pattern.parse("a-b b-c c-d d-a a-c"), "4-clique": Pattern.clique(4)}
    five = {"5-cycle": Pattern.cycle(5), "house": Pattern.parse("a-b b-c c-d d-e e-a a-c"),
            "4-star": Pattern.star(5), "5-path": Pattern.path(5), "bull": Pattern.parse("a-b b-c c-a a-d b-e"),
            "gem": Pattern.parse("a-b b-c c-d a-e b-e c-e d-e"), "5-clique": Pattern.clique(5)}
    return [("triangle", Pattern.clique(3)), *four.items(), *five.items()]


def graph_groups(rng: np.random.Generator, quick: bool) -> Iterator[Group]:
    from ircc.graph.plan import PLAN_SKIPS, plan_knobs, plan_name
    from ircc.graph.query import compile_query, default_pipeline, query

    plans: dict[tuple[str, tuple[str, ...]], Any] = {}  # compiled when first needed

    def plan(pname: str, P: Any, skip: tuple[str, ...]) -> Any:
        if (pname, skip) not in plans:
            plans[pname, skip] = compile_query(query(P), target="llvm", threads=1,
                                               pipeline=default_pipeline(1, "llvm", skip), cost="static")
        return plans[pname, skip]

    for gname, G in _graphs(rng, quick):
        for pname, P in _patterns()[: 3 if quick else None]:  # quick: triangle, 3-star, 4-path
            if P.k >= 5 and G.n > 1024:  # 5-vertex patterns on small graphs only: a bad plan runs for minutes
                continue
            variants, seen = [], set()
            for skip in PLAN_SKIPS:
                k = plan(pname, P, skip)
                ir = k.mlir(-1)
                if ir in seen:  # a skipped pass that changed nothing for this pattern: the same plan
                    continue
                seen.add(ir)
                call = k._call
                indptr, indices, _, _ = G.degree_ordered(call.oriented)
                args = (indptr, indices, G.n)
                variants.append(Variant(plan_name(skip), lambda inner=call.kernel, args=args: inner(*args), ir,
                                        plan_knobs(skip)))
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
            variants = [Variant(t, lambda k=k, pts=pts: k(*pts), k.mlir(-1), {"numba": float(t == "numba")})
                        for t, k in kernels.items()]
            yield Group("backend", f"sympy-{name}", f"n{n}", {"points": float(n), "outputs": float(len(outs)),
                                                              "variables": float(len(args))}, variants)


#: the e-graph pass's rulesets each egraph variant extracts with (fastmath): none (the input as written), the
#: exact ones, all, and all but one family; each distinct extraction is a variant
EGRAPH_RULES = {"none": "none", "ieee": "ieee", "all": "all",
                "no-fma": "ieee,assoc,factor,fractions,cancel,powi,sqrt,horner,explog,trig",
                "no-horner": "ieee,assoc,factor,fractions,cancel,powi,sqrt,explog,trig,fma",
                "arith-only": "ieee,assoc,factor,fractions,cancel"}


def egraph_groups(rng: np.random.Generator, quick: bool) -> Iterator[Group]:
    import ircc

    for name, outs, args in _expressions(rng, 6 if quick else 24):
        kernels, seen = {}, set()
        for rname, rules in EGRAPH_RULES.items():
            k = ircc.compile(outs, args=args, target="llvm", threads=1, fastmath=True,
                             pipeline=f"eqsat{{fastmath=true rules={rules}}},expand-powi,cse")
            ir = k.mlir(-1)
            if ir not in seen:
                seen.add(ir)
                kernels[rname] = k
        if len(kernels) < 2:
            continue
        for n in (1_000, 30_000):
            pts = _points(rng, len(args), n)
            variants = [Variant(t, lambda k=k, pts=pts: k(*pts), k.mlir(-1)) for t, k in kernels.items()]
            yield Group("egraph", f"sympy-{name}", f"n{n}", {"points": float(n), "outputs": float(len(outs)),
                                                             "variables": float(len(args))}, variants)


# -- matmul: lower-matmul's strategies -------------------------------------------------------------------------
#: one f32 product C = A B on dynamic shapes (one module serves every shape; the inputs give the sizes)
MATMUL_TEXT = """
func.func @matmul(%a: memref<?x?xf32>, %b: memref<?x?xf32>, %c: memref<?x?xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<?x?xf32>)
  linalg.matmul ins(%a, %b : memref<?x?xf32>, memref<?x?xf32>) outs(%c : memref<?x?xf32>)
  func.return
}
"""
#: the torch frontend's passes from lower-matmul on, with the strategy forced
MATMUL_PIPELINE = ("lower-matmul{{strategy={s}}},linalg-interchange,convert-linalg-to-parallel-loops,lower-affine,"
                   "canonicalize,cse")
MATMUL_STRATEGIES = ("blas", "loops")


def blas_knobs() -> dict[str, float]:
    """The knob of the BLAS this process's calls go to: 1.0 for torch's MKL (loaded with torch), 0.0 else."""
    from ircc.backends import runtime

    return {"blas_mkl": float("MKL" in (runtime.blas_name() or ""))}


def matmul_figures(m: int, n: int, k: int) -> dict[str, float]:
    """What the model knows of an m x k by k x n product (also asked by ``lower-matmul`` under cost=learned)."""
    return {"m": float(m), "n": float(n), "k": float(k), "flops": float(m) * n * k}


def matmul_groups(rng: np.random.Generator, quick: bool) -> Iterator[Group]:
    import ircc
    from ircc.backends import runtime

    if runtime.blas() is None:  # no CBLAS in this process: lower-matmul has nothing to choose
        return
    kernels = {s: ircc.compile(MATMUL_TEXT, target="llvm", threads=1, pipeline=MATMUL_PIPELINE.format(s=s))
               for s in MATMUL_STRATEGIES}
    knobs = blas_knobs()  # collected in a process with torch loaded, the calls go to MKL
    kernel = "matmul-f32-mkl" if knobs["blas_mkl"] else "matmul-f32"
    for _ in range(12 if quick else 120):
        # log-uniform sizes, odd ones included (BLAS kernels favour multiples of their block); a third of the
        # products skinny (m <= 8 rows: a linear layer at batch 1, where the loop nest can win)
        m = int(np.exp(rng.uniform(0, np.log(9 if rng.random() < 1 / 3 else 700))))
        n, k = (int(np.exp(rng.uniform(0, np.log(3000)))) for _ in range(2))
        if m * n * k > 1 << 25:  # a few ms at most per call
            continue
        a = rng.random((m, k), dtype=np.float32)
        b = rng.random((k, n), dtype=np.float32)
        c = np.zeros((m, n), np.float32)
        variants = [Variant(s, lambda kern=kern, args=(a, b, c): kern(*args), kern.mlir(-1), dict(knobs))
                    for s, kern in kernels.items()]
        yield Group("matmul", kernel, f"{m}x{n}x{k}", matmul_figures(m, n, k), variants)


# -- loop-order: linalg-interchange's candidates ---------------------------------------------------------------
#: generics: (indexing maps as dimension lists per operand, inputs first then the output; iterator kinds; body)
_MUL_ADD = ("%p = arith.mulf %x0, %x1 : f32", "%r = arith.addf %x2, %p fastmath<reassoc> : f32")
LOOP_ORDER_GENERICS: dict[str, tuple[tuple[tuple[int, ...], ...], tuple[str, ...], tuple[str, ...]]] = {
    "matmul": (((0, 2), (2, 1), (0, 1)), ("parallel", "parallel", "reduction"), _MUL_ADD),
    "matmul-bt": (((0, 2), (1, 2), (0, 1)), ("parallel", "parallel", "reduction"), _MUL_ADD),
    "transpose": (((1, 0), (0, 1)), ("parallel", "parallel"), ("%r = arith.negf %x0 : f32",)),
    "row-sum": (((0, 1), (0,)), ("parallel", "reduction"), ("%r = arith.addf %x1, %x0 fastmath<reassoc> : f32",)),
    "col-sum": (((0, 1), (1,)), ("reduction", "parallel"), ("%r = arith.addf %x1, %x0 fastmath<reassoc> : f32",)),
    "bcast-add": (((0, 1), (0,), (0, 1)), ("parallel", "parallel"), ("%r = arith.addf %x0, %x1 : f32",)),
    "bmm": (((0, 1, 3), (0, 3, 2), (0, 1, 2)), ("parallel", "parallel", "parallel", "reduction"), _MUL_ADD),
    "matmul-at": (((2, 0), (2, 1), (0, 1)), ("parallel", "parallel", "reduction"), _MUL_ADD),
    "transpose-add": (((1, 0), (0, 1), (0, 1)), ("parallel", "parallel"), ("%r = arith.addf %x0, %x1 : f32",)),
    "btranspose": (((0, 2, 1), (0, 1, 2)), ("parallel", "parallel", "parallel"), ("%r = arith.negf %x0 : f32",)),
    "permute3": (((2, 1, 0), (0, 1, 2)), ("parallel", "parallel", "parallel"), ("%r = arith.negf %x0 : f32",)),
}


def loop_order_text(kind: str, sizes: tuple[int, ...]) -> str:
    """``@generic``: one generic of ``LOOP_ORDER_GENERICS`` on static shapes (``sizes`` per dimension)."""
    maps, iterators, body = LOOP_ORDER_GENERICS[kind]
    dims = ", ".join(f"d{i}" for i in range(len(iterators)))
    types = ["memref<" + "x".join(str(sizes[d]) for d in m) + "xf32>" for m in maps]
    names = [f"%a{i}" for i in range(len(maps))]
    affine = ", ".join(f"affine_map<({dims}) -> ({', '.join(f'd{d}' for d in m)})>" for m in maps)
    kinds = ", ".join(f'"{it}"' for it in iterators)
    args = ", ".join(f"{n}: {t}" for n, t in zip(names, types))
    block = ", ".join(f"%x{i}: f32" for i in range(len(maps)))
    lines = [f"func.func @generic({args}) {{",
             f"  linalg.generic {{indexing_maps = [{affine}], iterator_types = [{kinds}]}} "
             f"ins({', '.join(names[:-1])} : {', '.join(types[:-1])}) outs({names[-1]} : {types[-1]}) {{",
             f"  ^bb0({block}):", *(f"    {line}" for line in body), "    linalg.yield %r : f32", "  }",
             "  func.return", "}"]
    return "\n".join(lines) + "\n"


def loop_order_sizes(rng: np.random.Generator, dims: int) -> tuple[int, ...]:
    """Log-uniform sizes of ``dims`` dimensions, 2^17 to 2^22 iterations in all: long enough to time, short
    enough to repeat."""
    while True:
        sizes = tuple(int(np.exp(rng.uniform(np.log(2), np.log(1500)))) for _ in range(dims))
        if (1 << 17) <= int(np.prod(sizes)) <= (1 << 22):
            return sizes


def generic_args(rng: np.random.Generator, kind: str, sizes: tuple[int, ...]) -> list[np.ndarray]:
    """Seeded f32 operands of a ``LOOP_ORDER_GENERICS`` generic of ``sizes`` (the output last)."""
    return [np.asarray(rng.random([sizes[d] for d in m]), dtype=np.float32) for m in LOOP_ORDER_GENERICS[kind][0]]


def loop_order_groups(rng: np.random.Generator, quick: bool) -> Iterator[Group]:
    import ircc
    from ircc.ir.text import parse_module, print_module
    from ircc.passes.linalg_loop_order import LOWERING, movable, standalone_loops

    for i in range(11 if quick else 77):
        kind = list(LOOP_ORDER_GENERICS)[i % len(LOOP_ORDER_GENERICS)]
        sizes = loop_order_sizes(rng, len(LOOP_ORDER_GENERICS[kind][1]))
        text = loop_order_text(kind, sizes)
        generic = next(op for op in parse_module(text).walk() if op.name == "linalg.generic")
        dims = movable(generic, 4, True)
        if len(dims) < 2:
            continue
        args = generic_args(rng, kind, sizes)
        variants = []
        for d in dims:
            k = ircc.compile(text, target="llvm", threads=1, pipeline=f"linalg-interchange{{inner={d}}},{LOWERING}")
            variants.append(Variant(f"inner=d{d}", lambda k=k, args=args: k(*args),
                                    print_module(standalone_loops(generic, d))))
        yield Group("loop-order", kind, "x".join(map(str, sizes)), {}, variants)


# -- tile: linalg-tile's candidates ----------------------------------------------------------------------------
def tile_sizes_of(rng: np.random.Generator, kind: str) -> tuple[int, ...]:
    """Log-uniform sizes for a generic of ``LOOP_ORDER_GENERICS``: operands of 1 to 48 MiB, 2^18 to 2^24
    iterations (a bad tiling of the largest runs for a fifth of a second)."""
    maps, iterators, _ = LOOP_ORDER_GENERICS[kind]
    while True:
        sizes = tuple(int(np.exp(rng.uniform(np.log(2), np.log(6000)))) for _ in iterators)
        nbytes = 4 * sum(int(np.prod([sizes[d] for d in m])) for m in maps)
        if (1 << 18) <= int(np.prod(sizes)) <= (1 << 24) and (1 << 20) <= nbytes <= (48 << 20):
            return sizes


def tile_name(sizes: tuple[int, ...]) -> str:
    """A tiling's variant name: ``64x512`` (one size per dimension, 0 untiled), or ``untiled``."""
    return "x".join(map(str, sizes)) if any(sizes) else "untiled"


def rule_ordered_generic(text: str) -> Any:
    """The one generic of ``text`` in the loop order ``linalg-interchange``'s rule gives it (what the tile
    family tiles)."""
    from ircc.ir.text import parse_module
    from ircc.options import Options
    from ircc.passes.pipeline import Pipeline, parse_pipeline_spec

    module = parse_module(text)
    Pipeline(parse_pipeline_spec("linalg-interchange{cost=static}"), Options(cost="static")).run(module, record=False)
    return next(op for op in module.walk() if op.name == "linalg.generic")


def tile_pipeline(sizes: tuple[int, ...]) -> str:
    """The passes a tile variant is compiled with: the rule's loop order, the sizes forced."""
    from ircc.passes.linalg_tile_choice import LOWERING

    return f"linalg-interchange{{cost=static}},linalg-tile{{sizes={','.join(map(str, sizes))}}},{LOWERING}"


def tile_groups(rng: np.random.Generator, quick: bool) -> Iterator[Group]:
    import ircc
    from ircc.ir.text import print_module
    from ircc.passes.linalg_tile import candidates
    from ircc.passes.linalg_tile_choice import standalone_tiled

    for i in range(11 if quick else 66):
        kind = list(LOOP_ORDER_GENERICS)[i % len(LOOP_ORDER_GENERICS)]
        sizes = tile_sizes_of(rng, kind)
        text = loop_order_text(kind, sizes)
        generic = rule_ordered_generic(text)
        args = generic_args(rng, kind, sizes)
        variants = []
        for tiles in candidates(generic):
            k = ircc.compile(text, target="llvm", threads=1, pipeline=tile_pipeline(tiles))
            variants.append(Variant(tile_name(tiles), lambda k=k, args=args: k(*args),
                                    print_module(standalone_tiled(generic, tiles))))
        yield Group("tile", kind, "x".join(map(str, sizes)), {}, variants)


GENERATORS: dict[str, Callable[[np.random.Generator, bool], Iterator[Group]]] = {
    "spgemm": spgemm_groups, "graph": graph_groups, "backend": backend_groups, "egraph": egraph_groups,
    "matmul": matmul_groups, "spgemm-parallel": spgemm_parallel_groups, "loop-order": loop_order_groups,
    "tile": tile_groups}


def groups(families: tuple[str, ...], seed: int, quick: bool) -> Iterator[Group]:
    """The families' groups, interleaved (a budget cut still sees every family)."""
    gens = [GENERATORS[f](np.random.default_rng([seed, i]), quick) for i, f in enumerate(families)]
    while gens:  # round robin, each group handed on as soon as it is made
        for gen in list(gens):
            g = next(gen, None)
            if g is None:
                gens.remove(gen)
            else:
                yield g
