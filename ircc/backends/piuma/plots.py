"""Plots of a simulated run (PNG, with matplotlib): utilization over time, and the run on the roofline of
the simulated machine. Written to the dump directory after each call (``dump_dir=``), or by ``write``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ircc.backends.piuma.machine import Machine


def write(stats: dict[str, Any], m: Machine, directory: str | Path, name: str) -> list[Path]:
    """``<name>-utilization.png`` and ``<name>-roofline.png`` in ``directory``; returns their paths (none, with
    a note file saying why, where matplotlib is not installed)."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        note = out / f"{name}-plots.txt"
        note.write_text("the piuma plots need matplotlib: pip install 'ircc[plots]'\n")
        return []
    paths = [out / f"{name}-utilization.png", out / f"{name}-roofline.png"]
    fig, ax = plt.subplots(figsize=(8, 3.5))
    for phase, series in zip(stats["time_by_phase"], stats["utilization_series"]):
        width = series["bucket_cycles"]
        xs = [series["start"] + (k + 0.5) * width for k in range(len(series["issued"]))]
        ys = [v / (width * m.pipelines) for v in series["issued"]]
        ax.plot(xs, ys, drawstyle="steps-mid", label=phase["name"])
        ax.axvline(phase["end"], color="0.8", linewidth=0.8)
    ax.set_xlabel("cycle")
    ax.set_ylabel("pipeline utilization")
    ax.set_ylim(0, 1.05)
    ax.set_title(f"{name} on '{m.name}' ({m.pipelines} pipelines, {m.threads} threads)")
    ax.legend(fontsize="small", loc="upper right")
    fig.tight_layout()
    fig.savefig(paths[0], dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(5.5, 4))
    peak = float(m.pipelines)  # instructions per cycle
    bandwidth = m.dram_bytes_per_cycle * m.cores  # bytes per cycle
    knee = peak / bandwidth
    xs = [knee / 1000, knee, knee * 1000]
    ax.loglog(xs, [min(peak, bandwidth * x) for x in xs], color="k", label="machine roof")
    for phase in stats["time_by_phase"]:
        if phase["dram_bytes"] and phase["cycles"]:
            intensity = phase["instructions"] / phase["dram_bytes"]
            ax.loglog([intensity], [phase["instructions"] / phase["cycles"]], "o", label=phase["name"])
    ax.set_xlabel("instructions per DRAM byte")
    ax.set_ylabel("instructions per cycle")
    ax.set_title(f"roofline of '{m.name}'")
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(paths[1], dpi=110)
    plt.close(fig)
    return paths
