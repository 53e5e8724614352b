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
  kinds the lowering used (a scatter into a dense array, a probing ``while`` loop, a sort call).
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
    return names


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
    if a is None or b is None or not s:
        return None
    return max(0, -(-(b - a) // s))


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


class _Walker:
    def __init__(self, sizes: Mapping[SSAValue, int]):
        self.sizes = sizes
        self.f: Counter[str] = Counter()
        self.max_depth = self.max_dyn = 0

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
            self.max_depth = max(self.max_depth, depth + 1)
            self.max_dyn = max(self.max_dyn, d)
            ivs: set[SSAValue] = set()
            if not isinstance(op, scf.WhileOp):  # the induction variables (a while loop's carried values vary too)
                ivs.update(op.regions[0].block.args[:len(trips)])
            else:
                for region in op.regions:
                    ivs.update(region.block.args)
            for region in op.regions:
                for b in region.blocks:
                    self.block(b, w, d, depth + 1, ivs)
            return
        if isinstance(op, scf.IfOp):
            self.add("branch", weight, dyn)
        elif isinstance(op, (memref.LoadOp, memref.StoreOp)):
            kind = "load" if isinstance(op, memref.LoadOp) else "store"
            indices = list(op.indices)
            cls = _access_class(indices, inner_vars)
            self.add(f"{kind}_{cls}", weight, dyn)
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
