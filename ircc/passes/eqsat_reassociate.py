"""Ranked reassociation of the terms the e-graph starts from (fastmath only), as LLVM's Reassociate ranks
operands, so that factoring needs no associativity rules.

A sum tree (``+``, ``-``, negation) or product tree (``*``) is a maximal group of such ops in which every
inner value has one use, by the next op of the tree (a value used twice, or outside the arithmetic, starts
its own tree). Each tree is flattened into signed terms / factors and written back as a left-deep chain:

- a product's factors go by how many terms of the enclosing sum contain them, most first (then by how many
  products of the block contain them, then by first appearance), so terms sharing factors share a left
  operand: ``l0*m1*cos(q1) + l0*m2*cos(q1)`` becomes ``((l0*cos(q1))*m1) + ((l0*cos(q1))*m2)``, which the
  ``factor`` rule ``a*b + a*c -> a*(b+c)`` takes in one step, and a long sum in one step per term, where
  with associativity the e-graph would explode first;
- a sum's terms go positive first, then negative, each group by last appearance first (so the sums
  ``m8 + ... + m1`` and ``m8 + ... + m2`` that factoring leaves behind share their prefix);
  ``-a - b - c`` becomes ``-(a + b + c)``.

The rewritten trees compute the same value up to rounding (reassociation) with the same number of ops;
``ExprBlock.program`` uses them in place of the originals when the pass runs with fastmath.
"""

from __future__ import annotations

from collections import Counter

from xdsl.ir import SSAValue

SUM_OPS = ("Add", "Sub", "Neg")
PRODUCT_OPS = ("Mul",)


def reassociate(eb) -> dict[SSAValue, str]:
    """value -> its tree's ranked term (operands as the block's ``vK`` names or leaf terms)."""
    kind: dict[SSAValue, str] = {}
    order = {op.results[0]: i for i, op in enumerate(eb.ops)}
    for op, text in zip(eb.ops, eb.lets):
        ctor = text[1:].split(" ", 1)[0]
        if ctor in SUM_OPS or ctor in PRODUCT_OPS:
            kind[op.results[0]] = ctor
    mapped = set(eb.ops)
    users: dict[SSAValue, list] = {v: [u.operation for u in v.uses] for v in kind}

    def family(ctor: str) -> tuple[str, ...]:
        return SUM_OPS if ctor in SUM_OPS else PRODUCT_OPS

    def inner(v: SSAValue, fam: tuple[str, ...]) -> bool:
        """``v`` is an inner node of a tree of family ``fam``: one use, by an op of the same family."""
        if v not in kind or kind[v] not in fam or v in eb.roots:
            return False
        us = users[v]
        return len(us) == 1 and us[0] in mapped and kind.get(us[0].results[0]) in fam

    def ref(v: SSAValue) -> str:
        return eb.terms[v]

    def sum_terms(v: SSAValue, sign: int, out: list[tuple[int, SSAValue]]) -> None:
        op = v.owner
        ctor = kind[v]
        operands = list(op.operands)
        signs = {"Add": (1, 1), "Sub": (1, -1), "Neg": (-1,)}[ctor]
        for operand, s in zip(operands, signs):
            if inner(operand, SUM_OPS):
                sum_terms(operand, sign * s, out)
            else:
                out.append((sign * s, operand))

    def factors(v: SSAValue, out: list[SSAValue]) -> None:
        for operand in v.owner.operands:
            if inner(operand, PRODUCT_OPS):
                factors(operand, out)
            else:
                out.append(operand)

    def position(v: SSAValue) -> int:
        return order.get(v, -1)

    result: dict[SSAValue, str] = {}
    overall: Counter = Counter()  # in how many product trees of the block each factor appears
    for v, ctor in kind.items():
        if ctor in PRODUCT_OPS and not inner(v, PRODUCT_OPS):
            fs0: list[SSAValue] = []
            factors(v, fs0)
            overall.update(set(fs0))

    def product_text(v: SSAValue, counts: Counter) -> str:
        fs: list[SSAValue] = []
        factors(v, fs)
        fs.sort(key=lambda f: (-counts.get(f, 0), -overall.get(f, 0), position(f)))
        text = ref(fs[0])
        for f in fs[1:]:
            text = f"(Mul {text} {ref(f)})"
        return text

    for v, ctor in kind.items():
        if inner(v, family(ctor)):
            continue  # part of a larger tree
        if ctor in PRODUCT_OPS:
            if v not in result:
                result[v] = product_text(v, Counter())
            continue
        terms: list[tuple[int, SSAValue]] = []
        sum_terms(v, 1, terms)
        # the products that are terms of this sum (single use: inner to it) rank their factors by this sum
        products = [t for _, t in terms if t in kind and kind[t] in PRODUCT_OPS and len(users[t]) == 1
                    and t not in eb.roots]
        counts: Counter = Counter()
        for p in products:
            fs: list[SSAValue] = []
            factors(p, fs)
            counts.update(set(fs))

        def term_text(t: SSAValue) -> str:
            if t in products:
                return product_text(t, counts)
            return ref(t)

        plus = sorted((t for s, t in terms if s > 0), key=position, reverse=True)
        minus = sorted((t for s, t in terms if s < 0), key=position, reverse=True)
        if plus:
            text = term_text(plus[0])
            for t in plus[1:]:
                text = f"(Add {text} {term_text(t)})"
            for t in minus:
                text = f"(Sub {text} {term_text(t)})"
        else:
            text = term_text(minus[0])
            for t in minus[1:]:
                text = f"(Add {text} {term_text(t)})"
            text = f"(Neg {text})"
        result[v] = text
        for p in products:
            result.pop(p, None)  # rendered inside the sum
    return result
