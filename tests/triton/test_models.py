"""The torch test models on ``target="triton"`` (Triton's interpreter here): every kernel generated from the loop
IR -- pointwise, rows, matmuls as (i, j) grids with k as the row -- against eager."""

from __future__ import annotations

import pytest

import ircc

torch = pytest.importorskip("torch")
pytest.importorskip("triton")

from tests.torch.models import models  # noqa: E402


@pytest.mark.parametrize("name", ["mlp", "gpt2_block", "cnn", "decode_attention"])
def test_model_matches_eager(name: str) -> None:
    model, x = models()[name]
    kernel = ircc.compile(model, example_inputs=(x,), target="triton", cache=False)
    with torch.no_grad():
        torch.testing.assert_close(kernel(x), model(x), rtol=1e-4, atol=1e-5)
    assert "@triton.jit" in kernel.source and "ircc_sgemm" not in kernel.mlir(-1)  # no BLAS call on the device


def test_linear_layers_are_matmul_templates_with_their_epilogues() -> None:
    """The MLP's three linear layers: a tl.dot template each, bias as the accumulator's start, GELU / ReLU
    rendered on the tile, the weights' transposes strided views -- three kernels in all."""
    model, x = models()["mlp"]
    kernel = ircc.compile(model, example_inputs=(x,), target="triton", cache=False)
    assert kernel.source.count("@triton.jit\ndef forward_") == 3
    assert kernel.source.count("tl.dot(") == 3 and "tl.erf(" in kernel.source
    assert kernel.source.count(".permute(") == 3


def test_frozen_weights_are_tensors_made_once() -> None:
    model, x = models()["mlp"]
    kernel = ircc.compile(model, example_inputs=(x,), target="triton", freeze=True, cache=False)
    with torch.no_grad():
        torch.testing.assert_close(kernel(x), model(x), rtol=1e-4, atol=1e-5)
    assert "_ircc_global(" in kernel.source


def test_gpu_benchmark_smoke_runs_here(capsys, monkeypatch) -> None:
    """benchmarks/gpu.py --smoke in the interpreter: every kernel it times compiles and matches torch."""
    import json
    import runpy
    import sys

    from tests.conftest import ROOT

    monkeypatch.setattr(sys, "argv", ["gpu.py", "--smoke"])
    monkeypatch.setenv("IRCC_TRITON_AUTOTUNE", "1")  # the smoke run turns autotuning off: restored after
    with pytest.raises(SystemExit) as done:
        runpy.run_path(str(ROOT / "benchmarks" / "gpu.py"), run_name="__main__")
    assert done.value.code == 0
    doc = json.loads(capsys.readouterr().out)
    checked = [r for r in doc["results"].values() if "matches_torch" in r]
    checked += [r for group in ("decode_attention", "spgemm") for r in doc["results"][group].values()]
    assert len(checked) == 8 and all(r.get("matches_torch", r.get("matches_scipy")) for r in checked)


def test_the_torch_kernel_passes_tensors_through() -> None:
    """On this target the model's tensors reach the kernels as they are (cuda ones on a GPU): a transposed
    input is read through its strides, with no numpy copy."""
    model, x = models()["mlp"]
    kernel = ircc.compile(model, example_inputs=(x,), target="triton", cache=False)
    strided = x.t().contiguous().t()  # the same values, column-major
    assert not strided.is_contiguous()
    with torch.no_grad():
        torch.testing.assert_close(kernel(strided), model(x), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", ["mlp", "gpt2_block"])
def test_dynamic_batch_and_frozen_weights(name: str) -> None:
    """A symbolic batch (sizes read with memref.dim, seen through to the allocation's size so the matmul's
    fill and epilogue still fuse) and frozen weights (permuted views of constant tensors)."""
    model, x = models()[name]
    dynamic = ircc.compile(model, example_inputs=(x,), target="triton", dynamic=True, cache=False)
    frozen = ircc.compile(model, example_inputs=(x,), target="triton", freeze=True, cache=False)
    with torch.no_grad():
        for b in (1, 3):
            xb = torch.cat([x] * 3)[:b]
            torch.testing.assert_close(dynamic(xb), model(xb), rtol=1e-4, atol=1e-5)
        torch.testing.assert_close(frozen(x), model(x), rtol=1e-4, atol=1e-5)
    if name == "mlp":
        assert frozen.source.count("@triton.jit\ndef forward_") == 3
        assert dynamic.source.count("@triton.jit\ndef forward_") <= 4
