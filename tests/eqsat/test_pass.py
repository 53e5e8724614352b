"""The eqsat switches, limits and dumps, through ircc.compile and the command line."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import sympy as sp

import ircc
from ircc.errors import IrccError

x, y = sp.symbols("x y")
MLIR = """
func.func @f(%a: f64, %b: f64, %d: f64, %o: memref<2xf64>) {
  %i0 = arith.constant 0 : index
  %i1 = arith.constant 1 : index
  %p = arith.divf %a, %d : f64
  %q = arith.divf %b, %d : f64
  memref.store %p, %o[%i0] : memref<2xf64>
  memref.store %q, %o[%i1] : memref<2xf64>
  func.return
}
"""
EXPR = [x / y + 2 * x / y, sp.exp(x) * sp.exp(y), (x + 1) ** 7]


def test_on_by_default_for_sympy_and_switchable() -> None:
    on = ircc.compile(EXPR, args=[x, y], cache=False)
    assert on.compile_stats["pipeline"].startswith("eqsat,")
    assert on.compile_stats["eqsat"]["rules"] == "ieee"
    off = ircc.compile(EXPR, args=[x, y], cache=False, eqsat=False)
    assert "eqsat" not in off.compile_stats["pipeline"] and "eqsat" not in off.compile_stats
    fast = ircc.compile(EXPR, args=[x, y], cache=False, fastmath=True)
    assert "fma" in fast.compile_stats["eqsat"]["rules"]
    assert fast.compile_stats["eqsat"]["cost_after"] < fast.compile_stats["eqsat"]["cost_before"]
    pts = [np.linspace(0.5, 1.5, 7), np.linspace(1.0, 2.0, 7)]
    np.testing.assert_allclose(np.array(fast(*pts)), np.array(off(*pts)), rtol=1e-13)
    assert np.array_equal(np.array(on(*pts)), np.array(off(*pts)))


def test_off_by_default_for_mlir_and_switchable() -> None:
    plain = ircc.compile(MLIR, cache=False)
    assert "eqsat" not in plain.compile_stats["pipeline"]
    fast = ircc.compile(MLIR, cache=False, eqsat=True, fastmath=True, emit="eqsat")
    text = fast.stages[-1][1]
    assert text.count("arith.divf") == 1 and text.count("arith.mulf") == 2


def test_pipeline_option_sets_limits(tmp_path) -> None:
    k = ircc.compile(EXPR, args=[x, y], cache=False, fastmath=True, dump_dir=str(tmp_path),
                     pipeline="eqsat{fastmath=true iter-limit=1},cse")
    assert k.compile_stats["pipeline"].count("eqsat") == 1
    report = next(tmp_path.glob("*-eqsat.report.txt")).read_text()
    assert "iter-limit=1" in report and "iteration limit (1)" in report
    k = ircc.compile(EXPR, args=[x, y], cache=False, dump_dir=str(tmp_path / "n"),
                     pipeline="eqsat{fastmath=true node-limit=60}")
    report = next((tmp_path / "n").glob("*-eqsat.report.txt")).read_text()
    assert "node limit (60)" in report
    k = ircc.compile(EXPR, args=[x, y], cache=False, dump_dir=str(tmp_path / "s"), pipeline="eqsat{node-limit=3}")
    report = next((tmp_path / "s").glob("*-eqsat.report.txt")).read_text()
    assert "skipped: " in report and "more than the node limit (3)" in report
    assert k.compile_stats["eqsat"]["cost_after"] == k.compile_stats["eqsat"]["cost_before"]


def test_dump_shows_sizes_rules_costs_and_picture(tmp_path) -> None:
    ircc.compile(EXPR, args=[x, y], cache=False, fastmath=True, dump_dir=str(tmp_path),
                 pipeline="eqsat{fastmath=true picture=true}")
    report = next(tmp_path.glob("01-eqsat.report.txt")).read_text()
    assert "e-nodes per iteration: " in report and " -> " in report
    assert "rules matched (count  ruleset  rule):" in report
    assert "explog" in report and "(rewrite (Mul (Exp a) (Exp b)) (Exp (Add a b))" in report
    assert "cost: " in report and "ns per execution" in report
    dot = next(tmp_path.glob("01-eqsat.block*.dot")).read_text()
    assert dot.startswith("digraph")


def test_bad_options_are_refused() -> None:
    with pytest.raises(IrccError, match="run only with fastmath=true"):
        ircc.compile(EXPR, args=[x, y], pipeline="eqsat{rules=assoc}")
    with pytest.raises(IrccError, match="unknown ruleset"):
        ircc.compile(EXPR, args=[x, y], pipeline="eqsat{rules=nope}")
    with pytest.raises(IrccError, match="time-limit"):
        ircc.compile(EXPR, args=[x, y], pipeline="eqsat{time-limit=0}")


def test_python_functions_take_the_switch() -> None:
    def f(a, b, out):
        for i in range(a.shape[0]):
            out[i] = a[i] / b[i] + 2.0 * a[i] / b[i]

    k = ircc.compile(f, signature="(float64[:], float64[:], float64[:])", eqsat=True, fastmath=True,
                     cache=False)
    assert "eqsat" in k.compile_stats
    a, b, out = np.linspace(1, 2, 5), np.linspace(2, 3, 5), np.empty(5)
    k(a, b, out)
    np.testing.assert_allclose(out, 3 * a / b, rtol=1e-14)


def test_cli_switch(tmp_path) -> None:
    src = tmp_path / "f.mlir"
    src.write_text(MLIR)
    cmd = [sys.executable, "-m", "ircc.cli", str(src), "--eqsat", "--fastmath", "--emit", "eqsat"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    assert out.count("arith.divf") == 1
    out = subprocess.run(cmd[:4] + ["--emit", "input"], capture_output=True, text=True, check=True).stdout
    assert out.count("arith.divf") == 2


def test_float32_kernels() -> None:
    pts = [np.linspace(0.5, 1.5, 9, dtype=np.float32), np.linspace(1.0, 2.0, 9, dtype=np.float32)]
    plain = np.array(ircc.compile(EXPR, args=[x, y], dtype=np.float32, eqsat=False, cache=False)(*pts))
    exact = np.array(ircc.compile(EXPR, args=[x, y], dtype=np.float32, cache=False)(*pts))
    fast = ircc.compile(EXPR, args=[x, y], dtype=np.float32, fastmath=True, cache=False)
    assert np.array_equal(plain, exact)
    assert fast.compile_stats["eqsat"]["cost_after"] < fast.compile_stats["eqsat"]["cost_before"]
    np.testing.assert_allclose(np.array(fast(*pts)), plain, rtol=2e-6)
