"""The e-graph pass against the fair baselines, side by side in one run (``make bench-eqsat``).

Workloads: the symbolic benchmark's three (Robertson, the 8-link pendulum, the 30-species mass-action
network; ``workloads_symbolic.py``) and ``identities`` (``workloads_eqsat.py``: where the classic rewrites pay).

Contenders, all one thread, each from the same ``(exprs, args)``:

- ``cse+O3``: ``ircc.compile(..., target="llvm", eqsat=False)``. The sympy frontend emits every distinct
  subexpression once (the sharing ``sympy.cse`` finds: sympy expressions are hash-consed), then xDSL ``cse``
  and LLVM at O3: the baseline the issue calls "sympy cse + the same backend at O3";
- ``cse+O3+fastmath``: the same with ``fastmath=True`` (LLVM's fast-math flags alone);
- ``eqsat-exact``: ``eqsat=True`` (the ``ieee`` ruleset: bit-identical results);
- ``eqsat-fastmath``: ``eqsat=True, fastmath=True`` (every ruleset, and LLVM's flags);
- ``symengine-llvm``: ``symengine.Lambdify(args, exprs, backend="llvm", cse=True, opt_level=3)``.

Per workload and contender: the static cost (the op-cost table's ns per point of the program that runs, from
the pass's report), compile time (wall), e-graph time (saturation + extraction), single-thread runtime
(process CPU time per point, median, all contenders interleaved) in two regimes: *in cache* (as many points
as make a 2 MiB output, at least 256 and at most 4096, evaluated repeatedly into a preallocated output, ~30 ms
of calls per sample: ``kernel(*x, out=buf)``; symengine: ``fn(x, out=buf)``) and *streaming* (100k points,
output allocated per call: page faults and memory bandwidth count), and the max error against mpmath at 40
digits (64 points; error ``|v - ref| / max(1, |ref|)``). Speedups are against ``cse+O3+fastmath``. A cold-start line
times the pendulum's whole compile with eqsat in a fresh process.

``.venv/bin/python benchmarks/eqsat.py`` writes ``benchmarks/results/eqsat.{json,md}``; ``--quick`` is a smoke run
(writes ``eqsat-quick.*``).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import sympy

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _timing
from workloads_eqsat import identities
from workloads_symbolic import WORKLOADS

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
REFERENCE = "cse+O3+fastmath"
VARIANTS = {"cse+O3": (False, False), "cse+O3+fastmath": (False, True), "eqsat-exact": (True, False),
            "eqsat-fastmath": (True, True)}
LOW, HIGH = 0.5, 1.5


def _workloads() -> dict[str, Any]:
    out = dict(WORKLOADS)
    out["identities"] = identities
    return out


def _mpmath_reference(exprs, args, points: np.ndarray) -> np.ndarray:
    import mpmath

    with mpmath.workdps(40):
        fn = sympy.lambdify(args, exprs, modules="mpmath")
        return np.array([[float(v) for v in fn(*map(mpmath.mpf, p))] for p in points])


def _max_error(got: np.ndarray, want: np.ndarray) -> float:
    return float(np.max(np.abs(got - want) / np.maximum(1.0, np.abs(want))))


def prepare_ircc(exprs, args, eqsat: bool, fastmath: bool) -> dict[str, Any]:
    import ircc

    t0 = time.perf_counter()
    kernel = ircc.compile(exprs, args=args, target="llvm", threads=1, eqsat=eqsat, fastmath=fastmath, cache=False)
    compile_s = time.perf_counter() - t0
    stats = kernel.compile_stats
    report = stats.get("eqsat")
    return {"kernel": kernel, "compile_s": compile_s,
            "egraph_s": (report["egraph_s"] + report["extract_s"]) if report else None,
            "e_nodes": report["e_nodes"] if report else None,
            "cost": (report["cost_after"] if report else None),
            "cost_before": (report["cost_before"] if report else None)}


def prepare_symengine(exprs, args) -> dict[str, Any]:
    import symengine

    t0 = time.perf_counter()
    fn = symengine.Lambdify([symengine.sympify(a) for a in args], [symengine.sympify(e) for e in exprs],
                            backend="llvm", cse=True, opt_level=3)
    fn(np.ones((2, len(args))))
    return {"fn": fn, "compile_s": time.perf_counter() - t0}


def run_workload(name: str, make, ns: argparse.Namespace) -> dict[str, Any]:
    _, exprs, args = make()
    nout = len(exprs)
    print(f"\n== {name}: {len(args)} args, {nout} outputs", flush=True)
    prepared: dict[str, dict[str, Any]] = {}
    for label, (eqsat, fastmath) in VARIANTS.items():
        prepared[label] = prepare_ircc(exprs, args, eqsat, fastmath)
        print(f"  {label:18s} compile {prepared[label]['compile_s']:.2f} s", flush=True)
    before = prepared["eqsat-exact"]["cost_before"]
    for label in ("cse+O3", "cse+O3+fastmath"):
        prepared[label]["cost"] = before  # the program the baselines run is the pass's input
    try:
        prepared["symengine-llvm"] = prepare_symengine(exprs, args)
    except Exception as err:  # noqa: BLE001 - report and go on without it
        print(f"  symengine-llvm failed: {err}")

    rng = np.random.default_rng(1)
    # accuracy against mpmath
    check = rng.uniform(LOW, HIGH, (ns.check_points, len(args)))
    want = _mpmath_reference(exprs, args, check)
    errors: dict[str, float] = {}
    for label, p in prepared.items():
        if "kernel" in p:
            cols = [np.ascontiguousarray(check[:, j]) for j in range(len(args))]
            got = np.array(p["kernel"](*cols, out=np.empty((ns.check_points, nout))))
        else:
            got = np.asarray(p["fn"](np.ascontiguousarray(check))).reshape(ns.check_points, nout)
        errors[label] = _max_error(got, want)

    # in cache: outputs of about 2 MiB (L3), at least 256 points so per-call costs (argument checks, buffer
    # acquisition: ~5 us for 90 arguments) stay small; preallocated; enough calls per sample for ~`sample_ms`
    n = min(4096, max(256, ns.cache_bytes // (8 * nout)))
    pts = rng.uniform(LOW, HIGH, (n, len(args)))
    cols = [np.ascontiguousarray(pts[:, j]) for j in range(len(args))]
    one: dict[str, Any] = {}
    packed = np.ascontiguousarray(pts)
    for label, p in prepared.items():
        buf = np.empty((n, nout))
        if "kernel" in p:
            one[label] = (lambda k=p["kernel"], out=buf: k(*cols, out=out))
        else:
            one[label] = (lambda fn=p["fn"], outp=buf: fn(packed, out=outp))
    probe = one[REFERENCE]
    probe()
    t0 = time.perf_counter()
    for _ in range(10):
        probe()
    calls_per_sample = max(1, round(ns.sample_ms / 1e3 / ((time.perf_counter() - t0) / 10)))
    calls = {label: (lambda f=f: [f() for _ in range(calls_per_sample)]) for label, f in one.items()}
    load0 = _timing.load_average()
    times = _timing.interleaved(calls, repeats=ns.repeats, clock=time.process_time)
    in_cache = {label: statistics.median(v) / (n * calls_per_sample) * 1e9 for label, v in times.items() if v}

    # streaming: many points, output allocated per call
    m = ns.stream_points
    spts = rng.uniform(LOW, HIGH, (m, len(args)))
    scols = [np.ascontiguousarray(spts[:, j]) for j in range(len(args))]
    sinp = np.ascontiguousarray(spts)
    stream_calls = {label: ((lambda k=p["kernel"]: k(*scols)) if "kernel" in p else (lambda fn=p["fn"]: fn(sinp)))
                    for label, p in prepared.items()}
    stimes = _timing.interleaved(stream_calls, repeats=max(3, ns.repeats // 2), clock=time.process_time)
    streaming = {label: statistics.median(v) / m * 1e9 for label, v in stimes.items() if v}
    load1 = _timing.load_average()

    rows = {}
    ref_cache, ref_stream = in_cache.get(REFERENCE), streaming.get(REFERENCE)
    for label, p in prepared.items():
        rows[label] = {
            "static_cost_ns": p.get("cost"),
            "compile_s": p["compile_s"],
            "egraph_s": p.get("egraph_s"),
            "e_nodes": p.get("e_nodes"),
            "in_cache_ns_per_point": in_cache.get(label),
            "streaming_ns_per_point": streaming.get(label),
            "speedup_in_cache": (ref_cache / in_cache[label]) if label in in_cache and ref_cache else None,
            "speedup_streaming": (ref_stream / streaming[label]) if label in streaming and ref_stream else None,
            "max_error_vs_mpmath": errors.get(label),
        }
        r = rows[label]
        print(f"  {label:18s} in-cache {r['in_cache_ns_per_point']:8.1f} ns/pt ({r['speedup_in_cache']:.2f}x)  "
              f"streaming {r['streaming_ns_per_point']:8.1f} ns/pt ({r['speedup_streaming']:.2f}x)  "
              f"err {r['max_error_vs_mpmath']:.1e}", flush=True)
    return {"args": len(args), "outputs": nout, "points_in_cache": n, "calls_per_sample": calls_per_sample,
            "points_streaming": m, "load_average": {"start": load0, "end": load1}, "contenders": rows}


def cold_compile(workload: str) -> dict[str, float]:
    """The pendulum's whole compile with eqsat (exact and fastmath) in a fresh process: imports excluded."""
    code = f"""
import sys, time, json
sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})
from workloads_symbolic import WORKLOADS
_, exprs, args = WORKLOADS[{workload!r}]()
import ircc, egglog, llvmlite.binding
out = {{}}
for fm in (False, True):
    t0 = time.perf_counter()
    k = ircc.compile(exprs, args=args, target="llvm", eqsat=True, fastmath=fm, cache=False)
    e = k.compile_stats["eqsat"]
    out["fastmath" if fm else "exact"] = {{"compile_s": time.perf_counter() - t0,
                                           "egraph_s": e["egraph_s"] + e["extract_s"]}}
print(json.dumps(out))
"""
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(res.stdout.strip().splitlines()[-1])


def _fmt(v: Any, spec: str) -> str:
    return "-" if v is None else format(v, spec)


def markdown(doc: dict[str, Any]) -> str:
    lines = ["# E-graph pass (eqsat): against cse + O3 (+ fastmath flags) and symengine", "",
             f"- command: `{doc['command']}`", f"- date: {doc['date']}",
             f"- machine: {doc['machine']['cpu']}, {doc['machine']['cores_usable']} usable cores, "
             f"{doc['machine']['memory_gb']} GiB; {doc['machine']['platform']}",
             f"- versions: {', '.join(f'{k} {v}' for k, v in doc['versions'].items())}",
             f"- cold compile of the pendulum with eqsat, fresh process: exact "
             f"{doc['cold']['exact']['compile_s']:.2f} s (e-graph {doc['cold']['exact']['egraph_s']:.2f} s), fastmath "
             f"{doc['cold']['fastmath']['compile_s']:.2f} s (e-graph {doc['cold']['fastmath']['egraph_s']:.2f} s)", "",
             "Columns: **static** = the op-cost table's ns per point of the program that runs (the pass's report); "
             "**compile** = wall seconds of `ircc.compile` in this process; **e-graph** = saturation + extraction; "
             "**in-cache** = process CPU ns per point, few points evaluated repeatedly into a preallocated output, "
             "median of interleaved samples; **streaming** = the same for 100k points with the output allocated per "
             "call; **x** = speed relative to `cse+O3+fastmath` (>1: faster); "
             "**err** = max |v - mpmath| / max(1, |mpmath|).",
             ""]
    for name, w in doc["workloads"].items():
        lines += [f"## {name}", "",
                  f"{w['args']} args, {w['outputs']} outputs; in cache: {w['points_in_cache']} points x "
                  f"{w['calls_per_sample']} calls per sample; streaming: {w['points_streaming']} points; load "
                  f"{w['load_average']['start']} -> {w['load_average']['end']}.", "",
                  "| contender | static ns | compile s | e-graph s | e-nodes | in-cache ns/pt | x "
                  "| streaming ns/pt | x | err |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for label, r in w["contenders"].items():
            lines.append(f"| {label} | {_fmt(r['static_cost_ns'], '.1f')} | {_fmt(r['compile_s'], '.2f')} | "
                         f"{_fmt(r['egraph_s'], '.2f')} | {_fmt(r['e_nodes'], 'd')} | "
                         f"{_fmt(r['in_cache_ns_per_point'], '.1f')} | {_fmt(r['speedup_in_cache'], '.2f')}x | "
                         f"{_fmt(r['streaming_ns_per_point'], '.1f')} | {_fmt(r['speedup_streaming'], '.2f')}x | "
                         f"{_fmt(r['max_error_vs_mpmath'], '.1e')} |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="the e-graph pass against cse+O3 (+fastmath) and symengine")
    parser.add_argument("--quick", action="store_true", help="a smoke run: few repeats (writes eqsat-quick.*)")
    parser.add_argument("--cache-bytes", type=int, default=2 << 20, help="in-cache output size (bytes)")
    parser.add_argument("--sample-ms", type=float, default=30.0, help="CPU time per in-cache sample")
    parser.add_argument("--stream-points", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--check-points", type=int, default=64)
    parser.add_argument("--only", default=None, help="comma-separated workloads")
    ns = parser.parse_args(argv)
    if ns.quick:
        ns.sample_ms, ns.repeats, ns.stream_points, ns.check_points = 5.0, 3, 5000, 8
    makers = _workloads()
    names = ns.only.split(",") if ns.only else list(makers)
    import egglog  # noqa: F401 - versions below
    import symengine

    import ircc
    doc: dict[str, Any] = {
        "command": "python benchmarks/eqsat.py" + (" --quick" if ns.quick else ""),
        "date": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "machine": _timing.machine(),
        "versions": {"python": sys.version.split()[0], "sympy": sympy.__version__,
                     "symengine": symengine.__version__, "ircc": ircc.__version__,
                     "egglog": __import__("importlib.metadata").metadata.version("egglog"),
                     "ircc_git": subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                                text=True, cwd=ROOT).stdout.strip()},
        "reference": REFERENCE,
        "cold": cold_compile("pendulum"),
        "workloads": {},
    }
    print(f"cold pendulum compile: {doc['cold']}")
    for name in names:
        doc["workloads"][name] = run_workload(name, makers[name], ns)
    _timing.write_results("eqsat-quick" if ns.quick else "eqsat", doc, markdown(doc))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
