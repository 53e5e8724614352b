"""The simulated PIUMA-like machine: its parameters, each with where it comes from.

Sources: ``PIUMA`` is Aananthakrishnan et al., "PIUMA: Programmable Integrated Unified Memory Architecture"
(arXiv:2010.06277; IEEE Micro 43(5), 2023) and Intel's Hot Chips 2023 talk on the 7 nm test chip (as reported
by Tom's Hardware and ServeTheHome); ``HotTiles`` is Gerogiannis et al., HPCA 2024 (Intel co-authors), which
describes the PIUMA core it simulates; ``SMASH`` is Shivdikar, "SMASH: Sparse Matrix Atomic Scratchpad
Hashing" (MS thesis, Northeastern University, 2021, arXiv:2105.14156). A parameter none of them states is
marked *assumed*, with the reason for the value. Times are in cycles of the core clock.

Differences from the real chip: threads have up to 256 integer and 256 float registers (the chip: 32 per
thread), so code generation does not spill; caches are not modelled (every DRAM access goes to memory, the
chip has 192 KB of non-coherent cache per core); single-threaded pipelines are not used.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace


@dataclass(frozen=True)
class Machine:
    name: str
    #: dies (chips) in the machine: one on a die preset, 16 on a sled (PIUMA: a 16-node system, 16 sockets a sled)
    dies: int = 1
    #: cores per die (PIUMA, Hot Chips 2023: 8 cores per die, 528 threads)
    cores_per_die: int = 8
    #: multi-threaded pipelines per core (HotTiles, PIUMA: 4 MTPs and 2 STPs per core)
    mtp_per_core: int = 4
    #: hardware threads per multi-threaded pipeline (PIUMA, Hot Chips 2023: 16 per MTP, 66 per core)
    threads_per_mtp: int = 16
    #: single-threaded pipelines per core (HotTiles, PIUMA: 2 STPs per core; not used by the lowering yet)
    stp_per_core: int = 2
    #: core clock in GHz (assumed: no primary source states it; 1 GHz only converts cycles to seconds)
    clock_ghz: float = 1.0
    #: scratchpad bytes per core (PIUMA, Hot Chips 2023: 4 MB of scratchpad SRAM per core)
    spad_bytes: int = 4 << 20
    #: scratchpad load latency (assumed: a few cycles, like an L1 hit on a simple core)
    spad_latency: int = 4
    #: scratchpad accesses per cycle per core (assumed: one port per MTP)
    spad_ports: int = 4
    #: DRAM access latency at the memory controller (assumed: ~100 ns at 1 GHz)
    dram_latency: int = 100
    #: DRAM bytes per cycle per core's channel (assumed: 8-byte channel at the core clock)
    dram_bytes_per_cycle: float = 8.0
    #: bytes one DRAM access moves at least (PIUMA, Hot Chips 2023: DDR5 controller with 8 B access granularity)
    access_bytes: int = 8
    #: bytes of the global address space on one core's DRAM before the next core's (assumed: 64-byte interleave)
    interleave_bytes: int = 64
    #: memory-side atomic operations per cycle per core (assumed: one)
    atomics_per_cycle: float = 1.0
    #: cycles an atomic takes at its unit, on top of the memory access (assumed)
    atomic_latency: int = 4
    #: DMA engine bytes per cycle per core for gathers/scatters (assumed: the channel's rate)
    dma_bytes_per_cycle: float = 8.0
    #: network cycles to another core of the same die, each way (assumed: a few mesh hops)
    die_hop_latency: int = 10
    #: network cycles to a core on another die, each way (assumed: PIUMA's optical links keep this low)
    sled_hop_latency: int = 50
    #: cycles for a barrier across all threads once the last arrives (assumed)
    barrier_latency: int = 50
    #: cycles for a barrier of one core's threads (PIUMA's runtime uses atomics in the core's scratchpad;
    #: the figure is assumed: a few scratchpad round trips)
    core_barrier_latency: int = 10

    @property
    def cores(self) -> int:
        return self.dies * self.cores_per_die

    @property
    def threads(self) -> int:
        return self.cores * self.mtp_per_core * self.threads_per_mtp

    @property
    def pipelines(self) -> int:
        return self.cores * self.mtp_per_core

    def with_(self, **changes) -> Machine:
        return replace(self, **changes)

    def describe(self) -> dict:
        return asdict(self) | {"cores": self.cores, "threads": self.threads}


#: one core: 4 pipelines of 16 threads
CORE = Machine("core", dies=1, cores_per_die=1)
#: one die: 8 cores
DIE = Machine("die")
#: one sled: 16 dies
SLED = Machine("sled", dies=16)
PRESETS = {m.name: m for m in (CORE, DIE, SLED)}


def resolve_machine(spec: str | Machine | None) -> Machine:
    if spec is None:
        return CORE
    if isinstance(spec, Machine):
        return spec
    if spec not in PRESETS:
        from ircc.errors import IrccError

        raise IrccError(f"unknown PIUMA machine '{spec}'; presets are: {', '.join(PRESETS)} (or a Machine)")
    return PRESETS[spec]
