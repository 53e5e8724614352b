"""Row-major reshapes as affine maps (shared by the torch importer and the linalg passes), and the memref a
view is of."""

from __future__ import annotations

from typing import Any

from xdsl.dialects import memref
from xdsl.ir import SSAValue
from xdsl.ir.affine import AffineConstantExpr, AffineDimExpr, AffineMap

#: ops whose result views memory of their first operand
VIEW_OPS = (memref.SubviewOp, memref.CastOp, memref.CollapseShapeOp, memref.ExpandShapeOp, memref.ReinterpretCastOp)


def view_root(value: SSAValue) -> SSAValue:
    """The memref ``value`` is a view of (itself if none): views of one root may overlap, distinct roots not."""
    while isinstance(value.owner, VIEW_OPS):
        value = value.owner.operands[0]
    return value


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


def view_map(op: Any) -> AffineMap | None:
    """A ``memref.collapse_shape`` / ``expand_shape`` as a map from its result's indices to its source's,
    read off its reassociation; None where that needs a size the type leaves dynamic (only the first
    dimension of each group may be ``?``: its size is never a factor of the map)."""
    from xdsl.dialects import memref

    src = list(op.operands[0].type.get_shape())
    out = list(op.results[0].type.get_shape())
    groups = [[d.value.data for d in g] for g in op.reassociation]
    if isinstance(op, memref.CollapseShapeOp):
        exprs: list[Any] = [AffineConstantExpr(0)] * len(src)
        for k, group in enumerate(groups):
            if any(src[d] < 0 for d in group[1:]):
                return None
            linear, stride = AffineDimExpr(k), 1
            for d in reversed(group):
                e = linear // stride if stride != 1 else linear
                exprs[d] = AffineConstantExpr(0) if src[d] == 1 else e % src[d] if d != group[0] else e
                stride *= src[d]
        return AffineMap(len(out), 0, tuple(exprs))
    exprs = []
    for group in groups:
        if any(out[d] < 0 for d in group[1:]):
            return None
        linear = AffineDimExpr(group[0]) if out[group[0]] != 1 else AffineConstantExpr(0)
        for d in group[1:]:
            linear = linear * out[d] + (AffineDimExpr(d) if out[d] != 1 else AffineConstantExpr(0))
        exprs.append(linear)
    return AffineMap(len(out), 0, tuple(exprs))
