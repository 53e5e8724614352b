"""Calling a compiled sympy kernel: scalars, arrays, broadcasting, and output shapes."""

from __future__ import annotations

from collections.abc import Callable
from numbers import Number
from typing import Any

import numpy as np

from ircc.errors import ArgumentError
from ircc.frontends.sympy import SympyLayout


class SympyCall:
    """``kernel(*args)``: every argument a number (one point) or an array (broadcast together).

    One point (all numbers) returns a float for one expression, a 1-D array of the values for a list,
    a (rows, cols) array for a Matrix. Arrays return arrays of their broadcast shape: one per
    expression (a tuple for a list; views into one points-major buffer), or shape + (rows, cols).
    """

    def __init__(self, layout: SympyLayout, loop: Callable[..., Any], point: Callable[..., Any]):
        self.layout, self._loop, self._point = layout, loop, point
        self._nargs = len(layout.arg_names)
        self._new = np.zeros if layout.zeroed else np.empty  # see ZEROED_OUTPUT_ATTR
        self._point_shape = layout.matrix_shape or ((layout.nout,) if layout.kind == "tuple" else (1,))
        self._out_point_shape = layout.matrix_shape or (layout.nout,)

    def __call__(self, *args: Any, out: np.ndarray | None = None) -> Any:
        layout = self.layout
        if len(args) != self._nargs:
            names = ", ".join(layout.arg_names)
            raise ArgumentError(f"kernel takes {self._nargs} argument(s) ({names}), got {len(args)}")
        if out is not None:
            return self._into(args, out)
        if type(args[0]) is np.ndarray:
            fast = self._same_length_arrays(args)
            return fast if fast is not None else self._arrays(args)
        # one point: the entry itself checks that every argument is a Python float or int
        out = self._new(self._point_shape, dtype=layout.dtype)
        if self._point(*args, out) is None:
            return float(out[0]) if layout.kind == "scalar" else out
        if all(isinstance(a, (Number, np.number)) and not isinstance(a, (complex, np.complexfloating))
               for a in args):  # numpy scalars and other numbers: as Python numbers
            return self(*[float(a) if not isinstance(a, (bool, np.bool_)) else int(a) for a in args])
        fast = self._same_length_arrays(args)
        return fast if fast is not None else self._arrays(args)

    def _into(self, args: tuple[Any, ...], out: np.ndarray) -> np.ndarray:
        """``kernel(*arrays, out=buf)``: evaluate into a caller's array (points first, as returned for a
        Matrix; ``(n, nout)`` otherwise), with no allocation and no copy; returns ``buf``. The length check keeps
        memory safe (every argument as long as ``buf``); rank, dtype and contiguity are checked by the entry."""
        layout = self.layout
        if type(out) is not np.ndarray or out.ndim != (3 if layout.kind == "matrix" else 2):
            raise ArgumentError(f"out= must be a numpy array of shape (points, {self._out_shape_text()})")
        n = out.shape[0]
        try:  # lengths in one C-level pass (a Python loop over 90 arguments cost 9 us per call)
            lengths = set(map(len, args))
        except TypeError:
            lengths = set()
        if lengths != {n}:
            self._into_error(args, out)
        if out.shape[1:] != self._out_point_shape or not out.flags.writeable:
            self._into_error(args, out)
        if layout.zeroed:
            out.fill(0)  # outputs identically zero are not stored by the kernel
        try:
            self._loop(*args, out)
        except (TypeError, ValueError):
            self._into_error(args, out)
        return out

    def _out_shape_text(self) -> str:
        return ", ".join(map(str, self._out_point_shape))

    def _into_error(self, args: tuple[Any, ...], out: np.ndarray) -> None:
        layout = self.layout
        n = out.shape[0]
        for name, a in zip(layout.arg_names, args):
            if not isinstance(a, np.ndarray) or a.ndim != 1 or a.dtype != layout.dtype or not a.flags.c_contiguous:
                raise ArgumentError(f"with out=, every argument must be a contiguous 1-D {layout.dtype} array; "
                                    f"{name} is not (convert with numpy.ascontiguousarray(x, dtype=...))")
            if a.shape[0] != n:
                raise ArgumentError(f"with out=, every argument needs as many points as out= has rows ({n}); "
                                    f"{name} has {a.shape[0]}")
        shape = (n, *self._out_point_shape)
        raise ArgumentError(f"out= must be a writeable C-contiguous {layout.dtype} array of shape {shape}; "
                            f"got {out.shape} {out.dtype}")

    def _same_length_arrays(self, args: tuple[Any, ...]) -> Any:
        """The common case without copies: 1-D arrays of the kernel's dtype, all of one length (the
        entry itself checks dtype, rank and contiguity and raises TypeError otherwise)."""
        first = args[0]
        if type(first) is not np.ndarray or first.ndim != 1:
            return None
        n = first.shape[0]
        for a in args:
            if type(a) is not np.ndarray or a.shape != (n,):
                return None
        layout = self.layout
        shape = (n, *layout.matrix_shape) if layout.kind == "matrix" else (n, layout.nout)
        check_output_fits(shape, layout.dtype)
        out = self._new(shape, dtype=layout.dtype)
        try:
            self._loop(*args, out)
        except (TypeError, ValueError):
            return None  # another dtype (TypeError) or a strided view (ValueError): the general path converts
        if layout.kind == "matrix":
            return out
        if layout.kind == "scalar":
            return out[:, 0]
        return tuple(out.T)

    def _arrays(self, args: tuple[Any, ...]) -> Any:
        layout = self.layout
        dtype = layout.dtype
        arrays: list[np.ndarray | None] = []
        shapes: dict[str, tuple[int, ...]] = {}
        for name, a in zip(layout.arg_names, args):
            if isinstance(a, (Number, np.number)) and not isinstance(a, (complex, np.complexfloating)):
                arrays.append(None)
                continue
            arr = np.asarray(a)
            if arr.dtype.kind not in "fiub":
                raise ArgumentError(f"argument {name}: expected real numbers, got an array of {arr.dtype}")
            arrays.append(arr)
            shapes[name] = arr.shape
        try:
            shape = np.broadcast_shapes(*shapes.values()) if shapes else ()
        except ValueError:
            detail = ", ".join(f"{n} has shape {s}" for n, s in shapes.items())
            raise ArgumentError(f"arrays of different lengths cannot be evaluated together: {detail}") from None
        n = int(np.prod(shape)) if shape else 1
        flat: list[np.ndarray] = []
        for arr, a in zip(arrays, args):
            if arr is None:
                flat.append(np.full(n, a, dtype=dtype))
            else:
                b = np.broadcast_to(arr, shape) if arr.shape != shape else arr
                flat.append(np.ascontiguousarray(b, dtype=dtype).reshape(n))
        check_output_fits((n, *(layout.matrix_shape or (layout.nout,))), dtype)
        if layout.kind == "matrix":
            out = self._new((n, *layout.matrix_shape), dtype=dtype)
            self._loop(*flat, out)
            return out.reshape(shape + layout.matrix_shape)
        out = self._new((n, layout.nout), dtype=dtype)
        self._loop(*flat, out)
        if layout.kind == "scalar":
            return out[:, 0].reshape(shape)
        return tuple(column.reshape(shape) for column in out.T)


#: outputs smaller than this are allocated without asking the system
_CHECK_ABOVE_BYTES = 256 << 20


def check_output_fits(shape: tuple[int, ...], dtype: np.dtype) -> None:
    """Refuse politely when the outputs would not fit in the memory available now, rather than let the
    kernel fault in pages until the kernel's OOM killer ends the process (Linux overcommits)."""
    nbytes = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
    if nbytes < _CHECK_ABOVE_BYTES:
        return
    available = _available_bytes()
    if available is not None and nbytes > available:
        raise ArgumentError(
            f"the outputs need {nbytes / 2**30:.1f} GiB (shape {shape}, {np.dtype(dtype)}) but only "
            f"{available / 2**30:.1f} GiB of memory is available; evaluate fewer points per call")


def _available_bytes() -> int | None:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None
