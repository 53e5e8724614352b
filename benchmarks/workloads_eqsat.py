"""The e-graph benchmark's own expression set (``benchmarks/eqsat.py`` runs it beside the symbolic workloads).

``identities``: 24 outputs over ``x, y, z, t`` written the way generated code often is, where the classic
rewrites pay: expanded polynomials of degree 9 (Horner), sums of fractions over one denominator and several
quotients by one divisor (one division), Arrhenius-style products of exponentials (one ``exp``), sums of
logarithms (one ``log``), ``r*sin^2 + r*cos^2`` (``r``), ``x**k`` for several ``k`` (shared powers).
Coefficients come from ``random.Random(seed)``; values stay finite for arguments in [0.5, 1.5].
"""

from __future__ import annotations

import random

import sympy

Workload = tuple[str, list[sympy.Expr], list[sympy.Symbol]]


def identities(seed: int = 0) -> Workload:
    rng = random.Random(seed)
    x, y, z, t = sympy.symbols("x y z t")
    out: list[sympy.Expr] = []
    for _ in range(4):  # expanded polynomials
        out.append(sympy.Add(*(rng.randint(-9, 9) * x**k for k in range(10))))
    den = x * y + z
    for _ in range(4):  # fractions over one denominator, kept apart by sympy
        a, b, c = (rng.randint(1, 9) for _ in range(3))
        out.append(sympy.Mul(a * x + b, sympy.Pow(den, -1), evaluate=False)
                   + sympy.Mul(c * y, sympy.Pow(den, -1), evaluate=False))
    for _ in range(4):  # quotients by one divisor
        out.append(rng.randint(1, 9) * z / (t + x))
    for _ in range(4):  # Arrhenius-style rates
        a, e, b = rng.uniform(0.5, 2), rng.uniform(0.5, 2), rng.uniform(0.5, 2)
        out.append(a * sympy.exp(-e / t) * sympy.exp(b * x) * sympy.exp(-y))
    for _ in range(2):  # sums of logarithms
        out.append(sympy.log(x) + sympy.log(y) + sympy.log(z + rng.randint(1, 3)))
    for _ in range(2):  # Pythagoras in disguise
        r = rng.randint(2, 5) * t
        out.append(r * sympy.sin(x + y) ** 2 + r * sympy.cos(x + y) ** 2 + z)
    out += [x**3 * y, x**5 * y, x**6 * z, x**8 * t]  # powers sharing their chains
    return "identities", out, [x, y, z, t]
