"""The one cost interface the passes and backends ask when they choose.

For now fixed rules and a static table; the learned model plugs in behind the same functions.
"""

from __future__ import annotations

import functools

from xdsl.dialects import arith, memref, scf
from xdsl.dialects.builtin import ModuleOp

#: a loop body storing to more places than this per iteration is left to the SLP vectorizer:
#: measured on the Robertson kernel (12 interleaved outputs per point), LLVM's loop vectorizer
#: turned 104 Mpoints/s into 37 (benchmarks/symbolic.py); on one or two streams it wins.
MAX_STORES_FOR_LOOP_VECTORIZER = 4


#: what the estimates take a size the IR leaves dynamic (``?``: a symbolic batch) to be, a typical batch
DYNAMIC_EXTENT = 32


def extent(size: int) -> int:
    """A loop or dimension size for the estimates: a static one as it is, a dynamic one as ``DYNAMIC_EXTENT``."""
    return size if size >= 0 else DYNAMIC_EXTENT


#: what a pass's ``cost`` option holds to mean "the compile's ``cost=`` option": the driver fills it in
#: (``with_cost``); a pass run on its own takes ``ircc.options.default_cost()``
DEFAULT_COST = "default"
COSTS = ("static", "learned", DEFAULT_COST)


def check_cost(cost: str) -> None:
    if cost not in COSTS:
        raise ValueError(f"cost={cost!r}: expected 'static', 'learned' or '{DEFAULT_COST}' (the compile's option)")


def resolve_cost(cost: str) -> str:
    """``static`` or ``learned``: a pass's ``cost`` option with ``default`` resolved."""
    check_cost(cost)
    if cost == DEFAULT_COST:
        from ircc.options import default_cost

        return default_cost()
    return cost


def with_cost(passes: list, cost: str) -> list:
    """The passes, each whose ``cost`` option was left at ``default`` given the compile's ``cost``."""
    from dataclasses import replace

    return [replace(p, cost=cost) if getattr(p, "cost", None) == DEFAULT_COST else p for p in passes]


def choose_cpu_target() -> str:
    """The concrete backend for ``target="cpu"`` before the IR is known: llvm. With the IR and
    ``cost="learned"``, the driver asks ``learned_cpu_target`` instead."""
    return "llvm"


#: the points a kernel is taken to run on when the cpu target is chosen at compile time (the middle of the
#: backend family's collected sizes)
TYPICAL_POINTS = 10_000


def learned_cpu_target(module: ModuleOp, variables: int, outputs: int) -> str | None:
    """llvm or numba for ``module`` (the IR both backends lower, which is the same IR), as the shipped model
    ranks them for a pointwise kernel of ``variables`` inputs and ``outputs`` outputs over ``TYPICAL_POINTS``
    points; None without a model that covers the backend choice."""
    from ircc.costmodel import learned
    from ircc.costmodel.features import ir_features

    m = learned.model()
    if m is None or not m.covers("backend"):
        return None
    inputs = {"points": float(TYPICAL_POINTS), "outputs": float(outputs), "variables": float(variables)}
    features = ir_features(module)
    targets = ("llvm", "numba")
    scores = m.scores("backend", inputs, [features, features], [{"numba": float(t == "numba")} for t in targets])
    return targets[int(scores.argmin())]


def llvm_loop_vectorize(module: ModuleOp) -> bool:
    """Whether to run LLVM's loop vectorizer on this module (False: SLP vectorization only)."""
    for op in module.walk():
        if isinstance(op, (scf.ParallelOp, scf.ForOp)):
            block = op.body.blocks.first
            stores = sum(1 for inner in block.ops if isinstance(inner, memref.StoreOp)) if block else 0
            if stores > MAX_STORES_FOR_LOOP_VECTORIZER:
                return False
    return True


#: an innermost loop of at most this many iterations (a constant) inside another loop is one LLVM would unroll
#: fully and then vectorize the loop around it instead, with gathers
SHORT_INNER_TRIP = 64


def llvm_loop_unroll(module: ModuleOp) -> bool:
    """Whether to let LLVM unroll loops (fully unrolling constant-trip ones included).

    Not when a loop nest ends in a short constant-trip loop that reads memory: that is the loop a linalg
    lowering put innermost for its unit stride (a dot product over a 32-wide head, a 32-wide row of V).
    Unrolled, its loads become scalars and LLVM vectorizes the enclosing loop with gathers: the decode
    attention step measured 20 ms per call against 3.4 ms with unrolling off (benchmarks/torch_models.py,
    batch 64 at one thread)."""
    for op in module.walk():
        if not isinstance(op, scf.ForOp) or not isinstance(op.parent_op(), scf.ForOp):
            continue
        block = op.body.blocks.first
        if block is None or any(isinstance(inner, scf.ForOp) for inner in block.ops):
            continue
        trip = constant_trip_count(op)
        if trip is not None and 1 < trip <= SHORT_INNER_TRIP and any(
                isinstance(inner, memref.LoadOp) for inner in block.ops):
            return False
    return True


def constant_trip_count(loop: scf.ForOp) -> int | None:
    """The iterations of an ``scf.for`` whose bounds and step are constants (None otherwise)."""
    values = []
    for v in (loop.lb, loop.ub, loop.step):
        owner = v.owner
        value = getattr(owner, "value", None)
        if not isinstance(owner, arith.ConstantOp) or not hasattr(value, "value"):
            return None
        values.append(int(value.value.data))
    lb, ub, step = values
    return max(0, (ub - lb + step - 1) // step) if step > 0 else None


#: estimates for splitting the threads: one innermost loop iteration of a lowered linalg op, and one BLAS
#: multiply-add (OpenBLAS sgemm, 64x512x512 at one thread: 16.8 M in 372 us)
LOOP_NS_PER_ITERATION = 0.3
BLAS_NS_PER_MULTIPLY_ADD = 0.022


#: innermost iterations a loop nest needs before it is made parallel: starting a thread of ircc's own costs
#: ~30 us, waking libgomp's pool a few (GPT-2 at batch 64 on two threads: 9.8 ms at 2^20, 7.3 ms at 2^16)
MIN_PARALLEL_WORK = {"pthreads": 1 << 20, "gomp": 1 << 16}


def parallel_min_work() -> int:
    """``convert-linalg-to-parallel-loops``' default threshold for the threads the llvm backend runs on here."""
    from ircc.backends.llvm.threads import thread_runtime

    return MIN_PARALLEL_WORK[thread_runtime()]


def parallel_loops_pay(loop_iterations: int, blas_multiply_adds: int) -> bool:
    """Whether a function's loop nests should get the threads (True) or its BLAS calls (False): both where
    they share one thread pool (torch's MKL and libgomp, ``runtime.shared_thread_pool``); otherwise the
    larger estimated share of the time takes them (OpenBLAS's spinning workers and ircc's threads, both
    running, slow each other down; see convert-linalg-to-parallel-loops)."""
    from ircc.backends.runtime import shared_thread_pool

    if shared_thread_pool():
        return True
    return loop_iterations * LOOP_NS_PER_ITERATION >= blas_multiply_adds * BLAS_NS_PER_MULTIPLY_ADD


# -- matmul lowering (the lower-matmul pass asks) -------------------------------------------------------------
#: static estimates for one f32 multiply-add on this machine: the (i, k, j) loop nest LLVM vectorizes, and
#: the BLAS (OpenBLAS sgemm) plus its fixed cost per call (benchmarks/torch_models.py has the figures)
LOOP_NS_PER_FMA = 0.25
BLAS_NS_PER_FMA = 0.05
BLAS_CALL_NS = 1500.0


def matmul_strategy(m: int, n: int, k: int, have_blas: bool, cost: str = "static") -> str:
    """``"blas"`` or ``"loops"`` for an m x k by k x n product: whichever the estimate says is faster.
    ``cost="learned"``: the shipped model's ranking of the two (the ``matmul`` family), where it was timed with
    the kind of BLAS this process calls (numpy's OpenBLAS, or the MKL torch brings, whose small products cost
    otherwise: the ``blas_mkl`` knob)."""
    if not have_blas:
        return "loops"
    if resolve_cost(cost) == "learned":
        from ircc.costmodel import learned
        from ircc.costmodel.variants import MATMUL_STRATEGIES, blas_knobs, matmul_figures

        model, knobs = learned.model(), blas_knobs()
        if model is not None and knobs["blas_mkl"] in model.meta.get("matmul_blas_mkl", []):
            best = learned.best_variant("matmul", matmul_figures(extent(m), extent(n), extent(k)),
                                        MATMUL_STRATEGIES, knobs)
            if best is not None:
                return best
    fmas = extent(m) * extent(n) * extent(k)
    return "blas" if BLAS_CALL_NS + fmas * BLAS_NS_PER_FMA < fmas * LOOP_NS_PER_FMA else "loops"


# -- per-op costs (the e-graph pass's extraction asks these) -------------------------------------------------
_OP_COSTS_FILE = "op_costs.json"


@functools.cache
def _op_cost_tables() -> dict[str, dict[str, float]]:
    import json
    from pathlib import Path

    return json.loads((Path(__file__).parent / _OP_COSTS_FILE).read_text())["costs"]


def op_costs(dtype: str = "f64", cost: str = "static") -> dict[str, float]:
    """Nanoseconds per element of each arith / math op (keys as ``ircc.costmodel.measure.OPS``) for
    ``dtype`` ('f64' or 'f32'): the static table measured on this machine by ``python -m
    ircc.costmodel.measure``, each op timed alone. ``cost="learned"``: the table the shipped model fitted to
    whole kernels' times (``op_fit``), where it has one for ``dtype``."""
    static = dict(_op_cost_tables()[dtype])
    if resolve_cost(cost) == "learned":
        from ircc.costmodel import learned

        m = learned.model()
        table = m.meta.get("op_costs", {}).get(dtype) if m is not None else None
        if table:
            static.update({k: float(v) for k, v in table.items() if k in static})
    return static


def egraph_op_costs(dtype: str = "f64", cost: str = "static") -> dict[str, int]:
    """The per-op table as the e-graph's integer constructor costs (picoseconds per element).

    Every op costs at least an ``add``: in the timing loop LLVM folds a negation into the sum that consumes it
    (measured ~0), but in a straight-line kernel each op left in the IR is an instruction; a free ``neg``
    would let extraction trade a subtraction for an addition of a negation at no cost."""
    table = op_costs(dtype, cost)
    floor = table["add"]
    return {op: max(1, round(max(ns, floor) * 1000)) for op, ns in table.items()}
