"""Micro-benchmarks that check the simulator against the machine it is configured as: each measures one
parameter from a simulated run and returns it next to the configured value.

* ``pointer_chase`` -- one thread follows a random cycle through memory: each load waits for the one before,
  so cycles per hop, less the instructions per hop (one cycle each), is the DRAM latency;
* ``stream`` -- every thread copies its share of an array: bytes moved per cycle is the channel's bandwidth
  (the copy asks for more than it gives, so the channel is the limit);
* ``atomic_storm`` -- every thread adds into one place: atomics per cycle is the atomic unit's throughput;
* ``dma_gather`` -- a thread per core gathers random elements into its scratchpad with the DMA engine: bytes
  per cycle per core is the engine's rate.

``validate(machine)`` runs all three on one core of ``machine`` with its DRAM latency, bandwidth and atomic
rate set so that each test is limited by the parameter it measures.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ircc.backends.piuma.machine import Machine, resolve_machine as machine_of

CHASE = """
func.func @chase(%next: memref<?xindex>, %hops: index, %out: memref<1xindex>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %end = scf.for %h = %c0 to %hops step %c1 iter_args(%p = %c0) -> (index) {
    %q = memref.load %next[%p] : memref<?xindex>
    scf.yield %q : index
  }
  memref.store %end, %out[%c0] : memref<1xindex>
  func.return
}
"""

STREAM = """
func.func @copy(%x: memref<?xf64>, %y: memref<?xf64>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %x, %c0 : memref<?xf64>
  "scf.parallel"(%c0, %n, %c1) <{operandSegmentSizes = array<i32: 1, 1, 1, 0>}> ({
  ^bb0(%i: index):
    %v = memref.load %x[%i] : memref<?xf64>
    memref.store %v, %y[%i] : memref<?xf64>
    scf.reduce
  }) : (index, index, index) -> ()
  func.return
}
"""

STORM = """
func.func @storm(%n: index, %s: memref<1xf64>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %one = arith.constant 1.0 : f64
  "scf.parallel"(%c0, %n, %c1) <{operandSegmentSizes = array<i32: 1, 1, 1, 0>}> ({
  ^bb0(%i: index):
    %old = piuma.atomic_add %one, %s[%c0] : f64, memref<1xf64>
    scf.reduce
  }) : (index, index, index) -> ()
  func.return
}
"""


def _kernel(text: str, m: Machine):
    import ircc

    return ircc.compile(text, target="piuma", machine=m, cache=False)


def pointer_chase(m: Machine, hops: int = 2000, nodes: int = 4096, seed: int = 0) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    order = rng.permutation(nodes)
    nxt = np.empty(nodes, dtype=np.int64)
    nxt[order] = np.roll(order, -1)  # one cycle through every node, in random order
    out = np.zeros(1, dtype=np.int64)
    k = _kernel(CHASE, m)
    k(nxt, hops, out)
    want = 0
    for _ in range(hops):
        want = nxt[want]
    s = k.stats
    per_hop = s["cycles"] / hops
    instructions = s["instructions"] / hops
    return {"measured_latency": per_hop - instructions, "configured_latency": m.dram_latency,
            "cycles_per_hop": per_hop, "instructions_per_hop": instructions, "correct": int(out[0]) == int(want)}


def stream(m: Machine, n: int = 20000) -> dict[str, Any]:
    x = np.arange(n, dtype=np.float64)
    y = np.zeros(n)
    k = _kernel(STREAM, m)
    k(x, y)
    s = k.stats
    return {"measured_bytes_per_cycle": s["dram_bytes"] / s["cycles"],
            "configured_bytes_per_cycle": m.dram_bytes_per_cycle * m.cores, "correct": bool((y == x).all())}


def atomic_storm(m: Machine, n: int = 8000) -> dict[str, Any]:
    s_arr = np.zeros(1)
    k = _kernel(STORM, m)
    k(n, s_arr)
    s = k.stats
    return {"measured_atomics_per_cycle": s["atomics"] / s["cycles"],
            "configured_atomics_per_cycle": m.atomics_per_cycle, "contention_cycles": s["atomic_contention_cycles"],
            "correct": float(s_arr[0]) == float(n)}


def validate(spec: str | Machine | None = None) -> dict[str, Any]:
    """The three checks on one core of ``spec``, each with the parameter it measures as the bottleneck."""
    base = machine_of(spec).with_(dies=1, cores_per_die=1)
    return {
        "pointer_chase": pointer_chase(base),
        "stream": stream(base),
        "atomic_storm": atomic_storm(base.with_(atomics_per_cycle=0.25)),
    }

#: threads per core that issue gathers (each blocks until its gather lands; together they keep the engine busy)
GATHERERS = 4


def _gather_text() -> str:
    branches = []
    for t in range(GATHERERS):
        branches.append(f"""
    %is{t} = arith.cmpi eq, %local, %c{t} : index
    scf.if %is{t} {{
      %idx = piuma.spad_alloc() : memref<256xindex>
      %dst = piuma.spad_alloc() : memref<256xf64>
      %core = arith.remsi %tid, %ncores : index
      %row = arith.muli %core, %cg : index
      %who = arith.addi %row, %c{t} : index
      %base = arith.muli %who, %chunk : index
      scf.for %k = %c0 to %chunk step %c1 {{
        %at = arith.addi %base, %k : index
        %j = memref.load %order[%at] : memref<?xindex>
        memref.store %j, %idx[%k] : memref<256xindex>
      }}
      scf.for %r = %c0 to %reps step %c1 {{
        piuma.dma_gather %src[%idx] into %dst count %chunk : memref<?xf64>, memref<256xindex>, memref<256xf64>
      }}
      %last = arith.subi %chunk, %c1 : index
      %v = memref.load %dst[%last] : memref<256xf64>
      memref.store %v, %out[%who] : memref<?xf64>
    }}""")
    consts = "".join(f"  %c{t} = arith.constant {t} : index\n" for t in range(2, GATHERERS))
    return f"""
func.func @gather(%src: memref<?xf64>, %order: memref<?xindex>, %reps: index, %out: memref<?xf64>) {{
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
{consts}  %c64 = arith.constant 64 : index
  %cg = arith.constant {GATHERERS} : index
  %chunk = arith.constant 256 : index
  piuma.launch {{
  ^bb0(%tid: index, %nthreads: index):
    %ncores = arith.divsi %nthreads, %c64 : index
    %local = arith.divsi %tid, %ncores : index{"".join(branches)}
  }}
  func.return
}}
"""


GATHER = _gather_text()


def dma_gather(m: Machine, reps: int = 40, seed: int = 0) -> dict[str, Any]:
    """Four threads per core gather 256 random elements of a large array into its scratchpad, ``reps`` and then
    ``2 * reps`` times: the extra gathered bytes over the extra cycles, per core, is the DMA engine's rate
    (the setup, filling the index buffer, cancels out; the channels are not the limit)."""
    rng = np.random.default_rng(seed)
    n = 1 << 16
    src = rng.random(n)
    order = rng.integers(0, n, 256 * GATHERERS * m.cores).astype(np.int64)
    k = _kernel(GATHER, m)
    runs = []
    for r in (reps, 2 * reps):
        out = np.zeros(m.cores * GATHERERS)
        k(src, order, r, out)
        runs.append((k.stats["dma_bytes"], k.stats["cycles"]))
    (b1, c1), (b2, c2) = runs
    return {"measured_bytes_per_cycle_per_core": (b2 - b1) / (c2 - c1) / m.cores,
            "configured_bytes_per_cycle_per_core": m.dma_bytes_per_cycle,
            "correct": bool(np.array_equal(out, src[order.reshape(-1, 256)[:, -1]]))}
