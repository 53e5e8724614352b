"""SpGEMM dataflows on the simulated PIUMA machine: ``C = A @ A`` for R-MAT and uniform matrices, each
dataflow's simulated cycles and where they went, and its speedup over the dense accumulator in DRAM.

    python benchmarks/piuma_spgemm.py            # writes benchmarks/results/piuma_spgemm.{json,md,png}

The machine is one die (8 cores, 512 threads). The figures are simulated cycles (deterministic: no repeats
needed); the wall time of the simulation is listed too.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import ircc  # noqa: E402
from workloads_spgemm import rmat, uniform  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
ALGORITHMS = ("dense-dram", "esc", "hash", "heap", "smash-v1", "smash-v2", "smash-v3")
MATRICES = {"R-MAT scale 8": lambda: rmat(8, 8), "R-MAT scale 9": lambda: rmat(9, 8),
            "R-MAT scale 10": lambda: rmat(10, 8),
            "uniform 512 x 4": lambda: uniform(512, 4), "uniform 1024 x 8": lambda: uniform(1024, 8)}


def main() -> int:
    os.environ.setdefault("IRCC_PIUMA_MAX_INSTRUCTIONS", str(2_000_000_000))  # ESC's sorts run long
    rows: list[dict[str, Any]] = []
    for name, make in MATRICES.items():
        A = make()
        want = (A @ A).tocsr()
        want.sort_indices()
        flops = int(np.diff(A.indptr)[A.indices].sum())
        for algorithm in ALGORITHMS:
            k = ircc.compile(ircc.sparse.spgemm(), target="piuma", algorithm=algorithm, machine="die")
            t0 = time.perf_counter()
            C = k(A, A)
            wall = time.perf_counter() - t0
            s = k.stats
            ok = bool(np.array_equal(C.indptr, want.indptr) and np.array_equal(C.indices, want.indices)
                      and np.allclose(C.data, want.data))
            rows.append({"matrix": name, "n": A.shape[0], "nnz": int(A.nnz), "flops": flops, "nnz_c": int(want.nnz),
                         "algorithm": algorithm, "cycles": s["cycles"], "dram_bytes": s["dram_bytes"],
                         "spad_accesses": s["spad_accesses"], "atomics": s["atomics"],
                         "atomic_contention_cycles": s["atomic_contention_cycles"],
                         "pipeline_utilization": s["pipeline_utilization"], "instructions": s["instructions"],
                         "launches": len(s["time_by_phase"]), "correct": ok, "simulation_s": wall,
                         "largest_phase_share": max(ph["cycles"] for ph in s["time_by_phase"]) / s["cycles"],
                         "phases": [(ph["name"], ph["cycles"], ph["instructions"], ph["atomics"])
                                    for ph in s["time_by_phase"]]})
            print(f"{name:18s} {algorithm:10s} {s['cycles']:>12,} cycles  ok={ok}  ({wall:.1f} s)", flush=True)
    for r in rows:
        base = next(x for x in rows if x["matrix"] == r["matrix"] and x["algorithm"] == "dense-dram")
        r["speedup_vs_dense_dram"] = base["cycles"] / r["cycles"]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "piuma_spgemm.json").write_text(json.dumps({"machine": "die", "rows": rows}, indent=1) + "\n")
    lines = ["# SpGEMM dataflows on the simulated PIUMA die (8 cores, 512 threads)", "",
             "`python benchmarks/piuma_spgemm.py`: C = A @ A, simulated cycles (deterministic), speedup over "
             "the dense accumulator in DRAM (dense-dram).", "",
             "| matrix | flops | algorithm | cycles | speedup | DRAM bytes | scratchpad accesses | atomics | "
             "pipeline utilization | correct |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['matrix']} | {r['flops']:,} | {r['algorithm']} | {r['cycles']:,} | "
                     f"{r['speedup_vs_dense_dram']:.2f}x | {r['dram_bytes']:,} | {r['spad_accesses']:,} | "
                     f"{r['atomics']:,} | {r['pipeline_utilization']:.2f} | {r['correct']} |")
    lines += ["", *_summary(rows)]
    (RESULTS / "piuma_spgemm.md").write_text("\n".join(lines) + "\n")
    _plot(rows)
    print("\n".join(lines))
    return 0 if all(r["correct"] for r in rows) else 1


def _summary(rows: list[dict[str, Any]]) -> list[str]:
    """Speedups side by side: each dataflow over dense-dram, and each SMASH version over the best dataflow that
    is not SMASH on the same matrix (the thesis' "competing approaches"); geometric means across matrices."""
    matrices = list(dict.fromkeys(r["matrix"] for r in rows))
    cycles = {(r["matrix"], r["algorithm"]): r["cycles"] for r in rows}
    others = [a for a in ALGORITHMS if not a.startswith("smash")]
    out = ["## Speedup over dense-dram (cycles); SMASH over the best other dataflow in brackets", "",
           "| algorithm | " + " | ".join(matrices) + " | geomean |", "|---" * (len(matrices) + 2) + "|"]
    for a in ALGORITHMS:
        over = [cycles[m, "dense-dram"] / cycles[m, a] for m in matrices]
        cells = [f"{x:.2f}x" for x in over]
        gm = float(np.exp(np.mean(np.log(over))))
        tail = f"{gm:.2f}x"
        if a.startswith("smash"):
            best = [min(cycles[m, o] for o in others) / cycles[m, a] for m in matrices]
            cells = [f"{x} ({y:.2f}x)" for x, y in zip(cells, best)]
            tail += f" ({float(np.exp(np.mean(np.log(best)))):.2f}x)"
        out.append(f"| {a} | " + " | ".join(cells) + f" | {tail} |")
    return out


def _plot(rows: list[dict[str, Any]]) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    matrices = list(MATRICES)
    fig, ax = plt.subplots(figsize=(8, 3.8))
    width = 0.8 / len(ALGORITHMS)
    for k, algorithm in enumerate(ALGORITHMS):
        ys = [next(r["speedup_vs_dense_dram"] for r in rows if r["matrix"] == m and r["algorithm"] == algorithm)
              for m in matrices]
        ax.bar([x + k * width for x in range(len(matrices))], ys, width, label=algorithm)
    ax.set_xticks([x + 0.4 - width / 2 for x in range(len(matrices))], matrices)
    ax.set_ylabel("speedup over dense-dram (cycles)")
    ax.axhline(1.0, color="k", linewidth=0.8)
    ax.set_title("SpGEMM on the simulated PIUMA die")
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(RESULTS / "piuma_spgemm.png", dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    raise SystemExit(main())
