"""``lower-nn``: the ``nn`` dialect to loops over memrefs (scf / memref / arith / math).

``nn.attention`` becomes one loop nest: an ``scf.parallel`` over the (batch, head, query row) triples whose body
computes one row of the output from the keys that row sees (all ``L``, or ``min(i + 1, L)`` when causal). Nothing of
size ``B * H * S * L`` is ever in memory. Two schemes (``scheme=``):

- ``passes`` (the default): the row's ``L`` scores go to a scratch buffer (``memref.alloca``, or
  ``memref.alloc`` where ``L`` is dynamic or large), and four loops over the keys follow:
  1. ``s_j = (q_i . k_j) * scale`` (+ the mask), stored;
  2. their maximum ``m`` (a loop of its own, which LLVM vectorizes: kept beside the dot products, the running
     maximum is a chain of scalar ``maximumf``, and the row took a fifth longer);
  3. ``p_j = exp(s_j - m)``, stored over ``s_j``, with their sum;
  4. ``out_i = sum_j p_j v_j``, then ``out_i *= 1 / sum``.
- ``online``: no scratch; one loop over the keys keeps the running maximum and sum and rescales the row of
  ``out`` by ``exp(m_old - m_new)`` at every key (online softmax).

Every loop over a feature (the dot product over ``d``, the update of the output row) is the innermost loop
and unit stride. ``passes`` is the default because it is the faster on a CPU (2.7x at a decode step of 12 heads
of 64 over 1024 keys): its exponentials sit in a loop of their own that LLVM vectorizes (libmvec's vector
``exp``), while ``online`` pays two scalar exponentials and one extra multiply per output feature at every
key. The reductions (dot products, maximum, sum, the weighted sum of ``v``) carry ``fastmath<reassoc,
contract>``: torch fixes no summation order either.

A row that sees no key at all (every score masked) is written as zeros, as torch's CPU kernel does.

```mlir
nn.attention %q, %k, %v into %out {scale = 1.250000e-01 : f64}
    : memref<1x12x1x64xf32>, memref<1x12x1024x64xf32>, memref<1x12x1024x64xf32> into memref<1x12x1x64xf32>
// lower-nn: scf.parallel (%t) = (0) to (12) { %h = %t mod 12 ; %scores = memref.alloca() : memref<1024xf32>
//   scf.for %j { scf.for %d { q . k } ; store } ; scf.for %j { max } ; scf.for %j { exp ; store ; sum } ;
//   scf.for %e { out = 0 } ; scf.for %j { scf.for %e { out += p * v } } ; scf.for %e { out *= 1 / sum } }
```
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, builtin, math, memref, scf
from xdsl.dialects.builtin import DYNAMIC_INDEX, IntegerType
from xdsl.ir import Block, Region, SSAValue
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import DiagnosticException

from ircc.frontends.torch_import import REDUCTION_FLAGS
from ircc.ir.builder import INDEX, LoopBuilder
from ircc.ir.dialects.nn import AttentionOp

SCHEMES = ("passes", "online")
#: the largest score buffer (bytes) put on the stack; a larger or dynamic one is a heap allocation per row
MAX_STACK_SCRATCH = 64 * 1024


@dataclass(frozen=True)
class LowerNN(ModulePass):
    """``nn.attention`` to one ``scf.parallel`` loop nest; ``scheme=passes|online`` (see the module doc)."""

    name = "lower-nn"

    scheme: str = "passes"

    def apply(self, ctx: Context, op: builtin.ModuleOp) -> None:
        if self.scheme not in SCHEMES:
            raise DiagnosticException(f"lower-nn: unknown scheme '{self.scheme}'; schemes are: {', '.join(SCHEMES)}")
        for attention in [o for o in op.walk() if isinstance(o, AttentionOp)]:
            lower_attention(attention, online=self.scheme == "online")
            attention.detach()
            attention.erase()


def _flagged(b: LoopBuilder, cls: type, x: SSAValue, y: SSAValue) -> SSAValue:
    """A reduction's combining op, reassociable and contractible."""
    return b.value(cls(x, y, flags=REDUCTION_FLAGS))


def _multiply_add(b: LoopBuilder, x: SSAValue, y: SSAValue, acc: SSAValue) -> SSAValue:
    return _flagged(b, arith.AddfOp, acc, _flagged(b, arith.MulfOp, x, y))


def _size(b: LoopBuilder, m: SSAValue, dim: int, name: str) -> SSAValue:
    """Dimension ``dim`` of ``m``: a constant where the type knows it, else ``memref.dim``."""
    size = m.type.get_shape()[dim]
    value = b.index(size) if size != DYNAMIC_INDEX else b.dim(m, dim)
    if size == DYNAMIC_INDEX:
        value.name_hint = name
    return value


@dataclass
class _Row:
    """What the loops of one query row read: the operands, the row's indices, the sizes and the constants."""

    op: AttentionOp
    batch: SSAValue
    head: SSAValue
    row: SSAValue
    depth: SSAValue  # D
    width: SSAValue  # Dv
    seen: SSAValue  # the keys this row sees: L, or min(i + 1, L) when causal
    zero: SSAValue  # 0.0
    neg_inf: SSAValue  # -inf
    scale: SSAValue
    first: SSAValue  # index 0
    step: SSAValue  # index 1

    @property
    def element(self):
        return self.op.q.type.element_type

    def out_index(self, e: SSAValue) -> tuple[SSAValue, ...]:
        return self.batch, self.head, self.row, e

    def loop(self, b: LoopBuilder, count: SSAValue, inits: list[SSAValue], body, name: str) -> list[SSAValue]:
        """``scf.for %name = 0 to count`` carrying ``inits``; ``body(b, iv, *carried)``."""

        def named(b: LoopBuilder, iv: SSAValue, *carried: SSAValue):
            iv.name_hint = name
            return body(b, iv, *carried)

        return b.for_(self.first, count, inits, named, step=self.step)

    def score(self, b: LoopBuilder, j: SSAValue) -> SSAValue:
        """``(q_i . k_j) * scale``, with the mask added (float) or applied (``-inf`` where it is false)."""
        q, k = self.op.q, self.op.k

        def dot(b: LoopBuilder, d: SSAValue, acc: SSAValue) -> list[SSAValue]:
            return [_multiply_add(b, b.load(q, self.batch, self.head, self.row, d),
                                  b.load(k, self.batch, self.head, j, d), acc)]

        s = b.mul(self.loop(b, self.depth, [self.zero], dot, "d")[0], self.scale)
        mask = self.op.mask
        if mask is None:
            return s
        loops = (self.batch, self.head, self.row, j)
        shape = mask.type.get_shape()
        index = [self.first if size == 1 else loops[4 - len(shape) + k] for k, size in enumerate(shape)]
        m = b.load(mask, *index)
        if isinstance(m.type, IntegerType):
            return b.select(m, s, self.neg_inf)
        return b.add(s, m)

    def normalize(self, b: LoopBuilder, total: SSAValue) -> None:
        """``out_i *= 1 / total`` (zeros where no key was seen: ``total`` is 0 only then)."""
        inverse = b.value(arith.DivfOp(b.const(1.0, self.element), total))
        if self.op.mask is not None:
            inverse = b.select(b.cmp("ogt", total, self.zero), inverse, self.zero)
        inverse.name_hint = "inverse"
        out = self.op.out

        def rescale(b: LoopBuilder, e: SSAValue) -> None:
            b.store(b.mul(b.load(out, *self.out_index(e)), inverse), out, *self.out_index(e))

        self.loop(b, self.width, [], rescale, "e")


def lower_attention(op: AttentionOp, *, online: bool = False) -> None:
    """Emit the loop nest of ``op`` before it (the caller erases ``op``).

    The parallel loop is one-dimensional, over the ``B * H * S`` query rows (``t = (b * H + h) * S + i``): the
    backends split the outermost dimension of an ``scf.parallel`` into chunks, and a decode step (``B = S = 1``)
    has its parallel work in the heads only."""
    b = LoopBuilder.before(op)
    q, k = op.q, op.k
    batch, heads, rows = _size(b, q, 0, "batch"), _size(b, q, 1, "heads"), _size(b, q, 2, "rows")
    depth, keys, width = _size(b, q, 3, "depth"), _size(b, k, 2, "keys"), _size(b, op.v, 3, "width")
    zero, one = b.index(0), b.index(1)
    count = b.mul(b.mul(batch, heads), rows)
    element = q.type.element_type
    constants = (b.const(0.0, element), b.const(float("-inf"), element), b.const(op.scale.value.data, element))
    block = Block(arg_types=[INDEX])
    block.args[0].name_hint = "t"
    body = LoopBuilder.at_end(block, op.location)
    i = body.value(arith.RemUIOp(block.args[0], rows))
    head_row = body.value(arith.DivUIOp(block.args[0], rows))
    h = body.value(arith.RemUIOp(head_row, heads))
    n = body.value(arith.DivUIOp(head_row, heads))
    for value, name in ((n, "b"), (h, "h"), (i, "i")):
        value.name_hint = name
    seen = keys
    if op.causal is not None:
        seen = body.min(body.add(i, one), keys)
        seen.name_hint = "seen"
    row = _Row(op, n, h, i, depth, width, seen, *constants, zero, one)
    (_online_row if online else _three_pass_row)(body, row, keys)
    body.insert(scf.ReduceOp())
    b.insert(scf.ParallelOp([zero], [count], [one], Region(block)))


def _scratch(b: LoopBuilder, row: _Row, keys: SSAValue) -> tuple[SSAValue, bool]:
    """The row's score buffer of ``L`` elements, and whether it is a heap allocation to free."""
    element = row.element
    size = row.op.k.type.get_shape()[2]
    if size != DYNAMIC_INDEX and size * element.bitwidth // 8 <= MAX_STACK_SCRATCH:
        buf = b.value(memref.AllocaOp.get(element, shape=[size]))
        heap = False
    else:
        buf = b.value(memref.AllocOp.get(element, shape=[size], dynamic_sizes=[keys] if size == DYNAMIC_INDEX
                                         else []))
        heap = True
    buf.name_hint = "scores"
    return buf, heap


def _clear(b: LoopBuilder, row: _Row) -> None:
    """``out_i = 0``."""
    row.loop(b, row.width, [], lambda b, e: b.store(row.zero, row.op.out, *row.out_index(e)), "e")


def _three_pass_row(b: LoopBuilder, row: _Row, keys: SSAValue) -> None:
    out, v = row.op.out, row.op.v
    scores, heap = _scratch(b, row, keys)
    fzero, neg_inf = row.zero, row.neg_inf

    row.loop(b, row.seen, [], lambda b, j: b.store(row.score(b, j), scores, j), "j")

    def maximum(b: LoopBuilder, j: SSAValue, peak: SSAValue) -> list[SSAValue]:
        return [_flagged(b, arith.MaximumfOp, peak, b.load(scores, j))]

    peak = row.loop(b, row.seen, [neg_inf], maximum, "j")[0]
    peak.name_hint = "peak"
    if row.op.mask is not None:  # every score masked: exp(-inf - 0) = 0 instead of exp(-inf + inf) = nan
        peak = b.select(b.cmp("oeq", peak, neg_inf), fzero, peak)
        peak.name_hint = "shift"

    def exponential(b: LoopBuilder, j: SSAValue, total: SSAValue) -> list[SSAValue]:
        p = b.value(math.ExpOp(b.sub(b.load(scores, j), peak)))
        b.store(p, scores, j)
        return [_flagged(b, arith.AddfOp, total, p)]

    total = row.loop(b, row.seen, [fzero], exponential, "j")[0]
    total.name_hint = "total"
    _clear(b, row)

    def weigh(b: LoopBuilder, j: SSAValue) -> None:
        p = b.load(scores, j)

        def update(b: LoopBuilder, e: SSAValue) -> None:
            at = row.out_index(e)
            b.store(_multiply_add(b, p, b.load(v, row.batch, row.head, j, e), b.load(out, *at)), out, *at)

        row.loop(b, row.width, [], update, "e")

    row.loop(b, row.seen, [], weigh, "j")
    row.normalize(b, total)
    if heap:
        b.dealloc(scores)


def _online_row(b: LoopBuilder, row: _Row, keys: SSAValue) -> None:
    out, v = row.op.out, row.op.v
    fzero, neg_inf = row.zero, row.neg_inf
    _clear(b, row)

    def step(b: LoopBuilder, j: SSAValue, peak: SSAValue, total: SSAValue) -> list[SSAValue]:
        s = row.score(b, j)
        new_peak = _flagged(b, arith.MaximumfOp, peak, s)
        shift = new_peak
        if row.op.mask is not None:  # nothing seen yet: keep the shift finite (the row stays zeros)
            shift = b.select(b.cmp("oeq", new_peak, neg_inf), fzero, new_peak)
        correction = b.value(math.ExpOp(b.sub(peak, shift)))
        p = b.value(math.ExpOp(b.sub(s, shift)))

        def update(b: LoopBuilder, e: SSAValue) -> None:
            at = row.out_index(e)
            kept = _flagged(b, arith.MulfOp, b.load(out, *at), correction)
            b.store(_multiply_add(b, p, b.load(v, row.batch, row.head, j, e), kept), out, *at)

        row.loop(b, row.width, [], update, "e")
        return [new_peak, _multiply_add(b, total, correction, p)]

    _, total = row.loop(b, row.seen, [neg_inf, fzero], step, "j")
    total.name_hint = "total"
    row.normalize(b, total)

