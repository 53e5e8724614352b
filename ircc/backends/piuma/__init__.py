"""The ``piuma`` target: programs run on a simulated PIUMA-like graph accelerator (``machine``), which reports
where the time goes (``kernel.stats``).

``lower-piuma`` turns the function's top-level parallel loops into ``piuma.launch`` regions; ``codegen``
makes each an instruction stream (``isa``) every hardware thread runs; ``sim`` executes them in simulated
time: per-thread instruction streams, latency hidden across a pipeline's threads, queues at the DRAM channels
and atomic units, the scratchpads. The results are the simulated program's own (the machine computes them),
so they equal the reference interpreter's; ``kernel.source`` is the instruction listing.

    k = ircc.compile(text, target="piuma", machine="die")   # presets: core, die, sled (or a Machine)
    k(a, b, out); k.stats["cycles"], k.stats["dram_bytes"], k.stats["time_by_phase"]
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from xdsl.dialects import func, memref
from xdsl.dialects.builtin import MemRefType, ModuleOp

from ircc.backends.base import Artifact, Backend, Signature, numpy_dtype, public_functions
from ircc.backends.piuma import isa, sim
from ircc.backends.piuma.codegen import HostFunction, View, _contiguous, host_eval, host_value, lower_function
from ircc.backends.piuma.machine import Machine, resolve_machine
from ircc.errors import BackendError, IrccError
from ircc.ir.dialects.piuma import ThreadsOp

TARGET = "piuma"
#: points of the utilization-over-time series
SERIES = 512


class PiumaBackend(Backend):
    name = TARGET
    description = "a simulated PIUMA-like graph accelerator: cycles, utilization, DRAM and atomic traffic"
    lowering = "lower-piuma,convert-scf-parallel-to-for,canonicalize"
    cacheable = False

    def emit(self, module: ModuleOp, options: Any) -> Artifact:
        m = resolve_machine(getattr(options, "machine", None))
        stats: dict[str, Any] = {"machine": m.name}
        functions, entries, signatures, errors = {}, {}, {}, []
        from xdsl.dialects import func as func_dialect

        callees = {op.sym_name.data: op for op in module.ops if isinstance(op, func_dialect.FuncOp)}
        for op in public_functions(module):
            name = op.sym_name.data
            signatures[name] = Signature.of(op)
            try:
                functions[name] = lower_function(op, callees)
                entries[name] = _Entry(functions[name], m, signatures[name], stats,
                                       getattr(options, "dump_dir", None))
            except BackendError as err:  # refused when that function is called (another may be the entry)
                entries[name] = _Refused(err)
                errors.append(err)
        if not functions and errors:
            raise errors[0]
        source = "\n".join(fn.listing() for fn in functions.values())
        return Artifact(TARGET, entries, signatures, source=source, stats=stats)


class _Refused:
    def __init__(self, error: BackendError):
        self.error = error

    def __call__(self, *args: Any) -> Any:
        raise self.error


class _Entry:
    def __init__(self, fn: HostFunction, m: Machine, signature: Signature, stats: dict, dump_dir: str | None):
        self.fn, self.machine, self.signature, self.stats = fn, m, signature, stats
        self.dump_dir = dump_dir
        self.__name__ = fn.name

    def __call__(self, *args: Any) -> Any:
        self.signature.check_args(args)
        fn, m = self.fn, self.machine
        block = fn.op.body.block
        env: dict = {}
        run = _Run(fn, m)
        for a, value in zip(block.args, args):
            if isinstance(a.type, MemRefType):
                b = fn.slots[a]
                run.add(b.slot, np.ascontiguousarray(value))
                env[a] = View(b.slot, 0, _contiguous(value.shape), tuple(value.shape))
            else:
                env[a] = value.item() if hasattr(value, "item") else value
        for b in fn.buffers:  # heaps start small and grow when a launch runs out
            if b.space == 3:
                run.add(b.slot, np.zeros(1 << 12, b.dtype))
        for b in fn.buffers:  # scratchpads: a copy per core, sized from the op's static shape
            if b.space == 1:
                shape = b.op.memref.type.get_shape()
                if any(d < 0 for d in shape):
                    raise IrccError(f"@{fn.name}: a scratchpad buffer of dynamic size is not simulated yet")
                run.add(b.slot, np.zeros(int(np.prod(shape)), b.dtype))
        self._check_scratchpads(run.arrays)
        results = None
        for kind, op in fn.steps:
            if kind == "launch":
                launch = fn.launches[op]
                for b in fn.buffers:  # a thread's own buffers: sized now, zeroed for every launch
                    if b.space == 2 and b.launch == op:
                        dims = iter(host_eval(v, env) for v in b.op.dynamic_sizes)
                        shape = [d if d >= 0 else next(dims) for d in b.op.memref.type.get_shape()]
                        run.add(b.slot, np.zeros(int(np.prod(shape)), b.dtype))
                run.launch(launch, self._inputs(launch, env), run._fail)
            elif isinstance(op, memref.AllocOp):
                dims = iter(env[v] for v in op.dynamic_sizes)
                shape = tuple(d if d >= 0 else next(dims) for d in op.memref.type.get_shape())
                b = fn.slots[op.memref]
                run.add(b.slot, np.zeros(shape, b.dtype))
                env[op.memref] = View(b.slot, 0, _contiguous(shape), shape)
            elif isinstance(op, memref.LoadOp):  # the host reads what the threads left in memory
                view = env[op.memref]
                at = view.offset + sum(env[i] * st for i, st in zip(op.indices, view.strides))
                env[op.res] = run.arrays[view.slot].reshape(-1)[at].item()
            elif isinstance(op, ThreadsOp):
                env[op.result] = m.threads
            elif isinstance(op, func.ReturnOp):
                results = tuple(run.arrays[env[v].slot] if isinstance(v.type, MemRefType)
                                else numpy_dtype(v.type).type(env[v]) for v in op.operands)
            else:
                host_value(op, env)
        for a, value in zip(block.args, args):  # results back into the caller's arrays
            if isinstance(a.type, MemRefType) and isinstance(value, np.ndarray):
                out = run.arrays[fn.slots[a].slot]
                if out is not value:
                    value[...] = out
        self.stats["last_call"] = run.stats()
        if self.dump_dir:  # utilization over time and the roofline, next to the IR dumps
            from ircc.backends.piuma.plots import write

            write(self.stats["last_call"], m, self.dump_dir, f"piuma-{fn.name}")
        if not results:
            return None
        return results[0] if len(results) == 1 else results

    def _check_scratchpads(self, arrays: dict[int, np.ndarray]) -> None:
        """Each launch's scratchpad buffers (those of one launch are live together) fit a core's."""
        per_launch: dict[int | None, int] = {}
        for b in self.fn.buffers:
            if b.space == 1:
                per_launch[b.launch] = per_launch.get(b.launch, 0) + arrays[b.slot].nbytes
        need = max(per_launch.values(), default=0)
        if need > self.machine.spad_bytes:
            raise IrccError(f"@{self.fn.name}: the scratchpad buffers need {need:,} bytes per core, the machine "
                            f"'{self.machine.name}' has {self.machine.spad_bytes:,}")

    @staticmethod
    def _inputs(launch, env) -> tuple[np.ndarray, np.ndarray]:
        def value(key):
            if key[0] == "value":
                return env[key[1]]
            if key[0] == "offset":
                return env[key[1]].offset
            if key[0] == "stride":
                return env[key[1]].strides[key[2]]
            return env[key[1]].shape[key[2] if isinstance(key[2], int) else env[key[2]]]  # dim

        ints = np.array([int(value(k)) for k in launch.captured_i], dtype=np.int64)
        floats = np.array([float(value(k)) for k in launch.captured_f], dtype=np.float64)
        return ints, floats


class _Run:
    """One call's machine: its buffers (placed in the global address space as they are made), the launches
    run so far, and their counters."""

    def __init__(self, fn: HostFunction, m: Machine):
        self.fn, self.m = fn, m
        self.arrays: dict[int, np.ndarray] = {}
        self.addr: dict[int, int] = {}
        self.next_addr = 0
        self.counters = np.zeros((m.cores, sim.NCOUNTERS))
        self.thread_instr = np.zeros(m.threads, dtype=np.int64)
        self.phases: list[dict] = []
        self.series: list[dict] = []
        self.now = 0.0
        self.instructions = 0
        self.wall = 0.0
        from ircc.env import piuma_max_instructions

        self.limit = piuma_max_instructions()  # a runaway loop stops (about a minute of simulation by default)
        params = np.zeros(sim.NPARAMS)
        params[[sim.P_SPAD_LAT, sim.P_SPAD_PORTS, sim.P_DRAM_LAT, sim.P_DRAM_BPC, sim.P_GRAN, sim.P_INTERLEAVE,
                sim.P_ATOM_RATE, sim.P_ATOM_LAT, sim.P_DIE_HOP, sim.P_SLED_HOP, sim.P_BARRIER, sim.P_CORES,
                sim.P_CORES_PER_DIE, sim.P_THREADS_PER_PIPE, sim.P_PIPES_PER_CORE, sim.P_DMA_BPC,
                sim.P_CORE_BARRIER]] = [
            m.spad_latency, m.spad_ports, m.dram_latency, m.dram_bytes_per_cycle, m.access_bytes,
            m.interleave_bytes, m.atomics_per_cycle, m.atomic_latency, m.die_hop_latency, m.sled_hop_latency,
            m.barrier_latency, m.cores, m.cores_per_die, m.threads_per_mtp, m.mtp_per_core, m.dma_bytes_per_cycle,
            m.core_barrier_latency]
        self.params = params

    def add(self, slot: int, array: np.ndarray) -> None:
        self.arrays[slot] = array
        space = self.fn.buffers[slot].space
        if space != 1:  # DRAM: the next addresses, from an interleave boundary (a copy per thread: space 2)
            limit = 1 << 31
            copies = self.m.threads if space == 2 else 1
            size = array.size * max(1, array.itemsize) * copies
            if size > limit:
                raise IrccError(f"@{self.fn.name}: a buffer of {size:,} bytes ({copies} thread copies) is more "
                                f"than the simulator holds ({limit:,}); use a smaller machine or input")
            self.addr[slot] = self.next_addr
            self.next_addr += -(-size // self.m.interleave_bytes) * self.m.interleave_bytes

    def launch(self, launch, inputs, fail) -> None:
        """Pack the buffers into the machine's memory, run the launch's threads, unpack."""
        fn, m = self.fn, self.m
        nslots = len(fn.buffers)
        is_float = np.array([fn.buffers[s].dtype.kind == "f" for s in range(nslots)])
        copies = np.array([{0: 1, 1: m.cores, 2: m.threads, 3: 1}[fn.buffers[s].space] for s in range(nslots)])
        lengths = np.array([self.arrays[s].size if s in self.arrays else 0 for s in range(nslots)], dtype=np.int64)
        base = np.zeros(nslots, dtype=np.int64)
        ftotal = itotal = 0
        for s in range(nslots):
            if is_float[s]:
                base[s], ftotal = ftotal, ftotal + lengths[s] * copies[s]
            else:
                base[s], itotal = itotal, itotal + lengths[s] * copies[s]
        fmem = np.zeros(max(ftotal, 1))
        imem = np.zeros(max(itotal, 1), dtype=np.int64)
        for s in range(nslots):
            if lengths[s]:
                pool = fmem if is_float[s] else imem
                pool[base[s]:base[s] + lengths[s] * copies[s]] = np.tile(self.arrays[s].ravel(), copies[s])
        esize = np.array([max(1, fn.buffers[s].dtype.itemsize) for s in range(nslots)], dtype=np.int64)
        addr = np.array([self.addr.get(s, 0) for s in range(nslots)], dtype=np.int64)
        space = np.array([fn.buffers[s].space for s in range(nslots)], dtype=np.int64)
        results = np.zeros(sim.NRESULTS, dtype=np.int64)
        thread_end = np.zeros(m.threads)
        util = np.zeros(SERIES, dtype=np.int64)
        width = np.array([64.0])
        before, instr_before = self.counters.copy(), self.thread_instr.copy()
        ints, floats = inputs
        wall = time.perf_counter()
        sim.run(launch.code, launch.fimm, isa.SOURCES, launch.nregs, m.threads, ints, floats, base, lengths, space,
                addr, esize, imem, fmem, self.params, self.now, self.limit - self.instructions, results,
                self.counters, self.thread_instr, thread_end, util, width, np.zeros(nslots, dtype=np.int64),
                is_float)
        self.wall += time.perf_counter() - wall
        if results[sim.R_ERROR] == sim.ERR_HEAP:  # a heap ran out: twice as large, and the launch again
            slot = int(results[sim.R_ERROR_BUF])
            self.counters[...], self.thread_instr[...] = before, instr_before
            self.add(slot, np.zeros(2 * self.arrays[slot].size, self.arrays[slot].dtype))
            return self.launch(launch, inputs, fail)
        if results[sim.R_ERROR]:
            fail(launch, results)
        for s in range(nslots):  # the machine's memory back into the buffers
            if lengths[s] and fn.buffers[s].space == 0:
                pool = fmem if is_float[s] else imem
                self.arrays[s].reshape(-1)[...] = pool[base[s]:base[s] + lengths[s]].astype(self.arrays[s].dtype)
        end = float(results[sim.R_CYCLES])
        delta = self.counters - before
        self.phases.append({"name": launch.name, "start": int(self.now), "end": int(end),
                            "cycles": int(end - self.now), "instructions": int(results[sim.R_INSTR]),
                            "dram_bytes": int(delta[:, sim.C_DRAM_BYTES].sum()),
                            "atomics": int(delta[:, sim.C_ATOMICS].sum())})
        self.series.append({"start": int(self.now), "bucket_cycles": float(width[0]),
                            "issued": util[:int(np.ceil(max(end - self.now, 1) / width[0]))].tolist()})
        self.instructions += int(results[sim.R_INSTR])
        self.now = end

    def stats(self) -> dict[str, Any]:
        m, counters = self.m, self.counters
        cycles = max(self.now, 1.0)
        per_core = counters[:, sim.C_INSTR] / (cycles * m.mtp_per_core)
        per_thread = self.thread_instr / cycles
        return {
            "machine": m.name, "cycles": int(self.now), "seconds": self.now / (m.clock_ghz * 1e9),
            "instructions": self.instructions, "ipc": self.instructions / cycles,
            "pipeline_utilization": self.instructions / (cycles * m.pipelines),
            "core_utilization": per_core.tolist(),
            "thread_utilization": {"mean": float(per_thread.mean()), "min": float(per_thread.min()),
                                   "max": float(per_thread.max())},
            "thread_instructions": self.thread_instr.tolist(),
            "dram_bytes": int(counters[:, sim.C_DRAM_BYTES].sum()),
            "dram_bytes_per_core": counters[:, sim.C_DRAM_BYTES].astype(np.int64).tolist(),
            "dram_accesses": int(counters[:, sim.C_DRAM_ACCESSES].sum()),
            "dram_queue_cycles": float(counters[:, sim.C_DRAM_WAIT].sum()),
            "remote_accesses": int(counters[:, sim.C_REMOTE].sum()),
            "spad_accesses": int(counters[:, sim.C_SPAD_ACCESSES].sum()),
            "atomics": int(counters[:, sim.C_ATOMICS].sum()),
            "atomic_contention_cycles": float(counters[:, sim.C_ATOMIC_WAIT].sum()),
            "dma_bytes": int(counters[:, sim.C_DMA_BYTES].sum()),
            "time_by_phase": self.phases, "utilization_series": self.series,
            "simulated_instructions_per_second": self.instructions / self.wall if self.wall > 0 else 0.0,
        }

    def _fail(self, launch, results) -> None:
        error, pc, thread = results[sim.R_ERROR], int(results[sim.R_ERROR_PC]), int(results[sim.R_ERROR_THREAD])
        line = launch.program.listing().splitlines()[pc] if pc < len(launch.program.rows) else ""
        where = f"{launch.name}, thread {thread}, instruction {pc}: {line.strip()}"
        if error == sim.ERR_BOUNDS:
            b = self.fn.buffers[int(results[sim.R_ERROR_BUF])]
            what = f"argument {b.arg}" if b.arg is not None else ("a scratchpad buffer" if b.space else "a buffer")
            raise IrccError(f"@{self.fn.name}: index {int(results[sim.R_ERROR_INDEX])} is outside {what} "
                            f"({where})")
        if error == sim.ERR_DIV0:
            raise IrccError(f"@{self.fn.name}: integer division by zero ({where})")
        raise IrccError(f"@{self.fn.name}: stopped after {self.limit:,} simulated instructions -- a loop that does "
                        f"not end, or a run longer than allowed (IRCC_PIUMA_MAX_INSTRUCTIONS raises it) ({where})")
