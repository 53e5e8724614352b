"""The bridge between a block's float arithmetic and an egglog e-graph: terms out, extracted terms back in.

``ExprBlock.collect(block, ftype)`` finds the ops of one float type the e-graph knows (``OPS`` below, float
constants, ``math.fpowi`` with a constant exponent) and the values they read from everything else (block
arguments, loads, calls ...: opaque ``(Leaf i)`` terms). The roots are the values something outside the
arithmetic uses (a store, a region, a terminator). Each root and each value used twice gets a top-level
``(let $vK term)`` (sharing in the IR is sharing in the e-graph, and the let names find the roots' e-classes
again); a value used once is written inline in its user's term. Measured on the pendulum's 1837 ops: one
``let`` per op costs egglog ~0.3 ms each, and one rule holding every op as a local costs time cubic in its
length (2 s); 205 lets with nested terms take 0.1 s.

``ExprBlock.rebuild(choice)`` materializes each root's chosen term just before its first user, each
e-class once (so a shared subterm is computed once), and erases the old ops.
"""

from __future__ import annotations

import math as _math
import re
import struct
from dataclasses import dataclass, field

from xdsl.dialects import arith, math
from xdsl.dialects.builtin import Float32Type, Float64Type, FloatAttr, IntegerAttr, IntegerType
from xdsl.ir import Attribute, Block, BlockArgument, Operation, SSAValue
from xdsl.rewriter import InsertPoint, Rewriter

from ircc.ir.dialects.math_ext import ErfcOp
from ircc.passes.expand_powi import constant_exponent


@dataclass(frozen=True)
class OpSpec:
    """One e-graph constructor: its egglog name, the op it stands for, its arity and cost-table key."""

    name: str
    cls: type[Operation]
    arity: int
    cost_key: str


OPS: tuple[OpSpec, ...] = (
    OpSpec("Add", arith.AddfOp, 2, "add"), OpSpec("Sub", arith.SubfOp, 2, "sub"),
    OpSpec("Mul", arith.MulfOp, 2, "mul"), OpSpec("Div", arith.DivfOp, 2, "div"),
    OpSpec("Neg", arith.NegfOp, 1, "neg"), OpSpec("Fma", math.FmaOp, 3, "fma"),
    OpSpec("Min", arith.MinimumfOp, 2, "min"), OpSpec("Max", arith.MaximumfOp, 2, "max"),
    OpSpec("Sqrt", math.SqrtOp, 1, "sqrt"), OpSpec("Exp", math.ExpOp, 1, "exp"),
    OpSpec("Log", math.LogOp, 1, "log"), OpSpec("Sin", math.SinOp, 1, "sin"),
    OpSpec("Cos", math.CosOp, 1, "cos"), OpSpec("Tan", math.TanOp, 1, "tan"),
    OpSpec("Pow", math.PowFOp, 2, "pow"), OpSpec("Atan", math.AtanOp, 1, "atan"),
    OpSpec("Atan2", math.Atan2Op, 2, "atan2"), OpSpec("Asin", math.AsinOp, 1, "asin"),
    OpSpec("Acos", math.AcosOp, 1, "acos"), OpSpec("Sinh", math.SinhOp, 1, "sinh"),
    OpSpec("Cosh", math.CoshOp, 1, "cosh"), OpSpec("Tanh", math.TanhOp, 1, "tanh"),
    OpSpec("Asinh", math.AsinhOp, 1, "asinh"), OpSpec("Acosh", math.AcoshOp, 1, "acosh"),
    OpSpec("Atanh", math.AtanhOp, 1, "atanh"), OpSpec("Erf", math.ErfOp, 1, "erf"),
    OpSpec("Erfc", ErfcOp, 1, "erf"), OpSpec("Abs", math.AbsFOp, 1, "abs"),
    OpSpec("Floor", math.FloorOp, 1, "floor"), OpSpec("Ceil", math.CeilOp, 1, "ceil"),
    OpSpec("Exp2", math.Exp2Op, 1, "exp2"), OpSpec("Log2", math.Log2Op, 1, "log2"),
    OpSpec("Log10", math.Log10Op, 1, "log10"), OpSpec("Expm1", math.ExpM1Op, 1, "expm1"),
    OpSpec("Log1p", math.Log1pOp, 1, "log1p"), OpSpec("Cbrt", math.CbrtOp, 1, "cbrt"),
)
#: fused multiply-adds with a negated operand: ``Fms a b c`` = a*b - c, ``Fnma a b c`` = c - a*b (one
#: instruction each on x86; built as ``math.fma`` with an ``arith.negf`` operand, which LLVM folds)
FUSED_NEGATED = ("Fms", "Fnma")
BY_CLASS: dict[type[Operation], OpSpec] = {s.cls: s for s in OPS}
BY_NAME: dict[str, OpSpec] = {s.name: s for s in OPS}
#: constants egglog's f64 cannot hold faithfully (its -0.0 equals 0.0): opaque ``(Special i)`` terms
SPECIALS: tuple[float, ...] = (-0.0, _math.nan, _math.inf, -_math.inf)
LEAF_OPS = ("Leaf", "Num", "Special")
I32 = IntegerType(32)


def _bits(x: float) -> int:
    return struct.unpack("<q", struct.pack("<d", x))[0]


def _special_index(x: float) -> int | None:
    if _math.isnan(x):
        return 1
    for i, s in enumerate(SPECIALS):
        if not _math.isnan(s) and x == s and _math.copysign(1.0, x) == _math.copysign(1.0, s):
            return i
    return None


def powi_chain(n: int) -> int:
    """Multiplications square-and-multiply needs for ``x**|n|`` (what ``expand-powi`` emits)."""
    n = abs(n)
    return max(n.bit_length() - 1 + bin(n).count("1") - 1, 0)


def declarations(costs: dict[str, int], rulesets: list[str]) -> str:
    """The datatype with one constructor per op (its ``:cost`` from the table), the analyses, the rulesets."""
    ctors = ["(Leaf i64 :cost 0)", "(Num f64 :cost 0)", "(Special i64 :cost 0)",
             f"(PowI M i64 :cost {costs['mul'] * 2})"]
    ctors += [f"({s.name} {' '.join(['M'] * s.arity)} :cost {costs[s.cost_key]})" for s in OPS]
    ctors += [f"({name} M M M :cost {costs['fma']})" for name in FUSED_NEGATED]
    lines = ["(datatype M " + " ".join(ctors) + ")", "(relation NotNegZero (M))",
             "(relation Pow2Recip (f64 f64))"]
    lines += [f"(ruleset {name})" for name in rulesets]
    return "\n".join(lines)


_REF = re.compile(r"\bv\d+\b")


@dataclass
class ExprBlock:
    """The float arithmetic of one type in one block, as e-graph terms."""

    block: Block
    ftype: Attribute
    ops: list[Operation] = field(default_factory=list)  # the ops the e-graph replaces, in block order
    terms: dict[SSAValue, str] = field(default_factory=dict)  # value -> its local name (vK) or leaf term
    lets: list[str] = field(default_factory=list)  # each op's term, operands as vK names or leaf terms
    leaves: list[SSAValue] = field(default_factory=list)
    values: dict[str, SSAValue] = field(default_factory=dict)  # vK -> value
    roots: dict[SSAValue, str] = field(default_factory=dict)  # root value -> its let name ($vK)
    constants: set[float] = field(default_factory=set)

    @property
    def type_name(self) -> str:
        return "f64" if isinstance(self.ftype, Float64Type) else "f32"

    # -- IR -> terms -------------------------------------------------------------------------
    @classmethod
    def collect(cls, block: Block, ftype: Attribute) -> ExprBlock:
        eb = cls(block, ftype)
        for op in block.ops:
            term = eb._term(op)
            if term is None:
                continue
            name = f"v{len(eb.lets)}"
            eb.lets.append(term)
            eb.terms[op.results[0]] = name
            eb.values[name] = op.results[0]
            eb.ops.append(op)
        mapped = set(eb.ops)
        for op in eb.ops:
            value = op.results[0]
            if any(use.operation not in mapped for use in value.uses):
                eb.roots[value] = "$" + eb.terms[value]
        return eb

    def _leaf(self, value: SSAValue) -> str:
        if value in self.terms:
            return self.terms[value]
        owner = value.owner
        if isinstance(owner, arith.ConstantOp) and owner.parent_block() is not self.block:
            term = self._constant(owner)  # a constant of an enclosing block is still a constant here
            if term is not None:
                self.terms[value] = term
                return term
        term = f"(Leaf {len(self.leaves)})"
        self.leaves.append(value)
        self.terms[value] = term
        return term

    def _term(self, op: Operation) -> str | None:
        if len(op.results) != 1 or op.results[0].type != self.ftype:
            return None
        if isinstance(op, arith.ConstantOp):
            return self._constant(op)
        if isinstance(op, math.FPowIOp):
            n = constant_exponent(op.rhs)
            if n is None or op.lhs.type != self.ftype:
                return None
            return f"(PowI {self._leaf(op.lhs)} {n})"
        spec = BY_CLASS.get(type(op))
        if spec is None or any(v.type != self.ftype for v in op.operands):
            return None
        return f"({spec.name} {' '.join(self._leaf(v) for v in op.operands)})"

    def _constant(self, op: arith.ConstantOp) -> str | None:
        if not isinstance(op.value, FloatAttr) or op.result.type != self.ftype:
            return None
        x = float(op.value.value.data)
        special = _special_index(x)
        if special is not None:
            return f"(Special {special})"
        self.constants.add(x)
        return f"(Num {x!r})"

    def facts(self) -> str:
        """Facts the rules need about the block's constants: exact reciprocals of powers of two."""
        out = []
        for c in sorted(self.constants):
            m, e = _math.frexp(c)
            if abs(m) == 0.5 and -1021 <= 1 - e <= 1023 and c != 0.0:
                out.append(f"(Pow2Recip {c!r} {1.0 / c!r})")
        return "\n".join(out)

    def program(self, reassociate: bool = False) -> tuple[str, dict[str, str]]:
        """egglog commands for the block's terms, and let name -> term (what ``extract(loaded=)`` takes);
        ``reassociate`` (fastmath only) writes sum and product trees in ranked order first
        (``eqsat_reassociate``)."""
        mapped = set(self.ops)
        named = {v for op in self.ops for v in op.results
                 if v in self.roots or sum(1 for u in v.uses if u.operation in mapped) > 1}
        text = {op.results[0]: body for op, body in zip(self.ops, self.lets)}
        if reassociate:
            from ircc.passes.eqsat_reassociate import reassociate as ranked

            text.update(ranked(self))
        loaded: dict[str, str] = {}

        def render(v: SSAValue, top: bool) -> str:
            if v not in text:
                return self.terms[v]  # a leaf
            if not top and v in named:
                return "$" + self.terms[v]
            return _REF.sub(lambda m: render(self.values[m.group(0)], False), text[v])

        for op in self.ops:
            v = op.results[0]
            if v in named:
                loaded["$" + self.terms[v]] = render(v, True)
        lets = "\n".join(f"(let {name} {term})" for name, term in loaded.items())
        return self.facts() + "\n" + lets, loaded

    # -- terms -> IR ---------------------------------------------------------------------------
    def rebuild(self, graph, choice: dict[str, int], root_classes: dict[SSAValue, str]) -> bool:
        """Replace the block's arithmetic by the chosen terms; False (nothing changed) if a chosen term reads
        a value not yet defined where it is needed."""
        block = self.block
        position = {op: i for i, op in enumerate(block.ops)}
        mapped = set(self.ops)
        users: dict[Operation, list[SSAValue]] = {}
        for value in self.roots:
            for use in value.uses:
                if use.operation in mapped:
                    continue
                user = block.find_ancestor_op_in_block(use.operation)
                assert user is not None, "a use outside the block"
                users.setdefault(user, []).append(value)
        memo: dict[str, SSAValue] = {}
        consts: dict[int, SSAValue] = {}
        inserted: list[Operation] = []
        replace: dict[SSAValue, SSAValue] = {}

        def available(v: SSAValue, at: int) -> bool:
            owner = v.owner
            if isinstance(v, BlockArgument) or owner.parent_block() is not block:
                return True
            return position.get(owner, at) < at and owner not in mapped

        def const(x: float, at_op: Operation) -> SSAValue:
            key = _bits(x)
            if key not in consts:
                c = arith.ConstantOp(FloatAttr(x, self.ftype))
                Rewriter.insert_op(c, InsertPoint.before(at_op))
                inserted.append(c)
                consts[key] = c.result
            return consts[key]

        def build(eclass: str, at_op: Operation, at: int) -> SSAValue:
            if eclass in memo:
                return memo[eclass]
            node = graph.nodes[choice[eclass]]
            op_name = node.op
            if op_name == "Leaf":
                v = self.leaves[node.ints[0]]
                if not available(v, at):
                    raise _NotDominated
                result = v
            elif op_name == "Num":
                result = const(node.floats[0], at_op)
            elif op_name == "Special":
                result = const(SPECIALS[node.ints[0]], at_op)
            else:
                args = [build(c, at_op, at) for c in node.children]
                if op_name == "PowI":
                    n = arith.ConstantOp(IntegerAttr(node.ints[0], I32))
                    Rewriter.insert_op(n, InsertPoint.before(at_op))
                    inserted.append(n)
                    new = math.FPowIOp(args[0], n.result)
                elif op_name in FUSED_NEGATED:
                    which = 2 if op_name == "Fms" else 0
                    neg = arith.NegfOp(args[which])
                    Rewriter.insert_op(neg, InsertPoint.before(at_op))
                    inserted.append(neg)
                    args[which] = neg.result
                    new = math.FmaOp(*args)
                else:
                    new = BY_NAME[op_name].cls(*args)
                Rewriter.insert_op(new, InsertPoint.before(at_op))
                inserted.append(new)
                result = new.results[0]
            memo[eclass] = result
            return result

        try:
            for user in sorted(users, key=position.__getitem__):
                for value in users[user]:
                    if value not in replace:
                        replace[value] = build(root_classes[value], user, position[user])
        except _NotDominated:
            for op in reversed(inserted):
                op.detach()
                op.erase()
            return False
        for old, new in replace.items():
            for use in list(old.uses):
                if use.operation not in mapped:
                    use.operation.operands[use.index] = new
        for op in reversed(self.ops):
            op.detach()
            op.erase(safe_erase=False)
        return True


class _NotDominated(Exception):
    pass


def float_types(block: Block) -> list[Attribute]:
    """The float types of the arithmetic in ``block`` (f64 first)."""
    seen = []
    for op in block.ops:
        if len(op.results) == 1 and isinstance(op.results[0].type, (Float64Type, Float32Type)):
            t = op.results[0].type
            if t not in seen:
                seen.append(t)
    return sorted(seen, key=lambda t: 0 if isinstance(t, Float64Type) else 1)
