"""``expand-powi``: ``x ** n`` with a constant integer ``n`` becomes a chain of multiplications.

``math.fpowi %x, %n`` (and ``math.powf %x, %c`` where ``%c`` is an integral float constant) with
``|n| <= max-exponent`` is rewritten by square-and-multiply (``x**5 = (x*x)*(x*x)*x``: 3 mulf), and
a negative ``n`` as ``1 / x**|n|``. Multiplications vectorize where ``pow`` is a library call.

```mlir
%n = arith.constant 3 : i32
%y = math.fpowi %x, %n : f64, i32
// becomes
%0 = arith.mulf %x, %x : f64
%y = arith.mulf %0, %x : f64
```
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, builtin, math
from xdsl.dialects.builtin import FloatAttr, IntegerAttr
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
)


def constant_exponent(value: SSAValue) -> int | None:
    """The integer a constant exponent holds, or None."""
    owner = value.owner
    if not isinstance(owner, arith.ConstantOp):
        return None
    attr = owner.value
    if isinstance(attr, IntegerAttr):
        return int(attr.value.data)
    if isinstance(attr, FloatAttr):
        f = float(attr.value.data)
        if f.is_integer() and abs(f) < 2**31:
            return int(f)
    return None


def emit_power(rewriter: PatternRewriter, x: SSAValue, n: int, fastmath) -> SSAValue:
    """Square-and-multiply for ``n >= 1``; inserts ops before the matched op."""
    result: SSAValue | None = None
    square = x
    while True:
        if n & 1:
            if result is None:
                result = square
            else:
                mul = arith.MulfOp(result, square, fastmath)
                rewriter.insert(mul)
                result = mul.result
        n >>= 1
        if not n:
            break
        sq = arith.MulfOp(square, square, fastmath)
        rewriter.insert(sq)
        square = sq.result
    assert result is not None
    return result


@dataclass
class ExpandConstantPower(RewritePattern):
    max_exponent: int

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if not isinstance(op, (math.FPowIOp, math.PowFOp)):
            return
        n = constant_exponent(op.rhs)
        if n is None or abs(n) > self.max_exponent:
            return
        t = op.result.type
        fastmath = op.fastmath
        exponent = op.rhs.owner
        if n == 0:
            one = arith.ConstantOp(FloatAttr(1.0, t))
            rewriter.replace(op, one)
            return
        value = emit_power(rewriter, op.lhs, abs(n), fastmath)
        if n < 0:
            one = arith.ConstantOp(FloatAttr(1.0, t))
            rewriter.insert(one)
            div = arith.DivfOp(one.result, value, fastmath)
            rewriter.replace(op, div)
        else:
            rewriter.replace(op, [], [value])
        if isinstance(exponent, arith.ConstantOp) and not exponent.result.uses:
            rewriter.erase(exponent)  # the exponent constant was ours to consume


@dataclass(frozen=True)
class ExpandPowi(ModulePass):
    """Rewrite ``x ** n`` with a constant integer ``|n| <= max_exponent`` as multiplications."""

    name = "expand-powi"

    max_exponent: int = 16

    def apply(self, ctx: Context, op: builtin.ModuleOp) -> None:
        PatternRewriteWalker(GreedyRewritePatternApplier([ExpandConstantPower(self.max_exponent)]),
                             apply_recursively=False).rewrite_module(op)
