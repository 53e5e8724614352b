"""The pass manager: pipeline strings as ``xdsl-opt -p`` spells them, verification after every
pass, and the debugging switches shared by the CLI and the API (print, dump, time)."""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.utils.arg_spec import parse_pipeline
from xdsl.utils.exceptions import ArgSpecParseError

from ircc.errors import IrccError, PassFailure
from ircc.ir.context import make_context
from ircc.ir.text import print_module
from ircc.options import Options
from ircc.passes import get_pass_class


def parse_pipeline_spec(spec: str) -> list[ModulePass]:
    """Instantiate the passes of ``canonicalize,cse,my-pass{opt=1}``; unknown names list the valid ones."""
    spec = spec.strip()
    if not spec:
        return []
    try:
        specs = list(parse_pipeline(spec))
    except ArgSpecParseError as err:
        raise IrccError(f"malformed pipeline '{spec}':\n{err}") from None
    passes = []
    for s in specs:
        cls = get_pass_class(s.name)
        try:
            passes.append(cls.from_pass_spec(s))
        except Exception as err:  # xDSL raises ValueError/TypeError for bad options
            raise IrccError(f"pass '{s.name}': bad options in '{spec}': {err}") from None
    return passes


def pass_spec_text(p: ModulePass) -> str:
    return str(p.pipeline_pass_spec())


@dataclass
class PassContext:
    """What a running pass may know about the pipeline around it: where the dumps go (None: nowhere) and
    the stage's number, and a place for a report (``ircc.compile`` puts it in ``kernel.compile_stats``)."""

    dump_dir: Path | None
    index: int
    name: str
    reports: dict[str, Any]

    def dump_path(self, suffix: str) -> Path | None:
        """``<dump_dir>/NN-<pass>.<suffix>`` beside the stage's IR dump, or None without a dump directory."""
        if self.dump_dir is None:
            return None
        self.dump_dir.mkdir(parents=True, exist_ok=True)
        return self.dump_dir / f"{self.index:02d}-{self.name}.{suffix}"


_CONTEXT: ContextVar[PassContext | None] = ContextVar("ircc_pass_context", default=None)


def current_pass_context() -> PassContext | None:
    """The context of the pass now running under a ``Pipeline`` (None outside one)."""
    return _CONTEXT.get()


@dataclass
class PassTiming:
    name: str
    seconds: float


@dataclass
class Pipeline:
    """An ordered list of passes plus the debugging behaviour asked for in ``options``.

    ``run`` applies them in place and returns the stages: ``[(name, mlir_text), ...]``
    starting with ``("input", ...)``.
    """

    passes: list[ModulePass]
    options: Options = field(default_factory=Options)
    stream: TextIO = field(default_factory=lambda: sys.stderr)
    #: reports passes left through ``current_pass_context()``, by pass name
    reports: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def parse(cls, spec: str, options: Options | None = None, **kw: object) -> Pipeline:
        return cls(parse_pipeline_spec(spec), options or Options(), **kw)  # type: ignore[arg-type]

    @property
    def spec(self) -> str:
        return ",".join(pass_spec_text(p) for p in self.passes)

    def _dump(self, index: int, name: str, text: str) -> None:
        if self.options.dump_dir:
            d = Path(self.options.dump_dir)
            d.mkdir(parents=True, exist_ok=True)
            (d / f"{index:02d}-{name}.mlir").write_text(text)

    def _print(self, when: str, name: str, text: str) -> None:
        self.stream.write(f"// -----// IR Dump {when} {name} //----- //\n{text}\n")

    @property
    def needs_text(self) -> bool:
        """Whether a debugging switch needs the IR printed after every pass."""
        o = self.options
        return bool(o.dump_dir or o.print_ir_after_all or o.print_ir_after or o.print_ir_before
                    or o.print_ir_after_change)

    def run(self, module: ModuleOp, *, record: bool = True,
            rebuild_input: Callable[[], ModuleOp] | None = None) -> tuple[list[tuple[str, str]], list[PassTiming]]:
        """Apply the passes in place. With ``record`` (or any debugging switch) every stage is printed;
        without, only the timings come back (printing costs as much as a pass), and ``rebuild_input``
        (default: a copy taken now) recreates the input if a pass fails and its IR must be saved."""
        opts = self.options
        record = record or self.needs_text
        ctx = make_context()
        stages: list[tuple[str, str]] = []
        timings: list[PassTiming] = []
        text = print_module(module) if record else ""
        if not record and rebuild_input is None:
            copy = module.clone()
            rebuild_input = copy.clone
        self._rebuild_input = rebuild_input
        index = 0
        if record:
            stages.append(("input", text))
            self._dump(index, "input", text)
        for p in self.passes:
            index += 1
            name = p.name
            if name in opts.print_ir_before:
                self._print("Before", name, text)
            start = time.perf_counter()
            dump_dir = Path(opts.dump_dir) if opts.dump_dir else None
            token = _CONTEXT.set(PassContext(dump_dir, index, name, self.reports))
            try:
                p.apply(ctx, module)
                if opts.verify:
                    module.verify()
            except Exception as err:
                raise self._failure(index, p, text if record else None, err) from None
            finally:
                _CONTEXT.reset(token)
            timings.append(PassTiming(name, time.perf_counter() - start))
            if not record:
                continue
            new_text = print_module(module)
            stages.append((name, new_text))
            self._dump(index, name, new_text)
            if opts.print_ir_after_all or name in opts.print_ir_after or (
                opts.print_ir_after_change and new_text != text
            ):
                self._print("After", name, new_text)
            text = new_text
        if opts.time_passes:
            self.stream.write(format_timings(timings))
        return stages, timings

    def _replay_before(self, index: int) -> str:
        copy = self._rebuild_input()
        ctx = make_context()
        for p in self.passes[:index - 1]:
            p.apply(ctx, copy)
        return print_module(copy)

    def _failure(self, index: int, p: ModulePass, before: str | None, err: Exception) -> PassFailure:
        d = Path(self.options.dump_dir) if self.options.dump_dir else Path(tempfile.mkdtemp(prefix="ircc-"))
        d.mkdir(parents=True, exist_ok=True)
        path = d / f"{index:02d}-before-{p.name}.mlir"
        path.write_text(before if before is not None else self._replay_before(index))
        kind = "produced IR that does not verify" if self.options.verify and _is_verify(err) else "failed"
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        return PassFailure(
            f"pass '{p.name}' {kind}: {first}\n"
            f"  the IR before it is in {path}\n"
            f"  reproduce with: ircc {path} -p '{pass_spec_text(p)}'"
        )


def _is_verify(err: Exception) -> bool:
    """True for verification failures (the pass left invalid IR)."""
    from xdsl.utils.exceptions import VerifyException

    return isinstance(err, VerifyException)


def format_timings(timings: list[PassTiming]) -> str:
    """A table of wall time per pass, like mlir-opt's --mlir-timing."""
    total = sum(t.seconds for t in timings) or 1e-12
    lines = ["===" + "-" * 60 + "===", "  ircc pass execution timing report", "===" + "-" * 60 + "===",
             f"  {'wall (s)':>10} {'share':>7}  pass"]
    for t in timings:
        lines.append(f"  {t.seconds:10.4f} {100 * t.seconds / total:6.1f}%  {t.name}")
    lines.append(f"  {total:10.4f} 100.0%  total")
    return "\n".join(lines) + "\n"


def replay_stages(input_module: ModuleOp, passes: list[ModulePass], verify: bool = True) -> list[tuple[str, str]]:
    """Re-run ``passes`` on a fresh input and print every stage (what ``Kernel.stages`` shows when the
    compile itself skipped printing; frontends and passes are deterministic)."""
    stages, _ = Pipeline(passes, Options(verify=verify, cache=False)).run(input_module, record=True)
    return stages
