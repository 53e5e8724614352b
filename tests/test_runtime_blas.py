"""The ``lower-matmul`` pass's two lowerings, run by every CPU backend against numpy: the BLAS call
(``func.call @ircc_sgemm`` into ircc's runtime, with transpose flags and beta) and the loop nest."""

import numpy as np
import pytest

import ircc
from ircc.backends import runtime

LINEAR = """
func.func @linear(%w: memref<5x3xT>, %bias: memref<5xT>, %x: memref<4x3xT>, %out: memref<4x5xT>) {
  %wt = memref.alloc() : memref<3x5xT>
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]} ins(%w : memref<5x3xT>) outs(%wt : memref<3x5xT>) {
  ^bb0(%a: T, %b: T):
    linalg.yield %a : T
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]} ins(%bias : memref<5xT>) outs(%out : memref<4x5xT>) {
  ^bb0(%a: T, %b: T):
    linalg.yield %a : T
  }
  linalg.matmul ins(%x, %wt : memref<4x3xT>, memref<3x5xT>) outs(%out : memref<4x5xT>)
  memref.dealloc %wt : memref<3x5xT>
  func.return
}
"""


@pytest.mark.parametrize("target", ["interp", "llvm", "numba"])
@pytest.mark.parametrize("strategy", ["blas", "loops"])
@pytest.mark.parametrize("dtype", ["f32", "f64"])
def test_linear_against_numpy(target, strategy, dtype, tmp_path):
    if strategy == "blas" and runtime.blas() is None:
        pytest.skip("no CBLAS in this process")
    np_dtype = np.float32 if dtype == "f32" else np.float64
    pipeline = f"lower-matmul{{strategy={strategy}}},convert-linalg-to-loops,lower-affine,canonicalize,cse"
    kernel = ircc.compile(LINEAR.replace("xT>", f"x{dtype}>").replace(": T", f": {dtype}"), entry="linear",
                          target=target, pipeline=pipeline, cache=False)
    lowered = kernel.mlir(-1)
    assert ("func.call @ircc_" in lowered) == (strategy == "blas")
    rng = np.random.default_rng(0)
    w, bias, x = (rng.standard_normal(s).astype(np_dtype) for s in ((5, 3), (5,), (4, 3)))
    out = np.zeros((4, 5), np_dtype)
    kernel(w, bias, x, out)
    np.testing.assert_allclose(out, x @ w.T + bias, rtol=1e-5 if dtype == "f32" else 1e-12)


def test_strategy_is_checked():
    with pytest.raises(ircc.IrccError, match="strategy='fast'"):
        ircc.compile(LINEAR.replace("xT>", "xf32>").replace(": T", ": f32"), entry="linear", target="interp",
                     pipeline="lower-matmul{strategy=fast}", cache=False)
