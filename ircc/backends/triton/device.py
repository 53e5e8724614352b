"""Where Triton kernels run, decided in one place before Triton is first imported.

With a CUDA (or ROCm) GPU visible to torch, kernels are compiled for it and take ``cuda`` tensors. Without
one, ``TRITON_INTERPRET=1`` is set -- here, and only here, only when no GPU is present and only if the user
has not set it -- so the same kernels run in Triton's interpreter on CPU tensors (about 1000x slower than
eager: tests use tiny shapes). Triton reads the switch when ``@triton.jit`` runs, so it is set before ircc
defines its first kernel (even where something imported ``triton`` earlier); importing ``triton`` anywhere
in ircc goes through ``triton_modules()``.
"""

from __future__ import annotations

import functools
import os
from typing import Any

from ircc.errors import BackendError


@functools.cache
def has_gpu() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def interpreting() -> bool:
    """Whether Triton runs kernels in its interpreter (no GPU, or ``TRITON_INTERPRET=1`` set by the user)."""
    triton_modules()
    return os.environ.get("TRITON_INTERPRET", "0") not in ("", "0")


@functools.cache
def triton_modules() -> tuple[Any, Any]:
    """``(triton, triton.language)``, imported after the interpreter switch is set where no GPU is present."""
    if not has_gpu():
        os.environ.setdefault("TRITON_INTERPRET", "1")
    # Triton 3.9 warns at every compile unless this is set; 1 is its current default (multiply-adds fused)
    os.environ.setdefault("TRITON_DEFAULT_FP_FUSION", "1")
    try:
        import triton
        import triton.language as tl
    except ImportError as err:
        raise BackendError(f"target 'triton' needs the triton package ({err}); pip install triton") from None
    return triton, tl


def device() -> str:
    """The torch device kernels take their tensors on."""
    return "cuda" if has_gpu() else "cpu"
