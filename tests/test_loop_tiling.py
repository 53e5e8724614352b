"""Tiled loop nests (``linalg-tile`` sizes, tiled by ``convert-linalg-to-parallel-loops``) compute what the
untiled ones do, on every CPU backend, bit for bit: a float sum (not reassociable) tiled along its one reduction
adds in the same order."""

from __future__ import annotations

import numpy as np
import pytest

import ircc
from ircc.costmodel.variants import loop_order_text
from ircc.passes.linalg_tile_choice import LOWERING

CASES = [  # (generic, sizes per dimension, tiles per dimension)
    ("transpose", (37, 70), (16, 32)),
    ("transpose", (64, 64), (64, 8)),  # a tile as long as its dimension: that one untiled
    ("row-sum", (33, 50), (8, 16)),
    ("matmul", (19, 23, 29), (8, 4, 16)),  # (i, k, j) after interchange: k, the reduction, tiled
    ("bmm", (3, 9, 10, 11), (0, 4, 4, 4)),
    ("permute3", (5, 6, 7), (2, 0, 3)),
]


def tile_pipeline(tiles: tuple[int, ...]) -> str:
    return f"linalg-interchange{{cost=static}},linalg-tile{{sizes={','.join(map(str, tiles))}}},{LOWERING}"


def _run(kernel, kind: str, sizes: tuple[int, ...], seed: int = 0) -> np.ndarray:
    from ircc.costmodel.variants import LOOP_ORDER_GENERICS

    maps = LOOP_ORDER_GENERICS[kind][0]
    rng = np.random.default_rng(seed)
    args = [np.asarray(rng.standard_normal([sizes[d] for d in m]), dtype=np.float32) for m in maps]
    kernel(*args)
    return args[-1]


@pytest.mark.parametrize("target", ["llvm", "numba", "interp"])
@pytest.mark.parametrize("kind,sizes,tiles", CASES)
def test_tiled_nest_matches_the_untiled_one(kind: str, sizes, tiles, target: str) -> None:
    text = loop_order_text(kind, sizes).replace(" fastmath<reassoc>", "")  # sums in order: comparable bit for bit
    untiled = ircc.compile(text, target=target, threads=1, pipeline=tile_pipeline((0,) * len(sizes)))
    tiled = ircc.compile(text, target=target, threads=1, pipeline=tile_pipeline(tiles))
    assert "arith.minsi" in tiled.mlir(-1) and "arith.minsi" not in untiled.mlir(-1)
    want, got = _run(untiled, kind, sizes), _run(tiled, kind, sizes)
    # one reduction dimension tiled: each output element's additions keep their order
    np.testing.assert_array_equal(got, want)


def test_a_tiled_parallel_nest_runs_on_threads() -> None:
    text = loop_order_text("transpose", (300, 260))
    k = ircc.compile(text, target="llvm", threads=2, pipeline="linalg-interchange{cost=static},"
                     "linalg-tile{sizes=32,32},convert-linalg-to-parallel-loops{min-work=64},lower-affine,"
                     "canonicalize,cse")
    assert '"scf.parallel"' in k.mlir(-1) and "arith.minsi" in k.mlir(-1)
    a = np.arange(300 * 260, dtype=np.float32).reshape(260, 300)
    out = np.zeros((300, 260), np.float32)
    k(a, out)
    np.testing.assert_array_equal(out, -a.T)
