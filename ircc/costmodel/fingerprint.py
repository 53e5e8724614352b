"""The machine a measurement or a model belongs to.

``fingerprint()`` records what shapes the timings: the CPU model, the cores, the caches, the libraries that
generate and run the code. ``machine_class(fp)`` names the class a shipped model is for: the CPU model, core
count and cache sizes (library versions are recorded, not part of the class: a patch release of numpy does
not make a model useless, a different processor does).

```
>>> machine_class(fingerprint())
'amd-epyc-2c-l2-1024k-l3-32768k'
```
"""

from __future__ import annotations

import os
import platform
import re
from pathlib import Path
from typing import Any

#: the libraries whose versions a dataset records
LIBRARIES = ("ircc", "xdsl", "llvmlite", "numba", "numpy", "scipy", "egglog", "lightgbm", "torch")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def _caches() -> dict[str, str]:
    """Cache sizes by level (``L1d``, ``L2``, ...) from sysfs, where Linux has it."""
    out: dict[str, str] = {}
    base = Path("/sys/devices/system/cpu/cpu0/cache")
    for index in sorted(base.glob("index*")) if base.exists() else []:
        try:
            level = (index / "level").read_text().strip()
            kind = (index / "type").read_text().strip()
            size = (index / "size").read_text().strip()
        except OSError:
            continue
        name = f"L{level}" + ({"Data": "d", "Instruction": "i"}.get(kind, ""))
        out[name] = size
    return out


def _version(name: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def fingerprint() -> dict[str, Any]:
    """What this machine is, as a dataset records it."""
    return {"cpu": _cpu_model(), "cores": os.cpu_count() or 1, "caches": _caches(),
            "machine": platform.machine(), "system": platform.system(), "python": platform.python_version(),
            "libraries": {name: _version(name) for name in LIBRARIES}}


def machine_class(fp: dict[str, Any] | None = None) -> str:
    """A short name for the class of machine ``fp`` (default: this one) describes."""
    fp = fp or fingerprint()
    cpu = re.sub(r"[^a-z0-9]+", "-", fp["cpu"].lower()).strip("-") or "cpu"
    caches = fp.get("caches", {})
    parts = [cpu, f"{fp['cores']}c"] + [f"{lvl.lower()}-{caches[lvl].lower()}" for lvl in ("L2", "L3")
                                         if lvl in caches]
    return "-".join(parts)
