"""The matmul template on ``target="triton"`` (Triton's interpreter here): products as tiles of ``tl.dot``, the
fill before and the pointwise epilogue after rendered into the same kernel from their IR, flat tiles for few
rows, batched products, against eager."""

from __future__ import annotations

import pytest

import ircc

torch = pytest.importorskip("torch")
pytest.importorskip("triton")


class Linear(torch.nn.Module):
    def __init__(self, k: int, n: int, act: str = "", residual: bool = False, dtype=torch.float32):
        super().__init__()
        self.lin = torch.nn.Linear(k, n).to(dtype)
        self.act, self.residual = act, residual

    def forward(self, x):
        y = self.lin(x)
        if self.act == "gelu":
            y = torch.nn.functional.gelu(y)
        elif self.act == "relu":
            y = torch.relu(y)
        if self.residual:
            y = y + x
        return y


class Bmm(torch.nn.Module):
    def forward(self, a, b):
        return torch.tanh(a @ b)


class Reused(torch.nn.Module):
    """The product is read twice (by the epilogue and by a reduction): C is stored as well."""

    def forward(self, x, w):
        y = x @ w
        return torch.relu(y), y.sum(-1)


def _kernels(source: str) -> int:
    return source.count("@triton.jit\ndef forward_")


CASES = {
    # name: (module, inputs, kernels expected)
    "flat_gelu": (lambda: Linear(40, 24, "gelu"), lambda: (torch.randn(3, 40),), 1),
    "tall_relu": (lambda: Linear(20, 36, "relu"), lambda: (torch.randn(70, 20),), 1),
    "residual": (lambda: Linear(33, 33, residual=True), lambda: (torch.randn(17, 33),), 1),
    "f64": (lambda: Linear(19, 21, "gelu", dtype=torch.float64), lambda: (torch.randn(5, 19, dtype=torch.float64),),
            1),
    "batched": (Bmm, lambda: (torch.randn(3, 18, 21), torch.randn(3, 21, 34)), 1),
    "reused": (Reused, lambda: (torch.randn(6, 9), torch.randn(9, 5)), None),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matmul_template_matches_eager(name: str) -> None:
    torch.manual_seed(0)
    make, inputs, kernels = CASES[name]
    model, args = make().eval(), inputs()
    kernel = ircc.compile(model, example_inputs=args, target="triton", cache=False)
    with torch.no_grad():
        want = model(*args)
    got = kernel(*args)
    tol = {"rtol": 1e-10, "atol": 1e-12} if args[0].dtype == torch.float64 else {"rtol": 1e-4, "atol": 1e-5}
    torch.testing.assert_close(got, want, **tol)
    assert "tl.dot(" in kernel.source
    if kernels is not None:  # the fill and the epilogue are in the product's kernel
        assert _kernels(kernel.source) == kernels, kernel.source


def test_flat_and_square_tilings() -> None:
    """Up to 16 rows of C: 16-row tiles with deep K pipelines (decode); more: square tiles, grouped."""
    from ircc.backends.triton.launch import FLAT_M, matmul_configs

    flat, square = matmul_configs(FLAT_M, 4096, 4096), matmul_configs(FLAT_M + 1, 4096, 4096)
    assert all(c["BLOCK_M"] == 16 and c["num_stages"] >= 3 for c in flat)
    assert all(c["BLOCK_M"] >= 64 for c in square)


def test_a_product_that_is_not_two_factors_stays_a_row_kernel() -> None:
    """An integer product has no tl.dot template here: it runs as the (i, j) grid with a reduced k row."""

    class IntMm(torch.nn.Module):
        def forward(self, a, b):
            return a @ b

    a, b = torch.randint(-5, 5, (4, 6)), torch.randint(-5, 5, (6, 3))
    kernel = ircc.compile(IntMm(), example_inputs=(a, b), target="triton", cache=False)
    torch.testing.assert_close(kernel(a, b), a @ b)
    assert "tl.dot(" not in kernel.source and "tl.reduce(" in kernel.source
