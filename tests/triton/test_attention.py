"""``nn.attention`` on ``target="triton"``: the split-K template with FlashDecoding++'s unified max, in Triton's
interpreter, against torch's SDPA -- every case of the CPU suite (masks, causal, D != Dv, f64, dynamic sizes),
long key rows cut into several splits, and both paths: the unified max kept, and the recompute path a split
takes when its scores leave the safe range around it."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("triton")

import ircc  # noqa: E402
from ircc.backends.triton.attention import BLOCK_L, HI, LO  # noqa: E402
from tests.torch.test_attention import CASES, _inputs, _module, _reference, _tolerance  # noqa: E402

#: long rows: several splits of BLOCK_L keys per query row (the interpreter's stand-in GPU has 4 processors)
LONG = {
    "decode_long": (1, 2, 1, 5 * BLOCK_L + 3, 8, 8, "", False, None, "f32", False),
    "decode_long_bool": (1, 1, 2, 3 * BLOCK_L, 8, 4, "bool", False, 0.5, "f32", False),
    "prefill_long_causal": (1, 1, 3, 2 * BLOCK_L + 1, 4, 4, "", True, None, "f64", False),
}


def _compile(name: str, case):
    import tests.torch.test_attention as cpu

    cpu.CASES[name] = case  # _module reads the table
    try:
        return ircc.compile(_module([name]), target="triton", entry=name, cache=False, pipeline="canonicalize")
    finally:
        if name in LONG:
            del cpu.CASES[name]


@pytest.mark.parametrize("name", [*CASES, *LONG])
def test_attention_template_matches_torch(name: str) -> None:
    case = {**CASES, **LONG}[name]
    kernel = _compile(name, case)
    assert "_split(" in kernel.source and "nn.attention" in kernel.mlir(-1)  # the op reached the template whole
    arrays = _inputs(case, 7)
    b, h, s, _, _, dv, *_ = case
    out = np.full((b, h, s, dv), np.nan, arrays[0].dtype)
    kernel.entries[name](*arrays, out)
    np.testing.assert_allclose(out, _reference(case, arrays), err_msg=name, **_tolerance(case))
    if name in LONG:
        assert kernel.stats["attention_splits"] > 1
    if not case[6]:  # no mask: scores of standard normal data stay near the first key's -- the fast path
        assert kernel.stats["attention_recomputed"] == 0


@pytest.mark.parametrize("where", ["above", "below"])
def test_the_recompute_path_is_exact(where: str) -> None:
    """Scores far above the unified max (exp would overflow) or far below it (precision would go) send those
    splits down the recompute path; the result is still torch's."""
    case = (1, 2, 1, 4 * BLOCK_L, 8, 8, "", False, 1.0, "f32", False)
    kernel = _compile("decode_long", case)
    rng = np.random.default_rng(3)
    q, k, v = (rng.standard_normal(s).astype(np.float32) for s in ((1, 2, 1, 8), (1, 2, 4 * BLOCK_L, 8),
                                                                     (1, 2, 4 * BLOCK_L, 8)))
    far = (HI + 40.0) if where == "above" else -(LO + 40.0)
    # the first key sets the unified max; keys of the last split score `far` away from it
    k[:, :, 0, :] = 0.0
    q[...] = np.abs(q) + 0.5
    k[:, :, 3 * BLOCK_L:, :] = far / q.sum(-1, keepdims=True)  # score q.k = far
    if where == "below":
        k[:, :, 1:3 * BLOCK_L, :] *= 0.01  # the first splits stay near phi
    out = np.full((1, 2, 1, 8), np.nan, np.float32)
    kernel.entries["decode_long"](q, k, v, out)
    np.testing.assert_allclose(out, _reference(case, [q, k, v]), rtol=1e-4, atol=1e-5)
    assert kernel.stats["attention_splits"] == 4
    assert kernel.stats["attention_recomputed"] == 2  # the last split of each head
