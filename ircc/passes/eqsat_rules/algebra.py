"""Algebra that changes rounding: runs only under fastmath.

- ``assoc``: reassociation of ``+`` and ``*`` (commutation is exact and lives in ``ieee``);
- ``factor``: factoring ``a*b + a*c`` -> ``a*(b + c)`` (and with subtraction, and ``a*b + a``), distribution
  the other way, and collecting ``x + x`` -> ``2*x``;
- ``fractions``: ``a/c + b/c`` -> ``(a + b)/c``, ``(a/b)/c`` -> ``a/(b*c)``, ``(a/b)*c`` -> ``(a*c)/b``,
  ``a/(b/c)`` -> ``(a*c)/b``, and reciprocal sharing ``a/d`` -> ``a * (1/d)`` (the extractor pays for ``1/d``
  once, so several divisions by one ``d`` become one division and multiplications);
- ``cancel``: ``x - x`` -> 0, ``x + 0`` -> ``x`` (also for -0.0), ``x * 0`` -> 0, ``x / x`` -> 1,
  ``-(a - b)`` -> ``b - a`` (wrong for inf / NaN or signed zeros only).
"""

from __future__ import annotations

from ircc.passes.eqsat_rules import Ruleset


def _assoc(ftype: str) -> str:
    r = ":ruleset assoc"
    return f"""
(birewrite (Add (Add a b) c) (Add a (Add b c)) {r})
(birewrite (Mul (Mul a b) c) (Mul a (Mul b c)) {r})
(rewrite (Sub (Add a b) c) (Add a (Sub b c)) {r})
(rewrite (Add a (Sub b c)) (Sub (Add a b) c) {r})
(rewrite (Sub a (Add b c)) (Sub (Sub a b) c) {r})
(rewrite (Sub (Sub a b) c) (Sub a (Add b c)) {r})
"""


def _factor(ftype: str) -> str:
    r = ":ruleset factor"
    return f"""
(rewrite (Add (Mul a b) (Mul a c)) (Mul a (Add b c)) {r})
(rewrite (Sub (Mul a b) (Mul a c)) (Mul a (Sub b c)) {r})
(rewrite (Add (Mul a b) a) (Mul a (Add b (Num 1.0))) {r})
(rewrite (Sub (Mul a b) a) (Mul a (Sub b (Num 1.0))) {r})
(rewrite (Add a a) (Mul (Num 2.0) a) {r})
(rewrite (Mul a (Add b c)) (Add (Mul a b) (Mul a c)) {r})
(rewrite (Mul a (Sub b c)) (Sub (Mul a b) (Mul a c)) {r})
"""


def _fractions(ftype: str) -> str:
    r = ":ruleset fractions"
    return f"""
(rewrite (Add (Div a c) (Div b c)) (Div (Add a b) c) {r})
(rewrite (Sub (Div a c) (Div b c)) (Div (Sub a b) c) {r})
(rewrite (Div (Div a b) c) (Div a (Mul b c)) {r})
(rewrite (Mul (Div a b) c) (Div (Mul a c) b) {r})
(rewrite (Div a (Div b c)) (Div (Mul a c) b) {r})
(rewrite (Div a d) (Mul a (Div (Num 1.0) d)) {r})
(rewrite (Mul a (Div (Num 1.0) d)) (Div a d) {r})
"""


def _cancel(ftype: str) -> str:
    r = ":ruleset cancel"
    return f"""
(rewrite (Sub a a) (Num 0.0) {r})
(rewrite (Add a (Num 0.0)) a {r})
(rewrite (Mul a (Num 0.0)) (Num 0.0) {r})
(rewrite (Div a a) (Num 1.0) {r})
(rewrite (Neg (Sub a b)) (Sub b a) {r})
(rewrite (Add (Neg a) b) (Sub b a) {r})
"""


RULESETS = [
    Ruleset("assoc", False, "reassociation of + and * (and of sums with differences)", _assoc),
    Ruleset("factor", False, "factoring a*b + a*c -> a*(b+c), distribution, x + x -> 2*x", _factor),
    Ruleset("fractions", False, "a/c + b/c -> (a+b)/c, nested fractions, reciprocal sharing a/d -> a*(1/d)",
            _fractions),
    Ruleset("cancel", False, "x - x -> 0, x*0 -> 0, x/x -> 1, -(a-b) -> b-a", _cancel),
]
