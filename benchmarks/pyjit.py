"""@ircc.jit against numba.njit (serial and parallel=True) and numpy on five kernels.

    python benchmarks/pyjit.py [--quick] [--repeats N] [--only NAME,...]

Per kernel: the compile time of one specialization (numba: ``dispatcher.compile(signature)``; ircc:
``dispatcher.kernel(*args)``, the compile cache off; both compilers warmed up on another function
first; median of 3, all compiles before any parallel run), the steady-state time of one call on one
thread (process CPU time, median, contenders interleaved; numpy limited to one BLAS thread) and on
two threads (wall clock, interleaved; numba
``parallel=True`` with ``numba.set_num_threads(2)``, ircc ``threads=2``). Every compiled output is
checked against numpy's before timing. Results: benchmarks/results/pyjit.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # numpy's matmul on one thread, like the single-thread contenders

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _timing import interleaved, load_average, machine, median  # noqa: E402
from workloads_pyjit import CASES, check, make_args  # noqa: E402


def _warm_up(numba, ircc) -> None:
    def warm(a, b):
        s = 0.0
        for i in range(len(a)):
            s += a[i] * b[i]
        return s

    x = np.ones(4)
    numba.njit(warm)(x, x)
    with warnings.catch_warnings():  # "no transformation for parallel execution was possible": none wanted
        warnings.simplefilter("ignore")
        numba.njit(warm, parallel=True)(x, x)
    ircc.jit(warm, target="llvm", cache=False)(x, x)


def _compile_numba(numba, fn, args, parallel: bool) -> tuple[object, float]:
    dispatcher = numba.njit(fn, parallel=parallel)
    sig = tuple(numba.typeof(a) for a in args)
    t0 = time.perf_counter()
    dispatcher.compile(sig)
    return dispatcher, time.perf_counter() - t0


def _compile_ircc(ircc, fn, args, threads: int, parallel: bool) -> tuple[object, float, dict]:
    dispatcher = ircc.jit(fn, target="llvm", threads=threads, parallel=parallel, cache=False)
    t0 = time.perf_counter()
    kernel = dispatcher.kernel(*args)
    return dispatcher, time.perf_counter() - t0, kernel.compile_stats


def compile_all(name: str, quick: bool, numba, ircc, rounds: int = 3) -> dict:
    """Compile each variant ``rounds`` times from fresh dispatchers (medians). Runs before any parallel
    code, whose idle worker threads would otherwise share the cores with the compilers."""
    fn = CASES[name][0]
    args = make_args(name, quick=quick, threads=2)
    times: dict[str, list[float]] = {"numba": [], "numba_parallel": [], "ircc": [], "ircc_parallel": []}
    last: dict[str, object] = {}
    for _ in range(rounds):
        last["numba"], t = _compile_numba(numba, fn, args, parallel=False)
        times["numba"].append(t)
        last["ircc"], t, stats = _compile_ircc(ircc, fn, args, threads=1, parallel=False)
        times["ircc"].append(t)
        last["numba_parallel"], t = _compile_numba(numba, fn, args, parallel=True)
        times["numba_parallel"].append(t)
        last["ircc_parallel"], t, _ = _compile_ircc(ircc, fn, args, threads=2, parallel=True)
        times["ircc_parallel"].append(t)
    phases = {k: v for k, v in stats.items() if k.endswith("_s")}
    return {"compile_s": {k: median(v) for k, v in times.items()}, "compile_samples": times,
            "ircc_compile_phases": phases, "dispatchers": last}


def run_case(name: str, quick: bool, repeats: int, numba, compiled: dict) -> dict:
    fn, numpy_fn, out_index, size = CASES[name]
    args = make_args(name, quick=quick, threads=2)
    want_args = make_args(name, quick=quick, threads=2)
    numpy_fn(*want_args)
    want = want_args[out_index]
    d = compiled["dispatchers"]
    nb1, nb2, ir1, ir2 = d["numba"], d["numba_parallel"], d["ircc"], d["ircc_parallel"]
    numba.set_num_threads(2)
    for label, f in (("numba", nb1), ("numba parallel", nb2), ("ircc", ir1), ("ircc parallel", ir2),
                     ("numpy", numpy_fn)):
        run_args = make_args(name, quick=quick, threads=2)
        f(*run_args)
        check(f"{name} ({label})", run_args[out_index], want)

    serial = interleaved({"numba": lambda: nb1(*args), "ircc": lambda: ir1(*args),
                          "numpy": lambda: numpy_fn(*args)}, repeats, clock=time.process_time)
    parallel = interleaved({"numba": lambda: nb2(*args), "ircc": lambda: ir2(*args)}, repeats,
                           clock=time.perf_counter)
    s = {k: median(v) for k, v in serial.items()}
    p = {k: median(v) for k, v in parallel.items()}
    c = compiled["compile_s"]
    return {
        "kernel": name, "size": size, "quick": quick,
        "compile_s": c, "compile_samples": compiled["compile_samples"],
        "ircc_compile_phases": compiled["ircc_compile_phases"],
        "serial_cpu_s": s, "serial_samples": serial,
        "parallel2_wall_s": p, "parallel2_samples": parallel,
        "ratio_serial_ircc_over_numba": s["ircc"] / s["numba"],
        "ratio_parallel2_ircc_over_numba": p["ircc"] / p["numba"],
        "ratio_parallel2_best_ircc_over_numba": min(parallel["ircc"]) / min(parallel["numba"]),
        "ratio_compile_ircc_over_numba": c["ircc"] / c["numba"],
    }


def _ms(x: float) -> str:
    return f"{x * 1e3:.1f}" if x >= 0.01 else f"{x * 1e3:.2f}"


def markdown(results: list[dict], meta: dict) -> str:
    lines = [
        "# @ircc.jit vs numba.njit vs numpy",
        "",
        f"`python benchmarks/pyjit.py{' --quick' if meta['quick'] else ''}` on {meta['date']}, "
        f"{meta['machine']['cpu']} ({meta['machine']['cores_usable']} cores), load average "
        f"{meta['load_before']} before, {meta['load_after']} after; numba {meta['numba']}, ircc {meta['ircc']}.",
        "",
        "Times in ms: one thread is process CPU time, two threads wall clock; medians of "
        f"{meta['repeats']} interleaved calls. Compile: one specialization, compilers warmed up, cache off, "
        "median of 3.",
        "",
        "| kernel | size | compile numba / ircc (s) | parallel compile numba / ircc (s) | numpy, 1 thread | "
        "numba, 1 thread | ircc, 1 thread | ircc / numba | numba, 2 threads | ircc, 2 threads | ircc / numba "
        "(best of each) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        c, s, p = r["compile_s"], r["serial_cpu_s"], r["parallel2_wall_s"]
        lines.append(
            f"| {r['kernel']} | {r['size']} | {c['numba']:.2f} / {c['ircc']:.2f} | "
            f"{c['numba_parallel']:.2f} / {c['ircc_parallel']:.2f} | {_ms(s['numpy'])} | {_ms(s['numba'])} | "
            f"{_ms(s['ircc'])} | {r['ratio_serial_ircc_over_numba']:.2f} | {_ms(p['numba'])} | {_ms(p['ircc'])} | "
            f"{r['ratio_parallel2_ircc_over_numba']:.2f} ({r['ratio_parallel2_best_ircc_over_numba']:.2f}) |")
    lines += ["", "Two-thread times on this VM are bimodal for both contenders alike (the second virtual CPU is "
              "sometimes shared): the ratio of the best calls is given beside the ratio of the medians.",
              "", "Targets (issue 3): ircc within 1.1x of numba.njit or faster on every kernel; "
              "compile time <= numba's.", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small shapes (a smoke run of a few seconds)")
    parser.add_argument("--repeats", type=int, default=None, help="timed calls per contender (default 9, quick 3)")
    parser.add_argument("--only", default="", help="comma-separated kernel names")
    parser.add_argument("--out", default=str(HERE / "results"), help="directory for pyjit.json / pyjit.md")
    ns = parser.parse_args()
    import numba

    import ircc

    repeats = ns.repeats or (3 if ns.quick else 9)
    names = [n for n in ns.only.split(",") if n] or list(CASES)
    unknown = [n for n in names if n not in CASES]
    if unknown:
        parser.error(f"unknown kernel(s) {', '.join(unknown)}; kernels: {', '.join(CASES)}")
    meta = {"date": time.strftime("%Y-%m-%d %H:%M"), "quick": ns.quick, "repeats": repeats,
            "machine": machine(), "load_before": load_average(), "numba": numba.__version__,
            "ircc": ircc.__version__}
    _warm_up(numba, ircc)
    compiled = {name: compile_all(name, ns.quick, numba, ircc) for name in names}
    results = []
    for name in names:
        r = run_case(name, ns.quick, repeats, numba, compiled[name])
        results.append(r)
        s, p, c = r["serial_cpu_s"], r["parallel2_wall_s"], r["compile_s"]
        print(f"{name:10s} compile numba {c['numba']:.2f}s ircc {c['ircc']:.2f}s | 1 thread numpy {_ms(s['numpy'])} "
              f"numba {_ms(s['numba'])} ircc {_ms(s['ircc'])} ms ({r['ratio_serial_ircc_over_numba']:.2f}x) | "
              f"2 threads numba {_ms(p['numba'])} ircc {_ms(p['ircc'])} ms "
              f"({r['ratio_parallel2_ircc_over_numba']:.2f}x)", flush=True)
    meta["load_after"] = load_average()
    out = Path(ns.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = "pyjit-quick" if ns.quick else "pyjit"
    (out / f"{stem}.json").write_text(json.dumps({"meta": meta, "results": results}, indent=1))
    (out / f"{stem}.md").write_text(markdown(results, meta))
    print(f"wrote {out / (stem + '.md')}")


if __name__ == "__main__":
    main()
