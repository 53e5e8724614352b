"""The main job of `make demo`: compile the examples through every CPU backend, dump the IR after
every pass, check the backends agree, and print a small speed table.

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
