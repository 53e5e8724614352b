"""``target="triton"``: pointwise kernels rendered from loop IR, run in Triton's interpreter on the CPU (no GPU
here), against the llvm backend and numpy. Tiny shapes: the interpreter runs each block in numpy."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import given

import ircc
from ircc.backends.triton.device import interpreting
from ircc.errors import BackendError
from tests.test_hypothesis_sympy import SAFE_UNARY, expressions

torch = pytest.importorskip("torch")
pytest.importorskip("triton")

x, y, z = sp.symbols("x y z")
RNG = np.random.default_rng(0)
POINTS = [RNG.uniform(0.1, 2.0, 37) for _ in range(3)]  # 37: one partly masked block


def _both(exprs, dtype=np.float64, points=POINTS):
    args = [x, y, z]
    tri = ircc.compile(exprs, args=args, target="triton", dtype=dtype, cache=False)
    ref = ircc.compile(exprs, args=args, target="llvm", dtype=dtype, cache=False)
    pts = [p.astype(dtype) for p in points]
    return np.asarray(tri(*pts)), np.asarray(ref(*pts)), tri


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-12), (np.float32, 1e-5)])
def test_sympy_kernels_match_llvm(dtype, rtol) -> None:
    exprs = [sp.sin(x) * y + sp.exp(x / 2), x**2 - y * z, sp.sqrt(x + y) / (1 + z**3), sp.log(x) * sp.cos(z),
             sp.tanh(x - y) + sp.sinh(z / 3) - sp.cosh(y / 4), sp.Piecewise((x, x > y), (z, True)),
             sp.Max(x, y) - sp.Min(y, z) + sp.Abs(x - z), sp.erf(x) + sp.erfc(y), sp.tan(x / 2), x ** sp.Rational(5, 2)]
    got, want, _ = _both(exprs, dtype)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol)


#: the sympy suite's functions that Triton's interpreter can run (it has no libdevice: no atan here)
INTERPRETED_UNARY = [f for f in SAFE_UNARY if f is not sp.atan]


@given(expressions(INTERPRETED_UNARY))
def test_generated_expressions_match_llvm(expr) -> None:
    got, want, _ = _both([expr, expr * x + 1], points=[p[:9] for p in POINTS])
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


MLIR = """
func.func @scale_add(%a: memref<?x3xf32>, %s: f32, %out: memref<?x3xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %n = memref.dim %a, %c0 : memref<?x3xf32>
  "scf.parallel"(%c0, %n, %c1) <{operandSegmentSizes = array<i32: 1, 1, 1, 0>}> ({
  ^bb0(%i: index):
    %u = memref.load %a[%i, %c0] : memref<?x3xf32>
    %v = memref.load %a[%i, %c2] : memref<?x3xf32>
    %w = arith.mulf %u, %s : f32
    %t = arith.addf %w, %v : f32
    memref.store %t, %out[%i, %c1] : memref<?x3xf32>
    scf.reduce
  }) : (index, index, index) -> ()
  "scf.parallel"(%c1, %c0, %n, %c2, %c2, %c1) <{operandSegmentSizes = array<i32: 2, 2, 2, 0>}> ({
  ^bb0(%j: index, %e: index):
    %q = memref.load %a[%j, %c1] : memref<?x3xf32>
    memref.store %q, %out[%j, %e] : memref<?x3xf32>
    scf.reduce
  }) : (index, index, index, index, index, index) -> ()
  func.return
}
"""


def test_mlir_function_with_strides_a_scalar_and_a_stepped_2d_loop(tmp_path) -> None:
    dump = tmp_path / "dump"
    k = ircc.compile(MLIR, target="triton", cache=False, dump_dir=str(dump))
    a = RNG.random((11, 3)).astype(np.float32)
    out = np.zeros((11, 3), np.float32)
    k(a, np.float32(2.5), out)
    want = np.zeros((11, 3), np.float32)
    want[:, 1] = a[:, 0] * 2.5 + a[:, 2]
    want[1::2, 0] = a[1::2, 1]  # the 2-D loop: odd rows, column 0 (then column 1 is the first loop's)
    want[1::2, 1] = a[1::2, 1]
    np.testing.assert_allclose(out, want, rtol=1e-6)
    assert "@triton.jit" in k.source and k.source == (dump / "triton.py").read_text()
    assert k.source.count("@triton.jit") == 2  # one kernel per top-level loop


def test_torch_tensors_are_taken_as_they_are() -> None:
    k = ircc.compile(MLIR, target="triton", cache=False)
    a = torch.rand(5, 3)
    out = torch.zeros(5, 3)
    k(a, 1.0, out)
    torch.testing.assert_close(out[::2, 1], a[::2, 0] + a[::2, 2])
    torch.testing.assert_close(out[1::2, :2], a[1::2, 1:2].expand(2, 2))


def test_what_is_not_rendered_yet_says_so() -> None:
    reduction = """
func.func @total(%v: memref<?xf64>, %out: memref<1xf64>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f64
  %n = memref.dim %v, %c0 : memref<?xf64>
  %t = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %zero) -> (f64) {
    %x = memref.load %v[%i] : memref<?xf64>
    %s = arith.addf %acc, %x : f64
    scf.yield %s : f64
  }
  memref.store %t, %out[%c0] : memref<1xf64>
  func.return
}
"""
    with pytest.raises(BackendError, match=r"a sequential scf.for at the top level.*\(in @total: scf.for\)"):
        ircc.compile(reduction, target="triton", cache=False)
    if interpreting():
        with pytest.raises(BackendError, match=r"math.atan needs a GPU"):
            ircc.compile([sp.atan(x)], args=[x], target="triton", cache=False)
