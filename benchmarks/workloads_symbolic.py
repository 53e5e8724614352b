"""Symbolic workloads for ``benchmarks/symbolic.py``.

Each workload is a function returning ``(name, exprs, args)``: ``exprs`` is a flat list of sympy expressions
(the outputs, in order) and ``args`` the list of plain :class:`sympy.Symbol` arguments, in order. Every
expression is an ordinary expression of plain symbols (no functions of time, no derivatives), so every
contender can be prepared from the same ``(exprs, args)``.

Argument names deliberately avoid ``x0``, ``x1``, ... (the names CSE passes give their temporaries).

| workload | args | outputs |
|---|---|---|
| robertson | 6 (y1..y3, k1..k3) | 12 (3 RHS + 9 Jacobian entries) |
| pendulum | 37 (q0..q8, u0..u8, F, g, l0..l7, m0..m8) | 342 (18x18 full mass matrix + 18 forcing) |
| massaction | 90 (s0..s29, k0..k59) | 930 (30 RHS + 30x30 Jacobian, zeros included) |
"""

from __future__ import annotations

import random
from collections.abc import Callable

import sympy

Workload = tuple[str, list[sympy.Expr], list[sympy.Symbol]]


def robertson() -> Workload:
    """Robertson's stiff chemical kinetics ODE: 3 RHS entries and the 3x3 Jacobian w.r.t. (y1, y2, y3).

    Args: ``(y1, y2, y3, k1, k2, k3)``; outputs: 12 (RHS, then the Jacobian row by row).
    """
    y1, y2, y3, k1, k2, k3 = sympy.symbols("y1 y2 y3 k1 k2 k3")
    rhs = [
        -k1 * y1 + k3 * y2 * y3,
        k1 * y1 - k2 * y2**2 - k3 * y2 * y3,
        k2 * y2**2,
    ]
    jac = sympy.Matrix(rhs).jacobian([y1, y2, y3])
    return "robertson", rhs + list(jac), [y1, y2, y3, k1, k2, k3]


def pendulum(links: int = 8) -> Workload:
    """``sympy.physics.mechanics.models.n_link_pendulum_on_cart(links)`` (cart force on, no joint torques).

    Outputs: ``kane.mass_matrix_full`` (row by row) then ``kane.forcing_full``; for 8 links that is
    18x18 + 18 = 342 expressions. Dynamic symbols ``q_i(t)``, ``u_i(t)``, ``F(t)`` are replaced by plain
    symbols of the same names. Args: the generalized coordinates ``q0..q{links}``, the speeds
    ``u0..u{links}``, then the remaining free symbols sorted by name (``F``, ``g``, ``l0..``, ``m0..``):
    37 args for 8 links (``q0``, the cart position, appears in no output but is still an argument).
    """
    from sympy.physics.mechanics import find_dynamicsymbols, models, msubs

    kane = models.n_link_pendulum_on_cart(links, cart_force=True, joint_torques=False)
    mass = kane.mass_matrix_full
    forcing = kane.forcing_full
    dyn = set(find_dynamicsymbols(mass)) | set(find_dynamicsymbols(forcing))
    dyn |= set(kane.q) | set(kane.u)
    subs = {d: sympy.Symbol(d.func.__name__) for d in dyn}
    exprs = [msubs(e, subs) for e in list(mass) + list(forcing)]
    q = [subs[d] for d in kane.q]
    u = [subs[d] for d in kane.u]
    rest = set().union(*(e.free_symbols for e in exprs)) - set(q) - set(u)
    if any(s.name == "t" for s in rest):
        raise RuntimeError("pendulum: time symbol left after substitution")
    args = q + u + sorted(rest, key=lambda s: s.name)
    return "pendulum", exprs, args


def massaction(species: int = 30, reactions: int = 60, seed: int = 0) -> Workload:
    """A random mass-action network (``random.Random(seed)``).

    Each reaction has 1-2 distinct reactant species and 1-2 distinct product species and rate
    ``k_r * prod(reactants)``. Outputs: the ``species`` RHS entries, then the ``species x species``
    Jacobian row by row, zeros included (930 outputs for 30 species). Args: species concentrations
    ``s0..`` then rate constants ``k0..`` (90 args for 30 species and 60 reactions).
    """
    rng = random.Random(seed)
    conc = list(sympy.symbols(f"s0:{species}"))
    rates = list(sympy.symbols(f"k0:{reactions}"))
    rhs: list[sympy.Expr] = [sympy.Integer(0)] * species
    for r in range(reactions):
        reactants = rng.sample(range(species), rng.randint(1, 2))
        products = rng.sample(range(species), rng.randint(1, 2))
        rate = rates[r] * sympy.Mul(*(conc[i] for i in reactants))
        for i in reactants:
            rhs[i] -= rate
        for i in products:
            rhs[i] += rate
    jac = sympy.Matrix(rhs).jacobian(conc)
    return "massaction", rhs + list(jac), conc + rates


WORKLOADS: dict[str, Callable[[], Workload]] = {
    "robertson": robertson,
    "pendulum": pendulum,
    "massaction": massaction,
}
