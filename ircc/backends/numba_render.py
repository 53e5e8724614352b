"""Rendering loop-level IR (func/scf/memref/arith/math) as one Python module for ``numba.njit``.

``render_module`` turns every ``func.func`` with a body into one Python function, callees before
callers, one statement per op, SSA values named ``v<N>`` or ``v<N>_<hint>`` in definition order, so
the same IR always renders to the same text. Ops are rendered by a table keyed by op type
(``HANDLERS``); an op missing from it is a ``BackendError`` naming the op and its location.

Semantics follow the reference interpreter: ``iN`` values are numpy ``intN`` scalars that wrap at
their width (numba computes small integers in int64, so results are cast back), ``f32`` stays
``float32``, signed division truncates, NaN-aware comparisons and min/max, and small helper functions
(``_ircc_*``) where one Python expression would not be exact. ``scf.parallel`` becomes a
``numba.prange`` loop; reductions numba recognizes (``+``, ``*``, integer min/max) are written as
``acc += v`` / ``acc = min(acc, v)``, any other reduction region is combined per chunk of iterations
and then serially.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from xdsl.dialects import arith, func, memref, scf
from xdsl.dialects import math as mathd
from xdsl.dialects.builtin import (
    FileLineColLoc,
    Float32Type,
    Float64Type,
    FloatAttr,
    IndexType,
    IntegerAttr,
    IntegerType,
    MemRefType,
    ModuleOp,
    UnknownLoc,
)
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue
from xdsl.printer import Printer

from ircc.errors import BackendError

ACCEPTED = "func/scf/memref/arith/math"


# --------------------------------------------------------------------------------------------
# Types: which numpy scalar type holds each IR type
# --------------------------------------------------------------------------------------------

def _int_width(t: Attribute) -> int | None:
    """The bit width of an integer-like type (index is 64), None for anything else."""
    if isinstance(t, IndexType):
        return 64
    if isinstance(t, IntegerType):
        return t.width.data
    return None


def _is_float(t: Attribute) -> bool:
    return isinstance(t, Float32Type | Float64Type)


def _is_scalar(t: Attribute) -> bool:
    return _is_float(t) or _int_width(t) in (1, 8, 16, 32, 64)


def np_type(t: Attribute) -> str:
    """The numpy scalar constructor holding values of the scalar type ``t`` (``np.float32``, ``np.bool_``)."""
    if isinstance(t, Float64Type):
        return "np.float64"
    if isinstance(t, Float32Type):
        return "np.float32"
    width = _int_width(t)
    assert width in (1, 8, 16, 32, 64), f"not a scalar type the numba backend accepts: {t}"
    return "np.bool_" if width == 1 else f"np.int{width}"


def _uint_type(t: Attribute) -> str:
    width = _int_width(t)
    assert width is not None, f"not an integer type: {t}"
    return f"np.uint{max(width, 8)}"


def cast(expr: str, t: Attribute) -> str:
    """``expr`` (any integer or float) converted to ``t``, truncating integers to its width."""
    if _int_width(t) == 1:
        return f"(({expr}) & 1) != 0"
    return f"{np_type(t)}({expr})"


def wrap(expr: str, t: Attribute) -> str:
    """``expr``, computed by numba in int64 (or exactly in t), wrapped to the width of ``t``."""
    return expr if _int_width(t) == 64 else cast(expr, t)


def signed(name: str, t: Attribute) -> str:
    """The signed value of ``name``: i1 true is -1 (bools count as 1 in Python)."""
    return f"(-np.int64({name}))" if _int_width(t) == 1 else name


def unsigned(name: str, t: Attribute) -> str:
    """The unsigned reading of the bits of ``name``."""
    return f"{_uint_type(t)}({name})"


# --------------------------------------------------------------------------------------------
# Helpers placed in the generated module when an op needs more than one expression
# --------------------------------------------------------------------------------------------

#: name -> Python source, in the order they appear in the generated module.
HELPERS: dict[str, str] = {
    "_ircc_divsi": '''
def _ircc_divsi(a, b):
    """arith.divsi: signed division rounding toward zero (Python's // floors)."""
    q = a // b
    if a % b != 0 and (a < 0) != (b < 0):
        q += 1
    return q
''',
    "_ircc_remsi": '''
def _ircc_remsi(a, b):
    """arith.remsi: the remainder takes the sign of the dividend (Python's % takes the divisor's)."""
    r = a % b
    if r != 0 and (r < 0) != (a < 0):
        r -= b
    return r
''',
    "_ircc_ceildivsi": '''
def _ircc_ceildivsi(a, b):
    """arith.ceildivsi: signed division rounding toward positive infinity."""
    q = a // b
    if a % b != 0:
        q += 1
    return q
''',
    "_ircc_ceildivui": '''
def _ircc_ceildivui(a, b):
    """arith.ceildivui on unsigned operands: division rounding up."""
    q = a // b
    if a % b != 0:
        q = q + np.uint64(1)
    return q
''',
    "_ircc_maximumf": '''
def _ircc_maximumf(a, b):
    """arith.maximumf: NaN if either operand is NaN; +0.0 is greater than -0.0."""
    if a != a:
        return a
    if b != b:
        return b
    if a == b:
        return b if np.signbit(a) else a
    return a if a > b else b
''',
    "_ircc_minimumf": '''
def _ircc_minimumf(a, b):
    """arith.minimumf: NaN if either operand is NaN; -0.0 is less than +0.0."""
    if a != a:
        return a
    if b != b:
        return b
    if a == b:
        return a if np.signbit(a) else b
    return a if a < b else b
''',
    "_ircc_maxnumf": '''
def _ircc_maxnumf(a, b):
    """arith.maxnumf: the larger operand, ignoring a NaN operand; +0.0 is greater than -0.0."""
    if a != a:
        return b
    if b != b:
        return a
    if a == b:
        return b if np.signbit(a) else a
    return a if a > b else b
''',
    "_ircc_minnumf": '''
def _ircc_minnumf(a, b):
    """arith.minnumf: the smaller operand, ignoring a NaN operand; -0.0 is less than +0.0."""
    if a != a:
        return b
    if b != b:
        return a
    if a == b:
        return a if np.signbit(a) else b
    return a if a < b else b
''',
    "_ircc_round": '''
def _ircc_round(a):
    """math.round: to the nearest integer, halfway cases away from zero (np.rint picks the even one)."""
    t = np.trunc(a)
    if abs(a - t) >= 0.5:
        return t + np.copysign(1.0, a)
    return t
''',
    "_ircc_ipowi": '''
def _ircc_ipowi(a, n):
    """math.ipowi: integer power by squaring (wrapping); a negative exponent gives 0 unless |a| is 1."""
    if n < 0:
        if a == 1:
            return 1
        if a == -1:
            return 1 if n % 2 == 0 else -1
        return 0
    r = 1
    while n > 0:
        if n & 1:
            r = r * a
        a = a * a
        n = n >> 1
    return r
''',
}


# --------------------------------------------------------------------------------------------
# The renderer
# --------------------------------------------------------------------------------------------

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


def _is_constant(value: SSAValue, number: int) -> bool:
    owner = value.owner
    return (isinstance(owner, arith.ConstantOp) and isinstance(owner.value, IntegerAttr)
            and owner.value.value.data == number)


@dataclass
class ModuleRenderer:
    """State shared by the functions of one module: symbol -> Python name, helpers used."""

    py_names: dict[str, str]
    #: symbol -> name of its serial copy, for functions with parallel loops that are called from inside
    #: a parallel loop (numba's workqueue threading layer aborts on a nested parallel launch)
    serial_names: dict[str, str] = field(default_factory=dict)
    helpers: set[str] = field(default_factory=set)


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
        if _is_scalar(t):
            return
        if isinstance(t, MemRefType) and _is_scalar(t.element_type):
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
            handler = HANDLERS.get(type(op))
            if handler is None:
                raise self.error(op, f"the numba backend accepts only {ACCEPTED}; found '{op.name}'")
            handler(self, op)
        return None

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


# --------------------------------------------------------------------------------------------
# arith
# --------------------------------------------------------------------------------------------

def _constant(r: FunctionRenderer, op: arith.ConstantOp) -> None:
    t = op.result.type
    attr = op.value
    if isinstance(attr, IntegerAttr) and _int_width(t) is not None:
        width = _int_width(t)
        assert width is not None
        v = attr.value.data
        v = ((v + (1 << (width - 1))) % (1 << width)) - (1 << (width - 1)) if width > 1 else v & 1
        if width == 1:
            text = "True" if v else "False"
        elif width == 64:
            text = f"np.int64({v})" if v == -(1 << 63) else str(v)
        else:
            text = f"{np_type(t)}({v})"
    elif isinstance(attr, FloatAttr) and _is_float(t):
        v = attr.value.data
        if math.isnan(v):
            text = "np.nan"
        elif math.isinf(v):
            text = "np.inf" if v > 0 else "-np.inf"
        else:
            text = repr(v)
        if isinstance(t, Float32Type):
            text = f"np.float32({text})"
    else:
        raise r.error(op, f"the numba backend accepts only scalar integer and float constants; found {attr}")
    r.assign(op, text)


def _int_binary(symbol: str) -> Handler:
    def render(r: FunctionRenderer, op: Operation) -> None:
        a, b = r.operands(op)
        t = op.results[0].type
        if _int_width(t) == 1 and symbol in "&|^":
            r.assign(op, f"{a} {symbol} {b}")
        else:
            r.assign(op, wrap(f"{signed(a, t)} {symbol} {signed(b, t)}", t))
    return render


def _int_unsigned_binary(symbol: str) -> Handler:
    def render(r: FunctionRenderer, op: Operation) -> None:
        a, b = r.operands(op)
        t = op.results[0].type
        r.assign(op, cast(f"{unsigned(a, t)} {symbol} {unsigned(b, t)}", t))
    return render


def _int_helper(helper: str, *, unsigned_operands: bool = False) -> Handler:
    def render(r: FunctionRenderer, op: Operation) -> None:
        a, b = r.operands(op)
        t = op.results[0].type
        if unsigned_operands:
            r.assign(op, cast(f"{r.helper(helper)}({unsigned(a, t)}, {unsigned(b, t)})", t))
        else:
            r.assign(op, wrap(f"{r.helper(helper)}({signed(a, t)}, {signed(b, t)})", t))
    return render


def _int_minmax(builtin: str) -> Handler:
    def render(r: FunctionRenderer, op: Operation) -> None:
        a, b = r.operands(op)
        t = op.results[0].type
        if _int_width(t) == 1:
            r.assign(op, cast(f"{builtin}({signed(a, t)}, {signed(b, t)})", t))
        else:
            r.assign(op, wrap(f"{builtin}({a}, {b})", t))
    return render


def _uint_minmax(less: bool) -> Handler:
    def render(r: FunctionRenderer, op: Operation) -> None:
        a, b = r.operands(op)
        t = op.results[0].type
        symbol = "<" if less else ">"
        r.assign(op, f"{a} if {unsigned(a, t)} {symbol} {unsigned(b, t)} else {b}")
    return render


def _float_binary(symbol: str) -> Handler:
    def render(r: FunctionRenderer, op: Operation) -> None:
        a, b = r.operands(op)
        r.assign(op, f"{a} {symbol} {b}")
    return render


def _float_helper(helper: str) -> Handler:
    def render(r: FunctionRenderer, op: Operation) -> None:
        a, b = r.operands(op)
        r.assign(op, f"{r.helper(helper)}({a}, {b})")
    return render


def _negf(r: FunctionRenderer, op: arith.NegfOp) -> None:
    r.assign(op, f"-{r.name(op.operand)}")


_CMPI = {"eq": "==", "ne": "!=", "slt": "<", "sle": "<=", "sgt": ">", "sge": ">=",
         "ult": "<", "ule": "<=", "ugt": ">", "uge": ">="}


def _cmpi(r: FunctionRenderer, op: arith.CmpiOp) -> None:
    a, b = r.operands(op)
    t = op.lhs.type
    predicate = arith.CMPI_COMPARISON_OPERATIONS[op.predicate.value.data]
    if predicate.startswith("u"):
        a, b = unsigned(a, t), unsigned(b, t)
    elif predicate.startswith("s"):
        a, b = signed(a, t), signed(b, t)
    r.assign(op, f"{a} {_CMPI[predicate]} {b}")


#: cmpf predicate -> expression over a, b. Python's float comparisons are the ordered predicates
#: (false on NaN) except ``!=``, which is ``une``; the unordered ones negate the opposite ordered one.
_CMPF = {
    "false": "False", "oeq": "{a} == {b}", "ogt": "{a} > {b}", "oge": "{a} >= {b}", "olt": "{a} < {b}",
    "ole": "{a} <= {b}", "one": "({a} < {b}) | ({a} > {b})", "ord": "({a} == {a}) & ({b} == {b})",
    "ueq": "not (({a} < {b}) | ({a} > {b}))", "ugt": "not ({a} <= {b})", "uge": "not ({a} < {b})",
    "ult": "not ({a} >= {b})", "ule": "not ({a} > {b})", "une": "{a} != {b}",
    "uno": "({a} != {a}) | ({b} != {b})", "true": "True",
}


def _cmpf(r: FunctionRenderer, op: arith.CmpfOp) -> None:
    a, b = r.operands(op)
    predicate = arith.CMPF_COMPARISON_OPERATIONS[op.predicate.value.data]
    r.assign(op, _CMPF[predicate].format(a=a, b=b))


def _select(r: FunctionRenderer, op: arith.SelectOp) -> None:
    c, a, b = r.operands(op)
    r.assign(op, f"{a} if {c} else {b}")


def _int_to_float(is_unsigned: bool) -> Handler:
    def render(r: FunctionRenderer, op: Operation) -> None:
        (a,) = r.operands(op)
        src = op.operands[0].type
        value = unsigned(a, src) if is_unsigned else signed(a, src)
        r.assign(op, f"{np_type(op.results[0].type)}({value})")
    return render


def _fptosi(r: FunctionRenderer, op: arith.FPToSIOp) -> None:
    a = r.name(op.input)
    t = op.result.type
    r.assign(op, cast(f"np.int64({a})", t) if _int_width(t) == 1 else f"{np_type(t)}({a})")


def _fptoui(r: FunctionRenderer, op: arith.FPToUIOp) -> None:
    t = op.result.type
    r.assign(op, cast(f"{_uint_type(t)}({r.name(op.input)})", t))


def _int_resize(is_unsigned: bool) -> Handler:
    """extsi / extui / trunci / index_cast: read the operand signed (or unsigned), then convert."""
    def render(r: FunctionRenderer, op: Operation) -> None:
        (a,) = r.operands(op)
        src, dst = op.operands[0].type, op.results[0].type
        if np_type(src) == np_type(dst):
            r.assign(op, a)
            return
        value = unsigned(a, src) if is_unsigned else signed(a, src)
        r.assign(op, cast(value, dst))
    return render


def _float_resize(r: FunctionRenderer, op: Operation) -> None:
    r.assign(op, f"{np_type(op.results[0].type)}({r.name(op.operands[0])})")


# --------------------------------------------------------------------------------------------
# math
# --------------------------------------------------------------------------------------------

def _float_call(function: str) -> Handler:
    """A float function of the operands; f32 results are cast back (numba may compute in f64)."""
    def render(r: FunctionRenderer, op: Operation) -> None:
        args = ", ".join(r.operands(op))
        t = op.results[0].type
        expr = f"{function}({args})"
        r.assign(op, f"np.float32({expr})" if isinstance(t, Float32Type) else expr)
    return render


def _rsqrt(r: FunctionRenderer, op: mathd.RsqrtOp) -> None:
    expr = f"1.0 / math.sqrt({r.name(op.operand)})"
    r.assign(op, f"np.float32({expr})" if isinstance(op.result.type, Float32Type) else expr)


def _fpowi(r: FunctionRenderer, op: mathd.FPowIOp) -> None:
    a, n = r.operands(op)
    expr = f"{a} ** np.int64({signed(n, op.operands[1].type)})"
    r.assign(op, f"np.float32({expr})" if isinstance(op.result.type, Float32Type) else expr)


def _ipowi(r: FunctionRenderer, op: mathd.IPowIOp) -> None:
    a, n = r.operands(op)
    t = op.result.type
    r.assign(op, wrap(f"{r.helper('_ircc_ipowi')}({signed(a, t)}, {signed(n, t)})", t))


def _absi(r: FunctionRenderer, op: mathd.AbsIOp) -> None:
    t = op.result.type
    a = r.name(op.operand)
    r.assign(op, a if _int_width(t) == 1 else wrap(f"abs({a})", t))


def _round(r: FunctionRenderer, op: mathd.RoundOp) -> None:
    expr = f"{r.helper('_ircc_round')}({r.name(op.operand)})"
    r.assign(op, f"{np_type(op.result.type)}({expr})")


def _fma(r: FunctionRenderer, op: mathd.FmaOp) -> None:
    a, b, c = r.operands(op)
    if isinstance(op.result.type, Float32Type):
        # the f32 product is exact in f64, leaving one f64 rounding before the f32 one
        r.assign(op, f"np.float32(np.float64({a}) * np.float64({b}) + np.float64({c}))")
    else:
        r.assign(op, f"{a} * {b} + {c}")


# --------------------------------------------------------------------------------------------
# memref
# --------------------------------------------------------------------------------------------

def _alloc(r: FunctionRenderer, op: memref.AllocOp | memref.AllocaOp) -> None:
    t = op.memref.type
    assert isinstance(t, MemRefType)
    dynamic = iter(r.name(v) for v in op.dynamic_sizes)
    dims = [next(dynamic) if d < 0 else str(d) for d in t.get_shape()]
    shape = "()" if not dims else f"({dims[0]},)" if len(dims) == 1 else f"({', '.join(dims)})"
    r.assign(op, f"np.empty({shape}, {np_type(t.element_type)})")


def _dealloc(r: FunctionRenderer, op: memref.DeallocOp) -> None:
    r.emit(f"pass  # memref.dealloc {r.name(op.memref)}: numpy frees the array when it is unreachable")


def _dim(r: FunctionRenderer, op: memref.DimOp) -> None:
    index = op.index
    owner = index.owner
    if isinstance(owner, arith.ConstantOp) and isinstance(owner.value, IntegerAttr):
        r.assign(op, f"{r.name(op.source)}.shape[{owner.value.value.data}]")
    else:
        r.assign(op, f"{r.name(op.source)}.shape[{r.name(index)}]")


def _subscript(r: FunctionRenderer, indices: Any) -> str:
    names = [r.name(v) for v in indices]
    return ", ".join(names) if names else "()"


def _load(r: FunctionRenderer, op: memref.LoadOp) -> None:
    r.assign(op, f"{r.name(op.memref)}[{_subscript(r, op.indices)}]")


def _store(r: FunctionRenderer, op: memref.StoreOp) -> None:
    r.emit(f"{r.name(op.memref)}[{_subscript(r, op.indices)}] = {r.name(op.value)}")


def _copy(r: FunctionRenderer, op: memref.CopyOp) -> None:
    r.emit(f"{r.name(op.destination)}[...] = {r.name(op.source)}")


# --------------------------------------------------------------------------------------------
# func
# --------------------------------------------------------------------------------------------

def _call(r: FunctionRenderer, op: func.CallOp) -> None:
    callee = op.callee.string_value()
    if callee not in r.module.py_names:
        raise r.error(op, f"func.call @{callee}: the numba backend can call only functions defined with a "
                          "body in the same module")
    serial = (r.serial or r.parallel_depth > 0) and callee in r.module.serial_names
    target = r.module.serial_names[callee] if serial else r.module.py_names[callee]
    call = f"{target}({', '.join(r.operands(op))})"
    if not op.res:
        r.emit(call)
    else:
        targets = [r.define(v, op) for v in op.res]
        r.emit(f"{', '.join(targets)} = {call}")


def _return(r: FunctionRenderer, op: func.ReturnOp) -> None:
    values = r.operands(op)
    r.emit(f"return {', '.join(values)}" if values else "return")


# --------------------------------------------------------------------------------------------
# scf
# --------------------------------------------------------------------------------------------

def _range_args(r: FunctionRenderer, lb: SSAValue, ub: SSAValue, step: SSAValue) -> str:
    if _is_constant(step, 1):
        return f"{r.name(lb)}, {r.name(ub)}"
    return f"{r.name(lb)}, {r.name(ub)}, {r.name(step)}"


def _for(r: FunctionRenderer, op: scf.ForOp) -> None:
    block = op.body.block
    iv, carried = block.args[0], block.args[1:]
    carried_names = [r.define(a, op) for a in carried]
    r.assign_many(carried_names, [r.name(v) for v in op.iter_args])
    bounds = _range_args(r, op.lb, op.ub, op.step)
    if _int_width(iv.type) == 64:
        header = f"for {r.define(iv, op)} in range({bounds}):"
        convert = None
    else:  # an iN induction variable: count in int64, convert at the top of the body
        counter = r.derived(iv, "k")
        header = f"for {counter} in range({bounds}):"
        convert = f"{r.define(iv, op)} = {np_type(iv.type)}({counter})"
    with r.nested(header):
        if convert:
            r.emit(convert)
        yield_op = r.render_ops(block)
        assert isinstance(yield_op, scf.YieldOp), f"scf.for body must end in scf.yield, got {yield_op}"
        r.assign_many(carried_names, r.operands(yield_op))
    for res, name in zip(op.res, carried_names, strict=True):
        r.emit(f"{r.define(res, op)} = {name}")


def _if(r: FunctionRenderer, op: scf.IfOp) -> None:
    results = [r.define(v, op) for v in op.output]

    def branch(region: Region) -> None:
        yield_op = r.render_ops(region.block)
        if results:
            assert isinstance(yield_op, scf.YieldOp), f"scf.if region must end in scf.yield, got {yield_op}"
            r.assign_many(results, r.operands(yield_op))

    with r.nested(f"if {r.name(op.cond)}:"):
        branch(op.true_region)
    if op.false_region.blocks and (results or _has_statements(op.false_region.block)):
        with r.nested("else:"):
            branch(op.false_region)


def _has_statements(block: Block) -> bool:
    return any(not isinstance(o, scf.YieldOp) for o in block.ops)


def _while(r: FunctionRenderer, op: scf.WhileOp) -> None:
    before, after = op.before_region.block, op.after_region.block
    carried = [r.define(a, op) for a in before.args]
    r.assign_many(carried, r.operands(op))
    results = [r.define(v, op) for v in op.res]
    with r.nested("while True:"):
        condition = r.render_ops(before)
        assert isinstance(condition, scf.ConditionOp), f"scf.while must end in scf.condition, got {condition}"
        # the results are the condition's values when it fails; assign them first, then test
        r.assign_many(results, [r.name(v) for v in condition.args])
        with r.nested(f"if not {r.name(condition.condition)}:"):
            r.emit("break")
        for arg, value in zip(after.args, results, strict=True):
            r.bind(arg, value)
        yield_op = r.render_ops(after)
        assert isinstance(yield_op, scf.YieldOp), f"scf.while body must end in scf.yield, got {yield_op}"
        r.assign_many(carried, r.operands(yield_op))


# ---- scf.parallel -----------------------------------------------------------------------------

def native_reduction(region: Region, t: Attribute) -> str | None:
    """``+``, ``*``, ``min`` or ``max`` when ``region`` is one such op on its two arguments and numba
    reduces it exactly; None when the region needs the general per-chunk combination."""
    block = region.block
    ops = list(block.ops)
    if len(ops) != 2 or not isinstance(ops[1], scf.ReduceReturnOp):
        return None
    combine, ret = ops
    if ret.operands[0] is not combine.results[0] or set(combine.operands) != set(block.args) \
            or len(combine.operands) != 2 or block.args[0] is block.args[1]:
        return None
    if _is_float(t):
        table: dict[type[Operation], str] = {arith.AddfOp: "+", arith.MulfOp: "*"}
    elif _int_width(t) in (8, 16, 32, 64):
        table = {arith.AddiOp: "+", arith.MuliOp: "*", arith.MinSIOp: "min", arith.MaxSIOp: "max"}
    else:
        return None
    return table.get(type(combine))


def _parallel(r: FunctionRenderer, op: scf.ParallelOp) -> None:
    r.uses_prange = r.uses_prange or not r.serial
    block = op.body.block
    reduce_op = block.last_op
    assert isinstance(reduce_op, scf.ReduceOp), f"scf.parallel body must end in scf.reduce, got {reduce_op}"
    kinds = [native_reduction(region, v.type) for region, v in zip(reduce_op.reductions, op.res, strict=True)]
    r.parallel_depth += 1
    if all(k is not None for k in kinds):
        _parallel_native(r, op, [k for k in kinds if k is not None])
    else:
        _parallel_chunked(r, op)
    r.parallel_depth -= 1


def _render_parallel_body(r: FunctionRenderer, op: scf.ParallelOp,
                          on_reduce: Callable[[scf.ReduceOp], None]) -> None:
    """Serial loops for the dimensions after the first, the body inside, ``on_reduce`` at its scf.reduce."""
    ivs = op.body.block.args
    opened = []
    for d in range(1, len(ivs)):
        nest = r.nested(f"for {r.define(ivs[d], op)} in "
                        f"range({_range_args(r, op.lowerBound[d], op.upperBound[d], op.step[d])}):")
        nest.__enter__()
        opened.append(nest)
    reduce_op = r.render_ops(op.body.block)
    assert isinstance(reduce_op, scf.ReduceOp), f"scf.parallel body must end in scf.reduce, got {reduce_op}"
    on_reduce(reduce_op)
    for nest in reversed(opened):
        nest.__exit__(None, None, None)


def _trip_count(r: FunctionRenderer, op: scf.ParallelOp) -> str:
    lb, ub, step = r.name(op.lowerBound[0]), r.name(op.upperBound[0]), r.name(op.step[0])
    if _is_constant(op.step[0], 1):
        return f"{ub} - {lb}"
    return f"({ub} - {lb} + {step} - 1) // {step}"


def _parallel_native(r: FunctionRenderer, op: scf.ParallelOp, kinds: list[str]) -> None:
    """The first dimension as a prange, reductions as ``acc += v`` / ``acc = min(acc, v)``."""
    iv0 = op.body.block.args[0]
    accs = [r.derived(v, "acc") for v in op.res]
    r.emit(f"# scf.parallel: {r.prange} over the first dimension"
           + (f", reductions {', '.join(kinds)}" if kinds else ""))
    r.assign_many(accs, [r.name(v) for v in op.initVals])

    def on_reduce(reduce_op: scf.ReduceOp) -> None:
        for acc, kind, value in zip(accs, kinds, r.operands(reduce_op), strict=True):
            r.emit(f"{acc} = {kind}({acc}, {value})" if kind in ("min", "max") else f"{acc} {kind}= {value}")

    if _is_constant(op.step[0], 1):
        bounds = f"{r.name(op.lowerBound[0])}, {r.name(op.upperBound[0])}"
        header = f"for {r.define(iv0, op)} in {r.prange}({bounds}):"
        first = None
    else:
        counter = r.derived(iv0, "k")
        header = f"for {counter} in {r.prange}({_trip_count(r, op)}):"
        first = f"{r.define(iv0, op)} = {r.name(op.lowerBound[0])} + {counter} * {r.name(op.step[0])}"
    with r.nested(header):
        if first:
            r.emit(first)
        _render_parallel_body(r, op, on_reduce)
    for res, acc in zip(op.res, accs, strict=True):
        r.emit(f"{r.define(res, op)} = {wrap(acc, res.type) if _int_width(res.type) else acc}")


def _combine(r: FunctionRenderer, region: Region, lhs: str, rhs: str, suffix: str) -> str:
    """Render a reduction region inline on ``lhs`` and ``rhs``; returns the name of its result."""
    block = region.block
    r.bind(block.args[0], lhs)
    r.bind(block.args[1], rhs)
    saved, r.suffix = r.suffix, suffix
    for inner in block.ops:
        if isinstance(inner, scf.ReduceReturnOp):
            r.suffix = saved
            return r.name(inner.result)
        handler = HANDLERS.get(type(inner))
        if handler is None:
            raise r.error(inner, f"the numba backend accepts only {ACCEPTED}; found '{inner.name}'")
        handler(r, inner)
    raise AssertionError(f"scf.reduce region without scf.reduce.return: {region}")


def _parallel_chunked(r: FunctionRenderer, op: scf.ParallelOp) -> None:
    """A prange over chunks of the first dimension: each chunk combines its own values with the
    reduction regions, then the chunks' partial results are combined serially with the init values."""
    first = op.res[0]
    n, chunks, chunk, have, have_c = (r.derived(first, t) for t in ("n", "chunks", "c", "have", "have_c"))
    partials = [r.derived(v, "p") for v in op.res]
    parts = [r.derived(v, "parts") for v in op.res]
    inits = [r.name(v) for v in op.initVals]
    r.emit(f"# scf.parallel: {r.prange} over chunks of the first dimension; each chunk reduces its own")
    r.emit("# iterations, then the chunks are combined in order (the reduction is not one numba recognizes)")
    r.emit(f"{n} = max({_trip_count(r, op)}, 0)")
    r.emit(f"{chunks} = max(min({n}, numba.get_num_threads()), 1)")
    for part, res in zip(parts, op.res, strict=True):
        r.emit(f"{part} = np.empty({chunks}, {np_type(res.type)})")
    r.emit(f"{have} = np.zeros({chunks}, np.bool_)")
    iv0 = op.body.block.args[0]
    counter = r.derived(iv0, "k")
    reduce_region = op.body.block.last_op
    assert isinstance(reduce_region, scf.ReduceOp)

    def on_reduce(reduce_op: scf.ReduceOp) -> None:
        values = r.operands(reduce_op)
        with r.nested(f"if {have_c}:"):
            combined = [_combine(r, region, p, v, "")
                        for region, p, v in zip(reduce_op.reductions, partials, values, strict=True)]
            r.assign_many(partials, combined)
        with r.nested("else:"):
            r.assign_many(partials, values)
        r.emit(f"{have_c} = True")

    with r.nested(f"for {chunk} in {r.prange}({chunks}):"):
        r.emit(f"{have_c} = False")
        r.assign_many(partials, inits)
        with r.nested(f"for {counter} in range({chunk} * {n} // {chunks}, ({chunk} + 1) * {n} // {chunks}):"):
            scaled = counter if _is_constant(op.step[0], 1) else f"{counter} * {r.name(op.step[0])}"
            r.emit(f"{r.define(iv0, op)} = {r.name(op.lowerBound[0])} + {scaled}")
            _render_parallel_body(r, op, on_reduce)
        for part, p in zip(parts, partials, strict=True):
            r.emit(f"{part}[{chunk}] = {p}")
        r.emit(f"{have}[{chunk}] = {have_c}")
    results = [r.define(v, op) for v in op.res]
    r.assign_many(results, inits)
    with r.nested(f"for {chunk} in range({chunks}):"), r.nested(f"if {have}[{chunk}]:"):
        combined = [_combine(r, region, res, f"{part}[{chunk}]", "c")
                    for region, res, part in zip(reduce_region.reductions, results, parts, strict=True)]
        r.assign_many(results, combined)


# --------------------------------------------------------------------------------------------
# The op table
# --------------------------------------------------------------------------------------------

HANDLERS: dict[type[Operation], Handler] = {
    # arith: integers
    arith.ConstantOp: _constant,
    arith.AddiOp: _int_binary("+"),
    arith.SubiOp: _int_binary("-"),
    arith.MuliOp: _int_binary("*"),
    arith.AndIOp: _int_binary("&"),
    arith.OrIOp: _int_binary("|"),
    arith.XOrIOp: _int_binary("^"),
    arith.ShLIOp: _int_binary("<<"),
    arith.ShRSIOp: _int_binary(">>"),
    arith.FloorDivSIOp: _int_binary("//"),
    arith.ShRUIOp: _int_unsigned_binary(">>"),
    arith.DivUIOp: _int_unsigned_binary("//"),
    arith.RemUIOp: _int_unsigned_binary("%"),
    arith.DivSIOp: _int_helper("_ircc_divsi"),
    arith.RemSIOp: _int_helper("_ircc_remsi"),
    arith.CeilDivSIOp: _int_helper("_ircc_ceildivsi"),
    arith.CeilDivUIOp: _int_helper("_ircc_ceildivui", unsigned_operands=True),
    arith.MinSIOp: _int_minmax("min"),
    arith.MaxSIOp: _int_minmax("max"),
    arith.MinUIOp: _uint_minmax(less=True),
    arith.MaxUIOp: _uint_minmax(less=False),
    arith.CmpiOp: _cmpi,
    # arith: floats
    arith.AddfOp: _float_binary("+"),
    arith.SubfOp: _float_binary("-"),
    arith.MulfOp: _float_binary("*"),
    arith.DivfOp: _float_binary("/"),
    arith.NegfOp: _negf,
    arith.MaximumfOp: _float_helper("_ircc_maximumf"),
    arith.MinimumfOp: _float_helper("_ircc_minimumf"),
    arith.MaxnumfOp: _float_helper("_ircc_maxnumf"),
    arith.MinnumfOp: _float_helper("_ircc_minnumf"),
    arith.CmpfOp: _cmpf,
    arith.SelectOp: _select,
    # arith: casts
    arith.SIToFPOp: _int_to_float(is_unsigned=False),
    arith.UIToFPOp: _int_to_float(is_unsigned=True),
    arith.FPToSIOp: _fptosi,
    arith.FPToUIOp: _fptoui,
    arith.IndexCastOp: _int_resize(is_unsigned=False),
    arith.ExtSIOp: _int_resize(is_unsigned=False),
    arith.ExtUIOp: _int_resize(is_unsigned=True),
    arith.TruncIOp: _int_resize(is_unsigned=False),
    arith.ExtFOp: _float_resize,
    arith.TruncFOp: _float_resize,
    # math
    mathd.ExpOp: _float_call("math.exp"),
    mathd.Exp2Op: _float_call("np.exp2"),
    mathd.ExpM1Op: _float_call("math.expm1"),
    mathd.LogOp: _float_call("math.log"),
    mathd.Log2Op: _float_call("math.log2"),
    mathd.Log10Op: _float_call("math.log10"),
    mathd.Log1pOp: _float_call("math.log1p"),
    mathd.SqrtOp: _float_call("math.sqrt"),
    mathd.RsqrtOp: _rsqrt,
    mathd.CbrtOp: _float_call("np.cbrt"),
    mathd.SinOp: _float_call("math.sin"),
    mathd.CosOp: _float_call("math.cos"),
    mathd.TanOp: _float_call("math.tan"),
    mathd.AsinOp: _float_call("math.asin"),
    mathd.AcosOp: _float_call("math.acos"),
    mathd.AtanOp: _float_call("math.atan"),
    mathd.Atan2Op: _float_call("math.atan2"),
    mathd.SinhOp: _float_call("math.sinh"),
    mathd.CoshOp: _float_call("math.cosh"),
    mathd.TanhOp: _float_call("math.tanh"),
    mathd.AsinhOp: _float_call("math.asinh"),
    mathd.AcoshOp: _float_call("math.acosh"),
    mathd.AtanhOp: _float_call("math.atanh"),
    mathd.ErfOp: _float_call("math.erf"),
    mathd.PowFOp: _float_call("math.pow"),
    mathd.FPowIOp: _fpowi,
    mathd.IPowIOp: _ipowi,
    mathd.AbsFOp: _float_call("abs"),
    mathd.AbsIOp: _absi,
    mathd.FloorOp: _float_call("np.floor"),
    mathd.CeilOp: _float_call("np.ceil"),
    mathd.TruncOp: _float_call("np.trunc"),
    mathd.RoundEvenOp: _float_call("np.rint"),
    mathd.RoundOp: _round,
    mathd.CopySignOp: _float_call("np.copysign"),
    mathd.FmaOp: _fma,
    # memref
    memref.AllocOp: _alloc,
    memref.AllocaOp: _alloc,
    memref.DeallocOp: _dealloc,
    memref.DimOp: _dim,
    memref.LoadOp: _load,
    memref.StoreOp: _store,
    memref.CopyOp: _copy,
    # func
    func.CallOp: _call,
    func.ReturnOp: _return,
    # scf (yield / condition / reduce are rendered by their parent)
    scf.ForOp: _for,
    scf.IfOp: _if,
    scf.WhileOp: _while,
    scf.ParallelOp: _parallel,
}
if hasattr(mathd, "ErfcOp"):  # not in xDSL 0.75
    HANDLERS[mathd.ErfcOp] = _float_call("math.erfc")


# --------------------------------------------------------------------------------------------
# Modules
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RenderedFunction:
    symbol: str  # the func.func's sym_name
    py_name: str  # its name in the generated module
    parallel: bool  # it contains a numba.prange (compile with parallel=True)
    runs_parallel: bool  # it or a function it calls contains a numba.prange (set the thread count)
    entry: bool  # an entry point (False for the serial copy of a function)


@dataclass(frozen=True)
class RenderedModule:
    source: str
    functions: tuple[RenderedFunction, ...]  # callees before callers
    helpers: tuple[str, ...]

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
        if not isinstance(op, func.FuncOp):
            raise BackendError(f"the numba backend accepts only {ACCEPTED}; found '{op.name}' at "
                               f"{describe_location(op)} (at the top level of the module)")
    functions = [op for op in module.ops if isinstance(op, func.FuncOp) and op.body.blocks]
    py_names = python_names([f.sym_name.data for f in functions])
    parallel = _runs_parallel(functions)
    serial_names = {s: "s" + py_names[s][1:] for s in sorted(_needs_serial_copy(functions, parallel))}
    shared = ModuleRenderer(py_names, serial_names)
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
    symbols = ", ".join(f"@{f.symbol}" for f in rendered if f.entry) or "(no functions)"
    header = (
        f"# Generated by ircc's numba backend from func.func {symbols}.\n"
        "# One Python function per func.func (callees first), one statement per op; SSA values are\n"
        "# named v<N>[_<hint>]. Every function is compiled with numba.njit.\n"
        "import math\n\n"
        "import numba\n"
        "import numpy as np\n"
    )
    parts = [header]
    parts += [HELPERS[name].strip("\n") + "\n" for name in helpers]
    parts += ["\n".join(body) + "\n" for body in bodies]
    return RenderedModule("\n\n".join(parts), tuple(rendered), helpers)
