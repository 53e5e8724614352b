"""The attention template: ``nn.attention`` as decode-style split-K attention with FlashDecoding++'s
asynchronized softmax (one unified max value per query row).

Each query row's keys are cut into ``splits`` chunks, one program each (``attention_splits``: enough programs
to fill the GPU when batch x heads is small, as in decoding). A split computes its scores ``s = q.k * scale``
(plus the mask), then ``p = exp(s - phi)``, ``l = sum p`` and ``acc = sum p * v`` with the same ``phi`` in every
split of the row -- so the partial sums of the splits add directly, with no max exchanged between them and no
rescaling. ``phi`` is the row's score of its first visible key (0 where that is not finite): every split
computes it from one key row.

Exact either way: a split whose largest score ``m`` leaves the safe range around ``phi``
(``m > phi + HI``: ``exp`` could overflow; ``m < phi - LO``: its largest terms would lose precision) takes the
recompute path -- it runs its keys again with ``m`` in place of ``phi`` -- and records ``m`` as its reference.
The combine kernel weights each split by ``exp(ref - max ref)``: 1 everywhere on the fast path, the usual
rescaling after a recompute. A row that sees no key at all is written as zeros (torch's CPU kernel does the
same). The splits that took the recompute path are counted in ``kernel.stats["attention_recomputed"]``.
"""

from __future__ import annotations

import functools

from xdsl.dialects.builtin import Float64Type, IntegerType

from ircc.ir.dialects.nn import AttentionOp

#: the safe range of a split's largest score around the unified max: exp(60) * 32k keys * |v| stays far
#: under fp32's 3.4e38, and a largest term above exp(-20) leaves terms that underflow (below exp(-87))
#: smaller than 1e-29 of it, as the synchronized softmax does
HI, LO = 60.0, 20.0
#: keys per step of a split's loop
BLOCK_L = 64


def attention_splits(rows: int, keys: int, processors: int) -> int:
    """Splits per query row: about four programs per processor in all, at least one block of keys each."""
    blocks = max(1, -(-keys // BLOCK_L))
    want = max(1, -(-4 * processors // max(1, rows)))
    return min(want, blocks)


def render_attention(name: str, op: AttentionOp) -> str:
    """The two kernels (``{name}_split``, ``{name}_combine``) of one ``nn.attention``; a mask is kept where
    true (``i1``) or added to the scores (float)."""
    acc = "tl.float64" if isinstance(op.q.type.element_type, Float64Type) else "tl.float32"
    mask_kind = 0
    if op.mask is not None:
        mask_kind = 1 if isinstance(op.mask.type.element_type, IntegerType) else 2
    causal = op.causal is not None
    mask_params = ", p_mask, m_s0, m_s1, m_s2, m_s3" if mask_kind else ""

    def scores(j: str, sel: str, s: str = "s") -> list[str]:
        """The mask and causality applied to the scores ``s`` of keys ``j`` (names differ per shape: a
        loop-carried name keeps one type in Triton)."""
        lines = []
        if mask_kind:
            mv = f"{s}_mask"
            lines.append(f"{mv} = tl.load(p_mask + b * m_s0 + h * m_s1 + i * m_s2 + {j} * m_s3{sel})")
            lines.append(f"{s} = tl.where({mv} != 0, {s}, float('-inf'))" if mask_kind == 1
                         else f"{s} = {s} + {mv}.to({acc})")
        if causal:
            lines.append(f"{s} = tl.where({j} <= i, {s}, float('-inf'))")
        return lines

    def loop(ref: str) -> list[str]:
        body = ["for j0 in range(start, end, BLOCK_L):",
                "    rj = j0 + tl.arange(0, BLOCK_L)",
                "    mj = rj < end",
                "    kt = tl.load(p_k + b * k_s0 + h * k_s1 + rj[:, None] * k_s2 + rd[None, :] * k_s3, "
                "mask=mj[:, None] & md[None, :], other=0.0)",
                f"    s = tl.reduce(kt.to({acc}) * qv[None, :], 1, _ircc_combine_add) * scale"]
        body += ["    " + line for line in scores("rj", ", mask=mj, other=0")]
        body += ["    s = tl.where(mj, s, float('-inf'))",
                 "    m = tl.maximum(m, tl.reduce(s, 0, _ircc_combine_max))",
                 f"    p = tl.exp(s - {ref})",
                 "    p = tl.where(mj, p, 0.0)",
                 "    l += tl.reduce(p, 0, _ircc_combine_add)",
                 "    vt = tl.load(p_v + b * v_s0 + h * v_s1 + rj[:, None] * v_s2 + rv[None, :] * v_s3, "
                 "mask=mj[:, None] & mv_[None, :], other=0.0)",
                 f"    acc += tl.reduce(p[:, None] * vt.to({acc}), 0, _ircc_combine_add)"]
        return body

    split = [
        "@triton.jit",
        f"def {name}_split(p_q, q_s0, q_s1, q_s2, q_s3, p_k, k_s0, k_s1, k_s2, k_s3, p_v, v_s0, v_s1, v_s2, v_s3"
        f"{mask_params}, p_acc, p_l, p_ref, p_redo, H, S, L, D, DV, p_scale, chunk, splits, "
        "BLOCK_L: tl.constexpr, BLOCK_D: tl.constexpr, BLOCK_DV: tl.constexpr):",
        "    row = tl.program_id(0)",
        "    sp = tl.program_id(1)",
        "    i = row % S",
        "    b = row // (S * H)",
        "    h = (row // S) % H",
        "    rd = tl.arange(0, BLOCK_D)",
        "    md = rd < D",
        "    rv = tl.arange(0, BLOCK_DV)",
        "    mv_ = rv < DV",
        "    scale = tl.load(p_scale)  # a tensor of the element type: an f64 scale keeps its precision",
        f"    qv = tl.load(p_q + b * q_s0 + h * q_s1 + i * q_s2 + rd * q_s3, mask=md, other=0.0).to({acc})",
        "    start = sp * chunk",
        "    end = tl.minimum(start + chunk, L)",
        *(["    end = tl.minimum(end, i + 1)"] if causal else []),
        "    k0 = tl.load(p_k + b * k_s0 + h * k_s1 + rd * k_s3, mask=md, other=0.0)",  # phi: the first key's score
        f"    first = tl.reduce(k0.to({acc}) * qv, 0, _ircc_combine_add) * scale",
        *["    " + line for line in scores("0", "", "first")],
        "    phi = tl.where((first == first) & (first > float('-inf')) & (first < float('inf')), first, 0.0)",
        f"    acc = tl.full((BLOCK_DV,), 0, {acc})",
        f"    l = tl.full((), 0, {acc})",
        f"    m = tl.full((), float('-inf'), {acc})",
        *["    " + line for line in loop("phi")],
        f"    redo = (m > phi + {HI!r}) | ((m < phi - {LO!r}) & (m > float('-inf')))",
        "    ref = phi",
        "    if redo:  # the recompute path: this split's own max as its reference",
        "        ref = m",
        f"        acc = tl.full((BLOCK_DV,), 0, {acc})",
        f"        l = tl.full((), 0, {acc})",
        *["        " + line for line in loop("ref")],
        "    slot = row * splits + sp",
        "    tl.store(p_acc + slot * DV + rv, acc, mask=mv_)",
        "    tl.store(p_l + slot, l)",
        "    tl.store(p_ref + slot, ref)",
        "    tl.store(p_redo + slot, redo.to(tl.int32))",
    ]
    combine = [
        "@triton.jit",
        f"def {name}_combine(p_acc, p_l, p_ref, p_out, o_s0, o_s1, o_s2, o_s3, H, S, DV, splits, "
        "BLOCK_S: tl.constexpr, BLOCK_DV: tl.constexpr):",
        "    row = tl.program_id(0)",
        "    i = row % S",
        "    b = row // (S * H)",
        "    h = (row // S) % H",
        "    rs = tl.arange(0, BLOCK_S)",
        "    ms = rs < splits",
        "    rv = tl.arange(0, BLOCK_DV)",
        "    mv_ = rv < DV",
        "    l = tl.load(p_l + row * splits + rs, mask=ms, other=0.0)",
        "    ref = tl.load(p_ref + row * splits + rs, mask=ms, other=float('-inf'))",
        "    top = tl.reduce(tl.where(l > 0, ref, float('-inf')), 0, _ircc_combine_max)",
        "    w = tl.where(l > 0, tl.exp(ref - top), 0.0)  # 1 for every split that kept the unified max",
        "    total = tl.reduce(w * l, 0, _ircc_combine_add)",
        "    parts = tl.load(p_acc + (row * splits + rs)[:, None] * DV + rv[None, :], "
        "mask=ms[:, None] & mv_[None, :], other=0.0)",
        "    o = tl.reduce(w[:, None] * parts, 0, _ircc_combine_add)",
        "    o = tl.where(total > 0, o / tl.where(total > 0, total, 1.0), 0.0)",
        "    tl.store(p_out + b * o_s0 + h * o_s1 + i * o_s2 + rv * o_s3, o, mask=mv_)",
    ]
    source = "\n".join(split) + "\n\n\n" + "\n".join(combine) + "\n"
    return source


def launch_attention(split, combine, q, k, v, mask, out, scale: float, stats: dict) -> None:
    """Run one attention: scratch for the splits' partial results, then the two kernels."""
    import torch

    from ircc.backends.triton.device import has_gpu, triton_modules

    triton, _ = triton_modules()
    B, H, S, D = q.shape
    L, DV = k.shape[2], v.shape[3]
    rows = B * H * S
    if rows == 0:
        return
    processors = _processors(q.device) if has_gpu() else 4
    splits = attention_splits(rows, L, processors)
    chunk = max(1, -(-L // splits))
    chunk = -(-chunk // BLOCK_L) * BLOCK_L  # whole blocks per split
    splits = max(1, -(-L // chunk))
    acc_dtype = torch.float64 if q.dtype == torch.float64 else torch.float32
    part_acc = torch.empty((rows * splits, DV), dtype=acc_dtype, device=q.device)
    part_l = torch.empty((rows * splits,), dtype=acc_dtype, device=q.device)
    part_ref = torch.empty((rows * splits,), dtype=acc_dtype, device=q.device)
    redo = torch.empty((rows * splits,), dtype=torch.int32, device=q.device)
    extra = []
    if mask is not None:
        expanded = mask.expand(B, H, S, L)  # numpy broadcasting, as torch's: size-1 dimensions get stride 0
        extra = [expanded, *expanded.stride()]
    block_d = max(16, triton.next_power_of_2(D))
    block_dv = max(16, triton.next_power_of_2(DV))
    if L > 0:
        scale_t = torch.full((1,), scale, dtype=acc_dtype, device=q.device)
        split[(rows, splits)](q, *q.stride(), k, *k.stride(), v, *v.stride(), *extra, part_acc, part_l, part_ref,
                              redo, H, S, L, D, DV, scale_t, chunk, splits, BLOCK_L=BLOCK_L, BLOCK_D=block_d,
                              BLOCK_DV=block_dv)
    else:
        part_l.zero_()
        part_ref.fill_(float("-inf"))
        part_acc.zero_()
        redo.zero_()
    combine[(rows,)](part_acc, part_l, part_ref, out, *out.stride(), H, S, DV, splits,
                     BLOCK_S=max(2, triton.next_power_of_2(splits)), BLOCK_DV=block_dv)
    stats["last_call"] = DeviceStats(attention_splits=splits, attention_recomputed=redo)


@functools.cache
def _processors(device) -> int:
    """The GPU's multiprocessors (asked once per device, not on every call)."""
    import torch

    return torch.cuda.get_device_properties(device).multi_processor_count


class DeviceStats(dict):
    """``kernel.stats`` of a call whose counts are still on the device: a count is summed (a sync) only when
    read, so a call does not wait for its kernels."""

    def __getitem__(self, key):
        value = super().__getitem__(key)
        return int(value.sum()) if hasattr(value, "sum") else value

    def get(self, key, default=None):
        return self[key] if key in self else default

    def items(self):
        return [(key, self[key]) for key in self]

    def values(self):
        return [self[key] for key in self]

    def __repr__(self) -> str:
        return repr(dict(self.items()))
