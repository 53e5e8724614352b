"""Calling JIT-compiled functions from Python: the packed interface through ctypes, and
CPython fastcall wrappers turned into builtin functions."""

from __future__ import annotations

import ctypes
import weakref
from functools import cache
from typing import Any

import numpy as np

from ircc.backends.base import Signature, ValueSpec
from ircc.backends.llvm.types import NOT_OWNED

_CTYPE = {
    np.dtype(np.float64): ctypes.c_double, np.dtype(np.float32): ctypes.c_float,
    np.dtype(np.int64): ctypes.c_int64, np.dtype(np.int32): ctypes.c_int32,
    np.dtype(np.int16): ctypes.c_int16, np.dtype(np.int8): ctypes.c_int8, np.dtype(np.bool_): ctypes.c_bool,
    np.dtype(np.float16): ctypes.c_uint16,
}


@cache
def descriptor_struct(rank: int) -> type[ctypes.Structure]:
    fields: list[tuple[str, Any]] = [("allocated", ctypes.c_void_p), ("aligned", ctypes.c_void_p),
                                     ("offset", ctypes.c_int64)]
    if rank:
        fields += [("sizes", ctypes.c_int64 * rank), ("strides", ctypes.c_int64 * rank)]
    return type(f"MemRefDescriptor{rank}", (ctypes.Structure,), {"_fields_": fields})


def _descriptor(a: np.ndarray) -> ctypes.Structure:
    d = descriptor_struct(a.ndim)()
    ptr = a.ctypes.data
    d.allocated = ptr
    d.aligned = ptr
    d.offset = 0
    if a.ndim:
        d.sizes[:] = a.shape
        d.strides[:] = [s // a.itemsize for s in a.strides]
    return d


_libc = ctypes.CDLL(None)
_free = _libc.free
_free.argtypes = [ctypes.c_void_p]
_free.restype = None


def _array_from_descriptor(d: ctypes.Structure, spec: ValueSpec, args: tuple[Any, ...]) -> np.ndarray:
    shape = tuple(d.sizes) if spec.rank else ()
    count = int(np.prod(shape)) if shape else 1
    for a in args:  # a memref argument returned as it is: give back the caller's array
        if isinstance(a, np.ndarray) and a.size and a.ctypes.data == d.allocated:
            return a.reshape(shape) if a.shape != shape else a
    addr = d.aligned + d.offset * spec.dtype.itemsize
    if d.allocated == NOT_OWNED:  # a constant global (memref.get_global) or a view of it: copied out
        return _copy_not_owned(addr, shape, tuple(d.strides) if spec.rank else (), spec.dtype)
    if count == 0:
        _free(d.allocated)
        return np.empty(shape, dtype=spec.dtype)
    buf = (ctypes.c_char * (count * spec.dtype.itemsize)).from_address(addr)
    weakref.finalize(buf, _free, d.allocated)
    return np.frombuffer(buf, dtype=spec.dtype).reshape(shape)


def _copy_not_owned(addr: int, shape: tuple[int, ...], strides: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """A C-contiguous copy of the elements at ``addr`` with ``shape`` and ``strides`` (in elements)."""
    if 0 in shape:
        return np.empty(shape, dtype=dtype)
    extent = 1 + sum((n - 1) * s for n, s in zip(shape, strides))
    base = np.frombuffer((ctypes.c_char * (extent * dtype.itemsize)).from_address(addr), dtype=dtype)
    view = np.lib.stride_tricks.as_strided(base, shape, tuple(s * dtype.itemsize for s in strides), writeable=False)
    return np.array(view, order="C")


class PackedCaller:
    """Calls ``_ircc_packed_<name>`` with numpy arrays and scalars (the calling convention of base.py)."""

    def __init__(self, address: int, signature: Signature, keepalive: Any):
        self.signature = signature
        self._fn = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(address)
        self._keepalive = keepalive
        self._nslots = len(signature.args) + len(signature.results)
        self.__name__ = signature.name

    def __call__(self, *args: Any) -> Any:
        sig = self.signature
        sig.check_args(args)
        holders: list[Any] = []
        for a, spec in zip(args, sig.args):
            holders.append(_descriptor(a) if spec.is_memref else _CTYPE[spec.dtype](a))
        results = [descriptor_struct(spec.rank)() if spec.is_memref else _CTYPE[spec.dtype]()
                   for spec in sig.results]
        slots = (ctypes.c_void_p * self._nslots)(*[ctypes.addressof(h) for h in holders + results])
        self._fn(slots)
        out = tuple(_array_from_descriptor(r, spec, args) if spec.is_memref else r.value
                    for r, spec in zip(results, sig.results))
        if not out:
            return None
        return out[0] if len(out) == 1 else out


class _PyMethodDef(ctypes.Structure):
    _fields_ = [("ml_name", ctypes.c_char_p), ("ml_meth", ctypes.c_void_p), ("ml_flags", ctypes.c_int),
                ("ml_doc", ctypes.c_char_p)]


_METH_FASTCALL = 0x0080
_new_cfunction = ctypes.pythonapi.PyCFunction_NewEx
_new_cfunction.restype = ctypes.py_object
_new_cfunction.argtypes = [ctypes.POINTER(_PyMethodDef), ctypes.c_void_p, ctypes.c_void_p]
_KEEP: list[Any] = []  # method definitions must outlive the function objects made from them


def python_function(address: int, name: str, keepalive: Any) -> Any:
    """A builtin function object calling the generated ``METH_FASTCALL`` wrapper at ``address``."""
    name_bytes = name.encode()
    d = _PyMethodDef(name_bytes, address, _METH_FASTCALL, b"ircc-compiled function")
    _KEEP.append((d, name_bytes, keepalive))
    return _new_cfunction(ctypes.byref(d), None, None)
