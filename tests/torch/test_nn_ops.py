"""The ops beyond arithmetic: comparisons and bool tensors, where, embedding, convolution, pooling, batch
norm, dtype conversions and scaled_dot_product_attention, each against eager through the interpreter."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
nn = torch.nn
F = torch.nn.functional

import ircc  # noqa: E402
from ircc.errors import IrccError  # noqa: E402


class Conv(nn.Module):
    def __init__(self, stride=1, padding=0, dilation=1, bias=True) -> None:
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 3, stride=stride, padding=padding, dilation=dilation, bias=bias)

    def forward(self, x):
        return self.conv(x)


class Embed(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(7, 3)

    def forward(self, idx, x):
        return self.emb(idx) * x


class Norm(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.bn = nn.BatchNorm2d(3)
        with torch.no_grad():
            self.bn.running_mean.uniform_(-1, 1)
            self.bn.running_var.uniform_(0.5, 2)

    def forward(self, x):
        return self.bn(x)


def _cases():
    torch.manual_seed(3)
    img = torch.randn(2, 2, 7, 6)
    q, k, v = torch.randn(2, 2, 1, 4), torch.randn(2, 2, 5, 4), torch.randn(2, 2, 5, 4)
    return {
        "compare where": (lambda a, b: torch.where(a > b, a, b * 0.5) + (a <= 0).float(), (q, q.flip(-1))),
        "ne eq logical": (lambda a: ((a != 0.5) & ~(a == 1.0)).to(torch.float32) * a, (q,)),
        "where scalar": (lambda a: torch.where(a < 0, 0.0, a), (k,)),
        "sdpa": (lambda a, b, c: F.scaled_dot_product_attention(a, b, c), (q, k, v)),
        "sdpa causal": (lambda a, b, c: F.scaled_dot_product_attention(a, b, c, is_causal=True), (k, k, v)),
        "masked_fill": (lambda a: a.masked_fill(a > 0.5, -1.0), (k,)),
        "to float64 and back": (lambda a: (a.double() * 3).float(), (q,)),
        "conv padding": (Conv(padding=1), (img,)),
        "conv stride dilation": (Conv(stride=2, dilation=2, bias=False), (img,)),
        "max_pool padding": (lambda a: F.max_pool2d(a, 3, stride=2, padding=1), (img,)),
        "avg_pool": (lambda a: F.avg_pool2d(a, 2), (img,)),
        "avg_pool padding": (lambda a: F.avg_pool2d(a, 3, stride=1, padding=1), (img,)),
        "batch_norm eval": (Norm().eval(), (torch.randn(2, 3, 4, 4),)),
        "embedding": (Embed(), (torch.tensor([[0, 6, 2], [3, 3, 1]]), torch.randn(2, 3, 3))),
    }


CASES = _cases()


@pytest.mark.parametrize("case", sorted(CASES))
def test_op_against_eager(case: str) -> None:
    fn, inputs = CASES[case]
    kernel = ircc.compile(fn, example_inputs=inputs, target="interp", cache=False)
    with torch.no_grad():
        want = fn(*inputs)
    got = kernel(*inputs)
    assert got.shape == want.shape and got.dtype == want.dtype
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-5)


def test_refusals_name_the_op_and_what_is_missing() -> None:
    with pytest.raises(IrccError, match=r"aten.convolution.default \(groups=2; only groups=1\)"):
        ircc.compile(nn.Conv2d(2, 2, 3, groups=2), example_inputs=(torch.randn(1, 2, 5, 5),), target="interp")
    with pytest.raises(IrccError, match=r"max_pool2d_with_indices.default \(the indices are used"):
        ircc.compile(lambda a: F.max_pool2d(a, 2, return_indices=True)[1].float(),
                     example_inputs=(torch.randn(1, 1, 4, 4),), target="interp")
