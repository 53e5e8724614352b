"""``memref.global`` data for the backends: the symbol lookup, the checks, and the dense initial value as a
numpy array decoded in bulk (one ``np.frombuffer`` over the attribute's bytes, never one object per element).

```mlir
"memref.global"() <{sym_name = "w0", type = memref<2x3xf32>, initial_value = dense<[[1.0, 2.0, 3.0],
                    [4.0, 5.0, 6.0]]> : tensor<2x3xf32>, constant, sym_visibility = "private"}> : () -> ()
%w = memref.get_global @w0 : memref<2x3xf32>
```
The interpreter runs every global; the compiled backends take ``constant`` ones with a dense initial value
(a model's folded weights) and say so in a ``BackendError`` for the rest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from math import prod

import numpy as np
from xdsl.dialects import func, memref
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, MemRefType, ModuleOp, NoneAttr
from xdsl.ir import Operation

from ircc.backends.base import numpy_dtype
from ircc.errors import BackendError

#: the alignment of a global without an ``alignment`` attribute (a cache line, as numpy's large arrays)
DEFAULT_ALIGNMENT = 64


def _function_of(op: Operation) -> str:
    parent = op.parent_op()
    while parent is not None and not isinstance(parent, func.FuncOp):
        parent = parent.parent_op()
    return f" in @{parent.sym_name.data}" if parent is not None else ""


def module_globals(module: ModuleOp) -> dict[str, memref.GlobalOp]:
    """The ``memref.global`` ops at the top level of ``module``, by symbol."""
    return {op.sym_name.data: op for op in module.ops if isinstance(op, memref.GlobalOp)}


def find_global(globals_: Mapping[str, memref.GlobalOp], op: memref.GetGlobalOp, backend: str) -> memref.GlobalOp:
    """The global in ``globals_`` (``module_globals``) that ``op`` reads, checked to have the type ``op`` gives it.

    Raises:
        BackendError: no global of that name, or a type that differs.
    """
    name = op.name_.string_value()
    glob = globals_.get(name)
    if glob is None:
        raise BackendError(f"memref.get_global @{name}{_function_of(op)}: the module has no memref.global @{name} "
                           f"(the {backend} backend needs the global in the same module)")
    if op.memref.type != glob.type:
        raise BackendError(f"memref.get_global @{name}{_function_of(op)} has type {op.memref.type}, but the global "
                           f"is a {glob.type}; they must be the same")
    return glob


def constant_global_array(glob: memref.GlobalOp, backend: str) -> np.ndarray:
    """The data of a ``constant`` global with a dense initial value, for a backend that compiles it in.

    Raises:
        BackendError: a mutable global (without ``constant``), one without an initial value, or a
            type the backend cannot hold in a constant (dynamic shape, non-identity layout).
    """
    name = glob.sym_name.data
    t = glob.type
    if glob.constant is None:
        raise BackendError(f"memref.global @{name} is mutable (no `constant`): the {backend} backend compiles only "
                           f"constant globals in; mark it `constant` if nothing stores to it, run it on the interp "
                           f"target, or give the function a memref argument instead")
    if not isinstance(glob.initial_value, DenseIntOrFPElementsAttr):
        raise BackendError(f"memref.global @{name} has no initial value: the {backend} backend needs its data "
                           f"(a dense<...> initial_value)")
    if any(d < 0 for d in t.get_shape()) or not isinstance(t.layout, NoneAttr):
        raise BackendError(f"memref.global @{name}: the {backend} backend takes globals of static shape with the "
                           f"identity layout, not {t}")
    return global_array(glob)


def global_array(glob: memref.GlobalOp) -> np.ndarray:
    """The initial value of ``glob`` as a read-only C-contiguous array of its type's shape and dtype (zeros
    when it has none).

    Raises:
        BackendError: an element type with no numpy dtype, or an initial value of another element type
            or element count.
    """
    t = glob.type
    assert isinstance(t, MemRefType), t
    dtype = numpy_dtype(t.get_element_type())
    shape = tuple(t.get_shape())
    init = glob.initial_value
    if not isinstance(init, DenseIntOrFPElementsAttr):
        array = np.zeros(shape, dtype)
        array.flags.writeable = False
        return array
    if init.get_element_type() != t.get_element_type():
        raise BackendError(f"memref.global @{glob.sym_name.data}: the initial value holds "
                           f"{init.get_element_type()}, the type says {t.get_element_type()}")
    return dense_array(init, shape, f"memref.global @{glob.sym_name.data}")


def dense_array(attr: DenseIntOrFPElementsAttr, shape: Sequence[int], what: str = "dense attribute") -> np.ndarray:
    """The elements of ``attr`` as a read-only C-contiguous array of ``shape`` (one element: a splat).

    xDSL keeps the elements packed little-endian in ``attr.data`` (an ``iN`` in the smallest of 1, 2, 4 or 8
    bytes; ``i1`` as a signed byte, true being -1), so one ``np.frombuffer`` decodes them.

    Raises:
        BackendError: an element type with no numpy dtype, or neither one element nor ``prod(shape)``.
    """
    dtype = numpy_dtype(attr.get_element_type())
    raw = attr.data.data
    if dtype == np.bool_:
        flat = np.frombuffer(raw, dtype=np.int8) != 0
    else:
        flat = np.frombuffer(raw, dtype=dtype.newbyteorder("<")).astype(dtype, copy=False)
    count = prod(shape)
    if flat.size == count:
        array = flat.reshape(shape)
    elif flat.size == 1:
        array = np.full(shape, flat[0], dtype)
    else:
        raise BackendError(f"{what}: the initial value has {flat.size} elements, the shape {tuple(shape)} "
                           f"needs {count}")
    array.flags.writeable = False
    return array
