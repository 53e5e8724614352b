"""Features of the IR a backend will lower, for the learned cost model (``ircc.costmodel.learned``).

Two views of one module (the last stage before the backend: what actually runs):

* ``ir_features(module, sizes)``: a flat dict of numbers. Every op is counted once per execution the IR
  implies: its count is weighted by the trip counts of the loops around it. A trip count the IR fixes (constants,
  or function arguments whose values ``sizes`` gives) multiplies the weight; one that depends on memory (a CSR
  row's length) or on an unknown size does not -- such ops land in a bucket by how many unknown loops enclose
  them (``dyn0`` .. ``dyn3``), which the model combines with the inputs' own figures (a matrix's flops per
  row). Categories: integer and float arithmetic, divisions, transcendental math, loads and stores by the
  stride class in the innermost loop (by the last index: ``unit``, ``strided``, ``indirect``, computed from a
  load; ``strided`` too when only an outer index moves; ``invariant`` when none does),
  atomics, calls, branches and ``while`` loops; and the float ops' nanoseconds by the static per-op table
  (``op_ns``: a sine is not a multiplication). Structure: loop counts and nest depth, parallel loops and their
  static extents, buffers allocated (bytes where static), buffers allocated inside loops, and the accumulator
  kinds the lowering used (a scatter into a dense array, a probing ``while`` loop, a sort call). Loop shape:
  loop entries (all loops, and innermost ones: a short tile's loop overhead), the work in innermost loops
  shorter than ``SHORT_TRIP`` and the innermost loops' log2 trip count averaged by their work (how well they
  vectorize). Memory traffic: the cache lines each level of
  an assumed hierarchy fetches (``miss_l1`` .. ``miss_l3``; the TLBs as caches of pages, ``miss_tlb1/2``): a
  line is fetched once per run of the outermost enclosing loop across whose iterations it stays cached, which
  it does while one iteration's lines fit (``_misses``; what tiling changes).
* ``ir_tokens(module)``: the module as a sequence of tokens (op names, element types, region brackets) for the
  sequence model, after the seed paper (a model over the MLIR text's tokens).

```
%f = ir_features(kernel_module, {"m": 1024})     # {"w_load_unit": 2.1e6, "dyn1_load_indirect": 3, ...}
```
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from xdsl.dialects import arith, func, memref, scf
from xdsl.dialects.builtin import Float32Type, IndexType, IntegerAttr, IntegerType, MemRefType, ModuleOp
from xdsl.ir import Block, Operation, SSAValue

#: dynamic-depth buckets: ops under 0, 1, 2 and 3 or more loops whose trip count the IR does not fix
DYN_BUCKETS = 4
#: op categories (the suffix of each count feature)
CATEGORIES = ("int", "float", "div", "math", "load_invariant", "load_unit", "load_strided", "load_indirect",
              "store_invariant", "store_unit", "store_strided", "store_indirect", "atomic", "call", "branch",
              "while", "alloc_in_loop", "op_ns")
#: not a count: the float ops' nanoseconds by the static per-op table (``costmodel.op_costs``), which tells a
#: sine from a multiplication
_MATH_CHEAP = {"math.fma", "math.absf", "math.copysign"}
_DIVS = (arith.DivfOp, arith.DivSIOp, arith.DivUIOp, arith.RemSIOp, arith.RemUIOp, arith.FloorDivSIOp,
         arith.CeilDivSIOp)


def feature_names() -> list[str]:
    """The names ``ir_features`` returns, in a fixed order (a model's columns)."""
    names = [f"w_{c}" for c in CATEGORIES]
    names += [f"dyn{d}_{c}" for d in range(DYN_BUCKETS) for c in CATEGORIES]
    names += ["loops", "max_depth", "max_dyn_depth", "parallel_loops", "log2_parallel_extent", "functions",
              "ops", "alloc_bytes_static", "allocs_dynamic", "arg_bytes_static", "accum_dense_scatter",
              "accum_probe", "accum_sort_calls"]
    names += ["w_loop_entries", "w_inner_entries", "w_short_inner", "inner_trip_log2"]
    names += [f"miss_{level}" for level in CACHES]
    return names


#: the caches the miss estimates assume: (capacity in bytes, line bytes); the TLBs as caches of 4 KiB pages
CACHES = {"l1": (32 << 10, 64), "l2": (1 << 20, 64), "l3": (32 << 20, 64), "tlb1": (64 << 12, 4096),
          "tlb2": (2048 << 12, 4096)}
#: how many enclosing loops the miss estimates look through
REUSE_LEVELS = 4
#: an innermost loop shorter than this is too short to vectorize well (``w_short_inner``)
SHORT_TRIP = 16


_BINARY = {arith.AddiOp: lambda a, b: a + b, arith.SubiOp: lambda a, b: a - b, arith.MuliOp: lambda a, b: a * b,
           arith.MaxSIOp: max, arith.MinSIOp: min, arith.DivSIOp: lambda a, b: a // b if b else None,
           arith.CeilDivSIOp: lambda a, b: -(-a // b) if b else None}


def _const(v: SSAValue, sizes: Mapping[SSAValue, int]) -> int | None:
    """The value of an index/integer SSA value when constants and known arguments fix it (a little
    arithmetic on them included)."""
    if v in sizes:
        return sizes[v]
    op = v.owner
    if isinstance(op, arith.ConstantOp) and isinstance(op.value, IntegerAttr):
        return int(op.value.value.data)
    if isinstance(op, (arith.IndexCastOp, arith.ExtSIOp, arith.ExtUIOp)):
        return _const(op.operands[0], sizes)
    f = _BINARY.get(type(op))
    if f is not None:
        a, b = _const(op.operands[0], sizes), _const(op.operands[1], sizes)
        return None if a is None or b is None else f(a, b)
    return None


def _trip(lo: SSAValue, hi: SSAValue, step: SSAValue, sizes) -> int | None:
    a, b, s = _const(lo, sizes), _const(hi, sizes), _const(step, sizes)
    if not s:
        return None
    if a is None or b is None:
        return _tile_trip(lo, hi, s, sizes)
    return max(0, -(-(b - a) // s))


def _tile_trip(lo: SSAValue, hi: SSAValue, step: int, sizes) -> float | None:
    """The trip count of a tile's loop, ``%lo to min(%lo + T, %n)``: T, or with ``%n`` known the mean over the
    tiles, ``n / ceil(n / T)`` (the last tile is cut short)."""
    if not isinstance(hi.owner, arith.MinSIOp):
        return None
    for end in hi.owner.operands:
        if isinstance(end.owner, arith.AddiOp) and lo in end.owner.operands:
            other = [v for v in end.owner.operands if v is not lo]
            size = _const(other[0], sizes) if other else None
            if size is None or size <= 0:
                continue
            bound = [v for v in hi.owner.operands if v is not end]
            n = _const(bound[0], sizes) if bound else None
            if n is not None and n > 0:
                return n / -(-n // size) / step
            return max(0, -(-size // step))
    return None


def _loop_trips(op: Operation, sizes) -> list[int | None]:
    if isinstance(op, scf.ForOp):
        return [_trip(op.lb, op.ub, op.step, sizes)]
    if isinstance(op, scf.ParallelOp):
        return [_trip(lo, hi, st, sizes) for lo, hi, st in zip(op.lowerBound, op.upperBound, op.step)]
    if isinstance(op, scf.WhileOp):
        return [None]
    return []


def _depends_on(v: SSAValue, target: set[SSAValue], seen: set[SSAValue], depth: int = 0) -> str | None:
    """How ``v`` depends on the loop variables in ``target``: ``"unit"`` (iv plus an invariant), ``"strided"``
    (through a product), ``"indirect"`` (through a load), None (not at all)."""
    if v in target:
        return "unit"
    if v in seen or depth > 12:
        return None
    seen.add(v)
    op = v.owner
    if not isinstance(op, Operation):
        return None
    if isinstance(op, (memref.LoadOp, memref.AtomicRMWOp)):  # a loaded index: indirect if the load moves
        return "indirect" if any(_depends_on(i, target, seen, depth + 1) for i in op.operands[1:]) else None
    kinds = [k for k in (_depends_on(o, target, seen, depth + 1) for o in op.operands) if k]
    if not kinds:
        return None
    if "indirect" in kinds:
        return "indirect"
    if isinstance(op, (arith.AddiOp, arith.SubiOp, arith.IndexCastOp, arith.ExtSIOp, arith.ExtUIOp)):
        return "strided" if "strided" in kinds else "unit"
    return "strided"


def _access_class(indices: list[SSAValue], loop_vars: set[SSAValue]) -> str:
    """The stride class of an access in its innermost loop: by its last index, or ``"strided"`` when only an
    outer index moves with the loop (a column walk of a row-major array)."""
    if not indices:
        return "invariant"
    last = _depends_on(indices[-1], loop_vars, set())
    if last is not None:
        return last
    if any(_depends_on(i, loop_vars, set()) for i in indices[:-1]):
        return "strided"
    return "invariant"


@dataclass
class _Loop:
    """A loop the walker is inside: its induction variables, trip count (None: unknown), the accesses directly
    in its body (indices, element bytes, weight) and whether it holds a loop."""

    ivs: set[SSAValue]
    trip: int | None
    accesses: list[tuple[list[SSAValue], int, tuple[int, ...], float]] = field(default_factory=list)
    nests: bool = False
    work: float = 0.0  # trip-weighted ops directly in its body
    moves: set[SSAValue] = field(default_factory=set)  # its ivs and those of inner loops that start from them
    # (a tile loop moves the loops over its tile)

    def __post_init__(self) -> None:
        self.moves |= self.ivs


def _lines(indices: list[SSAValue], nbytes: int, shape: tuple[int, ...], loops: list[_Loop], line: int) -> float:
    """Cache lines one access touches over a run of ``loops`` (all their iterations): a loop that moves the
    last index with unit stride walks ``trip * nbytes / line`` lines; one that moves another index walks
    ``trip`` lines, or ``trip * stride / line`` where the static shape makes that index's stride shorter than
    a line (the rows of a narrow array); one that moves the last index through a product, ``trip`` lines; one
    that does not move it, none."""
    unit, lines = 1, 1.0
    for lp in loops:
        assert lp.trip is not None
        kind = _depends_on(indices[-1], lp.moves, set()) if indices else None
        if kind == "unit":
            unit *= lp.trip
        elif kind is not None:
            lines *= lp.trip
        else:
            moved = [p for p, i in enumerate(indices[:-1]) if _depends_on(i, lp.moves, set())]
            if moved:
                rest = shape[moved[-1] + 1:]
                stride = math.prod(rest) * nbytes if rest and all(n > 0 for n in rest) else line
                lines *= lp.trip * min(stride, line) / line
    return max(1.0, lines * max(1.0, unit * nbytes / line))


def _misses(frames: list[_Loop]) -> dict[str, float]:
    """Estimated cache lines the accesses of the innermost loop ``frames[-1]`` fetch into each cache level: a
    line is fetched once per run of the outermost of the enclosing loops (up to ``REUSE_LEVELS``) across whose
    iterations it stays in the cache -- it does when the lines of one iteration's run of the loops inside fit."""
    loops: list[_Loop] = []
    for lp in reversed(frames[-REUSE_LEVELS:]):
        if lp.trip is None or lp.trip <= 0:
            break
        loops.append(lp)
    accesses = frames[-1].accesses
    if not loops or not accesses:
        return {}
    out = {}
    for name, (size, line) in CACHES.items():
        # per level l (the innermost l loops): each access's lines per run and runs; the level's footprint
        per_level = []
        for level in range(1, len(loops) + 1):
            inner = loops[:level]
            trips = math.prod(lp.trip for lp in inner if lp.trip)
            counts = [(_lines(idx, nb, shape, inner, line), w / trips) for idx, nb, shape, w in accesses]
            per_level.append((counts, line * sum(lines for lines, _ in counts)))
        level = 0  # reuse across the loop of level l + 1 needs level l's footprint to fit
        while level + 1 < len(per_level) and per_level[level][1] <= size:
            level += 1
        out[f"miss_{name}"] = sum(lines * runs for lines, runs in per_level[level][0])
    return out


class _Walker:
    def __init__(self, sizes: Mapping[SSAValue, int]):
        self.sizes = sizes
        self.f: Counter[str] = Counter()
        self.max_depth = self.max_dyn = 0
        self.frames: list[_Loop] = []

    def add(self, cat: str, weight: float, dyn: int) -> None:
        self.f[f"w_{cat}"] += weight
        self.f[f"dyn{min(dyn, DYN_BUCKETS - 1)}_{cat}"] += weight

    def op_ns(self, op: Operation, weight: float, dyn: int) -> None:
        key = _op_keys().get(op.name)
        if key is not None:
            ty = op.results[0].type if op.results else None
            table = _static_costs("f32" if isinstance(ty, Float32Type) else "f64")
            self.add("op_ns", weight * max(table[key], table["add"]), dyn)

    def block(self, block: Block, weight: float, dyn: int, depth: int, inner_vars: set[SSAValue]) -> None:
        for op in block.ops:
            self.op(op, weight, dyn, depth, inner_vars)

    def op(self, op: Operation, weight: float, dyn: int, depth: int, inner_vars: set[SSAValue]) -> None:
        f = self.f
        f["ops"] += 1
        trips = _loop_trips(op, self.sizes)
        if self.frames and not trips and not isinstance(op, arith.ConstantOp):
            self.frames[-1].work += weight
        if trips:
            f["loops"] += 1
            w, d = weight, dyn
            for t in trips:
                if t is None:
                    d += 1
                else:
                    w *= t
            if isinstance(op, scf.ParallelOp):
                f["parallel_loops"] += 1
                known = [t for t in trips if t is not None]
                if known:
                    f["log2_parallel_extent"] = max(f["log2_parallel_extent"], math.log2(max(1, math.prod(known))))
            if isinstance(op, scf.WhileOp):
                self.add("while", weight, dyn)
                if depth > 0:
                    f["accum_probe"] += weight
            if dyn == 0:
                f["w_loop_entries"] += weight
            self.max_depth = max(self.max_depth, depth + 1)
            self.max_dyn = max(self.max_dyn, d)
            ivs: set[SSAValue] = set()
            if not isinstance(op, scf.WhileOp):  # the induction variables (a while loop's carried values vary too)
                ivs.update(op.regions[0].block.args[:len(trips)])
            else:
                for region in op.regions:
                    ivs.update(region.block.args)
            known = None if any(t is None for t in trips) else math.prod(t for t in trips if t is not None)
            if self.frames:
                self.frames[-1].nests = True
            frame = _Loop(ivs, known)
            starts = ([op.lb] if isinstance(op, scf.ForOp) else
                      list(op.lowerBound) if isinstance(op, scf.ParallelOp) else [])
            for outer in self.frames:
                if any(_depends_on(v, outer.moves, set()) for v in starts):
                    outer.moves |= ivs
            self.frames.append(frame)
            for region in op.regions:
                for b in region.blocks:
                    self.block(b, w, d, depth + 1, ivs)
            if d == 0 and not frame.nests and known:
                f["w_inner_entries"] += weight
                f["_inner_work"] += frame.work
                f["_inner_work_log2"] += frame.work * math.log2(known)
                if known < SHORT_TRIP:
                    f["w_short_inner"] += frame.work
            if d == 0:
                for key, value in _misses(self.frames).items():
                    f[key] += value
            self.frames.pop()
            return
        if isinstance(op, scf.IfOp):
            self.add("branch", weight, dyn)
        elif isinstance(op, (memref.LoadOp, memref.StoreOp)):
            kind = "load" if isinstance(op, memref.LoadOp) else "store"
            indices = list(op.indices)
            cls = _access_class(indices, inner_vars)
            self.add(f"{kind}_{cls}", weight, dyn)
            if self.frames:
                t = op.memref.type
                shape = tuple(t.get_shape()) if isinstance(t, MemRefType) else ()
                self.frames[-1].accesses.append((indices, _bytes(t.element_type), shape, weight))
            if kind == "store" and cls == "indirect":
                f["accum_dense_scatter"] += weight
        elif isinstance(op, memref.AtomicRMWOp) or op.name.startswith("piuma.atomic") or op.name == "piuma.cas":
            self.add("atomic", weight, dyn)
        elif isinstance(op, func.CallOp):
            self.add("call", weight, dyn)
            if "sort" in op.callee.string_value():
                f["accum_sort_calls"] += weight
        elif isinstance(op, (memref.AllocOp, memref.AllocaOp)):
            t = op.memref.type
            assert isinstance(t, MemRefType)
            shape = t.get_shape()
            if all(s >= 0 for s in shape):
                f["alloc_bytes_static"] += math.prod(shape) * _bytes(t.element_type)
            else:
                f["allocs_dynamic"] += 1
            if depth > 0:
                self.add("alloc_in_loop", weight, dyn)
        elif isinstance(op, _DIVS):
            self.add("div", weight, dyn)
        elif op.name.startswith("math."):
            self.add("float" if op.name in _MATH_CHEAP else "math", weight, dyn)
            self.op_ns(op, weight, dyn)
        elif op.name.startswith("arith.") and not isinstance(op, arith.ConstantOp):  # a constant: no instruction
            ty = op.results[0].type if op.results else None
            is_int = isinstance(ty, (IntegerType, IndexType)) and not isinstance(op, arith.CmpfOp)
            self.add("int" if is_int else "float", weight, dyn)
            if not is_int:
                self.op_ns(op, weight, dyn)
        for region in op.regions:  # other ops with regions (an scf.if's branches, an scf.reduce's combiner)
            for b in region.blocks:
                self.block(b, weight, dyn, depth, inner_vars)


@functools.cache
def _op_keys() -> dict[str, str]:
    from ircc.costmodel.op_fit import op_keys

    return op_keys()


@functools.cache
def _static_costs(dtype: str) -> dict[str, float]:
    from ircc.costmodel import op_costs

    return op_costs(dtype, "static")


def _bytes(t) -> int:
    width = getattr(t, "width", None)
    if width is not None:
        return max(1, width.data // 8)
    if isinstance(t, IndexType):
        return 8
    bw = getattr(t, "bitwidth", None)
    return max(1, bw // 8) if isinstance(bw, int) else 8


def ir_features(module: ModuleOp, sizes: Mapping[str, int] | None = None) -> dict[str, float]:
    """The feature dict of ``module`` (see the module docstring); ``sizes`` names function arguments (by their
    name hints) with values, so loops they bound count their trips."""
    walker = _Walker({})
    named = dict(sizes or {})
    for fn in module.ops:
        if not isinstance(fn, func.FuncOp) or not fn.body.blocks:
            continue
        walker.f["functions"] += 1
        block = fn.body.block
        known = {a: int(named[a.name_hint]) for a in block.args if a.name_hint in named}
        walker.sizes = known
        for a in block.args:
            t = a.type
            if isinstance(t, MemRefType) and all(s >= 0 for s in t.get_shape()):
                walker.f["arg_bytes_static"] += math.prod(t.get_shape()) * _bytes(t.element_type)
        walker.block(block, 1.0, 0, 0, set())
    walker.f["max_depth"] = walker.max_depth
    walker.f["max_dyn_depth"] = walker.max_dyn
    if walker.f["_inner_work"]:
        walker.f["inner_trip_log2"] = walker.f["_inner_work_log2"] / walker.f["_inner_work"]
    return {name: float(walker.f.get(name, 0.0)) for name in feature_names()}


def ir_tokens(module: ModuleOp) -> list[str]:
    """The module as tokens: each op's name, its result element types, ``{`` / ``}`` around regions."""
    out: list[str] = []

    def visit(op: Operation) -> None:
        out.append(op.name)
        for r in op.results:
            t = r.type
            out.append(str(t.element_type) if isinstance(t, MemRefType) else str(t))
        for region in op.regions:
            out.append("{")
            for b in region.blocks:
                for inner in b.ops:
                    visit(inner)
            out.append("}")

    for op in module.ops:
        visit(op)
    return out
