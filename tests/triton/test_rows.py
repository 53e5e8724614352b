"""Row reductions on ``target="triton"``, generated from the loop IR the torch frontend produces (a program per
row, each inner loop a masked row of lanes, accumulations as ``tl.reduce``), in Triton's interpreter."""

from __future__ import annotations

import numpy as np
import pytest

import ircc
from ircc.errors import BackendError
from tests.conftest import EXAMPLES

torch = pytest.importorskip("torch")
pytest.importorskip("triton")


def _rms_norm(x):
    return x * torch.rsqrt((x * x).mean(-1, keepdim=True) + 1e-6)


CASES = {
    "softmax": (lambda x: torch.softmax(x, dim=-1), (4, 6)),
    "softmax_3d": (lambda x: torch.softmax(x, dim=-1), (2, 3, 5)),
    "log_softmax": (lambda x: torch.log_softmax(x, dim=-1), (3, 7)),
    "layer_norm": (torch.nn.LayerNorm(6), (4, 6)),
    "layer_norm_3d": (torch.nn.LayerNorm(6), (2, 4, 6)),
    "rms_norm": (_rms_norm, (3, 9)),
    "sum": (lambda x: x.sum(-1), (5, 9)),
    "amax": (lambda x: x.amax(-1), (5, 9)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_row_reductions_match_eager(name: str) -> None:
    torch.manual_seed(0)
    fn, shape = CASES[name]
    if isinstance(fn, torch.nn.Module):
        fn.eval()
        with torch.no_grad():
            fn.weight.uniform_(0.5, 1.5)
            fn.bias.uniform_(-0.5, 0.5)
    x = torch.randn(*shape)
    k = ircc.compile(fn, example_inputs=(x,), target="triton", cache=False)
    with torch.no_grad():
        torch.testing.assert_close(k(x), fn(x), rtol=1e-5, atol=1e-6)
    assert "tl.reduce(" in k.source
    if name in FUSED:  # the sibling nests of one row are one kernel, its temporaries in registers
        assert k.source.count("@triton.jit\ndef forward") == 1, k.source
        assert k.source.count("tl.store(") == 1 and "torch.empty(" not in k.source


#: the cases whose nests all work on their own rows: one kernel each
FUSED = ("softmax", "softmax_3d", "log_softmax", "layer_norm", "layer_norm_3d", "rms_norm")


def test_softmax_reads_its_row_once() -> None:
    k = ircc.compile(lambda t: torch.softmax(t, -1), example_inputs=(torch.randn(4, 16),), target="triton",
                     cache=False)
    assert k.source.count("tl.load(") == 1 and "tl.debug_barrier()" not in k.source


def test_rows_that_read_other_rows_are_not_fused() -> None:
    """softmax over dim 0: the rows' nests read columns, which other programs write -- kernels stay apart."""
    x = torch.randn(5, 7)
    k = ircc.compile(lambda t: torch.softmax(t, 0), example_inputs=(x,), target="triton", cache=False)
    torch.testing.assert_close(k(x), torch.softmax(x, 0))
    assert k.source.count("@triton.jit\ndef forward") > 1


#: row norms: a parallel loop over rows, each row's sum of squares a carried value
CARRIED = (EXAMPLES / "mlir" / "rownorms.mlir").read_text()


def test_a_carried_sum_is_a_row_reduction() -> None:
    k = ircc.compile(CARRIED, target="triton", cache=False)
    m = np.random.default_rng(0).random((6, 13))
    out = np.zeros(6)
    k(m, out)
    np.testing.assert_allclose(out, np.sqrt((m * m).sum(axis=1)), rtol=1e-12)


def test_a_matmul_is_a_grid_of_rows_and_a_sequential_loop_is_refused() -> None:
    x, w = torch.randn(3, 4), torch.randn(4, 5)
    k = ircc.compile(lambda a, b: a @ b, example_inputs=(x, w), target="triton", cache=False)
    torch.testing.assert_close(k(x, w), x @ w)  # linalg.matmul: (i, j) the grid, k a reduced row
    with pytest.raises(BackendError, match="a sequential scf.for at the top level"):
        ircc.compile(CARRIED, target="triton", cache=False,
                     pipeline="convert-scf-parallel-to-for")
