"""Arguments and results of ``ircc run``: numbers and ``.npy`` files to the calling convention."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ircc.backends.base import Signature
from ircc.errors import IrccError


def parse_arguments(texts: list[str], signature: Signature) -> list[Any]:
    """Turn command-line words into the function's arguments, checking count, kind and dtype."""
    if len(texts) != len(signature.args):
        kinds = ", ".join(spec.describe() for spec in signature.args)
        raise IrccError(f"@{signature.name} takes {len(signature.args)} argument(s) ({kinds}); got {len(texts)}")
    out: list[Any] = []
    for i, (text, spec) in enumerate(zip(texts, signature.args)):
        if spec.is_memref:
            if not text.endswith(".npy"):
                raise IrccError(f"argument {i} of @{signature.name} is a {spec.describe()}: pass a .npy file, "
                                f"not '{text}'")
            try:
                arr = np.load(Path(text), allow_pickle=False)
            except (OSError, ValueError) as err:
                raise IrccError(f"argument {i}: cannot load {text}: {err}") from None
            if arr.ndim != spec.rank:
                raise IrccError(f"argument {i}: {text} has shape {arr.shape}; @{signature.name} expects a "
                                f"{spec.describe()}")
            out.append(np.ascontiguousarray(arr, dtype=spec.dtype))
        else:
            try:
                value = float(text) if spec.dtype.kind == "f" else int(text, 0)
            except ValueError:
                raise IrccError(
                    f"argument {i} of @{signature.name}: '{text}' is not a number of type {spec.dtype}") from None
            out.append(value)
    return out


def format_result(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"{value.dtype} array of shape {value.shape}\n{np.array2string(value, threshold=64)}"
    return repr(value.item() if isinstance(value, np.generic) else value)
