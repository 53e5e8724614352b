"""``freeze=True``: parameters and buffers folded in as ``memref.global`` constants (the kernel takes only the
user's inputs, and later weight updates are not seen); tensor constants a graph lifts are always folded in."""

from __future__ import annotations

import re

import pytest

torch = pytest.importorskip("torch")

import ircc  # noqa: E402
from ircc.frontends import torch_dynamo  # noqa: E402
from tests.torch.models import models  # noqa: E402


def _signature(kernel) -> str:
    return next(line for line in kernel.mlir(0).splitlines() if "func.func @forward" in line)


@pytest.mark.parametrize("target", ["interp", "llvm", "numba"])
@pytest.mark.parametrize("name", ["mlp", "gpt2_block", "decode_attention", "cnn"])
def test_frozen_model_matches_eager(name: str, target: str) -> None:
    model, x = models()[name]
    kernel = ircc.compile(model, example_inputs=(x,), freeze=True, target=target, cache=False)
    with torch.no_grad():
        torch.testing.assert_close(kernel(x), model(x), rtol=1e-4, atol=1e-5)
    imported = kernel.mlir(0)
    n_state = len(list(model.parameters())) + len([b for b in model.buffers() if b.dtype.is_floating_point])
    assert imported.count('"memref.global"') >= n_state
    assert re.fullmatch(r"\s*func\.func @forward\(%x: [^,]+, %out0: [^,]+\) \{", _signature(kernel))


def test_frozen_weights_are_the_ones_at_compile_time() -> None:
    model, x = models()["mlp"]
    frozen = ircc.compile(model, example_inputs=(x,), freeze=True, target="llvm", cache=False)
    live = ircc.compile(model, example_inputs=(x,), target="llvm", cache=False)
    with torch.no_grad():
        before = model(x)
        model.l2.weight.mul_(-1.0)
        torch.testing.assert_close(frozen(x), before)
        torch.testing.assert_close(live(x), model(x))


def test_lifted_tensor_constants_are_globals() -> None:
    def fn(x):
        return x * torch.tensor([1.0, -2.0, 3.0])

    kernel = ircc.compile(fn, example_inputs=(torch.randn(2, 3),), target="llvm", cache=False)
    x = torch.randn(4, 3)[:2]
    torch.testing.assert_close(kernel(x), fn(x))
    assert "memref.get_global @c_lifted_tensor_0" in kernel.mlir(0)


def test_torch_compile_freeze_option() -> None:
    model, x = models()["gpt2_block"]
    torch._dynamo.reset()
    compiled = torch.compile(model, backend="ircc", options={"target": "llvm", "freeze": True, "cache": False})
    before = len(torch_dynamo.REPORTS)
    with torch.no_grad():
        want = model(x)
        torch.testing.assert_close(compiled(x), want, rtol=1e-4, atol=1e-5)
        model.proj.weight.mul_(-1.0)  # frozen: the kernel keeps the weights it was compiled with
        torch.testing.assert_close(compiled(x), want, rtol=1e-4, atol=1e-5)
        model.proj.weight.mul_(-1.0)
    assert [r["mode"] for r in torch_dynamo.REPORTS[before:]] == ["whole"]
