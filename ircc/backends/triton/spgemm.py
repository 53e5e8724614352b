"""The SpGEMM template: ``sparse.spgemm`` as row-wise products with a hash accumulator per row.

One program (one warp: ``BLOCK`` lanes) per row of A. Row ``i`` owns a hash table in global scratch of
``next_pow2(2 * min(flops_i, n))`` slots (a key array, ``-1`` where empty, and a value array), so its
distinct columns never fill it. For each entry ``A[i, k]`` the program takes row ``k`` of B ``BLOCK`` entries
at a time: each lane finds its column's slot by linear probing with ``tl.atomic_cas`` (an empty slot is
claimed, a slot holding the column is found; lanes still colliding probe on) and adds ``A[i, k] * B[k, j]``
into it with ``tl.atomic_add``. The claims it won are the row's count of entries, so one pass gives both
the structure and the values. The host turns the counts into C's row pointers (a prefix sum), allocates C,
and the compaction kernel copies each table's occupied slots into C's row (an exclusive scan of the
occupied lanes). ``sorted``: C's rows are then ordered by column with one device sort of ``row * n + col``
(radix on a GPU). Semirings: ``plus_times`` and ``plus_pair`` (the accumulator adds).

Glue on the host, as torch calls on the kernels' device: the per-row flop counts and table offsets
(gathers and prefix sums), the allocations, and the final sort.
"""

from __future__ import annotations

from xdsl.dialects.builtin import Float32Type, Float64Type, IntegerType

from ircc.errors import BackendError
from ircc.ir.dialects.sparse import SpGemmOp

#: lanes per program: one warp takes a row of C
BLOCK = 32
SEMIRINGS = {"plus_times": "av * bv", "plus_pair": "tl.full((BLOCK,), 1, VALUE)"}
#: a multiplicative hash (Knuth's) of a column, taken modulo the table's power-of-two size
HASH = 2654435761


def render_spgemm(name: str, op: SpGemmOp) -> str:
    """The accumulate and compact kernels of one ``sparse.spgemm``."""
    where = " (sparse.spgemm in the triton backend)"
    semiring = op.semiring.data
    if semiring not in SEMIRINGS:
        raise BackendError(f"semiring '{semiring}' is not rendered on triton (its accumulator adds: "
                           f"{', '.join(SEMIRINGS)}); use target='cpu' for it{where}")
    if op.mask is not None:
        raise BackendError(f"masked products (C<M> = A @ B) are not rendered on triton yet; use target='cpu'{where}")
    element = op.result.type.element_type
    if not isinstance(element, (Float32Type, Float64Type)) and not (
            isinstance(element, IntegerType) and element.width.data in (32, 64)):
        raise BackendError(f"values of type {element}: the triton SpGEMM takes f32, f64, i32 or i64 "
                           f"(atomic adds){where}")
    value = {Float32Type: "tl.float32", Float64Type: "tl.float64"}.get(type(element))
    if value is None:
        value = f"tl.int{element.width.data}"
    product = SEMIRINGS[semiring].replace("VALUE", value)
    accumulate = f'''@triton.jit
def {name}_accumulate(a_ptr, a_idx, a_val, b_ptr, b_idx, b_val, t_off, t_size, keys, vals, counts, dummy,
                      BLOCK: tl.constexpr):
    i = tl.program_id(0)
    base = tl.load(t_off + i)
    size = tl.load(t_size + i)
    count = tl.full((), 0, tl.int64)
    lanes = tl.arange(0, BLOCK)
    for p in range(tl.load(a_ptr + i), tl.load(a_ptr + i + 1)):
        kk = tl.load(a_idx + p)
        av = tl.load(a_val + p)
        for q0 in range(tl.load(b_ptr + kk), tl.load(b_ptr + kk + 1), BLOCK):
            q = q0 + lanes
            mq = q < tl.load(b_ptr + kk + 1)
            col = tl.load(b_idx + q, mask=mq, other=0).to(tl.int64)
            bv = tl.load(b_val + q, mask=mq, other=0)
            prod = {product}
            h = ((col * {HASH}) % 4294967296) & (size - 1)
            pending = mq
            while tl.reduce(pending.to(tl.int32), 0, _ircc_combine_max) > 0:
                slot = tl.where(pending, base + h, dummy)
                old = tl.atomic_cas(keys + slot, tl.where(pending, -1, -2).to(tl.int64),
                                    tl.where(pending, col, -2))
                won = pending & (old == -1)
                hit = won | (pending & (old == col))
                tl.atomic_add(vals + slot, prod, mask=hit)
                count += tl.reduce(won.to(tl.int64), 0, _ircc_combine_add)
                pending = pending & (~hit)
                h = (h + 1) & (size - 1)
    tl.store(counts + i, count)
'''
    compact = f'''@triton.jit
def {name}_compact(t_off, t_size, keys, vals, c_ptr, c_idx, c_val, BLOCK: tl.constexpr):
    i = tl.program_id(0)
    base = tl.load(t_off + i)
    size = tl.load(t_size + i)
    out = tl.load(c_ptr + i).to(tl.int64)
    for t0 in range(0, size, BLOCK):
        rt = t0 + tl.arange(0, BLOCK)
        mt = rt < size
        key = tl.load(keys + base + rt, mask=mt, other=-1)
        occupied = (key >= 0).to(tl.int64)
        position = tl.associative_scan(occupied, 0, _ircc_combine_add) - occupied
        tl.store(c_idx + out + position, key.to(c_idx.dtype.element_ty), mask=occupied > 0)
        tl.store(c_val + out + position, tl.load(vals + base + rt, mask=mt, other=0), mask=occupied > 0)
        out += tl.reduce(occupied, 0, _ircc_combine_add)
'''
    return accumulate + "\n\n" + compact


def launch_spgemm(accumulate, compact, a_ptr, a_idx, a_val, m, k, b_ptr, b_idx, b_val, n, *, index_dtype,
                  sorted_rows: bool) -> tuple:
    """C = A @ B for CSR parts on one device: ``(indptr, indices, values)`` tensors there."""
    import torch

    dev = a_ptr.device
    if m == 0 or a_idx.numel() == 0:
        return (torch.zeros(m + 1, dtype=index_dtype, device=dev), torch.zeros(0, dtype=index_dtype, device=dev),
                torch.zeros(0, dtype=a_val.dtype, device=dev))
    lengths = (b_ptr[1:] - b_ptr[:-1]).to(torch.int64)
    per_entry = lengths[a_idx.to(torch.int64)]
    running = torch.zeros(per_entry.numel() + 1, dtype=torch.int64, device=dev)
    torch.cumsum(per_entry, 0, out=running[1:])
    flops = running[a_ptr[1:].to(torch.int64)] - running[a_ptr[:-1].to(torch.int64)]
    distinct = torch.clamp(flops, max=n)
    size = torch.where(distinct > 0, torch.exp2(torch.ceil(torch.log2((2 * distinct).clamp(min=1).double()))),
                       0).to(torch.int64)
    offsets = torch.zeros(m + 1, dtype=torch.int64, device=dev)
    torch.cumsum(size, 0, out=offsets[1:])
    slots = int(offsets[-1])
    keys = torch.full((slots + 1,), -1, dtype=torch.int64, device=dev)  # the last slot: masked lanes' target
    vals = torch.zeros(slots + 1, dtype=a_val.dtype, device=dev)
    counts = torch.empty(m, dtype=torch.int64, device=dev)
    accumulate[(m,)](a_ptr, a_idx, a_val, b_ptr, b_idx, b_val, offsets, size, keys, vals, counts, slots,
                     BLOCK=BLOCK, num_warps=1)
    c_ptr = torch.zeros(m + 1, dtype=torch.int64, device=dev)
    torch.cumsum(counts, 0, out=c_ptr[1:])
    nnz = int(c_ptr[-1])
    c_idx = torch.empty(nnz, dtype=index_dtype, device=dev)
    c_val = torch.empty(nnz, dtype=a_val.dtype, device=dev)
    compact[(m,)](offsets, size, keys, vals, c_ptr, c_idx, c_val, BLOCK=BLOCK, num_warps=1)
    if sorted_rows and nnz:
        rows = torch.repeat_interleave(torch.arange(m, device=dev), counts)
        order = torch.argsort(rows * max(n, 1) + c_idx.to(torch.int64))
        c_idx, c_val = c_idx[order], c_val[order]
    return c_ptr.to(index_dtype), c_idx, c_val
