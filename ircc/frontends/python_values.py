"""Values of the Python frontend and the emitter's basic tools: appending ops, constants, conversions.

A value is a ``Val`` (one SSA value: a scalar, or a memref for an array), a ``TupleVal`` or a
``ViewVal`` (an array with some leading indices fixed). Carried through loops and branches, a value
is flattened to its SSA leaves (``leaves``) and rebuilt from block arguments or results (``rebuild``).
An array value remembers its *roots*: the allocations (or the arguments) its memory comes from, so
the emitter knows what to free and what a function returns.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from xdsl.dialects import arith, memref
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    FileLineColLoc,
    FloatAttr,
    IndexType,
    IntAttr,
    IntegerAttr,
    StringAttr,
)
from xdsl.ir import Attribute, Block, Operation, SSAValue

from ircc.errors import SourceError
from ircc.frontends.python_types import BOOL, F32, F64, I32, I64, Array, PyType, Scalar, Tuple, View, unify

INDEX = IndexType()


@dataclass(frozen=True)
class Val:
    type: Scalar | Array
    ssa: SSAValue
    roots: frozenset = frozenset()  # arrays: allocation SSA values and ("arg", k) it may come from


@dataclass(frozen=True)
class TupleVal:
    type: Tuple
    items: tuple[Value, ...]


@dataclass(frozen=True)
class ViewVal:
    type: View
    base: Val
    indices: tuple[SSAValue, ...]  # index-typed


Value = Val | TupleVal | ViewVal


def leaf_types(t: PyType) -> list[Attribute]:
    if isinstance(t, (Scalar, Array)):
        return [t.ir]
    if isinstance(t, View):
        return [t.base.ir] + [INDEX] * t.fixed
    return [a for item in t.items for a in leaf_types(item)]


def leaves(v: Value) -> list[SSAValue]:
    if isinstance(v, Val):
        return [v.ssa]
    if isinstance(v, ViewVal):
        return [v.base.ssa, *v.indices]
    return [s for item in v.items for s in leaves(item)]


def array_leaves(v: Value) -> list[Val]:
    """The array values inside ``v`` (in leaf order)."""
    if isinstance(v, Val):
        return [v] if isinstance(v.type, Array) else []
    if isinstance(v, ViewVal):
        return [v.base]
    return [a for item in v.items for a in array_leaves(item)]


def array_count(t: PyType) -> int:
    if isinstance(t, (Array, View)):
        return 1
    if isinstance(t, Tuple):
        return sum(array_count(i) for i in t.items)
    return 0


def rebuild(t: PyType, ssa: list[SSAValue], roots: list[frozenset]) -> Value:
    """A value of type ``t`` from its leaves (``roots``: one set per array leaf, in order)."""
    it, rit = iter(ssa), iter(roots)

    def build(t: PyType) -> Value:
        if isinstance(t, Scalar):
            return Val(t, next(it))
        if isinstance(t, Array):
            return Val(t, next(it), next(rit))
        if isinstance(t, View):
            base = Val(t.base, next(it), next(rit))
            return ViewVal(t, base, tuple(next(it) for _ in range(t.fixed)))
        return TupleVal(t, tuple(build(item) for item in t.items))

    return build(t)


@dataclass
class Source:
    """Where a function's text lives, to turn AST positions into ``file:line:col``."""

    filename: str
    first_line: int  # file line of the first line of the parsed text
    indent: int  # columns removed by dedent
    lines: list[str] = field(default_factory=list)  # the file's lines from first_line on

    def error(self, node: ast.AST | None, msg: str, note: str = "") -> SourceError:
        if node is None or not hasattr(node, "lineno"):
            return SourceError(self.filename, self.first_line, 1, msg, note=note)
        line = self.first_line + node.lineno - 1
        col = node.col_offset + self.indent + 1
        text = self.lines[node.lineno - 1] if node.lineno - 1 < len(self.lines) else ""
        end = getattr(node, "end_col_offset", None)
        length = (end - node.col_offset) if end is not None and getattr(node, "end_lineno", 0) == node.lineno else 1
        return SourceError(self.filename, line, col, msg, text, length=length, note=note)

    def location(self, node: ast.AST) -> FileLineColLoc:
        return FileLineColLoc(StringAttr(self.filename), IntAttr(self.first_line + node.lineno - 1),
                              IntAttr(node.col_offset + self.indent + 1))


class Restart(Exception):  # noqa: N818 - control flow, not an error
    """A variable needs a wider type than its earlier assignments gave it: emit the function again."""

    def __init__(self, name: str, type: PyType):
        super().__init__(name)
        self.name, self.type = name, type


class EmitterBase:
    """Appending ops at the current block with the current location; constants and conversions."""

    source: Source
    block: Block
    loc: FileLineColLoc | None = None
    node: ast.AST | None = None

    def error(self, node: ast.AST | None, msg: str, note: str = "") -> SourceError:
        return self.source.error(node if node is not None else self.node, msg, note)

    def add(self, op: Operation) -> Operation:
        self.block.add_op(op)
        if self.loc is not None:
            op.location = self.loc
        return op

    def value(self, op: Operation) -> SSAValue:
        return self.add(op).results[0]

    # -- constants ------------------------------------------------------------------------
    def const(self, value: Any, t: Scalar) -> Val:
        if t.is_float:
            attr: Attribute = FloatAttr(float(value), t.ir)
        elif t.is_bool:
            attr = IntegerAttr(1 if value else 0, t.ir)
        else:
            attr = IntegerAttr(int(value), t.ir)
        return Val(t, self.value(arith.ConstantOp(attr)))

    def index_const(self, value: int) -> SSAValue:
        return self.value(arith.ConstantOp(IntegerAttr(value, INDEX)))

    @staticmethod
    def const_of(v: Value | SSAValue) -> Any:
        """The Python value of a constant scalar, else None."""
        ssa = v.ssa if isinstance(v, Val) else v
        if not isinstance(ssa, SSAValue):
            return None
        owner = ssa.owner
        if isinstance(owner, arith.ConstantOp):
            attr = owner.value
            if isinstance(attr, FloatAttr):
                return attr.value.data
            if isinstance(attr, IntegerAttr):
                data = attr.value.data
                if isinstance(attr.type, IndexType) or attr.type.width.data > 1:
                    return data
                return bool(data & 1)
        return None

    # -- conversions ----------------------------------------------------------------------
    def convert(self, v: Val, to: Scalar) -> Val:
        """``v`` as a ``to``: widening, int/float conversions (float to int truncates), truthiness to bool."""
        src = v.type
        assert isinstance(src, Scalar), src
        if src == to:
            return v
        c = self.const_of(v)
        if c is not None and not (to.is_int and src.is_float):
            return self.const(bool(c) if to.is_bool else float(c) if to.is_float else int(c), to)
        if to.is_bool:
            return self.truthy(v)
        if src.is_bool:
            op = arith.UIToFPOp(v.ssa, to.ir) if to.is_float else arith.ExtUIOp(v.ssa, to.ir)
        elif src.is_int and to.is_int:
            op = arith.ExtSIOp(v.ssa, to.ir) if to == I64 else arith.TruncIOp(v.ssa, to.ir)
        elif src.is_int:
            op = arith.SIToFPOp(v.ssa, to.ir)
        elif to.is_int:
            op = arith.FPToSIOp(v.ssa, to.ir)
        else:
            op = arith.ExtFOp(v.ssa, to.ir) if to == F64 else arith.TruncFOp(v.ssa, to.ir)
        return Val(to, self.value(op))

    def truthy(self, v: Val) -> Val:
        t = v.type
        if not isinstance(t, Scalar):
            raise self.error(None, f"a {t} has no truth value here; compare it explicitly")
        if t.is_bool:
            return v
        zero = self.const(0, t)
        if t.is_float:
            return Val(BOOL, self.value(arith.CmpfOp(v.ssa, zero.ssa, "une")))
        return Val(BOOL, self.value(arith.CmpiOp(v.ssa, zero.ssa, "ne")))

    def coerce(self, v: Value, t: PyType, node: ast.AST | None, what: str) -> Value:
        """``v`` converted to the (wider or equal) type ``t``; an error when the kinds differ."""
        if v.type == t:
            return v
        if isinstance(v, Val) and isinstance(v.type, Scalar) and isinstance(t, Scalar):
            return self.convert(v, t)
        if isinstance(v, TupleVal) and isinstance(t, Tuple) and len(t.items) == len(v.items):
            return TupleVal(t, tuple(self.coerce(x, tt, node, what) for x, tt in zip(v.items, t.items)))
        if isinstance(v, Val) and isinstance(v.type, Array) and isinstance(t, Array) and unify(v.type, t) == t:
            cast = memref.CastOp.get(v.ssa, t.ir)
            return Val(t, self.value(cast), v.roots)
        raise self.error(node, f"{what} is a {t} elsewhere in this function but a {v.type} here; a variable keeps "
                               f"one type in a compiled function (use another name)")

    def placeholder(self, t: PyType) -> Value:
        """Some value of type ``t`` for a path that never uses it (after a return or break)."""
        if isinstance(t, Scalar):
            return self.const(0, t)
        if isinstance(t, Array):
            zeros = [self.index_const(0)] * t.ndim
            alloc = memref.AllocaOp.get(t.dtype.ir, shape=[DYNAMIC_INDEX] * t.ndim, dynamic_sizes=zeros)
            v = Val(Array(t.dtype, t.ndim), self.value(alloc), frozenset({"dummy"}))
            return self.coerce(v, t, None, "a placeholder")
        if isinstance(t, View):
            base = self.placeholder(t.base)
            return ViewVal(t, base, tuple(self.index_const(0) for _ in range(t.fixed)))  # type: ignore[arg-type]
        return TupleVal(t, tuple(self.placeholder(item) for item in t.items))


NUMERIC = (BOOL, I32, I64, F32, F64)
NOT_STATIC = object()  # static_object(): the expression is not a compile-time Python object
