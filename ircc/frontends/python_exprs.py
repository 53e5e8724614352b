"""Expressions of the Python frontend: names, constants, arithmetic, comparisons, indexing, calls.

Python semantics are kept where they differ from C: ``//`` and ``%`` floor (the remainder takes the
divisor's sign), ``/`` is always true division, ``and`` / ``or`` short-circuit (``i < n and a[i] > 0``
never loads ``a[n]``), ``min`` / ``max`` return the first of equal arguments, ``a[-1]`` is the last
element. Integer ``//`` and ``%`` by zero give 0 (numba's ``error_model='numpy'``; compiled code
cannot raise); float division by zero gives inf or nan as in numpy.
"""

from __future__ import annotations

import ast
from typing import Any

from xdsl.dialects import arith, math, memref, scf
from xdsl.ir import Block, Region, SSAValue

from ircc.ir.dialects.arith_ext import RemFOp
from ircc.frontends.python_types import (
    BOOL,
    F64,
    I64,
    Array,
    Scalar,
    Tuple,
    View,
    arith_result,
    true_div_result,
    unify,
)
from ircc.frontends.python_values import INDEX, NOT_STATIC, EmitterBase, TupleVal, Val, Value, ViewVal

_SUPPORTED_EXPR = ("numbers, names, arithmetic (+ - * / // % ** and bit operators), comparisons, and/or/not, "
                   "x if c else y, tuples, array indexing a[i, j], len(), .shape, math / numpy scalar functions, "
                   "numpy.empty/zeros/ones, and calls of other @ircc.jit functions")

_INT_CMP = {ast.Lt: "slt", ast.LtE: "sle", ast.Gt: "sgt", ast.GtE: "sge", ast.Eq: "eq", ast.NotEq: "ne"}
_FLOAT_CMP = {ast.Lt: "olt", ast.LtE: "ole", ast.Gt: "ogt", ast.GtE: "oge", ast.Eq: "oeq", ast.NotEq: "une"}
_BINOP_NAMES = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%",
                ast.Pow: "**", ast.LShift: "<<", ast.RShift: ">>", ast.BitAnd: "&", ast.BitOr: "|",
                ast.BitXor: "^", ast.MatMult: "@"}


class ExprEmitter(EmitterBase):
    env: dict[str, Value]
    undefined: dict[str, str]
    lower: dict[SSAValue, int]  # known lower bounds of int64 values (loop variables), for a[i - 1]

    # -- entry ----------------------------------------------------------------------------
    def expr(self, node: ast.expr) -> Value:
        method = getattr(self, f"expr_{type(node).__name__}", None)
        if method is None:
            raise self.error(node, f"{_describe(node)} is not supported in compiled code",
                             note=f"supported: {_SUPPORTED_EXPR}")
        saved = self.node, self.loc
        self.node, self.loc = node, self.source.location(node)
        try:
            return method(node)
        finally:
            self.node, self.loc = saved

    def scalar(self, node: ast.expr, what: str = "this operand") -> Val:
        v = self.expr(node)
        if not (isinstance(v, Val) and isinstance(v.type, Scalar)):
            raise self.error(node, f"{what} must be a number, not a {v.type}")
        return v

    def integer(self, node: ast.expr, what: str) -> Val:
        v = self.scalar(node, what)
        if v.type.is_float:
            raise self.error(node, f"{what} must be an integer, not a {v.type}", note="convert with int(...)")
        return self.convert(v, I64)

    # -- leaves ---------------------------------------------------------------------------
    def expr_Constant(self, node: ast.Constant) -> Value:
        value = node.value
        if isinstance(value, bool):
            return self.const(value, BOOL)
        if isinstance(value, int):
            if not -2**63 <= value < 2**63:
                raise self.error(node, f"integer {value} does not fit in int64")
            return self.const(value, I64)
        if isinstance(value, float):
            return self.const(value, F64)
        raise self.error(node, f"a {type(value).__name__} constant is not supported in compiled code",
                         note="compiled functions compute with numbers, booleans, tuples and numpy arrays")

    def expr_Name(self, node: ast.Name) -> Value:
        name = node.id
        if name in self.env:
            return self.env[name]
        if name in self.undefined:
            raise self.error(node, f"'{name}' may be undefined here: {self.undefined[name]}",
                             note=f"assign '{name}' before the loop or branch")
        obj = self.lookup_global(node)
        return self.global_value(node, obj)

    def expr_Tuple(self, node: ast.Tuple) -> Value:
        items = tuple(self.expr(e) for e in node.elts)
        return TupleVal(Tuple(tuple(v.type for v in items)), items)

    def expr_Attribute(self, node: ast.Attribute) -> Value:
        static = self.static_object(node)
        if static is not NOT_STATIC:
            return self.global_value(node, static)
        base = self.expr(node.value)
        if isinstance(base, (Val, ViewVal)) and isinstance(base.type, (Array, View)):
            if node.attr == "shape":
                dims = [self.dim(base, d) for d in range(base.type.ndim)]
                return TupleVal(Tuple((I64,) * len(dims)), tuple(dims))
            if node.attr == "ndim":
                return self.const(base.type.ndim, I64)
            if node.attr == "size":
                total = self.const(1, I64)
                for d in range(base.type.ndim):
                    total = self.arith(ast.Mult(), total, self.dim(base, d), node)
                return total
            raise self.error(node, f"array attribute .{node.attr} is not supported",
                             note="arrays support .shape, .ndim, .size and indexing a[i, j]")
        raise self.error(node, f"attribute .{node.attr} of a {base.type} is not supported")

    # -- arrays ---------------------------------------------------------------------------
    def dim(self, a: Val | ViewVal, d: int) -> Val:
        base, fixed = (a.base, len(a.indices)) if isinstance(a, ViewVal) else (a, 0)
        size = self.value(memref.DimOp(base.ssa, self.index_const(d + fixed)))
        v = Val(I64, self.value(arith.IndexCastOp(size, I64.ir)))
        self.lower[v.ssa] = 0
        return v

    def index_of(self, v: Val, a: Val | ViewVal, d: int, node: ast.AST) -> SSAValue:
        """An index for dimension ``d`` of ``a``: negative values count from the end (Python's rule)."""
        if not isinstance(v.type, Scalar) or v.type.is_float:
            raise self.error(node, f"array index must be an integer, not a {v.type}")
        v = self.convert(v, I64)
        c = self.const_of(v)
        if c is not None and c < 0:
            v = self.arith(ast.Add(), v, self.dim(a, d), node)
        elif c is None and self.lower.get(v.ssa, -1) < 0:
            negative = self.value(arith.CmpiOp(v.ssa, self.const(0, I64).ssa, "slt"))
            wrapped = self.arith(ast.Add(), v, self.dim(a, d), node)
            v = Val(I64, self.value(arith.SelectOp(negative, wrapped.ssa, v.ssa)))
        owner = v.ssa.owner
        if isinstance(owner, arith.IndexCastOp) and owner.input.type == INDEX:
            return owner.input
        return self.value(arith.IndexCastOp(v.ssa, INDEX))

    def subscript(self, node: ast.Subscript, base: Value | None = None) -> tuple[Val | ViewVal, list[SSAValue]]:
        """The array and the full list of indices ``node`` names (a view's fixed indices first)."""
        if base is None:
            base = self.expr(node.value)
        parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if isinstance(base, TupleVal):
            raise self.error(node, "a tuple is indexed with a constant only")
        if not isinstance(base.type, (Array, View)):
            raise self.error(node.value, f"a {base.type} cannot be indexed")
        if any(isinstance(p, ast.Slice) for p in parts):
            raise self.error(node.slice, "slices are not supported in compiled code",
                             note="index single elements (a[i, j]) inside a loop instead")
        fixed = list(base.indices) if isinstance(base, ViewVal) else []
        ndim = base.type.ndim
        if len(parts) > ndim:
            raise self.error(node, f"too many indices: {len(parts)} for a {ndim}-D array")
        indices = fixed + [self.index_of(self.scalar(p, "an index"), base, d, p) for d, p in enumerate(parts)]
        return base, indices

    def expr_Subscript(self, node: ast.Subscript) -> Value:
        base = self.expr(node.value)
        if isinstance(base, TupleVal):
            return self.tuple_item(base, node)
        array, indices = self.subscript(node, base)
        root = array.base if isinstance(array, ViewVal) else array
        if len(indices) < root.type.ndim:
            return ViewVal(View(root.type, len(indices)), root, tuple(indices))
        return Val(root.type.dtype, self.value(memref.LoadOp.get(root.ssa, indices)))

    def tuple_item(self, tup: TupleVal, node: ast.Subscript) -> Value:
        key = node.slice
        k = self.const_of(self.expr(key)) if not isinstance(key, ast.Slice) else None
        if not isinstance(k, int) or isinstance(k, bool):
            raise self.error(key, "a tuple is indexed with a constant integer only")
        if not -len(tup.items) <= k < len(tup.items):
            raise self.error(key, f"tuple index {k} out of range for a tuple of {len(tup.items)}")
        return tup.items[k]

    # -- operators ------------------------------------------------------------------------
    def expr_BinOp(self, node: ast.BinOp) -> Value:
        lhs, rhs = self.expr(node.left), self.expr(node.right)
        return self.binop(node.op, lhs, rhs, node)

    def binop(self, op: ast.operator, lhs: Value, rhs: Value, node: ast.AST) -> Val:
        for v, side in ((lhs, node.left if isinstance(node, ast.BinOp) else node),
                        (rhs, node.right if isinstance(node, ast.BinOp) else node)):
            if not (isinstance(v, Val) and isinstance(v.type, Scalar)):
                raise self.error(side, f"operator {_BINOP_NAMES.get(type(op), '?')} on a {v.type} is not supported",
                                 note="arithmetic works on numbers; loop over array elements")
        return self.arith(op, lhs, rhs, node)  # type: ignore[arg-type]

    def arith(self, op: ast.operator, a: Val, b: Val, node: ast.AST) -> Val:
        ta, tb = a.type, b.type
        assert isinstance(ta, Scalar) and isinstance(tb, Scalar)
        kind = type(op)
        if kind is ast.Div:
            t = true_div_result(ta, tb)
            return Val(t, self.value(arith.DivfOp(self.convert(a, t).ssa, self.convert(b, t).ssa,
                                                  flags=self.fastmath_flags)))
        if kind is ast.Pow:
            return self.power(a, b, node)
        if kind in (ast.BitAnd, ast.BitOr, ast.BitXor, ast.LShift, ast.RShift):
            if ta.is_float or tb.is_float:
                raise self.error(node, f"bit operator {_BINOP_NAMES[kind]} needs integers, not {ta} and {tb}")
            t = BOOL if ta.is_bool and tb.is_bool and kind not in (ast.LShift, ast.RShift) else I64
            cls = {ast.BitAnd: arith.AndIOp, ast.BitOr: arith.OrIOp, ast.BitXor: arith.XOrIOp,
                   ast.LShift: arith.ShLIOp, ast.RShift: arith.ShRSIOp}[kind]
            return Val(t, self.value(cls(self.convert(a, t).ssa, self.convert(b, t).ssa)))
        if kind is ast.MatMult:
            raise self.error(node, "the @ operator is not supported in compiled code", note="write the loops")
        t = arith_result(ta, tb)
        x, y = self.convert(a, t), self.convert(b, t)
        folded = self._fold(kind, x, y, t)
        if folded is not None:
            return folded
        if kind is ast.FloorDiv:
            return self.floordiv(x, y)
        if kind is ast.Mod:
            return self.mod(x, y)
        if t.is_float:
            cls = {ast.Add: arith.AddfOp, ast.Sub: arith.SubfOp, ast.Mult: arith.MulfOp}[kind]
            return Val(t, self.value(cls(x.ssa, y.ssa, flags=self.fastmath_flags)))
        cls = {ast.Add: arith.AddiOp, ast.Sub: arith.SubiOp, ast.Mult: arith.MuliOp}[kind]
        result = Val(t, self.value(cls(x.ssa, y.ssa)))
        lx, ly = self.lower.get(x.ssa, self._const_lower(x)), self.lower.get(y.ssa, self._const_lower(y))
        if lx is not None and ly is not None:
            if kind is ast.Add:
                self.lower[result.ssa] = lx + ly
            elif kind is ast.Sub and self.const_of(y) is not None:
                self.lower[result.ssa] = lx - self.const_of(y)
            elif kind is ast.Mult and lx >= 0 and ly >= 0:
                self.lower[result.ssa] = lx * ly
        return result

    def _const_lower(self, v: Val) -> int | None:
        c = self.const_of(v)
        return c if isinstance(c, int) and not isinstance(c, bool) else None

    def _fold(self, kind: type, x: Val, y: Val, t: Scalar) -> Val | None:
        cx, cy = self.const_of(x), self.const_of(y)
        if cx is None or cy is None or t.is_float:
            return None
        try:
            value = {ast.Add: lambda: cx + cy, ast.Sub: lambda: cx - cy, ast.Mult: lambda: cx * cy,
                     ast.FloorDiv: lambda: cx // cy if cy else 0, ast.Mod: lambda: cx % cy if cy else 0}[kind]()
        except KeyError:
            return None
        return self.const(value, t) if -2**63 <= value < 2**63 else None

    @property
    def fastmath_flags(self) -> Any:
        from xdsl.dialects.arith import FastMathFlagsAttr

        return FastMathFlagsAttr("fast" if self.fastmath else "none")

    def _nonzero_divisor(self, y: Val) -> tuple[Val, SSAValue | None]:
        """``y`` with 0 replaced by 1 (integer division by zero is undefined in LLVM) and the is-zero bit."""
        c = self.const_of(y)
        if c is not None and c != 0:
            return y, None
        zero, one = self.const(0, y.type), self.const(1, y.type)  # type: ignore[arg-type]
        is_zero = self.value(arith.CmpiOp(y.ssa, zero.ssa, "eq"))
        return Val(y.type, self.value(arith.SelectOp(is_zero, one.ssa, y.ssa))), is_zero

    def floordiv(self, x: Val, y: Val) -> Val:
        t = x.type
        if t.is_float:  # type: ignore[union-attr]
            return Val(t, self._float_floordiv(x, y))
        safe, is_zero = self._nonzero_divisor(y)
        q = self.value(arith.FloorDivSIOp(x.ssa, safe.ssa))
        if is_zero is not None:
            q = self.value(arith.SelectOp(is_zero, self.const(0, t).ssa, q))  # type: ignore[arg-type]
        if self.lower.get(x.ssa, -1) >= 0 and (self.const_of(y) or 0) > 0:
            self.lower[q] = 0
        return Val(t, q)

    def _float_floordiv(self, x: Val, y: Val) -> SSAValue:
        """CPython's float ``//``: from the exact remainder, not floor(x / y), whose rounding (or underflow:
        5e-324 // -7 is -1.0) can land on the wrong integer. A zero divisor gives floor(x / y) (inf/nan)."""
        t = x.type
        zero, one, half = (self.const(c, t).ssa for c in (0.0, 1.0, 0.5))  # type: ignore[arg-type]
        naive = self.value(math.FloorOp(self.value(arith.DivfOp(x.ssa, y.ssa))))
        mod = self.value(RemFOp(x.ssa, y.ssa))
        div = self.value(arith.DivfOp(self.value(arith.SubfOp(x.ssa, mod)), y.ssa))
        signs_differ = self.value(arith.XOrIOp(self.value(arith.CmpfOp(y.ssa, zero, "olt")),
                                               self.value(arith.CmpfOp(mod, zero, "olt"))))
        fix = self.value(arith.AndIOp(signs_differ, self.value(arith.CmpfOp(mod, zero, "une"))))
        div = self.value(arith.SelectOp(fix, self.value(arith.SubfOp(div, one)), div))
        floor = self.value(math.FloorOp(div))
        round_up = self.value(arith.CmpfOp(self.value(arith.SubfOp(div, floor)), half, "ogt"))
        floor = self.value(arith.SelectOp(round_up, self.value(arith.AddfOp(floor, one)), floor))
        signed_zero = self.value(math.CopySignOp(zero, self.value(arith.DivfOp(x.ssa, y.ssa))))
        result = self.value(arith.SelectOp(self.value(arith.CmpfOp(div, zero, "une")), floor, signed_zero))
        return self.value(arith.SelectOp(self.value(arith.CmpfOp(y.ssa, zero, "oeq")), naive, result))

    def mod(self, x: Val, y: Val) -> Val:
        """Python's remainder: the sign of the divisor."""
        t = x.type
        assert isinstance(t, Scalar)
        zero = self.const(0, t)
        if t.is_float:
            r = self.value(RemFOp(x.ssa, y.ssa))
            sign_r = self.value(arith.CmpfOp(r, zero.ssa, "olt"))
            sign_y = self.value(arith.CmpfOp(y.ssa, zero.ssa, "olt"))
            nonzero = self.value(arith.CmpfOp(r, zero.ssa, "une"))
        else:
            safe, is_zero = self._nonzero_divisor(y)
            r = self.value(arith.RemSIOp(x.ssa, safe.ssa))
            if self.lower.get(x.ssa, -1) >= 0 and (self.const_of(y) or 0) > 0:
                self.lower[r] = 0
                return Val(t, r)
            sign_r = self.value(arith.CmpiOp(r, zero.ssa, "slt"))
            sign_y = self.value(arith.CmpiOp(y.ssa, zero.ssa, "slt"))
            nonzero = self.value(arith.CmpiOp(r, zero.ssa, "ne"))
        differ = self.value(arith.XOrIOp(sign_r, sign_y))
        fix = self.value(arith.AndIOp(differ, nonzero))
        adjusted = self.value((arith.AddfOp if t.is_float else arith.AddiOp)(r, y.ssa))
        result = self.value(arith.SelectOp(fix, adjusted, r))
        if not t.is_float and is_zero is not None:
            result = self.value(arith.SelectOp(is_zero, zero.ssa, result))
        return Val(t, result)

    def power(self, a: Val, b: Val, node: ast.AST) -> Val:
        ta, tb = a.type, b.type
        assert isinstance(ta, Scalar) and isinstance(tb, Scalar)
        cb = self.const_of(b)
        if not ta.is_float and not tb.is_float:
            if isinstance(cb, int) and 0 <= cb <= 64:
                return self._int_power(self.convert(a, I64), int(cb))
            raise self.error(node, "integer ** needs a constant exponent between 0 and 64",
                             note="write float(x) ** y for a variable exponent")
        t = arith_result(ta, tb)
        x = self.convert(a, t)
        if not tb.is_float or (cb is not None and float(cb).is_integer() and abs(cb) <= 64):
            exponent = self.convert(b if not tb.is_float else self.const(int(cb), I64), I64)
            return Val(t, self.value(math.FPowIOp(x.ssa, exponent.ssa)))
        return Val(t, self.value(math.PowFOp(x.ssa, self.convert(b, t).ssa)))

    def _int_power(self, x: Val, n: int) -> Val:
        result, base = self.const(1, I64), x
        while n:
            if n & 1:
                result = self.arith(ast.Mult(), result, base, self.node)
            n >>= 1
            if n:
                base = self.arith(ast.Mult(), base, base, self.node)
        return result

    def expr_UnaryOp(self, node: ast.UnaryOp) -> Value:
        v = self.expr(node.operand)
        if isinstance(node.op, ast.Not):
            return self.logical_not(self.truthy(self._as_scalar(v, node)))
        x = self._as_scalar(v, node)
        t = x.type
        if isinstance(node.op, ast.UAdd):
            return self.convert(x, I64) if t.is_bool else x  # type: ignore[union-attr]
        if isinstance(node.op, ast.USub):
            if t.is_float:  # type: ignore[union-attr]
                return Val(t, self.value(arith.NegfOp(x.ssa)))
            x = self.convert(x, I64)
            c = self.const_of(x)
            if c is not None:
                return self.const(-c, I64)
            return Val(I64, self.value(arith.SubiOp(self.const(0, I64).ssa, x.ssa)))
        if t.is_float:  # type: ignore[union-attr]
            raise self.error(node, "operator ~ needs an integer")
        x = self.convert(x, I64)
        return Val(I64, self.value(arith.XOrIOp(x.ssa, self.const(-1, I64).ssa)))

    def _as_scalar(self, v: Value, node: ast.AST) -> Val:
        if not (isinstance(v, Val) and isinstance(v.type, Scalar)):
            raise self.error(node, f"this operator needs a number, not a {v.type}")
        return v

    def logical_not(self, v: Val) -> Val:
        c = self.const_of(v)
        if c is not None:
            return self.const(not c, BOOL)
        return Val(BOOL, self.value(arith.XOrIOp(v.ssa, self.const(True, BOOL).ssa)))

    def expr_Compare(self, node: ast.Compare) -> Value:
        left = self.expr(node.left)
        result: Val | None = None
        for op, comparator in zip(node.ops, node.comparators):
            right = self.expr(comparator)
            bit = self.compare(op, left, right, node)
            result = bit if result is None else Val(BOOL, self.value(arith.AndIOp(result.ssa, bit.ssa)))
            left = right
        assert result is not None
        return result

    def compare(self, op: ast.cmpop, a: Value, b: Value, node: ast.AST) -> Val:
        if type(op) not in _INT_CMP:
            raise self.error(node, f"comparison '{type(op).__name__}' is not supported in compiled code",
                             note="compare numbers with < <= > >= == !=")
        x, y = self._as_scalar(a, node), self._as_scalar(b, node)
        t = unify(x.type, y.type)
        assert isinstance(t, Scalar)
        x, y = self.convert(x, t), self.convert(y, t)
        if t.is_float:
            return Val(BOOL, self.value(arith.CmpfOp(x.ssa, y.ssa, _FLOAT_CMP[type(op)])))
        return Val(BOOL, self.value(arith.CmpiOp(x.ssa, y.ssa, _INT_CMP[type(op)])))

    def expr_BoolOp(self, node: ast.BoolOp) -> Value:
        is_and = isinstance(node.op, ast.And)
        result = self._bool_operand(node.values[0])
        for operand in node.values[1:]:
            c = self.const_of(result)
            if c is not None:
                if c != is_and:  # False and ... / True or ...: decided
                    return result
                result = self._bool_operand(operand)
                continue
            if _cheap(operand):
                rhs = self._bool_operand(operand)
                cls = arith.AndIOp if is_and else arith.OrIOp
                result = Val(BOOL, self.value(cls(result.ssa, rhs.ssa)))
            else:  # short-circuit: the right operand may index out of bounds when the left decides
                result = self.branch_value(result, lambda operand=operand: self._bool_operand(operand),
                                           lambda: self.const(not is_and, BOOL), swap=not is_and)
        return result

    def _bool_operand(self, node: ast.expr) -> Val:
        v = self.expr(node)
        if not (isinstance(v, Val) and isinstance(v.type, Scalar) and v.type.is_bool):
            raise self.error(node, f"'and' / 'or' on a {v.type}: compiled code takes booleans here "
                                   f"(comparisons, True/False)", note="compare explicitly, e.g. x != 0")
        return v

    def expr_IfExp(self, node: ast.IfExp) -> Value:
        cond = self.truthy(self._as_scalar(self.expr(node.test), node.test))
        if _cheap(node.body) and _cheap(node.orelse):
            a, b = self.expr(node.body), self.expr(node.orelse)
            if isinstance(a, Val) and isinstance(b, Val) and isinstance(a.type, Scalar) and \
                    isinstance(b.type, Scalar):
                t = unify(a.type, b.type)
                assert isinstance(t, Scalar)
                a, b = self.convert(a, t), self.convert(b, t)
                return Val(t, self.value(arith.SelectOp(cond.ssa, a.ssa, b.ssa)))
        return self.branch_value(cond, lambda: self.expr(node.body), lambda: self.expr(node.orelse))

    def branch_value(self, cond: Val, then_fn, else_fn, swap: bool = False) -> Value:
        """``scf.if`` yielding one scalar value computed by ``then_fn`` / ``else_fn`` in the branches."""
        if swap:
            then_fn, else_fn = else_fn, then_fn
        outer = self.block
        blocks, values = [], []
        for fn in (then_fn, else_fn):
            self.block = Block()
            values.append(fn())
            blocks.append(self.block)
        self.block = outer
        a, b = values
        if not (isinstance(a, Val) and isinstance(b, Val) and isinstance(a.type, Scalar)
                and isinstance(b.type, Scalar)):
            raise self.error(None, "both sides of a conditional expression must be numbers here")
        t = unify(a.type, b.type)
        assert isinstance(t, Scalar)
        for blk, v in zip(blocks, (a, b)):
            self.block = blk
            self.add(scf.YieldOp(self.convert(v, t).ssa))
        self.block = outer
        if_op = self.add(scf.IfOp(cond.ssa, [t.ir], Region(blocks[0]), Region(blocks[1])))
        return Val(t, if_op.results[0])

    # -- calls (builtins and functions: python_builtins) ----------------------------------------
    def expr_Call(self, node: ast.Call) -> Value:
        from ircc.frontends.python_builtins import emit_call

        return emit_call(self, node)


def _cheap(node: ast.expr) -> bool:
    """An expression safe and cheap to evaluate eagerly (no loads, calls or divisions)."""
    for sub in ast.walk(node):
        if isinstance(sub, (ast.Subscript, ast.Call, ast.IfExp, ast.BoolOp)):
            return False
        if isinstance(sub, ast.BinOp) and isinstance(sub.op, (ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)):
            return False
    return True


def _describe(node: ast.AST) -> str:
    names = {"ListComp": "a list comprehension", "DictComp": "a dict comprehension", "SetComp": "a set comprehension",
             "GeneratorExp": "a generator expression", "Dict": "a dict", "Set": "a set", "List": "a list",
             "Lambda": "a lambda", "JoinedStr": "an f-string", "Starred": "*-unpacking", "Await": "await",
             "Yield": "yield", "YieldFrom": "yield from", "NamedExpr": "the := operator", "Slice": "a slice"}
    return names.get(type(node).__name__, f"a {type(node).__name__} expression")
