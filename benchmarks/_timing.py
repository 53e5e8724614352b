"""Timing helpers shared by the benchmarks.

The machine is shared and noisy (see DESIGN.md, "Timing on this machine"): single-thread figures use the
process CPU time (``time.process_time``: user + system time of every thread of this process), parallel figures
use wall clock with the contenders interleaved (A B C A B C ...), and everything is summarized by medians.
"""

from __future__ import annotations

import gc
import os
import platform
import statistics
import time
import timeit
from collections.abc import Callable, Mapping
from typing import Any

try:
    import resource
except ImportError:  # not on Windows
    resource = None  # type: ignore[assignment]

Clock = Callable[[], float]


def median(values: list[float]) -> float:
    """Median of a non-empty list (``nan`` when empty)."""
    return statistics.median(values) if values else float("nan")


def timed(fn: Callable[[], Any], clock: Clock = time.perf_counter) -> tuple[float, Any]:
    """Run ``fn()`` once and return ``(elapsed seconds on clock, result)``."""
    start = clock()
    result = fn()
    return clock() - start, result


def _usage() -> tuple[float, float, int]:
    """(user seconds, system seconds, minor page faults) of this process so far, all threads."""
    if resource is None:
        return 0.0, 0.0, 0
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime, ru.ru_stime, ru.ru_minflt


def _one_call(fn: Callable[[], Any], clock: Clock) -> tuple[float, dict[str, float]]:
    """Time one call of ``fn`` with the garbage collector off.

    Returns ``(seconds on clock, usage)`` where usage has the call's ``user_s`` and ``sys_s`` CPU seconds
    and ``minor_faults`` (from getrusage). The result is dropped before returning, so its memory is freed
    before the next call.
    """
    gc.collect()
    gc.disable()
    try:
        before = _usage()
        start = clock()
        result = fn()
        elapsed = clock() - start
        after = _usage()
    finally:
        gc.enable()
    del result
    usage = {"user_s": after[0] - before[0], "sys_s": after[1] - before[1], "minor_faults": after[2] - before[2]}
    return elapsed, usage


def interleaved(
    fns: Mapping[str, Callable[[], Any]],
    repeats: int,
    clock: Clock = time.perf_counter,
    warmup: int = 1,
    on_error: Callable[[str, BaseException], None] | None = None,
    usage: dict[str, dict[str, list[float]]] | None = None,
) -> dict[str, list[float]]:
    """Time every callable ``repeats`` times, interleaved, after ``warmup`` rounds.

    The order rotates from round to round (A B C, B C A, C A B, ...), so no callable always runs right after
    the same other one (which matters for memory: one contender's freed memory is the next one's fresh memory).

    A callable that raises is dropped from the remaining rounds and reported through ``on_error``; its
    list keeps the times measured so far. Returns ``{name: [seconds per call, ...]}``; when ``usage`` is
    given, ``usage[name][key]`` collects each timed call's ``user_s``, ``sys_s`` and ``minor_faults``.
    """
    live = dict(fns)
    times: dict[str, list[float]] = {name: [] for name in fns}
    order = list(fns)
    for round_no in range(warmup + repeats):
        shift = round_no % len(order) if order else 0
        for name in order[shift:] + order[:shift]:
            fn = live.get(name)
            if fn is None:
                continue
            try:
                elapsed, used = _one_call(fn, clock)
            except Exception as exc:  # noqa: BLE001 - a failing contender must not stop the others
                del live[name]
                if on_error is not None:
                    on_error(name, exc)
                continue
            if round_no >= warmup:
                times[name].append(elapsed)
                if usage is not None:
                    for key, value in used.items():
                        usage.setdefault(name, {}).setdefault(key, []).append(value)
    return times


def latency(
    fn: Callable[[], Any], repeat: int = 7, max_number: int = 2000, min_repeat_s: float = 0.2
) -> dict[str, float]:
    """Per-call latency of a cheap call, in microseconds, with :mod:`timeit` (garbage collector off).

    ``number`` (calls per repeat) is ``max_number``, or fewer when one repeat of ``max_number`` calls would take
    more than about ``min_repeat_s`` seconds (slow calls), but at least 10. Returns the median and the min over
    ``repeat`` repeats of the mean per-call time, plus ``number`` and ``repeat``.
    """
    timer = timeit.Timer(fn)
    one = timer.timeit(number=1)
    number = max_number if one * max_number <= min_repeat_s else max(10, int(min_repeat_s / max(one, 1e-9)))
    per_call = [t / number for t in timer.repeat(repeat=repeat, number=number)]
    return {
        "median_us": statistics.median(per_call) * 1e6,
        "min_us": min(per_call) * 1e6,
        "number": number,
        "repeat": repeat,
    }


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages (empty where unavailable)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def machine() -> dict[str, Any]:
    """CPU model (from /proc/cpuinfo), core counts, memory, platform and Python version."""
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_gb: float | None = None
    try:
        with open("/proc/meminfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    mem_gb = round(int(line.split()[1]) / 2**20, 1)
                    break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores_logical": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "memory_gb": mem_gb,
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def write_results(stem: str, doc: Mapping[str, Any], markdown: str) -> None:
    """``benchmarks/results/<stem>.json`` (the figures) and ``<stem>.md`` (the table), side by side."""
    import json
    from pathlib import Path

    results = Path(__file__).resolve().parent / "results"
    results.mkdir(exist_ok=True)
    (results / f"{stem}.json").write_text(json.dumps(doc, indent=1) + "\n")
    (results / f"{stem}.md").write_text(markdown + "\n")
    print(f"wrote {results / stem}.json and .md")
