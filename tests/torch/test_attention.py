"""Scaled dot-product attention as one ``nn.attention`` op and one ``lower-nn`` loop nest, against torch.

The op on every CPU backend (both schemes on llvm) at tiny shapes; then the torch frontend's hook
(``ircc.frontends.torch_attention``): exported with its decomposition table, the decode-step model compiles to
one fused nest, and what it refuses it names."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import torch.nn.functional as F  # noqa: E402

import ircc  # noqa: E402
from ircc.errors import IrccError  # noqa: E402
from ircc.frontends import torch_attention  # noqa: E402 - registers the attention lowerings
from ircc.ir.text import parse_module  # noqa: E402
from tests.conftest import CPU_TARGETS  # noqa: E402
from tests.torch.models import DecodeAttention, models  # noqa: E402

#: name -> (B, H, S, L, D, Dv, mask ("", "bool", "float"), causal, scale, dtype, dynamic sizes)
CASES = {
    "decode": (2, 2, 1, 7, 4, 4, "", False, None, "f32", False),
    "prefill_causal": (2, 2, 5, 5, 4, 4, "", True, None, "f32", False),
    "causal_fewer_queries": (1, 2, 3, 5, 4, 4, "", True, None, "f32", False),
    "causal_more_queries": (1, 2, 5, 3, 4, 4, "", True, None, "f32", False),
    "bool_mask": (2, 2, 3, 5, 4, 4, "bool", False, None, "f32", False),
    "float_mask": (2, 2, 3, 5, 4, 4, "float", False, None, "f32", False),
    "scale_given": (2, 2, 3, 5, 4, 4, "", False, 0.3, "f32", False),
    "value_width": (2, 2, 3, 5, 4, 6, "", False, None, "f32", False),
    "dynamic_bool_mask": (2, 2, 3, 5, 4, 6, "bool", False, 0.7, "f32", True),
    "f64_float_mask": (1, 2, 3, 5, 4, 4, "float", False, None, "f64", False),
    "decode_float_mask": (2, 2, 1, 7, 4, 6, "float", False, 0.3, "f32", False),
}


def _mask_shape(case) -> tuple[int, ...]:
    b, h, s, n, *_ = case
    return (s, n) if case[6] == "bool" else (b, 1, s, n)  # broadcast over heads (and batch)


def _function(name: str, case) -> str:
    b, h, s, n, d, dv, mask, causal, scale, dtype, dynamic = case

    def t(*shape: int) -> str:
        return "memref<" + "x".join("?" if dynamic else str(x) for x in shape) + f"x{dtype}>"

    q, k, v, out = t(b, h, s, d), t(b, h, n, d), t(b, h, n, dv), t(b, h, s, dv)
    args, operands, types = "", "", ""
    if mask:
        mt = t(*_mask_shape(case)).replace(dtype, "i1") if mask == "bool" else t(*_mask_shape(case))
        args, operands, types = f", %m: {mt}", " mask %m", f" mask {mt}"
    attrs = f"scale = {scale if scale is not None else 1 / math.sqrt(d)!r} : f64" + (", causal" if causal else "")
    return (f"func.func @{name}(%q: {q}, %k: {k}, %v: {v}{args}, %out: {out}) {{\n"
            f"  nn.attention %q, %k, %v{operands} into %out {{{attrs}}} : {q}, {k}, {v}{types} into {out}\n"
            "  func.return\n}\n")


#: numba compiles every function of a module when it loads it (about a second each): three cases that
#: cover the rest there (decode, causal prefill, bool and float masks, a given scale, D != Dv, dynamic sizes)
NUMBA_CASES = ("decode_float_mask", "prefill_causal", "dynamic_bool_mask")


def _module(names) -> str:
    return "\n".join(_function(name, CASES[name]) for name in names)


def _inputs(case, seed: int):
    b, h, s, n, d, dv, mask, causal, scale, dtype, _ = case
    rng = np.random.default_rng(seed)
    ft = np.float32 if dtype == "f32" else np.float64
    arrays = [rng.standard_normal(shape).astype(ft) for shape in ((b, h, s, d), (b, h, n, d), (b, h, n, dv))]
    if mask == "bool":
        m = rng.random(_mask_shape(case)) > 0.4
        m[0, :] = False  # a row that sees no key: zeros, as torch's CPU kernel
        m[1, 0] = True
        arrays.append(m)
    elif mask == "float":
        m = rng.standard_normal(_mask_shape(case)).astype(ft)
        m[0, 0, -1, :] = -np.inf  # the same, as -inf biases
        arrays.append(m)
    return arrays


def _reference(case, arrays):
    tensors = [torch.from_numpy(a) for a in arrays]
    q, k, v = tensors[:3]
    mask = tensors[3] if len(tensors) > 3 else None
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=case[7], scale=case[8]).numpy()


def _tolerance(case) -> dict:
    return {"rtol": 1e-4, "atol": 1e-5} if case[9] == "f32" else {"rtol": 1e-10, "atol": 1e-12}


@pytest.mark.parametrize("target, scheme", [*((t, "passes") for t in CPU_TARGETS), ("llvm", "online")])
def test_attention_op_matches_torch(target: str, scheme: str) -> None:
    names = NUMBA_CASES if target == "numba" else tuple(CASES)
    kernel = ircc.compile(_module(names), target=target, entry=names[0], threads=2,
                          pipeline=f"lower-nn{{scheme={scheme}}},canonicalize,cse")
    assert "nn.attention" not in kernel.mlir(-1)
    for seed, name in enumerate(names):
        case = CASES[name]
        arrays = _inputs(case, seed)
        b, h, s, _, _, dv, *_ = case
        out = np.full((b, h, s, dv), np.nan, arrays[0].dtype)
        kernel.entries[name](*arrays, out)
        np.testing.assert_allclose(out, _reference(case, arrays), err_msg=f"{name} on {target} ({scheme})",
                                   **_tolerance(case))


@pytest.mark.parametrize("types, message", [
    (("2x2x1x4xf32", "2x7x4xf32", "2x2x7x4xf32", "2x2x1x4xf32"), "k must have rank 4"),
    (("2x2x1x4xi32", "2x2x7x4xi32", "2x2x7x4xi32", "2x2x1x4xi32"), "elements must be f32 or f64, got i32"),
    (("2x2x1x4xf32", "2x2x7x4xf64", "2x2x7x4xf32", "2x2x1x4xf32"), "q has f32, k has f64"),
    (("2x2x1x4xf32", "2x3x7x4xf32", "2x3x7x4xf32", "2x2x1x4xf32"), "one number of heads .dim 1., got q 2, k 3, v 3"),
    (("?x2x1x4xf32", "2x2x6x4xf32", "2x2x7x4xf32", "2x2x1x4xf32"), "one number of keys .dim 2., got k 6, v 7"),
    (("2x2x1x4xf32", "2x2x7x4xf32", "2x2x7x6xf32", "2x2x1x5xf32"), "one value size .dim 3., got v 6, out 5"),
])
def test_attention_verifier(types: tuple[str, ...], message: str) -> None:
    q, k, v, out = (f"memref<{t}>" for t in types)
    text = (f"func.func @f(%q: {q}, %k: {k}, %v: {v}, %out: {out}) {{\n"
            f"  nn.attention %q, %k, %v into %out {{scale = 0.5 : f64}} : {q}, {k}, {v} into {out}\n"
            "  func.return\n}\n")
    with pytest.raises(IrccError, match=message):
        parse_module(text).verify()


# ------------------------------------------------------------------------------------------ the torch frontend

def _exported(model, inputs: tuple):
    return torch.export.export(model, inputs).run_decompositions(torch_attention.decompositions())


def _compile(model, inputs: tuple, target: str = "llvm"):
    return ircc.compile(model, example_inputs=inputs, target=target)  # the default export and pipeline


def test_export_keeps_attention_whole() -> None:
    model, x = models()["decode_attention"]
    targets = {str(n.target) for n in _exported(model, (x,)).graph.nodes if n.op == "call_function"}
    assert "aten.scaled_dot_product_attention.default" in targets
    assert not any("bmm" in t or "softmax" in t for t in targets)
    assert set(torch_attention.keep_undecomposed()) <= set(torch.export.default_decompositions())


def test_decode_model_is_one_fused_nest() -> None:
    model, x = models()["decode_attention"]
    kernel = _compile(model, (x,))
    with torch.no_grad():
        torch.testing.assert_close(kernel(x), model(x), rtol=1e-4, atol=1e-5)
    imported, final = kernel.mlir(0), kernel.mlir(-1)
    assert imported.count("nn.attention") == 1 and "math.exp" not in imported  # no softmax beside it
    assert "linalg." not in final and "nn.attention" not in final
    assert final.count("scf.parallel") == 1 and final.count("math.exp") == 1  # one nest, one softmax
    b, h, n = 2, 2, 6  # DecodeAttention's batch, heads and cache length: no [B, H, S, L] buffer
    assert f"memref<{b}x{h}x1x{n}xf32>" not in final and f"memref<{b * h}x1x{n}xf32>" not in final


class _Attention(torch.nn.Module):
    def __init__(self, **options) -> None:
        super().__init__()
        self.options = options

    def forward(self, q, k, v, mask=None):
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, **self.options)


@pytest.mark.parametrize("mask, options", [
    ("bool", {"scale": 0.3}),
    ("float", {}),
    ("", {"is_causal": True}),
])
def test_frontend_options(mask: str, options: dict) -> None:
    torch.manual_seed(0)
    q, k, v = torch.randn(2, 2, 3, 4), torch.randn(2, 2, 5, 4), torch.randn(2, 2, 5, 6)
    inputs: tuple = (q, k, v)
    if mask == "bool":
        inputs += (torch.rand(3, 5) > 0.3,)
    elif mask == "float":
        inputs += (torch.randn(2, 1, 3, 5),)
    model = _Attention(**options)
    kernel = _compile(model, inputs)
    torch.testing.assert_close(kernel(*inputs), model(*inputs), rtol=1e-4, atol=1e-5)


def test_flash_attention_for_cpu_op() -> None:
    """Where only ``aten.scaled_dot_product_attention`` is decomposed, the CPU flash op comes whole: its
    output is lowered, its log-sum-exp left unwritten."""
    model, x = DecodeAttention(cache_len=9).eval(), torch.randn(2, 1, 8)
    flash = torch.ops.aten._scaled_dot_product_flash_attention_for_cpu.default
    table = {op: fn for op, fn in torch.export.default_decompositions().items() if op != flash}
    exported = torch.export.export(model, (x,)).run_decompositions(table)
    assert flash in {n.target for n in exported.graph.nodes}
    kernel = ircc.compile(model, example_inputs=(x,), exported=exported, target="llvm")
    with torch.no_grad():
        torch.testing.assert_close(kernel(x), model(x), rtol=1e-4, atol=1e-5)


class _LogSumExp(torch.nn.Module):
    def forward(self, q, k, v):
        out, lse = torch.ops.aten._scaled_dot_product_flash_attention_for_cpu(q, k, v)
        return out, lse


@pytest.mark.parametrize("model, inputs, message", [
    (_Attention(dropout_p=0.5), (torch.randn(1, 2, 3, 4),) * 3, "dropout_p=0.5"),
    (_Attention(enable_gqa=True), (torch.randn(1, 4, 3, 4), torch.randn(1, 2, 5, 4), torch.randn(1, 2, 5, 4)),
     r"different numbers of heads \(4, 2, 2\) \(enable_gqa"),
    (_Attention(), (torch.randn(2, 3, 4),) * 3, "only 4-D query, key and value"),
    (_LogSumExp(), (torch.randn(1, 2, 3, 4),) * 3, "its logsumexp result is used"),
])
def test_frontend_refuses_what_it_cannot_lower(model, inputs: tuple, message: str) -> None:
    with pytest.raises(IrccError, match=message):
        _compile(model, inputs)
