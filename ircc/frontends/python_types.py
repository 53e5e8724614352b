"""The types of the Python frontend: scalars, arrays, tuples; unification and argument typing.

A variable has one type in the whole function (like numba): ``x = 0`` followed by ``x += 0.5`` makes
``x`` a float64 from its first assignment. Unification widens ``bool < int32 < int64 < float64`` and
``float32 < float64``; arrays unify only with arrays of the same dtype and rank (a C-contiguous and a
strided array unify to strided). Integer arithmetic is done in int64, as numba does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    Float32Type,
    Float64Type,
    IntegerType,
    MemRefType,
    StridedLayoutAttr,
    f32,
    f64,
    i1,
    i32,
    i64,
)
from xdsl.ir import Attribute

from ircc.errors import IrccError


@dataclass(frozen=True)
class Scalar:
    name: str  # bool, int32, int64, float32, float64

    @property
    def ir(self) -> Attribute:
        return _SCALAR_IR[self.name]

    @property
    def is_float(self) -> bool:
        return self.name.startswith("float")

    @property
    def is_int(self) -> bool:
        return self.name.startswith("int")

    @property
    def is_bool(self) -> bool:
        return self.name == "bool"

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(np.bool_) if self.name == "bool" else np.dtype(self.name)

    def __str__(self) -> str:
        return self.name


BOOL, I32, I64, F32, F64 = Scalar("bool"), Scalar("int32"), Scalar("int64"), Scalar("float32"), Scalar("float64")
_SCALAR_IR: dict[str, Attribute] = {"bool": i1, "int32": i32, "int64": i64, "float32": f32, "float64": f64}
_RANK = {"bool": 0, "int32": 1, "int64": 2, "float32": 3, "float64": 4}
SCALARS = {s.name: s for s in (BOOL, I32, I64, F32, F64)}


@dataclass(frozen=True)
class Array:
    dtype: Scalar
    ndim: int
    layout: str = "C"  # "C": C-contiguous (identity layout); "A": any strides

    @property
    def ir(self) -> MemRefType:
        shape = [DYNAMIC_INDEX] * self.ndim
        if self.layout == "C":
            return MemRefType(self.dtype.ir, shape)
        return MemRefType(self.dtype.ir, shape, StridedLayoutAttr([None] * self.ndim, None))

    def __str__(self) -> str:
        dims = ", ".join([":"] * self.ndim) if self.ndim else ""
        return f"{self.dtype}[{dims}]" + (" (strided)" if self.layout != "C" else "")


@dataclass(frozen=True)
class View:
    """``a[i]`` of an N-D array ``a`` with fewer than N indices: a row to index further."""

    base: Array
    fixed: int  # how many leading indices are given

    @property
    def ndim(self) -> int:
        return self.base.ndim - self.fixed

    def __str__(self) -> str:
        return f"view of {self.base} ({self.ndim}-D)"


@dataclass(frozen=True)
class Tuple:
    items: tuple[PyType, ...]

    def __str__(self) -> str:
        inner = ", ".join(map(str, self.items))
        return f"({inner},)" if len(self.items) == 1 else f"({inner})"


PyType = Scalar | Array | View | Tuple


def unify(a: PyType | None, b: PyType | None) -> PyType | None:
    """The narrowest type both ``a`` and ``b`` convert to without loss of kind, or None."""
    if a is None:
        return b
    if b is None or a == b:
        return a
    if isinstance(a, Scalar) and isinstance(b, Scalar):
        if a.is_float or b.is_float:
            return F32 if {a, b} == {F32, BOOL} else F64
        return a if _RANK[a.name] >= _RANK[b.name] else b
    if isinstance(a, Array) and isinstance(b, Array) and a.dtype == b.dtype and a.ndim == b.ndim:
        return Array(a.dtype, a.ndim, "A")
    if isinstance(a, Tuple) and isinstance(b, Tuple) and len(a.items) == len(b.items):
        items = [unify(x, y) for x, y in zip(a.items, b.items)]
        return None if any(t is None for t in items) else Tuple(tuple(items))  # type: ignore[arg-type]
    return None


def arith_result(a: Scalar, b: Scalar) -> Scalar:
    """The type of ``a <op> b`` for + - * // % ** (numba's rules: integers compute in int64)."""
    if a.is_float or b.is_float:
        if a == F64 or b == F64:
            return F64
        other = b if a == F32 else a
        return F32 if other in (F32, BOOL) else F64
    return I64


def true_div_result(a: Scalar, b: Scalar) -> Scalar:
    return F32 if {a, b} <= {F32, BOOL} else F64


def type_of_value(value: Any, where: str) -> PyType:
    """The type of a runtime argument (the first call's values pick the specialization)."""
    if isinstance(value, (bool, np.bool_)):
        return BOOL
    if isinstance(value, (int, np.integer)) and not isinstance(value, np.integer):
        return I64
    if isinstance(value, np.integer):
        return I32 if value.dtype == np.int32 else I64 if value.dtype == np.int64 else _bad(value, where)
    if isinstance(value, float) and not isinstance(value, np.floating):
        return F64
    if isinstance(value, np.floating):
        if value.dtype in (np.float32, np.float64):
            return SCALARS[str(value.dtype)]
        return _bad(value, where)
    if isinstance(value, np.ndarray):
        name = "bool" if value.dtype == np.bool_ else str(value.dtype)
        if name not in SCALARS or not value.dtype.isnative:
            raise IrccError(f"{where}: arrays of dtype {value.dtype} are not supported; use float64, float32, "
                            f"int64, int32 or bool (native byte order)")
        if value.ndim == 0:
            raise IrccError(f"{where}: 0-d arrays are not supported; pass a number (a[()]) instead")
        layout = "C" if value.flags.c_contiguous else "A"
        if layout == "A" and any(s % value.itemsize for s in value.strides):
            raise IrccError(f"{where}: array strides {value.strides} are not a multiple of the item size; "
                            f"pass numpy.ascontiguousarray(...)")
        return Array(SCALARS[name], value.ndim, layout)
    if isinstance(value, tuple):
        return Tuple(tuple(type_of_value(v, f"{where} item {i}") for i, v in enumerate(value)))
    return _bad(value, where)


def _bad(value: Any, where: str):
    raise IrccError(f"{where}: a {type(value).__name__} cannot be passed to a compiled function; it takes numbers "
                    f"(int, float, bool, numpy scalars of those), numpy arrays of float64/float32/int64/int32/bool, "
                    f"and tuples of those")


_DTYPE_ALIASES = {"f8": "float64", "f4": "float32", "i8": "int64", "i4": "int32", "b1": "bool", "float": "float64",
                  "int": "int64", "double": "float64", "boolean": "bool", "bool_": "bool"}


def parse_type(spec: Any, where: str) -> PyType:
    """A type from a signature entry: ``"float64[:, :]"``, ``"int64"``, a numpy dtype or scalar type,
    ``int``/``float``/``bool``, an example value, or a tuple of those."""
    if isinstance(spec, (Scalar, Array, Tuple)):
        return spec
    if spec is int:
        return I64
    if spec is float:
        return F64
    if spec is bool:
        return BOOL
    if isinstance(spec, str):
        m = re.fullmatch(r"\s*([A-Za-z_0-9]+)\s*(\[([\s:,]*)\])?\s*", spec)
        if m:
            name = _DTYPE_ALIASES.get(m.group(1), m.group(1))
            if name in SCALARS:
                if m.group(2) is None:
                    return SCALARS[name]
                dims = [d for d in m.group(3).split(",")]
                if all(d.strip() == ":" for d in dims):
                    return Array(SCALARS[name], len(dims))
        raise IrccError(f"{where}: cannot read type {spec!r}; write e.g. 'float64', 'int64', 'bool', "
                        f"'float64[:]' or 'float32[:, :]'")
    if isinstance(spec, type) and issubclass(spec, np.generic) or isinstance(spec, np.dtype):
        name = "bool" if np.dtype(spec) == np.bool_ else str(np.dtype(spec))
        if name in SCALARS:
            return SCALARS[name]
        raise IrccError(f"{where}: dtype {name} is not supported")
    if isinstance(spec, tuple):
        return Tuple(tuple(parse_type(s, f"{where} item {i}") for i, s in enumerate(spec)))
    return type_of_value(spec, where)


def parse_signature(signature: Any, nparams: int, name: str) -> tuple[PyType, ...]:
    """Argument types from ``signature=``: a string ``"(float64[:], int64)"`` or a sequence of entries."""
    if isinstance(signature, str):
        text = signature.strip()
        if text.startswith("(") and text.endswith(")"):
            text = text[1:-1]
        parts = _split_top(text)
    elif isinstance(signature, (list, tuple)):
        parts = list(signature)
    else:
        raise IrccError(f"signature for {name}: expected a string like '(float64[:], int64)' or a list of types, "
                        f"got {type(signature).__name__}")
    if len(parts) != nparams:
        raise IrccError(f"signature for {name}: {len(parts)} type(s) given, the function takes {nparams}")
    return tuple(parse_type(p, f"signature for {name}, argument {i}") for i, p in enumerate(parts))


def _split_top(text: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur)
    return [p.strip() for p in parts]


def ir_scalar(t: Attribute) -> Scalar:
    """The Python-frontend scalar for an IR type (used for callee results)."""
    if isinstance(t, Float64Type):
        return F64
    if isinstance(t, Float32Type):
        return F32
    if isinstance(t, IntegerType):
        return {1: BOOL, 32: I32, 64: I64}[t.width.data]
    raise IrccError(f"no Python type for IR type {t}")
