"""The matmul template: a top-level nest ``C[b.., i, j] += x(b.., i, k) * y(b.., k, j)`` rendered as tiles of
``tl.dot``, with the loops around it that touch C over the same points fused in.

The loop IR the torch frontend makes for ``linear`` is three nests over C's points: a fill (``C = bias``), the
product (``scf.for k``: ``C += x * y``) and a pointwise epilogue reading C (activation, residual). Here the
product becomes one program per ``BLOCK_M x BLOCK_N`` tile of C (a grid axis per batch dimension), its k loop
a loop over ``BLOCK_K`` slices (``num_stages`` deep software pipelining on a GPU). The fill, when it is the
nest just before, is rendered as the accumulator's first value; the epilogue, when it is the nest just after
and reads C only at the point it computes, is rendered on the accumulator before anything is stored -- both
from their own IR (any pointwise body), with their loop variables bound to the tile's rows and columns. C
itself is written only where something else reads it.

Block sizes: ``launch.matmul_configs`` -- a flat GEMM (``BLOCK_M`` 16, deeper pipelines) where C has at most
16 rows (the decode case), square tiles otherwise; on a GPU ``triton.autotune`` picks among them per
``(M, N, K)``, in the interpreter the first is used.

```python
@triton.jit
def forward_loop2(p_x, p_x_s0, p_x_s1, p_w, ..., M_t, N_t, K_t, BLOCK_M: tl.constexpr, ...):
    ...
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32) + tl.load(p_b + jn * p_b_s0, mask=mask_c)
    for k0 in range(0, K_t, BLOCK_K):
        ...
        acc = tl.dot(a, b, acc, input_precision="ieee")
    v_24 = acc
    v_28 = v_24 * 0.7071067690849304
    ...
    tl.store(p_out + im * p_out_s0 + jn * p_out_s1, v_32, mask=mask_c)
```
"""

from __future__ import annotations

from dataclasses import dataclass, field

from xdsl.dialects import arith, memref, scf
from xdsl.dialects.builtin import Float32Type, Float64Type
from xdsl.ir import Operation, SSAValue

from ircc.backends.triton.render import _Kernel, _same_value

#: host ops that may sit between the product and its epilogue (hoisted above the launch: none reads memory)
_HOISTABLE = (arith.ConstantOp, memref.AllocOp, memref.DimOp, arith.AddiOp, arith.SubiOp, arith.MuliOp,
              arith.DivSIOp, arith.FloorDivSIOp, arith.IndexCastOp)


@dataclass
class MatmulPlan:
    loop: scf.ParallelOp
    k_loop: scf.ForOp
    c: SSAValue  # the accumulated memref
    c_indices: list[SSAValue]  # the product's ivs indexing C, in C's dimension order
    i: SSAValue
    j: SSAValue
    batch: list[SSAValue]
    x: SSAValue  # the factor indexed by (batch, i, k)
    y: SSAValue  # the factor indexed by (batch, k, j)
    acc_load: Operation
    add: Operation
    store: Operation
    prologue: scf.ParallelOp | None = None
    epilogue: scf.ParallelOp | None = None
    hoisted: list[Operation] = field(default_factory=list)  # host ops moved above the launch
    dead: list[Operation] = field(default_factory=list)  # C's alloc and dealloc where C is not needed at all
    store_c: bool = True


def _depends(body_ops, ivs: set[SSAValue]) -> dict[SSAValue, set[SSAValue]]:
    """For each value made in the body, the ivs among ``ivs`` it depends on."""
    deps: dict[SSAValue, set[SSAValue]] = {iv: {iv} for iv in ivs}
    for o in body_ops:
        d: set[SSAValue] = set()
        for v in o.operands:
            d |= deps.get(v, set())
        for r in o.results:
            deps[r] = d
    return deps


def _slice(value: SSAValue, body) -> list[Operation]:
    """The ops of ``body`` that ``value`` is computed from, in order."""
    need, stack = set(), [value]
    while stack:
        v = stack.pop()
        o = v.owner
        if isinstance(o, Operation) and o.parent_block() is body and o not in need:
            need.add(o)
            stack += list(o.operands)
    return [o for o in body.ops if o in need]


def match_matmul(loop: scf.ParallelOp) -> MatmulPlan | None:
    """The product nest, or None where ``loop`` is not one (it is then a row kernel)."""
    if loop.initVals:
        return None
    body = loop.body.block
    inner = [o for o in body.ops if not isinstance(o, (scf.ReduceOp, arith.ConstantOp))]
    if len(inner) != 1 or not isinstance(inner[0], scf.ForOp) or inner[0].iter_args:
        return None
    k_loop = inner[0]
    grid = list(body.args)
    kb = k_loop.body.block
    kiv = kb.args[0]
    stores = [o for o in kb.ops if isinstance(o, memref.StoreOp)]
    if len(stores) != 1:
        return None
    store = stores[0]
    if list(store.indices) != [v for v in store.indices if v in grid] or len(set(store.indices)) != len(grid):
        return None  # C is indexed by the grid's ivs themselves, each once
    add = store.value.owner
    if not isinstance(add, arith.AddfOp):
        return None
    loads = [v.owner for v in add.operands if isinstance(v.owner, memref.LoadOp) and v.owner.memref is store.memref
             and list(v.owner.indices) == list(store.indices)]
    if len(loads) != 1:
        return None
    acc_load = loads[0]
    prod = (add.operands[1] if add.operands[0] is acc_load.res else add.operands[0]).owner
    if not isinstance(prod, arith.MulfOp) or not isinstance(prod.result.type, (Float32Type, Float64Type)):
        return None
    deps = _depends(kb.ops, {*grid, kiv})
    fx, fy = prod.operands
    dx, dy = deps.get(fx, set()), deps.get(fy, set())
    only_x, only_y = dx - dy - {kiv}, dy - dx - {kiv}
    if len(only_x) != 1 or len(only_y) != 1 or kiv not in dx or kiv not in dy:
        return None
    (a_iv,), (b_iv,) = only_x, only_y
    if list(store.indices).index(a_iv) > list(store.indices).index(b_iv):  # x runs along C's columns
        fx, fy, a_iv, b_iv = fy, fx, b_iv, a_iv
    batch = [v for v in grid if v not in (a_iv, b_iv)]
    if any(b not in dx or b not in dy for b in batch if b in dx | dy):
        return None
    used = set(_slice(fx, kb)) | set(_slice(fy, kb)) | {prod, add, acc_load, store}
    if any(o not in used for o in kb.ops if not isinstance(o, scf.YieldOp)):
        return None
    if any(v is store.memref for o in _slice(fx, kb) + _slice(fy, kb) for v in o.operands):
        return None
    return MatmulPlan(loop, k_loop, store.memref, list(store.indices), a_iv, b_iv, batch, fx, fy, acc_load, add,
                      store)


def _position_map(plan: MatmulPlan, nest: scf.ParallelOp, indices) -> dict[SSAValue, SSAValue] | None:
    """``nest``'s ivs -> the product's, where ``indices`` (of C, in ``nest``) are ``nest``'s ivs themselves,
    covering all of them, over the same bounds."""
    body = nest.body.block
    ivs = list(body.args)
    if len(ivs) != len(plan.c_indices) or sorted(map(id, indices)) != sorted(map(id, ivs)):
        return None
    bounds = {iv: (lb, ub, st) for iv, lb, ub, st in zip(ivs, nest.lowerBound, nest.upperBound, nest.step)}
    product = plan.loop
    pbounds = {iv: (lb, ub, st) for iv, lb, ub, st in
               zip(product.body.block.args, product.lowerBound, product.upperBound, product.step)}
    mapping = {}
    for mine, theirs in zip(indices, plan.c_indices):
        if not all(_same_value(a, b) for a, b in zip(bounds[mine], pbounds[theirs])):
            return None
        mapping[mine] = theirs
    return mapping


def _pointwise(nest: Operation) -> bool:
    return (isinstance(nest, scf.ParallelOp) and not nest.initVals
            and not any(isinstance(o, (scf.ForOp, scf.ParallelOp, scf.WhileOp, scf.IfOp)) for o in nest.body.block.ops))


def plan_fusion(plan: MatmulPlan, ops: list[Operation], position: int, func_args) -> None:
    """Take the fill before and the epilogue after the product (``ops[position]``) where they qualify."""
    c = plan.c
    before = position - 1
    while before >= 0 and isinstance(ops[before], (arith.ConstantOp, memref.DimOp)):
        before -= 1
    if before >= 0 and _pointwise(ops[before]):
        nest = ops[before]
        stores = [o for o in nest.body.block.ops if isinstance(o, memref.StoreOp)]
        if (len(stores) == 1 and stores[0].memref is c and _position_map(plan, nest, list(stores[0].indices))
                and not any(isinstance(o, memref.LoadOp) and o.memref is c for o in nest.body.block.ops)):
            plan.prologue = nest
    after, hoisted = position + 1, []
    while after < len(ops) and isinstance(ops[after], _HOISTABLE):
        hoisted.append(ops[after])
        after += 1
    if after < len(ops) and _pointwise(ops[after]):
        nest = ops[after]
        body = nest.body.block
        c_loads = [o for o in body.ops if isinstance(o, memref.LoadOp) and o.memref is c]
        c_stores = [o for o in body.ops if isinstance(o, memref.StoreOp) and o.memref is c]
        if (c_loads and not c_stores and all(list(o.indices) == list(c_loads[0].indices) for o in c_loads)
                and _position_map(plan, nest, list(c_loads[0].indices))):
            plan.epilogue = nest
            plan.hoisted = hoisted
    owner = c.owner
    if plan.epilogue is not None and isinstance(owner, memref.AllocOp) and c not in func_args:
        fused = {plan.loop, plan.prologue, plan.epilogue}
        others = [u.operation for u in c.uses if not any(n.is_ancestor(u.operation) for n in fused if n is not None)]
        if all(isinstance(o, memref.DeallocOp) for o in others):
            plan.store_c = False
            plan.dead = [owner, *others]


class MatmulKernel(_Kernel):
    """The tiles of one product, its fill and epilogue (see the module docstring)."""

    def __init__(self, fn, name: str, plan: MatmulPlan):
        super().__init__(fn, name, plan.loop.body.block)
        self.plan = plan
        self.acc_type = "tl.float64" if isinstance(plan.c.type.element_type, Float64Type) else "tl.float32"

    def bounds_of(self, iv: SSAValue) -> tuple[SSAValue, SSAValue, SSAValue]:
        loop = self.plan.loop
        d = list(loop.body.block.args).index(iv)
        return loop.lowerBound[d], loop.upperBound[d], loop.step[d]

    def launch(self, k: int) -> tuple[str, list[str]]:
        plan = self.plan
        source = self.render()
        lines, trips = [], []
        names = self.fn.names
        for what, (lb, ub, st) in [("m", self.bounds_of(plan.i)), ("n", self.bounds_of(plan.j)),
                                   ("k", (plan.k_loop.lb, plan.k_loop.ub, plan.k_loop.step))]:
            b = [names[v] for v in (lb, ub, st)]
            lines.append(f"    {what}{k} = max(0, -(-({b[1]} - {b[0]}) // {b[2]}))")
            trips.append(f"{what}{k}")
        batch = []
        for d, iv in enumerate(plan.batch):
            b = [names[v] for v in self.bounds_of(iv)]
            lines.append(f"    b{k}_{d} = max(0, -(-({b[1]} - {b[0]}) // {b[2]}))")
            batch.append(f"b{k}_{d}")
        restore = sorted({self.fn.names[m] for m in self.memrefs if m in self.stored and m in self.loaded})
        total = " * ".join(trips[:2] + batch)
        args = ", ".join([*self.call_args(), *batch])
        lines += [f"    if {total} > 0:",
                  f"        _ircc_matmul({self.name}, ({args},), {trips[0]}, {trips[1]}, {trips[2]}, "
                  f"{' * '.join(batch) or '1'}, {[f'p_{r}' for r in restore]!r})"]
        return source, lines

    def render(self) -> str:
        plan = self.plan
        self.stored: set[SSAValue] = set()
        self.loaded: set[SSAValue] = set()
        top = ["pid = tl.program_id(0)", "num_m = (M_t + BLOCK_M - 1) // BLOCK_M",
               "num_n = (N_t + BLOCK_N - 1) // BLOCK_N",
               "group = pid // (GROUP_M * num_n)",  # GROUP_M row tiles share their columns of y in L2
               "first_m = group * GROUP_M", "rows = tl.minimum(num_m - first_m, GROUP_M)",
               "pid_m = first_m + (pid % (GROUP_M * num_n)) % rows", "pid_n = (pid % (GROUP_M * num_n)) // rows",
               "rm = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)", "rn = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)",
               "mask_c = (rm < M_t)[:, None] & (rn < N_t)[None, :]"]
        if plan.batch:
            top.append("pb = tl.program_id(1)")
        self.lines = []
        for d in reversed(range(len(plan.batch))):  # each program's batch point, the last dimension fastest
            lb, _, st = self.bounds_of(plan.batch[d])
            self.lines += [f"g{d} = pb % bt{d}", f"pb = pb // bt{d}"]
            self.local[plan.batch[d]] = f"({self.ref(lb, plan.loop)} + g{d} * {self.ref(st, plan.loop)})"
        for iv, lane, shape in ((plan.i, "rm", "[:, None]"), (plan.j, "rn", "[None, :]")):
            lb, _, st = self.bounds_of(iv)
            self.lines.append(f"{'im' if lane == 'rm' else 'jn'} = ({self.ref(lb, plan.loop)} + {lane} * "
                              f"{self.ref(st, plan.loop)}){shape}")
            self.local[iv] = "im" if lane == "rm" else "jn"
            self.block_valued.add(iv)
        for o in plan.loop.body.block.ops:
            if isinstance(o, arith.ConstantOp):
                self.statement(o)
        self.mask = "mask_c"
        self._prologue()
        self._product()
        acc = "acc"
        if plan.store_c:
            address, _ = self.offset(plan.c, plan.c_indices, plan.store)
            self.stored.add(plan.c)
            self.lines.append(f"tl.store({address}, acc, mask=mask_c)")
        if plan.epilogue is not None:
            self._nest(plan.epilogue, plan.c, acc)
        params, loads = self.captured_params()
        params += [f"bt{d}" for d in range(len(plan.batch))]
        params += ["M_t", "N_t", "K_t", "BLOCK_M: tl.constexpr", "BLOCK_N: tl.constexpr", "BLOCK_K: tl.constexpr",
                   "GROUP_M: tl.constexpr"]
        head = ["@triton.jit", f"def {self.name}({', '.join(params)}):"]
        return "\n".join(head + [f"    {line}" for line in loads + top + self.lines]) + "\n"

    def _nest(self, nest: scf.ParallelOp, c: SSAValue, value: str | None) -> str | None:
        """Render a fused nest's body on the tile: C's loads read ``value``; a store into C (the fill) is
        returned instead of stored."""
        body = nest.body.block
        indices = None
        for o in body.ops:
            if isinstance(o, (memref.LoadOp, memref.StoreOp)) and o.memref is c:
                indices = list(o.indices)
        for mine, theirs in (_position_map(self.plan, nest, indices) or {}).items():
            self.local[mine] = self.local[theirs]
            self.block_valued.add(mine)
        result = None
        for o in body.ops:
            if isinstance(o, (scf.ReduceOp, scf.YieldOp)):
                continue
            if isinstance(o, memref.LoadOp) and o.memref is c:
                self.local[o.res] = value
                self.block_valued.add(o.res)
                continue
            if isinstance(o, memref.StoreOp) and o.memref is c:
                result = self.ref(o.value, o)
                continue
            if isinstance(o, memref.StoreOp):
                self.stored.add(o.memref)
            if isinstance(o, memref.LoadOp):
                self.loaded.add(o.memref)
            self.statement(o)
        return result

    def _prologue(self) -> None:
        plan = self.plan
        zeros = f"tl.full((BLOCK_M, BLOCK_N), 0, {self.acc_type})"  # (tl.zeros is a jit function)
        if plan.prologue is not None:
            first = self._nest(plan.prologue, plan.c, None)
            self.lines.append(f"acc = {zeros} + {first}")
        else:  # C's value before the product
            address, _ = self.offset(plan.c, plan.c_indices, plan.acc_load)
            self.loaded.add(plan.c)
            self.lines.append(f"acc = {zeros} + tl.load({address}, mask=mask_c, other=0.0)")

    def _product(self) -> None:
        plan = self.plan
        kb = plan.k_loop.body.block
        kiv = kb.args[0]
        lb, st = self.ref(plan.k_loop.lb, plan.k_loop), self.ref(plan.k_loop.step, plan.k_loop)
        outer, outer_mask = self.lines, self.mask
        self.lines = []
        self.lines.append("rk = k0 + tl.arange(0, BLOCK_K)")
        tiles = []
        for factor, shape, mask in ((plan.x, "[None, :]", "mask_a"), (plan.y, "[:, None]", "mask_b")):
            kname = "ka" if mask == "mask_a" else "kb"
            self.lines.append(f"{kname} = ({lb} + rk * {st}){shape}")
            side = "(rm < M_t)[:, None]" if mask == "mask_a" else "(rn < N_t)[None, :]"
            self.lines.append(f"{mask} = {side} & (rk < K_t){shape}")
            self.local[kiv] = kname
            self.block_valued.add(kiv)
            self.mask = mask
            for o in _slice(factor, kb):
                if isinstance(o, memref.LoadOp):
                    self.loaded.add(o.memref)
                self.statement(o)
            tile = "a" if mask == "mask_a" else "b"
            self.lines.append(f"{tile} = tl.where({mask}, {self.ref(factor, o)}, 0.0)")
            tiles.append(tile)
        precision = ', input_precision="ieee"' if self.acc_type == "tl.float32" else ""
        self.lines.append(f"acc = tl.dot(a, b, acc{precision})")
        body = self.lines
        self.lines, self.mask = outer, outer_mask
        self.lines.append("for k0 in range(0, K_t, BLOCK_K):")
        self.lines += [f"    {line}" for line in body]
