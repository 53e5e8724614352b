"""The Triton backend: loop-level IR rendered as Triton kernels (``render``), run on a GPU where torch sees one,
in Triton's interpreter on the CPU otherwise (``device``: the one place that decides, before Triton is
imported).

Each entry takes numpy arrays (sympy kernels, MLIR functions) or torch tensors: arrays are viewed as CPU
tensors (no copy) and, on a GPU, copied there and back around the call; tensors already on the kernel's
device are used as they are. The generated source is ``kernel.source`` and goes to the dump directory.
"""

from __future__ import annotations

import hashlib
import linecache
from typing import Any

import numpy as np
from xdsl.dialects.builtin import ModuleOp

from ircc.backends.base import Artifact, Backend, Signature, public_functions
from ircc.backends.triton.device import device, interpreting, triton_modules
from ircc.backends.triton.render import identifier, render_module

TARGET = "triton"


class TritonBackend(Backend):
    name = TARGET
    description = "Triton kernels: on a GPU where torch sees one, in Triton's interpreter on the CPU otherwise"
    lowering = ""
    cacheable = False

    def emit(self, module: ModuleOp, options: Any) -> Artifact:
        """Render every function of ``module`` and load the kernels.

        Raises:
            BackendError: an op or a loop shape the renderer does not take yet (it says which, and where).
        """
        interpreted = interpreting()
        rendered = render_module(module, interpreted=interpreted)
        stats = {"interpreted": interpreted, "device": device()}
        namespace = _execute(rendered.source, rendered.globals, stats)
        signatures = {op.sym_name.data: Signature.of(op) for op in public_functions(module)}
        entries = {name: _Entry(namespace[identifier(name)], signatures[name]) for name in rendered.functions}
        return Artifact(TARGET, entries, signatures, source=rendered.source, payload={}, stats=stats)


def _execute(source: str, arrays: dict[str, np.ndarray], stats: dict[str, Any]) -> dict[str, Any]:
    """Run the generated module (registered with ``linecache``: ``triton.jit`` reads its functions' source);
    ``arrays``: the constant ``memref.global`` data its host functions read (``_ircc_global``); ``stats``: the
    artifact's, where template launchers put a call's figures (``kernel.stats``)."""
    triton_modules()
    tensors: dict[tuple[str, str], Any] = {}

    def global_tensor(name: str, device: Any) -> Any:
        import torch

        key = (name, str(device))
        if key not in tensors:
            tensors[key] = torch.from_numpy(arrays[name].copy()).to(device)
        return tensors[key]

    digest = hashlib.sha256(source.encode()).hexdigest()[:16]
    filename = f"<ircc-triton-{digest}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    from ircc.backends.triton.attention import launch_attention
    from ircc.backends.triton.launch import launch_matmul, row_warps
    from ircc.backends.triton.spgemm import launch_spgemm

    # a module name: Triton's compiler reads each global's __module__ (None without one, and it fails)
    namespace: dict[str, Any] = {"__name__": f"ircc_triton_{digest}", "_ircc_global": global_tensor,
                                 "_ircc_matmul": launch_matmul, "_ircc_attention": launch_attention,
                                 "_ircc_stats": stats, "_ircc_spgemm": launch_spgemm, "_ircc_row_warps": row_warps}
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - our own generated code
    return namespace


class _Entry:
    """One function: checks numpy arguments against the signature, passes tensors on the kernel's device."""

    def __init__(self, host, signature: Signature):
        self.host, self.signature = host, signature
        self.__name__ = signature.name

    def __call__(self, *args: Any) -> Any:
        import torch

        target = torch.device(device())
        if any(isinstance(a, np.ndarray) for a in args):
            self.signature.check_args(tuple(a if not isinstance(a, torch.Tensor) else a.numpy() for a in args))
        converted, copies = [], []
        for a, spec in zip(args, self.signature.args):
            if isinstance(a, np.ndarray):
                t = torch.from_numpy(a)
                if t.device != target:
                    moved = t.to(target)
                    copies.append((a, moved))
                    t = moved
                converted.append(t)
            elif isinstance(a, torch.Tensor) and a.device != target:  # e.g. CPU tensors with a GPU present
                moved = a.to(target)
                copies.append((a, moved))
                converted.append(moved)
            elif not spec.is_memref:  # Triton takes Python numbers (a float is fp32 unless the kernel says f64)
                kind = spec.dtype.kind
                converted.append(bool(a) if kind == "b" else int(a) if kind in "iu" else float(a))
            else:
                converted.append(a)
        results = self.host(*converted)
        for original, moved in copies:  # results written on the GPU come back into the caller's arrays
            if isinstance(original, np.ndarray):
                original[...] = moved.cpu().numpy()
            else:
                original.copy_(moved)
        if results is None:
            return None
        if any(isinstance(a, np.ndarray) for a in args):  # numpy in, numpy out (a SpGEMM's CSR parts)
            results = tuple(r.cpu().numpy() if isinstance(r, torch.Tensor) else r for r in results)
        return results[0] if len(results) == 1 else results
