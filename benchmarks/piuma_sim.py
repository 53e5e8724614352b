"""The simulated PIUMA machine checked and timed: the micro-benchmarks against the configured parameters,
and how fast the simulator itself runs (simulated thread-instructions per second of this machine's CPU).

    python benchmarks/piuma_sim.py        # writes benchmarks/results/piuma_sim.{json,md}

Speed: medians of 3 runs per workload after a warm-up call (numba compiles the simulator once, cached).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

import ircc
from ircc.backends.piuma.machine import CORE, DIE, SLED
from ircc.backends.piuma.microbench import STORM, STREAM, atomic_storm, dma_gather, pointer_chase, stream

RESULTS = Path(__file__).resolve().parent / "results"

#: row norms, rows in parallel (examples/mlir/rownorms.mlir)
ROW_NORMS = (Path(__file__).resolve().parents[1] / "examples" / "mlir" / "rownorms.mlir").read_text()


def validation() -> list[dict[str, Any]]:
    rows = []
    for latency in (60, 100, 200):
        r = pointer_chase(CORE.with_(dram_latency=latency))
        rows.append({"check": "pointer chase", "configured": latency, "measured": r["measured_latency"],
                     "unit": "cycles of DRAM latency", "correct": r["correct"]})
    for rate in (4.0, 8.0):
        r = stream(CORE.with_(dram_bytes_per_cycle=rate))
        rows.append({"check": "stream (copy)", "configured": rate, "measured": r["measured_bytes_per_cycle"],
                     "unit": "DRAM bytes per cycle", "correct": r["correct"]})
    for rate in (0.25, 0.5):  # below the ~0.8 atomics per cycle the pipelines can issue: the unit is the limit
        r = atomic_storm(CORE.with_(atomics_per_cycle=rate))
        rows.append({"check": "atomic storm", "configured": rate, "measured": r["measured_atomics_per_cycle"],
                     "unit": "atomics per cycle", "correct": r["correct"]})
    for rate in (2.0, 4.0):
        r = dma_gather(DIE.with_(dma_bytes_per_cycle=rate))
        rows.append({"check": "DMA gather (8 cores)", "configured": rate,
                     "measured": r["measured_bytes_per_cycle_per_core"], "unit": "gathered bytes per cycle per core",
                     "correct": r["correct"]})
    for row in rows:
        row["error"] = abs(row["measured"] - row["configured"]) / row["configured"]
    return rows


def speed() -> list[dict[str, Any]]:
    rng = np.random.default_rng(0)
    work = [
        ("stream 2M elements", STREAM, DIE, lambda: (rng.random(2_000_000), np.zeros(2_000_000))),
        ("row norms 2000x1000", ROW_NORMS, DIE, lambda: (rng.random((2000, 1000)), np.zeros(2000))),
        ("atomic storm 1M", STORM, CORE, lambda: (1_000_000, np.zeros(1))),
        ("stream 2M on a sled", STREAM, SLED, lambda: (rng.random(2_000_000), np.zeros(2_000_000))),
    ]
    rows = []
    for name, text, m, make in work:
        k = ircc.compile(text, target="piuma", machine=m, cache=False)
        k(*make())  # warm-up (the simulator is compiled once and cached by numba)
        rates, walls = [], []
        for _ in range(3):
            args = make()
            t0 = time.perf_counter()
            k(*args)
            walls.append(time.perf_counter() - t0)
            rates.append(k.stats["instructions"] / walls[-1])
        s = k.stats
        rows.append({"workload": name, "machine": m.name, "threads": m.threads,
                     "instructions": s["instructions"], "cycles": s["cycles"],
                     "call_s": statistics.median(walls), "instructions_per_s": statistics.median(rates),
                     "simulator_only_instructions_per_s": s["simulated_instructions_per_second"]})
    return rows


def main() -> int:
    doc = {"host": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                    "load_average": os.getloadavg()},
           "validation": validation(), "speed": speed()}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "piuma_sim.json").write_text(json.dumps(doc, indent=1) + "\n")
    lines = ["# The simulated PIUMA machine: validation and simulator speed", "",
             "`python benchmarks/piuma_sim.py`; load average at the start "
             f"{doc['host']['load_average'][0]:.2f}.", "",
             "| check | configured | measured | error | unit |", "|---|---|---|---|---|"]
    for r in doc["validation"]:
        lines.append(f"| {r['check']} | {r['configured']} | {r['measured']:.3f} | {100 * r['error']:.1f}% | "
                     f"{r['unit']} |")
    lines += ["", "| workload | machine (threads) | simulated instructions | cycles | call (s) | "
              "instructions / s (call) | instructions / s (simulator) |", "|---|---|---|---|---|---|---|"]
    for r in doc["speed"]:
        lines.append(f"| {r['workload']} | {r['machine']} ({r['threads']}) | {r['instructions']:,} | "
                     f"{r['cycles']:,} | {r['call_s']:.2f} | {r['instructions_per_s'] / 1e6:.2f} M | "
                     f"{r['simulator_only_instructions_per_s'] / 1e6:.2f} M |")
    (RESULTS / "piuma_sim.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
