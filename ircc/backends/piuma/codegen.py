"""From the IR after ``lower-piuma`` to what runs on the simulated machine.

A function becomes host steps (its top-level sizes, allocations and views, evaluated in Python per call) and,
for each ``piuma.launch``, a program of ``isa`` instructions that every thread runs. Each memref is a buffer
(the function's arguments, then its allocations, then scratchpad allocations: ``slot`` numbers fixed at
compile time) plus an element offset and strides, which a launch receives in registers with the host's
scalars. Registers are allocated by scope: a value lives until the block that defines it ends.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from xdsl.dialects import arith, func, memref, scf
from xdsl.dialects import math as mathd
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    Float32Type,
    Float64Type,
    FloatAttr,
    IndexType,
    IntegerAttr,
    IntegerType,
    MemRefType,
)
from xdsl.ir import Block, Operation, SSAValue

from ircc.backends.base import numpy_dtype
from ircc.backends.piuma import isa
from ircc.errors import BackendError
from ircc.ir.dialects.arith_ext import EXTRA_ARITH_OPS
from ircc.ir.dialects.math_ext import ErfcOp
from ircc.ir.reshape import view_root
from ircc.ir.dialects.piuma import (
    AtomicAddOp,
    BarrierOp,
    CasOp,
    DmaGatherOp,
    DmaScatterOp,
    LaunchOp,
    SpadAllocOp,
)

_INT_BINARY = {arith.AddiOp: isa.ADD_I, arith.SubiOp: isa.SUB_I, arith.MuliOp: isa.MUL_I, arith.DivSIOp: isa.DIV_I,
               arith.DivUIOp: isa.DIV_I, arith.RemSIOp: isa.REM_I, arith.RemUIOp: isa.REM_I,
               arith.FloorDivSIOp: isa.FLOORDIV_I, arith.MaxSIOp: isa.MAX_I, arith.MinSIOp: isa.MIN_I,
               arith.MaxUIOp: isa.MAX_I, arith.MinUIOp: isa.MIN_I, arith.AndIOp: isa.AND_I, arith.OrIOp: isa.OR_I,
               arith.XOrIOp: isa.XOR_I, arith.ShLIOp: isa.SHL_I, arith.ShRSIOp: isa.SHR_I, arith.ShRUIOp: isa.SHR_I}
_FLOAT_BINARY = {arith.AddfOp: isa.ADD_F, arith.SubfOp: isa.SUB_F, arith.MulfOp: isa.MUL_F, arith.DivfOp: isa.DIV_F,
                 arith.MaximumfOp: isa.MAX_F, arith.MinimumfOp: isa.MIN_F, arith.MaxnumfOp: isa.MAXNUM_F,
                 arith.MinnumfOp: isa.MINNUM_F, mathd.PowFOp: isa.POW_F, mathd.Atan2Op: isa.ATAN2_F,
                 mathd.CopySignOp: isa.COPYSIGN_F}
for _op in EXTRA_ARITH_OPS:  # arith.remf
    _FLOAT_BINARY[_op] = isa.REM_F
_UNARY = {mathd.ExpOp: "exp", mathd.LogOp: "log", mathd.SqrtOp: "sqrt", mathd.SinOp: "sin", mathd.CosOp: "cos",
          mathd.TanOp: "tan", mathd.TanhOp: "tanh", mathd.ErfOp: "erf", mathd.AbsFOp: "abs", mathd.FloorOp: "floor",
          mathd.CeilOp: "ceil", mathd.RsqrtOp: "rsqrt", mathd.Exp2Op: "exp2", mathd.Log2Op: "log2",
          mathd.Log10Op: "log10", mathd.Log1pOp: "log1p", mathd.ExpM1Op: "expm1", ErfcOp: "erfc",
          mathd.SinhOp: "sinh", mathd.CoshOp: "cosh", mathd.AsinOp: "asin", mathd.AcosOp: "acos",
          mathd.AtanOp: "atan", mathd.AsinhOp: "asinh", mathd.AcoshOp: "acosh", mathd.AtanhOp: "atanh",
          mathd.RoundEvenOp: "round", mathd.TruncOp: "trunc"}


_BITS = {mathd.CountTrailingZerosOp: "cttz", mathd.CountLeadingZerosOp: "ctlz", mathd.CtPopOp: "ctpop"}


#: ops with regions (and calls): the method of _LaunchCodegen that lays out their control flow
_STRUCTURED = {scf.ForOp: "for_loop", scf.IfOp: "if_op", scf.WhileOp: "while_loop", scf.ParallelOp: "serial_parallel",
               func.CallOp: "call"}


def _is_float(t) -> bool:
    return isinstance(t, (Float32Type, Float64Type))


def _file(t) -> str:
    if _is_float(t):
        return "f"
    if isinstance(t, (IndexType, IntegerType)):
        return "i"
    raise BackendError(f"values of type {t} are not simulated on piuma")


@dataclass
class Buffer:
    """A buffer slot: an argument, an allocation (DRAM) or a scratchpad allocation (a copy per core)."""

    slot: int
    dtype: np.dtype
    space: int  # 0 DRAM, 1 scratchpad (a copy per core), 2 DRAM, a copy per thread (allocated in a launch),
    # 3 DRAM, a heap that buffers sized by the threads come from
    arg: int | None = None  # the function argument it is
    op: Operation | None = None  # the allocation
    launch: int | None = None  # the launch it is made in (scratchpads, a thread's buffers)


@dataclass
class Launch:
    name: str
    program: isa.Program
    code: np.ndarray
    fimm: np.ndarray
    captured_i: list[Any]  # per integer register 0..: a host key
    captured_f: list[Any]
    nregs: int


@dataclass
class HostFunction:
    name: str
    op: func.FuncOp
    buffers: list[Buffer] = field(default_factory=list)
    launches: list[Launch] = field(default_factory=list)
    steps: list[Any] = field(default_factory=list)  # ("op", operation) | ("launch", index)
    heaps: dict[str, Buffer] = field(default_factory=dict)  # dtype -> the heap of buffers threads size

    def listing(self) -> str:
        out = [f"// @{self.name}: {len(self.buffers)} buffers, {len(self.launches)} launches"]
        for launch in self.launches:
            out.append(f"{launch.name}:  // integer registers in: {len(launch.captured_i)}, float: "
                       f"{len(launch.captured_f)}")
            out.append(launch.program.listing())
        return "\n".join(out)


def lower_function(op: func.FuncOp, callees: dict[str, func.FuncOp] | None = None) -> HostFunction:
    fn = HostFunction(op.sym_name.data, op)
    slots: dict[SSAValue, Buffer] = {}
    for k, a in enumerate(op.body.block.args):
        if isinstance(a.type, MemRefType):
            b = Buffer(len(fn.buffers), numpy_dtype(a.type.element_type), 0, arg=k)
            fn.buffers.append(b)
            slots[a] = b
    for top in op.body.block.ops:
        if isinstance(top, LaunchOp):
            for inner in top.walk():
                if isinstance(inner, (memref.AllocOp, memref.AllocaOp)) and not all(
                        _host_computable(v, top) for v in inner.dynamic_sizes):
                    dtype = numpy_dtype(inner.memref.type.element_type)  # sized by the thread: from a heap
                    if dtype.str not in fn.heaps:
                        fn.heaps[dtype.str] = Buffer(len(fn.buffers), dtype, 3)
                        fn.buffers.append(fn.heaps[dtype.str])
                    slots[inner.memref] = fn.heaps[dtype.str]
                elif isinstance(inner, (SpadAllocOp, memref.AllocOp, memref.AllocaOp)):
                    space = 1 if isinstance(inner, SpadAllocOp) else 2
                    b = Buffer(len(fn.buffers), numpy_dtype(inner.memref.type.element_type), space, op=inner,
                               launch=len(fn.launches))
                    fn.buffers.append(b)
                    slots[inner.memref] = b
            fn.steps.append(("launch", len(fn.launches)))
            codegen = _LaunchCodegen(fn, top, slots, f"{fn.name}_launch{len(fn.launches)}", callees or {})
            fn.launches.append(codegen.run())
        elif isinstance(top, (func.ReturnOp, memref.LoadOp)):  # the host reads what launches left in memory
            fn.steps.append(("op", top))
        elif isinstance(top, memref.AllocOp):
            b = Buffer(len(fn.buffers), numpy_dtype(top.memref.type.element_type), 0, op=top)
            fn.buffers.append(b)
            slots[top.memref] = b
            fn.steps.append(("op", top))
        elif isinstance(top, (scf.ParallelOp, scf.ForOp, scf.WhileOp, scf.IfOp, memref.StoreOp)):
            raise BackendError(f"@{fn.name}: {top.name} at the top level: run lower-piuma first (it makes loops "
                               "piuma.launch regions)")
        else:
            fn.steps.append(("op", top))
    fn.slots = slots
    return fn


class _LaunchCodegen:
    def __init__(self, fn: HostFunction, launch: LaunchOp, slots: dict[SSAValue, Buffer], name: str,
                 callees: dict[str, func.FuncOp]):
        self.fn, self.launch, self.slots, self.name, self.callees = fn, launch, slots, name, callees
        self.calls: list[str] = []  # the functions being inlined (a call to one of them is recursion)
        self.alias: dict[SSAValue, SSAValue] = {}  # an inlined callee's memref argument -> the caller's memref
        self.p = isa.Program()
        self.regs: dict[SSAValue, int] = {}
        self.free = {"i": [], "f": []}
        self.top = {"i": 0, "f": 0}
        self.captured = {"i": [], "f": []}
        self.borrowed: set[SSAValue] = set()  # values sharing another's register (a cast): never released
        self.labels = 0

    def resolve(self, m: SSAValue) -> SSAValue:
        while m in self.alias:
            m = self.alias[m]
        return m

    def where(self, op: Operation) -> str:
        return f" (in @{self.fn.name}, {self.name}: {op.name})"

    # -- registers ------------------------------------------------------------------------------------------
    def alloc(self, kind: str) -> int:
        if self.free[kind]:
            return self.free[kind].pop()
        r = self.top[kind]
        self.top[kind] += 1
        if r >= isa.REGISTERS:
            raise BackendError(f"{self.name}: more than {isa.REGISTERS} {'integer' if kind == 'i' else 'float'} "
                               f"values live at once in one thread (split the kernel)")
        return r

    def release(self, kind: str, r: int) -> None:
        self.free[kind].append(r)

    def forget(self, v: SSAValue) -> None:
        """``v``'s scope ended: its register is free again (unless it shares another value's)."""
        r = self.regs.pop(v)
        if v in self.borrowed:
            self.borrowed.discard(v)
            return
        self.release("i" if isinstance(v.type, MemRefType) else _file(v.type), r)

    def define(self, v: SSAValue) -> int:
        r = self.alloc(_file(v.type))
        self.regs[v] = r
        return r

    def capture(self, key: Any, kind: str) -> int:
        """A register holding a host value (the launch's inputs), loaded before the threads start."""
        for k, existing in enumerate(self.captured[kind]):
            if existing == key:
                return k
        self.captured[kind].append(key)
        return len(self.captured[kind]) - 1

    def reg(self, v: SSAValue, op: Operation) -> int:
        if v in self.regs:
            return self.regs[v]
        if isinstance(v.type, MemRefType):
            raise BackendError(f"a memref used as a value{self.where(op)}")
        if _inside(v, self.launch):
            raise BackendError(f"a value used before it is computed{self.where(op)}")
        r = self.capture(("value", v), _file(v.type))
        self.regs[v] = r
        return r

    def label(self) -> str:
        self.labels += 1
        return f"L{self.labels}"

    # -- the launch -----------------------------------------------------------------------------------------
    def run(self) -> Launch:
        # captured registers come first: reserve them after a scan, so every capture has its number up front
        for inner in self.launch.walk():
            for v in inner.operands:
                if not _inside(v, self.launch) and not isinstance(v.type, MemRefType):
                    self.capture(("value", v), _file(v.type))
                if isinstance(v.type, MemRefType) and not _inside(v, self.launch):
                    self.memref_registers(v)
            if isinstance(inner, memref.DimOp) and not _inside(inner.source, self.launch):
                self.capture(self.dim_key(inner), "i")
        for kind in "if":
            self.top[kind] = len(self.captured[kind])
        for key in self.captured["i"] + self.captured["f"]:
            if key[0] == "value":
                self.regs[key[1]] = self.capture(key, _file(key[1].type))
        block = self.launch.body.block
        tid, nthreads = block.args
        self.p.emit(isa.TID, self.define(tid), comment="thread id")
        self.p.emit(isa.NTHREADS, self.define(nthreads), comment="threads")
        self.block(block)
        self.p.emit(isa.END)
        code, fimm = self.p.finish()
        return Launch(self.name, self.p, code, fimm, list(self.captured["i"]), list(self.captured["f"]),
                      max(self.top["i"], self.top["f"], 1))

    def memref_registers(self, m: SSAValue) -> tuple[int, list[int]]:
        """Registers of a host memref's element offset and strides."""
        rank = len(m.type.get_shape())
        return self.capture(("offset", m), "i"), [self.capture(("stride", m, d), "i") for d in range(rank)]

    def block(self, block: Block, tail=None) -> None:
        """The block's ops; ``tail()`` (its terminator's copies) runs before the block's values die."""
        defined: list[SSAValue] = []
        for op in block.ops:
            self.op(op)
            defined += [r for r in op.results if r in self.regs]
        if tail is not None:
            tail()
        for v in defined:  # scope ends: the block's values die
            self.forget(v)

    # -- ops ------------------------------------------------------------------------------------------------
    def op(self, op: Operation) -> None:
        p = self.p
        if isinstance(op, (scf.YieldOp, scf.ReduceOp, func.ReturnOp)):
            return
        if isinstance(op, arith.ConstantOp):
            t = op.result.type
            r = self.define(op.result)
            if _is_float(t):
                value = float(op.value.value.data)
                if isinstance(t, Float32Type):
                    value = float(np.float32(value))
                p.emit(isa.IMM_F, r, imm=value)
            else:
                value = op.value.value.data if isinstance(op.value, IntegerAttr) else int(op.value.value.data)
                p.emit(isa.IMM_I, r, aux=int(value))
            return
        if type(op) in _INT_BINARY and not _is_float(op.results[0].type):
            a, b = (self.reg(v, op) for v in op.operands)
            p.emit(_INT_BINARY[type(op)], self.define(op.results[0]), a, b)
            return
        if type(op) in _BITS:
            width = op.results[0].type.width.data if isinstance(op.results[0].type, IntegerType) else 64
            p.emit(isa.BITS_I, self.define(op.results[0]), self.reg(op.operands[0], op), width,
                   aux=isa.BITS[_BITS[type(op)]])
            return
        if isinstance(op, arith.CeilDivSIOp):
            a, b = (self.reg(v, op) for v in op.operands)
            r = self.define(op.result)
            t, one = self.alloc("i"), self.alloc("i")
            p.emit(isa.IMM_I, one, aux=1)
            p.emit(isa.SUB_I, t, b, one)
            p.emit(isa.ADD_I, t, a, t)
            p.emit(isa.FLOORDIV_I, r, t, b)
            self.release("i", t)
            self.release("i", one)
            return
        if type(op) in _FLOAT_BINARY:
            a, b = (self.reg(v, op) for v in op.operands)
            p.emit(_FLOAT_BINARY[type(op)], self.define(op.results[0]), a, b, flags=_f32(op.results[0]))
            return
        if type(op) in _UNARY:
            a = self.reg(op.operands[0], op)
            p.emit(isa.UNARY_F, self.define(op.results[0]), a, aux=isa.UNARY[_UNARY[type(op)]],
                   flags=_f32(op.results[0]))
            return
        if isinstance(op, arith.NegfOp):
            p.emit(isa.NEG_F, self.define(op.result), self.reg(op.operand, op), flags=_f32(op.result))
            return
        if isinstance(op, mathd.FmaOp):
            a, b, c = (self.reg(v, op) for v in op.operands)
            p.emit(isa.FMA_F, self.define(op.result), a, b, c, flags=_f32(op.result))
            return
        if isinstance(op, arith.CmpiOp):
            a, b = (self.reg(v, op) for v in op.operands)
            p.emit(isa.CMP_I, self.define(op.result), a, b, aux=op.predicate.value.data)
            return
        if isinstance(op, arith.CmpfOp):
            a, b = (self.reg(v, op) for v in op.operands)
            p.emit(isa.CMP_F, self.define(op.result), a, b, aux=op.predicate.value.data)
            return
        if isinstance(op, arith.SelectOp):
            c, a, b = (self.reg(v, op) for v in op.operands)
            kind = isa.SEL_F if _is_float(op.result.type) else isa.SEL_I
            p.emit(kind, self.define(op.result), a, b, c)
            return
        if isinstance(op, (arith.IndexCastOp, arith.ExtSIOp, arith.ExtUIOp)):  # registers hold 64 bits: the same one
            self.regs[op.results[0]] = self.reg(op.operands[0], op)
            self.borrowed.add(op.results[0])
            return
        if isinstance(op, arith.TruncIOp):
            src = self.reg(op.operands[0], op)
            width = op.results[0].type.width.data
            r = self.define(op.results[0])
            if width == 1:
                one = self.alloc("i")
                p.emit(isa.IMM_I, one, aux=1)
                p.emit(isa.AND_I, r, src, one)
                self.release("i", one)
            else:
                p.emit(isa.MOV_I, r, src)
            return
        if isinstance(op, (arith.SIToFPOp, arith.UIToFPOp)):
            kind = isa.U2F if isinstance(op, arith.UIToFPOp) else isa.I2F
            p.emit(kind, self.define(op.result), self.reg(op.input, op))
            if isinstance(op.result.type, Float32Type):
                p.emit(isa.MOV_F, self.regs[op.result], self.regs[op.result], flags=isa.ROUND_F32)
            return
        if isinstance(op, (arith.FPToSIOp, arith.FPToUIOp)):
            p.emit(isa.F2I, self.define(op.result), self.reg(op.input, op))
            return
        if isinstance(op, (arith.ExtFOp, arith.TruncFOp)):
            p.emit(isa.MOV_F, self.define(op.result), self.reg(op.input, op), flags=_f32(op.result))
            return
        if isinstance(op, memref.LoadOp):
            index = self.address(op.memref, op.indices, op)
            kind = isa.LOAD_F if _is_float(op.res.type) else isa.LOAD_I
            p.emit(kind, self.define(op.res), self.index_register(index), aux=self.slot(op.memref, op).slot)
            self.done(index)
            return
        if isinstance(op, memref.StoreOp):
            index = self.address(op.memref, op.indices, op)
            kind = isa.STORE_F if _is_float(op.value.type) else isa.STORE_I
            p.emit(kind, 0, self.index_register(index), self.reg(op.value, op), aux=self.slot(op.memref, op).slot)
            self.done(index)
            return
        if isinstance(op, AtomicAddOp):
            index = self.address(op.memref, op.indices, op)
            kind = isa.ATOMIC_ADD_F if _is_float(op.value.type) else isa.ATOMIC_ADD_I
            p.emit(kind, self.define(op.old), self.index_register(index), self.reg(op.value, op),
                   aux=self.slot(op.memref, op).slot, flags=_f32(op.old))
            self.done(index)
            return
        if isinstance(op, CasOp):
            if _is_float(op.old.type):
                raise BackendError(f"piuma.cas on floats{self.where(op)}")
            index = self.address(op.memref, op.indices, op)
            p.emit(isa.CAS_I, self.define(op.old), self.index_register(index), self.reg(op.expected, op),
                   self.reg(op.new, op), aux=self.slot(op.memref, op).slot)
            self.done(index)
            return
        if isinstance(op, BarrierOp):
            p.emit(isa.BARRIER, aux=1 if op.core is not None else 0)
            return
        if isinstance(op, (DmaGatherOp, DmaScatterOp)):
            for m in (op.src, op.idx, op.dst):
                if len(m.type.get_shape()) != 1:
                    raise BackendError(f"{op.name} of a memref of rank {len(m.type.get_shape())} (it "
                                       f"takes 1-D buffers){self.where(op)}")
            if _file(op.idx.type.element_type) != "i" or _is_float(op.src.type.element_type) != _is_float(
                    op.dst.type.element_type):
                raise BackendError(f"{op.name}: integer indices and one element kind{self.where(op)}")
            offsets = [self.offset_register(m, op) for m in (op.dst, op.src, op.idx)]
            kind = isa.DMA_GATHER if isinstance(op, DmaGatherOp) else isa.DMA_SCATTER
            p.emit(kind, offsets[0], self.reg(op.n, op), offsets[1], offsets[2],
                   aux=self.slot(op.dst, op).slot, comment="the core's DMA engine")
            p.emit(isa.DMA_ARGS, 0, 0, self.slot(op.idx, op).slot, 0, aux=self.slot(op.src, op).slot)
            for r in offsets:
                self.release("i", r)
            return
        if isinstance(op, (memref.AllocOp, memref.AllocaOp)) and self.slots[op.memref].space == 3:
            shape = op.memref.type.get_shape()
            if any(d < 0 for d in shape[1:]):
                raise BackendError(f"a buffer made in a launch with a dynamic size after its first dimension"
                                   f"{self.where(op)}")
            size = self.alloc("i")
            p.emit(isa.IMM_I, size, aux=int(np.prod([d for d in shape[1:]] or [1])))
            first = shape[0] if shape else 1
            if first < 0:
                p.emit(isa.MUL_I, size, size, self.reg(op.dynamic_sizes[0], op))
            else:
                tmp = self.alloc("i")
                p.emit(isa.IMM_I, tmp, aux=first)
                p.emit(isa.MUL_I, size, size, tmp)
                self.release("i", tmp)
            base = self.alloc("i")
            p.emit(isa.ALLOC_HEAP, base, size, aux=self.slots[op.memref].slot, comment="a buffer the thread sized")
            self.release("i", size)
            self.regs[op.memref] = base  # the memref is its base index in the heap
            return
        if isinstance(op, (SpadAllocOp, memref.AllocOp, memref.AllocaOp, memref.DeallocOp)):
            return  # a buffer slot of its own, sized on the host when the launch starts
        if isinstance(op, memref.CastOp):  # another type for the same buffer (a static shape made dynamic)
            self.alias[op.dest] = self.resolve(op.source)
            return
        if isinstance(op, memref.DimOp):
            source = self.resolve(op.source)
            if source is not op.source:
                d = _const_int(op.index)
                if d is None:
                    raise BackendError(f"memref.dim with a computed dimension in a callee{self.where(op)}")
                if _inside(source, self.launch):
                    raise BackendError(f"memref.dim in a callee of a buffer made in the launch{self.where(op)}")
                self.regs[op.result] = self.capture(("dim", source, d), "i")
                return
            if _inside(op.source, self.launch):
                owner, d = op.source.owner, _const_int(op.index)
                shape = op.source.type.get_shape()
                if not isinstance(owner, (memref.AllocOp, memref.AllocaOp)) or d is None:
                    raise BackendError(f"memref.dim of a memref made inside the launch{self.where(op)}")
                r = self.define(op.result)
                if shape[d] >= 0:
                    self.p.emit(isa.IMM_I, r, aux=shape[d])
                else:
                    size = owner.dynamic_sizes[sum(1 for x in shape[:d] if x < 0)]
                    self.p.emit(isa.MOV_I, r, self.reg(size, op))
                return
            r = self.capture(self.dim_key(op), "i")
            self.regs[op.result] = r
            return
        structured = _STRUCTURED.get(type(op))
        if structured is not None:
            getattr(self, structured)(op)
            return
        raise BackendError(f"the piuma backend does not simulate {op.name} yet{self.where(op)}")

    def call(self, op: func.CallOp) -> None:
        """The callee's body inline (the machine has no call stack here): its arguments are the caller's
        registers, its results copied into the call's."""
        name = op.callee.string_value()
        callee = self.callees.get(name)
        if callee is None or not callee.body.blocks:
            raise BackendError(f"a call to @{name}, which has no body in this module{self.where(op)}")
        if name in self.calls:
            shown = [c.removesuffix("__in_thread") for c in self.calls]  # lower-piuma's copies for threads
            raise BackendError(f"recursion (@{shown[0]} calls itself, through {' -> '.join(shown)}): the "
                               f"piuma backend inlines calls{self.where(op)}")
        self.calls.append(name)
        body = callee.body.block
        results = [self.define(r) for r in op.results]
        for arg, value in zip(body.args, op.arguments):
            if isinstance(arg.type, MemRefType):
                self.alias[arg] = self.resolve(value)  # the callee's memref is the caller's
            else:
                self.regs[arg] = self.reg(value, op)
        end = self.label()
        if len([o for o in callee.walk() if isinstance(o, func.ReturnOp)]) != 1 or not isinstance(
                body.last_op, func.ReturnOp):
            raise BackendError(f"@{name} returns from more than one place{self.where(op)}")
        self.block(body, lambda: self.parallel_copy(results, list(body.last_op.operands),
                                                    [r.type for r in op.results], op))
        self.p.label(end)
        for arg in body.args:
            self.regs.pop(arg, None)
        self.calls.pop()

    def dim_key(self, op: memref.DimOp) -> tuple:
        """The host key of a size: the dimension number as a constant where it is one."""
        index = op.index
        if isinstance(index.owner, arith.ConstantOp):
            return ("dim", op.source, index.owner.value.value.data)
        if _inside(index, self.launch):
            raise BackendError(f"memref.dim with a dimension computed by the threads{self.where(op)}")
        return ("dim", op.source, index)

    def serial_parallel(self, op: scf.ParallelOp) -> None:
        """An ``scf.parallel`` inside a thread (with reductions): its points in order, each value combined
        into the accumulators by the ``scf.reduce`` regions."""
        p = self.p
        body = op.body.block
        reduce_op = body.last_op
        accs = []
        for init, result in zip(op.initVals, op.results):
            r = self.define(result)
            p.emit(_mov(result.type), r, self.reg(init, op))
            accs.append(r)
        ends = []
        for iv, lb, ub, step in zip(body.args, op.lowerBound, op.upperBound, op.step):
            r = self.define(iv)
            p.emit(isa.MOV_I, r, self.reg(lb, op))
            top, end = self.label(), self.label()
            cond = self.alloc("i")
            p.label(top)
            p.emit(isa.CMP_I, cond, r, self.reg(ub, op), aux=2)
            p.jump(isa.BRZ, end, a=cond)
            ends.append((top, end, r, step, cond))

        def combine() -> None:
            for acc, value, region in zip(accs, reduce_op.args, reduce_op.reductions):
                block = region.block
                for arg, reg in zip(block.args, (acc, self.reg(value, reduce_op))):
                    self.regs[arg] = reg
                for inner in block.ops:
                    if not isinstance(inner, scf.ReduceReturnOp):
                        self.op(inner)
                out = self.reg(block.last_op.operands[0], reduce_op)
                p.emit(_mov(block.args[0].type), acc, out)
                for inner in block.ops:
                    for r in inner.results:
                        if r in self.regs:
                            self.forget(r)
                for arg in block.args:
                    self.regs.pop(arg)

        self.block(body, combine)
        for top, end, r, step, cond in reversed(ends):
            p.emit(isa.ADD_I, r, r, self.reg(step, op))
            p.jump(isa.JMP, top)
            p.label(end)
            self.release("i", cond)
        for iv in body.args:
            self.release("i", self.regs.pop(iv))

    def slot(self, m: SSAValue, op: Operation) -> Buffer:
        base = view_root(self.resolve(m))
        if base not in self.slots:
            raise BackendError(f"a memref the piuma backend cannot place (only the function's arguments, "
                               f"memref.alloc at the top level and piuma.spad_alloc){self.where(op)}")
        return self.slots[base]

    def address(self, m: SSAValue, indices, op: Operation) -> int:
        """A fresh register with the element index of ``m[indices]`` in its buffer -- or ``-1 - r`` where
        register ``r`` already holds it (``index_register`` reads either; ``done`` frees a fresh one)."""
        p = self.p
        m = self.resolve(m)
        if _inside(m, self.launch):
            if not isinstance(m.owner, (SpadAllocOp, memref.AllocOp, memref.AllocaOp)):
                raise BackendError(f"a view made inside the launch{self.where(op)}")
            shape = m.type.get_shape()
            if any(d < 0 for d in shape[1:]):
                raise BackendError(f"a buffer made in a launch with a dynamic size after its first dimension"
                                   f"{self.where(op)}")
            strides = [int(np.prod(shape[d + 1:])) for d in range(len(shape))]
            if self.slots[m].space != 3 and len(indices) == 1:  # its own 1-D buffer: the index itself
                return -1 - self.reg(indices[0], op)
            out = self.alloc("i")
            if self.slots[m].space == 3:  # from the heap: its base, then the element's place
                p.emit(isa.MOV_I, out, self.regs[m])
            else:
                p.emit(isa.IMM_I, out, aux=0)
            tmp = self.alloc("i")
            for idx, st in zip(indices, strides):
                p.emit(isa.IMM_I, tmp, aux=st)
                p.emit(isa.MUL_I, tmp, self.reg(idx, op), tmp)
                p.emit(isa.ADD_I, out, out, tmp)
            self.release("i", tmp)
            return out
        offset, strides = self.memref_registers(m)
        out = self.alloc("i")
        indices = list(indices)
        if m in self.slots:  # a whole buffer: offset 0 and a last stride of 1, known here
            if not indices:
                p.emit(isa.IMM_I, out, aux=0)
                return out
            if len(indices) == 1:  # the index itself: no instruction
                self.release("i", out)
                return -1 - self.reg(indices[0], op)
            p.emit(isa.MOV_I, out, self.reg(indices[-1], op))
            pairs = list(zip(indices[:-1], strides[:-1]))
        else:
            p.emit(isa.MOV_I, out, offset)
            pairs = list(zip(indices, strides))
        tmp = self.alloc("i")
        for idx, st in pairs:
            p.emit(isa.MUL_I, tmp, self.reg(idx, op), st)
            p.emit(isa.ADD_I, out, out, tmp)
        self.release("i", tmp)
        return out

    def offset_register(self, m: SSAValue, op: Operation) -> int:
        """A fresh register with ``m``'s first element's place in its buffer."""
        m = self.resolve(m)
        r = self.alloc("i")
        if m in self.slots or _inside(m, self.launch):
            if _inside(m, self.launch) and self.slots[m].space == 3:
                self.p.emit(isa.MOV_I, r, self.regs[m])
            else:
                self.p.emit(isa.IMM_I, r, aux=0)
        else:
            self.p.emit(isa.MOV_I, r, self.memref_registers(m)[0])
        return r

    @staticmethod
    def index_register(r: int) -> int:
        return -1 - r if r < 0 else r

    def done(self, r: int) -> None:
        if r >= 0:
            self.release("i", r)

    def for_loop(self, op: scf.ForOp) -> None:
        p = self.p
        lb, ub, step = (self.reg(v, op) for v in (op.lb, op.ub, op.step))
        body = op.body.block
        iv = self.define(body.args[0])
        p.emit(isa.MOV_I, iv, lb)
        carried = []
        for arg, init, result in zip(body.args[1:], op.iter_args, op.results):
            r = self.define(arg)
            p.emit(_mov(arg.type), r, self.reg(init, op))
            carried.append(r)
            self.regs[result] = r
        top, end = self.label(), self.label()
        cond = self.alloc("i")
        p.label(top)
        p.emit(isa.CMP_I, cond, iv, ub, aux=2)  # slt
        p.jump(isa.BRZ, end, a=cond)
        self.block(body, lambda: self.parallel_copy(carried, list(body.last_op.operands),
                                                    [a.type for a in body.args[1:]], op))
        p.emit(isa.ADD_I, iv, iv, step)
        p.jump(isa.JMP, top)
        p.label(end)
        self.release("i", cond)
        self.release("i", self.regs.pop(body.args[0]))
        for arg in body.args[1:]:
            self.regs.pop(arg)  # the registers now hold the loop's results (released with them)

    def parallel_copy(self, dests: list[int], values: list[SSAValue], types, op: Operation) -> None:
        """dests <- values, all read before any is written (a yield may swap carried values): moves whose
        destination no pending move still reads go first; a cycle goes through one temporary."""
        moves = [((_file(t), d), (_file(t), self.reg(v, op)), t) for d, v, t in zip(dests, values, types)]
        moves = [m for m in moves if m[0] != m[1]]
        temps = []
        while moves:
            read = {src for _, src, _ in moves}
            ready = [m for m in moves if m[0] not in read]
            if not ready:  # a cycle: park one source in a temporary
                (kind, r), t = moves[0][1], moves[0][2]
                tmp = self.alloc(kind)
                temps.append((kind, tmp))
                self.p.emit(_mov(t), tmp, r)
                moves = [(d, (kind, tmp) if src == (kind, r) else src, mt) for d, src, mt in moves]
                continue
            for (_, d), (_, r), t in ready:
                self.p.emit(_mov(t), d, r)
            moves = [m for m in moves if m not in ready]
        for kind, tmp in temps:
            self.release(kind, tmp)

    def if_op(self, op: scf.IfOp) -> None:
        p = self.p
        cond = self.reg(op.cond, op)
        results = [self.define(r) for r in op.results]
        otherwise, end = self.label(), self.label()
        p.jump(isa.BRZ, otherwise, a=cond)
        types = [r.type for r in op.results]
        then = op.true_region.block
        self.block(then, lambda: self.parallel_copy(results, list(then.last_op.operands), types, op))
        p.jump(isa.JMP, end)
        p.label(otherwise)
        if op.false_region.blocks:
            other = op.false_region.block
            self.block(other, lambda: self.parallel_copy(results, list(other.last_op.operands), types, op))
        p.label(end)

    def while_loop(self, op: scf.WhileOp) -> None:
        p = self.p
        before, after = op.before_region.block, op.after_region.block
        condition = before.last_op
        values = list(condition.operands[1:])
        results = [self.define(r) for r in op.results]
        # the usual loop forwards its carried values unchanged: they live in the results' registers
        forwards = values == list(before.args)
        args = results if forwards else [self.define(a) for a in before.args]
        if forwards:
            for a, r in zip(before.args, results):
                self.regs[a] = r
        self.parallel_copy(args, list(op.arguments), [a.type for a in before.args], op)
        top, end = self.label(), self.label()
        p.label(top)
        for inner in before.ops:
            if inner is not condition:
                self.op(inner)
        if not forwards:
            self.parallel_copy(results, values, [r.type for r in op.results], op)
        p.jump(isa.BRZ, end, a=self.reg(condition.operands[0], op))
        for a, r in zip(after.args, results):
            self.regs[a] = r
        for inner in after.ops:
            if not isinstance(inner, scf.YieldOp):
                self.op(inner)
        self.parallel_copy(args, list(after.last_op.operands), [a.type for a in before.args], op)
        for block in (before, after):  # values made inside the loop die with it
            for inner in block.ops:
                for r in inner.results:
                    if r in self.regs:
                        self.forget(r)
        for a in after.args:
            self.regs.pop(a, None)
        p.jump(isa.JMP, top)
        p.label(end)
        for a in before.args:
            r = self.regs.pop(a)
            if not forwards:
                self.release(_file(a.type), r)


def _host_computable(v: SSAValue, launch: Operation) -> bool:
    """Whether the host can compute ``v`` before the launch: made outside it, or arithmetic on such."""
    if not _inside(v, launch):
        return True
    op = v.owner
    if isinstance(op, Operation) and (isinstance(op, arith.ConstantOp) or type(op) in _HOST_INT
                                      or isinstance(op, (arith.IndexCastOp, arith.ExtSIOp, arith.ExtUIOp))):
        return all(_host_computable(o, launch) for o in op.operands)
    return False


def _const_int(v: SSAValue) -> int | None:
    o = v.owner
    return o.value.value.data if isinstance(o, arith.ConstantOp) and isinstance(o.value, IntegerAttr) else None


def _mov(t) -> int:
    return isa.MOV_F if _is_float(t) else isa.MOV_I


def _f32(v: SSAValue) -> int:
    return isa.ROUND_F32 if isinstance(v.type, Float32Type) else 0


def _inside(v: SSAValue, launch: Operation) -> bool:
    """Whether ``v`` is made inside ``launch`` (by an op or a block there)."""
    return launch.is_ancestor(v.owner)


# -- host evaluation ----------------------------------------------------------------------------------------
_HOST_INT = {arith.AddiOp: lambda a, b: a + b, arith.SubiOp: lambda a, b: a - b, arith.MuliOp: lambda a, b: a * b,
             arith.DivSIOp: lambda a, b: int(a / b) if b else 0, arith.RemSIOp: lambda a, b: int(math.fmod(a, b)),
             arith.FloorDivSIOp: lambda a, b: a // b, arith.CeilDivSIOp: lambda a, b: -(-a // b),
             arith.MaxSIOp: max, arith.MinSIOp: min, arith.DivUIOp: lambda a, b: a // b,
             arith.RemUIOp: lambda a, b: a % b}
_HOST_FLOAT = {arith.AddfOp: lambda a, b: a + b, arith.SubfOp: lambda a, b: a - b, arith.MulfOp: lambda a, b: a * b,
               arith.DivfOp: lambda a, b: a / b if b else math.copysign(math.inf, a)}


def host_value(op: Operation, env: dict) -> None:
    """Evaluate one top-level host op into ``env`` (scalars as Python numbers, memrefs as ``View``)."""
    if isinstance(op, arith.ConstantOp):
        v = op.value
        env[op.result] = float(v.value.data) if isinstance(v, FloatAttr) else int(v.value.data)
    elif type(op) in _HOST_INT:
        env[op.results[0]] = _HOST_INT[type(op)](*(env[v] for v in op.operands))
    elif type(op) in _HOST_FLOAT:
        env[op.results[0]] = _HOST_FLOAT[type(op)](*(env[v] for v in op.operands))
    elif isinstance(op, (arith.IndexCastOp, arith.ExtSIOp, arith.ExtUIOp)):
        env[op.results[0]] = int(env[op.operands[0]])
    elif isinstance(op, arith.SIToFPOp):
        env[op.result] = float(env[op.input])
    elif isinstance(op, memref.DimOp):
        env[op.result] = env[op.source].shape[env[op.index]]
    elif isinstance(op, memref.CastOp):
        env[op.dest] = env[op.source]
    elif isinstance(op, (memref.CollapseShapeOp, memref.ExpandShapeOp)):
        src = env[op.operands[0]]
        if isinstance(op, memref.CollapseShapeOp):
            groups = [[d.value.data for d in g] for g in op.reassociation]
            shape = tuple(int(np.prod([src.shape[d] for d in g])) for g in groups)
        else:
            dynamic = iter(env[v] for v in op.operands[1:])
            shape = tuple(d if d >= 0 else next(dynamic) for d in op.static_output_shape.get_values())
        env[op.results[0]] = View(src.slot, src.offset, _contiguous(shape), shape)
    elif isinstance(op, memref.SubviewOp):
        src = env[op.source]
        def fill(static, dynamic) -> list[int]:  # the static list with its dynamic entries from the operands
            values = iter(env[v] for v in dynamic)
            return [x if x != DYNAMIC_INDEX else next(values) for x in static.get_values()]

        offsets, sizes = fill(op.static_offsets, op.offsets), fill(op.static_sizes, op.sizes)
        steps = fill(op.static_strides, op.strides)
        offset = src.offset + sum(o * s for o, s in zip(offsets, src.strides))
        kept = [d for d in range(len(sizes)) if len(op.result.type.get_shape()) == len(sizes) or sizes[d] != 1]
        env[op.result] = View(src.slot, offset, tuple(src.strides[d] * steps[d] for d in kept),
                              tuple(sizes[d] for d in kept))
    elif isinstance(op, (memref.DeallocOp, func.ReturnOp)):
        pass
    else:
        raise BackendError(f"the piuma backend's host does not evaluate {op.name} yet")


def host_eval(v: SSAValue, env: dict) -> Any:
    """A size the host can compute: a value it has, or pure arithmetic on such values (a buffer made in a
    launch is sized from them before the threads start)."""
    if v in env:
        return env[v]
    op = v.owner
    if isinstance(op, Operation) and (isinstance(op, arith.ConstantOp) or type(op) in _HOST_INT
                                      or isinstance(op, (arith.IndexCastOp, arith.ExtSIOp, arith.ExtUIOp))):
        local = {o: host_eval(o, env) for o in op.operands}
        host_value(op, local)
        return local[v]
    what = op.name if isinstance(op, Operation) else "a block argument"
    raise BackendError(f"a buffer made in a launch whose size the threads compute ({what}); size it from values "
                       "known before the launch")


@dataclass(frozen=True)
class View:
    slot: int
    offset: int
    strides: tuple[int, ...]
    shape: tuple[int, ...]


def _contiguous(shape) -> tuple[int, ...]:
    return tuple(int(np.prod(shape[d + 1:])) for d in range(len(shape)))
