"""What a symbolic batch costs: one ircc kernel compiled with ``dynamic=True`` against a kernel compiled for
each batch size, and eager, at batch 1 and 64 (1 thread, process CPU time, interleaved, medians).

    python benchmarks/torch_dynamic.py            # writes benchmarks/results/torch_dynamic.{json,md}

The decode-attention model is left out: its KV cache is a buffer sized for one batch, so its batch is fixed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _timing  # noqa: E402
import workloads_torch  # noqa: E402

MODELS = ("mlp", "gpt2_block", "cnn")
BATCHES = (1, 64)


def run(name: str, ns: argparse.Namespace) -> dict[str, Any]:
    import torch

    import ircc

    model, x8 = getattr(workloads_torch, f"make_{name}")(8)
    t0 = time.perf_counter()
    dynamic = ircc.compile(model, example_inputs=(x8,), target="llvm", threads=1, dynamic=True, cache=False)
    row: dict[str, Any] = {"dynamic_compile_s": time.perf_counter() - t0}
    for batch in BATCHES:
        x = torch.randn(batch, *x8.shape[1:])
        static = ircc.compile(model, example_inputs=(x,), target="llvm", threads=1, cache=False)
        with torch.no_grad():
            ref = model(x)
        fns = {"eager": model, "static": static, "dynamic": dynamic}
        diffs = {k: float((f(x) - ref).abs().max()) for k, f in fns.items() if k != "eager"}
        calls = max(1, round(0.05 / _probe(lambda: dynamic(x))))
        batched = {k: (lambda f=f: [f(x) for _ in range(calls)]) for k, f in fns.items()}
        with torch.no_grad():
            times = _timing.interleaved(batched, repeats=ns.samples, clock=time.process_time, warmup=1)
        us = {k: _timing.median(v) / calls * 1e6 for k, v in times.items()}
        row[f"b{batch}"] = {"us": us, "max_abs_diff": diffs, "dynamic/static": us["dynamic"] / us["static"],
                            "dynamic/eager": us["dynamic"] / us["eager"]}
        print(f"{name} b{batch}: eager {us['eager']:.1f} us, static {us['static']:.1f} us, "
              f"dynamic {us['dynamic']:.1f} us", flush=True)
    return row


def _probe(fn) -> float:
    fn()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < 0.02:
        fn()
        n += 1
    return (time.perf_counter() - start) / max(n, 1)


def markdown(doc: dict[str, Any]) -> str:
    lines = ["# A symbolic batch (`dynamic=True`) against per-batch kernels", "",
             f"1 thread, process CPU time, medians of {doc['samples']} interleaved samples; load average "
             f"{doc['load_average']['start']} -> {doc['load_average']['end']}.", "",
             "| model | batch | eager µs | ircc static µs | ircc dynamic µs | dynamic / static | dynamic / eager |",
             "|---|---|---|---|---|---|---|"]
    for name, row in doc["models"].items():
        for batch in BATCHES:
            r = row[f"b{batch}"]
            us = r["us"]
            lines.append(f"| {name} | {batch} | {us['eager']:.1f} | {us['static']:.1f} | {us['dynamic']:.1f} | "
                         f"{r['dynamic/static']:.2f} | {r['dynamic/eager']:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=15)
    ns = parser.parse_args(argv)
    torch.set_num_threads(1)
    doc: dict[str, Any] = {"samples": ns.samples, "machine": _timing.machine(),
                           "load_average": {"start": _timing.load_average()}, "models": {}}
    for name in MODELS:
        doc["models"][name] = run(name, ns)
    doc["load_average"]["end"] = _timing.load_average()
    _timing.write_results("torch_dynamic", doc, markdown(doc))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
