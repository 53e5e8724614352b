"""Torch frontend: embedding, 2-D convolution, max / average pooling and batch norm (eval mode).

Each is ``linalg.generic`` ops on memrefs, like the rest of the import:

* ``embedding``: a generic over the output whose body loads ``weight[index, j]`` (``linalg.index`` gives j);
* ``convolution`` (2-D, groups 1): the input is copied into a zero-padded buffer where there is padding,
  unfolded (im2col) into ``col[(c, ky, kx), (n, y, x)]``, multiplied by the weight as one ``linalg.matmul``,
  and the product is read back in (n, f, y, x) order with the bias added;
* ``max_pool2d_with_indices`` (the values; a use of the indices is refused) and ``avg_pool2d``: a reduction
  over the window (padding: -inf for max, zeros counted for average as torch's default);
* ``_native_batch_norm_legit_no_training``: ``(x - mean) * rsqrt(var + eps) * weight + bias`` per channel.
"""

from __future__ import annotations

import operator

from xdsl.dialects import arith, memref
from xdsl.dialects.builtin import IndexType
from xdsl.dialects.linalg.ops import IndexOp, MatmulOp
from xdsl.ir.affine import AffineDimExpr, AffineMap

from ircc.frontends.torch_shapes import dims_of
from ircc.frontends.torch_import import (
    _const,
    _emit,
    _identity,
    _op_names,
    _rsqrt,
    _unsupported,
    REDUCTION_FLAGS,
    lowering,
    scale_shift,
)


def _pair(v, default=None) -> tuple[int, int]:
    if v is None or (isinstance(v, (list, tuple)) and not v):
        v = default
    if isinstance(v, int):
        return v, v
    return (v[0], v[0]) if len(v) == 1 else (v[0], v[1])


def _padded(b, src, shape, pad: tuple[int, int], value: float):
    """``src`` (N, C, H, W) inside a buffer with ``pad`` rows / columns of ``value`` on each side."""
    if pad == (0, 0):
        return src
    n, c, h, w = shape
    buf = b.alloc((n, c, h + 2 * pad[0], w + 2 * pad[1]), src.type.element_type)
    b.fill(buf, value)
    b.copy(src, _identity(4), b.subview(buf, [0, 0, pad[0], pad[1]], [n, c, h, w], [1, 1, 1, 1]))
    return buf


@lowering("embedding")
def _embedding(node, values, dest, shape, b) -> None:
    weight, indices = values[node.args[0]], values[node.args[1]]
    rank = len(shape)
    d = [AffineDimExpr(k) for k in range(rank)]

    def body(blk, a):
        row = _emit(blk, arith.IndexCastOp(a[0], IndexType()))
        col = _emit(blk, IndexOp(rank - 1))
        return _emit(blk, memref.LoadOp.get(weight, [row, col]))

    b.generic([indices], [AffineMap(rank, 0, tuple(d[:-1])), _identity(rank)], dest, rank, body)


@lowering("convolution")
def _convolution(node, values, dest, shape, b) -> None:
    """im2col, then one matmul: ``prod[f, (n, y, x)] = w[f, (c, ky, kx)] @ col[(c, ky, kx), (n, y, x)]``, then
    ``out[n, f, y, x] = prod[f, n, y, x] + bias[f]`` (a copy that fusion folds into what reads it). The
    matmul is ``lower-matmul``'s to place: a BLAS call for the big ones, loops for the small."""
    x, w, bias, stride, padding, dilation, transposed, _, groups = node.args[:9]
    overload = _op_names(node)[1]
    in_shape, w_shape = dims_of(x.meta["val"]), dims_of(w.meta["val"])
    if transposed or len(in_shape) != 4:
        raise _unsupported(node, overload, b, "only 2-D convolutions, not transposed")
    if groups != 1:
        raise _unsupported(node, overload, b, f"groups={groups}; only groups=1")
    (sy, sx), (py, px), (dy, dx) = _pair(stride), _pair(padding), _pair(dilation)
    n_, c_, _, _ = in_shape
    f_, _, kh, kw = w_shape
    _, _, ho, wo = shape
    src = _padded(b, values[x], in_shape, (py, px), 0.0)
    col = b.alloc((c_, kh, kw, n_, ho, wo))
    c, ky, kx, n, y, xx = (AffineDimExpr(k) for k in range(6))
    b.copy(src, AffineMap(6, 0, (n, c, y * sy + ky * dy, xx * sx + kx * dx)), col)
    prod = b.alloc((f_, n_ * ho * wo))
    b.fill(prod, 0.0)
    b.block.add_op(MatmulOp([b.reshape(values[w], w_shape, (f_, c_ * kh * kw)),
                             b.reshape(col, (c_, kh, kw, n_, ho, wo), (c_ * kh * kw, n_ * ho * wo))], [prod]))
    d = [AffineDimExpr(k) for k in range(4)]
    inputs, maps = [b.reshape(prod, (f_, n_ * ho * wo), (f_, n_, ho, wo))], [AffineMap(4, 0, (d[1], d[0], d[2], d[3]))]
    if bias is not None:
        inputs.append(values[bias])
        maps.append(AffineMap(4, 0, (d[1],)))
    b.generic(inputs, [*maps, _identity(4)], dest, 4,
              lambda blk, a: _emit(blk, arith.AddfOp(a[0], a[1])) if bias is not None else a[0])


def _window(b, node, src, in_shape, dest, kernel, stride, padding, dilation, pad_value, cls) -> None:
    """``dest[n, c, y, x]`` = ``cls``-reduction of the window of ``src`` at (y*s, x*s)."""
    (kh, kw), (sy, sx), (py, px), (dy, dx) = kernel, stride, padding, dilation
    src = _padded(b, src, in_shape, (py, px), pad_value)
    n, c, ky, kx, y, xx = (AffineDimExpr(k) for k in range(6))
    window = b.alloc((kh, kw), src.type.element_type)  # only its shape is read: the window's loop bounds
    b.fill(dest, pad_value if cls is arith.MaximumfOp else 0.0)
    maps = [AffineMap(6, 0, (n, c, y * sy + ky * dy, xx * sx + kx * dx)), AffineMap(6, 0, (ky, kx)),
            AffineMap(6, 0, (n, c, y, xx))]
    b.generic([src, window], maps, dest, 6, lambda blk, a: _emit(blk, cls(a[2], a[0], flags=REDUCTION_FLAGS)),
              reduce_dims=(2, 3))


@lowering("max_pool2d_with_indices", multi=True)
def _max_pool(node, values, dests, b) -> None:
    overload = _op_names(node)[1]
    if any(u.target is operator.getitem and u.args[1] == 1 for u in node.users):
        raise _unsupported(node, overload, b, "the indices are used; only the values are supported")
    args = list(node.args) + [None] * 6
    kernel = _pair(args[1])
    stride, padding, dilation = _pair(args[2], kernel), _pair(args[3] or 0), _pair(args[4] or 1)
    if args[5]:
        raise _unsupported(node, overload, b, "ceil_mode=True")
    in_shape = dims_of(node.args[0].meta["val"])
    if len(in_shape) != 4:
        raise _unsupported(node, overload, b, "only (N, C, H, W) inputs")
    _window(b, node, values[node.args[0]], in_shape, dests[0], kernel, stride, padding, dilation, float("-inf"),
            arith.MaximumfOp)


@lowering("avg_pool2d")
def _avg_pool(node, values, dest, shape, b) -> None:
    overload = _op_names(node)[1]
    args = list(node.args) + [None] * 7
    kernel = _pair(args[1])
    stride, padding = _pair(args[2], kernel), _pair(args[3] or 0)
    ceil_mode, count_include_pad, divisor = args[4], args[5] if args[5] is not None else True, args[6]
    if ceil_mode or (padding != (0, 0) and not count_include_pad):
        raise _unsupported(node, overload, b, "ceil_mode=True or count_include_pad=False with padding")
    in_shape = dims_of(node.args[0].meta["val"])
    if len(in_shape) != 4:
        raise _unsupported(node, overload, b, "only (N, C, H, W) inputs")
    _window(b, node, values[node.args[0]], in_shape, dest, kernel, stride, padding, (1, 1), 0.0, arith.AddfOp)
    scale = 1.0 / (divisor or kernel[0] * kernel[1])
    b.generic([dest], [_identity(4)] * 2, dest, 4,
              lambda blk, a: _emit(blk, arith.MulfOp(a[0], _const(blk, scale, dest.type.element_type))))


@lowering("_native_batch_norm_legit_no_training", multi=True)
def _batch_norm(node, values, dests, b) -> None:
    x, weight, bias, mean, var, _, eps = node.args[:7]
    src = dims_of(x.meta["val"])
    rank = len(src)
    channel = AffineMap(rank, 0, (AffineDimExpr(1),))
    inputs, maps = [values[x], values[mean], values[var]], [_identity(rank), channel, channel]
    for extra in (weight, bias):
        if extra is not None:
            inputs.append(values[extra])
            maps.append(channel)

    def body(blk, a):
        t = dests[0].type.element_type
        scale = _rsqrt(blk, _emit(blk, arith.AddfOp(a[2], _const(blk, float(eps), t))), t)
        return scale_shift(blk, _emit(blk, arith.MulfOp(_emit(blk, arith.SubfOp(a[0], a[1])), scale)), a, 3,
                           weight, bias)

    b.generic(inputs, [*maps, _identity(rank)], dests[0], rank, body)


