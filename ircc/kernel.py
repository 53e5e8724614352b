"""``Kernel``: what ``ircc.compile`` returns -- a callable plus its IR at every stage, source and stats."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ircc.backends.base import Artifact
from ircc.errors import IrccError


class Kernel:
    """A compiled program.

    Attributes:
        stages: ``[(pass_name, mlir_text), ...]`` from the frontend's output ("input") to the IR the
            backend consumed; present after a cache hit too.
        source: the emitted backend source (LLVM IR, Python, ...); ``sources`` when a compile made several.
        compile_stats: seconds per phase and the choices made (resolved target, cache hit, ...).
        stats: figures from the last call (backend-specific; e.g. simulated cycles).
        target: the resolved target name.
    """

    def __init__(self, *, stages: list[tuple[str, str]] | Callable[[], list[tuple[str, str]]],
                 artifact: Artifact | None, call: Callable[..., Any] | None,
                 compile_stats: dict[str, Any], entry: str | None, target: str):
        # printing every stage costs as much as the passes: a compile without debugging switches
        # passes a function that replays them the first time ``stages`` is read
        self._stages = stages
        self._artifact = artifact
        self._call = call
        self.compile_stats = compile_stats
        self.entry = entry
        self.target = target

    @property
    def stages(self) -> list[tuple[str, str]]:
        if callable(self._stages):
            self._stages = self._stages()
        return self._stages

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._call is None:
            stop = self.compile_stats.get("emit")
            raise IrccError(f"this kernel stopped at stage '{stop}' (emit=...): it has IR but no code to run")
        return self._call(*args, **kwargs) if kwargs else self._call(*args)

    @property
    def source(self) -> str:
        return self._artifact.source if self._artifact is not None else ""

    @property
    def sources(self) -> dict[str, str]:
        if self._artifact is None:
            return {}
        return self._artifact.sources or {self.target: self._artifact.source}

    @property
    def stats(self) -> dict[str, Any]:
        return self._artifact.stats.get("last_call", {}) if self._artifact is not None else {}

    @property
    def entries(self) -> dict[str, Callable[..., Any]]:
        """Every function of the module, callable with the backend calling convention."""
        return dict(self._artifact.entries) if self._artifact is not None else {}

    def mlir(self, stage: str | int = -1) -> str:
        """The MLIR text of a stage, by pass name (the last run of that pass) or index."""
        if isinstance(stage, int):
            return self.stages[stage][1]
        for name, text in reversed(self.stages):
            if name == stage:
                return text
        raise IrccError(f"no stage '{stage}'; stages are: {', '.join(n for n, _ in self.stages)}")

    def __repr__(self) -> str:
        return f"<ircc.Kernel {self.entry or ''} target={self.target}>"
