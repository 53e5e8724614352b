"""Loop-level IR rendered as Triton: one ``@triton.jit`` kernel per top-level parallel loop, and a host
function per ``func.func`` that computes the sizes and launches the kernels.

A top-level 1-D ``scf.parallel`` (or ``scf.for`` without carried values) over ``[lb, ub)`` becomes a kernel
whose program ``p`` runs iterations ``p * BLOCK ... p * BLOCK + BLOCK - 1`` as one block (``tl.arange``),
masked at the end; its body -- loads, stores, ``arith`` and ``math`` -- becomes block arithmetic, and a
``memref.load %m[%i, %c]`` a masked ``tl.load`` at ``i * m_s0 + c * m_s1`` (each memref's strides are
kernel arguments). What comes before the loops (constants, ``memref.dim``, index arithmetic) runs on the
host, in Python. ``math`` functions Triton has (``exp log sin cos sqrt rsqrt erf floor ceil abs``) are
called directly; the others are ``libdevice`` calls on a GPU and compositions of those in Triton's
interpreter (which has no ``libdevice``): ``tanh sinh cosh tan log1p expm1 erfc powf``. Anything else says
what is not supported and where.

```python
@triton.jit
def kernel_loop0(x, x_s0, out, out_s0, out_s1, lb, step, trips, BLOCK: tl.constexpr):
    r = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = r < trips
    i = lb + r * step
    v3 = tl.load(x + i * x_s0, mask=mask)
    v5 = tl.sin(v3)
    tl.store(out + i * out_s0 + 1 * out_s1, v5, mask=mask)
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
_CMPF = {"oeq": "({a} == {b})", "ogt": "({a} > {b})", "oge": "({a} >= {b})", "olt": "({a} < {b})",
         "ole": "({a} <= {b})", "une": "({a} != {b})", "ueq": "(({a} == {b}) | ({a} != {a}) | ({b} != {b}))",
         "one": "(({a} != {b}) & ({a} == {a}) & ({b} == {b}))", "ugt": "(~({a} <= {b}))", "uge": "(~({a} < {b}))",
         "ult": "(~({a} >= {b}))", "ule": "(~({a} > {b}))", "ord": "(({a} == {a}) & ({b} == {b}))",
         "uno": "(({a} != {a}) | ({b} != {b}))"}
_CMPI = {"eq": "==", "ne": "!=", "slt": "<", "sle": "<=", "sgt": ">", "sge": ">=", "ult": "<", "ule": "<=",
         "ugt": ">", "uge": ">="}
_TL_TYPES = {"f64": "tl.float64", "f32": "tl.float32", "f16": "tl.float16", "i64": "tl.int64", "i32": "tl.int32",
             "i1": "tl.int1", "index": "tl.int64", "i8": "tl.int8", "i16": "tl.int16"}


@dataclass
class RenderedModule:
    source: str
    functions: list[str]  # host function names, one per func.func
    helpers: list[str] = field(default_factory=list)  # helper math functions the kernels call


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
        elif not isinstance(op, func.FuncOp):
            raise BackendError(f"the triton backend renders functions only, not {op.name} at the top level")
    head = ["import torch", "import triton", "import triton.language as tl"]
    if not interpreted and helpers:
        head.append("from triton.language.extra import libdevice")
    helper_src = []
    for name in sorted(helpers):
        args = "x, y" if name in ("pow", "atan2") else "x"
        if interpreted:
            body = _INTERPRETED[name]
        else:
            body = f"return libdevice.{name}({args})"
        helper_src.append(f"@triton.jit\ndef _ircc_{name}({args}):\n    {body}\n")
    source = "\n".join(head) + "\n\n\n" + "\n\n".join(helper_src + kernels + hosts)
    return RenderedModule(source, names, sorted(helpers))


def _identifier(text: str) -> str:
    name = re.sub(r"\W", "_", text)
    return name if name and not name[0].isdigit() else f"v_{name}"


class _Function:
    def __init__(self, op: func.FuncOp, helpers: set[str], interpreted: bool):
        self.op, self.helpers, self.interpreted = op, helpers, interpreted
        self.names: dict[SSAValue, str] = {}
        self.counter = 0
        self.fn_name = _identifier(op.sym_name.data)

    def where(self, op: Operation) -> str:
        return f" (in @{self.op.sym_name.data}: {op.name})"

    def fresh(self, v: SSAValue) -> str:
        hint = v.name_hint
        base = _identifier(hint) if hint else "v"
        name = f"{base}_{self.counter}"
        self.counter += 1
        self.names[v] = name
        return name

    def render(self) -> tuple[str, list[str]]:
        block = self.op.body.block
        args = []
        for a in block.args:
            name = _identifier(a.name_hint or f"arg{len(args)}")
            while name in args:
                name += "_"
            self.names[a] = name
            args.append(name)
        if self.op.function_type.outputs.data:
            raise BackendError(f"@{self.op.sym_name.data}: the triton backend takes functions that write their "
                               "results into memref arguments (destination-passing style), not ones that return values")
        lines = [f"def {self.fn_name}({', '.join(args)}):"]
        kernels = []
        for op in block.ops:
            if isinstance(op, func.ReturnOp):
                continue
            if isinstance(op, (scf.ParallelOp, scf.ForOp)):
                kernel, launch = self.loop(op, len(kernels))
                kernels.append(kernel)
                lines += launch
                continue
            lines.append(f"    {self.host(op)}")
        lines.append("    return None")
        return "\n".join(lines) + "\n", kernels

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
        raise BackendError(f"the triton backend renders pointwise loops: {op.name} outside a loop is not supported "
                           f"yet{self.where(op)}")

    # -- a kernel -------------------------------------------------------------------------------------------
    def loop(self, op: scf.ParallelOp | scf.ForOp, k: int) -> tuple[str, list[str]]:
        if isinstance(op, scf.ParallelOp):
            if len(op.lowerBound) != 1 or op.initVals:
                raise BackendError(f"the triton backend renders 1-D parallel loops without reductions "
                                   f"(this one has {len(op.lowerBound)} dimensions){self.where(op)}")
            lb, ub, step = op.lowerBound[0], op.upperBound[0], op.step[0]
            body = op.body.block
        else:
            if op.iter_args:
                raise BackendError(f"the triton backend renders loops without carried values{self.where(op)}")
            lb, ub, step, body = op.lb, op.ub, op.step, op.body.block
        name = f"{self.fn_name}_loop{k}"
        kernel = _Kernel(self, name, body)
        source = kernel.render()
        bounds = [self.names[v] for v in (lb, ub, step)]
        trips = f"trips_{k}"
        launch = [f"    {trips} = max(0, -(-({bounds[1]} - {bounds[0]}) // {bounds[2]}))",
                  f"    if {trips} > 0:",
                  f"        {name}[(triton.cdiv({trips}, {BLOCK}),)]({', '.join(kernel.call_args())}, "
                  f"{bounds[0]}, {bounds[2]}, {trips}, BLOCK={BLOCK})"]
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
        if m not in self.fn.names or isinstance(m.owner, Operation):
            raise BackendError(f"the triton backend reads and writes function arguments only, not memrefs made "
                               f"inside the function{self.fn.where(op)}")
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
        iv = self.body.args[0]
        self.local[iv] = "i"
        self.block_valued.add(iv)
        for op in self.body.ops:
            if isinstance(op, (scf.ReduceOp, scf.YieldOp)):
                continue
            self.statement(op)
        params = []
        for m in self.memrefs:
            host = self.fn.names[m]
            params += [f"p_{host}"] + [f"p_{host}_s{d}" for d in range(len(m.type.get_shape()))]
        loads = []
        for v in self.scalars:
            name = f"c_{self.fn.names[v]}"
            if isinstance(v.type, Float64Type):
                params.append(f"{name}_ptr")
                loads.append(f"    {name} = tl.load({name}_ptr)")
            else:
                params.append(name)
        params += ["lb", "step", "trips", "BLOCK: tl.constexpr"]
        head = ["@triton.jit", f"def {self.name}({', '.join(params)}):", *loads,
                "    r = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)", "    mask = r < trips",
                "    i = lb + r * step"]
        return "\n".join(head + [f"    {line}" for line in self.lines]) + "\n"

    def define(self, v: SSAValue, expr: str, block: bool) -> None:
        name = self.fn.fresh(v)
        self.local[v] = name
        if block:
            self.block_valued.add(v)
        self.lines.append(f"{name} = {expr}")

    def statement(self, op: Operation) -> None:
        where = self.fn.where(op)
        operands = list(op.operands)
        block = any(v in self.block_valued for v in operands)
        if isinstance(op, arith.ConstantOp):
            self.define(op.result, _literal(op, kernel=True), False)
        elif isinstance(op, memref.LoadOp):
            address, varying = self.offset(op.memref, op.indices, op)
            mask = ", mask=mask" if varying else ""
            self.define(op.res, f"tl.load({address}{mask})", varying)
        elif isinstance(op, memref.StoreOp):
            address, varying = self.offset(op.memref, op.indices, op)
            if not varying:
                raise BackendError(f"a store to one place from every iteration of a parallel loop{where}")
            self.lines.append(f"tl.store({address}, {self.ref(op.value, op)}, mask=mask)")
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
        elif isinstance(op, (arith.DivSIOp, arith.FloorDivSIOp)):
            a, b = (self.ref(v, op) for v in operands)
            self.define(op.results[0], f"{a} // {b}", block)
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
