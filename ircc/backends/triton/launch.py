"""What generated host functions call to launch a template kernel: the block sizes of a matmul, chosen per
``(M, N, K)`` -- by ``triton.autotune`` over a short list on a GPU (the list's first entry with
``IRCC_TRITON_AUTOTUNE=0``), small tiles in the interpreter (where timing means nothing)."""

from __future__ import annotations

import functools
from typing import Any

from ircc.backends.triton.device import interpreting, triton_modules

#: C rows up to which a matmul is a flat GEMM (the decode case): 16-row tiles, deeper pipelines along K
FLAT_M = 16


def row_warps(block: int) -> int:
    """Warps for a row kernel whose widest row is ``block`` lanes: about 128 to 256 lanes a warp."""
    return 4 if block <= 1024 else 8 if block <= 4096 else 16


def matmul_configs(m: int, n: int, k: int) -> list[dict[str, int]]:
    """Candidate tilings, best guess first: ``BLOCK_M/N/K``, ``GROUP_M``, ``num_warps``, ``num_stages``."""
    if m <= FLAT_M:  # few rows: tiles of 16 rows and wide columns stream y once with several K slices in flight
        return [dict(BLOCK_M=16, BLOCK_N=bn, BLOCK_K=bk, GROUP_M=1, num_warps=4, num_stages=s)
                for bn, bk, s in ((64, 128, 4), (128, 64, 4), (32, 128, 5), (64, 64, 6), (128, 128, 3))]
    return [dict(BLOCK_M=bm, BLOCK_N=bn, BLOCK_K=bk, GROUP_M=8, num_warps=w, num_stages=s)
            for bm, bn, bk, w, s in ((128, 128, 32, 8, 3), (128, 64, 32, 4, 4), (64, 128, 32, 4, 4),
                                     (64, 64, 32, 4, 4), (128, 256, 32, 8, 3), (64, 32, 32, 2, 5))]


def interpreter_config(m: int, n: int, k: int) -> dict[str, int]:
    """The tiles the interpreter runs (each block is numpy arrays: 16 to 32 a side is quickest)."""
    return dict(BLOCK_M=16 if m <= FLAT_M else 32, BLOCK_N=32, BLOCK_K=32, GROUP_M=8 if m > FLAT_M else 1)


@functools.cache
def _tuned(kernel: Any, flat: bool, restore: tuple[str, ...]) -> Any:
    triton, _ = triton_modules()
    configs = []
    for c in matmul_configs(1 if flat else 1 << 20, 1 << 20, 1 << 20):
        meta = {key: c[key] for key in ("BLOCK_M", "BLOCK_N", "BLOCK_K", "GROUP_M")}
        configs.append(triton.Config(meta, num_warps=c["num_warps"], num_stages=c["num_stages"]))
    return triton.autotune(configs=configs, key=["M_t", "N_t", "K_t"], restore_value=list(restore))(kernel)


def launch_matmul(kernel: Any, args: tuple, m: int, n: int, k: int, batch: int, restore: list[str]) -> None:
    """Launch a matmul template over ``batch`` products of ``m x n`` (``k`` deep). ``restore``: the pointer
    arguments the kernel reads and writes, which autotuning's trial runs must not leave changed."""
    from ircc.env import triton_autotune

    triton, _ = triton_modules()
    if interpreting() or not triton_autotune():
        if interpreting():
            meta = interpreter_config(m, n, k)
        else:
            meta = dict(matmul_configs(m, n, k)[0])
        grid = (triton.cdiv(m, meta["BLOCK_M"]) * triton.cdiv(n, meta["BLOCK_N"]), batch)
        kernel[grid](*args, m, n, k, **meta)
        return
    tuned = _tuned(kernel, m <= FLAT_M, tuple(restore))

    def grid(meta):
        return (triton.cdiv(m, meta["BLOCK_M"]) * triton.cdiv(n, meta["BLOCK_N"]), batch)

    tuned[grid](*args, m, n, k)
