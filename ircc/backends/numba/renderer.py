"""The renderer of one ``func.func``: naming SSA values, emitting indented lines, reporting errors.

A ``FunctionRenderer`` renders a function one statement per op, in block order, dispatching each op to
the handler that the module's table (``ModuleRenderer.handlers``) gives for its type; an op missing from
the table is a ``BackendError`` naming the op and its location. SSA values are named ``v<N>`` or
``v<N>_<hint>`` in definition order, so the same IR always renders to the same text.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from xdsl.dialects import func, memref, scf
from xdsl.dialects.builtin import FileLineColLoc, MemRefType, UnknownLoc
from xdsl.ir import Attribute, Block, Operation, SSAValue
from xdsl.printer import Printer

from ircc.backends.numba.helpers import HELPERS
from ircc.backends.numba.types import is_scalar
from ircc.errors import BackendError

ACCEPTED = "func/scf/memref/arith/math"

#: renders one op of a type in the table: reads operand names from the renderer, emits lines into it
Handler = Callable[["FunctionRenderer", Any], None]


def describe_location(op: Operation) -> str:
    """``file:line:col`` of ``op`` when the IR carries one, else ``unknown location``."""
    loc = op.location
    if isinstance(loc, FileLineColLoc):
        return f"{loc.filename.data}:{loc.line.data}:{loc.column.data}"
    if isinstance(loc, UnknownLoc):
        return "unknown location"
    return str(loc)


def op_text(op: Operation, limit: int = 120) -> str:
    """The first line of ``op`` as MLIR text (regions elided), for error messages."""
    out = io.StringIO()
    Printer(stream=out).print_op(op)
    line = out.getvalue().strip().splitlines()[0] if out.getvalue().strip() else op.name
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _sanitize(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", text)[:32]


@dataclass
class ModuleRenderer:
    """State shared by the functions of one module: the op table, symbol -> Python name, helpers and globals
    used."""

    #: op type -> the handler rendering it (``render.HANDLERS``)
    handlers: dict[type[Operation], Handler]
    py_names: dict[str, str]
    #: symbol -> name of its serial copy, for functions with parallel loops that are called from inside
    #: a parallel loop (numba's workqueue threading layer aborts on a nested parallel launch)
    serial_names: dict[str, str] = field(default_factory=dict)
    helpers: set[str] = field(default_factory=set)
    #: the module's ``memref.global`` ops by symbol
    globals: dict[str, memref.GlobalOp] = field(default_factory=dict)
    #: symbol -> Python name of each global a ``memref.get_global`` reads, in first-use order
    global_names: dict[str, str] = field(default_factory=dict)

    def global_name(self, symbol: str) -> str:
        """The module-level Python name standing for the global ``symbol`` (``g_<symbol>``, numbered if taken)."""
        if symbol not in self.global_names:
            name = candidate = "g_" + re.sub(r"[^A-Za-z0-9_]", "_", symbol)
            n = 1
            while name in self.global_names.values():
                name = f"{candidate}_{n}"
                n += 1
            self.global_names[symbol] = name
        return self.global_names[symbol]


class FunctionRenderer:
    """Renders one ``func.func`` as one Python function, line by line."""

    def __init__(self, fn: func.FuncOp, module: ModuleRenderer, *, serial: bool = False):
        self.fn = fn
        self.module = module
        self.serial = serial  # render scf.parallel as plain range loops
        self.parallel_depth = 0  # how many scf.parallel bodies enclose the op being rendered
        self.lines: list[str] = []
        self.indent = 0
        self.names: dict[SSAValue, str] = {}
        self.bases: dict[SSAValue, str] = {}
        self.suffix = ""  # appended to every name defined while a region is rendered a second time
        self.uses_prange = False

    # ---- errors -------------------------------------------------------------------------
    def error(self, op: Operation, what: str) -> BackendError:
        return BackendError(f"{what} at {describe_location(op)} in @{self.fn.sym_name.data}: {op_text(op)}")

    def check_type(self, t: Attribute, op: Operation) -> None:
        if is_scalar(t):
            return
        if isinstance(t, MemRefType) and is_scalar(t.element_type):
            return
        raise self.error(op, f"the numba backend cannot represent type {t} in '{op.name}' (expected f32/f64, "
                             "i1/i8/i16/i32/i64, index or a memref of those)")

    # ---- names --------------------------------------------------------------------------
    def base(self, value: SSAValue) -> str:
        """The stable base name of ``value``: ``v<N>`` plus its sanitized name hint."""
        if value not in self.bases:
            n = len(self.bases)
            hint = _sanitize(value.name_hint) if value.name_hint else ""
            self.bases[value] = f"v{n}_{hint}" if hint else f"v{n}"
        return self.bases[value]

    def derived(self, value: SSAValue, tag: str) -> str:
        """A name for a helper variable belonging to ``value`` (never equal to any other value's name)."""
        return f"{self.base(value)}_{tag}"

    def define(self, value: SSAValue, op: Operation) -> str:
        """Give ``value`` (a result or block argument of ``op``) a fresh name and return it."""
        self.check_type(value.type, op)
        name = self.base(value) + (f"_{self.suffix}" if self.suffix else "")
        self.names[value] = name
        return name

    def bind(self, value: SSAValue, name: str) -> None:
        """Let ``value`` be read as ``name`` (a block argument standing for an existing variable)."""
        self.names[value] = name

    def name(self, value: SSAValue) -> str:
        assert value in self.names, f"value {value} used before it was rendered"
        return self.names[value]

    def operands(self, op: Operation) -> list[str]:
        return [self.name(v) for v in op.operands]

    # ---- output -------------------------------------------------------------------------
    def emit(self, line: str) -> None:
        self.lines.append("    " * self.indent + line)

    def assign(self, op: Operation, expr: str) -> None:
        """``<result> = expr`` for the single result of ``op``."""
        self.emit(f"{self.define(op.results[0], op)} = {expr}")

    def assign_many(self, targets: list[str], values: list[str]) -> None:
        """Parallel assignment ``a, b = x, y`` (a swap in a loop must see the old values), skipping no-ops."""
        pairs = [(t, v) for t, v in zip(targets, values, strict=True) if t != v]
        if pairs:
            self.emit(f"{', '.join(t for t, _ in pairs)} = {', '.join(v for _, v in pairs)}")

    def helper(self, name: str) -> str:
        assert name in HELPERS, name
        self.module.helpers.add(name)
        return name

    def nested(self, header: str) -> _Nested:
        return _Nested(self, header)

    @property
    def prange(self) -> str:
        return "range" if self.serial else "numba.prange"

    # ---- blocks -------------------------------------------------------------------------
    def render_ops(self, block: Block) -> Operation | None:
        """Render every op of ``block`` but a structured terminator, which is returned to the caller."""
        last = block.last_op
        for op in block.ops:
            if op is last and isinstance(op, scf.YieldOp | scf.ConditionOp | scf.ReduceOp):
                return op
            self.render_op(op)
        return None

    def render_op(self, op: Operation) -> None:
        """Render ``op`` with the handler for its type; an op without one is a ``BackendError``."""
        handler = self.module.handlers.get(type(op))
        if handler is None:
            raise self.error(op, f"the numba backend accepts only {ACCEPTED}; found '{op.name}'")
        handler(self, op)

    def render_function(self) -> list[str]:
        fn = self.fn
        if len(fn.body.blocks) != 1:
            raise self.error(fn, f"@{fn.sym_name.data} has {len(fn.body.blocks)} blocks; the numba backend "
                                 "needs structured control flow (scf), one block per region")
        block = fn.body.block
        params = [self.define(arg, fn) for arg in block.args]
        symbol = fn.sym_name.data
        # no source locations in the text: a dump of the IR without them must render the same source
        if self.serial:
            self.emit(f"# func.func @{symbol}: a serial copy, called from inside parallel loops")
            self.emit(f"def {self.module.serial_names[symbol]}({', '.join(params)}):")
        else:
            self.emit(f"# func.func @{symbol}")
            self.emit(f"def {self.module.py_names[symbol]}({', '.join(params)}):")
        self.indent += 1
        start = len(self.lines)
        self.render_ops(block)
        if len(self.lines) == start:
            self.emit("return")
        self.indent -= 1
        return self.lines


class _Nested:
    """``with r.nested("for ...:"):`` emits the header and indents; an empty body gets ``pass``."""

    def __init__(self, r: FunctionRenderer, header: str):
        self.r, self.header = r, header

    def __enter__(self) -> None:
        self.r.emit(self.header)
        self.r.indent += 1
        self.start = len(self.r.lines)

    def __exit__(self, *exc: object) -> None:
        if len(self.r.lines) == self.start:
            self.r.emit("pass")
        self.r.indent -= 1

