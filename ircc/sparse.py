"""Sparse matrix products on scipy matrices: ``ircc.sparse.matmul`` and the reusable ``spgemm`` spec.

    C = ircc.sparse.matmul(A, B)                        # like A @ B for scipy CSR inputs
    y = ircc.sparse.spmv(A, x); Y = ircc.sparse.spmm(A, X)   # sparse times dense (numpy out)
    spec = ircc.sparse.spgemm(dtype=numpy.float64)       # or compile once, call many times:
    k = ircc.compile(spec, target="llvm", algorithm="spa")
    C = k(A, B)

Inputs: scipy sparse arrays or matrices (CSR; other formats are converted with ``.tocsr()``), values
float64/float32/int64/int32/bool (mixed dtypes are promoted as numpy does). Duplicate entries are
summed and unsorted rows accepted (``sum_duplicates`` on a copy when the input is not canonical).
``mask=M`` keeps only the entries where M is nonzero (``complement_mask=True``: where it is not),
GraphBLAS's ``C<M> = A @ B``: ``(A @ B).multiply(M != 0)`` computed without the entries it drops.
The result is a ``csr_array`` (a ``csr_matrix`` when both inputs are matrices), column indices sorted
per row unless ``sorted=False``, int32 indices when they fit. Unlike scipy, an entry whose products
cancel to exactly 0 stays in the pattern (as in MKL and GraphBLAS); compare after ``eliminate_zeros``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ircc.errors import IrccError
from ircc.frontends.sparse import DEFAULT_ALGORITHM, SpGemmSpec, build_spgemm, pipeline_for

ALGORITHMS = ("auto", "spa", "hash", "esc", "heap", "hybrid")
STRATEGIES = ALGORITHMS[1:]  # what auto chooses between
#: target piuma: each name a lowering of sparse.spgemm -- dense-dram is SPA, whose dense accumulator (one per
#: thread) lives in DRAM on that machine; esc, hash and heap are the CPU dataflows run there
PIUMA_LOWERING = {"auto": "spa", "dense-dram": "spa", "esc": "esc", "hash": "hash", "heap": "heap",
                  "smash-v1": "smash-v1", "smash-v2": "smash-v2", "smash-v3": "smash-v3"}
PIUMA_ALGORITHMS = tuple(PIUMA_LOWERING)
_KERNELS: dict[tuple, Any] = {}


def smash_slots(algorithm: str, spad_bytes: int, itemsize: int) -> int:
    """The keys of a SMASH scratchpad table (8-byte keys and the values fill a core's scratchpad; v2 and v3
    keep 64 bytes for their token counters; v1 and v2 hash with a mask, so a power of two)."""
    fit = (spad_bytes - (64 if algorithm != "smash-v1" else 0)) // (8 + itemsize)
    return fit if algorithm == "smash-v3" else 1 << (fit.bit_length() - 1)


def spgemm(*, dtype: Any = np.float64, semiring: str = "plus_times", masked: bool = False,
           complement_mask: bool = False, sorted: bool = True) -> SpGemmSpec:
    """A sparse-times-sparse product to compile with ``ircc.compile(spec, target=..., algorithm=...)``."""
    return SpGemmSpec(np.dtype(dtype), semiring, masked, complement_mask, sorted)


def matmul(A: Any, B: Any, *, mask: Any = None, complement_mask: bool = False, semiring: str = "plus_times",
           target: str = "cpu", algorithm: str = "auto", sorted: bool = True, threads: int | None = None,
           phases: int = 2, memory_cap: int | None = None, **options: Any) -> Any:
    """``A @ B`` for scipy sparse ``A`` and ``B`` over ``semiring``; see the module docstring.

    ``phases=1`` skips the symbolic phase: C is written into upper-bound scratch (``min(flops, n)`` per
    row) and compacted, when that scratch fits under ``memory_cap`` bytes (default: a quarter of the
    memory available); otherwise the call runs two phases (``kernel.stats`` says which ran)."""
    if complement_mask and mask is None:
        raise IrccError("complement_mask=True needs a mask")
    A, B = _as_csr(A, "A"), _as_csr(B, "B")
    _check_shapes(A, B)
    dtype = _result_dtype(A, B)
    masked = mask is not None
    key = (dtype.str, semiring, sorted, masked, complement_mask, target, algorithm, threads, phases, memory_cap,
           tuple(sorted_items(options)))
    kernel = _KERNELS.get(key)
    if kernel is None:
        import ircc

        spec = spgemm(dtype=dtype, semiring=semiring, sorted=sorted, masked=masked, complement_mask=complement_mask)
        extra = {} if threads is None else {"threads": threads}
        kernel = ircc.compile(spec, target=target, algorithm=algorithm, phases=phases, memory_cap=memory_cap,
                              **extra, **options)
        _KERNELS[key] = kernel
    return kernel(A, B, mask) if masked else kernel(A, B)


def spmv(A: Any, x: Any, *, semiring: str = "plus_times", target: str = "cpu", threads: int | None = None,
         **options: Any) -> np.ndarray:
    """``A @ x`` for a scipy sparse ``A`` and a 1-D numpy ``x``, over ``semiring``; a new 1-D array."""
    return _dense_product("spmv", A, x, semiring, target, threads, options)


def spmm(A: Any, X: Any, *, semiring: str = "plus_times", target: str = "cpu", threads: int | None = None,
         **options: Any) -> np.ndarray:
    """``A @ X`` for a scipy sparse ``A`` and a 2-D numpy ``X``, over ``semiring``; a new 2-D array."""
    return _dense_product("spmm", A, X, semiring, target, threads, options)


def _dense_product(kind: str, A: Any, x: Any, semiring: str, target: str, threads: int | None,
                   options: dict[str, Any]) -> np.ndarray:
    A = _as_csr(A, "A")
    x = np.asarray(x)
    rank = 1 if kind == "spmv" else 2
    if x.ndim != rank:
        raise ValueError(f"ircc.sparse.{kind}: the dense operand must be {rank}-D, not of shape {x.shape}")
    if A.shape[1] != x.shape[0]:
        raise ValueError(f"{kind}: dimension mismatch: A is {A.shape[0]}x{A.shape[1]}, the dense operand has "
                         f"{x.shape[0]} rows")
    dtype = np.result_type(A.dtype, x.dtype)
    if dtype not in (np.float64, np.float32, np.int64, np.int32, np.bool_):
        raise IrccError(f"ircc.sparse.{kind}: values of dtype {dtype} are not supported")
    A = _canonical(A, dtype)
    x = np.ascontiguousarray(x, dtype=dtype)
    index = 32 if max(A.nnz, A.shape[0] + 1, A.shape[1] + 1) < 2**31 else 64
    extra = {} if threads is None else {"threads": threads}
    key = (kind, dtype.str, semiring, index, target, threads, tuple(sorted_items(options)))
    kernel = _KERNELS.get(key)
    if kernel is None:
        from ircc.driver import compile_module
        from ircc.frontends.sparse import build_spmv
        from ircc.options import Options

        def rebuild():
            return build_spmv(kind, dtype, semiring, index)

        nthreads = Options.from_kwargs(target=target, **extra, **options).threads
        pipeline = f"lower-sparse{{parallel={'true' if nthreads > 1 else 'false'}}},canonicalize,cse"
        kernel = compile_module(rebuild(), rebuild, pipeline, "sparse", entry=kind, target=target, **extra,
                                **options)
        _KERNELS[key] = kernel
    it = np.int32 if index == 32 else np.int64
    y = np.empty((A.shape[0],) + x.shape[1:], dtype=dtype)
    kernel(A.indptr.astype(it, copy=False), A.indices.astype(it, copy=False), A.data, A.shape[0], A.shape[1], x, y)
    return y


def sorted_items(d: dict) -> list:
    return sorted(d.items())


def _as_csr(X: Any, name: str) -> Any:
    import scipy.sparse as sps

    if not sps.issparse(X):
        raise TypeError(f"ircc.sparse.matmul: {name} must be a scipy sparse array or matrix, "
                        f"not {type(X).__name__} (for a dense operand use ircc.sparse.spmm)")
    if X.format != "csr":
        X = X.tocsr()
    if X.ndim != 2:
        raise ValueError(f"ircc.sparse.matmul: {name} must be 2-D, not of shape {X.shape}")
    return X


def _check_shapes(A: Any, B: Any) -> None:
    if A.shape[1] != B.shape[0]:
        raise ValueError(f"matmul: dimension mismatch: A is {A.shape[0]}x{A.shape[1]}, B is "
                         f"{B.shape[0]}x{B.shape[1]} (A's {A.shape[1]} columns must equal B's {B.shape[0]} rows)")


def _result_dtype(A: Any, B: Any) -> np.dtype:
    dtype = np.result_type(A.dtype, B.dtype)
    if dtype not in (np.float64, np.float32, np.int64, np.int32, np.bool_):
        if np.issubdtype(dtype, np.integer) and dtype.itemsize < 4:
            return np.dtype(np.int32)
        if dtype == np.float16:
            return np.dtype(np.float32)
        raise IrccError(f"ircc.sparse.matmul: values of dtype {dtype} are not supported "
                        f"(float64, float32, int64, int32, bool)")
    return dtype


class SpGemmCall:
    """Converts scipy inputs, picks the index widths per call, runs (compiling a variant when needed)."""

    def __init__(self, spec: SpGemmSpec, algorithm: str, target: str, options: dict[str, Any], phases: int = 2,
                 memory_cap: int | None = None):
        from ircc.options import Options

        self.spec, self.algorithm, self.target, self.options = spec, algorithm, target, options
        self.phases, self.memory_cap = phases, memory_cap
        self.opts = Options.from_kwargs(target=target, **options)  # resolved once, not per call
        # the cost model answers the CPU targets' auto; the simulated machine, where there is one
        self.cost = self.opts.cost if target in ("cpu", "llvm", "numba") else "static"
        self.machine = None
        if target == "piuma":
            from ircc.backends.piuma.machine import resolve_machine

            self.machine = resolve_machine(self.opts.machine)
        self.variants: dict[tuple, Any] = {}
        self.last: dict[str, Any] = {}
        self.report: dict[str, Any] | None = None  # where Kernel.stats reads the last call's figures

    def variant(self, index_in: int, index_out: int, algorithm: str | None = None, phases: int = 2):
        algorithm = algorithm or (self.algorithm if self.algorithm != "auto" else DEFAULT_ALGORITHM)
        key = (algorithm, index_in, index_out, phases)
        if key not in self.variants:
            from ircc.driver import compile_module

            spec = self.spec

            def rebuild():
                return build_spgemm(spec, index_in, index_out)

            m = self.machine
            # on the simulated machine: one row partition per hardware thread
            pipeline = pipeline_for(algorithm, m.threads if m is not None else self.opts.threads, phases)
            if algorithm.startswith("smash-"):  # the table fills a core's scratchpad: 8-byte keys and the values
                slots = smash_slots(algorithm, m.spad_bytes, spec.dtype.itemsize)
                per_core = m.mtp_per_core * m.threads_per_mtp
                pipeline = (f"lower-sparse{{algorithm={algorithm} slots={slots} per_core={per_core} cores={m.cores}}},"
                            "canonicalize,cse")
            if self.target == "triton":  # sparse.spgemm reaches the backend whole: its hash template
                pipeline = "canonicalize"
            self.variants[key] = compile_module(rebuild(), rebuild, pipeline, "sparse",
                                                entry="spgemm", target=self.target, **self.options)
        return self.variants[key]

    def _check_table(self, algorithm: str, A, n: int, lengths: np.ndarray) -> None:
        """SMASH keeps a whole row's columns in one core's scratchpad table: refuse a row with more columns
        (at most its flops, at most n) than the table has slots, rather than probe a full table forever."""
        m = self.machine
        slots = smash_slots(algorithm, m.spad_bytes, self.spec.dtype.itemsize)
        rows = np.repeat(np.arange(A.shape[0]), np.diff(A.indptr))
        row_flops = np.bincount(rows, weights=lengths, minlength=A.shape[0]) if len(rows) else np.zeros(1)
        widest = int(min(row_flops.max(initial=0), n))
        if widest > slots:
            row = int(np.argmax(np.minimum(row_flops, n)))
            raise IrccError(f"{algorithm}: row {row} of the product can have {widest:,} columns, more than the "
                            f"{slots:,} slots of a scratchpad table on machine '{m.name}' "
                            f"({m.spad_bytes:,} bytes per core); use algorithm='dense-dram' or 'hash', or a "
                            "machine with a larger scratchpad (spad_bytes)")

    def __call__(self, A: Any, B: Any, *rest: Any) -> Any:
        import scipy.sparse as sps

        if len(rest) != int(self.spec.masked):
            want = "A, B and a mask M" if self.spec.masked else "two matrices A and B (compiled without a mask)"
            raise IrccError(f"this SpGEMM kernel takes {want}")
        A, B = _as_csr(A, "A"), _as_csr(B, "B")
        _check_shapes(A, B)
        dtype = self.spec.dtype
        A, B = _canonical(A, dtype), _canonical(B, dtype)
        m, k = A.shape
        n = B.shape[1]
        mask_parts: tuple = ()
        M = None
        if self.spec.masked:
            M = _as_csr(rest[0], "M")
            if M.shape != (m, n):
                raise ValueError(f"matmul: the mask is {M.shape[0]}x{M.shape[1]}, the product is {m}x{n}")
            M = _canonical(M, M.dtype)
            if M.nnz and not M.data.all():  # the mask is where M != 0 (stored zeros do not count)
                M = M.copy()
                M.eliminate_zeros()
        fits = max(A.nnz, B.nnz, m + 1, k + 1, n + 1, M.nnz if M is not None else 0) < 2**31
        lengths = np.diff(B.indptr)[A.indices]  # each entry of A: the length of the row of B it selects
        flops = int(lengths.sum())
        bound = min(flops, m * n)
        index_in = 32 if fits else 64
        index_out = 32 if fits and bound < 2**31 else 64
        _check_memory(A, M, lengths, dtype, index_out, flops)
        algorithm = (self.algorithm if self.algorithm != "auto"
                     else choose_algorithm(A, flops, self.cost, B, self.opts.threads))
        if algorithm.startswith("smash-"):
            self._check_table(algorithm, A, n, lengths)
        phases, phases_note = self._phases(A, n, lengths, dtype, index_out, flops)
        kernel = self.variant(index_in, index_out, algorithm, phases)
        it = np.int32 if index_in == 32 else np.int64
        if M is not None:
            mask_parts = (M.indptr.astype(it, copy=False), M.indices.astype(it, copy=False),
                          np.zeros(M.nnz, dtype=dtype))
        ptr, idx, val = kernel(A.indptr.astype(it, copy=False), A.indices.astype(it, copy=False), A.data, m, k,
                               B.indptr.astype(it, copy=False), B.indices.astype(it, copy=False), B.data, n,
                               *mask_parts)
        self.last = {"algorithm": algorithm, "index_in": index_in, "index_out": index_out, "flops": flops,
                     "nnz": int(ptr[-1]) if len(ptr) else 0, "phases": phases}
        if phases_note:
            self.last["phases_note"] = phases_note
        if self.report is not None:  # with the backend's own figures of the call (a simulator's cycles)
            ran = kernel._artifact.stats.get("last_call", {}) if kernel._artifact is not None else {}
            self.report["last_call"] = {**ran, **self.last}
        both_matrices = isinstance(A, sps.spmatrix) and isinstance(B, sps.spmatrix)
        cls = sps.csr_matrix if both_matrices else sps.csr_array
        C = cls((val, idx, ptr), shape=(m, n), copy=False)
        if self.spec.sorted:
            C.has_sorted_indices = True
        return C


    def _phases(self, A: Any, n: int, lengths: np.ndarray, dtype: np.dtype, index_bits: int,
                flops: int) -> tuple[int, str]:
        """One phase when asked for and its upper-bound scratch fits under the memory cap; else two."""
        if self.phases == 2:
            return 2, ""
        per_entry = np.dtype(dtype).itemsize + index_bits // 8
        cap = self.memory_cap
        if cap is None:
            from ircc.frontends.sympy_call import _available_bytes

            available = _available_bytes()
            cap = available // 4 if available is not None else 2**30
        if flops * per_entry <= cap:  # flops bounds the scratch: no need for the exact bound
            return 1, ""
        bound = int(np.minimum(_per_row(np.add, lengths, A.indptr), n).sum()) * per_entry
        if bound <= cap:
            return 1, ""
        return 2, (f"one phase needs {_size(bound)} of upper-bound scratch, over the memory cap of {_size(cap)}: "
                   f"ran two phases")


def _size(nbytes: int) -> str:
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if nbytes >= scale:
            return f"{nbytes / scale:.1f} {unit}"
    return f"{nbytes} bytes"


def _per_row(ufunc: np.ufunc, values: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """``ufunc`` reduced over each row's segment of ``values`` (0 for an empty row), vectorized."""
    if not len(values):
        return np.zeros(len(indptr) - 1, dtype=values.dtype)
    reduced = ufunc.reduceat(values, np.minimum(indptr[:-1], len(values) - 1))
    return np.where(np.diff(indptr) > 0, reduced, 0)


def _check_memory(A: Any, M: Any, lengths: np.ndarray, dtype: np.dtype, index_bits: int, flops: int) -> None:
    """Refuse before allocating when even a lower bound of C does not fit in the memory available now.

    Row i of C holds at least the longest row of B that A's row selects (without a mask), so the sum of
    those is a lower bound on nnz(C); the scratch is an n-entry marker and accumulator per thread.
    """
    from ircc.frontends.sympy_call import _CHECK_ABOVE_BYTES, _available_bytes

    per_entry = np.dtype(dtype).itemsize + index_bits // 8
    if flops * per_entry < _CHECK_ABOVE_BYTES:
        return
    available = _available_bytes()
    if available is None or flops * per_entry < available // 2:
        return  # even the upper bound (one entry per multiply-add) fits: skip the lower bound's pass
    lower = 0
    if M is None:
        lower = int(_per_row(np.maximum, lengths, A.indptr).sum())
    need = lower * per_entry + (A.shape[0] + 1) * (index_bits // 8)
    if need > available:
        raise MemoryError(f"ircc.sparse.matmul: the product needs at least {need / 2**30:.1f} GiB "
                          f"({lower:,} entries or more; {flops:,} multiply-adds) but only "
                          f"{available / 2**30:.1f} GiB of memory is available; multiply blocks of rows of A")


#: how ``algorithm="auto"`` decides, per call (a static estimate; the learned cost model comes later)
AUTO_RULE = ("heap when A's rows hold at most 10.5 entries on average and the product 64 to 256 flops per "
             "row (uniform-random-like: output rows of scattered columns from few merges, where SPA's dense "
             "accumulator misses the cache); spa otherwise (hub rows, meshes, skewed graphs)")


def choose_algorithm(A: Any, flops: int, cost: str = "static", B: Any = None, threads: int = 1) -> str:
    """``algorithm="auto"``: the learned model's fastest strategy for A (``cost="learned"``, where a model for
    this machine ships; on several threads, as the strategies ran on all cores), else ``AUTO_RULE``."""
    if cost == "learned":
        from ircc.costmodel.learned import best_variant
        from ircc.costmodel.variants import matrix_figures

        figures = matrix_figures(A, B)
        best = best_variant("spgemm-parallel", figures | {"threads": float(threads)}, STRATEGIES) \
            if threads > 1 else None
        best = best or best_variant("spgemm", figures, STRATEGIES)
        if best is not None:
            return best
    rows = max(1, A.shape[0])
    per_row_entries = A.nnz / rows
    per_row_flops = flops / rows
    return "heap" if per_row_entries <= 10.5 and 64 <= per_row_flops <= 256 else "spa"


def _canonical(X: Any, dtype: np.dtype) -> Any:
    if X.dtype != dtype:
        X = X.astype(dtype)
    if not X.has_canonical_format:
        X = X.copy()
        X.sum_duplicates()
    return X


def compile_spec(spec: SpGemmSpec, *, target: str = "cpu", algorithm: str = "auto", phases: int = 2,
                 memory_cap: int | None = None, **options: Any):
    """``ircc.compile(spec, ...)``: a Kernel calling ``SpGemmCall`` (variants per index width); ``phases``
    and ``memory_cap`` as in ``matmul``."""
    from ircc.kernel import Kernel

    if phases not in (1, 2):
        raise IrccError(f"phases must be 1 (upper-bound output, compacted) or 2 (symbolic, then numeric), "
                        f"not {phases!r}")

    requested = algorithm
    if target == "piuma":  # the simulated machine's dataflows (backends/piuma): names from the SMASH study
        if algorithm not in PIUMA_ALGORITHMS:
            raise IrccError(f"unknown SpGEMM algorithm '{algorithm}' on target 'piuma'; algorithms there are: "
                            f"{', '.join(PIUMA_ALGORITHMS)}")
        algorithm = PIUMA_LOWERING[algorithm]
    elif algorithm not in ALGORITHMS:
        raise IrccError(f"unknown SpGEMM algorithm '{algorithm}'; algorithms are: {', '.join(ALGORITHMS)}")
    if target == "triton":  # one dataflow on the GPU: row-wise with a hash accumulator (backends/triton/spgemm.py)
        if algorithm not in ("auto", "hash"):
            raise IrccError(f"on target 'triton' SpGEMM runs row-wise with a hash accumulator: algorithm='hash' "
                            f"(or 'auto'), not '{algorithm}', which is a CPU dataflow")
        algorithm = "hash"
    chosen = DEFAULT_ALGORITHM if algorithm == "auto" else algorithm
    call = SpGemmCall(spec, algorithm, target, options, phases, memory_cap)
    first = call.variant(32, 32, phases=phases)  # compiled now: its stages, source and stats describe the kernel
    stats = dict(first.compile_stats)
    stats["phases_requested"] = phases
    stats["algorithm"] = algorithm if algorithm == "auto" else chosen
    if algorithm == "auto":
        stats["algorithm_rule"] = AUTO_RULE if call.cost == "static" else (
            "the learned cost model's fastest strategy for each call's A (ircc.costmodel.learned), where a model "
            "for this machine ships; otherwise " + AUTO_RULE)
    stats["algorithm_requested"] = requested
    kernel = Kernel(stages=lambda: first.stages, artifact=first._artifact, call=call, compile_stats=stats,
                    entry="spgemm", target=first.target)
    call.report = first._artifact.stats if first._artifact is not None else None
    return kernel


__all__ = ["matmul", "spgemm", "spmm", "spmv", "SpGemmSpec", "compile_spec"]
