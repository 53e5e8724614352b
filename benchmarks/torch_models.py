"""PyTorch models on the CPU: eager, Inductor and ircc side by side in one run (``make bench-torch``).

Models (``workloads_torch.py``; random weights from ``torch.manual_seed(0)``, nothing downloaded, ``eval()``,
float32): ``mlp``, ``gpt2_block`` (pre-LN transformer block, d_model 128, 4 heads, 32 tokens, causal attention by
hand), ``decode_attention`` (one decode step of 8 heads against a 1024-position KV cache, through
``scaled_dot_product_attention``) and ``cnn`` (two conv / batch norm / ReLU / pool stages and a linear layer), each
at batch 1 and 64, inference under ``torch.no_grad()``.

Contenders, each called on the same input tensor and returning a torch tensor:

- ``eager``: the model itself;
- ``inductor``: ``torch.compile(model)`` (default mode, CPU), compiled again for each thread count after
  ``torch._dynamo.reset()``, with ``torch._inductor.config.cpp.threads`` set to it (Inductor bakes the OpenMP thread
  count into its code);
- ``ircc``: ``ircc.compile(model, example_inputs=(x,), target="llvm", threads=T)``; its on-disk cache points at a
  fresh directory, so these are real compiles.

Per model and batch:

- *1 thread*: ``torch.set_num_threads(1)``, ircc compiled with ``threads=1``; process CPU time
  (``time.process_time``) per call, the contenders interleaved (A B C, B C A, ...) after one warm-up round. A
  sample is as many calls as take about ``--sample-ms`` (counted per contender from a probe), the number of samples
  is what makes about ``--target-s`` of calls per contender, at least ``--min-samples``; the figure is the median
  sample over its calls;
- *2 threads*: the same with ``torch.set_num_threads(2)``, ircc ``threads=2`` and wall clock
  (``time.perf_counter``);
- *cold compile*: wall clock from ``torch.compile`` / ``ircc.compile`` to the first call's result, in a fresh
  process (``python benchmarks/torch_models.py --cold CONTENDER MODEL BATCH``, one JSON line on stdout) at one
  thread: Inductor with empty temporary ``TORCHINDUCTOR_CACHE_DIR`` and ``TRITON_CACHE_DIR`` after
  ``torch._dynamo.reset()``, ircc with ``cache=False``. ``import torch`` and the compiler's main modules
  (``torch._dynamo``, ``torch._inductor.compile_fx``; ``ircc.driver``, ``ircc.frontends.torch_import``,
  ``llvmlite.binding``) are imported before the clock starts; that import time is reported apart;
- *correctness*: the max absolute difference of Inductor's and ircc's outputs from eager's (the largest over both
  thread counts).

A contender that fails (an exception while compiling or calling: ircc does not handle every op yet) is recorded
with its error message and shown as "error"; the other contenders and cases go on. OpenMP runs with torch's
defaults. Ratios are ircc / other (< 1: ircc is faster). Targets: latency <= eager's on every model, <= 0.8x
Inductor's on ``decode_attention``, cold compile <= 0.5x Inductor's.

``.venv/bin/python benchmarks/torch_models.py`` writes ``benchmarks/results/torch_models.{json,md}``; ``--quick``
is a smoke run (writes ``torch_models-quick.*``); ``--models mlp,cnn`` and ``--batches 1,64`` select,
``--no-cold`` skips the cold compiles (the slow part: about half a minute per Inductor compile on two cores).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import datetime as _dt
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

_OWN_DIRS: list[str] = []  # the cache directories this process made (removed at exit)
for _var, _prefix in (("IRCC_CACHE_DIR", "ircc-bench-cache-"), ("TORCHINDUCTOR_CACHE_DIR", "torchinductor-bench-"),
                      ("TRITON_CACHE_DIR", "triton-bench-")):
    if _var not in os.environ:  # real compiles, caches starting empty (a cold child gets its own from the parent)
        os.environ[_var] = tempfile.mkdtemp(prefix=_prefix)
        _OWN_DIRS.append(os.environ[_var])
atexit.register(lambda: [shutil.rmtree(path, ignore_errors=True) for path in _OWN_DIRS])
warnings.filterwarnings("ignore", category=FutureWarning)  # torch.export's deprecation notes

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _timing  # noqa: E402
from workloads_torch import MODELS  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
CONTENDERS = ("eager", "inductor", "ircc")
THREADS = (1, 2)
COLD_THREADS = 1
COLD_TIMEOUT_S = 900
TARGETS = {"latency_vs_eager": 1.0, "decode_attention_vs_inductor": 0.8, "cold_vs_inductor": 0.5}


def _error(exc: BaseException) -> str:
    """``Type: first line of the message`` (at most 300 characters)."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:300]


def _max_abs_diff(got: Any, want: Any) -> float:
    return float((got.detach().float() - want.float()).abs().max())


def build(contender: str, model, x, threads: int, cache: bool = True):
    """The contender's callable for ``model`` at ``x``'s shape (compiled now; Inductor on its first call)."""
    import torch

    if contender == "eager":
        return model
    if contender == "inductor":
        import torch._dynamo
        import torch._inductor.config

        torch._dynamo.reset()
        torch._inductor.config.cpp.threads = threads
        return torch.compile(model)
    if contender == "ircc":
        import ircc

        return ircc.compile(model, example_inputs=(x,), target="llvm", threads=threads, cache=cache)
    raise ValueError(f"unknown contender {contender!r}")


def _probe(fn, budget_s: float = 0.02) -> float:
    """Wall seconds per call of ``fn`` (already warm), from as many calls as fit in about ``budget_s``."""
    n, start = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        elapsed = time.perf_counter() - start
        if elapsed >= budget_s or n >= 1000:
            return elapsed / n


def measure(fns: dict[str, Any], x, clock, ns: argparse.Namespace, errors: dict[str, str]) -> dict[str, dict]:
    """Per-call seconds of each callable on ``clock``: interleaved samples of ``calls`` calls each (see the top)."""
    per_call: dict[str, float] = {}
    for name, fn in list(fns.items()):
        try:
            per_call[name] = _probe(lambda fn=fn: fn(x))
        except Exception as exc:  # noqa: BLE001 - a failing contender must not stop the others
            errors[name] = _error(exc)
            del fns[name]
    if not fns:
        return {}
    calls = {name: max(1, round(ns.sample_ms / 1e3 / per_call[name])) for name in fns}
    longest = max(calls[name] * per_call[name] for name in fns)
    samples = max(ns.min_samples, round(ns.target_s / longest))
    batched = {name: (lambda fn=fn, n=calls[name]: [fn(x) for _ in range(n)]) for name, fn in fns.items()}

    def on_error(name: str, exc: BaseException) -> None:
        errors[name] = _error(exc)

    times = _timing.interleaved(batched, repeats=samples, clock=clock, warmup=1, on_error=on_error)
    return {name: {"us": _timing.median(v) / calls[name] * 1e6, "calls_per_sample": calls[name], "samples": len(v)}
            for name, v in times.items() if v and name not in errors}


def run_threads(model, x, ref, threads: int, ns: argparse.Namespace) -> dict[str, Any]:
    """Compile every contender for ``threads`` threads, check it against ``ref`` and time it."""
    import torch

    torch.set_num_threads(threads)
    fns: dict[str, Any] = {}
    rows: dict[str, dict[str, Any]] = {name: {} for name in CONTENDERS}
    errors: dict[str, str] = {}
    for name in CONTENDERS:
        t0 = time.perf_counter()
        try:
            fn = build(name, model, x, threads)
            out = fn(x)  # Inductor compiles here
            rows[name]["compile_s"] = time.perf_counter() - t0
            rows[name]["max_abs_diff"] = _max_abs_diff(out, ref)
            fns[name] = fn
        except Exception as exc:  # noqa: BLE001 - record it, go on with the others
            errors[name] = _error(exc)
    clock = time.process_time if threads == 1 else time.perf_counter
    load0 = _timing.load_average()
    timed = measure(fns, x, clock, ns, errors)
    load1 = _timing.load_average()
    for name, row in rows.items():
        row.update(timed.get(name, {}))
        if name in errors:
            row["error"] = errors[name]
    return {"clock": "process_time" if threads == 1 else "perf_counter", "contenders": rows,
            "load_average": {"start": load0, "end": load1}}


def cold_child(contender: str, model_name: str, batch: int) -> dict[str, Any]:
    """In a fresh process: import, then compile and call once (``--cold``); the caller prints it as JSON."""
    t0 = time.perf_counter()
    import torch

    torch.set_num_threads(COLD_THREADS)
    if contender == "inductor":
        import torch._dynamo
        import torch._inductor.compile_fx  # noqa: F401 - imported before the clock starts
    else:
        import llvmlite.binding  # noqa: F401
        import torch.export._trace  # noqa: F401 - ircc's tracer, as Dynamo and Inductor are Inductor's
        import ircc.driver  # noqa: F401
        import ircc.frontends.torch_import  # noqa: F401
    import_s = time.perf_counter() - t0
    model, x = MODELS[model_name](batch)
    with torch.no_grad():
        ref = model(x)
        if contender == "inductor":
            torch._dynamo.reset()
        t0 = time.perf_counter()
        fn = build(contender, model, x, COLD_THREADS, cache=False)
        out = fn(x)
        cold_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        fn(x)
        second_s = time.perf_counter() - t0
    doc = {"cold_s": cold_s, "import_s": import_s, "second_call_s": second_s, "max_abs_diff": _max_abs_diff(out, ref)}
    if contender == "ircc":
        doc["ircc_total_s"] = fn.compile_stats.get("total_s")
    return doc


def cold_compile(contender: str, model_name: str, batch: int) -> dict[str, Any]:
    """``cold_child`` in a fresh process with empty Inductor / Triton cache directories."""
    tmp = tempfile.mkdtemp(prefix="torch-cold-")
    env = dict(os.environ, TORCHINDUCTOR_CACHE_DIR=os.path.join(tmp, "inductor"),
               TRITON_CACHE_DIR=os.path.join(tmp, "triton"), IRCC_CACHE_DIR=os.path.join(tmp, "ircc"))
    cmd = [sys.executable, str(Path(__file__).resolve()), "--cold", contender, model_name, str(batch)]
    t0 = time.perf_counter()
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, timeout=COLD_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {COLD_TIMEOUT_S} s"}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    lines = [ln for ln in res.stdout.splitlines() if ln.startswith("{")]
    if res.returncode != 0 or not lines:
        tail = (res.stderr.strip().splitlines() or [f"exit status {res.returncode}"])[-1]
        return {"error": tail[:300], "process_s": time.perf_counter() - t0}
    doc = json.loads(lines[-1])
    doc["process_s"] = time.perf_counter() - t0
    return doc


def _ratio(num: float | None, den: float | None) -> float | None:
    return num / den if num is not None and den else None


def run_case(model_name: str, batch: int, ns: argparse.Namespace) -> dict[str, Any]:
    import torch

    model, x = MODELS[model_name](batch)
    params = sum(p.numel() for p in model.parameters())
    print(f"\n== {model_name}, batch {batch}: input {tuple(x.shape)}, {params} parameters, load "
          f"{_timing.load_average()}", flush=True)
    case: dict[str, Any] = {"model": model_name, "batch": batch, "input_shape": list(x.shape), "parameters": params,
                            "threads": {}, "cold": {}, "ratios": {}}
    with torch.no_grad():
        torch.set_num_threads(1)
        ref = model(x)  # the reference: eager at one thread
        for threads in ns.threads:
            r = run_threads(model, x, ref, threads, ns)
            case["threads"][str(threads)] = r
            rows = r["contenders"]
            for name, row in rows.items():
                text = f"error: {row['error']}" if "error" in row else (
                    f"{row['us']:10.1f} us/call ({row['calls_per_sample']} x {row['samples']})"
                    f"  compile {row.get('compile_s', 0):6.2f} s  diff {row.get('max_abs_diff', 0):.1e}")
                print(f"  {threads}T {name:9s} {text}", flush=True)
            ircc_us = rows["ircc"].get("us")
            case["ratios"][f"{threads}T"] = {"ircc/eager": _ratio(ircc_us, rows["eager"].get("us")),
                                             "ircc/inductor": _ratio(ircc_us, rows["inductor"].get("us"))}
    if ns.cold:
        for name in ("inductor", "ircc"):
            case["cold"][name] = c = cold_compile(name, model_name, batch)
            text = f"error: {c['error']}" if "error" in c else (
                f"{c['cold_s']:6.2f} s (imports {c['import_s']:.2f} s; process {c['process_s']:.1f} s)")
            print(f"  cold {name:9s} {text}", flush=True)
        case["ratios"]["cold"] = {"ircc/inductor": _ratio(case["cold"].get("ircc", {}).get("cold_s"),
                                                          case["cold"].get("inductor", {}).get("cold_s"))}
    diffs = {name: [r["contenders"][name]["max_abs_diff"] for r in case["threads"].values()
                    if "max_abs_diff" in r["contenders"][name]] for name in ("inductor", "ircc")}
    case["max_abs_diff"] = {name: (max(v) if v else None) for name, v in diffs.items()}
    case["errors"] = {f"{t}T {name}": row["error"] for t, r in case["threads"].items()
                      for name, row in r["contenders"].items() if "error" in row}
    case["errors"].update({f"cold {name}": c["error"] for name, c in case["cold"].items() if "error" in c})
    print(f"  ratios {case['ratios']}; max |diff| vs eager {case['max_abs_diff']}", flush=True)
    return case


def targets(cases: list[dict[str, Any]]) -> dict[str, list[str]]:
    """The cases that miss each target (a failed or missing figure misses it too)."""
    missed: dict[str, list[str]] = {key: [] for key in TARGETS}
    for c in cases:
        tag = f"{c['model']} b{c['batch']}"
        for t in c["threads"]:
            r = c["ratios"][f"{t}T"]
            if r["ircc/eager"] is None or r["ircc/eager"] > TARGETS["latency_vs_eager"]:
                missed["latency_vs_eager"].append(f"{tag} {t}T")
            if c["model"] == "decode_attention" and (
                    r["ircc/inductor"] is None or r["ircc/inductor"] > TARGETS["decode_attention_vs_inductor"]):
                missed["decode_attention_vs_inductor"].append(f"{tag} {t}T")
        if "cold" in c["ratios"]:
            r = c["ratios"]["cold"]["ircc/inductor"]
            if r is None or r > TARGETS["cold_vs_inductor"]:
                missed["cold_vs_inductor"].append(tag)
    return missed


def _fmt(v: Any, spec: str, suffix: str = "") -> str:
    return "-" if v is None else format(v, spec) + suffix


def _cell(row: dict[str, Any], key: str, spec: str) -> str:
    return "error" if "error" in row else _fmt(row.get(key), spec)


def markdown(doc: dict[str, Any]) -> str:
    m = doc["machine"]
    missed = doc["targets_missed"]
    checked = {"latency_vs_eager": "ircc latency <= eager's on every model (1 and 2 threads)",
               "decode_attention_vs_inductor": "ircc latency <= 0.8x Inductor's on decode_attention",
               "cold_vs_inductor": "ircc cold compile <= 0.5x Inductor's"}
    lines = ["# PyTorch models on the CPU: eager, Inductor (torch.compile) and ircc", "",
             f"- command: `{doc['command']}`", f"- date: {doc['date']}",
             f"- machine: {m['cpu']}, {m['cores_usable']} usable cores, {m['memory_gb']} GiB; {m['platform']}",
             f"- versions: {', '.join(f'{k} {v}' for k, v in doc['versions'].items())}",
             f"- load average: {doc['load_average']['start']} -> {doc['load_average']['end']}; "
             f"wall time {doc['wall_s']:.0f} s", *([f"- **{doc['warning']}**"] if doc.get("warning") else []), "",
             "Targets (ratio = ircc / other, < 1: ircc is faster):", ""]
    for key, text in checked.items():
        if key == "cold_vs_inductor" and not doc["cold"]:
            lines.append(f"- {text}: not measured (`--no-cold`)")
        elif key == "decode_attention_vs_inductor" and all(c["model"] != "decode_attention" for c in doc["cases"]):
            lines.append(f"- {text}: not measured (model not run)")
        else:
            lines.append(f"- {text}: " + ("met" if not missed[key] else "missed on " + ", ".join(missed[key])))
    lines += ["",
              "Latency: us per call, process CPU time at one thread (`torch.set_num_threads(1)`, ircc `threads=1`), "
              "wall time at two threads; the median of interleaved samples after a warm-up; "
              "**ircc/eager**, **ircc/ind** = ircc's figure over eager's, Inductor's. **cold** = wall seconds from "
              "`torch.compile` / `ircc.compile` to the first result in a fresh process (empty caches, one thread, "
              "imports before the clock); **diff** = max |output - eager's|; **error** = the contender failed "
              "(message in the JSON and below).", ""]
    for threads in doc["settings"]["threads"]:
        lines += [f"## Latency, {threads} thread{'s' if threads > 1 else ''} "
                  f"({'process CPU' if threads == 1 else 'wall'} us per call)", "",
                  "| model | batch | eager | inductor | ircc | ircc/eager | ircc/ind |",
                  "|---|---:|---:|---:|---:|---:|---:|"]
        for c in doc["cases"]:
            rows = c["threads"][str(threads)]["contenders"]
            r = c["ratios"][f"{threads}T"]
            lines.append(f"| {c['model']} | {c['batch']} | {_cell(rows['eager'], 'us', '.1f')} | "
                         f"{_cell(rows['inductor'], 'us', '.1f')} | {_cell(rows['ircc'], 'us', '.1f')} | "
                         f"{_fmt(r['ircc/eager'], '.2f', 'x')} | {_fmt(r['ircc/inductor'], '.2f', 'x')} |")
        lines.append("")
    lines += ["## Cold compile and correctness", "",
              "| model | batch | inductor cold s | ircc cold s | ircc/ind | inductor imports s | ircc imports s "
              "| inductor diff | ircc diff |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for c in doc["cases"]:
        ind, irc = c["cold"].get("inductor", {}), c["cold"].get("ircc", {})
        cold = c["ratios"].get("cold", {}).get("ircc/inductor")
        lines.append(f"| {c['model']} | {c['batch']} | {_cell(ind, 'cold_s', '.2f')} | {_cell(irc, 'cold_s', '.2f')} | "
                     f"{_fmt(cold, '.2f', 'x')} | {_cell(ind, 'import_s', '.2f')} | {_cell(irc, 'import_s', '.2f')} | "
                     f"{_fmt(c['max_abs_diff']['inductor'], '.1e')} | {_fmt(c['max_abs_diff']['ircc'], '.1e')} |")
    errors: dict[tuple[str, str], list[str]] = {}  # (case, message) -> where (1T, 2T, cold ...)
    for c in doc["cases"]:
        for where, msg in c["errors"].items():
            errors.setdefault((f"{c['model']} b{c['batch']}", msg), []).append(where)
    if errors:
        lines += ["", "## Errors", ""] + [f"- {case} ({', '.join(wheres)}): `{msg}`"
                                          for (case, msg), wheres in errors.items()]
    return "\n".join(lines)


def _versions() -> dict[str, str]:
    import torch

    import ircc
    out = {"python": sys.version.split()[0], "torch": torch.__version__, "ircc": ircc.__version__}
    for dist in ("llvmlite", "xdsl"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            out[dist] = importlib.metadata.version(dist)
    from ircc.backends.runtime import blas

    info = blas()  # where ircc's GEMM calls go (torch's MKL once torch is loaded)
    out["ircc_blas"] = info.library if info is not None else "none"
    out["ircc_git"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                     cwd=ROOT).stdout.strip()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="PyTorch models: eager, torch.compile (Inductor) and ircc")
    parser.add_argument("--quick", action="store_true", help="a smoke run: few samples (writes torch_models-quick.*)")
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated models")
    parser.add_argument("--batches", default="1,64", help="comma-separated batch sizes")
    parser.add_argument("--no-cold", dest="cold", action="store_false", help="skip the cold compiles")
    parser.add_argument("--target-s", type=float, default=0.3, help="timed seconds per contender and thread count")
    parser.add_argument("--sample-ms", type=float, default=30.0, help="time per sample (calls are batched up to it)")
    parser.add_argument("--min-samples", type=int, default=5)
    parser.add_argument("--cold", dest="cold_case", nargs=3, metavar=("CONTENDER", "MODEL", "BATCH"),
                        help=argparse.SUPPRESS)  # the child process of a cold compile
    ns = parser.parse_args(argv)
    if ns.cold_case:
        contender, model_name, batch = ns.cold_case
        print(json.dumps(cold_child(contender, model_name, int(batch))))
        return 0
    if ns.quick:
        ns.target_s, ns.sample_ms, ns.min_samples = 0.03, 5.0, 3
    ns.threads = [t for t in THREADS if t <= (_timing.machine()["cores_usable"] or 1)] or [1]
    names = [n for n in ns.models.split(",") if n]
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        parser.error(f"unknown models {unknown}; models are: {', '.join(MODELS)}")
    batches = [int(b) for b in ns.batches.split(",") if b]
    argv_text = " ".join(sys.argv[1:] if argv is None else argv)
    start = time.perf_counter()
    doc: dict[str, Any] = {
        "command": "python benchmarks/torch_models.py" + (f" {argv_text}" if argv_text else ""),
        "date": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "machine": _timing.machine(),
        "versions": _versions(),
        "settings": {"threads": ns.threads, "target_s": ns.target_s, "sample_ms": ns.sample_ms,
                     "min_samples": ns.min_samples, "cold_threads": COLD_THREADS, "dtype": "float32"},
        "targets": TARGETS,
        "cold": ns.cold,
        "load_average": {"start": _timing.load_average()},
        "cases": [],
    }
    print(f"machine: {doc['machine']}\nversions: {doc['versions']}\nload average: {doc['load_average']['start']}",
          flush=True)
    if (doc["load_average"]["start"] or [0.0])[0] > 0.5:
        doc["warning"] = (f"the machine was busy at the start (1-minute load {doc['load_average']['start'][0]}): "
                          "other processes compete for the cores; the figures, the two-thread ones above all, "
                          "are unreliable")
        print(f"warning: {doc['warning']}", flush=True)
    for name in names:
        for batch in batches:
            doc["cases"].append(run_case(name, batch, ns))
    doc["load_average"]["end"] = _timing.load_average()
    doc["wall_s"] = time.perf_counter() - start
    doc["targets_missed"] = targets(doc["cases"])
    print(f"\nload average: {doc['load_average']['end']}; wall {doc['wall_s']:.0f} s; targets missed: "
          f"{doc['targets_missed']}")
    _timing.write_results("torch_models-quick" if ns.quick else "torch_models", doc, markdown(doc))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
