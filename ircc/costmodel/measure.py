"""Measure the static per-op cost table: nanoseconds per element for each arith / math op, on this machine.

    python -m ircc.costmodel.measure            # writes ircc/costmodel/op_costs.json
    python -m ircc.costmodel.measure --out F    # writes F instead (--quick: fewer points, for a smoke run)

Each op is timed inside a kernel ircc itself compiles (llvm backend, one thread, no fastmath), the way the
e-graph pass's output runs: a loop over points that computes K independent applications of the op per point
(``r_k = op(x * c_k, y)``, ``acc += r_k``) and stores ``acc``. The same kernel without the op is the baseline;
the cost is ``(t_op - t_base) / (K * N)``, median of repeats, process CPU time, both kernels interleaved. Inputs
lie in [0.2, 0.8] (inside every function's domain; ``acosh`` gets ``1 + x``), so no special-value path is timed.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import platform
import statistics
import time
from pathlib import Path

import numpy as np

#: op name (as the e-graph pass spells it) -> (MLIR template for one application of ``%a`` and ``%b``, arity).
#: Unary templates ignore ``%b``. ``{t}`` is the float type.
OPS: dict[str, str] = {
    "add": "arith.addf {a}, {b} : {t}",
    "sub": "arith.subf {a}, {b} : {t}",
    "mul": "arith.mulf {a}, {b} : {t}",
    "div": "arith.divf {a}, {b} : {t}",
    "neg": "arith.negf {a} : {t}",
    "fma": "math.fma {a}, {b}, {a} : {t}",
    "min": "arith.minimumf {a}, {b} : {t}",
    "max": "arith.maximumf {a}, {b} : {t}",
    "sqrt": "math.sqrt {a} : {t}",
    "exp": "math.exp {a} : {t}",
    "log": "math.log {a} : {t}",
    "sin": "math.sin {a} : {t}",
    "cos": "math.cos {a} : {t}",
    "tan": "math.tan {a} : {t}",
    "pow": "math.powf {a}, {b} : {t}",
    "atan": "math.atan {a} : {t}",
    "atan2": "math.atan2 {a}, {b} : {t}",
    "asin": "math.asin {a} : {t}",
    "acos": "math.acos {a} : {t}",
    "sinh": "math.sinh {a} : {t}",
    "cosh": "math.cosh {a} : {t}",
    "tanh": "math.tanh {a} : {t}",
    "asinh": "math.asinh {a} : {t}",
    "acosh": "math.acosh {a1} : {t}",
    "atanh": "math.atanh {a} : {t}",
    "erf": "math.erf {a} : {t}",
    "abs": "math.absf {a} : {t}",
    "floor": "math.floor {a} : {t}",
    "ceil": "math.ceil {a} : {t}",
    "exp2": "math.exp2 {a} : {t}",
    "log2": "math.log2 {a} : {t}",
    "log10": "math.log10 {a} : {t}",
    "expm1": "math.expm1 {a} : {t}",
    "log1p": "math.log1p {a} : {t}",
    "cbrt": "math.cbrt {a} : {t}",
}

K = 8  # applications per point


def kernel_text(op: str | None, t: str) -> str:
    """The timing kernel for ``op`` (None: the baseline without it)."""
    lines = []
    acc = "%b"
    for k in range(K):
        c = 1.0 + 0.01 * (k + 1)
        lines.append(f"    %c{k} = arith.constant {c!r} : {t}")
        lines.append(f"    %a{k} = arith.mulf %a, %c{k} : {t}")
        if op is None:
            r = f"%a{k}"
        else:
            lines.append(f"    %a1_{k} = arith.addf %a{k}, %one : {t}")
            lines.append(f"    %r{k} = " + OPS[op].format(a=f"%a{k}", a1=f"%a1_{k}", b="%b", t=t))
            r = f"%r{k}"
        lines.append(f"    %s{k} = arith.addf {acc}, {r} : {t}")
        acc = f"%s{k}"
    body = "\n".join(lines)
    mt = f"memref<?x{t}>"
    return f"""
func.func @k(%x: {mt} {{llvm.noalias}}, %y: {mt} {{llvm.noalias}}, %out: {mt} {{llvm.noalias}}) {{
  %i0 = arith.constant 0 : index
  %i1 = arith.constant 1 : index
  %one = arith.constant 1.0 : {t}
  %n = memref.dim %out, %i0 : {mt}
  scf.for %i = %i0 to %n step %i1 {{
    %a = memref.load %x[%i] : {mt}
    %b = memref.load %y[%i] : {mt}
{body}
    memref.store {acc}, %out[%i] : {mt}
  }}
  return
}}
"""


def _cpu_time(fn, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        out.append(time.process_time() - t0)
    return out


def measure(dtype: str, n: int, repeats: int, ops: list[str]) -> dict[str, float]:
    """ns per element for each op in ``ops`` at ``dtype`` ('f64' or 'f32')."""
    import ircc

    np_t = np.float64 if dtype == "f64" else np.float32
    rng = np.random.default_rng(0)
    x = rng.uniform(0.2, 0.8, n).astype(np_t)
    y = rng.uniform(0.2, 0.8, n).astype(np_t)
    out = np.empty(n, np_t)
    base = ircc.compile(kernel_text(None, dtype), target="llvm", threads=1, cache=False)
    costs: dict[str, float] = {}
    for op in ops:
        k = ircc.compile(kernel_text(op, dtype), target="llvm", threads=1, cache=False)
        k(x, y, out)
        base(x, y, out)
        t_op, t_base = [], []
        for _ in range(repeats):  # interleaved: op, base, op, base ...
            t_op += _cpu_time(lambda: k(x, y, out), 1)
            t_base += _cpu_time(lambda: base(x, y, out), 1)
        delta = statistics.median(t_op) - statistics.median(t_base)
        costs[op] = max(delta, 0.0) / (K * n) * 1e9
    return costs


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("op_costs.json"))
    parser.add_argument("--quick", action="store_true", help="few points and repeats (a smoke run)")
    ns = parser.parse_args(argv)
    n, repeats = (20_000, 3) if ns.quick else (400_000, 9)
    table: dict[str, dict[str, float]] = {}
    for dtype in ("f64", "f32"):
        t0 = time.perf_counter()
        table[dtype] = {op: round(v, 4) for op, v in measure(dtype, n, repeats, list(OPS)).items()}
        print(f"{dtype}: {len(OPS)} ops in {time.perf_counter() - t0:.1f} s")
        for op, v in table[dtype].items():
            print(f"  {op:7s} {v:8.3f} ns/element")
    try:
        load = list(__import__("os").getloadavg())
    except OSError:
        load = []
    doc = {
        "unit": "ns per element (one thread, llvm backend, vectorized loop, no fastmath)",
        "command": "python -m ircc.costmodel.measure",
        "date": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cpu": _cpu_model(), "platform": platform.platform(), "load_average": load},
        "points": n, "repeats": repeats, "applications_per_point": K,
        "costs": table,
    }
    ns.out.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {ns.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
