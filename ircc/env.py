"""Every environment variable ircc reads, in one place (listed in docs/environment.md)."""

from __future__ import annotations

import os
from pathlib import Path

#: name -> (meaning, default) -- docs/environment.md is generated from this table.
VARIABLES: dict[str, tuple[str, str]] = {
    "IRCC_CACHE_DIR": ("directory of the on-disk compile cache", "~/.cache/ircc"),
    "IRCC_NUM_THREADS": ("default worker threads for parallel loops (option `threads`)", "all cores"),
    "IRCC_DISABLE_CACHE": ("set to 1 to turn the compile cache off everywhere", "unset"),
    "IRCC_DUMP_DIR": ("default `dump_dir` for every compile (IR after each pass)", "unset"),
    "IRCC_BLAS": ("`openblas`: runtime GEMM calls go to numpy's OpenBLAS even where torch (and its MKL) is loaded",
                  "MKL where torch is loaded"),
    "IRCC_NO_BLAS": ("set to 1: no BLAS at all (`lower-matmul` makes every matmul a loop nest)", "unset"),
    "IRCC_THREAD_RUNTIME": ("`pthreads`: the llvm backend's parallel loops start threads of their own instead of "
                            "running on libgomp's pool", "libgomp where one loads"),
    "IRCC_NO_LIBMVEC": ("set to 1: the llvm backend calls libm per element instead of glibc's vector variants",
                        "unset"),
    "IRCC_PIUMA_MAX_INSTRUCTIONS": ("simulated instructions one call on target piuma may run before it is stopped",
                                    "200000000"),
    "IRCC_TRITON_AUTOTUNE": ("set to 0: on a GPU, triton matmul templates take their first candidate tiling "
                             "instead of timing each (`triton.autotune`)", "1"),
}


def cache_dir() -> Path:
    value = os.environ.get("IRCC_CACHE_DIR")
    return Path(value).expanduser() if value else Path("~/.cache/ircc").expanduser()


def cache_disabled() -> bool:
    return os.environ.get("IRCC_DISABLE_CACHE", "") not in ("", "0")


def num_threads() -> int | None:
    value = os.environ.get("IRCC_NUM_THREADS", "")
    return int(value) if value.strip().isdigit() and int(value) > 0 else None


def default_dump_dir() -> str | None:
    return os.environ.get("IRCC_DUMP_DIR") or None


def blas_choice() -> str:
    return os.environ.get("IRCC_BLAS", "")


def blas_disabled() -> bool:
    return os.environ.get("IRCC_NO_BLAS", "") not in ("", "0")


def thread_runtime_choice() -> str:
    return os.environ.get("IRCC_THREAD_RUNTIME", "")


def piuma_max_instructions() -> int:
    value = os.environ.get("IRCC_PIUMA_MAX_INSTRUCTIONS", "")
    return int(value) if value.strip().isdigit() and int(value) > 0 else 200_000_000


def triton_autotune() -> bool:
    return os.environ.get("IRCC_TRITON_AUTOTUNE", "1") not in ("", "0")


def libmvec_disabled() -> bool:
    return os.environ.get("IRCC_NO_LIBMVEC", "") not in ("", "0")
