"""The simulated machine: its figures match what it is configured as (micro-benchmarks within 5%), the
results come from executing the generated instructions (change one and the result changes), bad programs
stop with the place they went wrong, and ``kernel.stats`` says where the time went."""

from __future__ import annotations

import numpy as np
import pytest

import ircc
from ircc.backends.piuma import isa
from ircc.backends.piuma.machine import CORE, DIE, PRESETS, SLED, Machine
from ircc.backends.piuma.microbench import STREAM, atomic_storm, dma_gather, pointer_chase, stream
from ircc.errors import IrccError


def test_pointer_chase_measures_the_dram_latency() -> None:
    for latency in (60, 150):
        r = pointer_chase(CORE.with_(dram_latency=latency), hops=600)
        assert r["correct"]
        assert r["measured_latency"] == pytest.approx(latency, rel=0.05)


def test_stream_measures_the_channel_bandwidth() -> None:
    for rate in (8.0, 4.0):
        r = stream(CORE.with_(dram_bytes_per_cycle=rate), n=8000)
        assert r["correct"]
        assert r["measured_bytes_per_cycle"] == pytest.approx(rate, rel=0.05)


def test_atomic_storm_measures_the_atomic_unit() -> None:
    for rate in (0.25, 0.5):
        r = atomic_storm(CORE.with_(atomics_per_cycle=rate), n=3000)
        assert r["correct"] and r["contention_cycles"] > 0
        assert r["measured_atomics_per_cycle"] == pytest.approx(rate, rel=0.05)


def test_dma_gather_measures_the_engine() -> None:
    for rate in (2.0, 4.0):
        r = dma_gather(DIE.with_(dma_bytes_per_cycle=rate), reps=10)
        assert r["correct"]
        assert r["measured_bytes_per_cycle_per_core"] == pytest.approx(rate, rel=0.05)


def test_results_come_from_the_simulated_instructions() -> None:
    """Turn the copy's store into storing the loaded value plus itself: the output changes accordingly."""
    k = ircc.compile(STREAM, target="piuma", machine="core", cache=False)
    x, y = np.arange(100.0), np.zeros(100)
    k(x, y)
    np.testing.assert_array_equal(y, x)
    launch = k._artifact.entries["copy"].fn.launches[0]
    load = next(i for i, row in enumerate(launch.code) if row[0] == isa.LOAD_F)
    store = next(i for i, row in enumerate(launch.code) if row[0] == isa.STORE_F)
    assert store == load + 1
    # make the store read a register that holds v + v: rewrite the load's successor in place
    launch.code = np.insert(launch.code, store, [isa.ADD_F, launch.code[load, 1], launch.code[load, 1],
                                                 launch.code[load, 1], 0, 0, 0], axis=0)
    launch.fimm = np.insert(launch.fimm, store, 0.0)
    for row in launch.code:  # jumps past the inserted instruction move by one
        if row[0] in (isa.JMP, isa.BRZ) and row[5] > store:
            row[5] += 1
    k(x, y)
    np.testing.assert_array_equal(y, 2 * x)


def test_an_index_outside_a_buffer_is_reported_with_its_place() -> None:
    text = STREAM.replace("memref.store %v, %y[%i]", "%j = arith.addi %i, %c1 : index\n    memref.store %v, %y[%j]")
    k = ircc.compile(text, target="piuma", cache=False)
    with pytest.raises(IrccError, match=r"index 10 is outside argument 1 \(copy_launch0, thread \d+, instruction"):
        k(np.zeros(10), np.zeros(10))


def test_presets_and_where_the_time_goes() -> None:
    assert [PRESETS[n].threads for n in ("core", "die", "sled")] == [64, 512, 8192]
    x = np.random.default_rng(0).random(4000)
    y = np.zeros_like(x)
    k = ircc.compile(STREAM, target="piuma", machine="die", cache=False)
    k(x, y)
    s = k.stats
    np.testing.assert_array_equal(y, x)
    assert s["machine"] == "die" and len(s["core_utilization"]) == 8
    assert s["remote_accesses"] > 0  # the interleaved address space puts most data on other cores
    assert s["dram_bytes"] == 2 * 8 * x.size
    assert 0 < s["pipeline_utilization"] <= 1 and s["time_by_phase"][0]["instructions"] == s["instructions"]
    assert sum(sum(p["issued"]) for p in s["utilization_series"]) == s["instructions"]
    assert s["simulated_instructions_per_second"] > 0
    big = np.random.default_rng(1).random(40000)
    slow = ircc.compile(STREAM, target="piuma", machine=DIE.with_(dram_bytes_per_cycle=2.0), cache=False)
    slow(big, np.zeros_like(big))  # 2 bytes a cycle per channel: the channels are the limit
    k(big, np.zeros_like(big))
    assert k.stats["cycles"] < 0.5 * slow.stats["cycles"]  # a faster channel: fewer cycles for the same copy


def test_a_scratchpad_larger_than_the_machines_is_refused() -> None:
    text = """
    func.func @f(%out: memref<1xf64>) {
      %c0 = arith.constant 0 : index
      piuma.launch {
      ^bb0(%tid: index, %n: index):
        %s = piuma.spad_alloc() : memref<1048576xf64>
        %v = memref.load %s[%c0] : memref<1048576xf64>
      }
      func.return
    }
    """
    k = ircc.compile(text, target="piuma", machine=CORE.with_(spad_bytes=1 << 20), cache=False)
    with pytest.raises(IrccError, match="scratchpad buffers need 8,388,608 bytes per core"):
        k(np.zeros(1))


def test_machine_parameters_are_documented() -> None:
    """Every parameter has a comment saying where its value comes from: a paper, or assumed."""
    import dataclasses
    import inspect

    from ircc.backends.piuma import machine

    lines = inspect.getsource(machine.Machine).splitlines()
    for f in dataclasses.fields(Machine):
        if f.name == "name":
            continue
        at = next(i for i, line in enumerate(lines) if line.strip().startswith(f"{f.name}:"))
        comment = lines[at - 1].strip()
        assert comment.startswith("#:") and any(w in comment for w in ("PIUMA", "SMASH", "assumed")), f.name
    assert SLED.dies == 16 and DIE.cores == 8


def test_the_dump_directory_gets_the_plots(tmp_path) -> None:
    pytest.importorskip("matplotlib")
    k = ircc.compile(STREAM, target="piuma", machine="die", dump_dir=str(tmp_path), cache=False)
    k(np.arange(500.0), np.zeros(500))
    for kind in ("utilization", "roofline"):
        png = tmp_path / f"piuma-copy-{kind}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000


def test_a_core_barrier_waits_for_that_cores_threads_only() -> None:
    """Thread 0 of each core writes its core's slot after a delay; after a core barrier every thread of the
    core reads it. Threads of other cores do not wait (a slower core does not hold the others)."""
    text = """
    func.func @f(%out: memref<?xindex>, %seen: memref<?xindex>) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c64 = arith.constant 64 : index
      %spin = arith.constant 200 : index
      piuma.launch {
      ^bb0(%tid: index, %n: index):
        %ncores = arith.divsi %n, %c64 : index
        %core = arith.remsi %tid, %ncores : index
        %local = arith.divsi %tid, %ncores : index
        %first = arith.cmpi eq, %local, %c0 : index
        scf.if %first {
          %steps = arith.muli %spin, %core : index
          %x = scf.for %i = %c0 to %steps step %c1 iter_args(%a = %c0) -> (index) {
            %b = arith.addi %a, %c1 : index
            scf.yield %b : index
          }
          %zero = arith.subi %x, %steps : index
          %w = arith.addi %core, %c1 : index
          %v = arith.addi %w, %zero : index
          memref.store %v, %out[%core] : memref<?xindex>
        }
        piuma.barrier {core}
        %r = memref.load %out[%core] : memref<?xindex>
        memref.store %r, %seen[%tid] : memref<?xindex>
      }
      func.return
    }
    """
    k = ircc.compile(text, target="piuma", machine="die", cache=False)
    out, seen = np.zeros(8, dtype=np.int64), np.zeros(512, dtype=np.int64)
    k(out, seen)
    np.testing.assert_array_equal(seen, np.tile(np.arange(1, 9), 64))  # thread t runs on core t mod 8
    assert k.stats["cycles"] > 7 * 200  # core 7's first thread spun 1400 iterations; the others waited for it


def test_a_run_past_the_instruction_limit_stops_with_where(monkeypatch) -> None:
    monkeypatch.setenv("IRCC_PIUMA_MAX_INSTRUCTIONS", "5000")
    k = ircc.compile(STREAM, target="piuma", machine="core", cache=False)
    with pytest.raises(IrccError, match=r"stopped after 5,000 simulated instructions .*IRCC_PIUMA_MAX_INSTRUCTIONS"):
        k(np.zeros(10000), np.zeros(10000))


def test_dma_gather_then_scatter_moves_elements_through_the_scratchpad() -> None:
    """Each core's first thread gathers src[idx] into its scratchpad and scatters it to out[perm] (a
    permutation): out[perm[k]] = src[idx[k]]; an index past the destination is reported."""
    text = """
    func.func @f(%src: memref<?xf64>, %idx: memref<?xindex>, %perm: memref<?xindex>, %out: memref<?xf64>,
                 %n: index) {
      %c0 = arith.constant 0 : index
      %c64 = arith.constant 64 : index
      piuma.launch {
      ^bb0(%tid: index, %nt: index):
        %first = arith.cmpi eq, %tid, %c0 : index
        scf.if %first {
          %buf = piuma.spad_alloc() : memref<256xf64>
          piuma.dma_gather %src[%idx] into %buf count %n : memref<?xf64>, memref<?xindex>, memref<256xf64>
          piuma.dma_scatter %buf into %out[%perm] count %n : memref<256xf64>, memref<?xindex>, memref<?xf64>
        }
      }
      func.return
    }
    """
    rng = np.random.default_rng(3)
    src = rng.random(1000)
    idx = rng.integers(0, 1000, 200)
    perm = rng.permutation(200)
    out = np.zeros(200)
    k = ircc.compile(text, target="piuma", machine="die", cache=False)
    k(src, idx, perm, out, 200)
    want = np.zeros(200)
    want[perm] = src[idx]
    np.testing.assert_array_equal(out, want)
    assert k.stats["dma_bytes"] == 2 * 200 * 8
    perm[5] = 200
    with pytest.raises(IrccError, match=r"index 200 is outside argument 3 \(f_launch0, thread 0, instruction"):
        k(src, idx, perm, np.zeros(200), 200)
