"""A symbolic batch: one kernel for every batch size (``ircc.compile(..., dynamic=True)`` and torch.compile's
automatic dynamic shapes), what it refuses, and how a call at the wrong sizes is told."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

import ircc  # noqa: E402
from ircc.errors import ArgumentError, IrccError  # noqa: E402
from ircc.frontends import torch_dynamo  # noqa: E402
from tests.torch.models import MLP, GPT2Block, SmallCNN  # noqa: E402

MODELS = {"mlp": (MLP, (6,)), "gpt2_block": (GPT2Block, (5, 8)), "cnn": (SmallCNN, (3, 8, 8))}


@pytest.mark.parametrize("target", ["interp", "llvm", "numba"])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_one_kernel_serves_every_batch_size(name: str, target: str) -> None:
    torch.manual_seed(0)
    cls, rest = MODELS[name]
    model = cls().eval()
    kernel = ircc.compile(model, example_inputs=(torch.randn(3, *rest),), dynamic=True, target=target, cache=False)
    assert "memref<?x" in kernel.mlir(0)  # the batch is a ? dimension in the IR
    for batch in (1, 2, 5):
        x = torch.randn(batch, *rest)
        with torch.no_grad():
            want = model(x)
        got = kernel(x)
        assert got.shape == want.shape
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-5)


def test_an_example_batch_of_one_is_traced_as_two() -> None:
    torch.manual_seed(0)
    model = MLP().eval()
    kernel = ircc.compile(model, example_inputs=(torch.randn(1, 6),), dynamic=True, target="llvm", cache=False)
    for batch in (1, 4):
        x = torch.randn(batch, 6)
        with torch.no_grad():
            torch.testing.assert_close(kernel(x), model(x))


def test_sizes_other_than_the_batch_are_checked() -> None:
    kernel = ircc.compile(MLP().eval(), example_inputs=(torch.randn(3, 6),), dynamic=True, target="llvm",
                          cache=False)
    with pytest.raises(ArgumentError, match=r"input 0: dimension 1 must be 6, got a tensor of shape \(4, 7\)"):
        kernel(torch.randn(4, 7))


def test_static_kernels_still_refuse_other_batches() -> None:
    kernel = ircc.compile(MLP().eval(), example_inputs=(torch.randn(3, 6),), target="llvm", cache=False)
    with pytest.raises(ArgumentError, match="dynamic=True"):
        kernel(torch.randn(4, 6))


def test_a_mean_over_the_batch_is_refused_with_the_reason() -> None:
    def fn(x):
        return x.mean(0)

    with pytest.raises(IrccError, match=r"aten\.mean\.dim \(the mean over a symbolic dimension \(s\d+\); mark that "
                                        r"dimension static\) at .*test_dynamic\.py.*in fn"):
        ircc.compile(fn, example_inputs=(torch.randn(3, 4),), dynamic=True, target="interp")


def test_a_reshape_that_moves_the_batch_works() -> None:
    def fn(x):  # (6, B) -> (6 * B,): the batch is not the first size of the reshape's group
        return torch.relu(x.t().reshape(-1)) * 2.0

    kernel = ircc.compile(fn, example_inputs=(torch.randn(3, 6),), dynamic=True, target="llvm", cache=False)
    for batch in (2, 5):
        x = torch.randn(batch, 6)
        torch.testing.assert_close(kernel(x), fn(x))


@pytest.mark.parametrize("dynamic", [None, True])
def test_torch_compile_keeps_the_batch_symbolic(dynamic) -> None:
    torch.manual_seed(0)
    model = GPT2Block().eval()
    torch._dynamo.reset()
    compiled = torch.compile(model, backend="ircc", dynamic=dynamic, options={"target": "llvm", "cache": False})
    before = len(torch_dynamo.REPORTS)
    with torch.no_grad():
        for batch in (3, 4, 6, 7):
            x = torch.randn(batch, 5, 8)
            torch.testing.assert_close(compiled(x), model(x), rtol=1e-4, atol=1e-5)
    reports = torch_dynamo.REPORTS[before:]
    # dynamic=None: a static kernel for batch 3, then one symbolic kernel for every later batch
    assert [r.get("symbolic") for r in reports] == ([False, True] if dynamic is None else [True])
    assert all(r["mode"] == "whole" for r in reports)
