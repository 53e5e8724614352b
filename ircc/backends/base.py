"""What every backend is: a name, the lowering passes it needs, and ``emit``.

The calling convention (DESIGN.md) at the Python boundary, shared by every backend:

* a ``memref<...xT>`` argument is a numpy array of dtype ``T`` and the memref's rank, C-contiguous
  for the identity layout, any strides for ``strided<[?, ...], offset: ?>``; static dimensions must match;
* an ``index`` / ``iN`` / ``fN`` argument is a Python or numpy scalar;
* results: ``None`` for none, the value for one, a tuple for several; a returned memref is a numpy
  array that owns its memory (``memref.alloc`` in the callee).

Inside native code memrefs travel as MLIR's descriptor (allocated pointer, aligned pointer, offset,
sizes, strides), so ``memref.dim`` and N-D dynamic shapes work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import (
    Float16Type,
    Float32Type,
    Float64Type,
    IndexType,
    IntegerType,
    MemRefType,
    ModuleOp,
    StridedLayoutAttr,
)
from xdsl.ir import Attribute

from ircc.errors import ArgumentError, BackendError

#: A function attribute ``ircc.scalar_entry = N : i64`` says: the function's arguments are memrefs,
#: the last N are outputs, and one point can be computed by calling it with Python numbers -- each
#: input memref holds one element, every dynamic size is 1. The entry ``<name>:scalar(*numbers, *outs)``
#: takes the inputs as numbers and each output as a writable contiguous array of its static size
#: (dynamic sizes 1), fills them and returns None -- or NotImplemented, touching nothing, when an
#: input is not exactly a Python float or int. The llvm backend makes it a CPython fastcall
#: function; other backends get ``scalar_entry_fallback``.
SCALAR_ENTRY_ATTR = "ircc.scalar_entry"


def numpy_dtype(t: Attribute) -> np.dtype:
    """The numpy dtype of a scalar IR type (index is int64, i1 is bool)."""
    match t:
        case Float64Type():
            return np.dtype(np.float64)
        case Float32Type():
            return np.dtype(np.float32)
        case Float16Type():
            return np.dtype(np.float16)
        case IndexType():
            return np.dtype(np.int64)
        case IntegerType():
            width = t.width.data
            if width == 1:
                return np.dtype(np.bool_)
            if width in (8, 16, 32, 64):
                return np.dtype(f"int{width}")
    raise BackendError(f"type {t} cannot cross the Python boundary "
                       f"(expected f16/f32/f64, i1/i8..i64, index or a memref of those)")


@dataclass(frozen=True)
class ValueSpec:
    """One argument or result at the boundary: a scalar, or a memref of ``rank`` with ``shape`` (None = dynamic)."""

    dtype: np.dtype
    shape: tuple[int | None, ...] | None = None  # None: a scalar
    contiguous: bool = True  # memrefs: the identity layout (C-contiguous); False: any strides

    @property
    def is_memref(self) -> bool:
        return self.shape is not None

    @property
    def rank(self) -> int:
        return len(self.shape) if self.shape is not None else 0

    @staticmethod
    def of(t: Attribute) -> ValueSpec:
        if isinstance(t, MemRefType):
            shape = tuple(None if d < 0 else int(d) for d in t.get_shape())
            return ValueSpec(numpy_dtype(t.element_type), shape, not isinstance(t.layout, StridedLayoutAttr))
        return ValueSpec(numpy_dtype(t))

    def describe(self) -> str:
        if self.shape is None:
            return str(self.dtype)
        dims = "x".join("?" if d is None else str(d) for d in self.shape)
        return f"{self.dtype} array of shape ({dims})"


@dataclass(frozen=True)
class Signature:
    name: str
    args: tuple[ValueSpec, ...]
    results: tuple[ValueSpec, ...]

    @staticmethod
    def of(op: func.FuncOp) -> Signature:
        ft = op.function_type
        return Signature(op.sym_name.data, tuple(ValueSpec.of(t) for t in ft.inputs.data),
                         tuple(ValueSpec.of(t) for t in ft.outputs.data))

    def check_args(self, args: tuple[Any, ...]) -> None:
        """Raise ArgumentError naming the first argument that does not fit."""
        if len(args) != len(self.args):
            raise ArgumentError(f"@{self.name} takes {len(self.args)} argument(s), got {len(args)}")
        for i, (a, spec) in enumerate(zip(args, self.args)):
            if not spec.is_memref:
                continue
            where = f"@{self.name} argument {i}"
            if not isinstance(a, np.ndarray):
                raise ArgumentError(f"{where}: expected a {spec.describe()}, got {type(a).__name__}")
            if a.dtype != spec.dtype or a.ndim != spec.rank:
                raise ArgumentError(f"{where}: expected a {spec.describe()}, got {a.dtype} array of shape {a.shape}")
            for d, (have, want) in enumerate(zip(a.shape, spec.shape)):
                if want is not None and have != want:
                    raise ArgumentError(f"{where}: dimension {d} is {have}, the memref type says {want}")
            if spec.contiguous and not a.flags.c_contiguous:
                raise ArgumentError(f"{where}: array must be C-contiguous (use numpy.ascontiguousarray)")


def public_functions(module: ModuleOp) -> list[func.FuncOp]:
    """The functions of ``module`` with a body, in order."""
    return [op for op in module.ops if isinstance(op, func.FuncOp) and op.body.blocks]


@dataclass
class Artifact:
    """What a backend produced: callables per entry point, the emitted source, and a cache payload."""

    target: str
    entries: dict[str, Callable[..., Any]]
    signatures: dict[str, Signature]
    source: str = ""
    sources: dict[str, str] = field(default_factory=dict)
    payload: dict[str, Any] = field(default_factory=dict)  # json-able + bytes; Backend.load() rebuilds from it
    stats: dict[str, Any] = field(default_factory=dict)  # last-call figures (e.g. simulated cycles)


class Backend:
    """A code generator for the loop level (func/scf/memref/arith/math).

    Subclasses set ``name``, ``lowering`` (a pipeline string of passes run before ``emit``,
    after the frontend's optimization passes) and implement ``emit``; ``load`` rebuilds an
    Artifact from ``Artifact.payload`` (the compile cache); backends that cannot rebuild
    from a payload leave ``cacheable`` False.
    """

    name: ClassVar[str]
    description: ClassVar[str] = ""
    lowering: ClassVar[str] = ""
    cacheable: ClassVar[bool] = False

    def emit(self, module: ModuleOp, options: Any) -> Artifact:
        raise NotImplementedError

    def load(self, payload: dict[str, Any], signatures: dict[str, Signature], options: Any) -> Artifact:
        raise NotImplementedError(f"backend {self.name} has no cache loader")


def scalar_entry_outputs(op: func.FuncOp) -> int | None:
    """N for a function carrying ``ircc.scalar_entry = N``, else None."""
    from xdsl.dialects.builtin import IntegerAttr

    attr = op.attributes.get(SCALAR_ENTRY_ATTR)
    return int(attr.value.data) if isinstance(attr, IntegerAttr) else None


def scalar_entry_fallback(entry: Callable[..., Any], sig: Signature, nout: int) -> Callable[..., Any]:
    """The scalar entry of a backend without a fast path: one-element arrays through ``entry``."""
    inputs, outputs = sig.args[:len(sig.args) - nout], sig.args[len(sig.args) - nout:]

    def call(*args: Any) -> Any:
        if len(args) != len(sig.args):
            raise ArgumentError(f"@{sig.name} takes {len(sig.args)} argument(s), got {len(args)}")
        if not all(type(a) in (float, int) for a in args[:len(inputs)]):
            return NotImplemented
        arrays = [np.full((1,) * spec.rank, a, dtype=spec.dtype) for a, spec in zip(args, inputs)]
        outs = [np.zeros(tuple(1 if d is None else d for d in spec.shape), dtype=spec.dtype) for spec in outputs]
        entry(*arrays, *outs)
        for buf, o in zip(args[len(inputs):], outs):
            np.asarray(buf).reshape(-1)[:] = o.reshape(-1)
        return None

    return call


def add_scalar_entries(artifact: Artifact, module: ModuleOp) -> None:
    """Give every ``ircc.scalar_entry`` function a ``<name>:scalar`` entry (the fallback if none yet)."""
    for op in public_functions(module):
        nout = scalar_entry_outputs(op)
        name = op.sym_name.data
        if nout is not None and f"{name}:scalar" not in artifact.entries:
            artifact.entries[f"{name}:scalar"] = scalar_entry_fallback(
                artifact.entries[name], artifact.signatures[name], nout)
