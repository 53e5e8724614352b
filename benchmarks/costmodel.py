"""The learned cost model: how well it ranks variants it has not seen, and what its choices are worth.

    python benchmarks/costmodel.py                      # evaluation + end to end, with the committed dataset
    python benchmarks/costmodel.py --collect 600        # collect a fresh dataset first (600 s)

1. Evaluation (``ircc.costmodel.train.evaluate``) of the dataset ``--data``: every model on held-out kernels
   and leaving each family out, beside the op-count baseline and the noise ceiling.
2. End to end, SpGEMM: fresh matrices (seeds the dataset never drew, sizes beyond it too), each strategy
   timed on one thread (process CPU time, median of repeats, the strategies interleaved, two passes), against
   ``algorithm="auto"`` as the shipped model chooses and as the static rule chooses, and the per-case best.

Writes ``benchmarks/results/costmodel.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results"
DATA = RESULTS / "costmodel_dataset.jsonl.gz"


def _evaluate(path: Path, seq_budget: float) -> tuple[dict[str, Any], dict[str, Any]]:
    from ircc.costmodel.collect import load
    from ircc.costmodel.train import evaluate, prepare

    header, records = load(path)
    d = prepare(records)
    t0 = time.perf_counter()
    result = evaluate(d, seq_budget_s=seq_budget)
    result["seconds"] = time.perf_counter() - t0
    result["groups"], result["variants"] = len(d.group_names), int(len(d.y))
    result["families"] = {f: int((d.family == f).sum()) for f in np.unique(d.family)}
    return header, result


def _matrices() -> list[tuple[str, Any]]:
    from ircc import matrices as mx

    seed = 7_000_003  # never drawn by the collection's generators
    return [("rmat-s11-ef8", mx.rmat(11, 8, seed=seed)), ("rmat-s12-ef4", mx.rmat(12, 4, seed=seed)),
            ("rmat-s10-ef16", mx.rmat(10, 16, seed=seed)), ("uniform-8192x4", mx.uniform(8192, 4, seed=seed)),
            ("uniform-2048x12", mx.uniform(2048, 12, seed=seed)), ("uniform-16384x2", mx.uniform(16384, 2, seed=seed)),
            ("ba-6000-4", mx.ba(6000, 4, seed=seed)), ("poisson-128", mx.poisson2d(128)),
            ("rmat-s9-ef32", mx.rmat(9, 32, seed=seed)), ("uniform-4096x24", mx.uniform(4096, 24, seed=seed))]


def _spgemm_end_to_end() -> dict[str, Any]:
    from ircc.costmodel.collect import time_call
    from ircc.costmodel.learned import has_model
    from ircc.costmodel.variants import spgemm_kernels, spgemm_run
    from ircc.sparse import STRATEGIES, choose_algorithm

    if not has_model():
        raise SystemExit("no shipped model for this machine's class: run `ircc costmodel train --ship` first")
    kernels = spgemm_kernels()
    rows = []
    for name, A in _matrices():
        flops = int(np.diff(A.indptr)[A.indices].sum())
        learned = choose_algorithm(A, flops, "learned")
        static = choose_algorithm(A, flops, "static")
        runs = {a: spgemm_run(k, a, A)[0] for a, k in kernels.items()}
        times: dict[str, list[float]] = {a: [] for a in runs}
        for _ in range(2):  # two passes, the strategies interleaved
            for a, run in runs.items():
                times[a].append(time_call(run, min_time=0.1))
        t = {a: statistics.median(v) for a, v in times.items()}
        best = min(t, key=t.get)
        rows.append({"matrix": name, "n": A.shape[0], "nnz": int(A.nnz), "flops": flops, "times_s": t,
                     "best": best, "learned": learned, "static": static,
                     "learned_slowdown": t[learned] / t[best], "static_slowdown": t[static] / t[best]})
        print(f"  {name:18s} best {best:6s} learned {learned:6s} ({t[learned] / t[best]:.3f}x)  static {static:6s} "
              f"({t[static] / t[best]:.3f}x)", flush=True)
    policies = list(STRATEGIES) + ["auto (static rule)", "auto (learned)"]

    def slowdown(r: dict[str, Any], p: str) -> float:
        key = {"auto (static rule)": r["static"], "auto (learned)": r["learned"]}.get(p, p)
        return r["times_s"][key] / r["times_s"][r["best"]]

    gmean = {p: float(math.exp(np.mean([math.log(slowdown(r, p)) for r in rows]))) for p in policies}
    return {"rows": rows, "geomean_slowdown_vs_best": gmean}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(DATA))
    ap.add_argument("--collect", type=float, default=None, metavar="SECONDS", help="collect a dataset first")
    ap.add_argument("--seq-budget", type=float, default=20.0)
    ns = ap.parse_args()
    load = os.getloadavg()[0]
    path = Path(ns.data)
    if ns.collect:
        from ircc.costmodel.collect import collect

        done = collect(path, budget_s=ns.collect)
        print(f"collected {done.groups} groups, {done.variants} variants in {done.seconds:.0f} s")
    header, ev = _evaluate(path, ns.seq_budget)
    print("end to end (SpGEMM, one thread):")
    e2e = _spgemm_end_to_end()
    out = {"load_average": load, "machine_class": header["machine_class"], "fingerprint": header["fingerprint"],
           "dataset": str(path.relative_to(ROOT.parent) if path.is_relative_to(ROOT.parent) else path),
           "evaluation": ev, "spgemm_end_to_end": e2e}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "costmodel.json").write_text(json.dumps(out, indent=1, default=float) + "\n")
    md = _markdown(out)
    (RESULTS / "costmodel.md").write_text(md)
    print(md)
    return 0


def _markdown(out: dict[str, Any]) -> str:
    from ircc.costmodel.cli import fmt
    from ircc.costmodel.train import METRICS

    ev = out["evaluation"]
    lines = ["# The learned cost model", "",
             f"`python benchmarks/costmodel.py`; machine class `{out['machine_class']}`, load average at the start "
             f"{out['load_average']:.2f}. Dataset `{out['dataset']}`: {ev['groups']} groups of equivalent variants, "
             f"{ev['variants']} variants ({', '.join(f'{f} {n}' for f, n in ev['families'].items())}).", ""]
    for split, title in (("held_out_kernels", "Held-out kernels (5 folds, whole kernels held out)"),
                         ("leave_one_family_out", "Leave one family out")):
        lines += [f"## {title}", "", "| model | " + " | ".join(METRICS) + " |", "|---" * (len(METRICS) + 1) + "|"]
        for model, m in ev[split].items():
            lines.append(f"| {model} | " + " | ".join(fmt(m[k]) for k in METRICS) + " |")
        lines.append("")
    e2e = out["spgemm_end_to_end"]
    lines += ["## End to end: SpGEMM `algorithm=\"auto\"` (llvm, one thread, fresh matrices)", "",
              "| matrix | flops | best | learned picks | slowdown | static rule picks | slowdown |",
              "|---|---|---|---|---|---|---|"]
    for r in e2e["rows"]:
        lines.append(f"| {r['matrix']} | {r['flops']:,} | {r['best']} | {r['learned']} | "
                     f"{r['learned_slowdown']:.3f}x | {r['static']} | {r['static_slowdown']:.3f}x |")
    lines += ["", "Geometric mean of time over the per-case best:", "", "| policy | slowdown |", "|---|---|"]
    for p, g in e2e["geomean_slowdown_vs_best"].items():
        lines.append(f"| {p} | {g:.3f}x |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
