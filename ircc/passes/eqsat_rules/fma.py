"""Fused multiply-add formation (fastmath only: one rounding instead of two): ``a*b + c`` -> ``fma(a, b, c)``,
``a*b - c`` -> ``Fms`` (built as ``fma(a, b, -c)``), ``c - a*b`` -> ``Fnma`` (built as ``fma(-a, b, c)``). The
last two are their own constructors priced as one fma: LLVM folds the negation into ``vfmsub`` / ``vfnmadd``."""

from __future__ import annotations

from ircc.passes.eqsat_rules import Ruleset


def _fma(ftype: str) -> str:
    r = ":ruleset fma"
    return f"""
(rewrite (Add (Mul a b) c) (Fma a b c) {r})
(rewrite (Add c (Mul a b)) (Fma a b c) {r})
(rewrite (Sub (Mul a b) c) (Fms a b c) {r})
(rewrite (Sub c (Mul a b)) (Fnma a b c) {r})
(rewrite (Add (Neg (Mul a b)) c) (Fnma a b c) {r})
"""


RULESETS = [Ruleset("fma", False, "a*b + c -> fma(a, b, c) (and with subtraction)", _fma)]
