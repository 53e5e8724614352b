"""Programs on ``target="piuma"`` give what they give everywhere: the differential suite's Python programs
against plain Python, sympy kernels (f32 and f64) and the MLIR examples against the reference interpreter.
The simulated machine computes the results itself (its instruction streams run the program)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import ircc
from ircc.errors import BackendError
from tests.differential.python_programs import PROGRAMS
from tests.differential.test_python_programs import assert_same, run_plain

@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_python_program(name: str, monkeypatch) -> None:
    fn, make_args = PROGRAMS[name]
    plain, simulated = make_args(np.random.default_rng(7)), make_args(np.random.default_rng(7))
    want = run_plain(fn, plain, monkeypatch)
    got = ircc.jit(fn, target="piuma")(*simulated)
    assert_same(want, got)
    for k, (w, g) in enumerate(zip(plain, simulated)):
        if isinstance(w, np.ndarray):
            assert_same(w, g, f"argument {k} after the call")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sympy_kernel_matches_the_interpreter(dtype) -> None:
    import sympy as sp

    x, y = sp.symbols("x y")
    exprs = [sp.sin(x) * sp.exp(-y) + x ** 3 / (1 + y ** 2), sp.sqrt(x * x + y * y) - sp.tanh(x - y)]
    a, b = np.linspace(-2, 2, 37).astype(dtype), np.linspace(0.5, 3, 37).astype(dtype)
    got = np.asarray(ircc.compile(exprs, args=[x, y], target="piuma", dtype=dtype, cache=False)(a, b))
    want = np.asarray(ircc.compile(exprs, args=[x, y], target="interp", dtype=dtype, cache=False)(a, b))
    assert got.dtype == want.dtype == dtype
    # every f32 operation is rounded to f32, as the interpreter's; its f32 sin/exp may differ by an ulp
    np.testing.assert_allclose(got, want, rtol=4e-7 if dtype == np.float32 else 1e-15)


def test_mlir_examples_match_the_interpreter() -> None:
    root = Path(__file__).resolve().parents[2] / "examples" / "mlir"
    m = np.random.default_rng(1).random((7, 5))
    for entry, args in (("matsum", (m,)), ("rowsums", (m,))):
        text = (root / "matsum.mlir").read_text()
        got = ircc.compile(text, target="piuma", entry=entry, cache=False)(*args)
        want = ircc.compile(text, target="interp", entry=entry, cache=False)(*args)
        np.testing.assert_allclose(got, want, rtol=1e-12)
    text = (root / "control.mlir").read_text()
    k = ircc.compile(text, target="piuma", entry="collatz", cache=False)  # @fact recurses: refused when called
    assert k(27) == 111
    with pytest.raises(BackendError, match=r"recursion \(@fact calls itself"):
        k.entries["fact"](5)
