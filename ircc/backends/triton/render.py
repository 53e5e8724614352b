"""Loop-level IR rendered as Triton: one ``@triton.jit`` kernel per top-level ``scf.parallel``, and a host
function per ``func.func`` that computes the sizes, allocates the intermediates and launches the kernels.

* **Pointwise kernels** -- a parallel loop (of any number of dimensions) with no loop inside: program ``p``
  runs the points ``p * BLOCK ... p * BLOCK + BLOCK - 1`` of the flattened iteration space as one block
  (``tl.arange``, masked at the end); loads, stores, ``arith`` and ``math`` become block arithmetic, and a
  ``memref.load %m[%i, %c]`` a masked ``tl.load`` at ``i * m_s0 + c * m_s1`` (each memref's strides are
  kernel arguments).
* **Row kernels** -- a parallel loop with ``scf.for`` loops inside (softmax, layer norm, sums as the torch
  frontend lowers them): one program per point of the parallel loops (the grid), each inner loop a row of
  ``BLOCK_Jk`` lanes (the next power of two of its trip count, masked). An accumulation into one place along
  the row -- ``acc[...] = acc[...] + f(j)``, or a carried ``acc + f(j)`` -- becomes a ``tl.reduce`` of ``f``
  combined into that place once.

What comes before the loops (constants, ``memref.dim``, index arithmetic, ``memref.alloc``) runs on the host.
A top-level ``scf.for`` is refused (its iterations may depend on each other: make linalg's parallel
dimensions ``scf.parallel`` with ``convert-linalg-to-parallel-loops{all-dims=true}``, as the torch frontend
does for this target), and so is a loop inside a row loop.

Templates: a product nest ``C += x * y`` becomes tiles of ``tl.dot`` with its fill and epilogue nests fused
(``matmul.py``); ``nn.attention`` split-K decode attention (``attention.py``). A nest that copies read-only
memory with its dimensions permuted (the weight of ``linear``) is a strided view on the host, not a kernel.
``math`` functions Triton has (``exp log sin cos sqrt rsqrt erf floor ceil abs``) are called directly; the
others are ``libdevice`` calls on a GPU and compositions in Triton's interpreter (which has no
``libdevice``): ``tanh sinh cosh tan log1p expm1 erfc pow asinh acosh atanh log10``. f64 constants and
scalars keep their type (a bare Python float is fp32 to Triton).

```python
@triton.jit
def forward_loop1(p_x, p_x_s0, p_x_s1, p_m, p_m_s0, p_m_s1, c_0, c_1, gt0, j0_trips, BLOCK_J0: tl.constexpr):
    pid = tl.program_id(0)
    g0 = pid % gt0
    rj0 = tl.arange(0, BLOCK_J0)
    mj0 = rj0 < j0_trips
    j0 = c_0 + rj0 * c_1
    v_7 = tl.load(p_x + (c_0 + g0 * c_1) * p_x_s0 + j0 * p_x_s1, mask=mj0)
    v_8 = tl.reduce(tl.where(mj0, v_7, float('-inf')), 0, _ircc_combine_max)
    v_9 = tl.load(p_m + (c_0 + g0 * c_1) * p_m_s0)
    tl.store(p_m + (c_0 + g0 * c_1) * p_m_s0, tl.maximum(v_9, v_8, propagate_nan=tl.PropagateNan.ALL))
```
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from xdsl.dialects import arith, func, math, memref, scf
from xdsl.dialects.builtin import Float32Type, Float64Type, IndexType, IntegerAttr, IntegerType, MemRefType
from xdsl.ir import Operation, SSAValue

from ircc.errors import BackendError
from ircc.ir.dialects.math_ext import ErfcOp
from ircc.ir.dialects.nn import AttentionOp
from ircc.ir.dialects.sparse import AssembleOp, DisassembleOp, SpGemmOp
from ircc.ir.reshape import view_root

#: iterations one program runs (a power of two)
BLOCK = 1024

_BINARY = {arith.AddfOp: "+", arith.SubfOp: "-", arith.MulfOp: "*", arith.DivfOp: "/", arith.AddiOp: "+",
           arith.SubiOp: "-", arith.MuliOp: "*", arith.AndIOp: "&", arith.OrIOp: "|", arith.XOrIOp: "^"}
_NATIVE = {math.ExpOp: "tl.exp", math.LogOp: "tl.log", math.SinOp: "tl.sin", math.CosOp: "tl.cos",
           math.SqrtOp: "tl.sqrt", math.RsqrtOp: "tl.rsqrt", math.ErfOp: "tl.erf", math.FloorOp: "tl.floor",
           math.CeilOp: "tl.ceil", math.AbsFOp: "tl.abs", math.Exp2Op: "tl.exp2", math.Log2Op: "tl.log2"}
#: math ops rendered as a helper the generated module defines (libdevice on a GPU, a composition otherwise)
_HELPERS = {math.TanhOp: "tanh", math.SinhOp: "sinh", math.CoshOp: "cosh", math.TanOp: "tan",
            math.Log1pOp: "log1p", math.ExpM1Op: "expm1", ErfcOp: "erfc", math.PowFOp: "pow",
            math.AtanOp: "atan", math.AsinOp: "asin", math.AcosOp: "acos", math.Atan2Op: "atan2",
            math.AsinhOp: "asinh", math.AcoshOp: "acosh", math.AtanhOp: "atanh", math.Log10Op: "log10"}
#: the helpers Triton's interpreter can run (compositions of what it has); the rest need a GPU's libdevice
_INTERPRETED = {
    "tanh": "e = tl.exp(-2.0 * tl.abs(x))\n    t = (1.0 - e) / (1.0 + e)\n    return tl.where(x < 0, -t, t)",
    "sinh": "return 0.5 * (tl.exp(x) - tl.exp(-x))",
    "cosh": "return 0.5 * (tl.exp(x) + tl.exp(-x))",
    "tan": "return tl.sin(x) / tl.cos(x)",
    "log1p": "return tl.log(1.0 + x)",
    "expm1": "return tl.exp(x) - 1.0",
    "erfc": "return 1.0 - tl.erf(x)",
    "pow": "return tl.where(y == 0, 1.0, tl.exp(y * tl.log(x)))",
    "asinh": "return tl.log(x + tl.sqrt(x * x + 1.0))",
    "acosh": "return tl.log(x + tl.sqrt(x * x - 1.0))",
    "atanh": "return 0.5 * tl.log((1.0 + x) / (1.0 - x))",
    "log10": "return tl.log(x) * 0.4342944819032518",
}
#: helpers every mode defines the same way (the combine functions of row reductions)
_COMMON = {"combine_add": ("x, y", "return x + y"),
           "combine_max": ("x, y", "return tl.maximum(x, y, propagate_nan=tl.PropagateNan.ALL)"),
           "combine_min": ("x, y", "return tl.minimum(x, y, propagate_nan=tl.PropagateNan.ALL)")}
_CMPF = {"oeq": "({a} == {b})", "ogt": "({a} > {b})", "oge": "({a} >= {b})", "olt": "({a} < {b})",
         "ole": "({a} <= {b})", "une": "({a} != {b})", "ueq": "(({a} == {b}) | ({a} != {a}) | ({b} != {b}))",
         "one": "(({a} != {b}) & ({a} == {a}) & ({b} == {b}))", "ugt": "(~({a} <= {b}))", "uge": "(~({a} < {b}))",
         "ult": "(~({a} >= {b}))", "ule": "(~({a} > {b}))", "ord": "(({a} == {a}) & ({b} == {b}))",
         "uno": "(({a} != {a}) | ({b} != {b}))"}
_CMPI = {"eq": "==", "ne": "!=", "slt": "<", "sle": "<=", "sgt": ">", "sge": ">=", "ult": "<", "ule": "<=",
         "ugt": ">", "uge": ">="}
_TORCH_TYPES = {"f64": "torch.float64", "f32": "torch.float32", "f16": "torch.float16", "i64": "torch.int64",
                "i32": "torch.int32", "i1": "torch.bool", "index": "torch.int64", "i8": "torch.int8",
                "i16": "torch.int16"}
_TL_TYPES = {"f64": "tl.float64", "f32": "tl.float32", "f16": "tl.float16", "i64": "tl.int64", "i32": "tl.int32",
             "i1": "tl.int1", "index": "tl.int64", "i8": "tl.int8", "i16": "tl.int16"}


@dataclass
class RenderedModule:
    source: str
    functions: list[str]  # host function names, one per func.func
    helpers: list[str] = field(default_factory=list)  # helper math functions the kernels call
    globals: dict = field(default_factory=dict)  # constant memref.global name -> its numpy array


def render_module(module, *, interpreted: bool) -> RenderedModule:
    """The Python source of ``module``'s kernels and host functions."""
    helpers: set[str] = set()
    kernels: list[str] = []
    hosts: list[str] = []
    names: list[str] = []
    for op in module.ops:
        if isinstance(op, func.FuncOp) and op.body.blocks:
            host, ks = _Function(op, helpers, interpreted).render()
            hosts.append(host)
            kernels += ks
            names.append(op.sym_name.data)
        elif isinstance(op, memref.GlobalOp):
            continue  # read by the host functions' memref.get_global (their data travels beside the source)
        elif not isinstance(op, func.FuncOp):
            raise BackendError(f"the triton backend renders functions only, not {op.name} at the top level")
    head = ["import torch", "import triton", "import triton.language as tl"]
    if not interpreted and helpers - set(_COMMON):
        head.append("from triton.language.extra import libdevice")
    helper_src = []
    for name in sorted(helpers):
        args = "x, y" if name in ("pow", "atan2") else "x"
        if name in _COMMON:
            args, body = _COMMON[name]
        elif interpreted:
            body = _INTERPRETED[name]
        else:
            body = f"return libdevice.{name}({args})"
        helper_src.append(f"@triton.jit\ndef _ircc_{name}({args}):\n    {body}\n")
    source = "\n".join(head) + "\n\n\n" + "\n\n".join(helper_src + kernels + hosts)
    from ircc.backends.memref_globals import constant_global_array, module_globals

    arrays = {name: constant_global_array(glob, "triton") for name, glob in module_globals(module).items()}
    return RenderedModule(source, names, sorted(helpers), arrays)


def identifier(text: str) -> str:
    """A Python name for an IR symbol or SSA name hint."""
    name = re.sub(r"\W", "_", text)
    return name if name and not name[0].isdigit() else f"v_{name}"


class _Function:
    def __init__(self, op: func.FuncOp, helpers: set[str], interpreted: bool):
        self.op, self.helpers, self.interpreted = op, helpers, interpreted
        self.names: dict[SSAValue, str] = {}
        self.counter = 0
        self.fn_name = identifier(op.sym_name.data)

    def where(self, op: Operation) -> str:
        return f" (in @{self.op.sym_name.data}: {op.name})"

    def fresh(self, v: SSAValue) -> str:
        hint = v.name_hint
        base = identifier(hint) if hint else "v"
        name = f"{base}_{self.counter}"
        self.counter += 1
        self.names[v] = name
        return name

    def render(self) -> tuple[str, list[str]]:
        block = self.op.body.block
        args = []
        for a in block.args:
            name = identifier(a.name_hint or f"arg{len(args)}")
            while name in args:
                name += "_"
            self.names[a] = name
            args.append(name)
        if any(isinstance(o, SpGemmOp) for o in block.ops):
            return self.render_sparse(args)
        if self.op.function_type.outputs.data:
            raise BackendError(f"@{self.op.sym_name.data}: the triton backend takes functions that write their "
                               "results into memref arguments (destination-passing style), not ones that return values")
        lines = [f"def {self.fn_name}({', '.join(args)}):"]
        memref_args = [n for n, a in zip(args, block.args) if isinstance(a.type, MemRefType)]
        lines.append(f"    _device = {memref_args[0]}.device" if memref_args else "    _device = 'cpu'")
        from ircc.backends.triton.matmul import MatmulKernel, match_matmul, plan_fusion

        kernels = []
        ops = list(block.ops)
        plans, fused = {}, set()
        for position, op in enumerate(ops):  # products with their fill and epilogue: matmul templates
            plan = match_matmul(op) if isinstance(op, scf.ParallelOp) and op not in fused else None
            if plan is not None:
                plan_fusion(plan, ops, position, list(block.args))
                plans[op] = plan
                fused.update(o for o in (plan.prologue, plan.epilogue, *plan.hoisted, *plan.dead) if o is not None)
        views = {}
        for op in ops:  # transposed copies of memory nothing writes: strided views, no kernel
            view = self.permuted_view(op, list(block.args)) if isinstance(op, scf.ParallelOp) else None
            if view is not None:
                views[op] = view
                fused.add(op.body.block.first_op.next_op.memref.owner)
        from ircc.backends.triton.fused_rows import FusedRowKernel, plan_row_groups

        groups, dead = {}, set()
        for nests, hoisted in plan_row_groups(ops, set(plans) | fused | set(views)):  # sibling rows: one kernel
            groups[nests[0]] = (nests, hoisted)
            fused.update(nests[1:])
            fused.update(hoisted)
        for op in ops:
            if isinstance(op, func.ReturnOp) or op in fused:
                continue
            if op in groups:
                nests, hoisted = groups[op]
                lines += [f"    {self.host(o)}" for o in hoisted]
                fused_rows = FusedRowKernel(self, f"{self.fn_name}_rows{len(kernels)}", nests)
                kernel, launch = fused_rows.launch(len(kernels))
                kernels.append(kernel)
                lines += launch
                dead.update(fused_rows.dead)
                continue
            if op in views:
                src, dst, order = views[op]
                lines.append(f"    {self.fresh(dst)} = {self.names[src]}.permute({', '.join(map(str, order))})")
                continue
            if op in plans:
                lines += [f"    {self.host(o)}" for o in plans[op].hoisted]
                kernel, launch = MatmulKernel(self, f"{self.fn_name}_matmul{len(kernels)}", plans[op]).launch(
                    len(kernels))
                kernels.append(kernel)
                lines += launch
                continue
            if isinstance(op, AttentionOp):
                kernel, launch = self.attention(op, len(kernels))
                kernels.append(kernel)
                lines.append(launch)
                continue
            if isinstance(op, (scf.ParallelOp, scf.ForOp)):
                kernel, launch = self.loop(op, len(kernels))
                kernels.append(kernel)
                lines += launch
                continue
            lines.append(f"    {self.host(op)}")
        lines = [line for line in lines if not any(line.startswith((f"    {d} = torch.empty(", f"    del {d}"))
                                                   for d in dead)]  # temporaries fused rows keep in registers
        lines.append("    return None")
        return "\n".join(lines) + "\n", kernels

    def render_sparse(self, args: list[str]) -> tuple[str, list[str]]:
        """A function of ``sparse.assemble`` / ``sparse.spgemm`` / ``sparse.disassemble`` (as the sparse
        frontend builds them): the SpGEMM template, its CSR parts returned as tensors."""
        from ircc.backends.triton.spgemm import render_spgemm

        parts: dict[SSAValue, list[str]] = {}
        lines = [f"def {self.fn_name}({', '.join(args)}):"]
        kernels = []
        for op in self.op.body.block.ops:
            if isinstance(op, AssembleOp):
                parts[op.result] = [self.names[v] for v in op.operands]
            elif isinstance(op, SpGemmOp):
                name = f"{self.fn_name}_spgemm{len(kernels)}"
                kernels.append(render_spgemm(name, op))
                self.helpers.update(("combine_add", "combine_max"))
                index = _TORCH_TYPES[str(op.result.type.parts()[1].element_type)]
                a, b = parts[op.a], parts[op.b]
                out = [f"c_{part}_{len(kernels)}" for part in ("indptr", "indices", "values")]
                parts[op.result] = [*out, a[3], b[4]]
                lines.append(f"    {', '.join(out)} = _ircc_spgemm({name}_accumulate, {name}_compact, "
                             f"{', '.join(a)}, {', '.join(b[:3])}, {b[4]}, index_dtype={index}, "
                             f"sorted_rows={op.sorted is not None})")
            elif isinstance(op, DisassembleOp):
                for r, value in zip(op.results, parts[op.operands[0]]):
                    self.names[r] = value
            elif isinstance(op, func.ReturnOp):
                lines.append(f"    return {', '.join(self.names[v] for v in op.operands)}")
            else:
                raise BackendError(f"the triton backend renders a SpGEMM function of sparse.assemble, "
                                   f"sparse.spgemm and sparse.disassemble only{self.where(op)}")
        return "\n".join(lines) + "\n", kernels

    def attention(self, op: AttentionOp, k: int) -> tuple[str, str]:
        """``nn.attention``: the split-K template (``attention.py``)."""
        from ircc.backends.triton.attention import render_attention

        name = f"{self.fn_name}_attention{k}"
        source = render_attention(name, op)
        self.helpers.update(("combine_add", "combine_max"))
        q, kk, v, out = (self.names[x] for x in (op.q, op.k, op.v, op.out))
        mask = self.names[op.mask] if op.mask is not None else "None"
        launch = (f"    _ircc_attention({name}_split, {name}_combine, {q}, {kk}, {v}, {mask}, {out}, "
                  f"{op.scale.value.data!r}, _ircc_stats)")
        return source, launch

    def permuted_view(self, op: scf.ParallelOp, args) -> tuple | None:
        """``dst = src.permute(...)`` where ``op`` copies all of read-only ``src`` into ``dst[ivs]`` (a fresh
        static buffer nothing else writes) with the dimensions permuted, as the weight of ``linear`` is."""
        body = [o for o in op.body.block.ops if not isinstance(o, scf.ReduceOp)]
        if op.initVals or len(body) != 2 or not isinstance(body[0], memref.LoadOp):
            return None
        load, store = body
        ivs = list(op.body.block.args)
        if (not isinstance(store, memref.StoreOp) or store.value is not load.res or list(store.indices) != ivs
                or sorted(map(id, load.indices)) != sorted(map(id, ivs))):
            return None
        src, dst = load.memref, store.memref
        shape = dst.type.get_shape()
        if not isinstance(dst.owner, memref.AllocOp) or any(d < 0 for d in shape):
            return None
        for d, (lb, ub, step) in enumerate(zip(op.lowerBound, op.upperBound, op.step)):
            if [_constant(v) for v in (lb, ub, step)] != [0, shape[d], 1]:
                return None
        if not (src in args or isinstance(src.owner, memref.GetGlobalOp)):
            return None
        if any(not isinstance(u.operation, (memref.LoadOp, memref.DimOp)) for u in src.uses):
            return None  # written somewhere (or aliased): a view would see the later values
        if any(isinstance(u.operation, memref.StoreOp) and u.operation is not store for u in dst.uses):
            return None
        order = [list(load.indices).index(iv) for iv in ivs]
        return src, dst, order

    # -- host side ------------------------------------------------------------------------------------------
    def host(self, op: Operation) -> str:
        if isinstance(op, arith.ConstantOp):
            return f"{self.fresh(op.result)} = {_literal(op)}"
        if isinstance(op, memref.DimOp):
            index = op.index.owner
            if not (isinstance(index, arith.ConstantOp) and isinstance(index.value, IntegerAttr)):
                raise BackendError(f"memref.dim with a computed dimension number{self.where(op)}")
            return f"{self.fresh(op.result)} = {self.names[op.source]}.shape[{index.value.value.data}]"
        if type(op) in _BINARY and isinstance(op.results[0].type, (IndexType, IntegerType)):
            a, b = (self.names[v] for v in op.operands)
            return f"{self.fresh(op.results[0])} = {a} {_BINARY[type(op)]} {b}"
        if isinstance(op, (arith.DivSIOp, arith.FloorDivSIOp)):
            a, b = (self.names[v] for v in op.operands)
            return f"{self.fresh(op.result)} = {a} // {b}"
        if isinstance(op, arith.IndexCastOp):
            return f"{self.fresh(op.result)} = {self.names[op.input]}"
        if isinstance(op, memref.AllocOp):  # an intermediate: a tensor beside the arguments
            t = op.memref.type
            dims = iter(self.names[v] for v in op.dynamic_sizes)
            shape = ", ".join(str(d) if d >= 0 else next(dims) for d in t.get_shape())
            dtype = _TORCH_TYPES.get(str(t.element_type))
            if dtype is None:
                raise BackendError(f"memref.alloc of {t.element_type}{self.where(op)}")
            return f"{self.fresh(op.memref)} = torch.empty(({shape},), dtype={dtype}, device=_device)"
        if isinstance(op, memref.DeallocOp):  # the last reference goes: torch frees (or caches) the memory now
            return f"del {self.names[op.memref]}"
        if isinstance(op, (memref.CollapseShapeOp, memref.ExpandShapeOp)):  # views of the same elements
            src = self.names[op.operands[0]]
            if isinstance(op, memref.CollapseShapeOp):
                groups = [[d.value.data for d in g] for g in op.reassociation]
                dims = [" * ".join(f"{src}.shape[{d}]" for d in g) or "1" for g in groups]
            else:
                dynamic = iter(self.names[v] for v in op.operands[1:])
                dims = [str(d) if d >= 0 else next(dynamic) for d in op.static_output_shape.get_values()]
            return f"{self.fresh(op.results[0])} = {src}.view(({''.join(d + ', ' for d in dims)}))"
        if isinstance(op, memref.SubviewOp):
            static = [list(x.get_values()) for x in (op.static_offsets, op.static_sizes, op.static_strides)]
            if op.offsets or op.strides or len(op.result.type.get_shape()) != len(static[0]):
                raise BackendError(f"memref.subview with dynamic offsets or strides, or fewer dimensions"
                                   f"{self.where(op)}")
            sizes = iter(self.names[v] for v in op.sizes)
            parts = []
            for o, size, st in zip(*static):
                n = str(size) if size >= 0 else next(sizes)
                parts.append(f"{o}:{o} + ({n}) * {st}:{st}")
            return f"{self.fresh(op.result)} = {self.names[op.source]}[{', '.join(parts)}]"
        if isinstance(op, memref.GetGlobalOp):  # a constant: a tensor on the kernels' device, made once
            return f"{self.fresh(op.memref)} = _ircc_global({op.name_.string_value()!r}, _device)"
        if isinstance(op, memref.CastOp):
            return f"{self.fresh(op.dest)} = {self.names[op.source]}"
        raise BackendError(f"the triton backend renders pointwise loops: {op.name} outside a loop is not supported "
                           f"yet{self.where(op)}")

    # -- a kernel -------------------------------------------------------------------------------------------
    def loop(self, op: scf.ParallelOp | scf.ForOp, k: int) -> tuple[str, list[str]]:
        if isinstance(op, scf.ForOp):
            raise BackendError(f"a sequential scf.for at the top level: the triton backend runs parallel loops "
                               f"(convert-linalg-to-parallel-loops{{all-dims=true}} makes linalg's parallel "
                               f"dimensions scf.parallel){self.where(op)}")
        if op.initVals:
            raise BackendError(f"the triton backend renders parallel loops without reductions{self.where(op)}")
        name = f"{self.fn_name}_loop{k}"
        if any(isinstance(o, (scf.ForOp, scf.ParallelOp)) for o in op.body.block.ops):
            return _RowKernel(self, name, op).launch(k)
        kernel = _Kernel(self, name, op.body.block)
        source = kernel.render()
        trips = []
        launch = []
        for d, (lb, ub, step) in enumerate(zip(op.lowerBound, op.upperBound, op.step)):
            b = [self.names[v] for v in (lb, ub, step)]
            trips.append(f"t{k}_{d}")
            launch.append(f"    t{k}_{d} = max(0, -(-({b[1]} - {b[0]}) // {b[2]}))")
            kernel.bounds += [b[0], b[2]]
        total = " * ".join(trips)
        launch += [f"    if {total} > 0:",
                   f"        {name}[(triton.cdiv({total}, {BLOCK}),)]({', '.join(kernel.call_args())}, "
                   f"{', '.join(kernel.bounds)}, {', '.join(trips)}, BLOCK={BLOCK})"]
        return source, launch


class _Kernel:
    """One ``@triton.jit`` kernel: the loop body as block arithmetic."""

    def __init__(self, fn: _Function, name: str, body):
        self.fn, self.name, self.body = fn, name, body
        self.local: dict[SSAValue, str] = {}
        self.block_valued: set[SSAValue] = set()  # values that differ per iteration (tensors of BLOCK lanes)
        self.memrefs: list[SSAValue] = []  # captured memrefs (a pointer and strides each)
        self.scalars: list[SSAValue] = []  # captured host scalars
        self.lines: list[str] = []
        self.mask = "mask"  # the lanes that run (the row loop's inside a row kernel)
        self.bounds: list[str] = []  # host names of each dimension's lower bound and step (pointwise kernels)
        self.skip: set[Operation] = set()  # ops a reduction renders itself
        self.reductions: dict[Operation, tuple] = {}  # combining op -> (reduced value, memref store or None)
        self.forward: dict[str, tuple[SSAValue, str]] | None = None  # address -> (memref, the value there)
        self.unsynced: set[SSAValue] = set()  # memrefs stored since the last barrier (where forwarding)

    def call_args(self) -> list[str]:
        out = []
        for m in self.memrefs:
            host = self.fn.names[m]
            out += [host] + [f"{host}.stride({d})" for d in range(len(m.type.get_shape()))]
        anchor = self.fn.names[self.memrefs[0]] if self.memrefs else None
        for v in self.scalars:
            if isinstance(v.type, Float64Type):  # Triton types a Python float argument fp32: pass one element
                device = f", device={anchor}.device" if anchor else ""
                out.append(f"torch.full((1,), {self.fn.names[v]}, dtype=torch.float64{device})")
            else:
                out.append(self.fn.names[v])
        return out

    def ref(self, v: SSAValue, op: Operation) -> str:
        if v in self.local:
            return self.local[v]
        if v not in self.fn.names:
            raise BackendError(f"a value from outside the loop the triton backend cannot capture{self.fn.where(op)}")
        if isinstance(v.type, MemRefType):
            raise BackendError(f"a memref used as a value{self.fn.where(op)}")
        if v not in self.scalars:
            self.scalars.append(v)
        return f"c_{self.fn.names[v]}"

    def pointer(self, m: SSAValue, op: Operation) -> str:
        if m not in self.fn.names or not isinstance(m.type, MemRefType):
            raise BackendError(f"a memref made inside the loop{self.fn.where(op)}")
        if m not in self.memrefs:
            self.memrefs.append(m)
        return f"p_{self.fn.names[m]}"

    def offset(self, m: SSAValue, indices, op: Operation) -> tuple[str, bool]:
        base = self.pointer(m, op)
        terms, block = [], False
        for d, idx in enumerate(indices):
            term = self.ref(idx, op)
            block |= idx in self.block_valued
            terms.append(f"{term} * {base}_s{d}")
        return f"{base} + " + " + ".join(terms) if terms else base, block

    def render(self) -> str:
        ivs = list(self.body.args)
        index_lines = ["r = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)",
                       f"mask = r < {' * '.join(f't{d}' for d in range(len(ivs)))}"]
        for d in reversed(range(len(ivs))):  # the lane's point, the last dimension fastest
            index_lines.append(f"i{d} = lb{d} + (r % t{d}) * step{d}" if d else f"i{d} = lb{d} + r * step{d}")
            if d:
                index_lines.append(f"r = r // t{d}")
            self.local[ivs[d]] = f"i{d}"
            self.block_valued.add(ivs[d])
        for op in self.body.ops:
            if isinstance(op, (scf.ReduceOp, scf.YieldOp)):
                continue
            self.statement(op)
        params, loads = self.captured_params()
        loads = [f"    {line}" for line in loads]
        params += [f"{kind}{d}" for d in range(len(ivs)) for kind in ("lb", "step")]
        params += [f"t{d}" for d in range(len(ivs))] + ["BLOCK: tl.constexpr"]
        head = ["@triton.jit", f"def {self.name}({', '.join(params)}):", *loads]
        return "\n".join(head + [f"    {line}" for line in index_lines + self.lines]) + "\n"

    def captured_params(self) -> tuple[list[str], list[str]]:
        """The kernel's parameters for what it captured (a pointer and strides per memref, then the host
        scalars; an f64 one arrives as a one-element tensor) and the loads that unpack those."""
        params, loads = [], []
        for m in self.memrefs:
            host = self.fn.names[m]
            params += [f"p_{host}"] + [f"p_{host}_s{d}" for d in range(len(m.type.get_shape()))]
        for v in self.scalars:
            name = f"c_{self.fn.names[v]}"
            if isinstance(v.type, Float64Type):
                params.append(f"{name}_ptr")
                loads.append(f"{name} = tl.load({name}_ptr)")
            else:
                params.append(name)
        return params, loads

    def remember(self, m: SSAValue, address: str, value: str, stored: bool) -> None:
        """Where values are forwarded (fused rows): ``value`` is what ``address`` of ``m`` holds now; a store
        forgets what memory it may overlap held."""
        if self.forward is None:
            return
        if stored:
            root = view_root(m)
            self.unsynced.add(root)
            for key in [k for k, (other, _) in self.forward.items() if view_root(other) is root]:
                del self.forward[key]
        self.forward[address] = (m, value)

    def row_loop(self, op: Operation) -> None:
        raise BackendError(f"the triton backend renders a loop inside a parallel loop only as a row of a row "
                           f"kernel (one per top-level nest){self.fn.where(op)}")

    def reduce(self, op: Operation) -> None:
        raise AssertionError("reductions are found by row kernels only")

    def define(self, v: SSAValue, expr: str, block: bool) -> None:
        name = self.fn.fresh(v)
        self.local[v] = name
        if block:
            self.block_valued.add(v)
        self.lines.append(f"{name} = {expr}")

    def statement(self, op: Operation) -> None:
        if op in self.skip:
            return
        if op in self.reductions:
            self.reduce(op)
            return
        if isinstance(op, (scf.ForOp, scf.ParallelOp)):
            self.row_loop(op)
            return
        where = self.fn.where(op)
        operands = list(op.operands)
        block = any(v in self.block_valued for v in operands)
        if isinstance(op, arith.ConstantOp):
            self.define(op.result, _literal(op, kernel=True), False)
        elif isinstance(op, memref.LoadOp):
            address, varying = self.offset(op.memref, op.indices, op)
            if self.forward is not None and address in self.forward:  # already in a register
                self.local[op.res] = self.forward[address][1]
                if varying:
                    self.block_valued.add(op.res)
                return
            mask = f", mask={self.mask}" if varying else ""
            if self.forward is not None and view_root(op.memref) in self.unsynced:  # stored by other lanes before
                self.lines.append("tl.debug_barrier()  # what this program stored is seen by all its lanes")
                self.unsynced.clear()
            self.define(op.res, f"tl.load({address}{mask})", varying)
            self.remember(op.memref, address, self.local[op.res], stored=False)
        elif isinstance(op, memref.StoreOp):
            address, varying = self.offset(op.memref, op.indices, op)
            value = self.ref(op.value, op)
            self.remember(op.memref, address, value, stored=True)
            if not varying and isinstance(self, _RowKernel) and self.mask == "mask":  # one per program
                self.lines.append(f"tl.store({address}, {value})")
                return
            if not varying:
                raise BackendError(f"a store to one place from every iteration of a parallel loop{where}")
            self.lines.append(f"tl.store({address}, {value}, mask={self.mask})")
        elif type(op) in _BINARY:
            a, b = (self.ref(v, op) for v in operands)
            self.define(op.results[0], f"{a} {_BINARY[type(op)]} {b}", block)
        elif isinstance(op, arith.NegfOp):
            self.define(op.result, f"-{self.ref(op.operand, op)}", block)
        elif isinstance(op, (arith.MaximumfOp, arith.MinimumfOp, arith.MaxnumfOp, arith.MinnumfOp)):
            fn = "tl.maximum" if isinstance(op, (arith.MaximumfOp, arith.MaxnumfOp)) else "tl.minimum"
            nan = ", propagate_nan=tl.PropagateNan.ALL" if isinstance(op, (arith.MaximumfOp, arith.MinimumfOp)) else ""
            a, b = (self.ref(v, op) for v in operands)
            self.define(op.result, f"{fn}({a}, {b}{nan})", block)
        elif isinstance(op, arith.CmpfOp):
            a, b = (self.ref(v, op) for v in operands)
            pred = op.predicate.value.data
            key = ["false", "oeq", "ogt", "oge", "olt", "ole", "one", "ord", "ueq", "ugt", "uge", "ult", "ule",
                   "une", "uno", "true"][pred]
            if key in ("false", "true"):
                raise BackendError(f"arith.cmpf {key}{where}")
            self.define(op.result, _CMPF[key].format(a=a, b=b), block)
        elif isinstance(op, arith.CmpiOp):
            a, b = (self.ref(v, op) for v in operands)
            key = ["eq", "ne", "slt", "sle", "sgt", "sge", "ult", "ule", "ugt", "uge"][op.predicate.value.data]
            self.define(op.result, f"({a} {_CMPI[key]} {b})", block)
        elif isinstance(op, arith.SelectOp):
            c, a, b = (self.ref(v, op) for v in operands)
            self.define(op.result, f"tl.where({c}, {a}, {b})", block)
        elif isinstance(op, (arith.SIToFPOp, arith.FPToSIOp, arith.ExtFOp, arith.TruncFOp, arith.IndexCastOp,
                             arith.ExtSIOp, arith.TruncIOp, arith.ExtUIOp, arith.UIToFPOp)):
            t = _TL_TYPES.get(str(op.results[0].type))
            if t is None:
                raise BackendError(f"{op.name} to {op.results[0].type}{where}")
            self.define(op.results[0], f"({self.ref(operands[0], op)}).to({t})", block)
        elif isinstance(op, (arith.DivSIOp, arith.FloorDivSIOp, arith.DivUIOp)):  # indices: non-negative
            a, b = (self.ref(v, op) for v in operands)
            self.define(op.results[0], f"{a} // {b}", block)
        elif isinstance(op, arith.RemUIOp):
            a, b = (self.ref(v, op) for v in operands)
            self.define(op.results[0], f"{a} % {b}", block)
        elif isinstance(op, arith.RemSIOp):
            a, b = (self.ref(v, op) for v in operands)
            self.define(op.results[0], f"{a} % {b}", block)
        elif type(op) in _NATIVE:
            self.define(op.results[0], f"{_NATIVE[type(op)]}({self.ref(operands[0], op)})", block)
        elif type(op) in _HELPERS:
            name = _HELPERS[type(op)]
            if self.fn.interpreted and name not in _INTERPRETED:
                raise BackendError(f"{op.name} needs a GPU: Triton's interpreter has no libdevice, and ircc has no "
                                   f"composition for it{where}")
            self.fn.helpers.add(name)
            args = ", ".join(self.ref(v, op) for v in operands)
            self.define(op.results[0], f"_ircc_{name}({args})", block)
        elif isinstance(op, math.FmaOp):
            a, b, c = (self.ref(v, op) for v in operands)
            self.define(op.result, f"tl.fma({a}, {b}, {c})", block)
        else:
            raise BackendError(f"the triton backend does not render {op.name} inside a loop yet{where}")


def _size_source(v: SSAValue) -> SSAValue:
    """``memref.dim`` of a fresh allocation is the size it was allocated with (xDSL does not fold it)."""
    o = v.owner
    while isinstance(o, memref.DimOp) and isinstance(o.source.owner, memref.AllocOp):
        d = _constant(o.index)
        shape = o.source.type.get_shape()
        if d is None or d >= len(shape) or shape[d] >= 0:
            break
        v = o.source.owner.dynamic_sizes[sum(1 for x in shape[:d] if x < 0)]
        o = v.owner
    return v


def _same_value(a: SSAValue, b: SSAValue) -> bool:
    """One SSA value (seeing through ``memref.dim`` of allocations), or two constants of one value and type."""
    a, b = _size_source(a), _size_source(b)
    if a is b:
        return True
    oa, ob = a.owner, b.owner
    return (isinstance(oa, arith.ConstantOp) and isinstance(ob, arith.ConstantOp) and oa.value == ob.value
            and oa.result.type == ob.result.type)


def _constant(v: SSAValue) -> int | None:
    o = v.owner
    return o.value.value.data if isinstance(o, arith.ConstantOp) and isinstance(o.value, IntegerAttr) else None


def _literal(op: arith.ConstantOp, kernel: bool = False) -> str:
    """The constant as Python source: on the host a plain number; in a kernel an f64 one keeps its type."""
    value = op.value
    t = op.result.type
    if isinstance(t, (Float32Type, Float64Type)):
        number = value.value.data
        if number != number:
            text = "float('nan')"
        elif number in (float("inf"), float("-inf")):
            text = f"float('{number}')"
        else:
            text = repr(float(number))
        # a bare Python float is an fp32 constant in Triton: an f64 one is made with its type
        return f"tl.full((), {text}, tl.float64)" if kernel and isinstance(t, Float64Type) else text
    if isinstance(t, IntegerType) and t.width.data == 1:
        return "True" if value.value.data else "False"
    if isinstance(value, IntegerAttr):
        return str(value.value.data)
    raise BackendError(f"arith.constant of type {t} in the triton backend")


#: combining op -> (Triton reduction, the identity masked lanes hold)
#: (``tl.reduce`` with ircc's own combine functions: Triton's ``tl.sum`` / ``tl.max`` are ``@triton.jit``
#: functions made when triton is imported, which the interpreter cannot call if that was before the switch)
_REDUCE = {arith.AddfOp: ("add", "0.0"), arith.AddiOp: ("add", "0"), arith.MaximumfOp: ("max", "float('-inf')"),
           arith.MaxnumfOp: ("max", "float('-inf')"), arith.MinimumfOp: ("min", "float('inf')"),
           arith.MinnumfOp: ("min", "float('inf')"), arith.MaxSIOp: ("max", "-(1 << 62)"),
           arith.MinSIOp: ("min", "1 << 62")}


class _RowKernel(_Kernel):
    """A top-level nest with loops inside: one program per point of its outer loops (the grid), each inner
    ``scf.for`` a row of ``BLOCK_Jk`` lanes (the next power of two of its trip count, masked). A row whose
    body accumulates into one place -- ``acc[...] = acc[...] + f(j)``, or a carried value ``acc + f(j)`` --
    is a ``tl.sum`` / ``tl.max`` / ``tl.min`` of ``f`` over the row, combined into that place once: softmax,
    layer norm, sums."""

    def __init__(self, fn: _Function, name: str, op: Operation):
        self.grid: list[tuple[SSAValue, SSAValue, SSAValue, SSAValue]] = []  # (iv, lb, ub, step)
        loop = op
        while True:  # parallel loops directly inside parallel loops join the grid
            if loop.initVals:
                raise BackendError(f"a parallel loop with reductions{fn.where(loop)}")
            self.grid += list(zip(loop.body.block.args, loop.lowerBound, loop.upperBound, loop.step))
            body = loop.body.block
            inner = [o for o in body.ops if not isinstance(o, (scf.ReduceOp, scf.YieldOp))]
            if len(inner) != 1 or not isinstance(inner[0], scf.ParallelOp):
                break
            loop = inner[0]
        super().__init__(fn, name, body)
        self.rows: list[tuple[str, list[tuple]]] = []  # (name, [(lb, ub, step) per loop of its nest]) per row

    def launch(self, k: int) -> tuple[str, list[str]]:
        source = self.render()
        lines, trips = [], []
        for d, (_, lb, ub, step) in enumerate(self.grid):
            b = [self.fn.names[v] for v in (lb, ub, step)]
            trips.append(f"g{k}_{d}")
            lines.append(f"    g{k}_{d} = max(0, -(-({b[1]} - {b[0]}) // {b[2]}))")
        rows, blocks = [], []
        for name, levels in self.rows:
            level_trips = []
            for d, (lb, ub, step) in enumerate(levels):
                b = [self.fn.names[v] for v in (lb, ub, step)]
                lines.append(f"    {name}_{d}_{k} = max(0, -(-({b[1]} - {b[0]}) // {b[2]}))")
                level_trips.append(f"{name}_{d}_{k}")
            rows += level_trips
            lines.append(f"    B{name}_{k} = max(1, triton.next_power_of_2({' * '.join(level_trips)}))")
            blocks.append(f"BLOCK_{name.upper()}=B{name}_{k}")
        total = " * ".join(trips) or "1"
        args = [*self.call_args(), *trips, *rows]
        widest = f"max({', '.join(f'B{name}_{k}' for name, _ in self.rows)}, 1)"  # wide rows get more warps
        lines += [f"    if {total} > 0:",
                  f"        {self.name}[({total},)]({', '.join(args)}{''.join(', ' + b for b in blocks)}, "
                  f"num_warps=_ircc_row_warps({widest}))"]
        return source, lines

    def render(self) -> str:
        lines = ["pid = tl.program_id(0)"]
        for d in reversed(range(len(self.grid))):
            iv, lb, _, step = self.grid[d]
            lines += [f"g{d} = pid % gt{d}", f"pid = pid // gt{d}"]
            self.lines = []
            lb_ref, step_ref = self.ref(lb, iv.owner.parent_op()), self.ref(step, iv.owner.parent_op())
            self.local[iv] = f"({lb_ref} + g{d} * {step_ref})"
        self.lines = []
        for op in self.body.ops:
            if not isinstance(op, (scf.ReduceOp, scf.YieldOp)):
                self.statement(op)
        params, loads = self.captured_params()
        params += [f"gt{d}" for d in range(len(self.grid))]
        params += [f"{name}_t{d}" for name, levels in self.rows for d in range(len(levels))]
        params += [f"BLOCK_{name.upper()}: tl.constexpr" for name, _ in self.rows]
        head = ["@triton.jit", f"def {self.name}({', '.join(params)}):"]
        return "\n".join(head + [f"    {line}" for line in loads + lines + self.lines]) + "\n"

    def row_loop(self, op: Operation) -> None:
        where = self.fn.where(op)
        if self.mask != "mask" or not isinstance(op, scf.ForOp):
            raise BackendError(f"the triton backend renders one level of loops inside a row kernel's grid{where}")
        for v in (op.lb, op.ub, op.step):
            if v in self.local:
                raise BackendError(f"a row loop whose bounds change from row to row (the triton backend sizes rows "
                                   f"on the host){where}")
        loops = [op]  # a perfect nest of loops without carried values is one row over all its points
        while not loops[-1].iter_args:
            inner = [o for o in loops[-1].body.block.ops if not isinstance(o, scf.YieldOp)]
            if len(inner) != 1 or not isinstance(inner[0], scf.ForOp) or inner[0].iter_args:
                break
            if any(v in self.local for v in (inner[0].lb, inner[0].ub, inner[0].step)):
                break
            loops.append(inner[0])
        self.open_row([(lp.lb, lp.ub, lp.step, lp.body.block.args[0], lp) for lp in loops])
        innermost = loops[-1]
        body = innermost.body.block
        self._find_reductions(innermost, [lp.body.block.args[0] for lp in loops])
        for inner in body.ops:
            if not isinstance(inner, scf.YieldOp):
                self.statement(inner)
        self.mask = "mask"
        for result, (acc, combine) in zip(op.results, self._carried):
            expr = self._combine(combine, self.ref(acc, op), self.local[combine.results[0]])
            self.define(result, expr, False)

    def open_row(self, levels: list[tuple], one_point_scalar: bool = False) -> str:
        """Lanes for the points of a row -- ``levels``: ``(lb, ub, step, iv, op)`` per loop of a perfect nest,
        the innermost fastest; its ivs become those lanes' values and its mask the current one.
        ``one_point_scalar``: a row of one constant point is the program's scalar instead (fused rows: a
        reduction's first value stored there is then the same address the reduction reads)."""
        if one_point_scalar and all(_constant(lb) is not None and _constant(ub) == _constant(lb) + 1
                                    and _constant(step) == 1 for lb, ub, step, _, _ in levels):  # one point
            for lb, _, _, iv, op in levels:
                self.local[iv] = self.ref(lb, op)
            return ""
        bounds = [(lb, ub, step) for lb, ub, step, _, _ in levels]
        for name, other in self.rows:  # a row over the same points as one before: the same lanes
            if len(other) == len(bounds) and all(_same_value(a, b) for x, y in zip(other, bounds)
                                                 for a, b in zip(x, y)):
                for d, (_, _, _, iv, _) in enumerate(levels):
                    self.local[iv] = f"{name}_{d}"
                    self.block_valued.add(iv)
                self.mask = f"m{name}"
                return name
        name = f"j{len(self.rows)}"
        self.rows.append((name, bounds))
        self.lines += [f"r{name} = tl.arange(0, BLOCK_{name.upper()})",
                       f"m{name} = r{name} < {' * '.join(f'{name}_t{d}' for d in range(len(levels)))}"]
        for d in reversed(range(len(levels))):  # the lane's point, the innermost loop fastest
            lb_v, _, step_v, iv, op = levels[d]
            lb, step = self.ref(lb_v, op), self.ref(step_v, op)
            lane = f"(r{name} % {name}_t{d})" if d else f"r{name}"
            self.lines.append(f"{name}_{d} = {lb} + {lane} * {step}")
            if d:
                self.lines.append(f"r{name} = r{name} // {name}_t{d}")
            self.local[iv] = f"{name}_{d}"
            self.block_valued.add(iv)
        self.mask = f"m{name}"
        return name

    def _find_reductions(self, loop: scf.ForOp, ivs: list[SSAValue]) -> None:
        body = loop.body.block
        varying = set(ivs)
        for o in body.ops:
            if any(v in varying for v in o.operands):
                varying.update(o.results)
        self._carried = []
        if loop.iter_args:
            yielded = body.last_op.operands
            for arg, init, y in zip(body.args[1:], loop.iter_args, yielded):
                c = y.owner
                if type(c) not in _REDUCE or arg not in c.operands or len(list(arg.uses)) != 1:
                    raise BackendError(f"a carried value the triton backend cannot make a reduction (add, max or "
                                       f"min of the previous value and this iteration's){self.fn.where(loop)}")
                other = c.operands[1] if c.operands[0] is arg else c.operands[0]
                self.reductions[c] = (other, None)
                self._carried.append((init, c))
        for o in body.ops:
            if not isinstance(o, memref.StoreOp) or any(v in varying for v in o.indices):
                continue
            c = o.value.owner
            if type(c) not in _REDUCE:
                continue
            loads = [v.owner for v in c.operands if isinstance(v.owner, memref.LoadOp)
                     and v.owner.memref is o.memref and list(v.owner.indices) == list(o.indices)]
            if not loads or len(list(loads[0].res.uses)) != 1:
                continue
            other = c.operands[1] if c.operands[0] is loads[0].res else c.operands[0]
            self.reductions[c] = (other, o)
            self.skip.update((loads[0], o))

    def reduce(self, op: Operation) -> None:
        value, store = self.reductions[op]
        fn, identity = _REDUCE[type(op)]
        x = self.ref(value, op)
        if value in self.block_valued:
            self.fn.helpers.add(f"combine_{fn}")
            x = f"tl.reduce(tl.where({self.mask}, {x}, {identity}), 0, _ircc_combine_{fn})"
        elif fn == "add":
            raise BackendError(f"a sum of a value that does not change along the row{self.fn.where(op)}")
        name = self.fn.fresh(op.results[0])
        self.local[op.results[0]] = name
        self.lines.append(f"{name} = {x}")
        if store is not None:
            address, _ = self.offset(store.memref, store.indices, store)
            acc = self.fn.fresh(store.value)
            if self.forward is not None and address in self.forward:
                self.lines.append(f"{acc} = {self.forward[address][1]}")
            else:
                self.lines.append(f"{acc} = tl.load({address})")
            combined = self.fn.fresh(store.value)
            self.lines += [f"{combined} = {self._combine(op, acc, name)}", f"tl.store({address}, {combined})"]
            self.remember(store.memref, address, combined, stored=True)

    def _combine(self, op: Operation, a: str, b: str) -> str:
        if isinstance(op, (arith.AddfOp, arith.AddiOp)):
            return f"{a} + {b}"
        fn = "tl.maximum" if isinstance(op, (arith.MaximumfOp, arith.MaxnumfOp, arith.MaxSIOp)) else "tl.minimum"
        nan = ", propagate_nan=tl.PropagateNan.ALL" if isinstance(op, (arith.MaximumfOp, arith.MinimumfOp)) else ""
        return f"{fn}({a}, {b}{nan})"
