"""The pass manager and the debugging switches through the API; stages print and parse back."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import sympy as sp
from xdsl.passes import ModulePass

import ircc
from ircc import passes as registry
from ircc.cli import main as cli_main
from ircc.errors import IrccError, PassFailure
from ircc.ir.text import parse_module, print_module
from tests.conftest import EXAMPLES

x, y = sp.symbols("x y")


def test_registry_keys_are_pass_names() -> None:
    for name, (loader, summary) in registry.PASSES.items():
        assert loader().name == name
        assert summary


def test_every_stage_prints_and_parses_back() -> None:
    k = ircc.compile([sp.sin(x) ** 3 + y, sp.Max(x, y)], args=[x, y], target="llvm")
    for name, text in k.stages:
        assert print_module(parse_module(text, name)) == text


def test_dump_dir_and_printing(tmp_path: Path, capsys) -> None:
    dump = tmp_path / "dumps"
    ircc.compile(x**3 + y, args=[x, y], target="llvm", dump_dir=str(dump), print_ir_after=("cse",),
                 print_ir_before=("canonicalize",), time_passes=True, cache=False,
                 pipeline="expand-powi,canonicalize,cse")
    files = sorted(p.name for p in dump.iterdir())
    assert files == ["00-input.mlir", "01-expand-powi.mlir", "02-canonicalize.mlir", "03-cse.mlir", "llvm.ll"]
    for f in dump.glob("*.mlir"):
        parse_module(f.read_text(), str(f))
    assert "define" in (dump / "llvm.ll").read_text()  # the backend's source beside the IR
    err = capsys.readouterr().err
    assert "// -----// IR Dump After cse //----- //" in err
    assert "// -----// IR Dump Before canonicalize //----- //" in err
    assert "IR Dump After expand-powi" not in err
    assert "pass execution timing report" in err and "total" in err


def test_print_after_change_skips_unchanged(capsys) -> None:
    ircc.compile(x + y, args=[x, y], target="llvm", print_ir_after_change=True, cache=False)
    err = capsys.readouterr().err
    assert "After expand-powi" not in err  # nothing to expand


def test_emit_stops_at_a_stage() -> None:
    k = ircc.compile(x**2, args=[x], target="llvm", emit="expand-powi")
    assert [n for n, _ in k.stages] == ["input", "eqsat", "expand-powi"]
    with pytest.raises(IrccError, match="stopped at stage 'expand-powi'"):
        k(1.0)
    with pytest.raises(IrccError, match="no such stage; stages are: input, eqsat, expand-powi, cse"):
        ircc.compile(x, args=[x], emit="licm")


@dataclass(frozen=True)
class ExplodingPass(ModulePass):
    name = "explode"

    def apply(self, ctx, op) -> None:
        raise RuntimeError("boom")


def test_failing_pass_saves_the_ir_before_it(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(registry.PASSES, "explode", (lambda: ExplodingPass, "test pass"))
    with pytest.raises(PassFailure) as info:
        ircc.compile(x + 1, args=[x], target="llvm", pipeline="cse,explode", cache=False)
    message = str(info.value)
    assert "pass 'explode' failed: boom" in message
    path = Path(message.split("the IR before it is in ")[1].split("\n")[0])
    assert path.exists() and "02-before-explode" in path.name
    parse_module(path.read_text(), str(path))
    assert "reproduce with: ircc " in message and "-p 'explode'" in message


def test_bad_pipelines() -> None:
    with pytest.raises(IrccError, match="unknown pass 'nope'; valid pass names are: canonicalize"):
        ircc.compile(x, args=[x], pipeline="cse,nope")
    with pytest.raises(IrccError, match="malformed pipeline"):
        ircc.compile(x, args=[x], pipeline="cse{")
    with pytest.raises(IrccError, match="bad options"):
        ircc.compile(x, args=[x], pipeline="expand-powi{max-exponent=lots}")


@pytest.mark.parametrize("target", ["llvm", "numba"])
def test_dumped_loop_level_gives_the_same_source(tmp_path: Path, target: str, capsys) -> None:
    """DESIGN.md: feeding the dumped loop-level stage to `ircc -t <backend>` gives the same kernel.source."""
    k = ircc.compile([sp.sin(x) * y, x / y], args=[x, y], target=target, threads=2, cache=False)
    dumped = tmp_path / "loop.mlir"
    dumped.write_text(k.stages[-1][1])
    out = tmp_path / ("k.ll" if target == "llvm" else "k.py")
    assert cli_main([str(dumped), "-t", target, "--threads", "2", "-o", str(out), "--no-cache"]) == 0
    assert out.read_text() == k.source


def test_mlir_entry_points() -> None:
    import numpy as np

    k = ircc.compile(EXAMPLES / "mlir" / "matsum.mlir", target="llvm", entry="rowsums")
    m = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(k(m), m.sum(axis=1))
    with pytest.raises(IrccError, match="has 2 functions"):
        ircc.compile(EXAMPLES / "mlir" / "matsum.mlir", target="llvm")
    with pytest.raises(IrccError, match="no function @nope"):
        ircc.compile(EXAMPLES / "mlir" / "matsum.mlir", target="llvm", entry="nope")
