"""Hypothesis-generated straight-line arithmetic programs: compiled result == plain Python's.

Programs mix int and float variables through + - * / // % min max abs, math functions and
conditional expressions; divisions and square roots are kept away from Python's exceptions (a
divisor ``abs(e) + 1.0``, nonzero integer constants) so every program runs in plain Python.
"""

from __future__ import annotations

import importlib.util
import itertools
import math
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import ircc

_DIR = Path(tempfile.mkdtemp(prefix="ircc-hypothesis-programs-"))
_COUNTER = itertools.count()

_FLOAT_FUNCS = ["math.sin", "math.cos", "math.atan", "math.tanh", "abs"]


@st.composite
def expressions(draw, env: dict[str, str], depth: int = 0) -> tuple[str, str]:
    """(source, type) of an expression over the variables in ``env`` (name -> 'int' / 'float')."""
    names = sorted(env)
    if depth >= 2 or draw(st.integers(0, 3)) == 0:
        if draw(st.booleans()):
            name = draw(st.sampled_from(names))
            return name, env[name]
        if draw(st.booleans()):
            return str(draw(st.integers(-9, 9))), "int"
        return repr(draw(st.floats(-4, 4, allow_nan=False).map(lambda v: round(v, 3)))), "float"
    a, ta = draw(expressions(env, depth + 1))
    b, tb = draw(expressions(env, depth + 1))
    mixed = "float" if "float" in (ta, tb) else "int"
    kind = draw(st.sampled_from(["+", "-", "*", "/", "//", "%", "min", "max", "func", "sqrt", "ifexp"]))
    if kind in "+-":
        return f"({a} {kind} {b})", mixed
    if kind == "*":
        if mixed == "int":  # keep integers far from int64 overflow: scale by a small constant
            return f"({a} * {draw(st.integers(-7, 7))})", "int"
        return f"({a} * {b})", "float"
    if kind == "/":
        return f"({a} / (abs({b}) + 1.0))", "float"
    if kind in ("//", "%"):
        c = draw(st.sampled_from([-7, -3, -2, 2, 3, 5]))
        return f"({a} {kind} {c})", ta
    if kind in ("min", "max"):
        return f"{kind}({a}, {b})", mixed
    if kind == "sqrt":
        return f"math.sqrt(abs({a}))", "float"
    if kind == "ifexp":
        return f"({a} if {a} < {b} else {b} + 1)", mixed
    fn = draw(st.sampled_from(_FLOAT_FUNCS))
    return f"{fn}({a})", "float" if fn != "abs" else ta


@st.composite
def programs(draw) -> str:
    env = {"x": "float", "y": "float", "n": "int", "m": "int"}
    lines = ["import math", "", "", "def program(x, y, n, m):"]
    for k in range(draw(st.integers(1, 6))):
        src, t = draw(expressions(env))
        name = f"v{k}"
        lines.append(f"    {name} = {src}")
        env[name] = t
    last = sorted(env, key=lambda v: (not v.startswith("v"), v))[-2:]
    lines.append(f"    return {last[0]}, {last[1]}, v0")
    return "\n".join(lines) + "\n"


def _load(source: str):
    path = _DIR / f"program_{next(_COUNTER)}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.program


def _same(want, got) -> bool:
    if isinstance(want, float) or isinstance(got, float):
        return math.isclose(want, got, rel_tol=1e-12, abs_tol=1e-12) or (math.isnan(want) and math.isnan(got))
    return type(want) is type(got) and want == got


@pytest.mark.parametrize("target", ["llvm", "numba", "interp"])
@given(source=programs(), x=st.floats(-3, 3), y=st.floats(-3, 3), n=st.integers(-50, 50),
       m=st.integers(-50, 50))
def test_straight_line_program(target, source, x, y, n, m):
    fn = _load(source)
    want = fn(x, y, n, m)
    got = ircc.jit(fn, target=target)(x, y, n, m)
    assert len(got) == len(want)
    for w, g in zip(want, got):
        assert _same(w, g), f"{source}\nx={x} y={y} n={n} m={m}: want {want}, got {got}"
