"""What cost="learned" answers: the cpu target, lower-matmul's strategy, a count's plan, the e-graph's op costs."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import sympy as sp

import ircc
from ircc import costmodel
from ircc.costmodel import learned, op_fit
from ircc.graph import DataGraph, Pattern

@pytest.fixture
def shipped(monkeypatch) -> learned.LearnedModel:
    """The shipped model, answering as if this machine were of its class (CI may run on another CPU, for
    which no model ships: the uses are tested all the same)."""
    classes = sorted(learned.available())
    assert classes, "no model ships in ircc/costmodel/models (ircc costmodel train --ship)"
    monkeypatch.setattr(learned, "_this_class", lambda: classes[0])
    m = learned.model()
    assert m is not None, f"the model shipped for {classes[0]} was trained on other columns: retrain it"
    return m


def test_a_pass_left_at_the_default_cost_takes_the_compile_option() -> None:
    from ircc.passes.eqsat import EqSat
    from ircc.passes.lower_matmul import LowerMatmul

    passes = costmodel.with_cost([LowerMatmul(), EqSat(cost="static"), EqSat()], "learned")
    assert [p.cost for p in passes] == ["learned", "static", "learned"]
    assert costmodel.resolve_cost("static") == "static"
    assert costmodel.resolve_cost("default") in ("static", "learned")
    with pytest.raises(ValueError, match="expected 'static', 'learned' or 'default'"):
        costmodel.check_cost("cheap")


def test_lower_matmul_rejects_an_unknown_cost() -> None:
    text = """
    func.func @f(%a: memref<2x2xf32>, %b: memref<2x2xf32>, %c: memref<2x2xf32>) {
      linalg.matmul ins(%a, %b : memref<2x2xf32>, memref<2x2xf32>) outs(%c : memref<2x2xf32>)
      func.return
    }"""
    with pytest.raises(ircc.IrccError, match="cost='cheap'"):
        ircc.compile(text, target="llvm", pipeline="lower-matmul{cost=cheap}")


def test_matmul_strategy_is_the_models_ranking(shipped) -> None:
    from ircc.costmodel.variants import MATMUL_STRATEGIES, blas_knobs, matmul_figures

    model, knobs = learned.model(), blas_knobs()
    covered = model is not None and knobs["blas_mkl"] in model.meta.get("matmul_blas_mkl", [])
    for m, n, k in ((1, 8, 8), (4, 64, 64), (256, 256, 256)):
        got = costmodel.matmul_strategy(m, n, k, True, "learned")
        # only for the kind of BLAS the family was timed with (this process's: MKL where torch is loaded)
        want = learned.best_variant("matmul", matmul_figures(m, n, k), MATMUL_STRATEGIES, knobs) if covered else None
        assert got == (want or costmodel.matmul_strategy(m, n, k, True, "static"))
        assert costmodel.matmul_strategy(m, n, k, False, "learned") == "loops"  # no BLAS: nothing to choose


def test_the_cpu_target_of_a_sympy_kernel_is_chosen_by_the_model(shipped, monkeypatch) -> None:
    x, y = sp.symbols("x y")
    pts = [np.linspace(0.1, 1, 7), np.linspace(1, 2, 7)]
    want = np.sin(pts[0]) * pts[1] + pts[0] ** 3
    k = ircc.compile(sp.sin(x) * y + x**3, args=[x, y], cost="learned", cache=False)
    np.testing.assert_allclose(k(*pts), want)
    assert shipped.covers("backend")
    assert k.compile_stats["cpu_target"].startswith(k.target) and k.target in ("llvm", "numba")
    # whichever the model says runs: here it is made to say numba
    monkeypatch.setattr(costmodel, "learned_cpu_target", lambda module, variables, outputs: "numba")
    k = ircc.compile(sp.sin(x) * y + x**3, args=[x, y], cost="learned", cache=False)
    assert k.target == "numba" and k.compile_stats["cpu_target"] == "numba (learned cost model)"
    np.testing.assert_allclose(k(*pts), want)
    assert ircc.compile(sp.sin(x) * y, args=[x, y], cost="static").target == "llvm"


def _graph() -> DataGraph:
    from ircc import matrices as mx

    A = mx.rmat(7, 4, seed=3)
    A = ((A + A.T) > 0).astype(np.float64).tocsr()
    A.setdiag(0)
    A.eliminate_zeros()
    A.sort_indices()
    return DataGraph.from_csr(A.indptr, A.indices)


def test_a_count_runs_the_plan_the_model_picks(shipped, monkeypatch) -> None:
    from ircc.graph import plan_choice
    from ircc.graph.plan_choice import PlanChoice

    assert shipped.covers("graph")
    G = _graph()
    P = Pattern.cycle(4)
    want = ircc.graph.count(G, P, cost="static")
    k = ircc.compile(ircc.graph.query(P), target="llvm", threads=1, cost="learned")
    assert k.compile_stats["plan_choice"].startswith("learned cost model")
    assert k(G) == want and "plan" not in k.stats  # a small graph: the default plan, nothing to choose
    monkeypatch.setattr(plan_choice, "MIN_EDGES", 0)
    assert k(G) == want and k.stats["plan"] in k._call.plans.names
    names = k._call.plans.names
    assert names[0] == "skip=none" and len(names) >= 2
    # another plan than the default: compiled when first chosen, same count
    monkeypatch.setattr(PlanChoice, "choose", lambda self, G: len(self.names) - 1)
    k = ircc.compile(ircc.graph.query(P), target="llvm", threads=1, cost="learned")
    assert k(G) == want and k.stats["plan"] == names[-1] != "skip=none"
    # the candidates come from the compile cache the second time: the same plans
    assert PlanChoice.for_query(ircc.graph.query(P)).names == names
    # cost=static: no choice
    assert "plan_choice" not in ircc.compile(ircc.graph.query(P), cost="static").compile_stats


def test_op_fit_recovers_the_costs_behind_synthetic_kernels() -> None:
    """Kernels timed as a + points * (b + sum of their ops' costs): the fit finds the costs again."""
    static = costmodel.op_costs("f64", "static")
    truth = dict(static, exp=1.0, sin=2.0, mul=0.2)
    rng = np.random.default_rng(0)
    names = {"exp": "math.exp", "sin": "math.sin", "mul": "arith.mulf", "add": "arith.addf"}
    records = []
    for i in range(40):
        counts = Counter({k: int(rng.integers(0, 6)) for k in names})
        tokens = "func.func { scf.parallel { " + " ".join(f"{names[k]} f64" for k, n in counts.items()
                                                          for _ in range(n)) + " } }"
        for points in (1000.0, 30000.0):
            ns = 500 + points * (0.3 + sum(n * truth[k] for k, n in counts.items()))
            records.append({"family": "egraph", "kernel": f"k{i}", "group": f"g{i}/{points}", "knobs": {},
                            "inputs": {"points": points}, "tokens": tokens, "time": ns * 1e-9, "noise": 0.0})
    assert op_fit.op_counts("arith.mulf f64 math.exp f64 memref.load f64 arith.mulf f64") == Counter(mul=2, exp=1)
    fitted = op_fit.fit(records, static, prior_weight=1e-6)
    for k in ("exp", "sin", "mul"):
        assert fitted[k] == pytest.approx(truth[k], rel=0.05)
    # an op the data never shows moves as the seen ones of its kind did: cos as exp and sin, sub as mul and add
    ratio = np.sqrt(fitted["exp"] / static["exp"] * fitted["sin"] / static["sin"])
    assert fitted["cos"] == pytest.approx(static["cos"] * ratio, rel=1e-3)
    cheap = np.sqrt(fitted["mul"] / static["mul"] * fitted["add"] / static["add"])
    assert fitted["sub"] == pytest.approx(static["sub"] * cheap, rel=1e-2)


def test_learned_op_costs_are_the_shipped_table(shipped) -> None:
    table = shipped.meta["op_costs"]["f64"]
    got = costmodel.op_costs("f64", "learned")
    assert set(got) == set(costmodel.op_costs("f64", "static"))
    for k, v in table.items():
        assert got[k] == pytest.approx(v)
    assert costmodel.op_costs("f32", "learned") == costmodel.op_costs("f32", "static")  # f64 only is fitted


def test_linalg_interchange_forces_or_asks_the_model_for_the_innermost_loop(shipped) -> None:
    from ircc.costmodel.variants import loop_order_text
    from ircc.ir.text import parse_module
    from ircc.passes.linalg_loop_order import LOWERING, learned_innermost

    text = loop_order_text("matmul-bt", (24, 20, 16))  # C[i, j] += A[i, k] * B[j, k]
    rng = np.random.default_rng(0)
    a, b = rng.random((24, 16), dtype=np.float32), rng.random((20, 16), dtype=np.float32)
    want = a @ b.T
    finals = {}
    for option in ("inner=0", "inner=1", "inner=2", "cost=static", "cost=learned"):
        k = ircc.compile(text, target="llvm", threads=1, pipeline=f"linalg-interchange{{{option}}},{LOWERING}")
        c = np.zeros((24, 20), np.float32)
        k(a, b, c)
        np.testing.assert_allclose(c, want, rtol=1e-4)
        finals[option] = k.mlir("linalg-interchange")
    assert len({finals["inner=0"], finals["inner=1"], finals["inner=2"]}) == 3
    assert finals["cost=static"] == finals["inner=2"]  # the rule: k innermost, both operands walk it contiguously
    generic = next(op for op in parse_module(text).walk() if op.name == "linalg.generic")
    chosen = learned_innermost(generic, 4, True)
    assert shipped.covers("loop-order")
    assert chosen is not None and finals["cost=learned"] == finals[f"inner={chosen}"]
    with pytest.raises(ircc.IrccError, match="cost='cheap'"):
        ircc.compile(text, target="llvm", pipeline="linalg-interchange{cost=cheap}")


def test_linalg_tile_forces_or_asks_the_model_for_tile_sizes(shipped) -> None:
    from ircc.costmodel.variants import loop_order_text
    from ircc.ir.text import parse_module
    from ircc.passes.linalg_tile import candidates
    from ircc.passes.linalg_tile_choice import LOWERING, learned_sizes

    text = loop_order_text("transpose", (768, 512))  # 3 MiB: out[i, j] = -a[j, i]
    a = np.random.default_rng(0).random((512, 768), dtype=np.float32)
    marks = {}
    for option in ("sizes=0", "sizes=64,512", "sizes=8,256", "cost=static", "cost=learned"):
        k = ircc.compile(text, target="llvm", threads=1, pipeline=f"linalg-tile{{{option}}},{LOWERING}")
        out = np.zeros((768, 512), np.float32)
        k(a, out)
        np.testing.assert_array_equal(out, -a.T)
        marks[option] = k.mlir("linalg-tile")
    assert "ircc.tile" not in marks["sizes=0"] and "array<i64: 8, 256>" in marks["sizes=8,256"]
    assert marks["cost=static"] == marks["sizes=64,512"]  # the rule: a transpose gets 64 x 512 tiles
    generic = next(op for op in parse_module(text).walk() if op.name == "linalg.generic")
    assert shipped.covers("tile")
    chosen = learned_sizes(generic)
    assert chosen in candidates(generic)
    want = f"array<i64: {', '.join(map(str, chosen))}>" if any(chosen) else None
    assert (want in marks["cost=learned"]) if want else ("ircc.tile" not in marks["cost=learned"])
