"""The simulator: executes a program's instruction streams, one per hardware thread, in simulated time.

Discrete events in time order (a heap of threads keyed by the cycle each can issue next). A multi-threaded
pipeline issues one instruction per cycle, from whichever of its threads is ready; a thread waiting on memory
is not ready, so the pipeline's other threads hide the latency. An instruction's effect happens when it
issues (sequentially consistent in simulated time); what it costs:

* arithmetic and control: one cycle of its pipeline;
* a DRAM access: the network to the core whose DRAM slice holds the address (``interleave_bytes``), the
  queue of that core's channel (``access_bytes`` at least per access, ``dram_bytes_per_cycle``), its latency,
  and the way back; a store is posted (the thread goes on), but its bytes still occupy the channel;
* a scratchpad access: the core's ports (``spad_ports`` per cycle) and ``spad_latency``;
* an atomic: the memory-side unit at the home core (``atomics_per_cycle``: threads hammering one place queue
  there -- that wait is the contention reported), the read and write of the location, ``atomic_latency``;
* a barrier: every live thread waits for the last, then ``barrier_latency``.

Compiled with numba (``cache=True``); ``stats`` arrays are filled in place.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from ircc.backends.piuma import isa

# params indices
P_SPAD_LAT, P_SPAD_PORTS, P_DRAM_LAT, P_DRAM_BPC, P_GRAN, P_INTERLEAVE, P_ATOM_RATE, P_ATOM_LAT = range(8)
P_DIE_HOP, P_SLED_HOP, P_BARRIER, P_CORES, P_CORES_PER_DIE, P_THREADS_PER_PIPE, P_PIPES_PER_CORE = range(8, 15)
P_DMA_BPC, P_CORE_BARRIER = 15, 16
NPARAMS = 17
# scalar results
R_CYCLES, R_INSTR, R_ERROR, R_ERROR_PC, R_ERROR_THREAD, R_ERROR_INDEX, R_ERROR_BUF = range(7)
NRESULTS = 7
# per-core counters (columns)
C_DRAM_BYTES, C_DRAM_ACCESSES, C_SPAD_ACCESSES, C_ATOMICS, C_ATOMIC_WAIT, C_REMOTE, C_INSTR, C_DRAM_WAIT = range(8)
C_DMA_BYTES = 8
NCOUNTERS = 9
ERR_BOUNDS, ERR_LIMIT, ERR_DIV0, ERR_HEAP = 1, 2, 3, 4


@numba.njit(cache=True, inline="always")
def _less(ka, ta, kb, tb):
    return ka < kb or (ka == kb and ta < tb)


@numba.njit(cache=True)
def _push(hkey, hthr, size, key, thr):
    i = size
    hkey[i] = key
    hthr[i] = thr
    while i > 0:
        parent = (i - 1) >> 1
        if _less(hkey[i], hthr[i], hkey[parent], hthr[parent]):
            hkey[i], hkey[parent] = hkey[parent], hkey[i]
            hthr[i], hthr[parent] = hthr[parent], hthr[i]
            i = parent
        else:
            break
    return size + 1


@numba.njit(cache=True)
def _pop(hkey, hthr, size):
    key, thr = hkey[0], hthr[0]
    size -= 1
    hkey[0] = hkey[size]
    hthr[0] = hthr[size]
    i = 0
    while True:
        left = 2 * i + 1
        if left >= size:
            break
        best = left
        right = left + 1
        if right < size and _less(hkey[right], hthr[right], hkey[left], hthr[left]):
            best = right
        if _less(hkey[best], hthr[best], hkey[i], hthr[i]):
            hkey[i], hkey[best] = hkey[best], hkey[i]
            hthr[i], hthr[best] = hthr[best], hthr[i]
            i = best
        else:
            break
    return key, thr, size


@numba.njit(cache=True)
def _unary(f, x):
    if f == 0:
        return math.exp(x)
    if f == 1:
        return math.log(x) if x > 0 else (-math.inf if x == 0 else math.nan)
    if f == 2:
        return math.sqrt(x) if x >= 0 else math.nan
    if f == 3:
        return math.sin(x)
    if f == 4:
        return math.cos(x)
    if f == 5:
        return math.tan(x)
    if f == 6:
        return math.tanh(x)
    if f == 7:
        return math.erf(x)
    if f == 8:
        return abs(x)
    if f == 9:
        return math.floor(x)
    if f == 10:
        return math.ceil(x)
    if f == 11:
        return 1.0 / math.sqrt(x) if x > 0 else (math.inf if x == 0 else math.nan)
    if f == 12:
        return 2.0 ** x
    if f == 13:
        return math.log2(x) if x > 0 else (-math.inf if x == 0 else math.nan)
    if f == 14:
        return math.log10(x) if x > 0 else (-math.inf if x == 0 else math.nan)
    if f == 15:
        return math.log1p(x) if x > -1 else (-math.inf if x == -1 else math.nan)
    if f == 16:
        return math.expm1(x)
    if f == 17:
        return math.erfc(x)
    if f == 18:
        return math.sinh(x)
    if f == 19:
        return math.cosh(x)
    if f == 20:
        return math.asin(x) if -1 <= x <= 1 else math.nan
    if f == 21:
        return math.acos(x) if -1 <= x <= 1 else math.nan
    if f == 22:
        return math.atan(x)
    if f == 23:
        return math.asinh(x)
    if f == 24:
        return math.acosh(x) if x >= 1 else math.nan
    if f == 25:
        return math.atanh(x) if -1 < x < 1 else (math.copysign(math.inf, x) if abs(x) == 1 else math.nan)
    if f == 26:
        return float(np.round(x))
    return float(math.trunc(x))


@numba.njit(cache=True)
def _release(waiting, lo, hi, time, hkey, hthr, size):
    """Threads lo..hi-1 waiting at a barrier go on at ``time``."""
    for w in range(lo, hi):
        if waiting[w] == 1:
            waiting[w] = 0
            size = _push(hkey, hthr, size, time, w)
    return size


@numba.njit(cache=True, inline="always")
def _slot(space, base, length, core, th, idx):
    """Where element ``idx`` of a buffer is in the machine's memory pool (copies per core or thread)."""
    if space == 1:
        return base + core * length + idx
    if space == 2:
        return base + th * length + idx
    return base + idx


@numba.njit(cache=True, inline="always")
def _route(address, core, interleave, ncores, per_die, die_hop, sled_hop):
    """The core whose DRAM slice holds ``address``, and the network cycles from ``core`` to it (one way)."""
    home = (address // interleave) % ncores
    if home == core:
        return home, 0.0
    return home, (die_hop if home // per_die == core // per_die else sled_hop)


@numba.njit(cache=True)
def _bits(f, x, width):
    """cttz / ctlz / ctpop of the low ``width`` bits of ``x``."""
    mask = np.uint64(0xFFFFFFFFFFFFFFFF) if width >= 64 else np.uint64((1 << width) - 1)
    u = np.uint64(x) & mask
    if f == 2:
        n = 0
        while u:
            u &= u - np.uint64(1)
            n += 1
        return n
    if u == 0:
        return width
    n = 0
    if f == 0:
        while (u & np.uint64(1)) == 0:
            u >>= np.uint64(1)
            n += 1
        return n
    top = np.uint64(1) << np.uint64(width - 1)
    while (u & top) == 0:
        u <<= np.uint64(1)
        n += 1
    return n


@numba.njit(cache=True, inline="always")
def _compare(k, a, b):
    """eq, gt, ge, lt, le, ne for k = 0..5."""
    if k == 0:
        return a == b
    if k == 1:
        return a > b
    if k == 2:
        return a >= b
    if k == 3:
        return a < b
    if k == 4:
        return a <= b
    return a != b


@numba.njit(cache=True)
def _cmpf(pred, a, b):
    """arith.cmpf: 1..6 ordered (false where either is NaN), 8..13 unordered (true there)."""
    unordered = a != a or b != b
    if pred == 0 or pred == 15:
        return pred == 15
    if pred == 7 or pred == 14:
        return unordered == (pred == 14)
    if unordered:
        return pred > 7
    return _compare(pred - 1 if pred <= 6 else pred - 8, a, b)


@numba.njit(cache=True)
def _cmpi(pred, a, b):
    if pred == 0:
        return a == b
    if pred == 1:
        return a != b
    if pred == 2:
        return a < b
    if pred == 3:
        return a <= b
    if pred == 4:
        return a > b
    if pred == 5:
        return a >= b
    ua, ub = np.uint64(a), np.uint64(b)
    if pred == 6:
        return ua < ub
    if pred == 7:
        return ua <= ub
    if pred == 8:
        return ua > ub
    return ua >= ub


@numba.njit(cache=True)
def run(code, fimm, sources, nregs, nthreads, init_i, init_f, buf_base, buf_len, buf_space, buf_addr, buf_esize,
        imem, fmem, params, start_time, max_instr, results, counters, thread_instr, thread_end, util, util_width,
        heap_top, buf_float):
    """Run ``code`` on ``nthreads`` threads from ``start_time``; returns nothing (``results`` etc. filled)."""
    R = nregs
    ri = np.zeros((nthreads, R), np.int64)
    rf = np.zeros((nthreads, R), np.float64)
    ready_i = np.full((nthreads, R), start_time)
    ready_f = np.full((nthreads, R), start_time)
    for t in range(nthreads):
        for k in range(init_i.shape[0]):
            ri[t, k] = init_i[k]
        for k in range(init_f.shape[0]):
            rf[t, k] = init_f[k]
    ncores = int(params[P_CORES])
    per_die = int(params[P_CORES_PER_DIE])
    tpp = int(params[P_THREADS_PER_PIPE])
    ppc = int(params[P_PIPES_PER_CORE])
    spad_lat, spad_step = params[P_SPAD_LAT], 1.0 / params[P_SPAD_PORTS]
    dram_lat, dram_bpc, gran = params[P_DRAM_LAT], params[P_DRAM_BPC], params[P_GRAN]
    interleave = int(params[P_INTERLEAVE])
    atom_step, atom_lat = 1.0 / params[P_ATOM_RATE], params[P_ATOM_LAT]
    die_hop, sled_hop, barrier_lat = params[P_DIE_HOP], params[P_SLED_HOP], params[P_BARRIER]
    dma_bpc = params[P_DMA_BPC]
    dma_free = np.full(ncores, start_time)
    npipes = (nthreads + tpp - 1) // tpp
    pipe_free = np.full(npipes, start_time)
    chan_free = np.full(ncores, start_time)
    atom_free = np.full(ncores, start_time)
    spad_free = np.full(ncores, start_time)
    pcs = np.zeros(nthreads, np.int64)
    hkey = np.empty(nthreads + npipes, np.float64)
    hthr = np.empty(nthreads + npipes, np.int64)
    size = 0
    for t in range(nthreads):
        size = _push(hkey, hthr, size, start_time, t)
    waiting = np.zeros(nthreads, np.int64)
    tpc = tpp * ppc  # threads per core
    core_live = np.zeros(ncores, np.int64)
    for t in range(nthreads):
        core_live[t // tpc] += 1
    core_arrived = np.zeros(ncores, np.int64)
    core_time = np.full(ncores, start_time)
    core_barrier_lat = params[P_CORE_BARRIER]
    pending = np.full(nthreads, start_time)  # when each thread's memory operations have all completed
    live = nthreads
    arrived = 0
    barrier_time = start_time
    executed = 0
    end_time = start_time
    nbuckets = util.shape[0]
    width = util_width[0]
    # a thread that finds its pipeline busy is parked there; the pipeline has one wake-up event in the heap
    # (a negative id) and hands its next cycle to its parked threads in turn -- so ready threads waiting for
    # their pipeline cost nothing per cycle
    parked = np.zeros(nthreads, np.int64)
    parked_count = np.zeros(npipes, np.int64)
    wake_pending = np.zeros(npipes, np.int64)
    turn = np.zeros(npipes, np.int64)
    while size > 0:
        now, th, size = _pop(hkey, hthr, size)
        if th < 0:  # a pipeline's wake-up: one of its parked threads tries this cycle
            pipe = -1 - th
            wake_pending[pipe] = 0
            if parked_count[pipe] == 0:
                continue
            if pipe_free[pipe] > now:
                size = _push(hkey, hthr, size, pipe_free[pipe], th)
                wake_pending[pipe] = 1
                continue
            first = pipe * tpp
            for k in range(tpp):
                cand = first + (turn[pipe] + k) % tpp
                if cand < nthreads and parked[cand] == 1:
                    th = cand
                    turn[pipe] = (cand - first + 1) % tpp
                    break
            parked[th] = 0
            parked_count[pipe] -= 1
        pipe = th // tpp
        if pipe_free[pipe] > now:
            parked[th] = 1
            parked_count[pipe] += 1
            if wake_pending[pipe] == 0:
                size = _push(hkey, hthr, size, pipe_free[pipe], -1 - pipe)
                wake_pending[pipe] = 1
            continue
        pc = pcs[th]
        op = code[pc, 0]
        d, a, b, c, aux, flags = code[pc, 1], code[pc, 2], code[pc, 3], code[pc, 4], code[pc, 5], code[pc, 6]
        need = now  # in order: wait until the registers it reads hold their values (a load still in flight)
        for k in range(3):
            kind = sources[op, k]
            if kind == 1:
                need = max(need, ready_i[th, code[pc, 2 + k]])
            elif kind == 2:
                need = max(need, ready_f[th, code[pc, 2 + k]])
        if need > now:
            size = _push(hkey, hthr, size, need, th)
            if parked_count[pipe] > 0 and wake_pending[pipe] == 0:  # another thread may use this cycle
                size = _push(hkey, hthr, size, now, -1 - pipe)
                wake_pending[pipe] = 1
            continue
        pipe_free[pipe] = now + 1.0
        if parked_count[pipe] > 0 and wake_pending[pipe] == 0:
            size = _push(hkey, hthr, size, now + 1.0, -1 - pipe)
            wake_pending[pipe] = 1
        core = (th // tpp) // ppc
        executed += 1
        thread_instr[th] += 1
        counters[core, C_INSTR] += 1
        bucket = int((now - start_time) // width)
        while bucket >= nbuckets:  # the run outgrew the series: halve its resolution
            for k in range(nbuckets // 2):
                util[k] = util[2 * k] + util[2 * k + 1]
            for k in range(nbuckets // 2, nbuckets):
                util[k] = 0
            width *= 2
            bucket = int((now - start_time) // width)
        util[bucket] += 1
        if executed > max_instr:
            results[R_ERROR] = ERR_LIMIT
            results[R_ERROR_PC] = pc
            results[R_ERROR_THREAD] = th
            break
        ready = now + 1.0
        npc = pc + 1
        if op == isa.END:  # done once its stores and atomics are done too
            live -= 1
            core_live[core] -= 1
            thread_end[th] = max(now + 1.0, pending[th])
            end_time = max(end_time, thread_end[th])
            if arrived > 0 and arrived == live:  # the others wait at a barrier this thread will never reach
                size = _release(waiting, 0, nthreads, barrier_time + barrier_lat, hkey, hthr, size)
                arrived = 0
            if core_arrived[core] > 0 and core_arrived[core] == core_live[core]:
                size = _release(waiting, core * tpc, min(nthreads, (core + 1) * tpc),
                                core_time[core] + core_barrier_lat, hkey, hthr, size)
                core_arrived[core] = 0
            continue
        if op == isa.BARRIER:
            pcs[th] = npc
            waiting[th] = 1
            fence = max(now + 1.0, pending[th])  # a fence: its memory operations land first
            if aux == 1:  # the threads of this core only
                core_arrived[core] += 1
                core_time[core] = max(core_time[core], fence)
                if core_arrived[core] == core_live[core]:
                    size = _release(waiting, core * tpc, min(nthreads, (core + 1) * tpc),
                                    core_time[core] + core_barrier_lat, hkey, hthr, size)
                    core_arrived[core] = 0
                continue
            arrived += 1
            barrier_time = max(barrier_time, fence)
            if arrived == live:
                size = _release(waiting, 0, nthreads, barrier_time + barrier_lat, hkey, hthr, size)
                arrived = 0
            continue
        if op == isa.JMP:
            npc = aux
        elif op == isa.BRZ:
            if ri[th, a] == 0:
                npc = aux
        elif op == isa.TID:  # numbered round-robin over cores, then pipelines: a cyclic split spreads
            ri[th, d] = (th % tpp) * (ncores * ppc) + ((th % tpc) // tpp) * ncores + th // tpc
        elif op == isa.NTHREADS:
            ri[th, d] = nthreads
        elif op == isa.CORE:
            ri[th, d] = core
        elif op == isa.IMM_I:
            ri[th, d] = aux
        elif op == isa.MOV_I:
            ri[th, d] = ri[th, a]
        elif op == isa.ADD_I:
            ri[th, d] = ri[th, a] + ri[th, b]
        elif op == isa.SUB_I:
            ri[th, d] = ri[th, a] - ri[th, b]
        elif op == isa.MUL_I:
            ri[th, d] = ri[th, a] * ri[th, b]
        elif op == isa.DIV_I or op == isa.REM_I or op == isa.FLOORDIV_I:
            x, y = ri[th, a], ri[th, b]
            if y == 0:
                results[R_ERROR] = ERR_DIV0
                results[R_ERROR_PC] = pc
                results[R_ERROR_THREAD] = th
                break
            q = abs(x) // abs(y)
            if (x < 0) != (y < 0):
                q = -q
            if op == isa.DIV_I:
                ri[th, d] = q
            elif op == isa.REM_I:
                ri[th, d] = x - q * y
            else:
                ri[th, d] = x // y
        elif op == isa.MIN_I:
            ri[th, d] = min(ri[th, a], ri[th, b])
        elif op == isa.MAX_I:
            ri[th, d] = max(ri[th, a], ri[th, b])
        elif op == isa.AND_I:
            ri[th, d] = ri[th, a] & ri[th, b]
        elif op == isa.OR_I:
            ri[th, d] = ri[th, a] | ri[th, b]
        elif op == isa.XOR_I:
            ri[th, d] = ri[th, a] ^ ri[th, b]
        elif op == isa.SHL_I:
            ri[th, d] = ri[th, a] << ri[th, b]
        elif op == isa.SHR_I:
            ri[th, d] = ri[th, a] >> ri[th, b]
        elif op == isa.CMP_I:
            ri[th, d] = 1 if _cmpi(aux, ri[th, a], ri[th, b]) else 0
        elif op == isa.SEL_I:
            ri[th, d] = ri[th, a] if ri[th, c] != 0 else ri[th, b]
        elif op == isa.BITS_I:
            ri[th, d] = _bits(aux, ri[th, a], b)
        elif op == isa.DMA_GATHER or op == isa.DMA_SCATTER:
            # the core's engine moves element k at its issue slot, through the home channel of the indexed side:
            # gather dst[d + k] = src[b + idx[c + k]], scatter dst[d + idx[c + k]] = src[b + k]
            scatter = op == isa.DMA_SCATTER
            src_buf, idx_buf, dst_buf = code[pc + 1, 5], code[pc + 1, 3], aux
            count, src_off, idx_off, dst_off = ri[th, a], ri[th, b], ri[th, c], ri[th, d]
            far_buf, far_off = (dst_buf, dst_off) if scatter else (src_buf, src_off)
            near_buf, near_off = (src_buf, src_off) if scatter else (dst_buf, dst_off)
            npc = pc + 2
            bad = -1
            if count > 0 and (idx_off < 0 or idx_off + count > buf_len[idx_buf]):
                bad = idx_buf
            elif count > 0 and (near_off < 0 or near_off + count > buf_len[near_buf]):
                bad = near_buf
            if bad >= 0:
                results[R_ERROR] = ERR_BOUNDS
                results[R_ERROR_PC] = pc
                results[R_ERROR_THREAD] = th
                results[R_ERROR_INDEX] = count
                results[R_ERROR_BUF] = bad
                break
            esize = buf_esize[far_buf]
            moved = max(gran, float(esize))
            step = moved / dma_bpc
            begin = max(now, dma_free[core])
            dma_free[core] = begin + count * step
            done = begin
            failed = False
            for k in range(count):
                islot = _slot(buf_space[idx_buf], buf_base[idx_buf], buf_len[idx_buf], core, th, idx_off + k)
                j = far_off + imem[islot]
                if j < 0 or j >= buf_len[far_buf]:
                    results[R_ERROR] = ERR_BOUNDS
                    results[R_ERROR_PC] = pc
                    results[R_ERROR_THREAD] = th
                    results[R_ERROR_INDEX] = j
                    results[R_ERROR_BUF] = far_buf
                    failed = True
                    break
                fslot = _slot(buf_space[far_buf], buf_base[far_buf], buf_len[far_buf], core, th, j)
                nslot = _slot(buf_space[near_buf], buf_base[near_buf], buf_len[near_buf], core, th, near_off + k)
                sslot, dslot = (nslot, fslot) if scatter else (fslot, nslot)
                if buf_float[dst_buf]:
                    fmem[dslot] = fmem[sslot]
                else:
                    imem[dslot] = imem[sslot]
                t = begin + k * step
                if buf_space[far_buf] == 1:
                    arrival = t + spad_lat
                    counters[core, C_SPAD_ACCESSES] += 1
                else:
                    home, net = _route(buf_addr[far_buf] + (fslot - buf_base[far_buf]) * esize, core, interleave,
                                       ncores, per_die, die_hop, sled_hop)
                    if home != core:
                        counters[core, C_REMOTE] += 1
                    start = max(t + net, chan_free[home])
                    chan_free[home] = start + moved / dram_bpc
                    counters[home, C_DRAM_BYTES] += moved
                    counters[home, C_DRAM_ACCESSES] += 1
                    counters[home, C_DRAM_WAIT] += start - t - net
                    arrival = start + dram_lat + net
                done = max(done, arrival)
            if failed:
                break
            counters[core, C_DMA_BYTES] += count * moved
            pending[th] = max(pending[th], done)
            ready = done  # the thread waits for its transfer
        elif op == isa.ALLOC_HEAP:  # a buffer whose size the thread computed: the next free part of a heap
            ri[th, d] = heap_top[aux]
            heap_top[aux] += max(ri[th, a], 0)
            if heap_top[aux] > buf_len[aux]:
                results[R_ERROR] = ERR_HEAP
                results[R_ERROR_BUF] = aux
                results[R_ERROR_PC] = pc
                results[R_ERROR_THREAD] = th
                break
        elif op == isa.IMM_F:
            rf[th, d] = fimm[pc]
        elif op == isa.MOV_F:
            rf[th, d] = rf[th, a]
        elif op == isa.SEL_F:
            rf[th, d] = rf[th, a] if ri[th, c] != 0 else rf[th, b]
        elif op == isa.CMP_F:
            ri[th, d] = 1 if _cmpf(aux, rf[th, a], rf[th, b]) else 0
        elif op == isa.I2F:
            rf[th, d] = float(ri[th, a])
        elif op == isa.U2F:
            rf[th, d] = float(np.uint64(ri[th, a]))
        elif op == isa.F2I:
            x = rf[th, a]
            ri[th, d] = int(x) if x == x and abs(x) < 9.2e18 else 0
        elif op >= isa.ADD_F and op <= isa.COPYSIGN_F:
            x, y = rf[th, a], rf[th, b]
            if op == isa.ADD_F:
                r = x + y
            elif op == isa.SUB_F:
                r = x - y
            elif op == isa.MUL_F:
                r = x * y
            elif op == isa.DIV_F:
                if y != 0.0:
                    r = x / y
                elif x != 0.0 and x == x:
                    r = math.copysign(math.inf, x) * math.copysign(1.0, y)
                else:
                    r = math.nan
            elif op == isa.MIN_F:
                r = math.nan if (x != x or y != y) else min(x, y)
            elif op == isa.MAX_F:
                r = math.nan if (x != x or y != y) else max(x, y)
            elif op == isa.MINNUM_F:
                r = y if x != x else (x if y != y else min(x, y))
            elif op == isa.MAXNUM_F:
                r = y if x != x else (x if y != y else max(x, y))
            elif op == isa.NEG_F:
                r = -x
            elif op == isa.UNARY_F:
                r = _unary(aux, x)
            elif op == isa.POW_F:
                if x < 0 and y != math.floor(y):
                    r = math.nan
                elif x == 0.0 and y < 0:
                    r = math.inf
                else:
                    r = x ** y
            elif op == isa.FMA_F:
                r = x * y + rf[th, c]
            elif op == isa.ATAN2_F:
                r = math.atan2(x, y)
            elif op == isa.COPYSIGN_F:
                r = math.copysign(x, y)
            else:  # REM_F: fmod
                r = np.fmod(x, y) if y != 0.0 else math.nan
            if flags & isa.ROUND_F32:
                r = float(np.float32(r))
            rf[th, d] = r
        else:  # memory
            buf = aux
            idx = ri[th, a]
            if idx < 0 or idx >= buf_len[buf]:
                results[R_ERROR] = ERR_BOUNDS
                results[R_ERROR_PC] = pc
                results[R_ERROR_THREAD] = th
                results[R_ERROR_INDEX] = idx
                results[R_ERROR_BUF] = buf
                break
            esize = buf_esize[buf]
            atomic = op == isa.ATOMIC_ADD_I or op == isa.ATOMIC_ADD_F or op == isa.CAS_I
            slot = _slot(buf_space[buf], buf_base[buf], buf_len[buf], core, th, idx)
            if buf_space[buf] == 1:  # the issuing core's own scratchpad (a copy per core)
                start = max(now, spad_free[core])
                spad_free[core] = start + spad_step
                done = start + spad_lat + (atom_lat if atomic else 0.0)
                counters[core, C_SPAD_ACCESSES] += 1
                if atomic:
                    counters[core, C_ATOMICS] += 1
                    counters[core, C_ATOMIC_WAIT] += start - now
            else:  # DRAM: the global address (a thread's own copy for space 2) decides the home core
                home, net = _route(buf_addr[buf] + (slot - buf_base[buf]) * esize, core, interleave, ncores, per_die,
                                   die_hop, sled_hop)
                if home != core:
                    counters[core, C_REMOTE] += 1
                arrive = now + net
                moved = max(gran, float(esize))
                if atomic:
                    begin = max(arrive, atom_free[home])
                    atom_free[home] = begin + atom_step
                    counters[home, C_ATOMICS] += 1
                    counters[home, C_ATOMIC_WAIT] += begin - arrive
                    start = max(begin, chan_free[home])  # the unit reads and writes through its own buffer:
                    chan_free[home] = start + moved / dram_bpc  # one access of the channel (assumed)
                    counters[home, C_DRAM_BYTES] += moved
                    done = start + dram_lat + atom_lat + net
                else:
                    start = max(arrive, chan_free[home])
                    chan_free[home] = start + moved / dram_bpc
                    counters[home, C_DRAM_BYTES] += moved
                    done = start + dram_lat + net
                counters[home, C_DRAM_ACCESSES] += 1
                counters[home, C_DRAM_WAIT] += start - arrive
            pending[th] = max(pending[th], done)
            if op == isa.LOAD_I:
                ri[th, d] = imem[slot]
                ready_i[th, d] = done
            elif op == isa.LOAD_F:
                rf[th, d] = fmem[slot]
                ready_f[th, d] = done
            elif op == isa.STORE_I:
                imem[slot] = ri[th, b]
            elif op == isa.STORE_F:
                fmem[slot] = rf[th, b]
            elif op == isa.ATOMIC_ADD_I:
                ri[th, d] = imem[slot]
                imem[slot] += ri[th, b]
                ready_i[th, d] = done
            elif op == isa.ATOMIC_ADD_F:
                rf[th, d] = fmem[slot]
                r = fmem[slot] + rf[th, b]
                if flags & isa.ROUND_F32:
                    r = float(np.float32(r))
                fmem[slot] = r
                ready_f[th, d] = done
            else:  # CAS_I: d <- old; stored when old == b's value
                old = imem[slot]
                ri[th, d] = old
                if old == ri[th, b]:
                    imem[slot] = ri[th, c]
                ready_i[th, d] = done
        pcs[th] = npc
        size = _push(hkey, hthr, size, ready, th)
    results[R_CYCLES] = int(math.ceil(max(end_time, barrier_time)))
    results[R_INSTR] = executed
    util_width[0] = width
