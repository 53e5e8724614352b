"""The e-graph pass's rulesets, one module per domain, written in egglog's own language.

Each ruleset is a ``Ruleset(name, exact, doc, rules)``: ``rules(ftype)`` returns egglog commands (text) that
add rules to the ruleset named ``name``; ``ftype`` is ``"f64"`` or ``"f32"`` (constant folding is only exact
in the kernel's own precision, so f32 e-graphs get no folding). ``exact`` rulesets hold only identities that
are exact in IEEE arithmetic (round to nearest, NaN payloads aside); every other ruleset needs ``fastmath``.

The terms (see ``ircc.passes.eqsat_bridge``): ``(Leaf i)`` an opaque value, ``(Num c)`` a float constant
other than -0.0 / NaN / inf (those are ``(Special i)``, never folded), and one constructor per op.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Ruleset:
    name: str
    exact: bool
    doc: str
    rules: Callable[[str], str]


def all_rulesets() -> dict[str, Ruleset]:
    """name -> ruleset, in the order they are registered."""
    from ircc.passes.eqsat_rules import algebra, fma, ieee, powers, transcendental, trig

    out: dict[str, Ruleset] = {}
    for module in (ieee, algebra, powers, transcendental, trig, fma):
        for rs in module.RULESETS:
            out[rs.name] = rs
    return out

