"""``ircc costmodel collect``: time groups of equivalent variants and store them as a dataset.

How a variant is timed (the machine is shared and noisy):

* one warm-up call, then calls until ``MIN_TIME`` seconds of process CPU time have passed (at least
  ``MIN_REPEATS``, at most ``MAX_REPEATS``); the time is the median per call. A serial variant is timed by
  process CPU time (its own cost, whatever else the machine runs), a parallel one by wall clock, interleaved
  with the others by the shuffled passes. A variant whose first call
  (made when its group is built, which also sizes the budget) took over ``SLOW_CALL`` is timed once per pass,
  over ``ONCE_CALL`` not again (a bad graph plan can be 1000x off the best: its rank needs no more digits);
* two passes over all variants of all groups, each in a shuffled order, so drift and neighbours fall on
  every variant alike; the variants whose two passes differ by more than ``NOISY`` are measured again in a
  third pass, shuffled too (not straight after pass 2: a neighbour's burst of work often lasts that long);
* a variant's time is the least of its passes' medians: on a shared machine interference (another job's
  cache and memory traffic) only ever adds process time, and a burst can cover two passes of one variant
  (measured: 2 of 3 passes at 3x the undisturbed time, which the median kept);
* ``noise`` records the relative gap between the passes: the evaluation counts a pair of variants only
  when their gap exceeds it, and its noise ceiling ranks pass 2 by pass 1.

The dataset is JSON lines (gzip-compressed when the name ends in ``.gz``): a header (the machine's
fingerprint and class, the families, the seed), then one record per variant: its group (family, kernel,
instance), the input's figures, the IR features, knobs and tokens, and the times. Collection stops at the
time budget with whole groups only.
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ircc.costmodel.variants import FAMILIES, Group, Variant, groups

MIN_TIME = 0.02
MIN_REPEATS = 3
MAX_REPEATS = 50
SLOW_CALL = 0.25
#: a variant whose first call took longer is not called again: that call is both passes' time
ONCE_CALL = 2.0
NOISY = 0.10


def time_call(run, min_time: float = MIN_TIME, warm: bool = True, clock=time.process_time) -> float:
    """Median seconds of one call of ``run`` by ``clock`` (process CPU time; ``time.perf_counter``, wall clock,
    for a parallel variant), after a warm-up call unless ``warm`` is false; a call slower than ``SLOW_CALL`` is
    timed once: a plan 100x off the best needs no more digits."""
    if warm:
        t0 = clock()
        run()
        if clock() - t0 > SLOW_CALL:
            warm = False
    if not warm:
        t0 = clock()
        run()
        return clock() - t0
    samples: list[float] = []
    spent = 0.0
    while len(samples) < MIN_REPEATS or (spent < min_time and len(samples) < MAX_REPEATS):
        t0 = clock()
        run()
        dt = clock() - t0
        samples.append(dt)
        spent += dt
    return statistics.median(samples)


def clock_of(variant: Variant):
    """The clock a variant is timed by: wall clock for a parallel one, process CPU time otherwise."""
    return time.perf_counter if variant.parallel else time.process_time


class Progress:
    """A one-line progress bar on a terminal (lines now and then otherwise)."""

    def __init__(self, total_s: float, stream=None):
        self.total, self.t0, self.stream = total_s, time.monotonic(), stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.last = 0.0

    def show(self, what: str, done: int) -> None:
        now = time.monotonic()
        frac = min(1.0, (now - self.t0) / self.total) if self.total else 1.0
        if not self.tty and now - self.last < 10 and frac < 1.0:
            return
        self.last = now
        bar = "#" * int(30 * frac) + "." * (30 - int(30 * frac))
        line = f"[{bar}] {now - self.t0:5.0f}/{self.total:.0f} s  {done} groups  {what}"
        print(("\r" + line[:110].ljust(110)) if self.tty else line, end="" if self.tty else "\n",
              file=self.stream, flush=True)

    def close(self) -> None:
        if self.tty:
            print(file=self.stream)


@dataclass
class Collected:
    groups: int
    variants: int
    seconds: float
    path: Path


def _record(g: Group, v, features: dict, tokens: list[str]) -> dict[str, Any]:
    return {"family": g.family, "kernel": g.kernel, "instance": g.instance, "group": g.key, "variant": v.name,
            "inputs": g.inputs, "features": features, "knobs": v.knobs, "tokens": " ".join(tokens)}


def collect(out: str | Path, *, budget_s: float = 180.0, families: tuple[str, ...] = FAMILIES, seed: int = 0,
            quick: bool = False, progress: bool = True, max_groups: int | None = None) -> Collected:
    """Compile and time groups until ``budget_s`` seconds have passed (compiling counts) or ``max_groups``
    groups are in, then write ``out``."""
    from ircc.costmodel.features import ir_features, ir_tokens
    from ircc.costmodel.fingerprint import fingerprint, machine_class
    from ircc.errors import IrccError
    from ircc.ir.text import parse_module

    unknown = [f for f in families if f not in FAMILIES]
    if unknown:
        raise IrccError(f"costmodel collect: unknown famil{'ies' if len(unknown) > 1 else 'y'} "
                        f"{', '.join(unknown)}; families are: {', '.join(FAMILIES)}")
    t0 = time.monotonic()
    bar = Progress(budget_s) if progress else None
    kept: list[tuple[Group, list[dict]]] = []
    # phase 1: build groups (compiling) and take pass 1 in the order they come; stop at ~60% of the budget
    planned = 0.0  # what the timing passes of the kept groups will take, about
    for g in groups(tuple(families), seed, quick):
        rows = []
        for v in g.variants:
            module = parse_module(v.ir, f"<{g.key}:{v.name}>")
            r = _record(g, v, ir_features(module), ir_tokens(module))
            clock = clock_of(v)
            r["clock"] = "wall" if v.parallel else "process"
            t = clock()
            v.run()  # the first call: warms up, and says what timing this variant costs
            r["first_call"] = clock() - t
            planned += 2 * (r["first_call"] if r["first_call"] > SLOW_CALL else
                            max(MIN_TIME, MIN_REPEATS * r["first_call"]) + r["first_call"])
            rows.append(r)
        kept.append((g, rows))
        if bar:
            bar.show(f"{g.family} {g.kernel} {g.instance}", len(kept))
        if time.monotonic() - t0 + planned > 0.9 * budget_s or len(kept) == max_groups:
            break  # what is left of the budget goes to the two timing passes
    # phase 2: two timing passes, each over every variant in a shuffled order
    rng = random.Random(seed)
    order = [(gi, vi) for gi, (g, _) in enumerate(kept) for vi in range(len(g.variants))]
    for p in (1, 2):
        rng.shuffle(order)
        for n, (gi, vi) in enumerate(order):
            g, rows = kept[gi]
            r = rows[vi]
            r[f"time_pass{p}"] = (r["first_call"] if r["first_call"] > ONCE_CALL  # far too slow to repeat
                                  else time_call(g.variants[vi].run, warm=r["first_call"] <= SLOW_CALL,
                                                 clock=clock_of(g.variants[vi])))
            if bar and n % 8 == 0:
                bar.show(f"timing pass {p}: {n}/{len(order)}", len(kept))
    noisy = []
    for gi, (_, rows) in enumerate(kept):
        for vi, r in enumerate(rows):
            a, b = r["time_pass1"], r["time_pass2"]
            r["noise"] = abs(a - b) / max(min(a, b), 1e-12)
            if r["noise"] > NOISY and r["first_call"] <= SLOW_CALL:
                noisy.append((gi, vi))
    rng.shuffle(noisy)
    for n, (gi, vi) in enumerate(noisy):  # a third look
        v = kept[gi][0].variants[vi]
        kept[gi][1][vi]["time_pass3"] = time_call(v.run, clock=clock_of(v))
        if bar and n % 8 == 0:
            bar.show(f"timing pass 3 (noisy ones): {n}/{len(noisy)}", len(kept))
    for _, rows in kept:
        for r in rows:
            r["time"] = min(r[k] for k in ("time_pass1", "time_pass2", "time_pass3") if k in r)
    if bar:
        bar.show("done", len(kept))
        bar.close()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fp = fingerprint()
    from ircc.backends import runtime

    fp["blas"] = runtime.blas_name()  # what the matmul family's BLAS calls went to
    with _open(out, "w") as f:
        f.write(json.dumps({"kind": "header", "fingerprint": fp, "machine_class": machine_class(fp),
                            "families": list(families), "seed": seed, "quick": quick,
                            "created": time.strftime("%Y-%m-%dT%H:%M:%S")}) + "\n")
        for _, rows in kept:
            for r in rows:
                f.write(json.dumps(r) + "\n")
    return Collected(len(kept), sum(len(r) for _, r in kept), time.monotonic() - t0, out)


def _open(path: Path, mode: str):
    """A text file, gzip-compressed when its name ends in ``.gz``."""
    if path.suffix == ".gz":
        import gzip

        return gzip.open(path, mode + "t")
    return path.open(mode)


def load(path: str | Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A dataset's header and records; ``a.jsonl,b.jsonl`` joins datasets of one machine class (collected
    apart: another family, another seed)."""
    from ircc.errors import IrccError

    if isinstance(path, str) and "," in path:
        parts = [load(p) for p in path.split(",") if p]
        header = dict(parts[0][0])
        for p, (h, _) in zip(path.split(","), parts):
            if h.get("machine_class") != header.get("machine_class"):
                raise IrccError(f"{p}: collected on machine class {h.get('machine_class')}, the first dataset on "
                                f"{header.get('machine_class')}: datasets of different machines do not mix")
        header["families"] = sorted({f for h, _ in parts for f in h.get("families", [])})
        return header, [r for _, records in parts for r in records]
    path = Path(path)
    try:
        with _open(path, "r") as f:
            lines = f.read().splitlines()
    except OSError as err:
        raise IrccError(f"cannot read the dataset {path}: {err.strerror} (`ircc costmodel collect --out {path}` "
                        "writes one)") from None
    if not lines:
        raise IrccError(f"{path}: an empty dataset (run `ircc costmodel collect` first)")
    try:
        header = json.loads(lines[0])
        records = [json.loads(line) for line in lines[1:] if line.strip()]
    except json.JSONDecodeError as err:
        raise IrccError(f"{path}:{err.lineno}: not a dataset line ({err.msg})") from None
    if header.get("kind") != "header":
        raise IrccError(f"{path}: no dataset header on line 1 (written by `ircc costmodel collect`?)")
    return header, records
