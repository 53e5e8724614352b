"""Powers (fastmath only).

- ``powi``: ``x**n`` for integer ``n > 2`` as addition chains (``x**n = x**(n/2) * x**(n/2)`` for even ``n``,
  ``x * x**(n-1)`` for odd ``n``, ``x**a * x**b`` -> ``x**(a+b)``: the extractor picks the shortest chain the
  e-graph holds, sharing powers other terms need), ``x**-n`` -> ``1 / x**n``, ``pow(x, c)`` with an integral
  ``c`` -> ``x**c``;
- ``sqrt``: ``pow(x, 0.5)`` -> ``sqrt(x)``, ``pow(x, -0.5)`` -> ``1/sqrt(x)``, ``sqrt(x)*sqrt(x)`` -> ``x``;
- ``horner``: ``a*x**n + b*x**m`` -> ``x**m * (a*x**(n-m) + b)`` (with ``factor`` this builds Horner's form).
"""

from __future__ import annotations

from ircc.passes.eqsat_rules import Ruleset


def _powi(ftype: str) -> str:
    r = ":ruleset powi"
    return f"""
(rule ((= e (PowI x n)) (> n 2) (= (% n 2) 0)) ((union e (Mul (PowI x (/ n 2)) (PowI x (/ n 2))))) {r})
(rule ((= e (PowI x n)) (> n 2) (= (% n 2) 1)) ((union e (Mul x (PowI x (- n 1))))) {r})
(rule ((= e (PowI x n)) (< n 0)) ((union e (Div (Num 1.0) (PowI x (- 0 n))))) {r})
(rule ((= e (Mul (PowI x a) (PowI x b))) (> a 0) (> b 0)) ((union e (PowI x (+ a b)))) {r})
(rule ((= e (Mul x (PowI x a))) (> a 0)) ((union e (PowI x (+ a 1)))) {r})
(rule ((= e (Mul x x))) ((union e (PowI x 2))) {r})
(rule ((= e (Pow x (Num c))) (= c (to-f64 (to-i64 c))) (<= (abs c) 64.0)) ((union e (PowI x (to-i64 c)))) {r})
"""


def _sqrt(ftype: str) -> str:
    r = ":ruleset sqrt"
    return f"""
(rewrite (Pow x (Num 0.5)) (Sqrt x) {r})
(rewrite (Pow x (Num -0.5)) (Div (Num 1.0) (Sqrt x)) {r})
(rewrite (Mul (Sqrt x) (Sqrt x)) x {r})
"""


def _horner(ftype: str) -> str:
    r = ":ruleset horner"
    return f"""
(rule ((= e (Add (Mul a (PowI x n)) (Mul b (PowI x m)))) (> n m))
      ((union e (Mul (PowI x m) (Add (Mul a (PowI x (- n m))) b)))) {r})
(rule ((= e (Add (Mul a (PowI x n)) (Mul b x))) (> n 1))
      ((union e (Mul x (Add (Mul a (PowI x (- n 1))) b)))) {r})
(rule ((= e (Add (Mul a (PowI x n)) x)) (> n 1))
      ((union e (Mul x (Add (Mul a (PowI x (- n 1))) (Num 1.0))))) {r})
"""


RULESETS = [
    Ruleset("powi", False, "integer powers as addition chains of multiplications", _powi),
    Ruleset("sqrt", False, "pow(x, 0.5) -> sqrt(x), pow(x, -0.5) -> 1/sqrt(x), sqrt(x)*sqrt(x) -> x", _sqrt),
    Ruleset("horner", False, "a*x**n + b*x**m -> x**m * (a*x**(n-m) + b): Horner's form", _horner),
]
