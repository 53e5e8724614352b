"""Rendering memref and func ops: memrefs are numpy arrays, calls go to the generated Python functions.

A ``func.call`` from inside a parallel loop (or from a serial copy) calls the serial copy of a callee
with parallel loops, since numba's workqueue threading layer aborts on a nested parallel launch.
"""

from __future__ import annotations

from typing import Any

from xdsl.dialects import arith, func, memref
from xdsl.dialects.builtin import DYNAMIC_INDEX, IntegerAttr, MemRefType
from xdsl.ir import Operation

from ircc.backends import runtime
from ircc.backends.memref_globals import constant_global_array, find_global
from ircc.backends.numba.renderer import FunctionRenderer, Handler
from ircc.backends.numba.types import np_type


# --------------------------------------------------------------------------------------------
# memref
# --------------------------------------------------------------------------------------------

def _alloc(r: FunctionRenderer, op: memref.AllocOp | memref.AllocaOp) -> None:
    t = op.memref.type
    assert isinstance(t, MemRefType)
    dynamic = iter(r.name(v) for v in op.dynamic_sizes)
    dims = [next(dynamic) if d < 0 else str(d) for d in t.get_shape()]
    shape = "()" if not dims else f"({dims[0]},)" if len(dims) == 1 else f"({', '.join(dims)})"
    r.assign(op, f"np.empty({shape}, {np_type(t.element_type)})")


def _cast(r: FunctionRenderer, op: memref.CastOp) -> None:
    r.assign(op, r.name(op.source))  # a layout change: numpy arrays carry their strides


def _subview(r: FunctionRenderer, op: memref.SubviewOp) -> None:
    """A numpy slice: the same memory (static offsets and strides, sizes static or operands, same rank)."""
    static = [list(x.get_values()) for x in (op.static_offsets, op.static_sizes, op.static_strides)]
    if op.offsets or op.strides or len(op.result.type.get_shape()) != len(static[0]):
        raise r.error(op, "memref.subview: the numba backend takes static offsets and strides of the same rank")
    dynamic = iter(op.sizes)
    sizes = [str(s) if s != DYNAMIC_INDEX else r.name(next(dynamic)) for s in static[1]]
    parts = [f"{o}:{o} + {s} * {st}:{st}" if st != 1 else f"{o}:{o} + {s}" for o, s, st in zip(static[0], sizes,
                                                                                               static[2])]
    r.assign(op, f"{r.name(op.source)}[{', '.join(parts)}]")


def _reshape(r: FunctionRenderer, op: Operation) -> None:
    """collapse_shape / expand_shape: a reshape of a contiguous array (no copy); a dynamic size is the
    product of the source's sizes in its group (collapse) or the op's operand (expand)."""
    source = r.name(op.operands[0])
    groups = [[d.value.data for d in g] for g in op.reassociation]
    if isinstance(op, memref.CollapseShapeOp):
        dims = [str(s) if s >= 0 else " * ".join(f"{source}.shape[{d}]" for d in group)
                for s, group in zip(op.results[0].type.get_shape(), groups)]
    else:
        dynamic = iter(op.operands[1:])
        dims = [str(s) if s != DYNAMIC_INDEX else r.name(next(dynamic)) for s in op.static_output_shape.get_values()]
    text = "()" if not dims else f"({dims[0]},)" if len(dims) == 1 else f"({', '.join(dims)})"
    r.assign(op, f"{source}.reshape({text})")


def _get_global(r: FunctionRenderer, op: memref.GetGlobalOp) -> None:
    """A constant global: a module-level array the backend supplies (``RenderedModule.globals``); numba freezes
    it into the compiled code, read-only."""
    glob = find_global(r.module.globals, op, "numba")
    constant_global_array(glob, "numba")  # checked here, so a global numba cannot take fails at emit
    r.assign(op, r.module.global_name(glob.sym_name.data))


def _dealloc(r: FunctionRenderer, op: memref.DeallocOp) -> None:
    r.emit(f"pass  # memref.dealloc {r.name(op.memref)}: numpy frees the array when it is unreachable")


def _dim(r: FunctionRenderer, op: memref.DimOp) -> None:
    index = op.index
    owner = index.owner
    if isinstance(owner, arith.ConstantOp) and isinstance(owner.value, IntegerAttr):
        r.assign(op, f"{r.name(op.source)}.shape[{owner.value.value.data}]")
    else:
        r.assign(op, f"{r.name(op.source)}.shape[{r.name(index)}]")


def _subscript(r: FunctionRenderer, indices: Any) -> str:
    names = [r.name(v) for v in indices]
    return ", ".join(names) if names else "()"


def _load(r: FunctionRenderer, op: memref.LoadOp) -> None:
    r.assign(op, f"{r.name(op.memref)}[{_subscript(r, op.indices)}]")


def _store(r: FunctionRenderer, op: memref.StoreOp) -> None:
    r.emit(f"{r.name(op.memref)}[{_subscript(r, op.indices)}] = {r.name(op.value)}")


def _copy(r: FunctionRenderer, op: memref.CopyOp) -> None:
    r.emit(f"{r.name(op.destination)}[...] = {r.name(op.source)}")


# --------------------------------------------------------------------------------------------
# func
# --------------------------------------------------------------------------------------------

def _call(r: FunctionRenderer, op: func.CallOp) -> None:
    callee = op.callee.string_value()
    if callee not in r.module.py_names and runtime.is_runtime(callee):
        r.emit(f"{r.helper('_' + callee)}({', '.join(r.operands(op))})")
        return
    if callee not in r.module.py_names:
        raise r.error(op, f"func.call @{callee}: the numba backend can call only functions defined with a "
                          "body in the same module")
    serial = (r.serial or r.parallel_depth > 0) and callee in r.module.serial_names
    target = r.module.serial_names[callee] if serial else r.module.py_names[callee]
    call = f"{target}({', '.join(r.operands(op))})"
    if not op.res:
        r.emit(call)
    else:
        targets = [r.define(v, op) for v in op.res]
        r.emit(f"{', '.join(targets)} = {call}")


def _return(r: FunctionRenderer, op: func.ReturnOp) -> None:
    values = r.operands(op)
    r.emit(f"return {', '.join(values)}" if values else "return")


MEMREF_HANDLERS: dict[type[Operation], Handler] = {
    memref.AllocOp: _alloc,
    memref.AllocaOp: _alloc,
    memref.DeallocOp: _dealloc,
    memref.CastOp: _cast,
    memref.SubviewOp: _subview,
    memref.CollapseShapeOp: _reshape,
    memref.ExpandShapeOp: _reshape,
    memref.DimOp: _dim,
    memref.GetGlobalOp: _get_global,
    memref.LoadOp: _load,
    memref.StoreOp: _store,
    memref.CopyOp: _copy,
}

FUNC_HANDLERS: dict[type[Operation], Handler] = {
    func.CallOp: _call,
    func.ReturnOp: _return,
}
