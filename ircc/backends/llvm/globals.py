"""``memref.global`` as an LLVM constant, ``memref.get_global`` as a descriptor pointing at it.

A constant global with a dense initial value becomes one private ``unnamed_addr constant [N x i8]`` (its bytes,
little-endian, as the process stores them: ``i1`` one byte 0/1 per element, as the backend's memrefs keep it;
all zeros as ``zeroinitializer``), aligned at the op's ``alignment`` or 64 bytes. It is emitted on the first
``get_global`` naming it, so a module's unused globals cost nothing. The bytes go into llvmlite in one
``bytearray``: a 4 MB global is one constant, not a million.

```llvm
@"ircc.global.w0" = private unnamed_addr constant [24 x i8] c"\\00\\00\\80?...", align 64
```
``get_global`` yields ``{NOT_OWNED, ptr @g, 0, sizes, row-major strides}``, all static: the allocated pointer is
MLIR's 0xdeadbeef marker, so a function returning the global (or a view of it) hands the caller a copy instead
of memory to free. Mutable globals are a ``BackendError``: the interpreter gives each call a fresh copy, a
native global would keep stores across calls.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from xdsl.dialects import memref

from ircc.backends.llvm.lower import FunctionLowerer, ModuleLowering
from ircc.backends.llvm.types import I8, I64, NOT_OWNED, PTR, Memref
from ircc.backends.memref_globals import DEFAULT_ALIGNMENT, constant_global_array, find_global, module_globals

BACKEND = "llvm"


def global_constant(ml: ModuleLowering, op: memref.GetGlobalOp) -> ir.GlobalVariable:
    """The LLVM constant holding the global ``op`` reads, emitted on first use (an opaque ``ptr`` value)."""
    name = op.name_.string_value()
    existing = ml.globals.get(name)
    if existing is not None:
        return existing
    glob = find_global(module_globals(ml.module), op, BACKEND)
    data = np.ascontiguousarray(constant_global_array(glob, BACKEND))
    raw = data.tobytes()  # numpy's bool is one byte 0/1, as the backend stores i1
    array_t = ir.ArrayType(I8, len(raw))
    zero = not np.frombuffer(raw, dtype=np.uint8).any()
    g = ir.GlobalVariable(ml.llmod, array_t, f"ircc.global.{name}")
    g.initializer = ir.Constant(array_t, None if zero else bytearray(raw))
    g.global_constant = True
    g.unnamed_addr = True
    g.linkage = "private"
    requested = glob.alignment.value.data if glob.alignment is not None else DEFAULT_ALIGNMENT
    g.align = max(int(requested), data.dtype.itemsize)
    g.type = PTR  # llvmlite would type the pointer ([N x i8]*); descriptors hold opaque pointers
    ml.globals[name] = g
    return g


def lower_get_global(lo: FunctionLowerer, op: memref.GetGlobalOp) -> None:
    """``memref.get_global``: a descriptor of static sizes and identity strides over the global's constant."""
    g = global_constant(lo.ml, op)
    t = op.memref.type
    shape = t.get_shape()
    strides = [1] * len(shape)
    for k in range(len(shape) - 2, -1, -1):
        strides[k] = strides[k + 1] * shape[k + 1]
    not_owned = ir.Constant(I64, NOT_OWNED).inttoptr(PTR)
    lo.values[op.memref] = Memref(t, not_owned, g, ir.Constant(I64, 0), [ir.Constant(I64, d) for d in shape],
                                  [ir.Constant(I64, s) for s in strides])
