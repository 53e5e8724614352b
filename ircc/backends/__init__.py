"""Backends by target name (a lazy registry: nothing heavy is imported until a target is used)."""

from __future__ import annotations

from collections.abc import Callable

from ircc.backends.base import Artifact, Backend, Signature, ValueSpec
from ircc.errors import UnknownNameError


def _llvm() -> type[Backend]:
    from ircc.backends.llvm import LLVMBackend

    return LLVMBackend


def _numba() -> type[Backend]:
    from ircc.backends.numba import NumbaBackend

    return NumbaBackend


def _triton() -> type[Backend]:
    from ircc.backends.triton import TritonBackend

    return TritonBackend


def _piuma() -> type[Backend]:
    from ircc.backends.piuma import PiumaBackend

    return PiumaBackend


def _interp() -> type[Backend]:
    from ircc.backends.interp import InterpBackend

    return InterpBackend


#: target name -> (factory, one-line description). ``cpu`` is resolved by ``resolve_target``.
TARGETS: dict[str, tuple[Callable[[], type[Backend]], str]] = {
    "llvm": (_llvm, "native code through LLVM (llvmlite MCJIT), parallel loops on native threads"),
    "numba": (_numba, "generated Python compiled by numba.njit (parallel=True for scf.parallel)"),
    "interp": (_interp, "the reference interpreter (xDSL's, extended): slow, defines the semantics"),
    "triton": (_triton, "Triton kernels: on a GPU where torch sees one, in Triton's interpreter on the CPU otherwise"),
    "piuma": (_piuma, "a simulated PIUMA-like graph accelerator (cycles, utilization, DRAM and atomic traffic)"),
}
VIRTUAL_TARGETS: dict[str, str] = {
    "cpu": "llvm or numba, chosen at compile time (the cache key uses the resolved name)",
}


def _plugin_targets() -> dict[str, tuple[Callable[[], type[Backend]], str]]:
    from ircc.plugins import plugin_entries

    return {name: (factory, "from a plugin") for name, factory in plugin_entries("target").items()}


def all_targets() -> dict[str, str]:
    """name -> description, for ``--list-targets`` and the docs."""
    out = {name: desc for name, (_, desc) in TARGETS.items()}
    out.update(VIRTUAL_TARGETS)
    out.update({name: desc for name, (_, desc) in _plugin_targets().items()})
    return dict(sorted(out.items()))


def resolve_target(name: str) -> str:
    """Map ``cpu`` to a concrete target; check the name exists."""
    if name == "cpu":
        from ircc.costmodel import choose_cpu_target

        return choose_cpu_target()
    if name not in TARGETS and name not in _plugin_targets():
        raise UnknownNameError("target", name, list(all_targets()))
    return name


def get_backend(name: str) -> Backend:
    """An instance of the backend for a concrete target name."""
    name = resolve_target(name)
    factory = TARGETS[name][0] if name in TARGETS else _plugin_targets()[name][0]
    return factory()()


__all__ = ["Artifact", "Backend", "Signature", "ValueSpec", "all_targets", "get_backend", "resolve_target"]
