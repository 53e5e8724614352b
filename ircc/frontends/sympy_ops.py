"""Translation of one sympy expression DAG into ``arith`` / ``math`` ops in a block.

``ExprEmitter`` walks expressions with a memo (sympy expressions are hash-consed, so a
subexpression that appears twice is emitted once) and appends ops to a block. Every
construct it does not know raises ``IrccError`` naming the subexpression.
"""

from __future__ import annotations

from collections.abc import Callable

import sympy
from xdsl.dialects import arith, math
from xdsl.dialects.builtin import FloatAttr, IntegerAttr, IntegerType, i1
from xdsl.ir import Attribute, Block, Operation, SSAValue

from ircc.errors import IrccError
from ircc.ir.dialects.math_ext import ErfcOp

I32 = IntegerType(32)

_UNARY: dict[type, type[Operation]] = {
    sympy.sin: math.SinOp, sympy.cos: math.CosOp, sympy.tan: math.TanOp,
    sympy.asin: math.AsinOp, sympy.acos: math.AcosOp, sympy.atan: math.AtanOp,
    sympy.sinh: math.SinhOp, sympy.cosh: math.CoshOp, sympy.tanh: math.TanhOp,
    sympy.asinh: math.AsinhOp, sympy.acosh: math.AcoshOp, sympy.atanh: math.AtanhOp,
    sympy.exp: math.ExpOp, sympy.log: math.LogOp, sympy.Abs: math.AbsFOp,
    sympy.floor: math.FloorOp, sympy.ceiling: math.CeilOp, sympy.erf: math.ErfOp,
}
# f(x) = g(1 / x): reciprocal trigonometric and hyperbolic functions and their inverses.
_RECIPROCAL_OF: dict[type, type[Operation]] = {
    sympy.cot: math.TanOp, sympy.sec: math.CosOp, sympy.csc: math.SinOp,
    sympy.coth: math.TanhOp, sympy.sech: math.CoshOp, sympy.csch: math.SinhOp,
}
_OF_RECIPROCAL: dict[type, type[Operation]] = {
    sympy.acot: math.AtanOp, sympy.asec: math.AcosOp, sympy.acsc: math.AsinOp,
    sympy.acoth: math.AtanhOp, sympy.asech: math.AcoshOp, sympy.acsch: math.AsinhOp,
}
_COMPARE: dict[type, str] = {
    sympy.StrictLessThan: "olt", sympy.LessThan: "ole", sympy.StrictGreaterThan: "ogt",
    sympy.GreaterThan: "oge", sympy.Equality: "oeq", sympy.Unequality: "une",
}

SUPPORTED = (
    "+ - * /, integer, rational and symbolic powers, sqrt, exp, log, sin cos tan cot sec csc and their "
    "inverses, the hyperbolic functions and their inverses, atan2, erf, erfc, Abs, Min, Max, floor, ceiling, "
    "sign, Piecewise (with <, <=, >, >=, ==, !=, And, Or, Xor, Not, ITE), numbers and the constants pi, E, "
    "EulerGamma, GoldenRatio, Catalan"
)


class ExprEmitter:
    """Emits ops for sympy expressions into ``block``; ``symbols`` maps each argument to its value."""

    def __init__(self, block: Block, symbols: dict[sympy.Symbol, SSAValue], ftype: Attribute,
                 round_constant: Callable[[sympy.Expr], float]):
        self.block, self.ftype, self.round_constant = block, ftype, round_constant
        self.memo: dict[sympy.Basic, SSAValue] = dict(symbols)
        self._consts: dict[float | str, SSAValue] = {}
        self.root: sympy.Basic | None = None

    # -- helpers ------------------------------------------------------------------------
    def _add(self, op: Operation) -> SSAValue:
        self.block.add_op(op)
        return op.results[0]

    def const(self, value: float) -> SSAValue:
        key = repr(float(value))  # distinguishes -0.0 and nan
        if key not in self._consts:
            self._consts[key] = self._add(arith.ConstantOp(FloatAttr(float(value), self.ftype)))
        return self._consts[key]

    def _bool_const(self, value: bool) -> SSAValue:
        return self._add(arith.ConstantOp(IntegerAttr(int(value), i1)))

    def unsupported(self, e: sympy.Basic, why: str = "") -> IrccError:
        where = f" in {self.root}" if self.root is not None and self.root != e else ""
        reason = f" ({why})" if why else ""
        return IrccError(
            f"sympy frontend: unsupported subexpression {e}{where}{reason}; supported are {SUPPORTED}"
        )

    # -- expressions ----------------------------------------------------------------------
    def emit(self, e: sympy.Basic) -> SSAValue:
        """The value of ``e`` (memoized: every distinct subexpression is emitted once)."""
        if e in self.memo:
            return self.memo[e]
        value = self._emit(e)
        self.memo[e] = value
        return value

    def _emit(self, e: sympy.Basic) -> SSAValue:
        if isinstance(e, sympy.Symbol):
            raise IrccError(f"sympy frontend: free symbol {e} (in {self.root}) is not in args; "
                            f"pass it in args=[...]")
        if e.is_Number or e.is_NumberSymbol or e in (sympy.zoo, sympy.oo, -sympy.oo, sympy.nan):
            return self.const(self.round_constant(e))
        if isinstance(e, sympy.Add):
            return self._sum(e)
        if isinstance(e, sympy.Mul):
            return self._product(e)
        if isinstance(e, sympy.Pow):
            return self._power(e.base, e.exp)
        f = type(e)
        if f in _UNARY:
            if f is sympy.log and len(e.args) != 1:
                raise self.unsupported(e, "log with a base: write log(x)/log(b)")
            return self._add(_UNARY[f](self.emit(e.args[0])))
        if f in _RECIPROCAL_OF:
            return self._div(self.const(1.0), self._add(_RECIPROCAL_OF[f](self.emit(e.args[0]))))
        if f in _OF_RECIPROCAL:
            return self._add(_OF_RECIPROCAL[f](self._div(self.const(1.0), self.emit(e.args[0]))))
        if f is sympy.atan2:
            return self._add(math.Atan2Op(self.emit(e.args[0]), self.emit(e.args[1])))
        if f is sympy.erfc:  # not 1 - erf(x): that loses every digit for large x
            return self._add(ErfcOp(self.emit(e.args[0])))
        if f in (sympy.Min, sympy.Max):
            op = arith.MinimumfOp if f is sympy.Min else arith.MaximumfOp
            values = [self.emit(a) for a in e.args]
            acc = values[0]
            for v in values[1:]:
                acc = self._add(op(acc, v))
            return acc
        if f is sympy.sign:
            x = self.emit(e.args[0])
            pos = self._add(arith.CmpfOp(x, self.const(0.0), "ogt"))
            neg = self._add(arith.CmpfOp(x, self.const(0.0), "olt"))
            inner = self._add(arith.SelectOp(neg, self.const(-1.0), x))  # 0, -0 and nan stay as they are
            return self._add(arith.SelectOp(pos, self.const(1.0), inner))
        if isinstance(e, sympy.Piecewise):
            return self._piecewise(e)
        if isinstance(e, sympy.Function) and isinstance(type(e), sympy.core.function.UndefinedFunction):
            raise self.unsupported(e, f"undefined function {f.__name__}: substitute a Symbol for it "
                                      f"(e.g. with expr.xreplace({{{e}: Symbol('{f.__name__}')}}))")
        if isinstance(e, (sympy.Derivative, sympy.Integral)):
            raise self.unsupported(e, "unevaluated; call .doit() first")
        raise self.unsupported(e)

    def _div(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self._add(arith.DivfOp(a, b))

    def _sum(self, e: sympy.Add) -> SSAValue:
        plus: list[sympy.Expr] = []
        minus: list[sympy.Expr] = []
        for term in e.args:
            coeff = term.as_coeff_Mul()[0]
            if coeff.is_Number and coeff.is_negative:
                minus.append(-term)
            else:
                plus.append(term)
        acc = self.emit(plus[0]) if plus else None
        for t in plus[1:]:
            acc = self._add(arith.AddfOp(acc, self.emit(t)))
        for t in minus:
            acc = self._add(arith.SubfOp(acc, self.emit(t))) if acc is not None else \
                self._add(arith.NegfOp(self.emit(t)))
        assert acc is not None, f"empty Add {e}"
        return acc

    def _product(self, e: sympy.Mul) -> SSAValue:
        coeff, rest = e.as_coeff_Mul()
        if coeff == -1:
            return self._add(arith.NegfOp(self.emit(rest)))
        num: list[sympy.Expr] = []
        den: list[sympy.Expr] = []
        for f in e.args:
            if isinstance(f, sympy.Pow) and f.exp.is_Number and f.exp.is_negative:
                den.append(sympy.Pow(f.base, -f.exp))
            elif f.is_Rational and not f.is_Integer and f.p in (1, -1):
                num.append(sympy.Integer(f.p))
                den.append(sympy.Integer(f.q))
            else:
                num.append(f)
        acc = self._chain(num, arith.MulfOp) if num else self.const(1.0)
        if den:
            acc = self._div(acc, self._chain(den, arith.MulfOp))
        return acc

    def _chain(self, terms: list[sympy.Expr], op: type[Operation]) -> SSAValue:
        acc = self.emit(terms[0])
        for t in terms[1:]:
            acc = self._add(op(acc, self.emit(t)))
        return acc

    def _power(self, base: sympy.Expr, exp: sympy.Expr) -> SSAValue:
        if base == sympy.E:
            return self._add(math.ExpOp(self.emit(exp)))
        if exp.is_Integer:
            n = int(exp)
            if n < 0:
                return self._div(self.const(1.0), self._power(base, sympy.Integer(-n)))
            if n == 0:
                return self.const(1.0)
            if n == 1:
                return self.emit(base)
            if n == 2:
                b = self.emit(base)
                return self._add(arith.MulfOp(b, b))
            if n > 2**31 - 1:
                return self._add(math.PowFOp(self.emit(base), self.const(float(n))))
            power = self._add(arith.ConstantOp(IntegerAttr(n, I32)))
            return self._add(math.FPowIOp(self.emit(base), power))
        if exp.is_Rational and exp.q == 2:
            # x**(k/2) = sqrt(x) * x**((k-1)/2): exact where pow would be, and vectorizable.
            root = self._add(math.SqrtOp(self.emit(base)))
            k = int(exp.p)
            if k == 1:
                return root
            if k == -1:
                return self._div(self.const(1.0), root)
            rest = self._power(base, sympy.Integer((k - 1) // 2)) if k > 0 else \
                self._power(base, sympy.Integer((k + 1) // 2))
            return self._add(arith.MulfOp(root, rest)) if k > 0 else \
                self._div(rest, root)
        return self._add(math.PowFOp(self.emit(base), self.emit(exp)))

    # -- conditions -----------------------------------------------------------------------
    def _piecewise(self, e: sympy.Piecewise) -> SSAValue:
        # Select from the last piece up: the first true condition wins; no true condition is nan
        # (as sympy.lambdify's numpy.select default).
        acc = self.const(float("nan"))
        for expr, cond in reversed(e.args):
            value = self.emit(expr)
            if cond == sympy.true:
                acc = value
                continue
            acc = self._add(arith.SelectOp(self.condition(cond), value, acc))
        return acc

    def condition(self, c: sympy.Basic) -> SSAValue:
        if c in self.memo:
            return self.memo[c]
        value: SSAValue
        if c == sympy.true or c == sympy.false:
            value = self._bool_const(c == sympy.true)
        elif type(c) in _COMPARE:
            value = self._add(arith.CmpfOp(self.emit(c.lhs), self.emit(c.rhs), _COMPARE[type(c)]))
        elif isinstance(c, (sympy.And, sympy.Or)):
            op = arith.AndIOp if isinstance(c, sympy.And) else arith.OrIOp
            parts = [self.condition(a) for a in c.args]
            value = parts[0]
            for p in parts[1:]:
                value = self._add(op(value, p))
        elif isinstance(c, sympy.Xor):
            parts = [self.condition(a) for a in c.args]
            value = parts[0]
            for p in parts[1:]:
                value = self._add(arith.XOrIOp(value, p))
        elif isinstance(c, sympy.ITE):
            cond, then, other = (self.condition(a) for a in c.args)
            value = self._add(arith.SelectOp(cond, then, other))
        elif isinstance(c, sympy.Not):
            value = self._add(arith.XOrIOp(self.condition(c.args[0]), self._bool_const(True)))
        else:
            raise self.unsupported(c, "not a condition ircc can evaluate")
        self.memo[c] = value
        return value
