"""ircc's small runtime: functions the IR may call by name (``func.call @ircc_sgemm``), and where they live.

The only entries so far are the BLAS matrix products the ``lower-matmul`` pass chooses::

    func.func private @ircc_sgemm(memref<?x?xf32>, memref<?x?xf32>, memref<?x?xf32>, i1, i1, f32)
    // C = op(A) op(B) + beta C, op(X) = X^T where the flag is true; row-major, identity layouts

Each backend implements a runtime call its own way: ``llvm`` calls ``cblas_<s|d>gemm`` of the OpenBLAS
that numpy ships (its address is bound into the JIT), ``numba`` calls the same function through ctypes,
and ``interp`` computes it with numpy (the reference semantics). Where no CBLAS can be found,
``blas()`` is None and the pass lowers every matmul to loops instead.
"""

from __future__ import annotations

import ctypes
import functools
import glob
import os
from dataclasses import dataclass

from xdsl.dialects import func

from ircc import env
from xdsl.dialects.builtin import DYNAMIC_INDEX, Float32Type, Float64Type, FunctionType, IntegerType, MemRefType

#: runtime function -> element type name
GEMM = {"ircc_sgemm": "f32", "ircc_dgemm": "f64"}
#: CBLAS enum values (row-major order; no transpose / transpose)
ROW_MAJOR, NO_TRANS, TRANS = 101, 111, 112


def is_runtime(name: str) -> bool:
    return name in GEMM


def gemm_name(element) -> str:
    return "ircc_sgemm" if isinstance(element, Float32Type) else "ircc_dgemm"


def gemm_declaration(name: str) -> func.FuncOp:
    """The private declaration of a runtime GEMM in a module (the callee a ``func.call`` names)."""
    element = Float32Type() if GEMM[name] == "f32" else Float64Type()
    matrix = MemRefType(element, [DYNAMIC_INDEX, DYNAMIC_INDEX])
    ftype = FunctionType.from_lists([matrix, matrix, matrix, IntegerType(1), IntegerType(1), element], [])
    return func.FuncOp.external(name, list(ftype.inputs.data), [])


@dataclass(frozen=True)
class Blas:
    """A CBLAS found in this process: the addresses of its gemms and the width of its integers."""

    library: str
    sgemm: int
    dgemm: int
    int_bits: int  # 64 for an ILP64 build (numpy's), 32 otherwise
    set_threads: ctypes._CFuncPtr | None

    def address(self, name: str) -> int:
        return self.sgemm if GEMM[name] == "f32" else self.dgemm


def _candidates() -> list[tuple[str, str, int]]:
    """(library path, symbol prefix / suffix pattern, int bits): numpy's ILP64 OpenBLAS first, then scipy's."""
    import numpy

    site = os.path.dirname(os.path.dirname(numpy.__file__))
    out = [(p, "scipy_cblas_{}64_", 64) for p in sorted(glob.glob(os.path.join(site, "numpy.libs", "*openblas64*")))]
    out += [(p, "scipy_cblas_{}", 32) for p in sorted(glob.glob(os.path.join(site, "scipy.libs", "*openblas*")))]
    return out


def blas() -> Blas | None:
    """The BLAS the runtime GEMM calls go to (None: none could be loaded, matmuls then become loops): where
    torch is loaded, the MKL inside it (``runtime_mkl``: faster than OpenBLAS on ``x @ W.T``), else the
    CBLAS numpy or scipy ships. ``IRCC_BLAS=openblas`` keeps OpenBLAS; ``IRCC_NO_BLAS=1`` takes neither."""
    if env.blas_disabled():
        return None
    openblas = _openblas()
    if openblas is None or openblas.int_bits != 64 or env.blas_choice() == "openblas":
        return openblas
    from ircc.backends.runtime_mkl import torch_mkl

    mkl = torch_mkl(openblas.sgemm, openblas.dgemm)
    if mkl is None:
        return openblas
    sgemm, dgemm, set_threads = mkl
    return Blas("libtorch_cpu.so (MKL)", sgemm, dgemm, 64, set_threads)


def blas_name() -> str | None:
    """The file name of the BLAS ``blas()`` gives (what the cost model's matmul timings depend on), or None."""
    b = blas()
    return os.path.basename(b.library) if b is not None else None


@functools.cache
def _openblas() -> Blas | None:
    for path, pattern, bits in _candidates():
        try:
            lib = ctypes.CDLL(path)
            s, d = getattr(lib, pattern.format("sgemm")), getattr(lib, pattern.format("dgemm"))
        except (OSError, AttributeError):
            continue
        setter = getattr(lib, "scipy_openblas_set_num_threads64_" if bits == 64 else
                         "scipy_openblas_set_num_threads", None)
        if setter is not None:
            setter.argtypes, setter.restype = [ctypes.c_int], None
        return Blas(path, ctypes.cast(s, ctypes.c_void_p).value, ctypes.cast(d, ctypes.c_void_p).value, bits, setter)
    return None


def shared_thread_pool() -> bool:
    """Whether the BLAS calls and the llvm backend's parallel loops run on one pool of threads (torch's MKL
    and torch's libgomp): then both can be threaded, one after the other, without fighting for the cores."""
    info = blas()
    if info is None or "MKL" not in info.library:
        return False
    from ircc.backends.llvm.threads import thread_runtime

    return thread_runtime() == "gomp"


_threads = [0]


def use_blas_threads(n: int) -> None:
    """Let the BLAS use ``n`` threads (set only when it changes; OpenBLAS too where MKL is in use, as
    a size over 32 bits goes there)."""
    if _threads[0] == n:
        return
    current, openblas = blas(), _openblas()
    for info in (current, openblas) if current is not openblas else (current,):
        if info is not None and info.set_threads is not None:
            info.set_threads(max(1, int(n)))
    _threads[0] = n


def symbol_address(name: str) -> int | None:
    """Where the JIT finds ``ircc_rt_<name>`` (the cblas function behind a runtime call)."""
    info = blas()
    if info is None or not name.startswith("ircc_rt_") or name[len("ircc_rt_"):] not in GEMM:
        return None
    return info.address(name[len("ircc_rt_"):])


def ctypes_gemm(name: str):
    """The cblas gemm as a ctypes function numba can call (pointers as integers)."""
    info = blas()
    if info is None:
        from ircc.errors import BackendError

        raise BackendError("func.call @ircc_sgemm / @ircc_dgemm: no CBLAS was found in this process (numpy's "
                           "OpenBLAS); compile with the pipeline option lower-matmul{strategy=loops}")
    i = ctypes.c_int64 if info.int_bits == 64 else ctypes.c_int32
    f = ctypes.c_float if GEMM[name] == "f32" else ctypes.c_double
    proto = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_int, ctypes.c_int, i, i, i, f, ctypes.c_void_p, i,
                             ctypes.c_void_p, i, f, ctypes.c_void_p, i)
    return proto(info.address(name))


def reference_gemm(a, b, c, trans_a: bool, trans_b: bool, beta: float) -> None:
    """What a runtime gemm computes, with numpy: ``c[...] = op(a) @ op(b) + beta * c``."""
    import numpy as np

    product = np.matmul(a.T if trans_a else a, b.T if trans_b else b)
    c[...] = product + beta * c if beta else product


@functools.cache
def keep_freed_memory() -> None:
    """Let glibc's malloc keep freed buffers for reuse instead of returning them to the system.

    A model's kernel allocates its intermediates (often a few MB each) and frees them on every call; by
    default glibc serves such sizes with fresh ``mmap`` pages, so every call pays a page fault per 4 KiB
    (17% of a GPT-2 block's time at batch 64, measured with perf). Raising the mmap and trim thresholds
    (to 32 MiB and 128 MiB) makes the second call reuse the first call's memory. Process-wide, once; a
    no-op off glibc."""
    import sys

    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    m_trim_threshold, m_mmap_threshold = -1, -3
    mallopt(m_mmap_threshold, 32 << 20)
    mallopt(m_trim_threshold, 128 << 20)
