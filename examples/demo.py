"""The main job of `make demo`: compile the examples (sympy, MLIR, a @ircc.jit function, a sparse
product) through every CPU backend, dump the IR after every pass, check the backends agree, and print
small speed tables.

    python examples/demo.py [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import sympy as sp

import ircc

HERE = Path(__file__).resolve().parent
TARGETS = ("llvm", "numba", "interp")
sys.path.insert(0, str(HERE.parent / "benchmarks"))
from workloads_symbolic import pendulum, robertson  # noqa: E402 (the benchmark's workloads)


def cpu_seconds(fn, *args, repeats: int = 5) -> float:
    fn(*args)
    times = []
    for _ in range(repeats):
        t = time.process_time()
        fn(*args)
        times.append(time.process_time() - t)
    return float(np.median(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="demo-out", help="where the IR dumps go (default: demo-out)")
    ns = parser.parse_args()
    out = Path(ns.out).resolve()
    _, exprs, args = robertson()
    n = 200_000
    rng = np.random.default_rng(0)
    points = [rng.uniform(0.5, 1.5, n) for _ in args]

    print(f"ircc {ircc.__version__}: the Robertson ODE right-hand side + Jacobian ({len(exprs)} outputs)")
    kernels = {}
    for target in TARGETS:
        dump = out / f"robertson-{target}"
        t = time.perf_counter()
        kernels[target] = ircc.compile(exprs, args=args, target=target, dump_dir=str(dump), cache=False)
        print(f"  {target:7s} compiled in {time.perf_counter() - t:6.3f} s; IR after every pass in {dump}")

    small = [p[:64] for p in points]
    reference = kernels["interp"](*small)
    for target in ("llvm", "numba"):
        for got, want in zip(kernels[target](*small), reference):
            np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-300)
    print("  llvm and numba agree with the reference interpreter on 64 points")

    for name, target in (("matsum", "rowsums"), ("saxpy", None)):
        dump = out / f"{name}-llvm"
        ircc.compile(HERE / "mlir" / f"{name}.mlir", target="llvm", entry=target, dump_dir=str(dump), cache=False,
                     pipeline="canonicalize,cse,licm")
        print(f"  examples/mlir/{name}.mlir: IR after every pass in {dump}")

    interp_seconds = cpu_seconds(kernels["interp"], *small, repeats=1) * n / len(small[0])
    load = os.getloadavg()[0]
    print(f"\n  process CPU time per call, median of 5 (load average {load:.2f}):")
    speed_table("Robertson RHS + Jacobian", exprs, args, points, extra=[("ircc interp (reference, from 64 points)",
                                                                        interp_seconds)])
    _, exprs, args = pendulum(8)
    n = 50_000
    points = [rng.uniform(0.5, 1.5, n) for _ in args]
    speed_table("8-link pendulum on a cart: mass matrix + forcing", exprs, args, points, numba=False)
    print("  (full comparison with symengine and a hand-written numba loop: make bench-symbolic)")
    python_functions(out)
    sparse_products()


def python_functions(out: Path) -> None:
    """@ircc.jit on the benchmark's stencil, every backend against plain Python, and numba side by side."""
    sys.path.insert(0, str(HERE.parent / "benchmarks"))
    from workloads_pyjit import stencil

    print("\n@ircc.jit: one Jacobi sweep of a 5-point stencil (benchmarks/workloads_pyjit.py)")
    rng = np.random.default_rng(1)
    u = rng.random((600, 600))
    want = np.zeros_like(u)
    small = (u[:40, :40], np.zeros((40, 40)))
    stencil(small[0], want[:40, :40])  # plain Python on a corner
    for target in TARGETS:
        got = np.zeros((40, 40))
        ircc.jit(stencil, target=target, dump_dir=str(out / f"stencil-{target}"), cache=False)(small[0], got)
        np.testing.assert_allclose(got, want[:40, :40], rtol=1e-15)
    print(f"  llvm, numba and interp agree with plain Python; IR after every pass in {out}/stencil-*")
    v = np.zeros_like(u)
    rows = [("ircc llvm @ircc.jit (1 thread)", ircc.jit(stencil, target="llvm", threads=1, parallel=False))]
    try:
        import numba

        rows.append(("numba.njit", numba.njit(stencil)))
    except ImportError:
        pass
    print(f"  {'contender':42s} {'ms':>9s}")
    for name, fn in rows:
        print(f"  {name:42s} {cpu_seconds(fn, u, v) * 1e3:9.3f}")
    print("  (five kernels, compile times and two threads: make bench-pyjit)")


def sparse_products() -> None:
    """ircc.sparse.matmul on a 2D Poisson matrix and an R-MAT graph, checked against scipy."""
    import scipy.sparse as sps

    sys.path.insert(0, str(HERE.parent / "benchmarks"))
    from workloads_spgemm import poisson2d, rmat

    print("\nircc.sparse.matmul: C = A @ A, sorted CSR out")
    print(f"  {'matrix':24s} {'nnz(C)':>10s} {'scipy ms':>9s} {'ircc ms':>9s}  algorithm")
    for name, A in (("2D Poisson 300x300", poisson2d(300)), ("R-MAT scale 12", rmat(12))):
        C = ircc.sparse.matmul(A, A, threads=1)
        ref = sps.csr_array(A @ A)
        ref.sort_indices()
        assert (abs(C - ref) > 1e-9 * abs(ref).max()).nnz == 0
        k = ircc.compile(ircc.sparse.spgemm(), threads=1)
        t_ircc = cpu_seconds(k, A, A)
        print(f"  {name:24s} {C.nnz:10,d} {cpu_seconds(lambda: A @ A) * 1e3:9.2f} {t_ircc * 1e3:9.2f}  "
              f"{k.stats['algorithm']}")
    print("  (six matrices against scipy, MKL and GraphBLAS at 1 and 2 threads: make bench-spgemm)")


def speed_table(title: str, exprs, args, points, *, numba: bool = True, extra=()) -> None:
    n = len(points[0])
    rows = [("ircc llvm (1 thread)", cpu_seconds(ircc.compile(exprs, args=args, target="llvm", threads=1), *points))]
    if numba:
        rows.append(("ircc numba (1 thread)",
                     cpu_seconds(ircc.compile(exprs, args=args, target="numba", threads=1), *points)))
    rows.append(("sympy.lambdify(numpy, cse=True)",
                 cpu_seconds(sp.lambdify(args, exprs, modules="numpy", cse=True), *points)))
    try:
        import symengine

        f = symengine.Lambdify(args, exprs, backend="llvm", cse=True)
        packed = np.ascontiguousarray(np.column_stack(points))
        rows.append(("symengine Lambdify(llvm, cse=True)", cpu_seconds(f, packed)))
    except ImportError:
        pass
    rows += list(extra)
    print(f"\n  {title}: {len(exprs)} outputs, {n:,} points")
    print(f"  {'contender':42s} {'seconds':>9s} {'Mpoints/s':>10s}")
    for name, seconds in rows:
        print(f"  {name:42s} {seconds:9.4f} {n / seconds / 1e6:10.2f}")


if __name__ == "__main__":
    main()
