"""The llvm backend: parallel loops on threads, memref ABI, entry wrappers, errors."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import sympy as sp

import ircc
from ircc.errors import ArgumentError, BackendError
from tests.conftest import EXAMPLES

PARALLEL_SUM_ROWS = """
func.func @scale_rows(%m: memref<?x?xf64>, %s: memref<?xf64>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %r = memref.dim %m, %c0 : memref<?x?xf64>
  %c = memref.dim %m, %c1 : memref<?x?xf64>
  "scf.parallel"(%c0, %c0, %r, %c, %c1, %c1) <{operandSegmentSizes = array<i32: 2, 2, 2, 0>}> ({
  ^bb0(%i: index, %j: index):
    %v = memref.load %m[%i, %j] : memref<?x?xf64>
    %k = memref.load %s[%i] : memref<?xf64>
    %p = arith.mulf %v, %k : f64
    memref.store %p, %m[%i, %j] : memref<?x?xf64>
    scf.reduce
  }) : (index, index, index, index, index, index) -> ()
  func.return
}

func.func @total(%v: memref<?xf64>) -> f64 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f64
  %n = memref.dim %v, %c0 : memref<?xf64>
  %t = "scf.parallel"(%c0, %n, %c1, %zero) <{operandSegmentSizes = array<i32: 1, 1, 1, 1>}> ({
  ^bb0(%i: index):
    %x = memref.load %v[%i] : memref<?xf64>
    scf.reduce(%x : f64) {
    ^bb1(%a: f64, %b: f64):
      %s = arith.addf %a, %b : f64
      scf.reduce.return %s : f64
    }
  }) : (index, index, index, f64) -> f64
  func.return %t : f64
}

"""


@pytest.mark.parametrize("runtime", ["gomp", "pthreads"])
@pytest.mark.parametrize("threads", [1, 2])
def test_parallel_2d_loop_and_reduction(threads: int, runtime: str, monkeypatch) -> None:
    from ircc.backends.llvm.threads import thread_runtime

    monkeypatch.setenv("IRCC_THREAD_RUNTIME", runtime)
    # libgomp ships with torch (a test dependency) and with gcc: the gomp case must really run on it
    assert thread_runtime() == runtime, f"IRCC_THREAD_RUNTIME={runtime} did not take effect (libgomp not found?)"
    k = ircc.compile(PARALLEL_SUM_ROWS, target="llvm", threads=threads, entry="scale_rows", cache=False)
    if threads > 1:  # the chunks run on libgomp's pool or on threads of their own
        assert ("GOMP_parallel" in k.source) == (runtime == "gomp")
        assert ("pthread_create" in k.source) == (runtime == "pthreads")
    m = np.arange(3000 * 70, dtype=np.float64).reshape(3000, 70)
    s = np.linspace(1, 2, 3000)
    want = m * s[:, None]
    k(m, s)
    np.testing.assert_array_equal(m, want)
    total = ircc.compile(PARALLEL_SUM_ROWS, target="llvm", threads=threads, entry="total", cache=False)
    v = np.random.default_rng(0).random(100_001)
    assert total(v) == pytest.approx(v.sum(), rel=1e-12)
    assert total(np.empty(0)) == 0.0


def test_parallel_reductions_run_in_chunks_with_recognised_identities() -> None:
    k = ircc.compile(PARALLEL_SUM_ROWS, target="llvm", threads=2, entry="total")
    assert "@\"total.par" in k.source  # outlined, not a serial loop
    # a combining region without a known identity (a - b) stays serial, and still correct
    odd = PARALLEL_SUM_ROWS.replace("%s = arith.addf %a, %b", "%s = arith.subf %a, %b")
    serial = ircc.compile(odd, target="llvm", threads=2, entry="total")
    assert "@\"total.par" not in serial.source
    v = np.random.default_rng(1).random(1001)
    want = 0.0
    for x in v:
        want -= x
    assert serial(v) == pytest.approx(want, rel=1e-12)


def test_parallel_sympy_kernel_matches_serial() -> None:
    x, y = sp.symbols("x y")
    exprs = [sp.sin(x) * sp.exp(-y) + x**3, sp.atan2(y, x)]
    pts = [np.random.default_rng(1).uniform(-1, 1, 300_000) for _ in range(2)]
    serial = ircc.compile(exprs, args=[x, y], target="llvm", threads=1)(*pts)
    parallel = ircc.compile(exprs, args=[x, y], target="llvm", threads=2)(*pts)
    for a, b in zip(serial, parallel):
        np.testing.assert_array_equal(a, b)


def test_scalar_functions_are_builtin_calls() -> None:
    k = ircc.compile(EXAMPLES / "mlir" / "control.mlir", target="llvm", entry="collatz")
    assert k(27) == 111 and k(1) == 0
    assert type(k).__name__ == "Kernel" and "builtin" in type(k._call).__name__
    with pytest.raises(TypeError, match="takes 1 argument"):
        k(1, 2)
    with pytest.raises(TypeError):
        k("seven")


def test_scalar_entry_errors_are_python_errors() -> None:
    x, y = sp.symbols("x y")
    k = ircc.compile(sp.sin(x) + y, args=[x, y], target="llvm")
    point = k._artifact.entries["kernel:scalar"]
    with pytest.raises(TypeError, match="takes 3 argument"):
        point(1.0, 2.0)
    with pytest.raises(TypeError, match="must be a writable contiguous buffer of 8 bytes"):
        point(1.0, 2.0, np.empty(3))
    assert point(1.0, "two", np.empty(1)) is NotImplemented  # not a number: the caller's array path
    assert point(np.float64(1.0), 2.0, np.empty(1)) is NotImplemented  # only exact float / int
    assert k(1, 2) == pytest.approx(np.sin(1.0) + 2.0)  # ints are numbers too
    assert k(np.float64(1.0), np.int32(2)) == pytest.approx(np.sin(1.0) + 2.0)
    with pytest.raises(ArgumentError, match="expected real numbers"):
        k("one", 2.0)


def test_returned_memref_is_owned_by_numpy() -> None:
    k = ircc.compile(EXAMPLES / "mlir" / "matsum.mlir", target="llvm", entry="rowsums")
    m = np.arange(12.0).reshape(3, 4)
    outs = [k(m) for _ in range(50)]
    for o in outs:
        np.testing.assert_array_equal(o, [6.0, 22.0, 38.0])
    del outs  # frees 50 malloc'd buffers through their finalizers


def test_fastmath_changes_the_code() -> None:
    x = sp.Symbol("x")
    plain = ircc.compile(x * 2 + 1, args=[x], target="llvm", cache=False)
    fast = ircc.compile(x * 2 + 1, args=[x], target="llvm", cache=False, fastmath=True)
    assert "fmul fast" in fast.source and "fmul fast" not in plain.source


def test_unsupported_op_is_named() -> None:
    text = """
    func.func @f(%t: tensor<4xf64>) -> tensor<4xf64> {
      %e = tensor.empty() : tensor<4xf64>
      func.return %e : tensor<4xf64>
    }"""
    with pytest.raises(BackendError, match="cannot|accepts only"):
        ircc.compile(text, target="llvm")


def test_loop_vectorizer_choice_is_reported() -> None:
    x, y = sp.symbols("x y")
    one = ircc.compile(x * y, args=[x, y], target="llvm", cache=False)
    many = ircc.compile([x * y + i for i in range(8)], args=[x, y], target="llvm", cache=False)
    assert one.compile_stats["llvm-loop-vectorize"] is True
    assert many.compile_stats["llvm-loop-vectorize"] is False


ALLOC_IOTA = """
func.func @iota(%n: index) -> memref<?xf64> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %out = memref.alloc(%n) : memref<?xf64>
  scf.for %i = %c0 to %n step %c1 {
    %k = arith.index_cast %i : index to i64
    %f = arith.sitofp %k : i64 to f64
    memref.store %f, %out[%i] : memref<?xf64>
  }
  func.return %out : memref<?xf64>
}
"""


@pytest.mark.parametrize("n", [0, 3, (4 << 20) // 8, (5 << 20) // 8 + 1])
def test_allocations_small_and_huge_page_sized(n):
    # 4 MiB and more: 2 MiB aligned and advised for huge pages on Linux (first touch is far cheaper)
    k = ircc.compile(ALLOC_IOTA, target="llvm")
    out = k(n)
    np.testing.assert_array_equal(out, np.arange(n, dtype=np.float64))
    if sys.platform.startswith("linux"):
        assert "ircc_alloc" in k.sources["llvm"] and "madvise" in k.sources["llvm"]
        if n >= (4 << 20) // 8:
            assert out.ctypes.data % (2 << 20) == 0


BIT_COUNTS = """
func.func @bits(%a: i64, %b: i32) -> (i64, i64, i32, i32) {
  %t = math.cttz %a : i64
  %l = math.ctlz %a : i64
  %u = math.cttz %b : i32
  %v = math.ctlz %b : i32
  func.return %t, %l, %u, %v : i64, i64, i32, i32
}
"""


@pytest.mark.parametrize("target", ["llvm", "numba", "interp"])
def test_bit_counts_agree_with_mlir_on_every_backend(target):
    k = ircc.compile(BIT_COUNTS, target=target)
    got = [tuple(int(x) for x in k(a, b)) for a, b in [(0, 0), (8, 1), (-1, -2), (1 << 40, 1 << 30)]]
    assert got == [(64, 64, 32, 32), (3, 60, 0, 31), (0, 0, 1, 0), (40, 23, 30, 1)]  # 0 gives the width
