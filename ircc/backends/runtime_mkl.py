"""The MKL gemm inside torch's CPU library, behind the CBLAS signature the runtime GEMM calls use.

Where torch is loaded, ``libtorch_cpu.so`` carries Intel MKL and exports its Fortran ``sgemm_`` / ``dgemm_``
(32-bit integers, column-major, every argument by reference) and ``mkl_set_num_threads_local``. On this
machine MKL multiplies by a transposed matrix -- ``x @ W.T``, every ``nn.Linear`` -- 15 to 30 % faster than
numpy's OpenBLAS (``benchmarks/results/torch_models.md``), as fast as OpenBLAS without the transpose.

The backends call a CBLAS-shaped function (row-major, 64-bit integers by value), so each Fortran gemm gets a
small shim, JIT-compiled once with llvmlite: row-major ``C = op(A) op(B)`` is column-major
``C^T = op(B)^T op(A)^T``, so the shim swaps the operands and passes everything by reference. A size that
does not fit 32 bits goes to OpenBLAS's own CBLAS gemm instead.
"""

from __future__ import annotations

import ctypes
import functools
import os
import sys

#: (CBLAS enum) transpose flag values
_TRANS = 112

_SHIM = r"""
define void @shim_{p}gemm(i32 %order, i32 %ta, i32 %tb, i64 %m, i64 %n, i64 %k, {t} %alpha, ptr %a, i64 %lda,
                         ptr %b, i64 %ldb, {t} %beta, ptr %c, i64 %ldc) {{
entry:
  %big.m = icmp ugt i64 %m, 2147483647
  %big.n = icmp ugt i64 %n, 2147483647
  %big.k = icmp ugt i64 %k, 2147483647
  %big.a = icmp ugt i64 %lda, 2147483647
  %big.b = icmp ugt i64 %ldb, 2147483647
  %big.c = icmp ugt i64 %ldc, 2147483647
  %o1 = or i1 %big.m, %big.n
  %o2 = or i1 %o1, %big.k
  %o3 = or i1 %o2, %big.a
  %o4 = or i1 %o3, %big.b
  %big = or i1 %o4, %big.c
  br i1 %big, label %wide, label %mkl
wide:
  %cblas = inttoptr i64 {fallback} to ptr
  call void %cblas(i32 %order, i32 %ta, i32 %tb, i64 %m, i64 %n, i64 %k, {t} %alpha, ptr %a, i64 %lda, ptr %b,
                   i64 %ldb, {t} %beta, ptr %c, i64 %ldc)
  ret void
mkl:
  %ca = alloca i8
  %cb = alloca i8
  %ia = icmp eq i32 %ta, {trans}
  %ib = icmp eq i32 %tb, {trans}
  %ta.c = select i1 %ia, i8 84, i8 78
  %tb.c = select i1 %ib, i8 84, i8 78
  store i8 %ta.c, ptr %ca
  store i8 %tb.c, ptr %cb
  %pm = alloca i32
  %pn = alloca i32
  %pk = alloca i32
  %plda = alloca i32
  %pldb = alloca i32
  %pldc = alloca i32
  %palpha = alloca {t}
  %pbeta = alloca {t}
  %m32 = trunc i64 %m to i32
  %n32 = trunc i64 %n to i32
  %k32 = trunc i64 %k to i32
  %lda32 = trunc i64 %lda to i32
  %ldb32 = trunc i64 %ldb to i32
  %ldc32 = trunc i64 %ldc to i32
  store i32 %m32, ptr %pm
  store i32 %n32, ptr %pn
  store i32 %k32, ptr %pk
  store i32 %lda32, ptr %plda
  store i32 %ldb32, ptr %pldb
  store i32 %ldc32, ptr %pldc
  store {t} %alpha, ptr %palpha
  store {t} %beta, ptr %pbeta
  %fortran = inttoptr i64 {target} to ptr
  call void %fortran(ptr %cb, ptr %ca, ptr %pn, ptr %pm, ptr %pk, ptr %palpha, ptr %b, ptr %pldb, ptr %a,
                     ptr %plda, ptr %pbeta, ptr %c, ptr %pldc)
  ret void
}}
"""


def torch_mkl(fallback_sgemm: int, fallback_dgemm: int):
    """``(sgemm shim address, dgemm shim address, set_threads)`` for torch's MKL, or None where torch is not
    loaded (yet: it is asked again later) or its library exports no Fortran gemm."""
    if "torch" not in sys.modules:
        return None
    return _load(fallback_sgemm, fallback_dgemm)


@functools.cache
def _load(fallback_sgemm: int, fallback_dgemm: int):
    import torch

    path = os.path.join(os.path.dirname(torch.__file__), "lib", "libtorch_cpu.so")
    try:
        lib = ctypes.CDLL(path)
        sgemm, dgemm = lib.sgemm_, lib.dgemm_
        set_threads = lib.mkl_set_num_threads_local
    except (OSError, AttributeError):
        return None
    # the export is the Fortran entry (the C name is an alias of it): the count goes by reference
    set_threads.argtypes, set_threads.restype = [ctypes.POINTER(ctypes.c_int)], ctypes.c_int
    address = [ctypes.cast(f, ctypes.c_void_p).value for f in (sgemm, dgemm)]
    engine = _compile(address, [fallback_sgemm, fallback_dgemm])
    _ENGINES.append(engine)  # the machine code lives as long as the engine
    shims = [engine.get_function_address(f"shim_{p}gemm") for p in "sd"]
    return shims[0], shims[1], lambda n: set_threads(ctypes.byref(ctypes.c_int(int(n))))


_ENGINES: list = []


def _compile(targets: list[int], fallbacks: list[int]):
    import llvmlite.binding as llvm

    from ircc.backends.llvm.codegen import new_target_machine

    text = "".join(_SHIM.format(p=p, t=t, target=target, fallback=fallback, trans=_TRANS)
                   for p, t, target, fallback in zip("sd", ("float", "double"), targets, fallbacks))
    module = llvm.parse_assembly(text)
    module.verify()
    engine = llvm.create_mcjit_compiler(module, new_target_machine())
    engine.finalize_object()
    return engine
