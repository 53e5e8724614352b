"""Row-major reshapes as affine maps (shared by the torch importer and the linalg passes)."""

from __future__ import annotations

from typing import Any

from xdsl.ir.affine import AffineConstantExpr, AffineDimExpr, AffineMap


def reshape_map(src: tuple[int, ...], out: tuple[int, ...]) -> AffineMap:
    """A row-major reshape of ``src`` into ``out`` as a map from the output's indices to the input's.
    Dimensions are matched in groups whose sizes multiply to the same number (as MLIR's expand /
    collapse_shape reassociations): ``(B, T, C) -> (B, T, H, D)`` reads ``(b, t, h * D + d)``; only a group
    that merges and splits at once needs a floordiv / mod of its linear index."""
    exprs: list[Any] = [AffineConstantExpr(0)] * len(src)
    i = j = 0
    while i < len(src) and j < len(out):
        if src[i] == 1:
            i += 1
            continue
        if out[j] == 1:
            j += 1
            continue
        group_src, group_out, size_src, size_out = [i], [j], src[i], out[j]
        i, j = i + 1, j + 1
        while size_src != size_out:
            if size_src < size_out:
                group_src.append(i)
                size_src *= src[i]
                i += 1
            else:
                group_out.append(j)
                size_out *= out[j]
                j += 1
        linear = AffineDimExpr(group_out[0])
        for k in group_out[1:]:
            linear = linear * out[k] + AffineDimExpr(k)
        stride = 1
        for k in reversed(group_src):
            e = linear // stride if stride != 1 else linear
            exprs[k] = AffineConstantExpr(0) if src[k] == 1 else e % src[k] if k != group_src[0] else e
            stride *= src[k]
    return AffineMap(len(out), 0, tuple(exprs))
