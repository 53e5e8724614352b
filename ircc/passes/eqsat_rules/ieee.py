"""Identities exact in IEEE arithmetic: they run with or without fastmath.

- ``x * 1``, ``x / 1``, ``x - 0``, ``x + (-0.0)`` -> ``x``; ``x + 0`` -> ``x`` only where ``x`` cannot be -0.0
  (the ``NotNegZero`` analysis: constants, ``exp``, ``cosh``, ``abs``, sums with such an operand ...);
- ``x * -1``, ``x / -1`` -> ``-x``; ``x * 2`` -> ``x + x``; ``x ** 2`` -> ``x * x``, ``x ** 1`` -> ``x``,
  ``x ** 0`` -> 1;
- commutation of ``+`` and ``*`` (exact: IEEE addition and multiplication are commutative);
- negation folding: ``-(-x)``, ``a - b = a + (-b)``, ``(-a) * b = -(a * b)``, ``(-a) / b = -(a / b)`` (both
  directions), ``-c`` for a constant;
- division by a power of two -> multiplication by its (exact) reciprocal;
- constant folding of ``+ - * /`` in f64 (the same rounding as at run time; results that are zero, and
  operands that are zero, are left alone so no signed zero is lost).
"""

from __future__ import annotations

from ircc.passes.eqsat_rules import Ruleset


#: the largest finite double: a folded result must be finite and non-zero
_MAX = "1.7976931348623157e308"


def fold(op: str, fn: str) -> str:
    """Constant folding of ``op`` on two constants, kept only when the result is finite and non-zero."""
    return (f"(rule ((= e ({op} (Num a) (Num b))) (!= a 0.0) (!= b 0.0) (!= ({fn} a b) 0.0) "
            f"(<= (abs ({fn} a b)) {_MAX})) ((union e (Num ({fn} a b)))) :ruleset ieee)\n")


def _ieee(ftype: str) -> str:
    r = ":ruleset ieee"
    rules = f"""
(rewrite (Add a b) (Add b a) {r})
(rewrite (Mul a b) (Mul b a) {r})
(rewrite (Mul a (Num 1.0)) a {r})
(rewrite (Div a (Num 1.0)) a {r})
(rewrite (Sub a (Num 0.0)) a {r})
(rewrite (Add a (Special 0)) a {r})
(rule ((= e (Add a (Num 0.0))) (NotNegZero a)) ((union e a)) {r})
(rewrite (Mul a (Num -1.0)) (Neg a) {r})
(rewrite (Div a (Num -1.0)) (Neg a) {r})
(rewrite (Mul a (Num 2.0)) (Add a a) {r})
(rewrite (PowI a 2) (Mul a a) {r})
(rewrite (PowI a 1) a {r})
(rewrite (PowI a 0) (Num 1.0) {r})
(rewrite (Pow a (Num 2.0)) (Mul a a) {r})
(rewrite (Pow a (Num 1.0)) a {r})
(rewrite (Neg (Neg a)) a {r})
(birewrite (Sub a b) (Add a (Neg b)) {r})
(birewrite (Mul (Neg a) b) (Neg (Mul a b)) {r})
(birewrite (Div (Neg a) b) (Neg (Div a b)) {r})
(birewrite (Div a (Neg b)) (Neg (Div a b)) {r})
(rule ((= e (Neg (Num c))) (!= c 0.0)) ((union e (Num (neg c)))) {r})
(rule ((= e (Div a (Num c))) (Pow2Recip c d)) ((union e (Mul a (Num d)))) {r})
(rule ((= e (Num c))) ((NotNegZero e)) {r})
(rule ((= e (Exp a))) ((NotNegZero e)) {r})
(rule ((= e (Exp2 a))) ((NotNegZero e)) {r})
(rule ((= e (Cosh a))) ((NotNegZero e)) {r})
(rule ((= e (Abs a))) ((NotNegZero e)) {r})
(rule ((= e (Add a b)) (NotNegZero a)) ((NotNegZero e)) {r})
(rule ((= e (Sub a b)) (NotNegZero a)) ((NotNegZero e)) {r})
"""
    if ftype == "f64":
        rules += f"""
{fold("Add", "+")}{fold("Sub", "-")}{fold("Mul", "*")}{fold("Div", "/")}"""
    return rules


RULESETS = [Ruleset("ieee", True, "identities exact in IEEE arithmetic (unit and zero elements where safe, "
                    "negation folding, commutation, x*2, x**2, division by powers of two, constant folding)",
                    _ieee)]
