"""Rendering loop-level IR (func/scf/memref/arith/math) as one Python module for ``numba.njit``.

``render_module`` turns every ``func.func`` with a body into one Python function, callees before
callers, one statement per op (``renderer.FunctionRenderer``), so the same IR always renders to the
same text. Ops are rendered by a table keyed by op type (``HANDLERS``, assembled from the per-dialect
tables of ``arith``, ``memref`` and ``scf``); the ``_ircc_*`` helpers an op needs (``helpers``) are
written before the functions. A function with parallel loops that is called from inside a parallel loop
gets a serial copy as well. A constant ``memref.global`` that a function reads is a module-level name
(``g_<symbol>``) whose array travels beside the text (``RenderedModule.globals``), not in it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from xdsl.dialects import func, memref, scf
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation

from ircc.backends.memref_globals import constant_global_array, module_globals
from ircc.backends.numba.arith import ARITH_HANDLERS, MATH_HANDLERS
from ircc.backends.numba.helpers import HELPERS
from ircc.backends.numba.memref import FUNC_HANDLERS, MEMREF_HANDLERS
from ircc.backends.numba.renderer import ACCEPTED, FunctionRenderer, Handler, ModuleRenderer, describe_location
from ircc.backends.numba.scf import SCF_HANDLERS
from ircc.errors import BackendError

#: op type -> handler, for every op the numba backend accepts
HANDLERS: dict[type[Operation], Handler] = {
    **ARITH_HANDLERS, **MATH_HANDLERS, **MEMREF_HANDLERS, **FUNC_HANDLERS, **SCF_HANDLERS,
}


@dataclass(frozen=True)
class RenderedFunction:
    symbol: str  # the func.func's sym_name
    py_name: str  # its name in the generated module
    parallel: bool  # it contains a numba.prange (compile with parallel=True)
    runs_parallel: bool  # it or a function it calls contains a numba.prange (set the thread count)
    entry: bool  # an entry point (False for the serial copy of a function)


@dataclass(frozen=True)
class RenderedGlobal:
    """A constant ``memref.global`` the source reads as the module-level name ``py_name`` (not in the text:
    the backend puts ``array`` in the namespace before compiling, and numba freezes it into the code)."""

    symbol: str
    py_name: str
    array: np.ndarray  # read-only, C-contiguous, of the global's shape and dtype


@dataclass(frozen=True)
class RenderedModule:
    source: str
    functions: tuple[RenderedFunction, ...]  # callees before callers
    helpers: tuple[str, ...]
    globals: tuple[RenderedGlobal, ...] = ()  # the constant globals the functions read

    @property
    def parallel(self) -> bool:
        return any(f.parallel for f in self.functions)


def _callees(fn: func.FuncOp) -> list[str]:
    return [op.callee.string_value() for op in fn.walk() if isinstance(op, func.CallOp)]


def _callees_first(functions: list[func.FuncOp]) -> list[func.FuncOp]:
    """Module order, but every function after the ones it calls (recursion keeps module order)."""
    by_name = {f.sym_name.data: f for f in functions}
    ordered: list[func.FuncOp] = []
    state: dict[str, str] = {}

    def visit(fn: func.FuncOp) -> None:
        name = fn.sym_name.data
        if name in state:
            return
        state[name] = "visiting"
        for callee in _callees(fn):
            if callee in by_name:
                visit(by_name[callee])
        state[name] = "done"
        ordered.append(fn)

    for fn in functions:
        visit(fn)
    return ordered


def python_names(symbols: list[str]) -> dict[str, str]:
    """``f_<sanitized symbol>`` for each symbol, numbered where two sanitize alike."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for symbol in symbols:
        name = candidate = "f_" + re.sub(r"[^A-Za-z0-9_]", "_", symbol)
        n = 1
        while name in taken:
            name = f"{candidate}_{n}"
            n += 1
        taken.add(name)
        out[symbol] = name
    return out


def _runs_parallel(functions: list[func.FuncOp]) -> set[str]:
    """The functions with an scf.parallel, or calling one that has, through any number of calls."""
    calls = {f.sym_name.data: set(_callees(f)) for f in functions}
    out = {f.sym_name.data for f in functions if any(isinstance(op, scf.ParallelOp) for op in f.walk())}
    changed = True
    while changed:
        changed = False
        for name, callees in calls.items():
            if name not in out and callees & out:
                out.add(name)
                changed = True
    return out


def _needs_serial_copy(functions: list[func.FuncOp], parallel: set[str]) -> set[str]:
    """Functions with parallel loops called from inside a parallel loop, directly or through calls."""
    calls = {f.sym_name.data: set(_callees(f)) for f in functions}
    work = sorted({op.callee.string_value() for f in functions for loop in f.walk()
                   if isinstance(loop, scf.ParallelOp) for op in loop.walk() if isinstance(op, func.CallOp)})
    out: set[str] = set()
    while work:
        name = work.pop()
        if name in parallel and name not in out:
            out.add(name)
            work.extend(sorted(calls.get(name, ())))
    return out


def render_module(module: ModuleOp) -> RenderedModule:
    """Render every ``func.func`` with a body in ``module`` as one Python module.

    Raises:
        BackendError: for an op outside func/scf/memref/arith/math, or a type numba cannot hold,
            naming the op and its location.
    """
    for op in module.ops:
        if not isinstance(op, func.FuncOp | memref.GlobalOp):
            raise BackendError(f"the numba backend accepts only {ACCEPTED}; found '{op.name}' at "
                               f"{describe_location(op)} (at the top level of the module)")
    functions = [op for op in module.ops if isinstance(op, func.FuncOp) and op.body.blocks]
    py_names = python_names([f.sym_name.data for f in functions])
    parallel = _runs_parallel(functions)
    serial_names = {s: "s" + py_names[s][1:] for s in sorted(_needs_serial_copy(functions, parallel))}
    shared = ModuleRenderer(HANDLERS, py_names, serial_names, globals=module_globals(module))
    bodies: list[list[str]] = []
    rendered: list[RenderedFunction] = []
    for fn in _callees_first(functions):
        symbol = fn.sym_name.data
        renderer = FunctionRenderer(fn, shared)
        bodies.append(renderer.render_function())
        rendered.append(RenderedFunction(symbol, py_names[symbol], renderer.uses_prange,
                                         runs_parallel=symbol in parallel, entry=True))
        if symbol in serial_names:
            bodies.append(FunctionRenderer(fn, shared, serial=True).render_function())
            rendered.append(RenderedFunction(symbol, serial_names[symbol], False,
                                             runs_parallel=False, entry=False))
    helpers = tuple(name for name in HELPERS if name in shared.helpers)
    constants = tuple(RenderedGlobal(symbol, py_name, constant_global_array(shared.globals[symbol], "numba"))
                      for symbol, py_name in shared.global_names.items())
    symbols = ", ".join(f"@{f.symbol}" for f in rendered if f.entry) or "(no functions)"
    header = (
        f"# Generated by ircc's numba backend from func.func {symbols}.\n"
        "# One Python function per func.func (callees first), one statement per op; SSA values are\n"
        "# named v<N>[_<hint>]. Every function is compiled with numba.njit.\n"
    )
    for g in constants:
        header += (f"# {g.py_name}: memref.global @{g.symbol}, constant {g.array.dtype} {g.array.shape}, defined "
                   "by the backend before numba compiles (and freezes it in).\n")
    header += "import math\n\nimport numba\nimport numpy as np\n"
    parts = [header]
    parts += [HELPERS[name].strip("\n") + "\n" for name in helpers]
    parts += ["\n".join(body) + "\n" for body in bodies]
    return RenderedModule("\n\n".join(parts), tuple(rendered), helpers, constants)
