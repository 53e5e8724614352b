"""@ircc.jit and ircc.compile(fn, signature=...): specialization, stages, memory, options."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ircc
from ircc.errors import IrccError


def axpy(alpha, x, y):
    for i in range(len(x)):
        y[i] += alpha * x[i]
    return y


def scaled(x, alpha):
    out = np.empty(len(x))
    for i in range(len(x)):
        out[i] = alpha * x[i]
    return out


def norm_with_temp(x):
    tmp = np.empty(len(x))
    for i in range(len(x)):
        tmp[i] = x[i] * x[i]
    s = 0.0
    for i in range(len(x)):
        s += tmp[i]
    return math.sqrt(s)


def psum(a):
    s = 0.0
    for i in ircc.prange(len(a)):
        s += a[i]
    return s


def divide(p, q):
    return p // q, p % q


def test_decorator_forms():
    plain = ircc.jit(axpy)
    configured = ircc.jit(target="numba", fastmath=False)(axpy)
    x, y = np.arange(4.0), np.ones(4)
    assert plain(2.0, x, y.copy()).tolist() == [1.0, 3.0, 5.0, 7.0]
    assert configured(2.0, x, y.copy()).tolist() == [1.0, 3.0, 5.0, 7.0]
    assert configured.py_func is axpy and configured.__name__ == "axpy"


def test_one_specialization_per_argument_types():
    f = ircc.jit(scaled)
    f(np.arange(3.0), 2.0)
    f(np.arange(3.0), 2)  # an int alpha: a second specialization
    f(np.arange(5.0), 3.0)  # same types as the first: reused
    assert len(f.kernels) == 2
    assert {str(t[1]) for t in f.kernels} == {"float64", "int64"}


def test_returned_argument_is_the_callers_array():
    y = np.ones(4)
    out = ircc.jit(axpy, target="llvm")(2.0, np.arange(4.0), y)
    assert out is y


def test_new_arrays_are_owned_by_numpy():
    f = ircc.jit(scaled, target="llvm")
    outs = [f(np.arange(100.0), float(k)) for k in range(50)]
    del f
    assert outs[7][99] == 7 * 99.0 and outs[7].flags.writeable


def test_temporaries_are_freed():
    k = ircc.jit(norm_with_temp).kernel(np.ones(3))
    text = k.mlir("input")
    assert text.count("memref.alloc") == 1 and text.count("memref.dealloc") == 1
    assert k(np.array([3.0, 4.0])) == 5.0


def test_compile_with_signature():
    k = ircc.compile(scaled, signature="(float64[:], float64)", target="llvm")
    assert isinstance(k, ircc.Kernel)
    assert k(np.arange(3.0), 2.0).tolist() == [0.0, 2.0, 4.0]
    k2 = ircc.compile(scaled, signature=["f8[:]", np.int64])
    assert k2(np.arange(3.0), 3).tolist() == [0.0, 3.0, 6.0]
    with pytest.raises(IrccError, match="needs signature="):
        ircc.compile(scaled)
    with pytest.raises(IrccError, match=r"1 type\(s\) given, the function takes 2"):
        ircc.compile(scaled, signature="(float64[:])")
    with pytest.raises(IrccError, match="cannot read type"):
        ircc.compile(scaled, signature="(complex[:], float64)")


def test_stages_carry_python_locations_and_parse_back():
    k = ircc.jit(norm_with_temp, target="llvm").kernel(np.ones(3))
    first = k.mlir("input")
    assert 'loc("' in first and "test_jit_api.py" in first
    assert "scf.for" in first and "math.sqrt" in first
    again = ircc.compile(k.mlir(-1), target="llvm")  # the last stage is plain MLIR any entry takes
    assert again(np.array([3.0, 4.0])) == 5.0


def test_prange_is_scf_parallel_with_a_reduction():
    par = ircc.jit(psum).kernel(np.ones(3))
    assert "scf.parallel" in par.mlir("input") and "scf.reduce" in par.mlir("input")
    serial = ircc.jit(psum, parallel=False).kernel(np.ones(3))
    assert "scf.parallel" not in serial.mlir("input")
    a = np.random.default_rng(1).standard_normal(100_001)
    for threads in (1, 2):
        assert ircc.jit(psum, threads=threads, target="llvm")(a) == pytest.approx(a.sum(), rel=1e-12)


@pytest.mark.parametrize("target", ["llvm", "numba", "interp"])
def test_integer_division_by_zero_gives_zero(target):
    # compiled code cannot raise ZeroDivisionError: numba's error_model='numpy' result
    assert ircc.jit(divide, target=target)(7, 0) == (0, 0)
    assert ircc.jit(divide, target=target)(-7, 2) == (-4, 1)


def test_emit_stops_before_code():
    k = ircc.jit(scaled, emit="input").kernel(np.ones(2), 1.0)
    assert "func.func @scaled" in k.mlir(0)
    with pytest.raises(IrccError, match="stopped at stage"):
        k(np.ones(2), 1.0)


def test_tuples_in_and_out():
    def swap_sum(pair, k):
        a, b = pair
        return (b + k, a + k), a * b

    f = ircc.jit(swap_sum)
    assert f((1.0, 2), 1) == ((3.0, 2.0), 2.0)


def test_fastmath_reaches_the_code():
    def dot(a, b):
        s = 0.0
        for i in range(len(a)):
            s += a[i] * b[i]
        return s

    x = np.arange(8.0)
    fast = ircc.jit(dot, target="llvm", fastmath=True).kernel(x, x)
    strict = ircc.jit(dot, target="llvm").kernel(x, x)
    assert "fastmath<fast>" in fast.mlir("input") and "fastmath" not in strict.mlir("input")
    assert "fadd fast" in fast.source and "fadd fast" not in strict.source
    assert fast(x, x) == strict(x, x) == 140.0
