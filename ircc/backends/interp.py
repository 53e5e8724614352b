"""The reference interpreter backend (``-t interp``): runs loop-level IR op by op; defines the semantics.

It is xDSL's ``Interpreter`` with ircc's value model (``interp_impls``: Python ints wrapped to
their width, numpy scalars of the declared float width, numpy arrays for memrefs) and function
tables for func / cf / scf / memref / arith / math. xDSL's func and cf tables and its scf.if,
scf.while and terminators are reused as they are; everything that touches values is replaced.

Slow (tens of microseconds per executed op) but exact: every other backend is tested against it.

```mlir
func.func @axpy(%a: f32, %x: memref<?xf32>, %y: memref<?xf32>) { ... }
```
``InterpBackend().emit(module, options).entries["axpy"](a, x, y)`` updates ``y`` in place.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable
from math import prod
from typing import Any, ClassVar

import numpy as np
from xdsl.dialects import func, memref, scf
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    IndexType,
    IntegerType,
    MemRefType,
    ModuleOp,
)
from xdsl.interpreter import (
    Interpreter,
    InterpreterFunctions,
    PythonValues,
    ReturnedValues,
    TerminatorValue,
    impl,
    impl_external,
    impl_terminator,
    register_impls,
)
from xdsl.interpreters.cf import CfFunctions
from xdsl.interpreters.func import FuncFunctions
from xdsl.interpreters.scf import ScfFunctions
from xdsl.ir import Attribute, Operation
from xdsl.utils.exceptions import InterpretationError

from ircc.backends import runtime
from ircc.backends.base import Artifact, Backend, Signature, numpy_dtype, public_functions
from ircc.backends.interp_impls import (
    FLOAT_TYPES,
    ArithImpls,
    Handler,
    MathImpls,
    RegionHandler,
    fault,
    float_type,
    int_width,
    maximumf,
    minimumf,
    signed,
    table_functions,
    unsigned,
    where,
    wrap,
)
from ircc.backends.memref_globals import global_array
from ircc.errors import ArgumentError, BackendError
from ircc.ir.text import print_module

# ---------------------------------------------------------------- scf


@register_impls
class ScfImpls(ScfFunctions):
    """scf with ircc's value model: xDSL's if / while / yield / condition, plus the rest."""

    @impl(scf.ForOp)
    def run_for(self, interpreter: Interpreter, op: scf.ForOp, args: PythonValues) -> PythonValues:
        lb, ub, step, *carried = args
        if step <= 0:
            raise fault(op, f"step must be positive, got {step}")
        values = tuple(carried)
        for i in range(lb, ub, step):
            values = interpreter.run_ssacfg_region(op.body, (i, *values), "scf.for")
        return values

    @impl(scf.ParallelOp)
    def run_parallel(self, interpreter: Interpreter, op: scf.ParallelOp, args: PythonValues) -> PythonValues:
        """Iterations run one after another in row-major order; each reduce operand is folded
        into its accumulator (first block argument) by its ``scf.reduce`` region."""
        n = len(op.lowerBound)
        lbs, ubs, steps, inits = args[:n], args[n:2 * n], args[2 * n:3 * n], args[3 * n:]
        if any(s <= 0 for s in steps):
            raise fault(op, f"steps must be positive, got {list(steps)}")
        reduce_op = op.body.block.last_op
        assert isinstance(reduce_op, scf.ReduceOp), reduce_op
        accumulators = list(inits)
        for ivs in itertools.product(*(range(lb, ub, s) for lb, ub, s in zip(lbs, ubs, steps))):
            partials = interpreter.run_ssacfg_region(op.body, ivs, "scf.parallel")
            for k, value in enumerate(partials):
                (accumulators[k],) = interpreter.run_ssacfg_region(
                    reduce_op.reductions[k], (accumulators[k], value), "scf.reduce")
        return tuple(accumulators)

    @impl_terminator(scf.ReduceOp)
    def run_reduce(self, interpreter: Interpreter, op: scf.ReduceOp,
                   args: PythonValues) -> tuple[TerminatorValue, PythonValues]:
        return ReturnedValues(args), ()

    @impl_terminator(scf.ReduceReturnOp)
    def run_reduce_return(self, interpreter: Interpreter, op: scf.ReduceReturnOp,
                          args: PythonValues) -> tuple[TerminatorValue, PythonValues]:
        return ReturnedValues(args), ()

    @impl(scf.IndexSwitchOp)
    def run_index_switch(self, interpreter: Interpreter, op: scf.IndexSwitchOp, args: PythonValues) -> PythonValues:
        cases = op.cases.get_values()
        region = op.case_regions[cases.index(args[0])] if args[0] in cases else op.default_region
        return interpreter.run_ssacfg_region(region, (), "scf.index_switch")

    @impl(scf.ExecuteRegionOp)
    def run_execute_region(self, interpreter: Interpreter, op: scf.ExecuteRegionOp,
                           args: PythonValues) -> PythonValues:
        return interpreter.run_ssacfg_region(op.region, (), "scf.execute_region")


# ---------------------------------------------------------------- memref


def _index_tuple(op: Operation, array: np.ndarray, indices: PythonValues) -> tuple[int, ...]:
    """The indices of a load or store, checked against the shape (numpy would wrap negatives)."""
    for i, (index, size) in enumerate(zip(indices, array.shape)):
        if not 0 <= index < size:
            raise fault(op, f"index {index} out of bounds for dimension {i} of size {size} (shape {array.shape})")
    return tuple(indices)


def _scalar_from(array: np.ndarray, value: Any) -> Any:
    """A loaded element in the value model: numpy float, Python int, or bool."""
    kind = array.dtype.kind
    if kind == "f":
        return value
    return bool(value) if kind == "b" else int(value)


def _load(op: Operation, args: PythonValues) -> PythonValues:
    array, indices = args[0], args[1:]
    if min(indices, default=0) < 0:
        _index_tuple(op, array, indices)
    try:
        value = array[indices]
    except IndexError:
        _index_tuple(op, array, indices)
        raise
    return (_scalar_from(array, value),)


def _store(op: Operation, args: PythonValues) -> PythonValues:
    value, array = args[0], args[1]
    indices = args[2:]
    if min(indices, default=0) < 0:
        _index_tuple(op, array, indices)
    try:
        array[indices] = value
    except IndexError:
        _index_tuple(op, array, indices)
        raise
    return ()


def _shape(op: Operation, t: MemRefType, dynamic: PythonValues) -> tuple[int, ...]:
    """A memref type's shape with its dynamic sizes filled in, in order."""
    sizes = iter(dynamic)
    shape = tuple(next(sizes) if d == DYNAMIC_INDEX else d for d in t.get_shape())
    if any(d < 0 for d in shape):
        raise fault(op, f"negative size in shape {shape}")
    return shape


def _alloc(op: Operation, args: PythonValues) -> PythonValues:
    assert isinstance(op, memref.AllocOp | memref.AllocaOp)
    t = op.memref.type
    shape = _shape(op, t, args[:len(op.dynamic_sizes)])
    return (np.zeros(shape, dtype=numpy_dtype(t.get_element_type())),)


def _dim(op: Operation, args: PythonValues) -> PythonValues:
    array, index = args
    if not 0 <= index < array.ndim:
        raise fault(op, f"dimension {index} out of range for rank {array.ndim}")
    return (array.shape[index],)


def _check_shape(op: Operation, array: np.ndarray, t: Attribute) -> np.ndarray:
    """``array`` if it fits the static dimensions of memref type ``t``."""
    if isinstance(t, MemRefType):
        want = t.get_shape()
        if len(want) != array.ndim or any(w != DYNAMIC_INDEX and w != h for w, h in zip(want, array.shape)):
            raise fault(op, f"a memref of shape {array.shape} does not fit {t}")
    return array


def _copy(op: Operation, args: PythonValues) -> PythonValues:
    source, target = args
    if source.shape != target.shape:
        raise fault(op, f"source shape {source.shape} differs from target shape {target.shape}")
    np.copyto(target, source)
    return ()


def _static_or_dynamic(static: Any, dynamic: PythonValues) -> list[int]:
    values = iter(dynamic)
    return [next(values) if v == DYNAMIC_INDEX else v for v in static.get_values()]


def _subview(op: Operation, args: PythonValues) -> PythonValues:
    """A numpy view: the same memory, so stores through it reach the source."""
    assert isinstance(op, memref.SubviewOp)
    source = args[0]
    n_off, n_size = len(op.offsets), len(op.sizes)
    offsets = _static_or_dynamic(op.static_offsets, args[1:1 + n_off])
    sizes = _static_or_dynamic(op.static_sizes, args[1 + n_off:1 + n_off + n_size])
    strides = _static_or_dynamic(op.static_strides, args[1 + n_off + n_size:])
    for d, (o, s, st) in enumerate(zip(offsets, sizes, strides)):
        if st <= 0 or o < 0 or (s > 0 and o + (s - 1) * st >= source.shape[d]):
            raise fault(op, f"offset {o}, size {s}, stride {st} do not fit dimension {d} of size {source.shape[d]}")
    rank = len(op.result.type.get_shape())
    result_shape = op.result.type.get_shape()
    drop, kept = len(sizes) - rank, 0
    index: list[int | slice] = []
    for o, s, st in zip(offsets, sizes, strides):
        # A rank-reducing subview drops unit dimensions that the result type does not have.
        if drop and s == 1 and (kept >= rank or result_shape[kept] != 1):
            index.append(o)
            drop -= 1
        else:
            index.append(slice(o, o + s * st, st))
            kept += 1
    return (_check_shape(op, source[tuple(index)], op.result.type),)


def _reshape(op: Operation, array: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    try:
        return array.reshape(shape, copy=False)
    except ValueError as err:
        raise fault(op, f"cannot reshape a memref of shape {array.shape} into {shape} without a copy: {err}") from None


def _collapse_shape(op: Operation, args: PythonValues) -> PythonValues:
    assert isinstance(op, memref.CollapseShapeOp)
    source = args[0]
    groups = [[d.value.data for d in group] for group in op.reassociation]
    return (_reshape(op, source, tuple(prod(source.shape[d] for d in group) for group in groups)),)


def _expand_shape(op: Operation, args: PythonValues) -> PythonValues:
    assert isinstance(op, memref.ExpandShapeOp)
    return (_reshape(op, args[0], tuple(_static_or_dynamic(op.static_output_shape, args[1:]))),)


def _reinterpret_cast(op: Operation, args: PythonValues) -> PythonValues:
    """A strided view of the source's contiguous buffer (offset and strides in elements)."""
    assert isinstance(op, memref.ReinterpretCastOp)
    source = args[0]
    if not source.flags.c_contiguous:
        raise fault(op, "the source must be a contiguous memref")
    n_off, n_size = len(op.offsets), len(op.sizes)
    (offset,) = _static_or_dynamic(op.static_offsets, args[1:1 + n_off])
    sizes = _static_or_dynamic(op.static_sizes, args[1 + n_off:1 + n_off + n_size])
    strides = _static_or_dynamic(op.static_strides, args[1 + n_off + n_size:])
    flat = source.reshape(-1)
    last = offset + sum((s - 1) * st for s, st in zip(sizes, strides)) if all(sizes) else offset - 1
    if offset < 0 or last >= flat.size or any(st < 0 for st in strides):
        raise fault(op, f"offset {offset}, sizes {sizes}, strides {strides} reach outside {flat.size} elements")
    view = np.lib.stride_tricks.as_strided(flat[offset:], shape=sizes,
                                           strides=[st * flat.itemsize for st in strides])
    return (view,)


#: MLIR's AtomicRMWKind -> (old, value, width) -> new.
_ATOMIC_RMW: dict[int, Callable[[Any, Any, int], Any]] = {
    0: lambda old, v, w: old + v,  # addf
    1: lambda old, v, w: old + v,  # addi
    2: lambda old, v, w: v,  # assign
    3: lambda old, v, w: maximumf(old, v),
    4: lambda old, v, w: max(signed(old, w), signed(v, w)),  # maxs
    5: lambda old, v, w: max(unsigned(old, w), unsigned(v, w)),  # maxu
    6: lambda old, v, w: minimumf(old, v),
    7: lambda old, v, w: min(signed(old, w), signed(v, w)),  # mins
    8: lambda old, v, w: min(unsigned(old, w), unsigned(v, w)),  # minu
    9: lambda old, v, w: old * v,  # mulf
    10: lambda old, v, w: old * v,  # muli
    11: lambda old, v, w: old | v,  # ori
    12: lambda old, v, w: old & v,  # andi
    13: lambda old, v, w: np.fmax(old, v),  # maxnumf
    14: lambda old, v, w: np.fmin(old, v),  # minnumf
}


def _atomic_rmw(op: Operation, args: PythonValues) -> PythonValues:
    """memref.atomic_rmw: updates the element and returns its old value."""
    assert isinstance(op, memref.AtomicRMWOp)
    value, array, indices = args[0], args[1], _index_tuple(op, args[1], args[2:])
    old = _scalar_from(array, array[indices])
    update = _ATOMIC_RMW.get(op.kind.value.data)
    if update is None:
        raise fault(op, f"unknown atomic_rmw kind {op.kind.value.data}")
    t = op.result.type
    is_int = isinstance(t, IntegerType | IndexType)
    new = update(old, value, int_width(t) if is_int else 0)
    array[indices] = wrap(new, int_width(t)) if is_int else new
    return (old,)


def _get_global(interpreter: Interpreter, op: Operation, args: PythonValues) -> PythonValues:
    """The global's array, created once per run from its initial value (so stores persist within the run)."""
    assert isinstance(op, memref.GetGlobalOp)
    name = op.name_.string_value()

    def create() -> np.ndarray:
        glob = interpreter.get_op_for_symbol(name)
        assert isinstance(glob, memref.GlobalOp), glob
        return global_array(glob).copy()  # zeros without an initial value; a splat filled in

    return (interpreter.get_data(MemRefImpls, name, create),)


def _alloca_scope(interpreter: Interpreter, op: Operation, args: PythonValues) -> PythonValues:
    assert isinstance(op, memref.AllocaScopeOp)
    return interpreter.run_ssacfg_region(op.scope, (), "memref.alloca_scope")


MEMREF: dict[type[Operation], Handler] = {
    memref.LoadOp: _load,
    memref.StoreOp: _store,
    memref.AllocOp: _alloc,
    memref.AllocaOp: _alloc,
    memref.DeallocOp: lambda op, args: (),
    memref.DimOp: _dim,
    memref.RankOp: lambda op, args: (args[0].ndim,),
    memref.CopyOp: _copy,
    memref.CastOp: lambda op, args: (_check_shape(op, args[0], op.results[0].type),),
    memref.MemorySpaceCastOp: lambda op, args: (args[0],),
    memref.AssumeAlignmentOp: lambda op, args: (args[0],),
    memref.SubviewOp: _subview,
    memref.CollapseShapeOp: _collapse_shape,
    memref.ExpandShapeOp: _expand_shape,
    memref.ReinterpretCastOp: _reinterpret_cast,
    memref.AtomicRMWOp: _atomic_rmw,
    memref.AllocaScopeReturnOp: lambda op, args: args,
}
MEMREF_REGIONS: dict[type[Operation], RegionHandler] = {
    memref.GetGlobalOp: _get_global,
    memref.AllocaScopeOp: _alloca_scope,
}
MemRefImpls = table_functions("MemRefImpls", MEMREF, MEMREF_REGIONS)




@register_impls
class RuntimeImpls(InterpreterFunctions):
    """ircc's runtime functions (``ircc.backends.runtime``), computed with numpy."""

    @impl_external("ircc_sgemm")
    def sgemm(self, interpreter: Interpreter, op: Operation, args: PythonValues) -> PythonValues:
        runtime.reference_gemm(args[0], args[1], args[2], bool(args[3]), bool(args[4]), float(args[5]))
        return ()

    @impl_external("ircc_dgemm")
    def dgemm(self, interpreter: Interpreter, op: Operation, args: PythonValues) -> PythonValues:
        return self.sgemm(interpreter, op, args)


# ---------------------------------------------------------------- the boundary


def _scalar_in(t: Attribute, fname: str, i: int) -> Callable[[Any], Any]:
    """A converter from a Python / numpy scalar argument to the value model for type ``t``."""
    if isinstance(t, IntegerType | IndexType):
        width = int_width(t)

        def to_int(a: Any) -> Any:
            if isinstance(a, bool | np.bool_):
                return wrap(int(a), width)
            try:
                v = operator.index(a)
            except TypeError:
                raise ArgumentError(
                    f"@{fname} argument {i}: expected an integer for {t}, got {type(a).__name__}") from None
            if not -(1 << (width - 1)) <= v < (1 << width):
                raise ArgumentError(f"@{fname} argument {i}: {v} does not fit in {t}")
            return wrap(v, width)

        return to_int
    ftype = float_type(t)

    def to_float(a: Any) -> Any:
        if isinstance(a, np.ndarray) or not isinstance(a, int | float | np.number | np.bool_):
            raise ArgumentError(f"@{fname} argument {i}: expected a number for {t}, got {type(a).__name__}")
        return ftype(a)

    return to_float


def _result_out(t: Attribute) -> Callable[[Any], Any]:
    """A converter from the value model to what the caller gets for type ``t``."""
    if isinstance(t, MemRefType):
        # A returned memref owns its memory: a view (of an argument or a temporary) is copied.
        return lambda a: a if a.base is None and a.flags.c_contiguous else np.array(a, order="C")
    scalar = numpy_dtype(t).type
    return lambda v: scalar(v)


class InterpBackend(Backend):
    """Runs the IR with xDSL's interpreter and ircc's op tables (the reference semantics).

    A variant changes ``functions`` (the tables registered, later ones overriding earlier ones).
    """

    name = "interp"
    description = "the reference interpreter (xDSL's, extended): slow, defines the semantics"
    lowering = ""
    cacheable = False
    functions: ClassVar[tuple[type[InterpreterFunctions], ...]] = (
        FuncFunctions, CfFunctions, ScfImpls, MemRefImpls, ArithImpls, MathImpls, RuntimeImpls,
    )

    def emit(self, module: ModuleOp, options: Any) -> Artifact:
        """Check every op has an implementation and return one callable per defined function.

        Raises:
            BackendError: an op without an implementation, a value type the interpreter cannot
                hold, or a call to a function without a body.
        """
        module = module.clone()
        self.check_supported(module)
        entries: dict[str, Callable[..., Any]] = {}
        signatures: dict[str, Signature] = {}
        for op in public_functions(module):
            signature = Signature.of(op)
            signatures[signature.name] = signature
            entries[signature.name] = self._entry(module, op, signature)
        return Artifact(target=self.name, entries=entries, signatures=signatures, source=print_module(module))

    def supported_ops(self) -> set[type[Operation]]:
        """The op types the registered tables implement."""
        return {op_type for table in self.functions for op_type, _ in table._impls()}

    def check_supported(self, module: ModuleOp) -> None:
        """Raise BackendError for the first op in a function body that cannot run."""
        supported = self.supported_ops()
        defined = {op.sym_name.data for op in public_functions(module)}
        for fn in public_functions(module):
            for op in fn.body.walk():
                if type(op) not in supported:
                    raise BackendError(f"the interp backend has no implementation of '{op.name}' ({where(op)})")
                if (isinstance(op, func.CallOp) and op.callee.string_value() not in defined
                        and not runtime.is_runtime(op.callee.string_value())):
                    raise BackendError(f"the interp backend cannot call @{op.callee.string_value()}: "
                                       f"it has no body in this module ({where(op)})")
                for value in (*op.results, *op.operands):
                    _check_value_type(op, value.type)

    def make_interpreter(self, module: ModuleOp) -> Interpreter:
        """A fresh interpreter (index is 64 bits) with this backend's tables."""
        interpreter = Interpreter(module, index_bitwidth=64)
        for table in self.functions:
            interpreter.register_implementations(table(), override=True)
        return interpreter

    def _entry(self, module: ModuleOp, op: func.FuncOp, signature: Signature) -> Callable[..., Any]:
        name = signature.name
        inputs = [None if isinstance(t, MemRefType) else _scalar_in(t, name, i)
                  for i, t in enumerate(op.function_type.inputs.data)]
        outputs = [_result_out(t) for t in op.function_type.outputs.data]

        def run(*args: Any) -> Any:
            signature.check_args(args)
            values = tuple(a if convert is None else convert(a) for convert, a in zip(inputs, args))
            interpreter = self.make_interpreter(module)
            try:
                with np.errstate(all="ignore"):
                    results = interpreter.call_op(op, values)
            except BackendError as err:
                raise BackendError(str(err)) from None  # drop the IR dumps xDSL attaches as notes
            except InterpretationError as err:
                raise BackendError(f"the interp backend failed in @{name}: {err}") from err
            results = tuple(convert(r) for convert, r in zip(outputs, results))
            if not results:
                return None
            return results[0] if len(results) == 1 else results

        run.__name__ = run.__qualname__ = name
        run.__doc__ = f"@{name} run by the reference interpreter."
        return run


def _check_value_type(op: Operation, t: Attribute) -> None:
    if isinstance(t, MemRefType):
        t = t.get_element_type()
        if isinstance(t, IntegerType | IndexType) or type(t) in FLOAT_TYPES:
            numpy_dtype(t)  # memref elements must be numpy dtypes
            return
    elif isinstance(t, IntegerType | IndexType) or type(t) in FLOAT_TYPES:
        return
    raise BackendError(f"the interp backend cannot hold a value of type {t} ('{op.name}' {where(op)})")
