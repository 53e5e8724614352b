"""A small structured builder for loop-level IR (arith / scf / memref), used by lowering passes.

``LoopBuilder`` appends ops before an insertion point (or at the end of a block) and gives loops and
branches as callbacks, so a lowering reads like the algorithm it emits::

    b = LoopBuilder.before(op)
    total = b.for_(b.index(0), n, [b.index(0)],
                   lambda b, i, acc: [b.add(acc, b.load_index(ptr, i))])[0]

Integer arithmetic is on ``index`` values (memory loads of i32/i64 are cast with ``load_index``);
``add``/``mul``/... pick the integer or float op from the operand type.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from xdsl.dialects import arith, math, memref, scf
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    FloatAttr,
    IndexType,
    IntegerAttr,
    IntegerType,
    MemRefType,
)
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue
from xdsl.rewriter import InsertPoint, Rewriter

INDEX = IndexType()
Body = Callable[..., Sequence[SSAValue] | None]


def _is_float(t: Attribute) -> bool:
    return not isinstance(t, (IntegerType, IndexType))


class LoopBuilder:
    def __init__(self, point: InsertPoint, location=None):
        self.point, self.location = point, location

    @staticmethod
    def before(op: Operation) -> LoopBuilder:
        return LoopBuilder(InsertPoint.before(op), op.location)

    @staticmethod
    def at_end(block: Block, location=None) -> LoopBuilder:
        return LoopBuilder(InsertPoint.at_end(block), location)

    def insert(self, op: Operation) -> Operation:
        Rewriter.insert_op(op, self.point)
        if self.location is not None:
            op.location = self.location
        return op

    def value(self, op: Operation) -> SSAValue:
        return self.insert(op).results[0]

    def _child(self, block: Block) -> LoopBuilder:
        return LoopBuilder(InsertPoint.at_end(block), self.location)

    # -- constants ------------------------------------------------------------------------
    def index(self, v: int) -> SSAValue:
        return self.value(arith.ConstantOp(IntegerAttr(v, INDEX)))

    def const(self, v: int | float | bool, t: Attribute) -> SSAValue:
        if _is_float(t):
            return self.value(arith.ConstantOp(FloatAttr(float(v), t)))
        if isinstance(t, IntegerType) and t.width.data == 1:
            return self.value(arith.ConstantOp(IntegerAttr(1 if v else 0, t)))
        return self.value(arith.ConstantOp(IntegerAttr(int(v), t)))

    # -- arithmetic -----------------------------------------------------------------------
    def _bin(self, ints: type, floats: type | None, a: SSAValue, b: SSAValue) -> SSAValue:
        if _is_float(a.type):
            assert floats is not None, f"{ints.__name__} has no float form"
            return self.value(floats(a, b))
        return self.value(ints(a, b))

    def add(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self._bin(arith.AddiOp, arith.AddfOp, a, b)

    def sub(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self._bin(arith.SubiOp, arith.SubfOp, a, b)

    def mul(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self._bin(arith.MuliOp, arith.MulfOp, a, b)

    def div_floor(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self.value(arith.FloorDivSIOp(a, b))

    def rem(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self.value(arith.RemUIOp(a, b))

    def and_(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self.value(arith.AndIOp(a, b))

    def or_(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self.value(arith.OrIOp(a, b))

    def xor(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self.value(arith.XOrIOp(a, b))

    def shr(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self.value(arith.ShRUIOp(a, b))

    def shl(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self.value(arith.ShLIOp(a, b))

    def cttz(self, a: SSAValue) -> SSAValue:
        """Trailing zero bits of an integer (its width for 0)."""
        return self.value(math.CountTrailingZerosOp(a))

    def min(self, a: SSAValue, b: SSAValue) -> SSAValue:
        if _is_float(a.type):
            return self.select(self.cmp("olt", b, a), b, a)
        return self.value(arith.MinSIOp(a, b))

    def max(self, a: SSAValue, b: SSAValue) -> SSAValue:
        if _is_float(a.type):
            return self.select(self.cmp("ogt", b, a), b, a)
        return self.value(arith.MaxSIOp(a, b))

    def cmp(self, pred: str, a: SSAValue, b: SSAValue) -> SSAValue:
        """``pred`` is MLIR's: slt, sle, eq, ne, ... for integers and index; olt, oeq, ... for floats."""
        if _is_float(a.type):
            return self.value(arith.CmpfOp(a, b, pred))
        return self.value(arith.CmpiOp(a, b, pred))

    def select(self, c: SSAValue, a: SSAValue, b: SSAValue) -> SSAValue:
        return self.value(arith.SelectOp(c, a, b))

    def cast(self, v: SSAValue, t: Attribute) -> SSAValue:
        """Integer width / index conversions (sign-extending) and int <-> float."""
        src = v.type
        if src == t:
            return v
        if isinstance(src, IndexType) or isinstance(t, IndexType):
            if _is_float(t) or _is_float(src):
                mid = self.cast(v, IntegerType(64))
                return self.cast(mid, t)
            return self.value(arith.IndexCastOp(v, t))
        if _is_float(src) and _is_float(t):
            wider = src.bitwidth < t.bitwidth  # type: ignore[attr-defined]
            return self.value(arith.ExtFOp(v, t) if wider else arith.TruncFOp(v, t))
        if _is_float(t):
            if src.width.data == 1:  # type: ignore[attr-defined]
                return self.value(arith.UIToFPOp(v, t))
            return self.value(arith.SIToFPOp(v, t))
        if _is_float(src):
            return self.value(arith.FPToSIOp(v, t))
        if src.width.data < t.width.data:  # type: ignore[attr-defined]
            op = arith.ExtUIOp if src.width.data == 1 else arith.ExtSIOp  # type: ignore[attr-defined]
            return self.value(op(v, t))
        return self.value(arith.TruncIOp(v, t))

    # -- memory ---------------------------------------------------------------------------
    def load(self, m: SSAValue, *idx: SSAValue) -> SSAValue:
        return self.value(memref.LoadOp.get(m, list(idx)))

    def load_index(self, m: SSAValue, *idx: SSAValue) -> SSAValue:
        return self.cast(self.load(m, *idx), INDEX)

    def store(self, v: SSAValue, m: SSAValue, *idx: SSAValue) -> None:
        t = m.type.element_type  # type: ignore[attr-defined]
        self.insert(memref.StoreOp.get(self.cast(v, t) if v.type != t else v, m, list(idx)))

    def atomic_add(self, v: SSAValue, m: SSAValue, *idx: SSAValue) -> SSAValue:
        """``memref.atomic_rmw addi``: adds v to the element and returns its old value (adding 0 is an
        atomic read)."""
        return self.value(memref.AtomicRMWOp(operands=[v, m, list(idx)], result_types=[v.type],
                                             properties={"kind": IntegerAttr(1, IntegerType(64))}))

    def dim(self, m: SSAValue, k: int) -> SSAValue:
        return self.value(memref.DimOp(m, self.index(k)))

    def alloc(self, element: Attribute, *sizes: SSAValue) -> SSAValue:
        return self.value(memref.AllocOp.get(element, shape=[DYNAMIC_INDEX] * len(sizes), dynamic_sizes=list(sizes)))

    def dealloc(self, m: SSAValue) -> None:
        self.insert(memref.DeallocOp.get(m))

    def fill(self, m: SSAValue, value: SSAValue, n: SSAValue) -> None:
        """``m[0:n] = value`` (1-D)."""
        self.for_(self.index(0), n, [], lambda b, i: b.store(value, m, i))

    # -- control flow -----------------------------------------------------------------------
    def for_(self, lo: SSAValue, hi: SSAValue, inits: Sequence[SSAValue], body: Body,
             step: SSAValue | None = None) -> list[SSAValue]:
        """``scf.for`` over [lo, hi); ``body(b, iv, *carried)`` returns the next carried values."""
        block = Block(arg_types=[lo.type] + [v.type for v in inits])
        out = _values(body(self._child(block), *block.args))
        self._child(block).insert(scf.YieldOp(*out))
        loop = scf.ForOp(lo, hi, step if step is not None else self.index(1), list(inits), Region(block))
        return list(self.insert(loop).results)

    def parallel(self, lo: SSAValue, hi: SSAValue, body: Callable[[LoopBuilder, SSAValue], None]) -> None:
        """``scf.parallel`` over [lo, hi) without reductions."""
        block = Block(arg_types=[INDEX])
        body(self._child(block), block.args[0])
        self._child(block).insert(scf.ReduceOp())
        self.insert(scf.ParallelOp([lo], [hi], [self.index(1)], Region(block)))

    def if_(self, cond: SSAValue, then: Body, orelse: Body | None = None,
            types: Sequence[Attribute] = ()) -> list[SSAValue]:
        """``scf.if``; each branch returns the values to yield (``types`` of the results)."""
        blocks = []
        for fn in (then, orelse):
            block = Block()
            out = _values(fn(self._child(block))) if fn is not None else []
            self._child(block).insert(scf.YieldOp(*out))
            blocks.append(block)
        return list(self.insert(scf.IfOp(cond, list(types), Region(blocks[0]), Region(blocks[1]))).results)

    def while_(self, inits: Sequence[SSAValue], cond: Callable[..., SSAValue], body: Body) -> list[SSAValue]:
        """``scf.while``: ``cond(b, *values)`` is the test, ``body(b, *values)`` the next values."""
        types = [v.type for v in inits]
        before, after = Block(arg_types=types), Block(arg_types=types)
        bb = self._child(before)
        bb.insert(scf.ConditionOp(cond(bb, *before.args), *before.args))
        ab = self._child(after)
        ab.insert(scf.YieldOp(*_values(body(ab, *after.args))))
        return list(self.insert(scf.WhileOp(list(inits), types, Region(before), Region(after))).results)


def _values(out) -> list[SSAValue]:
    """What a body callback returned, as the values to yield (anything but a list or tuple: none)."""
    return list(out) if isinstance(out, (list, tuple)) else []


def memref_1d(element: Attribute) -> MemRefType:
    return MemRefType(element, [DYNAMIC_INDEX])
