"""The learned cost model: how well it ranks variants it has not seen, and what its choices are worth.

    python benchmarks/costmodel.py                      # evaluation + end to end, with the committed dataset
    python benchmarks/costmodel.py --collect 600        # collect a fresh dataset first (600 s)

1. Evaluation (``ircc.costmodel.train.evaluate``) of the dataset ``--data``: every model on held-out kernels
   and leaving each family out, beside the op-count baseline and the noise ceiling.
2. End to end, SpGEMM: fresh matrices (seeds the dataset never drew, sizes beyond it too), each strategy
   timed on one thread (process CPU time, median of repeats, the strategies interleaved, two passes), against
   ``algorithm="auto"`` as the shipped model chooses and as the static rule chooses, and the per-case best;
   then the same on every core, by wall clock.
3. End to end, graph counts: fresh data graphs and patterns, every plan a count can run (``PLAN_SKIPS``) timed
   the same way, against the plan the learned model picks for the graph and the planner's default.
4. End to end, matmul: shapes the dataset never drew, ``lower-matmul``'s BLAS call and loop nest, against the
   learned and the static choice; with numpy's OpenBLAS, then with torch loaded (its MKL takes the calls).
5. End to end, loop orders: fresh generics, every dimension innermost, the learned choice and the rule.
6. End to end, tile sizes: fresh generics of 1 MiB or more, every tiling ``linalg-tile`` may choose, the learned
   choice, the rule, and each fixed size; then torch functions whose transposes become column walks, compiled
   with ``linalg-tile`` learned, by its rule and off, beside torch's eager run.
7. Per-op costs for the e-graph's extraction: the static table and the one fitted to whole kernels, ranking
   the extractions of held-out expressions by their summed op costs.

Writes ``benchmarks/results/costmodel.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
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
        t = _time_variants({a: spgemm_run(k, a, A)[0] for a, k in kernels.items()})
        best = min(t, key=t.get)
        rows.append({"matrix": name, "n": A.shape[0], "nnz": int(A.nnz), "flops": flops, "times_s": t,
                     "best": best, "learned": learned, "static": static,
                     "learned_slowdown": t[learned] / t[best], "static_slowdown": t[static] / t[best]})
        print(f"  {name:18s} best {best:6s} learned {learned:6s} ({t[learned] / t[best]:.3f}x)  static {static:6s} "
              f"({t[static] / t[best]:.3f}x)", flush=True)
    policies = list(STRATEGIES) + ["auto (static rule)", "auto (learned)"]

    def pick(r: dict[str, Any], p: str) -> str:
        return {"auto (static rule)": r["static"], "auto (learned)": r["learned"]}.get(p, p)

    return {"rows": rows, "geomean_slowdown_vs_best": _geomean(rows, policies, pick)}


def _geomean(rows: list[dict[str, Any]], policies: list[str], pick) -> dict[str, float]:
    """Per policy, the geometric mean over rows of its time over the row's best (``pick(row, policy)``: the
    variant the policy runs)."""
    return {p: float(math.exp(np.mean([math.log(r["times_s"][pick(r, p)] / r["times_s"][r["best"]])
                                       for r in rows]))) for p in policies}


def _time_variants(runs: dict[str, Any], clock=time.process_time) -> dict[str, float]:
    """Median time per variant by ``clock`` (process time; wall clock for parallel runs): two passes, the
    variants interleaved, the least of the two; one that takes over a second is timed once (its first call)."""
    from ircc.costmodel.collect import time_call

    first = {}
    for a, run in runs.items():
        t = clock()
        run()
        first[a] = clock() - t
    times: dict[str, list[float]] = {a: [] for a in runs}
    for _ in range(2):
        for a, run in runs.items():
            times[a].append(first[a] if first[a] > 1.0 else time_call(run, min_time=0.1, clock=clock))
    return {a: min(v) for a, v in times.items()}


def _spgemm_parallel_end_to_end() -> dict[str, Any] | None:
    """SpGEMM on every core: wall clock, the strategies interleaved; auto as the model ranks the strategies
    run on every core (the ``spgemm-parallel`` family) against the static rule."""
    from ircc.costmodel.variants import parallel_threads, spgemm_kernels, spgemm_run
    from ircc.sparse import STRATEGIES, choose_algorithm

    threads = parallel_threads()
    if threads < 2:
        return None
    kernels = spgemm_kernels(threads)
    rows = []
    for name, A in _matrices():
        flops = int(np.diff(A.indptr)[A.indices].sum())
        learned = choose_algorithm(A, flops, "learned", threads=threads)
        static = choose_algorithm(A, flops, "static")
        t = _time_variants({a: spgemm_run(k, a, A)[0] for a, k in kernels.items()}, clock=time.perf_counter)
        best = min(t, key=t.get)
        rows.append({"matrix": name, "flops": flops, "times_s": t, "best": best, "learned": learned, "static": static,
                     "learned_slowdown": t[learned] / t[best], "static_slowdown": t[static] / t[best]})
        print(f"  {name:18s} best {best:6s} learned {learned:6s} ({t[learned] / t[best]:.3f}x)  static {static:6s} "
              f"({t[static] / t[best]:.3f}x)", flush=True)

    def pick(r: dict[str, Any], p: str) -> str:
        return {"auto (static rule)": r["static"], "auto (learned)": r["learned"]}.get(p, p)

    policies = list(STRATEGIES) + ["auto (static rule)", "auto (learned)"]
    return {"threads": threads, "rows": rows, "geomean_slowdown_vs_best": _geomean(rows, policies, pick)}


def _graphs() -> list[tuple[str, Any]]:
    from ircc import matrices as mx
    from ircc.graph import DataGraph

    seed = 7_000_003  # never drawn by the collection's generators
    out = []
    for name, A in (("rmat-s10-ef6", mx.rmat(10, 6, seed=seed)), ("rmat-s12-ef4", mx.rmat(12, 4, seed=seed)),
                    ("rmat-s9-ef12", mx.rmat(9, 12, seed=seed)), ("uniform-3000x3", mx.uniform(3000, 3, seed=seed)),
                    ("uniform-800x6", mx.uniform(800, 6, seed=seed))):
        A = ((A + A.T) > 0).astype(np.float64).tocsr()
        A.setdiag(0)
        A.eliminate_zeros()
        A.sort_indices()
        out.append((name, DataGraph.from_csr(A.indptr, A.indices)))
    return out


def _graph_end_to_end() -> dict[str, Any]:
    from ircc.costmodel.variants import _patterns
    from ircc.graph.plan import plan_name
    from ircc.graph.plan_choice import PlanChoice
    from ircc.graph.query import compile_query, default_pipeline, query

    rows = []
    patterns = [(n, p) for n, p in _patterns() if n in ("triangle", "3-star", "4-path", "tailed-triangle", "4-cycle",
                                                       "diamond", "4-clique", "house", "5-cycle")]
    for pname, P in patterns:
        q = query(P)
        choice = PlanChoice.for_query(q)
        if choice is None:
            continue
        kernels = {n: compile_query(q, target="llvm", threads=1, cost="static", pipeline=default_pipeline(1, "llvm", s))
                   for n, s in zip(choice.names, choice.skips)}
        for gname, G in _graphs():
            if P.k >= 5 and G.n > 1024:
                continue
            runs = {}
            for n, k in kernels.items():
                call = k._call
                indptr, indices, _, _ = G.degree_ordered(call.oriented)
                runs[n] = (lambda inner=call.kernel, args=(indptr, indices, G.n): inner(*args))
            t = _time_variants(runs)
            best = min(t, key=t.get)
            learned = choice.names[choice.choose(G)]
            default = plan_name(())
            rows.append({"pattern": pname, "graph": gname, "times_s": t, "best": best, "learned": learned,
                         "default": default})
            print(f"  {pname:16s} {gname:15s} best {best:26s} learned {learned:26s} "
                  f"({t[learned] / t[best]:.3f}x)  default ({t[default] / t[best]:.3f}x)", flush=True)
    names = sorted({n for r in rows for n in r["times_s"]})
    policies = ["auto (learned)", "planner default"] + [n for n in names if n != plan_name(())]

    def pick(r: dict[str, Any], p: str) -> str:
        if p == "auto (learned)":
            return r["learned"]
        if p == "planner default":
            return r["default"]
        return p if p in r["times_s"] else r["default"]  # a skip that changed nothing is the default plan

    return {"rows": rows, "geomean_slowdown_vs_best": _geomean(rows, policies, pick)}


def _matmul_end_to_end() -> dict[str, Any]:
    import ircc
    from ircc.costmodel import matmul_strategy
    from ircc.backends.runtime import blas_name
    from ircc.costmodel.variants import MATMUL_PIPELINE, MATMUL_STRATEGIES, MATMUL_TEXT

    kernels = {s: ircc.compile(MATMUL_TEXT, target="llvm", threads=1, pipeline=MATMUL_PIPELINE.format(s=s))
               for s in MATMUL_STRATEGIES}
    rng = np.random.default_rng(7_000_003)
    rows = []
    for m, n, k in ((1, 768, 768), (3, 100, 50), (12, 64, 300), (24, 24, 24), (5, 7, 9), (128, 96, 200),
                    (300, 20, 10), (2, 3000, 16), (40, 40, 1000), (700, 6, 6)):
        a, b = rng.random((m, k), dtype=np.float32), rng.random((k, n), dtype=np.float32)
        c = np.zeros((m, n), np.float32)
        t = _time_variants({s: (lambda kern=kern: kern(a, b, c)) for s, kern in kernels.items()})
        best = min(t, key=t.get)
        learned, static = matmul_strategy(m, n, k, True, "learned"), matmul_strategy(m, n, k, True, "static")
        rows.append({"shape": f"{m}x{n}x{k}", "times_s": t, "best": best, "learned": learned, "static": static})
        print(f"  matmul {m}x{n}x{k}: blas {t['blas'] * 1e6:.1f} us, loops {t['loops'] * 1e6:.1f} us; learned {learned}"
              f", static {static}", flush=True)
    policies = list(MATMUL_STRATEGIES) + ["auto (static rule)", "auto (learned)"]

    def pick(r: dict[str, Any], p: str) -> str:
        return {"auto (static rule)": r["static"], "auto (learned)": r["learned"]}.get(p, p)

    return {"rows": rows, "blas": blas_name(), "geomean_slowdown_vs_best": _geomean(rows, policies, pick)}


def _fresh_generics(count: int, sizes_of) -> Any:
    """``count`` generics of ``LOOP_ORDER_GENERICS``, the kinds in turn, of shapes ``sizes_of(rng, kind)`` drawn
    with a seed the collection never used: (kind, sizes, MLIR text, operands) each."""
    from ircc.costmodel.variants import LOOP_ORDER_GENERICS, generic_args, loop_order_text

    rng = np.random.default_rng(7_000_003)
    for i in range(count):
        kind = list(LOOP_ORDER_GENERICS)[i % len(LOOP_ORDER_GENERICS)]
        sizes = sizes_of(rng, kind)
        yield kind, sizes, loop_order_text(kind, sizes), generic_args(rng, kind, sizes)


def _loop_order_end_to_end() -> dict[str, Any]:
    """Fresh generics (shapes the dataset never drew): every dimension innermost, timed; the learned choice
    (``linalg-interchange{cost=learned}``) against the rule (``cost=static``)."""
    import ircc
    from ircc.costmodel.variants import LOOP_ORDER_GENERICS, loop_order_sizes
    from ircc.ir.text import parse_module
    from ircc.passes.linalg_interchange import _best_innermost
    from ircc.passes.linalg_loop_order import LOWERING, learned_innermost

    rows = []
    for kind, sizes, text, args in _fresh_generics(21, lambda rng, kind: loop_order_sizes(
            rng, len(LOOP_ORDER_GENERICS[kind][1]))):
        generic = next(op for op in parse_module(text).walk() if op.name == "linalg.generic")
        n = len(sizes)
        learned = learned_innermost(generic, 4, True)
        rule = _best_innermost(generic, 4)
        runs = {}
        for d in range(n):
            k = ircc.compile(text, target="llvm", threads=1, pipeline=f"linalg-interchange{{inner={d}}},{LOWERING}")
            runs[f"d{d}"] = (lambda k=k: k(*args))
        t = _time_variants(runs)
        best = min(t, key=t.get)
        row = {"generic": kind, "sizes": "x".join(map(str, sizes)), "times_s": t, "best": best,
               "learned": f"d{learned if learned is not None else (rule if rule is not None else n - 1)}",
               "static": f"d{rule if rule is not None else n - 1}"}
        rows.append(row)
        print(f"  {kind:10s} {row['sizes']:16s} best {best} learned {row['learned']} "
              f"({t[row['learned']] / t[best]:.3f}x) rule {row['static']} ({t[row['static']] / t[best]:.3f}x)",
              flush=True)

    def pick(r: dict[str, Any], p: str) -> str:
        return {"rule (static)": r["static"], "learned": r["learned"]}[p]

    return {"rows": rows, "geomean_slowdown_vs_best": _geomean(rows, ["rule (static)", "learned"], pick)}


def _tile_end_to_end() -> dict[str, Any]:
    """Fresh generics of 1 MiB or more (shapes the dataset never drew), in the rule's loop order: every tiling
    ``linalg-tile`` may choose, timed; the learned choice (``cost=learned``), the rule (``cost=static``) and
    each fixed candidate (``TILE_CANDIDATES`` as far as it fits the generic: a size the generic is too small or
    too shallow for is left out, so the fixed choice can be untiled)."""
    import ircc
    from ircc.costmodel.variants import rule_ordered_generic, tile_name, tile_pipeline, tile_sizes_of
    from ircc.passes.linalg_tile import TILE_CANDIDATES, candidates, legal_sizes, rule_sizes
    from ircc.passes.linalg_tile_choice import learned_sizes

    name = tile_name
    rows = []
    fixed = [c for c in TILE_CANDIDATES if c]
    for kind, sizes, text, args in _fresh_generics(33, tile_sizes_of):
        generic = rule_ordered_generic(text)
        n = len(sizes)
        learned = learned_sizes(generic)
        rule = rule_sizes(generic, 64)
        runs = {}
        for tiles in candidates(generic):
            k = ircc.compile(text, target="llvm", threads=1, pipeline=tile_pipeline(tiles))
            runs[name(tiles)] = (lambda k=k: k(*args))
        t = _time_variants(runs)
        best = min(t, key=t.get)
        picks = {f"fixed {'x'.join(map(str, c))}": name(legal_sizes(generic, c) if len(c) <= n else (0,) * n)
                 for c in fixed}
        row = {"generic": kind, "sizes": "x".join(map(str, sizes)), "times_s": t, "best": best,
               "learned": name(learned if learned is not None else rule), "static": name(rule), "fixed": picks}
        rows.append(row)
        print(f"  {kind:13s} {row['sizes']:16s} best {best:12s} learned {row['learned']:12s} "
              f"({t[row['learned']] / t[best]:.3f}x) rule {row['static']:9s} ({t[row['static']] / t[best]:.3f}x) "
              f"untiled {t['untiled'] / t[best]:.3f}x", flush=True)

    def pick(r: dict[str, Any], p: str) -> str:
        return {"rule (static)": r["static"], "learned": r["learned"], "untiled": "untiled"}.get(p) or r["fixed"][p]

    policies = ["learned", "rule (static)", "untiled"] + [f"fixed {'x'.join(map(str, c))}" for c in fixed]
    return {"rows": rows, "geomean_slowdown_vs_best": _geomean(rows, policies, pick)}


def _torch_tile_end_to_end() -> dict[str, Any] | None:
    """Torch functions whose transposes the elementwise fusion turns into column walks: compiled (``cost=
    "learned"``) with ``linalg-tile`` as the model chooses (the default pipeline), by its rule
    (``linalg-tile{cost=static}``) and off (``sizes=0``), against torch's eager run; one thread, process CPU
    time."""
    try:
        import torch
    except ImportError:
        return None
    import ircc
    from ircc.frontends.torch import DEFAULT_PIPELINE

    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(7_000_003)
    cases = {
        "x.T + y (1536 x 2048)": (lambda x, y: x.t() + y, [(2048, 1536), (1536, 2048)]),
        "x.transpose(1, 2) * y (8 x 384 x 512)": (lambda x, y: x.transpose(1, 2) * y, [(8, 512, 384), (8, 384, 512)]),
        # .contiguous(): torch's elementwise ops keep a permuted view's strides (no copy); ircc returns
        # contiguous tensors, so both make the copy here
        "relu(x.permute(2, 1, 0)).contiguous() (300 x 40 x 200)": (
            lambda x: torch.relu(x.permute(2, 1, 0)).contiguous(), [(200, 40, 300)]),
    }
    untiled = DEFAULT_PIPELINE.replace("linalg-tile", "linalg-tile{sizes=0}")
    rule = DEFAULT_PIPELINE.replace("linalg-tile", "linalg-tile{cost=static}")
    rows = []
    for name, (fn, shapes) in cases.items():
        args = [torch.rand(s, generator=gen) for s in shapes]
        want = fn(*args)
        runs = {"torch eager": lambda fn=fn: fn(*args)}
        for policy, pipeline in (("learned", DEFAULT_PIPELINE), ("rule (static)", rule), ("untiled", untiled)):
            k = ircc.compile(fn, example_inputs=tuple(args), target="llvm", threads=1, cost="learned",
                             pipeline=pipeline)
            torch.testing.assert_close(k(*args), want)
            runs[policy] = lambda k=k: k(*args)
        t = _time_variants(runs)
        best = min(t, key=t.get)
        rows.append({"function": name, "times_s": t, "best": best})
        print(f"  {name:55s} " + " ".join(f"{p} {v * 1e3:.2f} ms" for p, v in t.items()), flush=True)
    policies = ["learned", "rule (static)", "untiled", "torch eager"]
    return {"rows": rows, "geomean_slowdown_vs_best": _geomean(rows, policies, lambda r, p: p)}


def _matmul_with_torch_end_to_end() -> dict[str, Any] | None:
    """``_matmul_end_to_end`` with torch loaded (its MKL takes the BLAS calls); None without torch."""
    try:
        import torch  # noqa: F401
    except ImportError:
        return None
    return _matmul_end_to_end()


#: the end-to-end sections, in the order they run (matmul under MKL loads torch: what follows runs with it)
END_TO_END = (("spgemm_end_to_end", "SpGEMM, one thread", _spgemm_end_to_end),
              ("spgemm_parallel_end_to_end", "SpGEMM, every core, wall clock", _spgemm_parallel_end_to_end),
              ("graph_end_to_end", "graph counts, one thread", _graph_end_to_end),
              ("matmul_end_to_end", "matmul, one thread", _matmul_end_to_end),
              ("matmul_mkl_end_to_end", "matmul with torch loaded, one thread", _matmul_with_torch_end_to_end),
              ("loop_order_end_to_end", "loop orders, one thread", _loop_order_end_to_end),
              ("tile_end_to_end", "tile sizes, one thread", _tile_end_to_end),
              ("torch_tile_end_to_end", "tile sizes in torch functions, one thread", _torch_tile_end_to_end))


def _op_costs(path: Path) -> dict[str, Any]:
    from ircc.costmodel import op_costs, op_fit
    from ircc.costmodel.collect import load

    _, records = load(path)
    static = op_costs("f64", "static")
    fitted = op_fit.fit(records, static)
    return {"evaluation": op_fit.evaluate(records, static),
            "table": {k: {"static": static[k], "learned": fitted[k]} for k in static if fitted[k] != static[k]}}


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
    # end to end first: the evaluation's sequence model loads torch, and with torch the BLAS calls go to its MKL
    sections = {}
    for key, title, run in END_TO_END:
        print(f"end to end ({title}):")
        sections[key] = run()
    header, ev = _evaluate(path, ns.seq_budget)
    out = {"load_average": load, "machine_class": header["machine_class"], "fingerprint": header["fingerprint"],
           "dataset": str(path.relative_to(ROOT.parent) if path.is_relative_to(ROOT.parent) else path),
           "evaluation": ev, **sections, "egraph_op_costs": _op_costs(path)}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "costmodel.json").write_text(json.dumps(out, indent=1, default=float) + "\n")
    md = _markdown(out)
    (RESULTS / "costmodel.md").write_text(md)
    print(md)
    return 0


def _policy_table(gmean: dict[str, float]) -> list[str]:
    """The geometric-mean slowdown of each policy as a markdown table."""
    return ["| policy | slowdown |", "|---|---|"] + [f"| {p} | {g:.3f}x |" for p, g in gmean.items()]


def _choice_section(sec: dict[str, Any], title: str, intro: str, untiled: bool = False) -> list[str]:
    """A pass's choice per generic (the rule's, the model's, the best) as a markdown section."""
    extra = " untiled |" if untiled else ""
    lines = ["", f"## End to end: {title}", "", intro, "",
             "| generic | sizes | best | learned picks | slowdown | rule picks | slowdown |" + extra,
             "|---|---|---|---|---|---|---|" + ("---|" if untiled else "")]
    for r in sec["rows"]:
        t, b = r["times_s"], r["times_s"][r["best"]]
        tail = f" {t['untiled'] / b:.3f}x |" if untiled else ""
        lines.append(f"| {r['generic']} | {r['sizes']} | {r['best']} | {r['learned']} | "
                     f"{t[r['learned']] / b:.3f}x | {r['static']} | {t[r['static']] / b:.3f}x |" + tail)
    return lines + ["", *_policy_table(sec["geomean_slowdown_vs_best"])]


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
    per_family = ev.get("held_out_per_family", {})
    if per_family:
        lines += ["## Held-out kernels, per family", "", "| family | model | " + " | ".join(METRICS) + " |",
                  "|---" * (len(METRICS) + 2) + "|"]
        for fam, models in per_family.items():
            for model in ("lgbm-ens", "lgbm-rank", "lgbm-rank-mag", "op-count", "noise"):
                if model in models:
                    lines.append(f"| {fam} | {model} | " + " | ".join(fmt(models[model][k]) for k in METRICS) + " |")
        lines.append("")
    e2e = out["spgemm_end_to_end"]
    lines += ["## End to end: SpGEMM `algorithm=\"auto\"` (llvm, one thread, fresh matrices)", "",
              "| matrix | flops | best | learned picks | slowdown | static rule picks | slowdown |",
              "|---|---|---|---|---|---|---|"]
    for r in e2e["rows"]:
        lines.append(f"| {r['matrix']} | {r['flops']:,} | {r['best']} | {r['learned']} | "
                     f"{r['learned_slowdown']:.3f}x | {r['static']} | {r['static_slowdown']:.3f}x |")
    lines += ["", "Geometric mean of time over the per-case best:", "", *_policy_table(e2e["geomean_slowdown_vs_best"])]
    par = out.get("spgemm_parallel_end_to_end")
    if par:
        lines += ["", f"## End to end: SpGEMM `algorithm=\"auto\"` on {par['threads']} threads (llvm, wall clock, "
                  "the strategies interleaved)", "",
                  "| matrix | best | learned picks | slowdown | static rule picks | slowdown |",
                  "|---|---|---|---|---|---|"]
        for r in par["rows"]:
            lines.append(f"| {r['matrix']} | {r['best']} | {r['learned']} | {r['learned_slowdown']:.3f}x | "
                         f"{r['static']} | {r['static_slowdown']:.3f}x |")
        lines += ["", *_policy_table(par["geomean_slowdown_vs_best"])]
    graph = out["graph_end_to_end"]
    lines += ["", "## End to end: graph counts, the plan per data graph (llvm, one thread, fresh graphs)", "",
              "| pattern | graph | best plan | learned picks | slowdown | planner default slowdown |",
              "|---|---|---|---|---|---|"]
    for r in graph["rows"]:
        t = r["times_s"]
        lines.append(f"| {r['pattern']} | {r['graph']} | {r['best']} | {r['learned']} | "
                     f"{t[r['learned']] / t[r['best']]:.3f}x | {t[r['default']] / t[r['best']]:.3f}x |")
    lines += ["", "Geometric mean of time over the per-case best (a fixed plan that is the same IR as the default "
              "for a pattern counts as the default):", "", *_policy_table(graph["geomean_slowdown_vs_best"])]
    for key in ("matmul_end_to_end", "matmul_mkl_end_to_end"):
        mm = out.get(key)
        if not mm:
            continue
        lines += ["", f"## End to end: `lower-matmul`'s strategy, BLAS `{mm.get('blas')}` (f32, llvm, one thread, "
                  "fresh shapes)", "",
                  "| m x n x k | blas | loops | learned picks | static rule picks |", "|---|---|---|---|---|"]
        for r in mm["rows"]:
            t = r["times_s"]
            lines.append(f"| {r['shape']} | {t['blas'] * 1e6:.1f} us | {t['loops'] * 1e6:.1f} us | {r['learned']} | "
                         f"{r['static']} |")
        lines += ["", *_policy_table(mm["geomean_slowdown_vs_best"])]
    lo = out.get("loop_order_end_to_end")
    if lo:
        lines += _choice_section(lo, "the innermost loop of a `linalg.generic` (f32, llvm, one thread, fresh shapes)",
                                 "Every dimension innermost, timed; `linalg-interchange`'s rule (`cost=static`) "
                                 "and the learned choice (`cost=learned`):")
    tl = out.get("tile_end_to_end")
    if tl:
        lines += _choice_section(tl, "the tile sizes of a `linalg.generic` (f32, llvm, one thread, fresh shapes of "
                                 "1 MiB or more)", "Every tiling `linalg-tile` may choose, timed; its rule "
                                 "(`cost=static`) and the learned choice (`cost=learned`). A fixed size is applied "
                                 "where the generic is large and deep enough for it (else its dimensions stay "
                                 "untiled):", untiled=True)
    tt = out.get("torch_tile_end_to_end")
    if tt:
        lines += ["", "## End to end: `linalg-tile` inside torch functions (llvm, one thread; torch eager on one "
                  "thread)", "", "| function | " + " | ".join(tt["rows"][0]["times_s"]) + " |",
                  "|---" * (len(tt["rows"][0]["times_s"]) + 1) + "|"]
        for r in tt["rows"]:
            lines.append(f"| {r['function']} | " + " | ".join(f"{v * 1e3:.2f} ms" for v in r["times_s"].values())
                         + " |")
        lines += ["", *_policy_table(tt["geomean_slowdown_vs_best"])]
    oc = out["egraph_op_costs"]
    lines += ["", "## Per-op costs for the e-graph's extraction", "",
              "Each table ranks the extractions of held-out expressions (5 folds) by their summed op costs:", "",
              "| table | " + " | ".join(k for k in METRICS if k != "mape") + " |",
              "|---" * len(METRICS) + "|"]
    for name, m in oc["evaluation"].items():
        lines.append(f"| {name} | " + " | ".join(fmt(m[k]) for k in METRICS if k != "mape") + " |")
    lines += ["", "The fitted costs (ns per element) where they differ from the static table:", "",
              "| op | static | learned |", "|---|---|---|"]
    for op, v in oc["table"].items():
        lines.append(f"| {op} | {v['static']:.4f} | {v['learned']:.4f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
