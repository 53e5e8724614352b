"""The torch frontend's first step: torch.export graphs through linalg and loops, against eager."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

import ircc  # noqa: E402
from ircc.errors import ArgumentError, IrccError  # noqa: E402

TARGETS = ("interp", "llvm", "numba")


class MLP(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.l1 = torch.nn.Linear(3, 5)
        self.l2 = torch.nn.Linear(5, 2)

    def forward(self, x):
        h = self.l1(x)
        return self.l2(torch.sigmoid(h) * 2.0 + x.sum() - torch.tanh(h).exp() / 3.0)


def _close(got, want) -> None:
    assert got.shape == want.shape and got.dtype == want.dtype
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("target", TARGETS)
def test_mlp_matches_eager_and_sees_updated_weights(target: str) -> None:
    torch.manual_seed(0)
    model, x = MLP(), torch.randn(4, 3)
    kernel = ircc.compile(model, example_inputs=(x,), target=target, cache=False)
    with torch.no_grad():
        _close(kernel(x), model(x))
        model.l1.weight.add_(0.5)  # parameters are arguments: the kernel sees the change
        _close(kernel(x), model(x))
    assert kernel.compile_stats["frontend"] == "torch"
    text = kernel.mlir("input")
    assert "linalg.matmul" in text and "linalg" not in kernel.mlir("cse")
    assert text.count("memref.alloc") == text.count("memref.dealloc") > 0  # intermediates are freed


CASES = {
    "add broadcast": (lambda a, b: a + b, [(3, 1), (1, 4)]),
    "sub row": (lambda a, b: a - b, [(3, 4), (4,)]),
    "mul scalar": (lambda a: a * 2.5, [(2, 3)]),
    "div": (lambda a, b: a / (b * b + 1.0), [(2, 3), (2, 3)]),
    "neg relu": (lambda a: torch.relu(-a), [(5,)]),
    "exp tanh sigmoid": (lambda a: torch.exp(torch.tanh(a)) + torch.sigmoid(a), [(2, 2, 3)]),
    "transpose mm": (lambda a, b: a.t() @ b, [(3, 2), (3, 4)]),
    "permute": (lambda a: a.permute(2, 0, 1) * 1.0, [(2, 3, 4)]),
    "sum": (lambda a, b: a.sum() + b, [(3, 4), (2,)]),
    "sum dim": (lambda a: a.sum(dim=1), [(2, 4, 3)]),
    "mean keepdim": (lambda a: a.mean(dim=1, keepdim=True) + a, [(2, 4, 3)]),
    "amax dims": (lambda a: a.amax(dim=(0, 2)), [(2, 4, 3)]),
    "softmax": (lambda a: torch.softmax(a, dim=-1), [(3, 5)]),
    "log_softmax dim 0": (lambda a: torch.log_softmax(a, dim=0), [(3, 5)]),
    "transpose 3-D": (lambda a: a.transpose(0, 2) + 1.0, [(2, 3, 4)]),
    "view": (lambda a: a.view(6, 4) * 2.0, [(2, 3, 4)]),
    "reshape unsqueeze": (lambda a, b: a.reshape(3, 2).unsqueeze(0) + b, [(6,), (4, 3, 2)]),
    "expand": (lambda a: a.expand(3, 4) + 0.5, [(1, 4)]),
    "flatten": (lambda a: torch.flatten(a, 1) - 1.0, [(2, 3, 4)]),
    "bmm": (lambda a, b: torch.bmm(a, b), [(2, 3, 4), (2, 4, 5)]),
    "matmul batched": (lambda a, b: a @ b, [(2, 3, 4), (4, 5)]),
    "sqrt rsqrt log": (lambda a: torch.sqrt(a * a + 1.0) + torch.rsqrt(a * a + 2.0) + torch.log(a * a + 1.0),
                       [(3, 4)]),
    "silu": (lambda a: torch.nn.functional.silu(a), [(3, 4)]),
    "gelu erf": (lambda a: torch.nn.functional.gelu(a), [(3, 4)]),
    "gelu tanh": (lambda a: torch.nn.functional.gelu(a, approximate="tanh"), [(3, 4)]),
    "attention": (lambda q, k, v: torch.softmax(q @ k.transpose(1, 2) / 2.0, dim=-1) @ v,
                  [(2, 3, 4), (2, 5, 4), (2, 5, 4)]),
    "layer_norm": (lambda a, w, b: torch.nn.functional.layer_norm(a, (4,), w, b), [(2, 3, 4), (4,), (4,)]),
    "layer_norm 2 dims, no affine": (lambda a: torch.nn.functional.layer_norm(a, (3, 4)), [(2, 3, 4)]),
    "rms_norm by hand": (lambda a, w: a * torch.rsqrt(a.pow(2).mean(-1, keepdim=True) + 1e-6) * w, [(3, 8), (8,)]),
    "split": (lambda a: a.split(2, dim=1)[1] * 3.0, [(2, 6)]),
    "pow": (lambda a: (a * a + 1.0).pow(1.5), [(2, 3)]),
    "cat": (lambda a, b: torch.cat([a, b * 2.0, a], dim=1), [(2, 3), (2, 1)]),
    "slice and select": (lambda a: a[:, 1:5:2] + a[:, -2:] + a[1, :2], [(3, 6)]),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_ops_against_eager(case: str, dtype) -> None:
    fn, shapes = CASES[case]
    torch.manual_seed(1)
    inputs = tuple(torch.randn(s, dtype=dtype) for s in shapes)
    kernel = ircc.compile(fn, example_inputs=inputs, target="interp", cache=False)
    _close(kernel(*inputs), fn(*inputs))


class Cumsum(torch.nn.Module):
    def forward(self, a):
        return torch.cumsum(a, dim=0)  # the line the error names


class GPT2Block(torch.nn.Module):
    """A GPT-2-style transformer block (pre-norm, two heads, tanh GELU), random weights."""

    def __init__(self, d: int = 8, heads: int = 2) -> None:
        super().__init__()
        self.ln1, self.ln2 = torch.nn.LayerNorm(d), torch.nn.LayerNorm(d)
        self.qkv, self.proj = torch.nn.Linear(d, 3 * d), torch.nn.Linear(d, d)
        self.fc, self.out = torch.nn.Linear(d, 4 * d), torch.nn.Linear(4 * d, d)
        self.heads = heads

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(c, dim=2)
        q, k, v = (z.view(b, t, self.heads, c // self.heads).transpose(1, 2) for z in (q, k, v))
        att = torch.softmax(q @ k.transpose(-2, -1) / (c // self.heads) ** 0.5, dim=-1)
        x = x + self.proj((att @ v).transpose(1, 2).contiguous().view(b, t, c))
        return x + self.out(torch.nn.functional.gelu(self.fc(self.ln2(x)), approximate="tanh"))


@pytest.mark.parametrize("target", ["interp", "llvm"])
def test_gpt2_block_matches_eager(target: str) -> None:
    torch.manual_seed(2)
    model, x = GPT2Block(), torch.randn(2, 5, 8)
    kernel = ircc.compile(model, example_inputs=(x,), target=target, cache=False)
    with torch.no_grad():
        _close(kernel(x), model(x))


def test_unsupported_op_names_it_and_the_users_line() -> None:
    with pytest.raises(IrccError, match=r"unsupported ATen op aten\.\w+\.default at .*test_import\.py"
                                        r"\", line \d+, in forward: return torch\.cumsum\(a, dim=0\)"):
        ircc.compile(Cumsum(), example_inputs=(torch.randn(2, 3),), target="interp")

    def fn(a):
        return torch.cumsum(a, dim=0)

    with pytest.raises(IrccError, match=r"aten\.\w+\.default at .*test_import\.py\", line \d+, in fn "
                                        r"\(torch recorded no line inside it\)"):
        ircc.compile(fn, example_inputs=(torch.randn(2, 3),), target="interp")


def test_bad_calls_are_refused() -> None:
    kernel = ircc.compile(MLP(), example_inputs=(torch.randn(4, 3),), target="interp", cache=False)
    with pytest.raises(ArgumentError, match=r"expected a torch.float32 tensor of shape \(4, 3\)"):
        kernel(torch.randn(5, 3))
    with pytest.raises(ArgumentError, match="takes 1 input"):
        kernel()
    with pytest.raises(IrccError, match=r"unsupported ATen op aten.div.Tensor_mode \(rounding_mode='floor'\)"):
        ircc.compile(lambda a: a // 2.0, example_inputs=(torch.ones(3),))
    with pytest.raises(IrccError, match=r"aten.sum.dim_IntList \(on torch.int64 tensors; only float32 / float64\)"):
        ircc.compile(lambda a: a.sum(), example_inputs=(torch.ones(3, dtype=torch.int64),))
