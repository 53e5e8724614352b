"""Every kind of kernel the triton backend generates compiles for an H100/H200 (``sm_90``) down to machine
code, here without a GPU (``tests/triton/sm90.py``): pointwise with libdevice math, rows, matmul tiles at the
GPU's block sizes (flat and square, software-pipelined), split-K attention with its recompute branch, and the
SpGEMM hash template's CAS loop."""

from __future__ import annotations

import numpy as np
import pytest

import ircc

torch = pytest.importorskip("torch")
pytest.importorskip("triton")
pytest.importorskip("triton.backends.nvidia")

from tests.triton.sm90 import compile_sm90, recorded  # noqa: E402


def _compiled(kernel, run, overrides=None) -> dict[str, int]:
    with recorded() as seen:
        run()
    assert seen, "nothing was launched"
    sizes = compile_sm90(kernel, seen, overrides)
    assert all(size > 0 for size in sizes.values())
    return sizes


def test_pointwise_with_libdevice_math() -> None:
    """The interpreter runs compositions for tanh, erfc, log1p, pow; the GPU module calls libdevice."""
    import sympy as sp

    x, y = sp.symbols("x y")
    kernel = ircc.compile([sp.tanh(x) * sp.erfc(y) + sp.log(1 + x) ** y], args=[x, y], target="triton",
                          dtype=np.float64, cache=False)
    a, b = np.linspace(0.1, 1, 8), np.linspace(0.2, 2, 8)
    _compiled(kernel, lambda: kernel(a, b))


@pytest.mark.parametrize("name", ["softmax", "layer_norm"])
def test_rows(name: str) -> None:
    fn = (lambda t: torch.softmax(t, -1)) if name == "softmax" else torch.nn.LayerNorm(16).eval()
    x = torch.randn(4, 16)
    kernel = ircc.compile(fn, example_inputs=(x,), target="triton", cache=False)
    with torch.no_grad():
        _compiled(kernel, lambda: kernel(x))


@pytest.mark.parametrize("rows, dtype", [(3, torch.float32), (40, torch.float32), (3, torch.float64)])
def test_matmul_at_gpu_tile_sizes(rows: int, dtype) -> None:
    from ircc.backends.triton.launch import matmul_configs

    layer = torch.nn.Sequential(torch.nn.Linear(24, 40), torch.nn.GELU()).to(dtype).eval()
    x = torch.randn(rows, 24, dtype=dtype)
    kernel = ircc.compile(layer, example_inputs=(x,), target="triton", cache=False)
    config = matmul_configs(rows, 4096, 4096)[0]
    with torch.no_grad():
        _compiled(kernel, lambda: kernel(x), {"forward_matmul0": config})


@pytest.mark.parametrize("case", ["decode_float_mask", "prefill_causal", "f64_float_mask", "bool_mask"])
def test_attention(case: str) -> None:
    from tests.torch.test_attention import CASES, _inputs, _module

    kernel = ircc.compile(_module([case]), target="triton", entry=case, cache=False, pipeline="canonicalize")
    arrays = _inputs(CASES[case], 1)
    b, h, s, _, _, dv, *_ = CASES[case]
    out = np.zeros((b, h, s, dv), arrays[0].dtype)
    sizes = _compiled(kernel, lambda: kernel.entries[case](*arrays, out))
    assert any(n.endswith("_split") for n in sizes) and any(n.endswith("_combine") for n in sizes)


@pytest.mark.parametrize("dtype, semiring", [(np.float32, "plus_times"), (np.float64, "plus_times"),
                                             (np.int64, "plus_times"), (np.float32, "plus_pair")])
def test_spgemm(dtype, semiring: str) -> None:
    import scipy.sparse as sps

    A = sps.random(8, 8, density=0.3, format="csr", random_state=1).astype(dtype)
    kernel = ircc.compile(ircc.sparse.spgemm(dtype=dtype, semiring=semiring), target="triton")
    sizes = _compiled(kernel, lambda: kernel(A, A))
    assert set(sizes) == {"spgemm_spgemm0_accumulate", "spgemm_spgemm0_compact"}


@pytest.mark.parametrize("name", ["gpt2_block", "cnn", "decode_attention"])
def test_torch_models(name: str) -> None:
    from tests.torch.models import models

    model, x = models()[name]
    kernel = ircc.compile(model, example_inputs=(x,), target="triton", cache=False)
    with torch.no_grad():
        _compiled(kernel, lambda: kernel(x))
