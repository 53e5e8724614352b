"""Symbolic-expression kernels: ircc against the usual anchors, side by side in one run.

Workloads (``benchmarks/workloads_symbolic.py``): Robertson RHS + Jacobian, an 8-link pendulum on a cart
(full mass matrix + forcing), a random 30-species / 60-reaction mass-action network (RHS + Jacobian).

Contenders, each prepared from the same ``(exprs, args)``:

- ``ircc-llvm``, ``ircc-numba``: ``ircc.compile(exprs, args=args, target=..., threads=T, eqsat=False,
  cache=False)``; called ``kernel(*arrays)`` (a tuple of arrays back) or ``kernel(*floats)`` (a tuple of floats).
- ``sympy-lambdify``: ``sympy.lambdify(args, exprs, modules="numpy", cse=True)`` (single-threaded numpy).
- ``sympy-cse+numba``: ``sympy.cse`` printed into a ``numba.njit`` loop over the points, written by this script
  (the "hand-written numba loop"); the 2-thread variant is the same loop with ``numba.prange``.
- ``symengine-llvm``: ``symengine.Lambdify(args, exprs, backend="llvm", cse=True)`` called on an ``(N, nargs)``
  C-contiguous array (its natural, point-major layout; built outside the timed region), output ``(N, nout)``.

Measurements per workload x contender: code-generation time (wall clock, preparation plus a first call on 4
points, so Numba's lazy compilation is included), 1-thread throughput (process CPU time per call, median,
interleaved), 2-thread throughput (wall clock, interleaved A B C A B C ..., median), single-point latency
(timeit) and the max relative error against lambdify on a few hundred points.

Run ``.venv/bin/python benchmarks/symbolic.py --quick`` as a smoke test (writes ``symbolic-quick.*``), and
``.venv/bin/python benchmarks/symbolic.py`` for the full run (writes ``benchmarks/results/symbolic.{json,md}``).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import importlib
import json
import math
import os
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import sympy

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _timing
from workloads_symbolic import WORKLOADS

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
BASELINE = "symengine-llvm"
REFERENCE = "sympy-lambdify"
LOW, HIGH = 0.5, 1.5  # the points are uniform in [LOW, HIGH] for every argument
FIRST_CALL_POINTS = 4
CHECK_POINTS = 256
MISMATCH_RTOL = 1e-6
FLOOR = "floor: np.ones((nout, N))"


# --------------------------------------------------------------------------------------------- contenders


@dataclass
class Workload:
    """One workload: its outputs ``exprs`` and arguments ``args``, plus a few facts about it."""

    name: str
    exprs: list[sympy.Expr]
    args: list[sympy.Symbol]
    build_s: float

    @property
    def nout(self) -> int:
        """Number of outputs."""
        return len(self.exprs)

    @property
    def nargs(self) -> int:
        """Number of arguments."""
        return len(self.args)

    @property
    def n_constant(self) -> int:
        """Number of outputs that are plain numbers (e.g. the zeros of a Jacobian)."""
        return sum(1 for e in self.exprs if e.is_number)


@dataclass
class Prepared:
    """A contender made ready for one workload and one thread count.

    ``layout`` turns the per-argument 1-D arrays into the input the contender takes (outside the timed
    region); ``call`` runs it on that input; ``columns`` turns its output into a ``(nout, n)`` float array;
    ``point`` builds the zero-argument single-point call for a point given as Python floats.
    """

    name: str
    threads: int
    codegen_s: float
    call: Callable[[Any], Any]
    layout: Callable[[list[np.ndarray]], Any]
    columns: Callable[[Any, int], np.ndarray]
    point: Callable[[list[float]], Callable[[], Any]]
    point_form: str
    phases: dict[str, float] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    extra_latency: dict[str, Callable[[list[float]], Callable[[], Any]]] = field(default_factory=dict)


Factory = Callable[[Workload, int], Prepared]


def _tiny(wl: Workload, n: int = FIRST_CALL_POINTS) -> list[np.ndarray]:
    """A few points (one array per argument) for the first call that forces lazy compilation."""
    rng = np.random.default_rng(7)
    return [rng.uniform(LOW, HIGH, n) for _ in wl.args]


def _stack_outputs(out: Any, n: int) -> np.ndarray:
    """A tuple/list of per-output arrays (or scalars, for constant outputs) as a ``(nout, n)`` float array."""
    if isinstance(out, np.ndarray) and out.ndim == 2:
        return np.asarray(out, dtype=np.float64)
    return np.stack([np.broadcast_to(np.asarray(o, dtype=np.float64), (n,)) for o in out])


def _identity(arrays: list[np.ndarray]) -> list[np.ndarray]:
    return arrays


def _ircc(target: str) -> Factory:
    """Factory for ``ircc.compile(..., target=target)``."""

    def make(wl: Workload, threads: int) -> Prepared:
        import ircc

        tiny = _tiny(wl)
        t0 = time.perf_counter()
        kernel = ircc.compile(
            list(wl.exprs), args=list(wl.args), target=target, threads=threads, eqsat=False, cache=False
        )
        t1 = time.perf_counter()
        kernel(*tiny)
        t2 = time.perf_counter()
        stats = getattr(kernel, "compile_stats", None)
        extra = {"compile_stats": _jsonable(stats)} if stats else {}
        return Prepared(
            name=f"ircc-{target}",
            threads=threads,
            codegen_s=t2 - t0,
            call=lambda arrays: kernel(*arrays),
            layout=_identity,
            columns=_stack_outputs,
            point=lambda pt: lambda: kernel(*pt),
            point_form="kernel(*floats) -> tuple of floats",
            phases={"compile_s": t1 - t0, "first_call_s": t2 - t1},
            extra=extra,
        )

    return make


def _lambdify(wl: Workload, threads: int) -> Prepared:
    """``sympy.lambdify(args, exprs, modules="numpy", cse=True)``: numpy, single-threaded."""
    tiny = _tiny(wl)
    t0 = time.perf_counter()
    fn = sympy.lambdify(wl.args, list(wl.exprs), modules="numpy", cse=True)
    t1 = time.perf_counter()
    fn(*tiny)
    t2 = time.perf_counter()
    return Prepared(
        name="sympy-lambdify",
        threads=1,
        codegen_s=t2 - t0,
        call=lambda arrays: fn(*arrays),
        layout=_identity,
        columns=_stack_outputs,
        point=lambda pt: lambda: fn(*pt),
        point_form="f(*floats) -> list of floats",
        phases={"lambdify_s": t1 - t0, "first_call_s": t2 - t1},
        extra={"note": "constant outputs come back as Python scalars, not N-length arrays"},
    )


def numba_loop_source(wl: Workload, parallel: bool, func_name: str = "kernel") -> tuple[str, int]:
    """Python source of a loop over the points evaluating ``sympy.cse(exprs)``; returns (source, #temps).

    The function takes one 1-D array per argument then ``out`` of shape ``(nout, n)``; every output,
    constants included, is written as ``out[j, i]``.
    """
    from sympy.printing.pycode import PythonCodePrinter

    printer = PythonCodePrinter({"fully_qualified_modules": True})
    temps, reduced = sympy.cse(wl.exprs, symbols=sympy.numbered_symbols("cse_t"))
    arrays = [f"arg_{j}" for j in range(wl.nargs)]
    lines = [f"def {func_name}({', '.join(arrays)}, out):", "    n = out.shape[1]"]
    lines.append(f"    for i in {'prange' if parallel else 'range'}(n):")
    lines += [f"        {a.name} = {arr}[i]" for a, arr in zip(wl.args, arrays, strict=True)]
    lines += [f"        {sym.name} = {printer.doprint(expr)}" for sym, expr in temps]
    lines += [f"        out[{j}, i] = {printer.doprint(expr)}" for j, expr in enumerate(reduced)]
    return "\n".join(lines) + "\n", len(temps)


def _cse_numba(wl: Workload, threads: int) -> Prepared:
    """``sympy.cse`` printed into an ``@njit(error_model="numpy")`` loop (``prange`` when threads > 1)."""
    import numba

    parallel = threads > 1
    eff_threads = min(threads, numba.config.NUMBA_NUM_THREADS) if parallel else 1
    tiny = _tiny(wl)
    nout = wl.nout
    t0 = time.perf_counter()
    source, ntemps = numba_loop_source(wl, parallel)
    t1 = time.perf_counter()
    namespace: dict[str, Any] = {"math": math, "prange": numba.prange}
    exec(compile(source, f"<cse-numba {wl.name}>", "exec"), namespace)  # noqa: S102 - our generated code
    kernel = numba.njit(parallel=parallel, error_model="numpy")(namespace["kernel"])

    def call(arrays: list[np.ndarray]) -> np.ndarray:
        out = np.empty((nout, arrays[0].shape[0]))
        if parallel:
            numba.set_num_threads(eff_threads)
        kernel(*arrays, out)
        return out

    call(tiny)
    t2 = time.perf_counter()

    def point(pt: list[float]) -> Callable[[], Any]:
        one = [np.array([v]) for v in pt]
        return lambda: call(one)

    return Prepared(
        name="sympy-cse+numba",
        threads=eff_threads,
        codegen_s=t2 - t0,
        call=call,
        layout=_identity,
        columns=_stack_outputs,
        point=point,
        point_form="its N-point loop on 1-element arrays (output allocated per call)",
        phases={"cse_and_print_s": t1 - t0, "njit_and_first_call_s": t2 - t1},
        extra={"cse_temps": ntemps, "source_lines": source.count("\n"), "parallel": parallel},
    )


def _symengine(wl: Workload, threads: int) -> Prepared:
    """``symengine.Lambdify(args, exprs, backend="llvm", cse=True)``: one point after the other, 1 thread."""
    import symengine

    tiny = np.ascontiguousarray(np.column_stack(_tiny(wl)))
    t0 = time.perf_counter()
    se_args = [symengine.sympify(a) for a in wl.args]
    se_exprs = [symengine.sympify(e) for e in wl.exprs]
    t1 = time.perf_counter()
    fn = symengine.Lambdify(se_args, se_exprs, backend="llvm", cse=True)
    t2 = time.perf_counter()
    fn(tiny)
    t3 = time.perf_counter()
    nout = wl.nout

    def point(pt: list[float]) -> Callable[[], Any]:
        arr = np.array(pt, dtype=np.float64)
        return lambda: fn(arr)

    def point_unsafe(pt: list[float]) -> Callable[[], Any]:
        arr = np.array(pt, dtype=np.float64)
        out = np.empty(nout)
        return lambda: fn.unsafe_real(arr, out)

    return Prepared(
        name="symengine-llvm",
        threads=1,
        codegen_s=t3 - t0,
        call=fn,
        layout=lambda arrays: np.ascontiguousarray(np.column_stack(arrays)),
        columns=lambda out, n: np.asarray(out).reshape(n, nout).T,
        point=point,
        point_form="f(1-D array of nargs) -> 1-D array of nout",
        phases={"sympify_s": t1 - t0, "lambdify_s": t2 - t1, "first_call_s": t3 - t2},
        extra={"input_layout": "(N, nargs) C-contiguous, made outside the timed region"},
        extra_latency={"unsafe_real(in, out) (preallocated output, no checks)": point_unsafe},
    )


CONTENDERS: dict[str, tuple[Factory, bool]] = {
    # name: (factory, has threading)
    "ircc-llvm": (_ircc("llvm"), True),
    "ircc-numba": (_ircc("numba"), True),
    "sympy-lambdify": (_lambdify, False),
    "sympy-cse+numba": (_cse_numba, True),
    "symengine-llvm": (_symengine, False),
}


# ------------------------------------------------------------------------------------------------ helpers


def _err(exc: BaseException) -> str:
    """A one-line description of an exception."""
    text = f"{type(exc).__name__}: {exc}".strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


class PrepareTimeout(Exception):
    """Raised when preparing a contender takes longer than ``--prepare-timeout``."""


@contextlib.contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    """Raise :class:`PrepareTimeout` in the main thread after ``seconds`` (no-op where SIGALRM is missing)."""
    if seconds <= 0 or not hasattr(signal, "SIGALRM"):
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise PrepareTimeout(f"preparation took longer than {seconds:g} s")

    old = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _jsonable(obj: Any) -> Any:
    """``obj`` with numpy scalars made plain, non-finite floats as strings and unknown objects as ``repr``."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else str(obj)
    if obj is None or isinstance(obj, bool | int | str):
        return obj
    return repr(obj)


def max_rel_err(got: np.ndarray, ref: np.ndarray) -> tuple[float, float]:
    """Max relative and max absolute error of ``got`` against ``ref`` (both ``(nout, n)``).

    The relative error of an entry is ``|got - ref| / max(|ref|, 1e-12 * max|ref of that output|, 1e-300)``,
    so exact zeros and values that cancel to almost nothing do not divide by zero. A non-finite value where
    the reference has the same non-finite value counts as exact; any other non-finite mismatch is ``inf``.
    """
    got = np.asarray(got, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    if got.shape != ref.shape:
        raise ValueError(f"output shape {got.shape} != reference shape {ref.shape}")
    both_same = (got == ref) | (np.isnan(got) & np.isnan(ref))
    finite = np.isfinite(got) & np.isfinite(ref)
    if np.any(~both_same & ~finite):
        return math.inf, math.inf
    diff = np.where(both_same, 0.0, np.abs(got - ref))
    scale = np.max(np.where(np.isfinite(ref), np.abs(ref), 0.0), axis=1, keepdims=True)
    denom = np.maximum(np.maximum(np.abs(np.where(finite, ref, 0.0)), 1e-12 * scale), 1e-300)
    return float(np.max(diff / denom, initial=0.0)), float(np.max(diff, initial=0.0))


def nice_floor(n: int) -> int:
    """``n`` rounded down to one significant digit (e.g. 449_000 -> 400_000)."""
    if n < 10:
        return max(n, 1)
    mag = 10 ** math.floor(math.log10(n))
    return (n // mag) * mag


def points_for(wl: Workload, requested: int, mem_gb: float, ntemps: int) -> tuple[int, str]:
    """Points per call for ``wl``: ``requested``, or fewer so that one call's arrays fit in ``mem_gb``.

    The estimate per point is 8 bytes x (inputs twice + the larger of: all outputs, or lambdify's live
    CSE temporaries + non-constant outputs, which all stay alive until its function returns).
    """
    per_point = 8 * (2 * wl.nargs + max(wl.nout, ntemps + wl.nout - wl.n_constant))
    cap = int(mem_gb * 2**30 // per_point)
    if requested <= cap:
        return requested, ""
    n = nice_floor(cap)
    return n, (
        f"N reduced from {requested} to {n}: one call needs about {per_point} bytes per point "
        f"(> --mem-gb {mem_gb:g} at the requested N)"
    )


def versions() -> dict[str, str]:
    """Versions of the libraries involved (and the ircc checkout's git commit)."""
    out: dict[str, str] = {"python": sys.version.split()[0]}
    for mod in ("numpy", "sympy", "symengine", "numba", "llvmlite", "scipy", "ircc"):
        try:
            out[mod] = str(getattr(importlib.import_module(mod), "__version__", "?"))
        except Exception as exc:  # noqa: BLE001 - report the error, do not fail
            out[mod] = f"unavailable ({_err(exc)})"
    try:
        commit = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "ircc"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        out["ircc_git"] = commit + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError) as exc:  # no git, or no commit yet: fine
        out["ircc_git"] = f"unknown ({_err(exc)})"
    return out


# ------------------------------------------------------------------------------------------------ running


def warm_up(names: Sequence[str], threads: int, timeout: float) -> dict[str, Any]:
    """Prepare every contender once on a trivial expression, so imports and one-time initialization (LLVM,
    Numba's typing registries, printers) are not charged to the first workload's codegen time.

    Returns the seconds each took (or the error); failures here are ignored, the real preparation reports them.
    """
    a, b = sympy.symbols("wa wb")
    wl = Workload("warmup", [a * b + sympy.sin(a), a**2 - b], [a, b], 0.0)
    spent: dict[str, Any] = {}
    for name in names:
        factory, threaded = CONTENDERS[name]
        t0 = time.perf_counter()
        try:
            with _deadline(timeout):
                factory(wl, 1)
                if threaded and threads > 1:
                    factory(wl, threads)
            spent[name] = time.perf_counter() - t0
        except Exception as exc:  # noqa: BLE001 - one contender failing must not stop the run
            spent[name] = f"failed: {_err(exc)}"
    return spent


def prepare_all(
    wl: Workload, names: Sequence[str], threads: int, timeout: float, records: dict[str, dict[str, Any]]
) -> tuple[dict[str, Prepared], dict[str, Prepared]]:
    """Prepare every contender for 1 thread and for ``threads`` threads; failures go into ``records``."""
    one: dict[str, Prepared] = {}
    multi: dict[str, Prepared] = {}
    for name in names:
        factory, threaded = CONTENDERS[name]
        rec = records[name]
        _log(f"  prepare {name} (1 thread)")
        try:
            with _deadline(timeout):
                one[name] = factory(wl, 1)
        except Exception as exc:  # noqa: BLE001 - one contender failing must not stop the run
            rec["status"] = f"unavailable: {_err(exc)}"
            rec["traceback"] = traceback.format_exc(limit=6)
            _log(f"    {rec['status']}")
            continue
        p = one[name]
        rec.update(codegen_s=p.codegen_s, codegen_phases=p.phases, latency_call=p.point_form, **p.extra)
        if not threaded or threads <= 1:
            multi[name] = p
            continue
        _log(f"  prepare {name} ({threads} threads)")
        try:
            with _deadline(timeout):
                multi[name] = factory(wl, threads)
            rec["codegen_s_threaded"] = multi[name].codegen_s
        except Exception as exc:  # noqa: BLE001 - one contender failing must not stop the run
            rec.setdefault("errors", {})["prepare_threaded"] = _err(exc)
            _log(f"    threaded variant unavailable: {_err(exc)}")
    return one, multi


def check_correctness(
    wl: Workload, one: dict[str, Prepared], multi: dict[str, Prepared], records: dict[str, dict[str, Any]]
) -> None:
    """Max relative error of every prepared contender against lambdify on ``CHECK_POINTS`` points."""
    rng = np.random.default_rng(1)
    arrays = [rng.uniform(LOW, HIGH, CHECK_POINTS) for _ in wl.args]
    ref_fn = one.get(REFERENCE) or _lambdify(wl, 1)
    ref = ref_fn.columns(ref_fn.call(arrays), CHECK_POINTS)
    for name, rec in records.items():
        variants = [("1", one.get(name)), ("threaded", multi.get(name))]
        worst_rel, worst_abs = 0.0, 0.0
        checked = False
        for label, p in variants:
            if p is None or (label == "threaded" and p is one.get(name)):
                continue
            try:
                got = p.columns(p.call(p.layout(arrays)), CHECK_POINTS)
                rel, abs_ = max_rel_err(got, ref)
            except Exception as exc:  # noqa: BLE001 - one contender failing must not stop the run
                rec.setdefault("errors", {})[f"check_{label}"] = _err(exc)
                continue
            checked = True
            worst_rel, worst_abs = max(worst_rel, rel), max(worst_abs, abs_)
        if checked:
            rec["max_rel_err"] = worst_rel
            rec["max_abs_err"] = worst_abs
            rec["mismatch"] = not worst_rel <= MISMATCH_RTOL
            if rec["mismatch"]:
                _log(f"  WARNING: {name} differs from lambdify: max rel err {worst_rel:.3g}")


def measure_latency(wl: Workload, one: dict[str, Prepared], records: dict[str, dict[str, Any]]) -> None:
    """Single-point latency of every contender (its 1-thread variant) at one fixed random point.

    The single-point result is first checked against lambdify's at that point (``max_rel_err_point``).
    """
    rng = np.random.default_rng(2)
    pt = [float(v) for v in rng.uniform(LOW, HIGH, wl.nargs)]
    ref_fn = one.get(REFERENCE) or _lambdify(wl, 1)
    ref = ref_fn.columns(ref_fn.call([np.array([v]) for v in pt]), 1)
    for name, p in one.items():
        rec = records[name]
        try:
            call = p.point(pt)
            got = np.asarray(call(), dtype=np.float64).reshape(-1, 1)
            rec["max_rel_err_point"] = max_rel_err(got, ref)[0]
            if not rec["max_rel_err_point"] <= MISMATCH_RTOL:
                rec["mismatch"] = True
                _log(f"  WARNING: {name} single-point call differs from lambdify: {rec['max_rel_err_point']:.3g}")
            rec["latency"] = _timing.latency(call)
            for label, make in p.extra_latency.items():
                rec.setdefault("latency_extra", {})[label] = _timing.latency(make(pt))
        except Exception as exc:  # noqa: BLE001 - one contender failing must not stop the run
            rec.setdefault("errors", {})["latency"] = _err(exc)


def measure_throughput(
    wl: Workload,
    prepared: dict[str, Prepared],
    records: dict[str, dict[str, Any]],
    n: int,
    repeats: int,
    clock_name: str,
    key: str,
    floor: bool = False,
) -> dict[str, Any] | None:
    """Interleaved throughput over ``n`` random points; stores Mpoints/s (from the median) under ``key``.

    With ``floor``, ``np.ones((nout, n))`` (allocate and write every output once, nothing computed) is timed
    in the same rounds, and its record is returned: no contender that materializes every output in fresh
    memory can beat it by much.
    """
    clock = time.process_time if clock_name == "cpu" else time.perf_counter
    rng = np.random.default_rng(12345)
    arrays = [rng.uniform(LOW, HIGH, n) for _ in wl.args]
    inputs: dict[str, Any] = {}
    for name, p in prepared.items():
        try:
            inputs[name] = p.layout(arrays)
        except Exception as exc:  # noqa: BLE001 - one contender failing must not stop the run
            records[name].setdefault("errors", {})[key] = _err(exc)
    fns: dict[str, Callable[[], Any]] = {name: (lambda p=prepared[name], x=inputs[name]: p.call(x)) for name in inputs}
    if floor:
        fns[FLOOR] = lambda: np.ones((wl.nout, n))

    def on_error(name: str, exc: BaseException) -> None:
        records[name].setdefault("errors", {})[key] = _err(exc)
        _log(f"    {name}: {key} failed: {_err(exc)}")

    usage: dict[str, dict[str, list[float]]] = {}
    times = _timing.interleaved(fns, repeats=repeats, clock=clock, warmup=1, on_error=on_error, usage=usage)
    floor_rec: dict[str, Any] | None = None
    for name, ts in times.items():
        if not ts:
            continue
        med = _timing.median(ts)
        used = usage.get(name, {})
        med_user = _timing.median(used.get("user_s", []))
        rec = {
            "mpts_per_s": n / med / 1e6,
            "median_s": med,
            "times_s": ts,
            "user_mpts_per_s": n / med_user / 1e6 if med_user > 0 else None,
            "user_s": used.get("user_s", []),
            "sys_s": used.get("sys_s", []),
            "minor_page_faults": used.get("minor_faults", []),
            "clock": "process_time" if clock_name == "cpu" else "perf_counter (wall)",
            "threads": prepared[name].threads if name in prepared else 1,
        }
        if name == FLOOR:
            floor_rec = rec
        else:
            records[name][key] = rec
    del inputs, fns, arrays
    return floor_rec


def run_workload(name: str, args: argparse.Namespace, contenders: Sequence[str]) -> dict[str, Any]:
    """Build, prepare, check and time one workload; returns its JSON record."""
    _log(f"[{name}] building (load {_timing.load_average()})")
    t0 = time.perf_counter()
    wname, exprs, wargs = WORKLOADS[name]()
    wl = Workload(wname, list(exprs), list(wargs), time.perf_counter() - t0)
    ntemps = len(sympy.cse(wl.exprs)[0])
    n, n_note = points_for(wl, args.points, args.mem_gb, ntemps)
    rec: dict[str, Any] = {
        "nargs": wl.nargs,
        "nout": wl.nout,
        "constant_outputs": wl.n_constant,
        "sympy_cse_temps": ntemps,
        "count_ops": int(sympy.count_ops(wl.exprs)),
        "args": [a.name for a in wl.args],
        "build_s": wl.build_s,
        "points": n,
        "load_start": _timing.load_average(),
    }
    if n_note:
        rec["points_note"] = n_note
        _log(f"  {n_note}")
    records: dict[str, dict[str, Any]] = {c: {"status": "ok"} for c in contenders}
    one, multi = prepare_all(wl, contenders, args.threads, args.prepare_timeout, records)
    _log("  correctness")
    check_correctness(wl, one, multi, records)
    _log("  latency")
    measure_latency(wl, one, records)
    _log(f"  1-thread throughput, N={n}, {args.repeats} repeats (process CPU time)")
    rec["output_floor_1t"] = measure_throughput(wl, one, records, n, args.repeats, "cpu", "throughput_1t", True)
    _log(f"  {args.threads}-thread throughput (wall clock, interleaved)")
    measure_throughput(wl, multi, records, n, args.repeats, "wall", "throughput_mt")
    rec["load_end"] = _timing.load_average()
    rec["contenders"] = records
    return rec


# ------------------------------------------------------------------------------------------------ reports


def _fmt(x: float | None, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-" if x is None else str(x)
    if x == 0:
        return "0"
    if abs(x) >= 1000 or abs(x) < 1e-3:
        return f"{x:.{digits - 1}e}"
    return f"{x:.{digits}g}"


def _ratio(num: float | None, den: float | None) -> str:
    if num is None or den is None or not den or not math.isfinite(num) or not math.isfinite(den):
        return "-"
    return f"{num / den:.2f}x"


def _get(r: dict[str, Any], *path: str) -> float | None:
    """The number at ``r[path[0]][path[1]]...``, or None where missing or not a number."""
    cur: Any = r
    for p in path:
        if not isinstance(cur, dict) or p not in cur:
            return None
        cur = cur[p]
    return cur if isinstance(cur, int | float) and not isinstance(cur, bool) else None


USER_MIN_S = 0.1  # the user/system split of getrusage is tick-sampled: shown only for calls at least this long


def _user_rate(rec: dict[str, Any] | None) -> float | None:
    """The user-CPU rate of a throughput record, or None where its calls are too short for the split."""
    if not rec or not isinstance(rec.get("median_s"), float) or rec["median_s"] < USER_MIN_S:
        return None
    return _get(rec, "user_mpts_per_s")


def markdown(result: dict[str, Any]) -> str:
    """The markdown report of a run."""
    meta = result["meta"]
    m = meta["machine"]
    lines = [
        "# Symbolic kernels: ircc vs anchors",
        "",
        f"- command: `{meta['command']}`",
        f"- date: {meta['date']}",
        (
            f"- machine: {m['cpu']}, {m['cores_usable']} usable cores ({m['cores_logical']} logical), "
            f"{m['memory_gb']} GiB; {m['platform']}"
        ),
        f"- load average (1/5/15 min): start {meta['load_start']}, end {meta['load_end']}",
        "- versions: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()),
        (
            f"- points per call: {meta['points_requested']} requested (see per-workload N), uniform in "
            f"[{LOW}, {HIGH}]; {meta['repeats']} timed repeats after 1 warm-up round, median"
        ),
        "",
        (
            "Columns: **codegen s** = wall clock of preparation from the sympy expressions *including a first "
            f"call on {FIRST_CALL_POINTS} points* (so Numba's lazy compile counts); **1-thr** = N / median process "
            "CPU time per call (user + system: page faults and zeroing of fresh output memory count); **1-thr "
            "user** = the same calls, user CPU time only (the computation, without the kernel's page-fault work, "
            f"which is noisy on this VM; shown where a call takes at least {USER_MIN_S} s, as getrusage's "
            "user/system split is tick-sampled); **{meta['threads']}-thr** = N / median wall time per call (threads "
            "actually used in brackets; 1 = no threading); all throughput calls are interleaved, in an order that "
            "rotates every round; **latency** = median over timeit repeats of the per-call mean for one point "
            f"(call form below each table); **max rel err** vs sympy-lambdify on {CHECK_POINTS} points (array "
            "call) and at the latency point (single-point call). **x cols** = speed relative to "
            f"{BASELINE} (>1 = faster than {BASELINE}: its time / this time, or this rate / its rate)."
        ),
        "",
    ]
    for wname, w in result["workloads"].items():
        lines += [
            f"## {wname}",
            "",
            (
                f"{w['nargs']} args, {w['nout']} outputs ({w['constant_outputs']} constant), "
                f"{w['sympy_cse_temps']} sympy.cse temporaries, count_ops {w['count_ops']}; "
                f"N = {w['points']} points per call; load {w['load_start']} -> {w['load_end']}."
            ),
        ]
        if w.get("points_note"):
            lines.append(f"*{w['points_note']}.*")
        thr = meta["threads"]
        lines += [
            "",
            (
                f"| contender | codegen s | 1-thr Mpts/s | 1-thr user Mpts/s | {thr}-thr Mpts/s | latency us | "
                f"max rel err | codegen x | 1-thr x | 1-thr user x | {thr}-thr x | latency x |"
            ),
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        recs = w["contenders"]
        base = recs.get(BASELINE, {})

        notes: list[str] = []
        for cname, r in recs.items():
            if r.get("status", "ok") != "ok":
                lines.append(f"| {cname} | {r['status']} | | | | | | | | | | |")
                continue
            cg, bcg = _get(r, "codegen_s"), _get(base, "codegen_s")
            t1, bt1 = _get(r, "throughput_1t", "mpts_per_s"), _get(base, "throughput_1t", "mpts_per_s")
            u1, bu1 = _user_rate(r.get("throughput_1t")), _user_rate(base.get("throughput_1t"))
            tm, btm = _get(r, "throughput_mt", "mpts_per_s"), _get(base, "throughput_mt", "mpts_per_s")
            lat, blat = _get(r, "latency", "median_us"), _get(base, "latency", "median_us")
            mt_threads = _get(r, "throughput_mt", "threads")
            err = max(
                (e for e in (_get(r, "max_rel_err"), _get(r, "max_rel_err_point")) if e is not None),
                default=None,
            )
            err_s = _fmt(err, 2) + (" **MISMATCH**" if r.get("mismatch") else "")
            lines.append(
                f"| {cname} | {_fmt(cg)} | {_fmt(t1)} | {_fmt(u1)} | {_fmt(tm)}"
                f"{f' ({int(mt_threads)})' if mt_threads is not None else ''} | {_fmt(lat)} | {err_s} | "
                f"{_ratio(bcg, cg)} | {_ratio(t1, bt1)} | {_ratio(u1, bu1)} | {_ratio(tm, btm)} | "
                f"{_ratio(blat, lat)} |"
            )
            for phase, err_msg in r.get("errors", {}).items():
                notes.append(f"{cname}: {phase} failed: {err_msg}")
            for label, lt in r.get("latency_extra", {}).items():
                notes.append(f"{cname}: latency with {label}: {_fmt(lt['median_us'])} us")
        floor = w.get("output_floor_1t")
        if floor:
            lines.append(
                f"| *{FLOOR}* | | {_fmt(floor['mpts_per_s'])} | {_fmt(_user_rate(floor))} | | | | | "
                f"{_ratio(floor['mpts_per_s'], _get(base, 'throughput_1t', 'mpts_per_s'))} | "
                f"{_ratio(_user_rate(floor), _user_rate(base.get('throughput_1t')))} | | |"
            )
        lines += [
            "",
            "Latency call forms: "
            + "; ".join(f"{c}: {r['latency_call']}" for c, r in recs.items() if r.get("latency_call"))
            + ".",
        ]
        if notes:
            lines += ["", *[f"- {n}" for n in notes]]
        lines.append("")
    lines += ["## Notes", "", *[f"- {n}" for n in result["notes"]], ""]
    return "\n".join(lines)


NOTES = [
    (
        "Before the first workload every contender is prepared once on a trivial expression (not reported), so "
        "imports and one-time initialization are not charged to the first workload's codegen time."
    ),
    (
        "sympy-lambdify returns constant outputs (the zeros and ones of the Jacobians and of the full mass matrix) "
        "as Python scalars instead of N-length arrays, so it writes far less memory than the others on "
        "pendulum and massaction; every other contender materializes all outputs."
    ),
    (
        "Every contender allocates its outputs inside the timed call, so page faults on fresh memory are in the "
        "figures (the JSON has the minor page faults per call). The *floor* row times np.ones((nout, N)) in the "
        "same 1-thread rounds: allocating and writing every output once, nothing computed; a contender that "
        "materializes all outputs cannot go much beyond it (lambdify can: it does not materialize constants)."
    ),
    (
        "symengine-llvm is timed on an (N, nargs) C-contiguous input prepared outside the timed region (its "
        "point-major layout); its output is (N, nout). It has no threading: its multi-thread figure is 1 thread."
    ),
    (
        "sympy-cse+numba: sympy.cse printed with PythonCodePrinter into an @njit(error_model='numpy') loop "
        "writing out[j, i] for an (nout, N) output; the threaded variant is the same loop with numba.prange and "
        "numba.set_num_threads."
    ),
    (
        "Latency: timeit with the garbage collector off; number = 2000 calls per repeat (fewer for slow calls, "
        "so one repeat lasts ~0.2 s), 7 repeats; the table shows the median over repeats (the JSON has the min)."
    ),
    (
        "The user/system split (1-thr user column, user_s/sys_s in the JSON) comes from getrusage, which the "
        "kernel apportions from tick samples: meaningful for calls of tens of milliseconds and more (the full "
        "run), not for --quick."
    ),
    (
        "1-thread timings use process CPU time (user + system of all threads), so a contender cannot gain from "
        "spare cores there; multi-thread timings use wall clock with contenders interleaved, on a shared machine."
    ),
]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--points", type=float, default=1e6, help="points per call (default 1e6)")
    ap.add_argument("--repeats", type=int, default=5, help="timed repeats after one warm-up round (default 5)")
    ap.add_argument("--threads", type=int, default=2, help="threads for the threaded run (default 2)")
    ap.add_argument("--workloads", default=",".join(WORKLOADS), help=f"comma list of {', '.join(WORKLOADS)}")
    ap.add_argument("--contenders", default=",".join(CONTENDERS), help=f"comma list of {', '.join(CONTENDERS)}")
    ap.add_argument("--quick", action="store_true", help="smoke test: N=1e4, 3 repeats, writes symbolic-quick.*")
    ap.add_argument(
        "--mem-gb",
        type=float,
        default=4.0,
        help="cap on the memory of one call's arrays; N is reduced per workload to fit (default 4)",
    )
    ap.add_argument("--prepare-timeout", type=float, default=600.0, help="seconds per preparation (0 = none)")
    ap.add_argument("--out", type=Path, default=None, help="output stem (default results/symbolic[-quick])")
    ap.add_argument("--render", type=Path, default=None, help="only rewrite the .md next to this results .json")
    args = ap.parse_args(argv)
    if args.quick:
        args.points, args.repeats = 1e4, 3
    args.points = int(args.points)
    args.workloads = [w for w in args.workloads.split(",") if w]
    args.contenders = [c for c in args.contenders.split(",") if c]
    for w in args.workloads:
        if w not in WORKLOADS:
            ap.error(f"unknown workload {w!r}")
    for c in args.contenders:
        if c not in CONTENDERS:
            ap.error(f"unknown contender {c!r}")
    if args.out is None:
        args.out = RESULTS / ("symbolic-quick" if args.quick else "symbolic")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and write ``<out>.json`` and ``<out>.md``."""
    args = parse_args(argv)
    if args.render is not None:
        md = markdown(json.loads(args.render.read_text(encoding="utf-8")))
        args.render.with_suffix(".md").write_text(md, encoding="utf-8")
        print(md)
        return 0
    load_start = _timing.load_average()
    _log(f"load average at start: {load_start}")
    meta: dict[str, Any] = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]) if argv is None else " ".join(argv),
        "date": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": _timing.machine(),
        "versions": versions(),
        "points_requested": args.points,
        "repeats": args.repeats,
        "threads": args.threads,
        "mem_gb": args.mem_gb,
        "contenders": args.contenders,
        "load_start": load_start,
        "env": {k: v for k, v in os.environ.items() if k.startswith(("NUMBA_", "OMP_", "IRCC_", "SYMENGINE_"))},
    }
    _log("warm-up (imports, one-time initialization)")
    meta["warmup_s"] = warm_up(args.contenders, args.threads, args.prepare_timeout)
    t0 = time.perf_counter()
    workloads = {w: run_workload(w, args, args.contenders) for w in args.workloads}
    meta["load_end"] = _timing.load_average()
    meta["total_s"] = time.perf_counter() - t0
    _log(f"load average at end: {meta['load_end']} (total {meta['total_s']:.0f} s)")
    result = {"meta": meta, "workloads": workloads, "notes": NOTES}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    json_path, md_path = args.out.with_suffix(".json"), args.out.with_suffix(".md")
    json_path.write_text(json.dumps(_jsonable(result), indent=1) + "\n", encoding="utf-8")
    md = markdown(result)
    md_path.write_text(md, encoding="utf-8")
    print(md)
    _log(f"wrote {json_path} and {md_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
