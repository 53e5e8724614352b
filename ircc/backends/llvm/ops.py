"""One handler per op type: ``HANDLERS[type(op)](lowerer, op)`` emits the op's LLVM IR."""

from __future__ import annotations

from collections.abc import Callable

from llvmlite import ir
from xdsl.dialects import arith, func, math, memref, scf
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    FloatAttr,
    IndexType,
    IntegerAttr,
    StridedLayoutAttr,
    IntegerType,
    MemRefType,
    NoneAttr,
)
from xdsl.ir import Operation

from ircc.backends import runtime
from ircc.backends.llvm.alloc import allocator
from ircc.backends.llvm.globals import lower_get_global
from ircc.backends.llvm.lower import FunctionLowerer, location_of, region_block
from ircc.backends.llvm.runtime_calls import lower_runtime_call
from ircc.backends.llvm.vecmath import vectorizable_call
from ircc.backends.llvm.types import I1, I64, PTR, Memref, alloca, scalar_type
from ircc.errors import BackendError
from ircc.ir.dialects.arith_ext import RemFOp
from ircc.ir.dialects.math_ext import ErfcOp

Handler = Callable[[FunctionLowerer, Operation], None]
HANDLERS: dict[type[Operation], Handler] = {}


def handles(*types: type[Operation]):
    def register(fn: Handler) -> Handler:
        for t in types:
            HANDLERS[t] = fn
        return fn

    return register


def _set(lo: FunctionLowerer, op: Operation, value) -> None:
    lo.values[op.results[0]] = value


def _ftype(op: Operation) -> ir.Type:
    return scalar_type(op.results[0].type)


def _suffix(t: ir.Type) -> str:
    return {"double": "f64", "float": "f32", "half": "f16"}[str(t)]


# -- arith: constants ----------------------------------------------------------------------
@handles(arith.ConstantOp)
def _constant(lo: FunctionLowerer, op: arith.ConstantOp) -> None:
    value = op.value
    t = op.results[0].type
    if isinstance(value, FloatAttr):
        _set(lo, op, ir.Constant(scalar_type(t), float(value.value.data)))
    elif isinstance(value, IntegerAttr):
        v = int(value.value.data)
        width = 64 if isinstance(t, IndexType) else t.width.data
        if width == 1:
            v &= 1
        _set(lo, op, ir.Constant(scalar_type(t), v if width == 1 else v % (1 << width)))
    else:
        raise BackendError(f"the llvm backend supports scalar constants only, not {value}{location_of(op)}")


# -- arith: binary ops -----------------------------------------------------------------------
def float_flags(lo: FunctionLowerer, op: Operation) -> tuple[str, ...]:
    """The module's flags (``fast`` under fastmath) and the op's own (``arith.addf ... fastmath<reassoc>``)."""
    own = getattr(op, "fastmath", None)
    if own is None or lo.ml.fastmath:
        return lo.ml.float_flags
    return tuple(sorted(f.value for f in own.data))


def _binary(method: str, *, float_op: bool = False) -> Handler:
    def lower(lo: FunctionLowerer, op: Operation) -> None:
        a, b = lo.scalar(op.operands[0]), lo.scalar(op.operands[1])
        fn = getattr(lo.b, method)
        _set(lo, op, fn(a, b, flags=float_flags(lo, op)) if float_op else fn(a, b))

    return lower


for _op, _m in ((arith.AddfOp, "fadd"), (arith.SubfOp, "fsub"), (arith.MulfOp, "fmul"),
                (arith.DivfOp, "fdiv"), (RemFOp, "frem")):
    HANDLERS[_op] = _binary(_m, float_op=True)
for _op, _m in ((arith.AddiOp, "add"), (arith.SubiOp, "sub"), (arith.MuliOp, "mul"),
                (arith.DivSIOp, "sdiv"), (arith.DivUIOp, "udiv"), (arith.RemSIOp, "srem"),
                (arith.RemUIOp, "urem"), (arith.AndIOp, "and_"), (arith.OrIOp, "or_"),
                (arith.XOrIOp, "xor"), (arith.ShLIOp, "shl"), (arith.ShRSIOp, "ashr"),
                (arith.ShRUIOp, "lshr")):
    HANDLERS[_op] = _binary(_m)


@handles(arith.NegfOp)
def _negf(lo: FunctionLowerer, op: Operation) -> None:
    _set(lo, op, lo.b.fneg(lo.scalar(op.operands[0]), flags=lo.ml.float_flags))


@handles(arith.FloorDivSIOp, arith.CeilDivSIOp)
def _floor_ceil_div(lo: FunctionLowerer, op: Operation) -> None:
    b = lo.b
    a, d = lo.scalar(op.operands[0]), lo.scalar(op.operands[1])
    zero = ir.Constant(a.type, 0)
    one = ir.Constant(a.type, 1)
    q = b.sdiv(a, d)
    r = b.srem(a, d)
    nonzero = b.icmp_signed("!=", r, zero)
    signs_differ = b.icmp_signed("!=", b.icmp_signed("<", a, zero), b.icmp_signed("<", d, zero))
    if isinstance(op, arith.FloorDivSIOp):
        adjust = b.and_(nonzero, signs_differ)
        _set(lo, op, b.select(adjust, b.sub(q, one), q))
    else:
        adjust = b.and_(nonzero, b.not_(signs_differ))
        _set(lo, op, b.select(adjust, b.add(q, one), q))


@handles(arith.CeilDivUIOp)
def _ceil_div_u(lo: FunctionLowerer, op: Operation) -> None:
    b = lo.b
    a, d = lo.scalar(op.operands[0]), lo.scalar(op.operands[1])
    q = b.udiv(a, d)
    r = b.urem(a, d)
    _set(lo, op, b.select(b.icmp_unsigned("!=", r, ir.Constant(a.type, 0)), b.add(q, ir.Constant(a.type, 1)), q))


def _int_minmax(pred: str, signed: bool) -> Handler:
    def lower(lo: FunctionLowerer, op: Operation) -> None:
        a, b_ = lo.scalar(op.operands[0]), lo.scalar(op.operands[1])
        cmp = lo.b.icmp_signed(pred, a, b_) if signed else lo.b.icmp_unsigned(pred, a, b_)
        _set(lo, op, lo.b.select(cmp, a, b_))

    return lower


HANDLERS[arith.MaxSIOp] = _int_minmax(">", True)
HANDLERS[arith.MinSIOp] = _int_minmax("<", True)
HANDLERS[arith.MaxUIOp] = _int_minmax(">", False)
HANDLERS[arith.MinUIOp] = _int_minmax("<", False)


def _float_intrinsic(stem: str, arity: int) -> Handler:
    def lower(lo: FunctionLowerer, op: Operation) -> None:
        t = _ftype(op)
        fn = lo.ml.intrinsic(f"llvm.{stem}.{_suffix(t)}", t, [t] * arity)
        _set(lo, op, vectorizable_call(lo.ml, lo.b, fn, [lo.scalar(v) for v in op.operands[:arity]], stem,
                                       float_flags(lo, op)))

    return lower


HANDLERS[arith.MaximumfOp] = _float_intrinsic("maximum", 2)
HANDLERS[arith.MinimumfOp] = _float_intrinsic("minimum", 2)
HANDLERS[arith.MaxnumfOp] = _float_intrinsic("maxnum", 2)
HANDLERS[arith.MinnumfOp] = _float_intrinsic("minnum", 2)

_CMPI = {"eq": ("==", True), "ne": ("!=", True), "slt": ("<", True), "sle": ("<=", True),
         "sgt": (">", True), "sge": (">=", True), "ult": ("<", False), "ule": ("<=", False),
         "ugt": (">", False), "uge": (">=", False)}
_CMPF = {"oeq": ("==", True), "ogt": (">", True), "oge": (">=", True), "olt": ("<", True),
         "ole": ("<=", True), "one": ("!=", True), "ord": ("ord", True), "ueq": ("==", False),
         "ugt": (">", False), "uge": (">=", False), "ult": ("<", False), "ule": ("<=", False),
         "une": ("!=", False), "uno": ("uno", False)}


@handles(arith.CmpiOp)
def _cmpi(lo: FunctionLowerer, op: arith.CmpiOp) -> None:
    name = arith.CMPI_COMPARISON_OPERATIONS[op.predicate.value.data]
    pred, signed = _CMPI[name]
    a, b_ = lo.scalar(op.lhs), lo.scalar(op.rhs)
    _set(lo, op, lo.b.icmp_signed(pred, a, b_) if signed else lo.b.icmp_unsigned(pred, a, b_))


@handles(arith.CmpfOp)
def _cmpf(lo: FunctionLowerer, op: arith.CmpfOp) -> None:
    name = arith.CMPF_COMPARISON_OPERATIONS[op.predicate.value.data]
    a, b_ = lo.scalar(op.lhs), lo.scalar(op.rhs)
    if name in ("false", "true"):
        _set(lo, op, ir.Constant(I1, int(name == "true")))
        return
    pred, ordered = _CMPF[name]
    flags = lo.ml.float_flags
    if ordered:
        _set(lo, op, lo.b.fcmp_ordered(pred, a, b_, flags=flags))
    else:
        _set(lo, op, lo.b.fcmp_unordered(pred, a, b_, flags=flags))


@handles(arith.SelectOp)
def _select(lo: FunctionLowerer, op: arith.SelectOp) -> None:
    t = op.results[0].type
    if isinstance(t, MemRefType):
        raise BackendError(f"arith.select on memrefs is not supported by the llvm backend{location_of(op)}")
    _set(lo, op, lo.b.select(lo.scalar(op.cond), lo.scalar(op.lhs), lo.scalar(op.rhs)))


# -- arith: casts ------------------------------------------------------------------------
def _cast(method: str) -> Handler:
    def lower(lo: FunctionLowerer, op: Operation) -> None:
        _set(lo, op, getattr(lo.b, method)(lo.scalar(op.operands[0]), _ftype(op)))

    return lower


for _op, _m in ((arith.SIToFPOp, "sitofp"), (arith.UIToFPOp, "uitofp"), (arith.FPToSIOp, "fptosi"),
                (arith.FPToUIOp, "fptoui"), (arith.ExtFOp, "fpext"), (arith.TruncFOp, "fptrunc"),
                (arith.ExtSIOp, "sext"), (arith.ExtUIOp, "zext"), (arith.TruncIOp, "trunc"),
                (arith.BitcastOp, "bitcast")):
    HANDLERS[_op] = _cast(_m)


@handles(arith.IndexCastOp)
def _index_cast(lo: FunctionLowerer, op: Operation) -> None:
    v = lo.scalar(op.operands[0])
    t = _ftype(op)
    if v.type.width == t.width:
        _set(lo, op, v)
    elif v.type.width < t.width:
        _set(lo, op, lo.b.sext(v, t))
    else:
        _set(lo, op, lo.b.trunc(v, t))


# -- math ------------------------------------------------------------------------------------
_MATH_INTRINSICS: dict[type[Operation], tuple[str, int]] = {
    math.SqrtOp: ("sqrt", 1), math.SinOp: ("sin", 1), math.CosOp: ("cos", 1), math.ExpOp: ("exp", 1),
    math.Exp2Op: ("exp2", 1), math.LogOp: ("log", 1), math.Log2Op: ("log2", 1),
    math.Log10Op: ("log10", 1), math.PowFOp: ("pow", 2), math.AbsFOp: ("fabs", 1),
    math.FloorOp: ("floor", 1), math.CeilOp: ("ceil", 1), math.TruncOp: ("trunc", 1),
    math.RoundOp: ("round", 1), math.RoundEvenOp: ("roundeven", 1), math.CopySignOp: ("copysign", 2),
    math.FmaOp: ("fma", 3), math.TanOp: ("tan", 1), math.AsinOp: ("asin", 1), math.AcosOp: ("acos", 1),
    math.AtanOp: ("atan", 1), math.SinhOp: ("sinh", 1), math.CoshOp: ("cosh", 1),
    math.TanhOp: ("tanh", 1), math.Atan2Op: ("atan2", 2),
}
# Functions LLVM has no intrinsic for: calls into libm (double name; float gets an 'f').
_LIBM: dict[type[Operation], tuple[str, int]] = {
    math.AsinhOp: ("asinh", 1), math.AcoshOp: ("acosh", 1), math.AtanhOp: ("atanh", 1),
    math.ErfOp: ("erf", 1), math.ExpM1Op: ("expm1", 1), math.Log1pOp: ("log1p", 1),
    math.CbrtOp: ("cbrt", 1), ErfcOp: ("erfc", 1),
}
for _op, (_name, _arity) in _MATH_INTRINSICS.items():
    HANDLERS[_op] = _float_intrinsic(_name, _arity)

LIBM_NAMES = sorted({n for n, _ in _LIBM.values()} | {n + "f" for n, _ in _LIBM.values()})


def _libm(name: str, arity: int) -> Handler:
    def lower(lo: FunctionLowerer, op: Operation) -> None:
        t = _ftype(op)
        if str(t) == "half":
            raise BackendError(f"{op.name} on f16 is not supported by the llvm backend{location_of(op)}")
        fn = lo.ml.declare(name + ("f" if str(t) == "float" else ""), t, [t] * arity)
        fn.attributes.add("nounwind")
        _set(lo, op, vectorizable_call(lo.ml, lo.b, fn, [lo.scalar(v) for v in op.operands[:arity]], name))

    return lower


for _op, (_name, _arity) in _LIBM.items():
    HANDLERS[_op] = _libm(_name, _arity)


@handles(math.FPowIOp)
def _fpowi(lo: FunctionLowerer, op: math.FPowIOp) -> None:
    t = _ftype(op)
    power = lo.scalar(op.rhs)
    if power.type.width != 32:
        power = lo.b.trunc(power, ir.IntType(32)) if power.type.width > 32 else lo.b.sext(power, ir.IntType(32))
    fn = lo.ml.intrinsic(f"llvm.powi.{_suffix(t)}.i32", t, [t, ir.IntType(32)])
    _set(lo, op, lo.b.call(fn, [lo.scalar(op.lhs), power]))


@handles(math.RsqrtOp)
def _rsqrt(lo: FunctionLowerer, op: Operation) -> None:
    t = _ftype(op)
    sqrt = lo.b.call(lo.ml.intrinsic(f"llvm.sqrt.{_suffix(t)}", t, [t]), [lo.scalar(op.operands[0])])
    _set(lo, op, lo.b.fdiv(ir.Constant(t, 1.0), sqrt, flags=lo.ml.float_flags))


@handles(math.AbsIOp)
def _absi(lo: FunctionLowerer, op: Operation) -> None:
    v = lo.scalar(op.operands[0])
    neg = lo.b.icmp_signed("<", v, ir.Constant(v.type, 0))
    _set(lo, op, lo.b.select(neg, lo.b.neg(v), v))


@handles(math.CountTrailingZerosOp)
@handles(math.CountLeadingZerosOp)
def _count_zeros(lo: FunctionLowerer, op: Operation) -> None:
    v = lo.scalar(op.operands[0])
    which = "cttz" if isinstance(op, math.CountTrailingZerosOp) else "ctlz"
    fn = lo.ml.intrinsic(f"llvm.{which}.i{v.type.width}", v.type, [v.type, I1])
    _set(lo, op, lo.b.call(fn, [v, ir.Constant(I1, 0)]))  # defined for 0: the width, as MLIR's


# -- memref ----------------------------------------------------------------------------------
HANDLERS[memref.GetGlobalOp] = lower_get_global  # a constant global's data (llvm/globals.py)


@handles(memref.LoadOp)
def _load(lo: FunctionLowerer, op: memref.LoadOp) -> None:
    m = lo.memref(op.memref)
    ptr = lo.element_pointer(m, [lo.scalar(i) for i in op.indices])
    _set(lo, op, lo.b.load(ptr, typ=m.element))


@handles(memref.StoreOp)
def _store(lo: FunctionLowerer, op: memref.StoreOp) -> None:
    m = lo.memref(op.memref)
    ptr = lo.element_pointer(m, [lo.scalar(i) for i in op.indices])
    lo.b.store(lo.scalar(op.value), ptr)


#: MLIR's AtomicRMWKind -> LLVM's atomicrmw operation (the integer kinds ircc emits)
_ATOMIC_KINDS = {1: "add", 2: "xchg", 4: "max", 5: "umax", 7: "min", 8: "umin", 11: "or", 12: "and"}


@handles(memref.AtomicRMWOp)
def _atomic_rmw(lo: FunctionLowerer, op: memref.AtomicRMWOp) -> None:
    kind = _ATOMIC_KINDS.get(op.kind.value.data)
    if kind is None:
        raise BackendError(f"memref.atomic_rmw: kind {op.kind.value.data} is not supported by the llvm backend"
                           f"{location_of(op)}")
    m = lo.memref(op.memref)
    ptr = lo.element_pointer(m, [lo.scalar(i) for i in op.indices])
    _set(lo, op, lo.b.atomic_rmw(kind, ptr, lo.scalar(op.value), "seq_cst"))


@handles(memref.DimOp)
def _dim(lo: FunctionLowerer, op: memref.DimOp) -> None:
    m = lo.memref(op.source)
    index = op.index.owner
    if isinstance(index, arith.ConstantOp) and isinstance(index.value, IntegerAttr):
        k = int(index.value.value.data)
        rank = len(m.type.get_shape())
        if not 0 <= k < rank:
            raise BackendError(f"memref.dim index {k} out of range for rank {rank}{location_of(op)}")
        _set(lo, op, lo.size(m, k))
        return
    # dynamic dimension index: select among the sizes
    k = lo.scalar(op.index)
    value: ir.Value = ir.Constant(I64, 0)
    for d in range(len(m.type.get_shape())):
        value = lo.b.select(lo.b.icmp_signed("==", k, ir.Constant(I64, d)), lo.size(m, d), value)
    _set(lo, op, value)


def _new_memref(lo: FunctionLowerer, op: Operation, t: MemRefType, dynamic: list[ir.Value], data: ir.Value) -> Memref:
    shape = t.get_shape()
    sizes: list[ir.Value] = []
    it = iter(dynamic)
    for d in shape:
        sizes.append(ir.Constant(I64, d) if d >= 0 else next(it))
    strides: list[ir.Value] = [ir.Constant(I64, 1)] * len(shape)
    for k in range(len(shape) - 2, -1, -1):
        strides[k] = lo.b.mul(strides[k + 1], sizes[k + 1])
    return Memref(t, data, data, ir.Constant(I64, 0), sizes, strides)


def _elem_bytes(t: MemRefType) -> int:
    elem = t.element_type
    if isinstance(elem, IntegerType):
        return max(1, elem.width.data // 8)
    if isinstance(elem, IndexType):
        return 8
    return {"f64": 8, "f32": 4, "f16": 2}.get(str(elem), 8)


@handles(memref.AllocOp)
def _alloc(lo: FunctionLowerer, op: memref.AllocOp) -> None:
    t = op.memref.type
    dynamic = [lo.scalar(v) for v in op.dynamic_sizes]
    nbytes: ir.Value = ir.Constant(I64, _elem_bytes(t))
    it = iter(dynamic)
    for d in t.get_shape():
        nbytes = lo.b.mul(nbytes, ir.Constant(I64, d) if d >= 0 else next(it))
    # malloc(0) may return NULL; ask for at least one byte so a valid pointer comes back.
    nbytes = lo.b.select(lo.b.icmp_signed("<", nbytes, ir.Constant(I64, 1)), ir.Constant(I64, 1), nbytes)
    data = lo.b.call(allocator(lo.ml), [nbytes])
    _set(lo, op, _new_memref(lo, op, t, dynamic, data))


@handles(memref.AllocaOp)
def _alloca(lo: FunctionLowerer, op: memref.AllocaOp) -> None:
    t = op.memref.type
    dynamic = [lo.scalar(v) for v in op.dynamic_sizes]
    elem = scalar_type(t.element_type)
    if not dynamic:  # a fixed size: one slot in the entry block, reused by every iteration of a loop around it
        size = 1
        for d in t.get_shape():
            size *= d
        with lo.b.goto_entry_block():
            data = alloca(lo.b, elem, size=ir.Constant(I64, size))
    else:
        count: ir.Value = ir.Constant(I64, 1)
        it = iter(dynamic)
        for d in t.get_shape():
            count = lo.b.mul(count, ir.Constant(I64, d) if d >= 0 else next(it))
        data = alloca(lo.b, elem, size=count)
    _set(lo, op, _new_memref(lo, op, t, dynamic, data))


@handles(memref.CastOp)
def _memref_cast(lo: FunctionLowerer, op: memref.CastOp) -> None:
    """A layout or shape change of the same memory: the descriptor's fields carry over (an identity
    layout's strides are the row-major ones the descriptor already holds)."""
    m = lo.memref(op.source)
    t = op.results[0].type
    if not isinstance(t, MemRefType) or len(t.get_shape()) != len(m.sizes):
        raise BackendError(f"memref.cast to {t} is not supported by the llvm backend{location_of(op)}")
    _set(lo, op, Memref(t, m.allocated, m.aligned, m.offset, list(m.sizes), list(m.strides)))


@handles(memref.SubviewOp)
def _subview(lo: FunctionLowerer, op: memref.SubviewOp) -> None:
    """A view of the same memory: the offset moves, the sizes shrink, the strides scale (static offsets
    and strides; sizes static or operands; same rank)."""
    m = lo.memref(op.source)
    t = op.result.type
    static = [list(x.get_values()) for x in (op.static_offsets, op.static_sizes, op.static_strides)]
    if op.offsets or op.strides or len(t.get_shape()) != len(m.sizes):
        raise BackendError(f"memref.subview: the llvm backend takes static offsets and strides of the same rank"
                           f"{location_of(op)}")
    offset = m.offset
    for o, stride in zip(static[0], m.strides):
        if o:
            offset = lo.b.add(offset, lo.b.mul(ir.Constant(I64, o), stride))
    strides = [lo.b.mul(ir.Constant(I64, st), stride) if st != 1 else stride
               for st, stride in zip(static[2], m.strides)]
    dynamic = iter(op.sizes)
    sizes = [ir.Constant(I64, s) if s != DYNAMIC_INDEX else lo.scalar(next(dynamic)) for s in static[1]]
    _set(lo, op, Memref(t, m.allocated, m.aligned, offset, sizes, strides))


@handles(memref.CollapseShapeOp, memref.ExpandShapeOp)
def _reshape(lo: FunctionLowerer, op: Operation) -> None:
    """The same contiguous elements in another shape: new sizes (a collapsed group's is the product of its
    sizes; an expanded group's come from the op), row-major strides."""
    m = lo.memref(op.operands[0])
    t = op.results[0].type
    shape = t.get_shape()
    if not isinstance(m.type.layout, NoneAttr):
        raise BackendError(f"{op.name}: the llvm backend takes identity-layout memrefs{location_of(op)}")
    groups = [[d.value.data for d in g] for g in op.reassociation]
    if isinstance(op, memref.CollapseShapeOp):
        sizes: list[ir.Value] = []
        for k, group in enumerate(groups):
            if shape[k] >= 0:
                sizes.append(ir.Constant(I64, shape[k]))
                continue
            size = m.sizes[group[0]]
            for d in group[1:]:
                size = lo.b.mul(size, m.sizes[d])
            sizes.append(size)
    else:
        dynamic = iter(op.operands[1:])
        sizes = [ir.Constant(I64, s) if s != DYNAMIC_INDEX else lo.scalar(next(dynamic))
                 for s in op.static_output_shape.get_values()]
    strides: list[ir.Value] = [ir.Constant(I64, 1)] * len(shape)
    for k in range(len(shape) - 2, -1, -1):
        if shape[k + 1] >= 0 and isinstance(strides[k + 1], ir.Constant):
            strides[k] = ir.Constant(I64, strides[k + 1].constant * shape[k + 1])
        else:
            strides[k] = lo.b.mul(strides[k + 1], sizes[k + 1])
    _set(lo, op, Memref(t, m.allocated, m.aligned, m.offset, sizes, strides))


@handles(memref.DeallocOp)
def _dealloc(lo: FunctionLowerer, op: memref.DeallocOp) -> None:
    free = lo.ml.declare("free", ir.VoidType(), [PTR])
    lo.b.call(free, [lo.memref(op.memref).allocated])


@handles(memref.CopyOp)
def _copy(lo: FunctionLowerer, op: memref.CopyOp) -> None:
    src, dst = lo.memref(op.source), lo.memref(op.destination)
    for m in (src, dst):
        if isinstance(m.type.layout, StridedLayoutAttr):
            raise BackendError(f"memref.copy of strided memrefs is not supported by the llvm backend{location_of(op)}")
    nbytes = lo.b.mul(lo.num_elements(src), ir.Constant(I64, _elem_bytes(src.type)))
    memcpy = lo.ml.intrinsic("llvm.memcpy.p0.p0.i64", ir.VoidType(), [PTR, PTR, I64, I1])
    lo.b.call(memcpy, [dst.aligned, src.aligned, nbytes, ir.Constant(I1, 0)])


# -- func ------------------------------------------------------------------------------------
@handles(func.ReturnOp)
def _return(lo: FunctionLowerer, op: func.ReturnOp) -> None:
    values = [lo.as_value(v) for v in op.arguments]
    if not values:
        lo.b.ret_void()
    elif len(values) == 1:
        lo.b.ret(values[0])
    else:
        struct_t = lo.fn.function_type.return_type
        agg = ir.Constant(struct_t, ir.Undefined)
        for i, v in enumerate(values):
            agg = lo.b.insert_value(agg, v, i)
        lo.b.ret(agg)


@handles(func.CallOp)
def _call(lo: FunctionLowerer, op: func.CallOp) -> None:
    name = op.callee.root_reference.data
    callee = lo.ml.functions.get(name)
    if callee is None and runtime.is_runtime(name):
        lower_runtime_call(lo, op)
        return
    if callee is None:
        raise BackendError(f"func.call to @{name}, which is not defined in this module{location_of(op)}")
    lo.ml.always_inline.add(name)
    args: list[ir.Value] = []
    for v in op.arguments:
        args += lo.expanded(v)
    result = lo.b.call(callee, args)
    results = op.results
    if len(results) == 1:
        lo.values[results[0]] = lo.from_value(results[0].type, result)
    elif len(results) > 1:
        for i, r in enumerate(results):
            lo.values[r] = lo.from_value(r.type, lo.b.extract_value(result, i))


# -- scf -------------------------------------------------------------------------------------
@handles(scf.ForOp)
def _for(lo: FunctionLowerer, op: scf.ForOp) -> None:
    block = region_block(op)
    inits = [lo.as_value(v) for v in op.iter_args]

    def body(iv: ir.Value, carried: list[ir.Value]) -> list[ir.Value]:
        lo.values[block.args[0]] = _from_index(lo, iv, block.args[0].type)
        for arg, v in zip(block.args[1:], carried):
            lo.values[arg] = lo.from_value(arg.type, v)
        lo.lower_block(block)
        return lo.yielded

    lb = _to_index(lo, lo.scalar(op.lb))
    ub = _to_index(lo, lo.scalar(op.ub))
    step = _to_index(lo, lo.scalar(op.step))
    finals = lo.counted_loop(lb, ub, step, inits, body)
    for r, v in zip(op.results, finals):
        lo.values[r] = lo.from_value(r.type, v)


def _to_index(lo: FunctionLowerer, v: ir.Value) -> ir.Value:
    if v.type.width == 64:
        return v
    return lo.b.sext(v, I64)


def _from_index(lo: FunctionLowerer, v: ir.Value, t) -> ir.Value:
    width = 64 if isinstance(t, IndexType) else t.width.data
    return v if width == 64 else lo.b.trunc(v, ir.IntType(width))


@handles(scf.YieldOp)
def _yield(lo: FunctionLowerer, op: scf.YieldOp) -> None:
    lo.yielded = [lo.as_value(v) for v in op.arguments]


@handles(scf.IfOp)
def _if(lo: FunctionLowerer, op: scf.IfOp) -> None:
    b = lo.b
    cond = lo.scalar(op.cond)
    then_bb = lo.fn.append_basic_block("if.then")
    else_bb = lo.fn.append_basic_block("if.else")
    merge_bb = lo.fn.append_basic_block("if.end")
    b.cbranch(cond, then_bb, else_bb)
    incoming: list[tuple[list[ir.Value], ir.Block]] = []
    for region, bb in ((op.true_region, then_bb), (op.false_region, else_bb)):
        b.position_at_end(bb)
        lo.yielded = []
        if region.blocks:
            lo.lower_block(region.blocks.first)
        incoming.append((lo.yielded, b.block))
        b.branch(merge_bb)
    b.position_at_end(merge_bb)
    for i, r in enumerate(op.results):
        phi = b.phi(incoming[0][0][i].type)
        for values, bb in incoming:
            phi.add_incoming(values[i], bb)
        lo.values[r] = lo.from_value(r.type, phi)


@handles(scf.ConditionOp)
def _condition(lo: FunctionLowerer, op: scf.ConditionOp) -> None:
    lo.condition = (lo.scalar(op.condition), [lo.as_value(v) for v in op.args])


@handles(scf.WhileOp)
def _while(lo: FunctionLowerer, op: scf.WhileOp) -> None:
    b = lo.b
    before, after = region_block(op, 0), region_block(op, 1)
    pre = b.block
    head = lo.fn.append_basic_block("while.before")
    body_bb = lo.fn.append_basic_block("while.after")
    exit_bb = lo.fn.append_basic_block("while.exit")
    inits = [lo.as_value(v) for v in op.arguments]
    b.branch(head)
    b.position_at_end(head)
    phis = []
    for arg, v in zip(before.args, inits):
        phi = b.phi(v.type)
        phi.add_incoming(v, pre)
        phis.append(phi)
        lo.values[arg] = lo.from_value(arg.type, phi)
    lo.lower_block(before)
    cond, passed = lo.condition
    b.cbranch(cond, body_bb, exit_bb)
    b.position_at_end(body_bb)
    for arg, v in zip(after.args, passed):
        lo.values[arg] = lo.from_value(arg.type, v)
    lo.lower_block(after)
    for phi, v in zip(phis, lo.yielded):
        phi.add_incoming(v, b.block)
    b.branch(head)
    b.position_at_end(exit_bb)
    for r, v in zip(op.results, passed):
        lo.values[r] = lo.from_value(r.type, v)


@handles(scf.ParallelOp)
def _parallel(lo: FunctionLowerer, op: scf.ParallelOp) -> None:
    from ircc.backends.llvm.parallel import lower_parallel

    lower_parallel(lo, op)


@handles(scf.ReduceOp)
def _reduce(lo: FunctionLowerer, op: scf.ReduceOp) -> None:
    lo.reduced = [lo.as_value(v) for v in op.operands]


@handles(scf.ReduceReturnOp)
def _reduce_return(lo: FunctionLowerer, op: Operation) -> None:
    lo.yielded = [lo.as_value(v) for v in op.operands]
