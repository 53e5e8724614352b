"""Torch kernels whose loops have enough work to share out (a decode step over a 512-long cache, with the
pass's threshold lowered to fit a test): their outermost loops are scf.parallel, and with threads=2 the llvm
and numba backends still match eager."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

import ircc  # noqa: E402
from ircc.frontends.torch import DEFAULT_PIPELINE  # noqa: E402
from tests.torch.models import DecodeAttention  # noqa: E402


@pytest.mark.parametrize("target", ["llvm", pytest.param("numba", marks=pytest.mark.slow)])
def test_parallel_loops_match_eager_on_two_threads(target: str) -> None:
    torch.manual_seed(4)
    model, x = DecodeAttention(batch=4, d=32, heads=4, cache_len=512).eval(), torch.randn(4, 1, 32)
    pass_name = "convert-linalg-to-parallel-loops"
    pipeline = DEFAULT_PIPELINE.replace(pass_name, pass_name + "{min-work=1024}")
    kernel = ircc.compile(model, example_inputs=(x,), target=target, threads=2, cache=False, pipeline=pipeline)
    assert "scf.parallel" in kernel.mlir("convert-linalg-to-parallel-loops")
    with torch.no_grad():
        torch.testing.assert_close(kernel(x), model(x), rtol=1e-4, atol=1e-5)
