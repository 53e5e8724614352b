"""The options every entry point shares (one spelling everywhere; the CLI flag is the same word with dashes)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from typing import Any

from ircc.errors import IrccError


def default_threads() -> int:
    from ircc import env

    return env.num_threads() or os.cpu_count() or 1


def default_cost() -> str:
    """``"learned"`` where a trained model ships for this machine's class (``ircc.costmodel.learned``), else
    ``"static"`` (the fixed rules and the measured per-op table)."""
    from ircc.costmodel.learned import has_model

    return "learned" if has_model() else "static"


@dataclass(frozen=True)
class Options:
    """Compile options shared by ``ircc.compile``, ``@ircc.jit`` and the ``ircc`` command."""

    target: str = "cpu"
    threads: int = field(default_factory=default_threads)
    fastmath: bool = False
    eqsat: bool | None = None  # None: the frontend's default
    pipeline: str | None = None  # None: the frontend's default optimization passes
    cost: str = field(default_factory=default_cost)  # "learned" where a model ships for this machine
    machine: Any = None  # target piuma: the simulated machine (a preset name: core, die, sled; or a Machine)
    cache: bool = True
    verify: bool = True
    # pass debugging
    dump_dir: str | None = None
    print_ir_after_all: bool = False
    print_ir_after: tuple[str, ...] = ()
    print_ir_before: tuple[str, ...] = ()
    print_ir_after_change: bool = False
    time_passes: bool = False
    emit: str | None = None  # stop after this stage (a pass name, "input", or "llvm"/"source")

    def __post_init__(self) -> None:
        if not isinstance(self.threads, int) or self.threads < 1:
            raise IrccError(f"option threads={self.threads!r}: expected a positive integer")
        if self.cost not in ("static", "learned"):
            raise IrccError(f"option cost={self.cost!r}: expected 'static' or 'learned'")
        for name in ("print_ir_after", "print_ir_before"):
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, tuple(v for v in value.split(",") if v))

    @classmethod
    def from_kwargs(cls, **kwargs: Any) -> Options:
        """Build options from keyword arguments, rejecting unknown names with the valid list."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(kwargs) - known)
        if unknown:
            raise IrccError(
                f"unknown option(s) {', '.join(unknown)}; valid options are: {', '.join(sorted(known))}"
            )
        return cls(**{k: v for k, v in kwargs.items() if v is not None or k in ("eqsat", "pipeline")})

    def with_(self, **changes: Any) -> Options:
        return replace(self, **changes)

    def codegen_key(self) -> dict[str, Any]:
        """The options that change generated code (part of the compile-cache key)."""
        return {"threads": self.threads, "fastmath": self.fastmath}
