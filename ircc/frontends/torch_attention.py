"""Torch frontend: scaled dot-product attention kept whole, as one ``nn.attention`` op.

``torch.export`` on the CPU records ``F.scaled_dot_product_attention`` as ``aten.scaled_dot_product_attention``
(and older releases, or a table that decomposes only that op, as ``aten._scaled_dot_product_flash_attention_for_cpu``,
whose second result is the log-sum-exp). The default decomposition table turns either into ``bmm``, ``_softmax``
and ``bmm`` with a ``B * H * S * L`` score matrix between them; exporting with ``decompositions()`` (the default
table without ``keep_undecomposed()``) leaves them to the lowerings here, which write one ``nn.attention`` op.
``lower-nn`` then makes it one loop nest with no score matrix in memory.

Accepted: 4-D ``q [B, H, S, D]``, ``k [B, H, L, D]``, ``v [B, H, L, Dv]`` of float32 / float64; no mask, a bool
mask (keep where true) or a float mask of the query's dtype (added to the scores), broadcasting to
``[B, H, S, L]``; ``is_causal``; ``scale`` given or ``None`` (``1 / sqrt(D)``); ``dropout_p = 0`` only;
``enable_gqa`` only where the query and the keys have as many heads.
"""

from __future__ import annotations

import math
import operator
from typing import Any

from xdsl.dialects.builtin import DYNAMIC_INDEX, Float32Type, Float64Type, IntegerType
from xdsl.ir import SSAValue

from ircc.frontends.torch_import import _op_names, _unsupported, lowering
from ircc.ir.dialects.nn import AttentionOp


def keep_undecomposed() -> tuple[Any, ...]:
    """The ATen overloads ``run_decompositions`` must leave alone so that the importer sees attention whole:
    ``aten.scaled_dot_product_attention.default`` (what ``torch.export`` records on the CPU, torch 2.13) and
    ``aten._scaled_dot_product_flash_attention_for_cpu.default`` (what decomposing the former gives)."""
    import torch

    aten = torch.ops.aten
    return (aten.scaled_dot_product_attention.default, aten._scaled_dot_product_flash_attention_for_cpu.default)


def decompositions() -> Any:
    """``torch.export.default_decompositions()`` without ``keep_undecomposed()``: the table for
    ``exported.run_decompositions(...)``."""
    import torch

    table = torch.export.default_decompositions()  # lazy: popping is cheap, listing it all is not (~50 ms)
    for op in keep_undecomposed():
        table.pop(op, None)
    return table


def _arguments(node) -> dict[str, Any]:
    """The call's arguments by their schema names, defaults filled in."""
    out = {}
    for k, arg in enumerate(node.target._schema.arguments):
        if k < len(node.args):
            out[arg.name] = node.args[k]
        elif arg.name in node.kwargs:
            out[arg.name] = node.kwargs[arg.name]
        else:
            out[arg.name] = arg.default_value if arg.has_default_value() else None
    return out


def _size(value: SSAValue, dim: int) -> int | None:
    size = value.type.get_shape()[dim]
    return None if size == DYNAMIC_INDEX else size


def _attention(node, values: dict, dest: SSAValue, b) -> None:
    """``nn.attention`` writing ``dest`` from the node's query, key, value and options."""
    overload = _op_names(node)[1]
    args = _arguments(node)
    q, k, v = (values[args[name]] for name in ("query", "key", "value"))
    for name, value in (("query", q), ("key", k), ("value", v)):
        if len(value.type.get_shape()) != 4:
            raise _unsupported(node, overload, b, f"a {len(value.type.get_shape())}-D {name}; only 4-D query, key "
                               "and value ([batch, heads, sequence, features])")
    if not isinstance(q.type.element_type, (Float32Type, Float64Type)):
        raise _unsupported(node, overload, b, "on non-float tensors; only float32 / float64")
    dropout = float(args.get("dropout_p") or 0.0)
    if dropout != 0.0:
        raise _unsupported(node, overload, b, f"dropout_p={dropout}; only dropout_p=0 (attention without dropout, "
                           "as in eval mode)")
    for dim, what in ((0, "batch sizes"), (1, "numbers of heads")):
        sizes = [_size(x, dim) for x in (q, k, v)]
        if len({s for s in sizes if s is not None}) > 1:
            gqa = " (enable_gqa: grouped-query attention is not supported)" if args.get("enable_gqa") else ""
            shown = ", ".join("?" if s is None else str(s) for s in sizes)
            raise _unsupported(node, overload, b, f"query, key and value with different {what} ({shown}){gqa}; "
                               "only equal ones")
    scale = args.get("scale")
    if scale is None:
        depth = _size(q, 3)
        if depth is None:
            raise _unsupported(node, overload, b, "scale=None with a symbolic head size; pass scale=")
        scale = 1.0 / math.sqrt(depth)
    mask = args.get("attn_mask")
    mask_value = None
    if mask is not None:
        mask_value = values[mask]
        mt = mask_value.type.element_type
        if not (mt == q.type.element_type or (isinstance(mt, IntegerType) and mt.width.data == 1)):
            raise _unsupported(node, overload, b, f"an attn_mask of dtype {mask.meta['val'].dtype}; only bool or "
                               f"the query's dtype {args['query'].meta['val'].dtype}")
        if not 1 <= len(mask_value.type.get_shape()) <= 4:
            raise _unsupported(node, overload, b, f"an attn_mask of rank {len(mask_value.type.get_shape())}; "
                               "only 1 to 4 (broadcast to [batch, heads, queries, keys])")
    b.block.add_op(AttentionOp(q, k, v, dest, scale=float(scale), mask=mask_value, causal=bool(args.get("is_causal"))))


@lowering("scaled_dot_product_attention")
def _scaled_dot_product_attention(node, values, dest, shape, b) -> None:
    _attention(node, values, dest, b)


@lowering("_scaled_dot_product_flash_attention_for_cpu", multi=True)
def _flash_attention_for_cpu(node, values, dests, b) -> None:
    """The output; the log-sum-exp (the second result) is refused where it is used (it is, in training)."""
    if any(user.target is operator.getitem and user.args[1] != 0 for user in node.users):
        raise _unsupported(node, _op_names(node)[1], b, "its logsumexp result is used; only the output is "
                           "supported")
    _attention(node, values, dests[0], b)
