"""Graph pattern mining: ircc.graph against networkx, igraph, SuiteSparse:GraphBLAS and networkit.

    python benchmarks/graph.py [--quick] [--repeats N] [--cap SECONDS] [--only-tasks a,b] [--only-graphs a,b]
                               [--no-ablation] [--out DIR]

Graphs and anchors: ``benchmarks/workloads_graph.py``. Tasks (each distinct subgraph counted once):

| task | ircc | anchors |
|---|---|---|
| triangles | count(K3) | networkx ``triangles``, igraph ``list_triangles``, GraphBLAS masked ``sum((L@L).*L)``, |
| | | networkit ``TriangleEdgeScore`` |
| 4-cliques, 5-cliques | count(Kk) | networkx ``enumerate_all_cliques``, igraph ``cliques(k, k)`` |
| 4-cycles | count(C4), edge-induced | networkx VF2 monomorphisms / 8, igraph ``count_subisomorphisms_vf2`` / 8 |
| 3-motifs, 4-motifs | ``motifs(G, k)`` (vertex-induced census) | igraph ``motifs_randesu``, networkx VF2 per pattern |
| triangles in no 4-clique | count(``a-b b-c c-a a!d b!d c!d``) (anti-vertex) | a Python loop over adjacency sets |
| exists 8-clique | ``exists(G, K8)`` | networkx ``find_cliques`` (stops at the first), igraph ``clique_number`` |

ircc: ``k = ircc.compile(ircc.graph.query(P, op=...), target="llvm", threads=T)``, compiled for T = 1 and 2
before any timing with the on-disk cache pointed at a fresh directory (the compile time reported is a
real compile of the T = 1 plan); ``motifs`` compiles its plans on the first (warm-up) call. ircc renumbers
the graph by degree once per DataGraph (``degree_ordered``, timed separately and reported per graph).

Every anchor call is first probed in a forked child with a ``--cap`` second limit (default 120), the
anchors of a task side by side (two cores; each child measures its own CPU time): beyond the cap an
anchor is reported as "> cap" and not run again. An anchor whose probe took over 10 s is reported
with the probe's process CPU time (one run); faster ones are timed with the others. Results are checked
against ircc's (counts, censuses pattern by pattern, booleans); a mismatch is reported.

Timing: one thread = process CPU time, contenders interleaved (A B C, B C A, ...), one warm-up, median of
``--repeats``. Two threads = wall clock, interleaved: ircc, GraphBLAS and networkit at two threads; the
single-threaded anchors are not run again (their one-thread time stands for both). Ratios are
anchor / ircc (> 1: ircc is faster). The ablation table (first graph) times plans with each optional
planner pass left out (a variant over the cap is reported so). Results:
``benchmarks/results/graph.json`` and ``graph.md``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # no spinning OpenMP workers between interleaved calls
os.environ.setdefault("KMP_BLOCKTIME", "0")
os.environ.setdefault("IRCC_CACHE_DIR", tempfile.mkdtemp(prefix="ircc-bench-cache-"))  # real compiles

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import workloads_graph as W  # noqa: E402
from _timing import interleaved, load_average, machine, median  # noqa: E402

import ircc  # noqa: E402
from ircc.graph import Pattern  # noqa: E402
from ircc.graph.plan import PLAN_PIPELINE  # noqa: E402
from ircc.graph.query import default_pipeline  # noqa: E402

SLOW_S = 10.0
NO_K4 = Pattern.parse("a-b b-c c-a a!d b!d c!d")

#: task -> (ircc: ("count" | "exists", pattern) or ("motifs", k), {anchor: (function, graph kind, threaded)})
TASKS: dict[str, tuple[tuple, dict[str, tuple]]] = {
    "triangles": (("count", Pattern.clique(3)), {
        "networkx": (W.nx_triangles, "networkx", False), "igraph": (W.ig_triangles, "igraph", False),
        "graphblas": (W.gb_triangles, "graphblas", True), "networkit": (W.nk_triangles, "networkit", True)}),
    "4-cliques": (("count", Pattern.clique(4)), {
        "networkx": (W.nx_cliques(4), "networkx", False), "igraph": (W.ig_cliques(4), "igraph", False)}),
    "5-cliques": (("count", Pattern.clique(5)), {
        "networkx": (W.nx_cliques(5), "networkx", False), "igraph": (W.ig_cliques(5), "igraph", False)}),
    "4-cycles": (("count", Pattern.cycle(4)), {
        "networkx": (W.nx_vf2(Pattern.cycle(4), False), "networkx", False),
        "igraph": (W.ig_vf2(Pattern.cycle(4)), "igraph", False)}),
    "3-motifs": (("motifs", 3), {
        "networkx": (W.nx_census(3), "networkx", False), "igraph": (W.ig_motifs(3), "igraph", False)}),
    "4-motifs": (("motifs", 4), {
        "networkx": (W.nx_census(4), "networkx", False), "igraph": (W.ig_motifs(4), "igraph", False)}),
    "triangles in no 4-clique": (("count", NO_K4), {
        "python-sets": (W.py_triangles_in_no_4clique, "sets", False)}),
    "exists 8-clique": (("exists", Pattern.clique(8)), {
        "networkx": (W.nx_exists_clique(8), "networkx", False), "igraph": (W.ig_exists_clique(8), "igraph", False)}),
}


def set_threads(threads: int) -> None:
    try:
        import graphblas as gb

        gb.ss.config["nthreads"] = threads
    except ImportError:
        pass
    try:
        import networkit as nk

        nk.setNumberOfThreads(threads)
    except ImportError:
        pass


def _child(conn, fn, gd) -> None:
    set_threads(1)
    start = time.process_time()
    try:
        result = fn(gd)
        conn.send(("ok", result, time.process_time() - start))
    except Exception as exc:  # noqa: BLE001
        conn.send(("error", f"{type(exc).__name__}: {exc}", 0.0))
    conn.close()


def probe_all(fns: dict[str, Any], gd, cap: float) -> dict[str, tuple[str, Any, float]]:
    """Run each fn(gd) in a forked child, all at once (two cores: a capped anchor then costs the cap once
    per task, not once per anchor; each child measures its own process CPU time): name -> ("ok", result,
    CPU s) | ("cap", None, cap) | ("error", message, 0)."""
    ctx = mp.get_context("fork")
    running = {}
    for name, fn in fns.items():
        parent, child = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_child, args=(child, fn, gd))
        proc.start()
        child.close()
        running[name] = (proc, parent)
    deadline = time.perf_counter() + cap
    out = {}
    for name, (proc, parent) in running.items():
        if parent.poll(max(0.0, deadline - time.perf_counter())):
            out[name] = parent.recv()
            proc.join()
        else:
            proc.kill()
            proc.join()
            out[name] = ("cap", None, cap)
    return out


def ircc_contender(spec: tuple, gd, threads: int) -> tuple[Any, float]:
    """A callable running ircc's side of a task at ``threads``, and its compile time (s)."""
    G = gd.get("datagraph")
    if spec[0] == "motifs":
        start = time.perf_counter()
        ircc.graph.motifs(G, spec[1], target="llvm", threads=threads)  # compiles every plan
        compile_s = time.perf_counter() - start
        return (lambda: ircc.graph.motifs(G, spec[1], target="llvm", threads=threads)), compile_s
    op, pattern = spec
    start = time.perf_counter()
    kernel = ircc.compile(ircc.graph.query(pattern, op=op), target="llvm", threads=threads)
    compile_s = time.perf_counter() - start
    return (lambda: kernel(G)), compile_s


def same(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return all(a.get(p, 0) == b.get(p, 0) for p in set(a) | set(b))
    return a == b


def run_task(task: str, gd, args) -> dict[str, Any]:
    spec, anchors = TASKS[task]
    row: dict[str, Any] = {"graph": gd.name, "task": task, "contenders": {}}
    fn1, compile_s = ircc_contender(spec, gd, 1)
    fn2, _ = ircc_contender(spec, gd, 2)
    start = time.process_time()
    want = fn1()
    first_s = time.process_time() - start
    row["ircc_compile_s"] = round(compile_s, 3)
    row["result"] = {repr(p): c for p, c in want.items()} if isinstance(want, dict) else want
    timed1: dict[str, Any] = {"ircc": fn1}
    timed2: dict[str, Any] = {"ircc": fn2}
    probes = {}
    for name, (fn, kind, _threaded) in anchors.items():
        try:
            gd.get(kind)  # built before the fork, outside every timing
        except ImportError as exc:
            row["contenders"][name] = {"status": f"not available ({exc})"}
            continue
        probes[name] = fn
    outcomes = probe_all(probes, gd, args.cap)
    for name, (fn, _kind, threaded) in anchors.items():
        if name not in outcomes:
            continue
        status, result, cpu = outcomes[name]
        entry: dict[str, Any] = {"status": status}
        if status == "cap":
            entry["t1_s"] = None
            entry["note"] = f"> {args.cap:.0f} s"
        elif status == "error":
            entry["note"] = result
        else:
            entry["matches_ircc"] = same(result, want)
            if not entry["matches_ircc"]:
                entry["result"] = {repr(p): c for p, c in result.items()} if isinstance(result, dict) else result
            if cpu > SLOW_S:
                entry["t1_s"] = cpu
                entry["note"] = "one run (the probe's CPU time)"
            else:
                timed1[name] = (lambda fn=fn: (set_threads(1), fn(gd)))
                if threaded:
                    timed2[name] = (lambda fn=fn: (set_threads(2), fn(gd)))
        row["contenders"][name] = entry
    repeats = args.repeats if first_s < SLOW_S else 1
    t1 = interleaved(timed1, repeats, clock=time.process_time)
    t2 = interleaved(timed2, repeats, clock=time.perf_counter)
    set_threads(1)
    row["contenders"].setdefault("ircc", {"status": "ok"})
    for name, times in t1.items():
        row["contenders"][name]["t1_s"] = median(times)
    for name, times in t2.items():
        row["contenders"][name]["t2_s"] = median(times)
    base1, base2 = row["contenders"]["ircc"]["t1_s"], row["contenders"]["ircc"]["t2_s"]
    for name, entry in row["contenders"].items():
        if name == "ircc":
            continue
        if entry.get("status") == "cap":
            entry["ratio1"] = f"> {args.cap / base1:.0f}"
            entry["ratio2"] = f"> {args.cap / base2:.0f}"
        elif entry.get("t1_s"):
            entry["ratio1"] = round(entry["t1_s"] / base1, 2)
            entry["ratio2"] = round(entry.get("t2_s", entry["t1_s"]) / base2, 2)
    return row


def ablation(gd, repeats: int, cap: float) -> list[dict[str, Any]]:
    """1-thread CPU time of plans with each optional planner pass left out."""
    G = gd.get("datagraph")
    patterns = {"4-clique": Pattern.clique(4), "4-cycle": Pattern.cycle(4), "4-path": Pattern.path(4),
                "4-star": Pattern.star(4), "triangle in no 4-clique": NO_K4}
    rows = []
    for label, p in patterns.items():
        fns = {}
        for skip in [None] + [x for x in PLAN_PIPELINE if x != "graph-plan"]:
            pipeline = default_pipeline(1, "llvm", skip=(skip,) if skip else ())
            kernel = ircc.compile(ircc.graph.query(p), target="llvm", pipeline=pipeline)
            fns["all passes" if skip is None else f"without {skip}"] = (lambda k=kernel: k(G))
        counts, slow = {}, {}
        for name, fn in list(fns.items()):  # a plan over the cap is reported as such, not timed
            status, result, cpu = probe_all({name: lambda g, fn=fn: fn()}, gd, cap)[name]
            counts[name] = result
            if status != "ok" or cpu > SLOW_S:
                slow[name] = cpu if status == "ok" else None
                del fns[name]
        times = interleaved(fns, repeats, clock=time.process_time)
        t1 = {name: median(times[name]) if name in times else slow[name] for name in counts}
        rows.append({"pattern": label, "count": counts["all passes"],
                     "all_agree": len({c for c in counts.values() if c is not None}) == 1, "t1_s": t1})
        print(f"  ablation {label}: " + ", ".join(f"{n} {fmt(t)}" for n, t in t1.items()), flush=True)
    return rows


def fmt(seconds: float | None) -> str:
    if seconds is None:
        return "> cap"
    return f"{seconds * 1e3:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def markdown(report: dict[str, Any]) -> str:
    out = ["# Graph pattern mining: ircc.graph against networkx, igraph, GraphBLAS, networkit", "",
           f"Command: `{report['command']}`  ", f"Date: {report['date']}; load average before / after: "
           f"{report['load_before']} / {report['load_after']}  ",
           f"Machine: {report['machine'].get('cpu')}, {report['machine'].get('cores', '?')} cores  ",
           "Versions: " + ", ".join(f"{k} {v}" for k, v in report["versions"].items()), "",
           "1T: process CPU time, median, contenders interleaved; 2T: wall clock, interleaved (ircc, GraphBLAS, "
           "networkit at two threads; single-threaded anchors keep their 1T time). ratio = anchor / ircc "
           "(> 1: ircc faster); '> x' when the anchor passed the cap.", ""]
    for note in report["notes"]:
        out.append(f"- {note}")
    out.append("")
    out.append("| graph | n | edges | degree-ordered copy (once) |")
    out.append("|---|---|---|---|")
    for g in report["graphs"]:
        out.append(f"| {g['name']} | {g['n']:,} | {g['edges']:,} | {fmt(g['degree_order_s'])} |")
    for task in TASKS:
        rows = [r for r in report["rows"] if r["task"] == task]
        if not rows:
            continue
        out += ["", f"## {task}", "", "| graph | contender | 1T | 2T | ratio 1T | ratio 2T | check | note |",
                "|---|---|---|---|---|---|---|---|"]
        for r in rows:
            result = r["result"] if not isinstance(r["result"], dict) else f"{len(r['result'])} patterns"
            for name, e in sorted(r["contenders"].items(), key=lambda kv: kv[0] != "ircc"):
                check = "" if name == "ircc" else {True: "same", False: "**MISMATCH**"}.get(e.get("matches_ircc"), "")
                note = e.get("note", "")
                if name == "ircc":
                    note = f"result {result}; compile {r['ircc_compile_s']:.2f} s"
                    t1, t2 = fmt(e.get("t1_s")), fmt(e.get("t2_s"))
                else:
                    t1 = e.get("note") if e.get("status") == "cap" else fmt(e.get("t1_s"))
                    t2 = fmt(e.get("t2_s")) if "t2_s" in e else "-"
                    if e.get("status") == "cap":
                        note = ""
                out.append(f"| {r['graph']} | {name} | {t1} | {t2} | {e.get('ratio1', '')} | {e.get('ratio2', '')} "
                           f"| {check} | {note} |")
    if report.get("ablation"):
        ab = report["ablation"]
        names = list(ab["rows"][0]["t1_s"])
        out += ["", f"## Ablation: planner passes left out ({ab['graph']}, 1T CPU time)", "",
                "| pattern | count | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
        for r in ab["rows"]:
            out.append(f"| {r['pattern']} | {r['count']:,} | " + " | ".join(fmt(r["t1_s"][n]) for n in names) + " |")
    return "\n".join(out) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--cap", type=float, default=120.0)
    ap.add_argument("--only-tasks", default="")
    ap.add_argument("--only-graphs", default="")
    ap.add_argument("--no-ablation", action="store_true")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "results"))
    args = ap.parse_args()
    tasks = [t for t in TASKS if not args.only_tasks or t in args.only_tasks.split(",")]
    found, notes = W.graphs(args.quick)
    if args.only_graphs:
        found = [g for g in found if g.name in args.only_graphs.split(",")]
    import graphblas
    import igraph
    import networkit
    import networkx

    report: dict[str, Any] = {
        "command": "python benchmarks/graph.py " + " ".join(sys.argv[1:]), "date": time.strftime("%Y-%m-%d %H:%M"),
        "load_before": load_average(), "machine": machine(), "notes": notes, "cap_s": args.cap,
        "versions": {"ircc": getattr(ircc, "__version__", "?"), "networkx": networkx.__version__,
                     "igraph": igraph.__version__, "python-graphblas": graphblas.__version__,
                     "networkit": networkit.__version__}, "graphs": [], "rows": []}
    for gd in found:
        G = gd.get("datagraph")
        start = time.process_time()
        G.degree_ordered(False)
        G.degree_ordered(True)
        report["graphs"].append({"name": gd.name, "n": gd.n, "edges": int(G.num_edges), "source": gd.source,
                                 "degree_order_s": time.process_time() - start})
        for task in tasks:
            row = run_task(task, gd, args)
            report["rows"].append(row)
            _write(report, Path(args.out), partial=True)
            c = row["contenders"]
            print(f"{gd.name:14s} {task:26s} ircc {fmt(c['ircc']['t1_s'])} / {fmt(c['ircc']['t2_s'])}  " + "  ".join(
                f"{n} {e.get('note') if e.get('status') == 'cap' else fmt(e.get('t1_s'))} ({e.get('ratio1', '')}x"
                f"{'' if e.get('matches_ircc', True) else ' MISMATCH'})"
                for n, e in c.items() if n != "ircc"), flush=True)
    if not args.no_ablation and found:
        report["ablation"] = {"graph": found[0].name, "rows": ablation(found[0], max(1, args.repeats // 2), args.cap)}
    _write(report, Path(args.out), partial=False)
    print(f"wrote {Path(args.out) / 'graph.json'} and {Path(args.out) / 'graph.md'}")


def _write(report: dict[str, Any], out: Path, partial: bool) -> None:
    """The JSON and the table so far (``partial``: the run has not finished; rewritten after each task)."""
    report["load_after"] = load_average()
    report["finished"] = not partial
    out.mkdir(parents=True, exist_ok=True)
    (out / "graph.json").write_text(json.dumps(report, indent=1, default=str))
    (out / "graph.md").write_text(markdown(report))


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
