"""Exponentials and logarithms (fastmath only): ``exp(a)*exp(b)`` -> ``exp(a+b)``, ``exp(a)/exp(b)`` ->
``exp(a-b)``, ``log(a)+log(b)`` -> ``log(a*b)``, ``log(a)-log(b)`` -> ``log(a/b)``, ``exp(log(x))`` -> ``x``
(true for x > 0; fastmath assumes no NaN), ``log(exp(x))`` -> ``x``."""

from __future__ import annotations

from ircc.passes.eqsat_rules import Ruleset


def _explog(ftype: str) -> str:
    r = ":ruleset explog"
    return f"""
(rewrite (Mul (Exp a) (Exp b)) (Exp (Add a b)) {r})
(rewrite (Div (Exp a) (Exp b)) (Exp (Sub a b)) {r})
(rewrite (Add (Log a) (Log b)) (Log (Mul a b)) {r})
(rewrite (Sub (Log a) (Log b)) (Log (Div a b)) {r})
(rewrite (Exp (Log x)) x {r})
(rewrite (Log (Exp x)) x {r})
"""


RULESETS = [Ruleset("explog", False, "exp(a)*exp(b) -> exp(a+b), log(a)+log(b) -> log(a*b), and inverses",
                    _explog)]
