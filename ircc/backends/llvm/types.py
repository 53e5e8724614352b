"""IR types to LLVM types, and the memref descriptor (MLIR's calling convention)."""

from __future__ import annotations

from dataclasses import dataclass

from llvmlite import ir
from xdsl.dialects.builtin import (
    Float16Type,
    Float32Type,
    Float64Type,
    IndexType,
    IntegerType,
    MemRefType,
    NoneAttr,
    StridedLayoutAttr,
)
from xdsl.ir import Attribute

from ircc.errors import BackendError

PTR = ir.PointerType()
I1, I8, I32, I64 = ir.IntType(1), ir.IntType(8), ir.IntType(32), ir.IntType(64)
VOID = ir.VoidType()
#: the ``allocated`` pointer of a descriptor over memory nobody frees (a constant ``memref.global``), as MLIR's
#: lowering marks it: ``memref.dealloc`` of it is undefined, and a returned memref carrying it is copied out
NOT_OWNED = 0xDEADBEEF


def alloca(b: ir.IRBuilder, t: ir.Type, size: ir.Value | None = None) -> ir.Value:
    """``alloca`` returning an opaque ``ptr`` (llvmlite would type the pointer, which LLVM no longer parses)."""
    inst = b.alloca(t, size=size)
    inst.type = PTR
    return inst


def scalar_type(t: Attribute) -> ir.Type:
    match t:
        case Float64Type():
            return ir.DoubleType()
        case Float32Type():
            return ir.FloatType()
        case Float16Type():
            return ir.HalfType()
        case IndexType():
            return I64
        case IntegerType():
            return ir.IntType(t.width.data)
    raise BackendError(f"the llvm backend cannot lower values of type {t}")


def descriptor_type(t: MemRefType) -> ir.LiteralStructType:
    """``{ptr allocated, ptr aligned, i64 offset, [rank x i64] sizes, [rank x i64] strides}``."""
    rank = len(t.get_shape())
    fields: list[ir.Type] = [PTR, PTR, I64]
    if rank:
        fields += [ir.ArrayType(I64, rank), ir.ArrayType(I64, rank)]
    return ir.LiteralStructType(fields)


def value_type(t: Attribute) -> ir.Type:
    """The LLVM type of a value of IR type ``t`` when it travels as one value (results, env slots)."""
    return descriptor_type(t) if isinstance(t, MemRefType) else scalar_type(t)


def expanded_arg_types(t: Attribute) -> list[ir.Type]:
    """A function argument as MLIR's default LLVM lowering expands it."""
    if isinstance(t, MemRefType):
        rank = len(t.get_shape())
        return [PTR, PTR, I64] + [I64] * (2 * rank)
    return [scalar_type(t)]


def check_layout(t: MemRefType) -> None:
    layout = t.layout
    if isinstance(layout, NoneAttr):
        return
    if isinstance(layout, StridedLayoutAttr):
        return
    raise BackendError(f"the llvm backend supports identity and strided memref layouts, not {layout} in {t}")


@dataclass
class Memref:
    """A memref value inside a lowered function: the descriptor's fields as LLVM values."""

    type: MemRefType
    allocated: ir.Value
    aligned: ir.Value
    offset: ir.Value
    sizes: list[ir.Value]
    strides: list[ir.Value]

    @property
    def element(self) -> ir.Type:
        return scalar_type(self.type.element_type)

    def fields(self) -> list[ir.Value]:
        return [self.allocated, self.aligned, self.offset, *self.sizes, *self.strides]

    def pack(self, b: ir.IRBuilder) -> ir.Value:
        struct_t = descriptor_type(self.type)
        v = ir.Constant(struct_t, ir.Undefined)
        v = b.insert_value(v, self.allocated, 0)
        v = b.insert_value(v, self.aligned, 1)
        v = b.insert_value(v, self.offset, 2)
        for i, s in enumerate(self.sizes):
            v = b.insert_value(v, s, [3, i])
        for i, s in enumerate(self.strides):
            v = b.insert_value(v, s, [4, i])
        return v

    @staticmethod
    def unpack(b: ir.IRBuilder, t: MemRefType, v: ir.Value) -> Memref:
        rank = len(t.get_shape())
        return Memref(t, b.extract_value(v, 0), b.extract_value(v, 1), b.extract_value(v, 2),
                      [b.extract_value(v, [3, i]) for i in range(rank)],
                      [b.extract_value(v, [4, i]) for i in range(rank)])

    @staticmethod
    def from_fields(t: MemRefType, values: list[ir.Value]) -> Memref:
        rank = len(t.get_shape())
        return Memref(t, values[0], values[1], values[2], list(values[3:3 + rank]),
                      list(values[3 + rank:3 + 2 * rank]))
