"""Vector variants of libm functions for LLVM's loop vectorizer: glibc's libmvec.

A scalar ``expf`` in a loop keeps the loop scalar (LLVM would call ``expf`` eight times per vector). Where
this process can load glibc's ``libmvec`` and the CPU has AVX2, each call to a function libmvec has gets
the call-site attribute ``vector-function-abi-variant`` naming its 8-lane (f32) or 4-lane (f64) AVX2
variant (``_ZGVdN8v_expf``), and ``memory(none)`` (libmvec sets no errno), so the vectorizer calls the
vector function once per vector instead. The variants are declared and kept in ``llvm.compiler.used``
until the optimizer has run. glibc documents libmvec's results within 4 ulp of the exact value (the scalar
functions: within 1-2); ``IRCC_NO_LIBMVEC=1`` keeps every call scalar.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

import llvmlite.binding as llvm
from llvmlite import ir

from ircc import env

#: libm function (double name) -> number of vector arguments
FUNCTIONS = {"exp": 1, "exp2": 1, "exp10": 1, "expm1": 1, "log": 1, "log2": 1, "log10": 1, "log1p": 1,
             "sin": 1, "cos": 1, "tan": 1, "asin": 1, "acos": 1, "atan": 1, "sinh": 1, "cosh": 1, "tanh": 1,
             "asinh": 1, "acosh": 1, "atanh": 1, "erf": 1, "erfc": 1, "cbrt": 1, "pow": 2, "atan2": 2}


@functools.cache
def library() -> ctypes.CDLL | None:
    """libmvec, when it is there and this CPU runs its AVX2 variants (None otherwise)."""
    if env.libmvec_disabled():
        return None
    if "+avx2" not in llvm.get_host_cpu_features().flatten().split(","):
        return None
    path = ctypes.util.find_library("mvec")
    if not path:
        return None
    try:
        return ctypes.CDLL(path)
    except OSError:
        return None


@functools.cache
def variant_name(name: str, is_float: bool) -> str | None:
    """``_ZGVdN8v_expf`` for ``exp`` on f32, if libmvec has it."""
    arity = FUNCTIONS.get(name)
    lib = library()
    if arity is None or lib is None:
        return None
    lanes = 8 if is_float else 4
    symbol = f"_ZGVdN{lanes}{'v' * arity}_{name}{'f' if is_float else ''}"
    return symbol if hasattr(lib, symbol) else None


def vectorizable_call(ml, b: ir.IRBuilder, fn: ir.Function, args: list[ir.Value], name: str,
                      flags: tuple[str, ...] = ()) -> ir.Value:
    """``fn(args)`` (a libm function or an intrinsic computing libm's ``name``), with its libmvec variant
    named for the vectorizer where there is one."""
    t = fn.function_type.return_type
    is_float = isinstance(t, ir.FloatType)
    call = b.call(fn, args, fastmath=flags if fn.name.startswith("llvm.") else ())
    variant = None if not isinstance(t, (ir.FloatType, ir.DoubleType)) else variant_name(name, is_float)
    if variant is None:
        return call
    lanes = 8 if is_float else 4
    vec = ir.VectorType(t, lanes)
    declared = ml.declare(variant, vec, [vec] * len(args))
    if declared not in ml.vector_variants:
        ml.vector_variants.append(declared)
    mangled = f"_ZGV_LLVM_N{lanes}{'v' * len(args)}_{fn.name}({variant})"
    # llvmlite checks call attributes against a fixed list; these two are valid LLVM and go in as they are
    set.add(call.attributes, f'"vector-function-abi-variant"="{mangled}"')
    set.add(call.attributes, "memory(none)")
    return call


def finish(ml) -> None:
    """Emit ``llvm.compiler.used`` for the variants the module's calls name."""
    kept = ml.vector_variants
    if not kept:
        return
    arr_t = ir.ArrayType(ir.PointerType(), len(kept))
    used = ir.GlobalVariable(ml.llmod, arr_t, "llvm.compiler.used")
    used.linkage = "appending"
    used.section = "llvm.metadata"
    used.initializer = ir.Constant(arr_t, kept)
