"""SpGEMM C = A @ A: ircc.sparse against scipy, MKL (sparse_dot_mkl) and SuiteSparse:GraphBLAS in one run.

    python benchmarks/spgemm.py [--quick] [--repeats N] [--only NAME,...] [--algorithms auto,spa]
                                [--no-memory] [--out DIR]

Matrices (``benchmarks/workloads_spgemm.py``, seeded): uniform random 200k x 200k with 10 per row, R-MAT
scale 14 and 15, Barabási–Albert n=100k m=5, 2D Poisson 1000x1000 (5-point) and the copter2 FE mesh read
from ``<repo>/../shared/data/matrices/copter2.npz`` (skipped with a note when absent). ``--quick``: small
versions (uniform 20k, R-MAT 10/11, BA 10k, Poisson 200x200, copter2), well under a minute.

Contenders, inputs prepared outside the timed region:

- ``ircc-<alg>`` for each ``--algorithms`` entry (default ``auto``): ``k = ircc.compile(ircc.sparse.spgemm(
  dtype=float64), target="llvm", algorithm=alg, threads=T)`` compiled once per T in {1, 2} before any timing;
  one call ``k(A, A)`` is one product (a ``csr_array`` with sorted column indices).
- ``scipy``: ``A @ A`` on the csr_array (single-threaded; its column indices come back unsorted).
- ``mkl``: ``sparse_dot_mkl.dot_product_mkl(A, A)`` (scipy in and out; ``MKL_RT`` pointed at the venv's
  ``libmkl_rt.so*``), threads by ``sparse_dot_mkl.mkl_set_num_threads(T)``.
- ``graphblas``: python-graphblas, ``GA = gb.io.from_scipy_sparse(A)`` outside the timed region, timed
  ``gb.semiring.plus_times(GA @ GA).new()``; the result stays a GraphBLAS matrix and SuiteSparse leaves its
  rows "jumbled" (unsorted, sorted lazily on first use: like scipy's and MKL's results, unlike ircc's).
  ``--graphblas-wait`` times ``.new().wait()`` instead, which includes that sort (about 2x the product
  on uniform-20k). Threads by ``gb.ss.config["nthreads"] = T``.

An anchor that cannot be imported is skipped with a note. OpenMP runtimes are told not to spin after a
parallel region (``OMP_WAIT_POLICY=PASSIVE``, ``KMP_BLOCKTIME=0``, set before import unless already set):
on this 2-core machine a spinning MKL or GraphBLAS worker would otherwise eat into the next contender's
interleaved call for ~200 ms.

Correctness, per matrix before timing: scipy's product is the reference; ircc (1 and 2 threads), MKL and
GraphBLAS (1 thread) are compared to it after ``sort_indices`` and ``eliminate_zeros`` on both: indptr and
indices exactly, data with rtol 1e-9. A mismatch is reported (and the contender still timed); an exception
is reported and the contender left out of that matrix's timings.

Timing: one thread = process CPU time (``time.process_time``), every anchor at one thread, interleaved
(A B C D, B C D A, ...), one warm-up round, median of ``--repeats``. Two threads = wall clock, interleaved,
every contender at two threads; scipy has no threads and runs single-threaded in the same interleaved run
(its wall time is given for reference). The CPU time of the two-thread calls is recorded too (utilization =
CPU / wall, about 2 when both threads work). Ratios are time(anchor) / time(ircc): > 1 means ircc is
faster. "best anchor" is the fastest of scipy, MKL and GraphBLAS at that thread count.

Derived figures per contender: multiply-adds per second (flops = multiply-adds = the sum over the nonzeros
A[i, k] of nnz(B row k)) and achieved bytes per second under a simple traffic model:

    bytes = A:       (m+1)*p + nnz(A)*(i+v)                    (row pointers, column indices, values)
          + B rows:  nnz(A)*2*p + flops*(i+v)                  (for every A[i, k]: B.indptr[k:k+2], row k)
          + C:       (m+1)*p + nnz(C)*(i+v)                    (written once)

with p, i the index widths (4 bytes here: int32) and v = 8 (float64). Every touch of a B row counts, as if
nothing stayed in cache, so a cache-friendly matrix can exceed the memory bandwidth. The JSON also has the
compulsory traffic (A once, since B is A, plus C written once). Reference bandwidth, measured in the same
run: a numpy STREAM triad ``a = b + s*c`` as ``np.multiply(c, s, out=a); np.add(a, b, out=a)`` over
float64 arrays of max(4 x last-level cache, 32 MiB) each, best of several; numpy needs two passes, which move
5 arrays' worth of data (read c, write a; read a, read b, write a), so bandwidth = 5*8*n / time (write-
allocate reads not counted; STREAM's own convention, 3*8*n / time, is in the JSON too). Two-thread figure:
the same with each half of the arrays in its own Python thread (numpy releases the GIL).

Peak memory (full run only, ``--no-memory`` skips it): each ircc kernel (1 and 2 threads) and scipy for
reference runs in a fresh ``python`` subprocess that loads A (saved to a temporary .npy set), compiles and
warms up on a tiny product, resets the peak-RSS mark (``/proc/self/clear_refs`` 5), reads the RSS (VmRSS),
runs one product and reads the peak (VmHWM of /proc/self/status; ``getrusage(RUSAGE_SELF).ru_maxrss`` is
recorded too, but it also carries the RSS the parent had when it forked the child, through exec, so it can
sit above the child's own peak; it is the fallback where the reset is not available). Extra =
peak - RSS before the product; the ratio reported is (inputs + extra) / (inputs + output), with inputs =
the bytes of A's three arrays (counted once: B is A) and output = the bytes of C's three arrays. Target:
<= 1.5.

Targets (the SpGEMM issue): ircc >= 1.2x scipy at one thread and >= 1.5x the best anchor at two threads on
every matrix; peak memory <= 1.5x (output + inputs). Results: benchmarks/results/spgemm.{json,md}
(``spgemm-quick.*`` with ``--quick``).
"""

from __future__ import annotations

import argparse
import gc
import glob
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # no spinning OpenMP workers between interleaved calls
os.environ.setdefault("KMP_BLOCKTIME", "0")
_MKL_RT = sorted(glob.glob(sys.prefix + "/lib/libmkl_rt.so*"))
if _MKL_RT:
    os.environ.setdefault("MKL_RT", _MKL_RT[0])

import numpy as np  # noqa: E402
import scipy.sparse as sps  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _timing import interleaved, load_average, machine, median  # noqa: E402
from workloads_spgemm import flops as count_flops  # noqa: E402
from workloads_spgemm import workloads  # noqa: E402

ANCHORS = ("scipy", "mkl", "graphblas")
RTOL = 1e-9


# ---------------------------------------------------------------------------------------------- anchors


class Anchor:
    """One library: ``prepare(A)`` (untimed), ``call(prepared)`` (timed), ``to_scipy(result)``, ``threads(T)``."""

    def __init__(self, name: str, prepare, call, to_scipy, threads, version: str):
        self.name, self.prepare, self.call, self.to_scipy, self.threads = name, prepare, call, to_scipy, threads
        self.version = version


def load_anchors(notes: list[str], graphblas_wait: bool = False) -> dict[str, Anchor]:
    import scipy

    anchors = {"scipy": Anchor("scipy", lambda A: A, lambda A: A @ A, lambda C: C, lambda t: None,
                               scipy.__version__)}
    try:
        import sparse_dot_mkl as sdm

        anchors["mkl"] = Anchor("mkl", lambda A: A, lambda A: sdm.dot_product_mkl(A, A), lambda C: C,
                                sdm.mkl_set_num_threads, f"sparse_dot_mkl {sdm.__version__}")
    except Exception as exc:  # noqa: BLE001 - an anchor that cannot load is skipped, not fatal
        notes.append(f"mkl skipped: cannot import sparse_dot_mkl ({type(exc).__name__}: {exc}); "
                     f"MKL_RT={os.environ.get('MKL_RT')}")
    try:
        import graphblas as gb

        def gb_threads(t: int) -> None:
            gb.ss.config["nthreads"] = t

        def gb_version() -> str:
            try:
                ss = gb.ss.about["library_version"]
                return f"python-graphblas {gb.__version__}, SuiteSparse:GraphBLAS {'.'.join(map(str, ss))}"
            except Exception:  # noqa: BLE001
                return f"python-graphblas {gb.__version__}"

        def gb_call(G):
            C = gb.semiring.plus_times(G @ G).new()
            return C.wait() if graphblas_wait else C

        anchors["graphblas"] = Anchor("graphblas", gb.io.from_scipy_sparse, gb_call,
                                      lambda C: gb.io.to_scipy_sparse(C, format="csr"), gb_threads, gb_version())
    except Exception as exc:  # noqa: BLE001
        notes.append(f"graphblas skipped: cannot import python-graphblas ({type(exc).__name__}: {exc})")
    return anchors


def compile_ircc(ircc, algorithms: list[str]) -> tuple[dict[tuple[str, int], Any], dict[str, str], dict]:
    """``{(alg, threads): kernel}``, ``{alg: error text}`` for algorithms that do not compile, compile seconds."""
    kernels, errors, seconds = {}, {}, {}
    for alg in algorithms:
        for t in (1, 2):
            try:
                t0 = time.perf_counter()
                kernels[(alg, t)] = ircc.compile(ircc.sparse.spgemm(dtype=np.float64), target="llvm",
                                                 algorithm=alg, threads=t)
                seconds[f"ircc-{alg}/{t}"] = time.perf_counter() - t0
            except Exception as exc:  # noqa: BLE001 - reported per matrix
                errors[alg] = f"compile (threads={t}): {type(exc).__name__}: {exc}"
                break
    return kernels, errors, seconds


# ---------------------------------------------------------------------------------------------- checks


def _canonical(C: Any) -> Any:
    """Canonicalized in place (every result checked here is a fresh object; no copy of a large product)."""
    if not isinstance(C, sps.csr_array):
        C = sps.csr_array(C)
    C.sum_duplicates()  # sorts too; a no-op on a canonical result
    C.sort_indices()
    C.eliminate_zeros()
    return C


def _rows_sorted(C: Any) -> bool:
    """Whether every row's column indices are strictly increasing (the result as returned)."""
    idx = np.asarray(C.indices, dtype=np.int64)
    if len(idx) < 2:
        return True
    step = np.diff(idx) > 0
    row_start = np.zeros(len(idx), dtype=bool)
    starts = np.asarray(C.indptr[1:-1], dtype=np.int64)
    row_start[starts[(starts > 0) & (starts < len(idx))]] = True
    return bool(np.all(step | row_start[1:]))


def compare(ref: Any, got: Any) -> dict:
    """``{"ok", "detail", "sorted"}``: got (as returned, then canonicalized) against the canonical ref."""
    sorted_rows = _rows_sorted(got)
    got = _canonical(got)
    if got.shape != ref.shape:
        return {"ok": False, "detail": f"shape {got.shape} != {ref.shape}", "sorted": sorted_rows}
    if got.nnz != ref.nnz or not np.array_equal(got.indptr.astype(np.int64), ref.indptr.astype(np.int64)):
        rows = int(np.count_nonzero(np.diff(got.indptr.astype(np.int64)) != np.diff(ref.indptr.astype(np.int64))))
        return {"ok": False, "detail": f"pattern: nnz {got.nnz} != {ref.nnz}, {rows} rows differ in length",
                "sorted": sorted_rows}
    if not np.array_equal(got.indices, ref.indices):
        bad = int(np.count_nonzero(got.indices != ref.indices))
        return {"ok": False, "detail": f"pattern: {bad} column indices differ", "sorted": sorted_rows}
    if not np.allclose(got.data, ref.data, rtol=RTOL, atol=0.0):
        err = np.abs(got.data - ref.data) / np.maximum(np.abs(ref.data), np.finfo(float).tiny)
        return {"ok": False, "detail": f"values: max relative error {err.max():.3g} (rtol {RTOL})",
                "sorted": sorted_rows}
    return {"ok": True, "detail": "", "sorted": sorted_rows}


# ---------------------------------------------------------------------------------------------- bandwidth


def _llc_bytes() -> int:
    best = 0
    for path in glob.glob("/sys/devices/system/cpu/cpu0/cache/index*/size"):
        try:
            text = Path(path).read_text().strip().upper()
            mult = {"K": 2**10, "M": 2**20, "G": 2**30}.get(text[-1], 1)
            best = max(best, int(text.rstrip("KMG")) * mult)
        except (OSError, ValueError):
            pass
    return best or 32 * 2**20


def stream_triad(rounds: int) -> dict:
    """Best-of-``rounds`` numpy triad bandwidth at one and two threads (see the module docstring)."""
    llc = _llc_bytes()
    n = max(4 * llc, 32 * 2**20) // 8
    a, b, c = np.zeros(n), np.ones(n), np.full(n, 2.0)
    s = 3.0

    def triad(lo: int, hi: int) -> None:
        np.multiply(c[lo:hi], s, out=a[lo:hi])
        np.add(a[lo:hi], b[lo:hi], out=a[lo:hi])

    def two_threads() -> None:
        half = n // 2
        t = threading.Thread(target=triad, args=(half, n))
        t.start()
        triad(0, half)
        t.join()

    best = {1: float("inf"), 2: float("inf")}
    triad(0, n)
    two_threads()
    for _ in range(rounds):
        for threads, fn in ((1, lambda: triad(0, n)), (2, two_threads)):
            t0 = time.perf_counter()
            fn()
            best[threads] = min(best[threads], time.perf_counter() - t0)
    ok = bool(np.all(a[:: max(1, n // 1000)] == 7.0))
    return {"llc_bytes": llc, "n": n, "array_bytes": 8 * n, "rounds": rounds, "best_s": best, "check_ok": ok,
            "bytes_per_s": {t: 5 * 8 * n / best[t] for t in best},
            "stream_convention_bytes_per_s": {t: 3 * 8 * n / best[t] for t in best}}


def traffic(A: Any, flops: int, nnz_c: int) -> dict:
    """Bytes of the touched-rows model and of the compulsory model (see the module docstring)."""
    m = A.shape[0]
    p, i, v = A.indptr.itemsize, A.indices.itemsize, A.data.itemsize
    po = io = 4 if max(nnz_c, m + 1) < 2**31 else 8
    a_bytes = (m + 1) * p + A.nnz * (i + v)
    b_touched = A.nnz * 2 * p + flops * (i + v)
    c_bytes = (m + 1) * po + nnz_c * (io + v)
    return {"touched": a_bytes + b_touched + c_bytes, "compulsory": a_bytes + c_bytes, "a_bytes": a_bytes,
            "b_touched_bytes": b_touched, "c_bytes": c_bytes}


# ---------------------------------------------------------------------------------------------- memory


def _status_kb(key: str) -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return -1


def memory_child(path: str, contender: str, threads: int) -> None:
    """Runs in a fresh interpreter: load A, prepare, reset the peak mark, one product, print JSON."""
    import resource

    with np.load(path) as z:
        n = int(z["n"])
        A = sps.csr_array((z["data"], z["indices"], z["indptr"]), shape=(n, n))
    A.has_canonical_format = True
    tiny = sps.random_array((50, 50), density=0.1, format="csr", random_state=0)
    if contender == "scipy":
        def run(X):
            return X @ X
    else:
        import ircc
        import ircc.sparse

        alg = contender.removeprefix("ircc-")
        kernel = ircc.compile(ircc.sparse.spgemm(dtype=np.float64), target="llvm", algorithm=alg, threads=threads)

        def run(X):
            return kernel(X, X)
    run(tiny)
    gc.collect()
    reset = True
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
    except OSError:
        reset = False
    rss_before = _status_kb("VmRSS")
    maxrss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    C = run(A)
    maxrss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out = {"reset_ok": reset, "rss_before_kb": rss_before, "maxrss_before_kb": maxrss_before,
           "maxrss_after_kb": maxrss_after, "hwm_after_kb": _status_kb("VmHWM"), "nnz_c": int(C.nnz),
           "input_bytes": int(A.data.nbytes + A.indices.nbytes + A.indptr.nbytes),
           "output_bytes": int(C.data.nbytes + C.indices.nbytes + C.indptr.nbytes)}
    print("MEMORY " + json.dumps(out))


def measure_memory(A: Any, contenders: list[tuple[str, int]], tmp: Path) -> dict:
    path = tmp / "A.npz"
    np.savez(path, n=A.shape[0], indptr=A.indptr, indices=A.indices, data=A.data)
    results = {}
    for name, threads in contenders:
        key = f"{name}/{threads}"
        try:
            proc = subprocess.run([sys.executable, __file__, "--_memory-child", str(path), name, str(threads)],
                                  capture_output=True, text=True, timeout=1800, check=False)
            line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("MEMORY ")), None)
            if proc.returncode != 0 or line is None:
                tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
                results[key] = {"error": f"rc {proc.returncode}: " + " | ".join(tail)}
                continue
            r = json.loads(line[len("MEMORY "):])
        except Exception as exc:  # noqa: BLE001
            results[key] = {"error": f"{type(exc).__name__}: {exc}"}
            continue
        if r["reset_ok"] and r["hwm_after_kb"] > 0:
            extra = max(0, r["hwm_after_kb"] - r["rss_before_kb"]) * 1024
        else:  # no peak reset: ru_maxrss may still hold the compile's (or the forking parent's) peak
            extra = max(0, r["maxrss_after_kb"] - r["maxrss_before_kb"]) * 1024
        r["extra_bytes"] = extra
        r["ratio"] = (r["input_bytes"] + extra) / (r["input_bytes"] + r["output_bytes"])
        results[key] = r
    path.unlink(missing_ok=True)
    return results


# ---------------------------------------------------------------------------------------------- one matrix


def _err(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) < 500 else text[:500] + "..."


def run_matrix(w, A, repeats: int, anchors: dict[str, Anchor], kernels: dict, compile_errors: dict,
               algorithms: list[str], memory: bool, tmp: Path) -> dict:
    m = A.shape[0]
    flops = count_flops(A, A)
    res: dict[str, Any] = {"matrix": w.name, "description": w.description, "source": w.source, "n": m,
                           "nnz_a": int(A.nnz), "flops": flops, "errors": {}, "checks": {}}
    ircc_names = [f"ircc-{a}" for a in algorithms]
    for alg in algorithms:
        if alg in compile_errors:
            res["errors"][f"ircc-{alg}"] = compile_errors[alg]

    # correctness, against scipy's product
    prepared = {}
    for name, anchor in anchors.items():
        try:
            anchor.threads(1)
            prepared[name] = anchor.prepare(A)
        except Exception as exc:  # noqa: BLE001
            res["errors"][name] = "prepare: " + _err(exc)
    ref_raw = anchors["scipy"].call(A)
    res["checks"]["scipy"] = {"ok": True, "detail": "reference", "sorted": _rows_sorted(ref_raw)}
    ref = _canonical(ref_raw)
    del ref_raw
    nnz_c = int(ref.nnz)
    res["nnz_c"] = nnz_c
    res["traffic_bytes"] = traffic(A, flops, nnz_c)
    for name in [a for a in anchors if a != "scipy" and a in prepared]:
        try:
            res["checks"][name] = compare(ref, anchors[name].to_scipy(anchors[name].call(prepared[name])))
        except Exception as exc:  # noqa: BLE001
            res["errors"][name] = "call: " + _err(exc)
            prepared.pop(name)
    live_ircc: dict[tuple[str, int], Any] = {}
    for alg in algorithms:
        for t in (1, 2):
            k = kernels.get((alg, t))
            if k is None:
                continue
            key = f"ircc-{alg}" + ("" if t == 1 else "/2")
            C = None
            try:
                C = k(A, A)
                res["checks"][key] = compare(ref, C)
                res["checks"][key]["stats"] = {k2: v for k2, v in dict(k.stats).items()
                                               if isinstance(v, (int, float, str))}
                live_ircc[(alg, t)] = k
            except Exception as exc:  # noqa: BLE001
                res["errors"][key] = "call: " + _err(exc)
            del C
    del ref
    gc.collect()

    def timing_error(label: str):
        def report(name: str, exc: BaseException) -> None:
            res["errors"][f"{name} ({label})"] = _err(exc)
        return report

    def contenders(threads: int) -> dict:
        """Every anchor set to ``threads`` and every ircc kernel compiled for it, as calls to time."""
        for anchor in anchors.values():
            anchor.threads(threads)
        fns = {name: (lambda a=anchors[name], p=prepared[name]: a.call(p)) for name in prepared}
        for alg in algorithms:
            if (alg, threads) in live_ircc:
                fns[f"ircc-{alg}"] = lambda k=live_ircc[(alg, threads)]: k(A, A)
        return fns

    # one thread: process CPU time
    fns1 = contenders(1)
    t1 = interleaved(fns1, repeats, clock=time.process_time, on_error=timing_error("1 thread"))
    res["t1_cpu_s"] = {k: median(v) for k, v in t1.items() if v}
    res["t1_samples"] = t1

    # two threads: wall clock (scipy single-threaded, for reference)
    fns2 = contenders(2)
    usage: dict[str, dict[str, list[float]]] = {}
    t2 = interleaved(fns2, repeats, clock=time.perf_counter, on_error=timing_error("2 threads"), usage=usage)
    for anchor in anchors.values():
        anchor.threads(1)
    res["t2_wall_s"] = {k: median(v) for k, v in t2.items() if v}
    res["t2_samples"] = t2
    res["t2_utilization"] = {k: median([(u + s) / w for u, s, w in zip(usage[k]["user_s"], usage[k]["sys_s"], t2[k])])
                             for k in usage if t2.get(k)}

    # ratios and rates
    best1 = min((res["t1_cpu_s"][a] for a in ANCHORS if a in res["t1_cpu_s"]), default=float("nan"))
    best2 = min((res["t2_wall_s"][a] for a in ANCHORS if a in res["t2_wall_s"]), default=float("nan"))
    res["best_anchor"] = {
        "t1": min((a for a in ANCHORS if a in res["t1_cpu_s"]), key=lambda a: res["t1_cpu_s"][a], default=None),
        "t2": min((a for a in ANCHORS if a in res["t2_wall_s"]), key=lambda a: res["t2_wall_s"][a], default=None)}
    res["ratios"] = {}
    for name in ircc_names:
        r = {}
        if name in res["t1_cpu_s"]:
            r["t1_scipy_over_ircc"] = res["t1_cpu_s"].get("scipy", float("nan")) / res["t1_cpu_s"][name]
            r["t1_best_over_ircc"] = best1 / res["t1_cpu_s"][name]
        if name in res["t2_wall_s"]:
            r["t2_best_over_ircc"] = best2 / res["t2_wall_s"][name]
            r["t2_scipy_over_ircc"] = res["t2_wall_s"].get("scipy", float("nan")) / res["t2_wall_s"][name]
        res["ratios"][name] = r
    tb = res["traffic_bytes"]
    res["rates"] = {}
    for label, times in (("t1", res["t1_cpu_s"]), ("t2", res["t2_wall_s"])):
        for name, t in times.items():
            res["rates"].setdefault(name, {})[label] = {"madds_per_s": flops / t, "bytes_per_s": tb["touched"] / t,
                                                         "compulsory_bytes_per_s": tb["compulsory"] / t}

    if memory:
        contenders = [("scipy", 1)] + [(f"ircc-{a}", t) for a in algorithms for t in (1, 2) if (a, t) in live_ircc]
        res["memory"] = measure_memory(A, contenders, tmp)
    return res


# ---------------------------------------------------------------------------------------------- output


def _t(x: float | None) -> str:
    if x is None or x != x:
        return "-"
    ms = x * 1e3
    return f"{ms:.0f}" if ms >= 100 else f"{ms:.1f}" if ms >= 1 else f"{ms:.2f}"


def _r(x: float | None) -> str:
    return "-" if x is None or x != x else f"{x:.2f}"


def _big(x: float) -> str:
    for unit, div in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if x >= div:
            return f"{x / div:.1f}{unit}"
    return f"{x:.0f}"


def markdown(results: list[dict], meta: dict) -> str:
    contenders = [c for c in meta["contenders"]]
    ircc_names = [c for c in contenders if c.startswith("ircc-")]
    tri = meta["triad"]["bytes_per_s"]
    head = ["matrix", "n", "nnz(A)", "flops", "nnz(C)"]
    for c in contenders:
        head += [f"{c} 1T", f"{c} 2T"]
    for c in ircc_names:
        head += [f"scipy/{c} 1T", f"best/{c} 1T", f"best/{c} 2T"]
    lines = [
        "# SpGEMM C = A @ A: ircc vs scipy, MKL, GraphBLAS",
        "",
        f"`python benchmarks/spgemm.py{' --quick' if meta['quick'] else ''}` on {meta['date']}, "
        f"{meta['machine']['cpu']} ({meta['machine']['cores_usable']} cores), load average "
        f"{meta['load_before']} before, {meta['load_after']} after; ircc {meta['versions'].get('ircc')}, "
        + ", ".join(f"{k} {v}" for k, v in meta["versions"].items() if k != "ircc") + ".",
        "",
        "Times in ms: 1T = one thread, process CPU time; 2T = two threads, wall clock (scipy has no threads: its "
        f"2T column is its single-thread wall time in the same interleaved run). Medians of {meta['repeats']} "
        "interleaved calls after one warm-up round. Ratios are time(anchor) / time(ircc), > 1 means ircc is "
        "faster; best = the fastest of scipy, MKL, GraphBLAS at that thread count. flops = multiply-adds.",
        "",
        "| " + " | ".join(head) + " |",
        "|---|" + "---:|" * (len(head) - 1),
    ]
    for r in results:
        if "skipped" in r:
            lines.append(f"| {r['matrix']} | skipped: {r['skipped']} |" + " |" * (len(head) - 2))
            continue
        row = [r["matrix"], str(r["n"]), _big(r["nnz_a"]), _big(r["flops"]), _big(r["nnz_c"])]
        for c in contenders:
            row += [_t(r["t1_cpu_s"].get(c)), _t(r["t2_wall_s"].get(c))]
        for c in ircc_names:
            q = r["ratios"].get(c, {})
            row += [_r(q.get("t1_scipy_over_ircc")), _r(q.get("t1_best_over_ircc")), _r(q.get("t2_best_over_ircc"))]
        lines.append("| " + " | ".join(row) + " |")
    lines += [
        "",
        "Targets (SpGEMM issue): ircc >= 1.2x scipy at one thread and >= 1.5x the best anchor at two threads on "
        "every matrix (the scipy/ircc 1T and best/ircc 2T columns); peak memory <= 1.5x (output + inputs).",
        "",
        "## Throughput and memory",
        "",
        f"Multiply-adds per second and achieved bytes per second (touched-rows model: A + every B row touched + C; "
        f"see the script's docstring) at 1T and 2T; % = of the numpy triad bandwidth measured in this run "
        f"({tri['1'] / 1e9:.1f} GB/s one thread, {tri['2'] / 1e9:.1f} GB/s two threads: 5*8*n bytes per two-pass "
        f"triad over {meta['triad']['array_bytes'] / 2**20:.0f} MiB arrays). "
        + ("Peak memory: extra RSS of one product in a fresh process; ratio = (inputs + extra) / (inputs + output)."
           if meta["memory"] else "Peak memory not measured (quick run or --no-memory)."),
        "",
        "| matrix | contender | Madd/s 1T | Madd/s 2T | GB/s 1T (% triad) | GB/s 2T (% triad) | 2T CPU/wall | "
        "extra MB 1T / 2T | in + out MB | peak ratio 1T / 2T |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        if "skipped" in r:
            continue
        for c in contenders:
            rate = r["rates"].get(c)
            if not rate:
                continue
            cells = [r["matrix"], c]
            for label in ("t1", "t2"):
                x = rate.get(label)
                cells.append(f"{x['madds_per_s'] / 1e6:.0f}" if x else "-")
            for label, key in (("t1", "1"), ("t2", "2")):
                x = rate.get(label)
                cells.append(f"{x['bytes_per_s'] / 1e9:.2f} ({100 * x['bytes_per_s'] / tri[key]:.0f}%)" if x else "-")
            cells.append(_r(r["t2_utilization"].get(c)))
            mem = r.get("memory", {})
            m1, m2 = mem.get(f"{c}/1", {}), mem.get(f"{c}/2", {})
            if m1 or m2:
                got = [m for m in (m1, m2) if m and "error" not in m]
                cells.append(" / ".join(f"{m['extra_bytes'] / 2**20:.0f}" if m and "error" not in m else
                                        ("err" if m else "-") for m in (m1, m2)))
                cells.append(f"{(got[0]['input_bytes'] + got[0]['output_bytes']) / 2**20:.0f}" if got else "-")
                cells.append(" / ".join(_r(m["ratio"]) if m and "error" not in m else ("err" if m else "-")
                                        for m in (m1, m2)))
            else:
                cells += ["-", "-", "-"]
            lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "## Notes", ""]
    for note in meta["notes"]:
        lines.append(f"- {note}")
    for r in results:
        if "skipped" in r:
            lines.append(f"- {r['matrix']}: skipped ({r['skipped']}).")
            continue
        if r["source"] != "generated":
            lines.append(f"- {r['matrix']}: read from `{r['source']}`.")
        bad = {k: v for k, v in r["checks"].items() if not v["ok"]}
        for k, v in bad.items():
            lines.append(f"- {r['matrix']}: **{k} differs from scipy**: {v['detail']}.")
        for k, v in r["errors"].items():
            lines.append(f"- {r['matrix']}: **{k} failed**: `{v}`.")
        for k, v in r.get("memory", {}).items():
            if "error" in v:
                lines.append(f"- {r['matrix']}: memory measurement of {k} failed: `{v['error']}`.")
    checked = sorted({k for r in results if "checks" in r for k, v in r["checks"].items() if v["ok"]} - {"scipy"})
    unsorted = sorted({k for r in results if "checks" in r for k, v in r["checks"].items() if not v["sorted"]})
    lines.append(f"- Results equal to scipy's (canonicalized; data rtol {RTOL}) where not listed above: "
                 f"{', '.join(checked) or 'none'} (ircc at 1 and 2 threads, the anchors at one thread).")
    gbnote = ("timed with .wait(), which sorts its result" if meta["graphblas_wait"] else
              "timed without .wait(): SuiteSparse leaves the result unsorted (jumbled) until first use; "
              "the check converts it to scipy, which sorts it")
    lines.append(f"- Column indices returned unsorted on some matrix: {', '.join(unsorted) or 'none'}; ircc sorts "
                 f"every row; GraphBLAS' result stays a GraphBLAS matrix, {gbnote}.")
    algs = {r["matrix"]: {k: v.get("stats", {}).get("algorithm") for k, v in r.get("checks", {}).items()
                          if k.startswith("ircc-")} for r in results}
    lines.append("- ircc algorithm chosen (k.stats): " + "; ".join(
        f"{m}: " + ", ".join(f"{k}={v}" for k, v in d.items()) for m, d in algs.items() if d) + ".")
    lines.append("- ircc compile times (s): "
                 + ", ".join(f"{k} {v:.2f}" for k, v in meta["ircc_compile_s"].items()) + ".")
    busy = [r["matrix"] for r in results if "t2_utilization" in r
            and any(v < 1.3 for k, v in r["t2_utilization"].items() if k != "scipy")]
    lines.append("- Shared 2-core VM: figures are noisy; the two-thread numbers especially (the load average "
                 "above says how busy the machine was)."
                 + (f" Two-thread rows where some threaded contender got < 1.3 CPUs on average (CPU/wall), i.e. "
                    f"the machine was busy and the 2T figures say little: {', '.join(busy)}." if busy else ""))
    lines.append("")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------- main


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--_memory-child":
        memory_child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small matrices (a smoke run well under a minute)")
    parser.add_argument("--repeats", type=int, default=None, help="timed calls per contender (default 5, quick 3)")
    parser.add_argument("--only", default="", help="comma-separated matrix names or families "
                        "(uniform, rmat, ba, poisson, copter2, or full names like rmat-15)")
    parser.add_argument("--algorithms", default="auto", help="comma-separated ircc algorithms (default auto); "
                        "each is a contender ircc-<alg>")
    parser.add_argument("--graphblas-wait", action="store_true", help="time GraphBLAS with .wait() (its "
                        "deferred sort of the result included)")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory subprocesses")
    parser.add_argument("--out", default=str(HERE / "results"), help="directory for spgemm.json / spgemm.md")
    ns = parser.parse_args()
    repeats = ns.repeats or (3 if ns.quick else 5)
    algorithms = [a for a in ns.algorithms.split(",") if a]
    memory = not ns.quick and not ns.no_memory
    all_w = workloads(ns.quick)
    wanted = [x for x in ns.only.split(",") if x]
    chosen = [w for w in all_w if not wanted or any(w.name == x or w.name.split("-")[0] == x for x in wanted)]
    if wanted and not chosen:
        parser.error(f"no matrix matches {ns.only}; matrices: {', '.join(w.name for w in all_w)}")

    import ircc
    import ircc.sparse

    notes: list[str] = []
    meta: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M"), "quick": ns.quick, "repeats": repeats,
                            "machine": machine(), "load_before": load_average(), "algorithms": algorithms,
                            "memory": memory, "notes": notes, "graphblas_wait": ns.graphblas_wait,
                            "env": {k: os.environ.get(k) for k in ("MKL_RT", "OMP_WAIT_POLICY", "KMP_BLOCKTIME",
                                                                   "OMP_NUM_THREADS", "MKL_NUM_THREADS")}}
    print(f"load average before: {meta['load_before']}", flush=True)
    anchors = load_anchors(notes, ns.graphblas_wait)
    for note in notes:
        print(note, flush=True)
    kernels, compile_errors, compile_s = compile_ircc(ircc, algorithms)
    for alg, text in compile_errors.items():
        print(f"ircc-{alg}: {text}", flush=True)
    meta["ircc_compile_s"] = compile_s
    meta["contenders"] = list(anchors) + [f"ircc-{a}" for a in algorithms]
    meta["versions"] = {"ircc": ircc.__version__, "numpy": np.__version__,
                        **{name: a.version for name, a in anchors.items()}}
    meta["triad"] = stream_triad(rounds=3 if ns.quick else 7)
    tri = meta["triad"]["bytes_per_s"]
    print(f"triad (numpy, 5*8*n bytes): {tri[1] / 1e9:.1f} GB/s 1 thread, {tri[2] / 1e9:.1f} GB/s 2 threads",
          flush=True)
    meta["triad"]["bytes_per_s"] = {str(k): v for k, v in tri.items()}
    meta["triad"]["stream_convention_bytes_per_s"] = {
        str(k): v for k, v in meta["triad"]["stream_convention_bytes_per_s"].items()}
    meta["triad"]["best_s"] = {str(k): v for k, v in meta["triad"]["best_s"].items()}
    meta["files"] = {}

    results = []
    with tempfile.TemporaryDirectory(prefix="spgemm-bench-") as tmpdir:
        for w in chosen:
            t0 = time.perf_counter()
            A = w.make()
            gen_s = time.perf_counter() - t0
            if w.source != "generated":
                meta["files"][w.name] = w.source if A is not None else None
            if A is None:
                msg = f"{w.source} not found"
                print(f"{w.name:14s} skipped: {msg}", flush=True)
                results.append({"matrix": w.name, "source": w.source, "skipped": msg})
                continue
            r = run_matrix(w, A, repeats, anchors, kernels, compile_errors, algorithms, memory, Path(tmpdir))
            r["generate_s"] = gen_s
            results.append(r)
            s1, s2 = r["t1_cpu_s"], r["t2_wall_s"]
            parts = [f"{w.name:14s} n={r['n']} nnz(A)={r['nnz_a']} flops={r['flops']} nnz(C)={r['nnz_c']} "
                     f"(gen {gen_s:.1f}s)"]
            parts.append("1T " + " ".join(f"{k} {_t(v)}" for k, v in s1.items()) + " ms")
            parts.append("2T " + " ".join(f"{k} {_t(v)}" for k, v in s2.items()) + " ms")
            for c, q in r["ratios"].items():
                parts.append(f"{c}: scipy/ircc 1T {_r(q.get('t1_scipy_over_ircc'))}, best/ircc 1T "
                             f"{_r(q.get('t1_best_over_ircc'))}, 2T {_r(q.get('t2_best_over_ircc'))}")
            bad = [k for k, v in r["checks"].items() if not v["ok"]]
            if bad:
                parts.append("MISMATCH " + ", ".join(bad))
            if r["errors"]:
                parts.append("ERRORS " + "; ".join(f"{k}: {v}" for k, v in r["errors"].items()))
            if "memory" in r:
                parts.append("peak ratio " + " ".join(
                    f"{k} {_r(v.get('ratio')) if 'error' not in v else 'err'}" for k, v in r["memory"].items()))
            print(" | ".join(parts), flush=True)
            del A
            gc.collect()

    meta["load_after"] = load_average()
    print(f"load average after: {meta['load_after']}", flush=True)
    out = Path(ns.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = "spgemm-quick" if ns.quick else "spgemm"
    (out / f"{stem}.json").write_text(json.dumps({"meta": meta, "results": results}, indent=1, default=str))
    (out / f"{stem}.md").write_text(markdown(results, meta))
    print(f"wrote {out / (stem + '.md')}")


if __name__ == "__main__":
    main()
