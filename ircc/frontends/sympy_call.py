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

    def __call__(self, *args: Any) -> Any:
        layout = self.layout
        if len(args) != self._nargs:
            names = ", ".join(layout.arg_names)
            raise ArgumentError(f"kernel takes {self._nargs} argument(s) ({names}), got {len(args)}")
        for a in args:
            if not isinstance(a, (float, int)):
                return self._arrays(args)
        if layout.kind == "scalar":
            out = np.empty(1, dtype=layout.dtype)
            self._point(*args, out)
            return float(out[0])
        out = np.empty(layout.matrix_shape or (layout.nout,), dtype=layout.dtype)
        self._point(*args, out)
        return out

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
        if layout.kind == "matrix":
            out = np.empty((n, *layout.matrix_shape), dtype=dtype)
            self._loop(*flat, out)
            return out.reshape(shape + layout.matrix_shape)
        out = np.empty((n, layout.nout), dtype=dtype)
        self._loop(*flat, out)
        if layout.kind == "scalar":
            return out[:, 0].reshape(shape)
        return tuple(out[:, j].reshape(shape) for j in range(layout.nout))
