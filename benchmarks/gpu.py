"""ircc's Triton kernels against torch on one GPU; prints one JSON document.

    python benchmarks/gpu.py --smoke      # ~30 s: small shapes, a few repeats
    python benchmarks/gpu.py              # the full run (under 4 minutes on one GPU)

Kernel kinds measured (each generated from the IR by the triton backend, compiled through ``ircc.compile``):

- pointwise: a fused sympy kernel over 2^26 float32 points (2^18 with --smoke), as a fraction of the copy
  bandwidth this script measures (``torch`` copying the same bytes);
- rows: softmax and layer norm over (rows, 4096) float32, against ``torch.softmax`` / ``F.layer_norm``;
- matmul: float32 (M, K) @ (K, N) against ``torch.matmul`` (square, and flat GEMMs of 1 and 16 rows), and a
  linear layer with its GELU (one kernel: the epilogue on the tiles) against eager;
- decode attention: one query row per (batch, head), 32 heads of 128, batch 1 to 64 against 2k to 32k cached
  keys, against ``F.scaled_dot_product_attention`` and ``torch.compile`` of it;
- SpGEMM: ``A @ A`` for R-MAT and uniform matrices against ``torch.sparse.mm`` (cuSPARSE).

Timings are CUDA-event medians after a warm-up (``triton.testing.do_bench``). ``--smoke`` takes each matmul's
first tiling (``IRCC_TRITON_AUTOTUNE=0``) and skips torch.compile; the full run autotunes.

On the lent GPU machine (Python 3.12, its own torch and Triton): ``benchmarks/gpu_wheels.sh`` here downloads
the wheels it lacks (xdsl, egglog and their needs, about 56 MB) into ``.whl/``, which travels with ``carry``.

Without a GPU the kernels run in Triton's interpreter on the CPU: ``--smoke`` still runs (tiny shapes: it checks
that every kernel compiles and matches torch), and the JSON says ``"interpreted": true`` -- its times mean
nothing. The full mode refuses to run without a GPU.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any


def _bench(fn, interpreted: bool, repeats: int) -> float:
    """Median milliseconds per call."""
    if not interpreted:
        import triton.testing

        return float(triton.testing.do_bench(fn, warmup=25, rep=repeats * 10))
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def pointwise(n: int, device: str, interpreted: bool, repeats: int) -> dict[str, Any]:
    import numpy as np
    import sympy as sp
    import torch

    import ircc

    x, y = sp.symbols("x y")
    kernel = ircc.compile([sp.sin(x) * y + sp.exp(x / 2) - x * y], args=[x, y], target="triton",
                          dtype=np.float32, cache=False)
    entry = kernel.entries["kernel"]  # the raw entry: torch tensors on the device, the output passed in
    a, b = torch.rand(n, device=device), torch.rand(n, device=device)
    out = torch.empty(n, 1, device=device)
    entry(a, b, out)
    want = torch.sin(a) * b + torch.exp(a / 2) - a * b
    ok = bool(torch.allclose(out[:, 0], want, rtol=1e-4, atol=1e-5))
    ms = _bench(lambda: entry(a, b, out), interpreted, repeats)
    bytes_moved = 3 * n * 4
    copy_src, copy_dst = torch.rand(3 * n // 2, device=device), torch.empty(3 * n // 2, device=device)
    copy_ms = _bench(lambda: copy_dst.copy_(copy_src), interpreted, repeats)  # reads + writes the same bytes
    return {"points": n, "ms": ms, "gb_s": bytes_moved / ms / 1e6, "copy_gb_s": bytes_moved / copy_ms / 1e6,
            "fraction_of_copy": copy_ms / ms, "matches_torch": ok}


def rows(kind: str, shape: tuple[int, int], device: str, interpreted: bool, repeats: int) -> dict[str, Any]:
    import torch

    import ircc

    if kind == "softmax":
        def fn(t):
            return torch.softmax(t, dim=-1)
    else:
        norm = torch.nn.LayerNorm(shape[1]).to(device).eval()

        def fn(t):
            return norm(t)
    x = torch.randn(*shape, device=device)
    kernel = ircc.compile(fn, example_inputs=(x.cpu(),), target="triton", cache=False)  # takes device tensors
    with torch.no_grad():
        ok = bool(torch.allclose(kernel(x), fn(x), rtol=1e-4, atol=1e-5))
        ircc_ms = _bench(lambda: kernel(x), interpreted, repeats)
        torch_ms = _bench(lambda: fn(x), interpreted, repeats)
    return {"shape": list(shape), "ircc_ms": ircc_ms, "torch_ms": torch_ms, "ircc/torch": ircc_ms / torch_ms,
            "matches_torch": ok}


def matmul(m: int, k: int, n: int, device: str, interpreted: bool, repeats: int) -> dict[str, Any]:
    import torch

    import ircc

    a, b = torch.randn(m, k, device=device), torch.randn(k, n, device=device)
    kernel = ircc.compile(lambda p, q: p @ q, example_inputs=(a[:1].cpu().expand(m, k).contiguous(), b.cpu()),
                          target="triton", cache=False)
    ok = bool(torch.allclose(kernel(a, b), a @ b, rtol=1e-3, atol=1e-3))
    ircc_ms = _bench(lambda: kernel(a, b), interpreted, repeats)
    torch_ms = _bench(lambda: torch.matmul(a, b), interpreted, repeats)
    return {"mnk": [m, n, k], "ircc_ms": ircc_ms, "torch_ms": torch_ms, "ircc/torch": ircc_ms / torch_ms,
            "tflop_s": 2 * m * n * k / ircc_ms / 1e9, "matches_torch": ok}


def linear_gelu(m: int, k: int, n: int, device: str, interpreted: bool, repeats: int) -> dict[str, Any]:
    """A linear layer with its GELU: one kernel (bias and activation rendered on the tiles) vs eager's two."""
    import torch

    import ircc

    layer = torch.nn.Sequential(torch.nn.Linear(k, n), torch.nn.GELU()).eval()
    kernel = ircc.compile(layer, example_inputs=(torch.randn(m, k),), target="triton", cache=False)
    layer = layer.to(device)
    x = torch.randn(m, k, device=device)
    with torch.no_grad():
        ok = bool(torch.allclose(kernel(x), layer(x), rtol=1e-3, atol=1e-3))
        ircc_ms = _bench(lambda: kernel(x), interpreted, repeats)
        torch_ms = _bench(lambda: layer(x), interpreted, repeats)
    return {"mnk": [m, n, k], "ircc_ms": ircc_ms, "torch_ms": torch_ms, "ircc/torch": ircc_ms / torch_ms,
            "kernels": kernel.source.count("@triton.jit\ndef forward_"), "matches_torch": ok}


def attention_kernel():
    """nn.attention with every size dynamic: one kernel for every shape measured."""
    import ircc

    t = "memref<?x?x?x?xf32>"
    text = (f"func.func @attn(%q: {t}, %k: {t}, %v: {t}, %out: {t}) {{\n"
            f"  nn.attention %q, %k, %v into %out {{scale = SCALE : f64}} : {t}, {t}, {t} into {t}\n"
            "  func.return\n}\n")
    return lambda d: ircc.compile(text.replace("SCALE", repr(d ** -0.5)), target="triton", entry="attn",
                                  pipeline="canonicalize", cache=False)


def decode_attention(shapes, heads: int, d: int, device: str, interpreted: bool, repeats: int,
                     smoke: bool = False) -> dict[str, Any]:
    """One query row per (batch, head) against ``keys`` cached keys: ircc's split-K template vs SDPA and
    torch.compile's SDPA (compiled once, dynamic shapes)."""
    import torch
    import torch.nn.functional as F

    kernel = attention_kernel()(d)
    entry = kernel.entries["attn"]
    compiled = None if interpreted or smoke else torch.compile(F.scaled_dot_product_attention, dynamic=True)
    out: dict[str, Any] = {}
    for batch, keys in shapes:
        key = f"b{batch}_l{keys}"
        need = 2 * batch * heads * keys * d * 4
        if not interpreted and 2.5 * need > torch.cuda.mem_get_info()[0]:
            out[key] = {"skipped": f"K and V need {need / 2**30:.1f} GiB; too little free memory"}
            continue
        q = torch.randn(batch, heads, 1, d, device=device)
        k, v = torch.randn(batch, heads, keys, d, device=device), torch.randn(batch, heads, keys, d, device=device)
        o = torch.empty_like(q)
        entry(q, k, v, o)
        want = F.scaled_dot_product_attention(q, k, v)
        row = {"matches_torch": bool(torch.allclose(o, want, rtol=1e-3, atol=1e-4)),
               "splits": kernel.stats["attention_splits"],
               "recomputed_splits": kernel.stats["attention_recomputed"]}
        row["ircc_ms"] = _bench(lambda: entry(q, k, v, o), interpreted, repeats)
        row["sdpa_ms"] = _bench(lambda: F.scaled_dot_product_attention(q, k, v), interpreted, repeats)
        row["sdpa/ircc"] = row["sdpa_ms"] / row["ircc_ms"]
        row["kv_gb_s"] = need / row["ircc_ms"] / 1e6
        if compiled is not None:
            compiled(q, k, v)
            row["compile_ms"] = _bench(lambda: compiled(q, k, v), interpreted, repeats)
            row["compile/ircc"] = row["compile_ms"] / row["ircc_ms"]
        out[key] = row
        q = k = v = o = want = None  # freed before the next shape is allocated
    return out


def spgemm(matrices: dict[str, Any], device: str, interpreted: bool, repeats: int) -> dict[str, Any]:
    """C = A @ A: ircc's hash template against torch.sparse.mm (cuSPARSE's SpGEMM on a GPU)."""
    import numpy as np
    import torch

    import ircc

    kernel = ircc.compile(ircc.sparse.spgemm(dtype=np.float32), target="triton")
    entry = kernel.entries["spgemm"]
    out: dict[str, Any] = {}
    for name, A in matrices.items():
        A = A.astype(np.float32).tocsr()
        n = A.shape[0]
        parts = [torch.from_numpy(x).to(device) for x in (A.indptr.astype(np.int32), A.indices.astype(np.int32),
                                                          A.data)]

        def ours():
            return entry(*parts, n, n, *parts, n)

        ptr, idx, val = ours()
        want = (A @ A).tocsr()
        want.sort_indices()
        C = ptr.cpu().numpy(), idx.cpu().numpy(), val.cpu().numpy()
        ok = bool(np.array_equal(C[0], want.indptr) and np.array_equal(C[1], want.indices)
                  and np.allclose(C[2], want.data, rtol=1e-4, atol=1e-5))
        t = torch.sparse_csr_tensor(parts[0], parts[1], parts[2], size=(n, n))
        row = {"n": n, "nnz": int(A.nnz), "flops": int(np.diff(A.indptr)[A.indices].sum()), "nnz_c": int(want.nnz),
               "matches_scipy": ok, "ircc_ms": _bench(ours, interpreted, repeats)}
        try:
            row["torch_ms"] = _bench(lambda: torch.sparse.mm(t, t), interpreted, repeats)
            row["torch/ircc"] = row["torch_ms"] / row["ircc_ms"]
        except RuntimeError as err:  # torch.sparse.mm of CSR x CSR is not on every device
            row["torch"] = f"unavailable: {err}"
        out[name] = row
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="ircc's Triton kernels against torch on one GPU (JSON out)")
    parser.add_argument("--smoke", action="store_true", help="small shapes, a few repeats (~30 s)")
    ns = parser.parse_args(argv)
    from ircc.backends.triton.device import device, interpreting

    interpreted = interpreting()
    if interpreted and not ns.smoke:
        print("benchmarks/gpu.py: no GPU here (Triton would run in its interpreter, ~1000x slower than a GPU); "
              "run it on a GPU machine, or with --smoke to check that every kernel compiles and matches torch",
              file=sys.stderr)
        return 2
    if ns.smoke:  # 30 seconds: one tiling per matmul (no autotuning), no torch.compile
        import os

        os.environ["IRCC_TRITON_AUTOTUNE"] = "0"
    dev = device()
    small = ns.smoke or interpreted
    repeats = 3 if small else 20
    doc: dict[str, Any] = {"device": dev, "interpreted": interpreted, "smoke": ns.smoke, "results": {}}
    if not interpreted:
        import torch

        doc["gpu"] = torch.cuda.get_device_name()
    res = doc["results"]
    res["pointwise"] = pointwise(1 << (10 if interpreted else 18 if ns.smoke else 26), dev, interpreted, repeats)
    row_shape = (4, 64) if interpreted else (256, 4096) if ns.smoke else (8192, 4096)
    res["softmax"] = rows("softmax", row_shape, dev, interpreted, repeats)
    res["layer_norm"] = rows("layer_norm", row_shape, dev, interpreted, repeats)
    if interpreted:
        res["matmul"] = matmul(8, 16, 8, dev, interpreted, repeats)
        res["linear_gelu"] = linear_gelu(4, 24, 40, dev, interpreted, repeats)
    else:
        sizes = [(256, 256, 256), (16, 4096, 4096)] if ns.smoke else [(4096, 4096, 4096), (16, 4096, 4096),
                                                                      (1, 4096, 11008)]
        res["matmul"] = {f"m{m}_n{n}_k{k}": matmul(m, k, n, dev, interpreted, repeats) for m, k, n in sizes}
        res["linear_gelu"] = linear_gelu(*((16, 1024, 1024) if ns.smoke else (16, 4096, 4096)), dev, interpreted,
                                         repeats)
    if interpreted:
        shapes, heads, d = [(1, 130)], 2, 16
    elif ns.smoke:
        shapes, heads, d = [(1, 2048), (8, 2048)], 32, 128
    else:
        shapes, heads, d = [(b, n) for b in (1, 8, 64) for n in (2048, 8192, 32768)], 32, 128
    res["decode_attention"] = decode_attention(shapes, heads, d, dev, interpreted, repeats, smoke=ns.smoke)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from workloads_spgemm import rmat, uniform

    if interpreted:
        matrices = {"uniform_24x3": uniform(24, 3), "rmat_s4": rmat(4, 4)}
    elif ns.smoke:
        matrices = {"rmat_s12": rmat(12), "uniform_4k_x8": uniform(1 << 12, 8)}
    else:
        matrices = {"rmat_s14": rmat(14), "rmat_s16": rmat(16), "uniform_64k_x8": uniform(1 << 16, 8)}
    res["spgemm"] = spgemm(matrices, dev, interpreted, repeats)
    print(json.dumps(doc, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
