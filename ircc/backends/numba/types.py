"""Which numpy scalar type holds each IR type, and the expressions converting between them.

The generated code keeps ``iN`` values as numpy ``intN`` scalars that wrap at their width (numba computes
small integers in int64, so results are cast back with ``wrap``), ``i1`` as ``np.bool_``, ``f32`` as
``np.float32``; ``signed`` / ``unsigned`` read an integer's bits the way a signed or unsigned op does.
"""

from __future__ import annotations

from xdsl.dialects.builtin import Float32Type, Float64Type, IndexType, IntegerType
from xdsl.ir import Attribute


def int_width(t: Attribute) -> int | None:
    """The bit width of an integer-like type (index is 64), None for anything else."""
    if isinstance(t, IndexType):
        return 64
    if isinstance(t, IntegerType):
        return t.width.data
    return None


def is_float(t: Attribute) -> bool:
    return isinstance(t, Float32Type | Float64Type)


def is_scalar(t: Attribute) -> bool:
    return is_float(t) or int_width(t) in (1, 8, 16, 32, 64)


def np_type(t: Attribute) -> str:
    """The numpy scalar constructor holding values of the scalar type ``t`` (``np.float32``, ``np.bool_``)."""
    if isinstance(t, Float64Type):
        return "np.float64"
    if isinstance(t, Float32Type):
        return "np.float32"
    width = int_width(t)
    assert width in (1, 8, 16, 32, 64), f"not a scalar type the numba backend accepts: {t}"
    return "np.bool_" if width == 1 else f"np.int{width}"


def uint_type(t: Attribute) -> str:
    width = int_width(t)
    assert width is not None, f"not an integer type: {t}"
    return f"np.uint{max(width, 8)}"


def cast(expr: str, t: Attribute) -> str:
    """``expr`` (any integer or float) converted to ``t``, truncating integers to its width."""
    if int_width(t) == 1:
        return f"(({expr}) & 1) != 0"
    return f"{np_type(t)}({expr})"


def wrap(expr: str, t: Attribute) -> str:
    """``expr``, computed by numba in int64 (or exactly in t), wrapped to the width of ``t``."""
    return expr if int_width(t) == 64 else cast(expr, t)


def signed(name: str, t: Attribute) -> str:
    """The signed value of ``name``: i1 true is -1 (bools count as 1 in Python)."""
    return f"(-np.int64({name}))" if int_width(t) == 1 else name


def unsigned(name: str, t: Attribute) -> str:
    """The unsigned reading of the bits of ``name``."""
    return f"{uint_type(t)}({name})"
