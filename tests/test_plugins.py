"""Passes, targets and frontends from other packages, through the ``ircc.plugins`` entry points."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import EntryPoint

import pytest
from xdsl.passes import ModulePass

import ircc
from ircc import plugins
from ircc.backends import all_targets, get_backend
from ircc.backends.interp import InterpBackend
from ircc.ir.text import parse_module
from ircc.passes import get_pass_class, pass_summaries


@dataclass(frozen=True)
class CountingPass(ModulePass):
    name = "count-ops"

    def apply(self, ctx, op) -> None:
        op.attributes["test.ops"] = __import__("xdsl.dialects.builtin", fromlist=["IntAttr"]).IntAttr(
            sum(1 for _ in op.walk()))


class EchoBackend(InterpBackend):
    name = "echo"


def small_language(obj, **options):
    if isinstance(obj, tuple) and obj and obj[0] == "double":
        text = "func.func @f(%a: f64) -> f64 {\n  %b = arith.addf %a, %a : f64\n  func.return %b : f64\n}"
        return parse_module(text), "cse"
    return None


@pytest.fixture
def with_plugins(monkeypatch):
    entries = (
        ("pass", "count-ops", EntryPoint("pass:count-ops", f"{__name__}:CountingPass", "ircc.plugins")),
        ("target", "echo", EntryPoint("target:echo", f"{__name__}:EchoBackend", "ircc.plugins")),
        ("frontend", "double", EntryPoint("frontend:double", f"{__name__}:small_language", "ircc.plugins")),
    )
    monkeypatch.setattr(plugins, "_all_entries", lambda: entries)


def test_plugin_pass_target_and_frontend(with_plugins) -> None:
    assert get_pass_class("count-ops") is CountingPass
    assert "count-ops" in pass_summaries() and "echo" in all_targets()
    assert isinstance(get_backend("echo"), EchoBackend)
    k = ircc.compile(("double",), target="echo")
    assert k.compile_stats["frontend"] == "plugin:double" and k(1.5) == 3.0
    k = ircc.compile(("double",), target="llvm", pipeline="count-ops")
    assert "test.ops" in k.mlir("count-ops")


def test_without_plugins_the_names_are_unknown() -> None:
    with pytest.raises(ircc.IrccError, match="unknown target 'echo'"):
        get_backend("echo")
    with pytest.raises(ircc.IrccError, match="cannot compile a tuple"):
        ircc.compile(("double",))
