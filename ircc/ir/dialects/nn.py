"""The ``nn`` dialect: the neural-network ops ``linalg`` cannot say as one op.

Only what needs to stay whole until a pass chooses its loops lives here; everything else the torch frontend
writes as ``linalg``. Ops are on memrefs in destination-passing style (the last operand is written, there are
no results), so they sit beside the ``linalg`` ops the importer emits. ``lower-nn`` turns each into loops
(``scf`` / ``memref`` / ``arith`` / ``math``).

```mlir
// one decode step: 1 query position against a KV cache of 1024, 12 heads of 64
nn.attention %q, %k, %v into %out {scale = 1.250000e-01 : f64}
    : memref<1x12x1x64xf32>, memref<1x12x1024x64xf32>, memref<1x12x1024x64xf32> into memref<1x12x1x64xf32>
```
"""

from __future__ import annotations

from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    Float32Type,
    Float64Type,
    FloatAttr,
    IntegerType,
    MemRefType,
    UnitAttr,
)
from xdsl.ir import Dialect, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    attr_def,
    irdl_op_definition,
    operand_def,
    opt_attr_def,
    opt_operand_def,
)
from xdsl.utils.exceptions import VerifyException


def _same_size(a: int, b: int) -> bool:
    """Whether two static-or-dynamic sizes may be equal (a dynamic one matches anything)."""
    return a == DYNAMIC_INDEX or b == DYNAMIC_INDEX or a == b


@irdl_op_definition
class AttentionOp(IRDLOperation):
    """Scaled dot-product attention: ``out = softmax(q @ k^T * scale + mask) @ v`` per batch and head.

    ``q`` is ``[B, H, S, D]``, ``k`` ``[B, H, L, D]``, ``v`` ``[B, H, L, Dv]``, ``out`` ``[B, H, S, Dv]`` (any
    size may be ``?``). The optional ``mask`` broadcasts (numpy rules, rank 1 to 4) to the scores ``[B, H, S, L]``:
    ``i1`` keeps a score where it is true, a float mask is added to the scaled scores. ``causal``: query ``i``
    sees the keys ``j <= i`` (top-left aligned, as torch's ``is_causal``, also where ``S != L``). Only a static
    size 1 in the mask broadcasts; a ``?`` size is read as the scores' full size. A query row
    that sees no key at all (every score masked) is written as zeros, as torch's CPU kernel does.

    ```mlir
    nn.attention %q, %k, %v mask %m into %out {scale = 5.000000e-01 : f64, causal}
        : memref<2x2x5x4xf32>, memref<2x2x5x4xf32>, memref<2x2x5x4xf32> mask memref<5x5xi1>
        into memref<2x2x5x4xf32>
    ```
    """

    name = "nn.attention"
    q = operand_def(MemRefType)
    k = operand_def(MemRefType)
    v = operand_def(MemRefType)
    mask = opt_operand_def(MemRefType)
    out = operand_def(MemRefType)
    scale = attr_def(FloatAttr)
    causal = opt_attr_def(UnitAttr)
    assembly_format = ("$q `,` $k `,` $v (`mask` $mask^)? `into` $out attr-dict `:` type($q) `,` type($k) `,` "
                       "type($v) (`mask` type($mask)^)? `into` type($out)")

    def __init__(self, q: SSAValue, k: SSAValue, v: SSAValue, out: SSAValue, *, scale: float,
                 mask: SSAValue | None = None, causal: bool = False):
        attrs = {"scale": FloatAttr(float(scale), Float64Type())}
        if causal:
            attrs["causal"] = UnitAttr()
        super().__init__(operands=[q, k, v, [mask] if mask is not None else [], out], attributes=attrs)

    def verify_(self) -> None:
        types = {"q": self.q.type, "k": self.k.type, "v": self.v.type, "out": self.out.type}
        for what, t in types.items():
            assert isinstance(t, MemRefType), t
            if len(t.get_shape()) != 4:
                raise VerifyException(f"nn.attention: {what} must have rank 4 ([B, H, rows, features]), "
                                      f"got {t}")
        element = self.q.type.element_type
        if not isinstance(element, (Float32Type, Float64Type)):
            raise VerifyException(f"nn.attention: q's elements must be f32 or f64, got {element}")
        for what, t in types.items():
            if t.element_type != element:
                raise VerifyException(f"nn.attention: q, k, v and out must have one element type; q has "
                                      f"{element}, {what} has {t.element_type}")
        if not isinstance(self.scale.type, Float64Type):
            raise VerifyException(f"nn.attention: scale must be an f64 attribute, got {self.scale}")
        (bq, hq, s, d), (bk, hk, lk, dk) = self.q.type.get_shape(), self.k.type.get_shape()
        (bv, hv, lv, dv), (bo, ho, so, do) = self.v.type.get_shape(), self.out.type.get_shape()
        checks = [
            ("batch size (dim 0)", [("q", bq), ("k", bk), ("v", bv), ("out", bo)]),
            ("number of heads (dim 1)", [("q", hq), ("k", hk), ("v", hv), ("out", ho)]),
            ("number of query rows (dim 2)", [("q", s), ("out", so)]),
            ("number of keys (dim 2)", [("k", lk), ("v", lv)]),
            ("head size (dim 3)", [("q", d), ("k", dk)]),
            ("value size (dim 3)", [("v", dv), ("out", do)]),
        ]
        for what, sizes in checks:
            if len({x for _, x in sizes if x != DYNAMIC_INDEX}) > 1:
                names = ", ".join(n for n, _ in sizes[:-1]) + f" and {sizes[-1][0]}"
                shown = ", ".join(f"{n} {'?' if x == DYNAMIC_INDEX else x}" for n, x in sizes)
                raise VerifyException(f"nn.attention: {names} must have one {what}, got {shown}")
        if self.mask is not None:
            self._verify_mask((bq, hq, s, lk), element)

    def _verify_mask(self, scores: tuple[int, ...], element) -> None:
        t = self.mask.type
        assert isinstance(t, MemRefType), t
        m = t.element_type
        if not (m == element or (isinstance(m, IntegerType) and m.width.data == 1)):
            raise VerifyException(f"nn.attention: the mask's elements must be i1 (keep where true) or {element} "
                                  f"(added to the scores), got {m}")
        shape = t.get_shape()
        if not 1 <= len(shape) <= 4:
            raise VerifyException(f"nn.attention: the mask must have rank 1 to 4 (it broadcasts to the scores "
                                  f"[B, H, S, L]), got {t}")
        for size, full in zip(reversed(shape), reversed(scores)):
            if size != 1 and not _same_size(size, full):
                shown = "x".join("?" if x == DYNAMIC_INDEX else str(x) for x in scores)
                raise VerifyException(f"nn.attention: a mask of shape {t} does not broadcast to the scores "
                                      f"{shown} (each size must be 1 or the scores')")


NN = Dialect("nn", [AttentionOp], [])
