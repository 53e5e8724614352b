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
def test_linear_against_numpy(target, strategy, dtype, tmp_path, monkeypatch):
    monkeypatch.delenv("IRCC_NO_BLAS", raising=False)
    assert strategy == "loops" or runtime.blas() is not None, "no CBLAS found (numpy's OpenBLAS is always there)"
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


@pytest.mark.parametrize("which", ["auto", "openblas"])
@pytest.mark.parametrize("name", ["ircc_sgemm", "ircc_dgemm"])
def test_the_gemm_behind_the_runtime_call(which, name, monkeypatch):
    """With torch loaded the runtime GEMM is MKL's Fortran gemm behind a CBLAS-shaped shim (operands swapped
    for column-major order); ``IRCC_BLAS=openblas`` keeps numpy's OpenBLAS. Every transpose and beta."""
    pytest.importorskip("torch")
    monkeypatch.delenv("IRCC_NO_BLAS", raising=False)
    monkeypatch.setenv("IRCC_BLAS", which)
    info = runtime.blas()
    assert ("MKL" in info.library) == (which == "auto")
    gemm = runtime.ctypes_gemm(name)
    dtype = np.float32 if name == "ircc_sgemm" else np.float64
    rng = np.random.default_rng(0)
    m, n, k = 5, 7, 3
    for trans_a in (False, True):
        for trans_b in (False, True):
            for beta in (0.0, 1.0):
                a = rng.random((k, m) if trans_a else (m, k)).astype(dtype)
                b = rng.random((n, k) if trans_b else (k, n)).astype(dtype)
                c = rng.random((m, n)).astype(dtype)
                want = c.copy()
                runtime.reference_gemm(a, b, want, trans_a, trans_b, beta)
                flags = [runtime.TRANS if t else runtime.NO_TRANS for t in (trans_a, trans_b)]
                gemm(runtime.ROW_MAJOR, *flags, m, n, k, 1.0, a.ctypes.data, a.shape[1], b.ctypes.data, b.shape[1],
                     beta, c.ctypes.data, n)
                np.testing.assert_allclose(c, want, rtol=1e-5)
