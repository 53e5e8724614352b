"""Trigonometry (fastmath only): ``sin(x)^2 + cos(x)^2`` -> 1 (with a common factor: ``a*sin^2 + a*cos^2`` ->
``a``), ``tan(x)`` -> ``sin(x)/cos(x)`` (worth it where ``sin`` and ``cos`` of ``x`` are computed anyway),
``sin(-x)`` -> ``-sin(x)``, ``cos(-x)`` -> ``cos(x)``."""

from __future__ import annotations

from ircc.passes.eqsat_rules import Ruleset


def _trig(ftype: str) -> str:
    r = ":ruleset trig"
    return f"""
(rewrite (Add (Mul (Sin x) (Sin x)) (Mul (Cos x) (Cos x))) (Num 1.0) {r})
(rewrite (Add (Mul a (Mul (Sin x) (Sin x))) (Mul a (Mul (Cos x) (Cos x)))) a {r})
(rewrite (Sub (Num 1.0) (Mul (Sin x) (Sin x))) (Mul (Cos x) (Cos x)) {r})
(rewrite (Sub (Num 1.0) (Mul (Cos x) (Cos x))) (Mul (Sin x) (Sin x)) {r})
(rule ((= e (Tan x)) (= s (Sin x)) (= c (Cos x))) ((union e (Div s c))) {r})
(rewrite (Sin (Neg x)) (Neg (Sin x)) {r})
(rewrite (Cos (Neg x)) (Cos x) {r})
"""


RULESETS = [Ruleset("trig", False, "sin^2 + cos^2 -> 1, tan -> sin/cos where both exist, odd/even symmetry",
                    _trig)]
