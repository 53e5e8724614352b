"""Loop-level IR (func / scf / memref / arith / math) to LLVM IR, with llvmlite's IR builder.

One ``FunctionLowerer`` per ``func.func``; ops are dispatched on their type through the
tables in ``ops.py``. Memref values are kept as their descriptor fields (``Memref``), so an
access with the identity layout computes ``aligned[((i0 * s1) + i1) * s2 + i2]`` from the sizes,
with a unit innermost stride LLVM can vectorize.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from llvmlite import ir
from xdsl.dialects import func
from xdsl.dialects.builtin import MemRefType, ModuleOp, StridedLayoutAttr
from xdsl.ir import Block, Operation, SSAValue

from ircc.backends.llvm.types import (
    I64,
    PTR,
    Memref,
    check_layout,
    expanded_arg_types,
    value_type,
)
from ircc.errors import BackendError

LoweredValue = ir.Value | Memref


def location_of(op: Operation) -> str:
    loc = getattr(op, "location", None)
    text = str(loc) if loc is not None else ""
    return "" if "unknown" in text else f" at {text}"


@dataclass
class ModuleLowering:
    """State shared by the functions of one module."""

    module: ModuleOp
    llmod: ir.Module
    fastmath: bool = False
    threads: int = 1
    thread_runtime: str = "pthreads"  # what outlined scf.parallel loops run on: "gomp" or "pthreads" (threads.py)
    functions: dict[str, ir.Function] = field(default_factory=dict)
    signatures: dict[str, func.FuncOp] = field(default_factory=dict)
    always_inline: set[str] = field(default_factory=set)
    vector_variants: list[ir.Function] = field(default_factory=list)  # libmvec functions calls name (vecmath)
    globals: dict[str, ir.GlobalVariable] = field(default_factory=dict)  # memref.global name -> constant
    counter: int = 0

    def fresh(self, stem: str) -> str:
        self.counter += 1
        return f"{stem}.{self.counter}"

    def declare(self, name: str, ret: ir.Type, args: list[ir.Type], *, var_arg: bool = False) -> ir.Function:
        existing = self.llmod.globals.get(name)
        if existing is not None:
            return existing
        return ir.Function(self.llmod, ir.FunctionType(ret, args, var_arg=var_arg), name)

    def intrinsic(self, name: str, ret: ir.Type, args: list[ir.Type]) -> ir.Function:
        return self.declare(name, ret, args)

    @property
    def float_flags(self) -> tuple[str, ...]:
        return ("fast",) if self.fastmath else ()


def result_type(op: func.FuncOp) -> ir.Type:
    outs = op.function_type.outputs.data
    if not outs:
        return ir.VoidType()
    if len(outs) == 1:
        return value_type(outs[0])
    return ir.LiteralStructType([value_type(t) for t in outs])


def declare_function(ml: ModuleLowering, op: func.FuncOp) -> ir.Function:
    """Declare ``op`` with MLIR's expanded argument convention; ``llvm.noalias`` marks aligned pointers."""
    arg_types: list[ir.Type] = []
    for t in op.function_type.inputs.data:
        if isinstance(t, MemRefType):
            check_layout(t)
        arg_types += expanded_arg_types(t)
    fn = ir.Function(ml.llmod, ir.FunctionType(result_type(op), arg_types), op.sym_name.data)
    index = 0
    for i, t in enumerate(op.function_type.inputs.data):
        n = len(expanded_arg_types(t))
        if isinstance(t, MemRefType) and _has_noalias(op, i):
            fn.args[index + 1].add_attribute("noalias")
        index += n
    fn.attributes.add("nounwind")
    ml.functions[op.sym_name.data] = fn
    ml.signatures[op.sym_name.data] = op
    return fn


def _has_noalias(op: func.FuncOp, i: int) -> bool:
    attrs = op.arg_attrs
    if attrs is None:
        return False
    d = attrs.data[i].data
    return "llvm.noalias" in d


class FunctionLowerer:
    """Lowers the body of one function (or of an outlined parallel loop) into ``fn``."""

    def __init__(self, ml: ModuleLowering, fn: ir.Function, *, in_worker: bool = False):
        self.ml, self.fn, self.in_worker = ml, fn, in_worker
        self.values: dict[SSAValue, LoweredValue] = {}
        self.entry = fn.append_basic_block("entry")
        self.b = ir.IRBuilder(self.entry)
        self.noalias: set[SSAValue] = set()

    # -- values -------------------------------------------------------------------------
    def get(self, v: SSAValue) -> LoweredValue:
        try:
            return self.values[v]
        except KeyError:
            raise AssertionError(f"value {v} used before it was lowered") from None

    def scalar(self, v: SSAValue) -> ir.Value:
        value = self.get(v)
        assert isinstance(value, ir.Value), f"expected a scalar for {v}, got a memref"
        return value

    def memref(self, v: SSAValue) -> Memref:
        value = self.get(v)
        assert isinstance(value, Memref), f"expected a memref for {v}"
        return value

    def bind_args(self, block_args: tuple[SSAValue, ...], llvm_args: list[ir.Value]) -> None:
        """Bind block arguments to expanded LLVM arguments (memrefs take several)."""
        index = 0
        for arg in block_args:
            n = len(expanded_arg_types(arg.type))
            chunk = llvm_args[index:index + n]
            if isinstance(arg.type, MemRefType):
                self.values[arg] = Memref.from_fields(arg.type, chunk)
            else:
                self.values[arg] = chunk[0]
            index += n

    def as_value(self, v: SSAValue) -> ir.Value:
        """A value as one LLVM value (memrefs packed into their descriptor struct)."""
        lowered = self.get(v)
        return lowered.pack(self.b) if isinstance(lowered, Memref) else lowered

    def from_value(self, t, v: ir.Value) -> LoweredValue:
        return Memref.unpack(self.b, t, v) if isinstance(t, MemRefType) else v

    def expanded(self, v: SSAValue) -> list[ir.Value]:
        lowered = self.get(v)
        return lowered.fields() if isinstance(lowered, Memref) else [lowered]

    # -- blocks ------------------------------------------------------------------------
    def lower_block(self, block: Block) -> None:
        from ircc.backends.llvm.ops import HANDLERS

        for op in block.ops:
            handler = HANDLERS.get(type(op))
            if handler is None:
                raise BackendError(
                    f"the llvm backend accepts only func/scf/memref/arith/math; found '{op.name}'"
                    f"{location_of(op)}"
                )
            handler(self, op)

    def lower_function(self, op: func.FuncOp) -> None:
        block = op.body.blocks.first
        assert block is not None
        self.noalias = {a for i, a in enumerate(block.args)
                        if isinstance(a.type, MemRefType) and _has_noalias(op, i)}
        self.bind_args(block.args, list(self.fn.args))
        self.lower_block(block)

    # -- memref addressing -------------------------------------------------------------
    def element_pointer(self, m: Memref, indices: list[ir.Value]) -> ir.Value:
        b = self.b
        t = m.type
        shape = t.get_shape()
        layout = t.layout
        if isinstance(layout, StridedLayoutAttr):
            linear: ir.Value = m.offset
            strides = layout.get_strides()
            off = layout.get_offset()
            if isinstance(off, int):
                linear = ir.Constant(I64, off)
            for k, idx in enumerate(indices):
                s = strides[k]
                stride = ir.Constant(I64, s) if isinstance(s, int) else m.strides[k]
                linear = b.add(linear, b.mul(idx, stride, flags=["nsw"]), flags=["nsw"])
        else:
            linear = indices[0] if indices else ir.Constant(I64, 0)
            for k in range(1, len(indices)):
                size = ir.Constant(I64, shape[k]) if shape[k] >= 0 else m.sizes[k]
                linear = b.add(b.mul(linear, size, flags=["nsw"]), indices[k], flags=["nsw"])
        return b.gep(m.aligned, [linear], inbounds=True, source_etype=m.element)

    def size(self, m: Memref, k: int) -> ir.Value:
        d = m.type.get_shape()[k]
        return ir.Constant(I64, d) if d >= 0 else m.sizes[k]

    def num_elements(self, m: Memref) -> ir.Value:
        total: ir.Value = ir.Constant(I64, 1)
        for k in range(len(m.type.get_shape())):
            total = self.b.mul(total, self.size(m, k))
        return total

    # -- loops -------------------------------------------------------------------------
    def counted_loop(self, lb: ir.Value, ub: ir.Value, step: ir.Value, inits: list[ir.Value],
                     body) -> list[ir.Value]:
        """Emit ``for iv in [lb, ub) by step`` carrying ``inits``; ``body(iv, carried) -> next``."""
        b = self.b
        pre = b.block
        header = self.fn.append_basic_block("loop.header")
        body_bb = self.fn.append_basic_block("loop.body")
        exit_bb = self.fn.append_basic_block("loop.exit")
        b.branch(header)
        b.position_at_end(header)
        iv = b.phi(I64)
        iv.add_incoming(lb, pre)
        phis = []
        for v in inits:
            phi = b.phi(v.type)
            phi.add_incoming(v, pre)
            phis.append(phi)
        cond = b.icmp_signed("<", iv, ub)
        b.cbranch(cond, body_bb, exit_bb)
        b.position_at_end(body_bb)
        nxt = body(iv, list(phis))
        latch = b.block
        iv_next = b.add(iv, step, flags=["nsw"])
        iv.add_incoming(iv_next, latch)
        for phi, v in zip(phis, nxt):
            phi.add_incoming(v, latch)
        b.branch(header)
        b.position_at_end(exit_bb)
        return list(phis)


def region_block(op: Operation, index: int = 0) -> Block:
    block = op.regions[index].blocks.first
    assert block is not None, f"{op.name} has an empty region"
    return block


def captured_values(op: Operation) -> list[SSAValue]:
    """Values used inside ``op``'s regions but defined outside it, in first-use order."""
    inside: set[SSAValue] = set()
    for inner in op.walk():
        if inner is not op:
            inside.update(inner.results)
        for region in inner.regions:
            for block in region.blocks:
                inside.update(block.args)
    seen: dict[SSAValue, None] = {}
    for inner in op.walk():
        if inner is op:
            continue
        for operand in inner.operands:
            if operand not in inside:
                seen.setdefault(operand, None)
    return list(seen)


__all__ = ["I64", "PTR", "FunctionLowerer", "ModuleLowering", "declare_function"]
