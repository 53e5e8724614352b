"""The torch frontend, first step: ``torch.export`` graphs into the IR at the ``linalg`` level.

``build_module(model, example_inputs)`` exports the model (``torch.export.export(...).run_decompositions()``,
core ATen), then writes one function in destination-passing style::

    func.func @forward(%p_l1_weight: memref<5x3xf32>, ..., %x: memref<4x3xf32>, %out0: memref<4x2xf32>)

Parameters and buffers come first, as arguments (the kernel passes the module's current tensors at every
call, so updated weights are seen), then the user inputs, then one output memref per result. Each ATen op
becomes ``linalg`` ops on memrefs (``linalg.matmul``, ``linalg.fill``, ``linalg.generic`` for elementwise
arithmetic with broadcasting, transposes and reductions); intermediates are ``memref.alloc``. The
``convert-linalg-to-loops`` pass (xDSL) takes it to loops.

Shapes are the example inputs' (static); dtypes float32 and float64. An ATen op outside ``SUPPORTED`` raises
``IrccError`` naming it and the line of the user's Python that produced it.
"""

from __future__ import annotations

import operator
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from xdsl.dialects import arith, func, math, memref
from xdsl.dialects.arith import FastMathFlag, FastMathFlagsAttr
from xdsl.dialects.builtin import (
    AffineMapAttr,
    ArrayAttr,
    BytesAttr,
    DenseIntOrFPElementsAttr,
    StringAttr,
    TensorType,
    Float32Type,
    Float64Type,
    FloatAttr,
    DenseArrayBase,
    DictionaryAttr,
    FunctionType,
    IntegerAttr,
    IntegerType,
    MemRefType,
    ModuleOp,
    UnitAttr,
    i64,
)
from xdsl.dialects.linalg.ops import FillOp, GenericOp, IteratorTypeAttr, MatmulOp, YieldOp
from xdsl.ir import Block, Region, SSAValue
from xdsl.ir.affine import AffineConstantExpr, AffineDimExpr, AffineMap

from ircc.errors import IrccError
from ircc.frontends.torch_shapes import Sizes, dims_of, ir_dims, is_static, product, reshape_groups, same
from ircc.ir.reshape import reshape_map

UNARY: dict[str, Callable[[Block, SSAValue, Any], SSAValue]] = {}
#: ops that only give the same elements another shape (row-major): a view (collapse / expand_shape) each
RESHAPES = ("view", "_unsafe_view", "reshape", "unsqueeze", "squeeze", "flatten")
BINARY: dict[str, type] = {"add": arith.AddfOp, "sub": arith.SubfOp, "mul": arith.MulfOp, "div": arith.DivfOp}
INTEGER_BINARY: dict[str, type] = {"add": arith.AddiOp, "sub": arith.SubiOp, "mul": arith.MuliOp}


def _unary(name: str):
    def register(fn):
        UNARY[name] = fn
        return fn

    return register


#: the flags of a reduction's combining op: torch does not fix the order of a sum (its own kernels add in
#: vector lanes and blocks), so the combiner may be reassociated (vectorized) and a multiply-add contracted
#: into an FMA; every other op keeps IEEE semantics unless the user asks for fastmath
REDUCTION_FLAGS = FastMathFlagsAttr((FastMathFlag.REASSOC, FastMathFlag.ALLOW_CONTRACT))


def multiply_add(blk: Block, a: SSAValue, b: SSAValue, acc: SSAValue) -> SSAValue:
    """``acc + a * b`` as a reduction's body (reassociable, contractible)."""
    product = _emit(blk, arith.MulfOp(a, b, flags=REDUCTION_FLAGS))
    return _emit(blk, arith.AddfOp(acc, product, flags=REDUCTION_FLAGS))


def _emit(block: Block, op) -> SSAValue:
    block.add_op(op)
    return op.results[0]


def _const(block: Block, value: float, t) -> SSAValue:
    if isinstance(t, IntegerType):
        return _emit(block, arith.ConstantOp(IntegerAttr(int(value), t)))
    return _emit(block, arith.ConstantOp(FloatAttr(float(value), t)))


def convert(blk: Block, v: SSAValue, to) -> SSAValue:
    """``v`` as element type ``to`` (torch's casting: bool is 0 / 1, float to bool is ``!= 0``)."""
    src = v.type
    if src == to:
        return v
    if isinstance(to, IntegerType) and to.width.data == 1:
        if isinstance(src, IntegerType):
            return _emit(blk, arith.CmpiOp(v, _const(blk, 0, src), "ne"))
        return _emit(blk, arith.CmpfOp(v, _const(blk, 0.0, src), "une"))
    if isinstance(src, IntegerType):
        if isinstance(to, IntegerType):
            if src.width.data == 1:
                return _emit(blk, arith.ExtUIOp(v, to))
            return _emit(blk, arith.ExtSIOp(v, to) if to.width.data > src.width.data else arith.TruncIOp(v, to))
        return _emit(blk, arith.UIToFPOp(v, to) if src.width.data == 1 else arith.SIToFPOp(v, to))
    if isinstance(to, IntegerType):
        return _emit(blk, arith.FPToSIOp(v, to))
    width = {"f32": 32, "f64": 64}
    return _emit(blk, arith.ExtFOp(v, to) if width[str(src)] < width[str(to)] else arith.TruncFOp(v, to))


def _element(dtype, where: str = ""):
    """The IR element type of a torch dtype (floats, bool as i1, integer indices)."""
    import torch

    table = {torch.float32: Float32Type(), torch.float64: Float64Type(), torch.bool: IntegerType(1),
             torch.int64: IntegerType(64), torch.int32: IntegerType(32)}
    if dtype not in table:
        raise IrccError(f"torch frontend: tensors of dtype {dtype} are not supported{where}; use float32 or "
                        "float64 (bool and int32 / int64 index tensors are accepted too)")
    return table[dtype]


@_unary("neg")
def _neg(b, x, t):
    return _emit(b, arith.NegfOp(x))


@_unary("relu")
def _relu(b, x, t):
    return _emit(b, arith.MaximumfOp(x, _const(b, 0.0, t)))


@_unary("exp")
def _exp(b, x, t):
    return _emit(b, math.ExpOp(x))


@_unary("tanh")
def _tanh(b, x, t):
    return _emit(b, math.TanhOp(x))


@_unary("sigmoid")
def _sigmoid(b, x, t):
    one = _const(b, 1.0, t)
    e = _emit(b, math.ExpOp(_emit(b, arith.NegfOp(x))))
    return _emit(b, arith.DivfOp(one, _emit(b, arith.AddfOp(one, e))))


@_unary("sqrt")
def _sqrt(b, x, t):
    return _emit(b, math.SqrtOp(x))


@_unary("rsqrt")
def _rsqrt(b, x, t):
    return _emit(b, arith.DivfOp(_const(b, 1.0, t), _emit(b, math.SqrtOp(x))))


@_unary("log")
def _log(b, x, t):
    return _emit(b, math.LogOp(x))


@_unary("silu")
def _silu(b, x, t):
    return _emit(b, arith.MulfOp(x, _sigmoid(b, x, t)))


def _gelu(b, x, t, approximate: str):
    half, one = _const(b, 0.5, t), _const(b, 1.0, t)
    if approximate == "tanh":  # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        cube = _emit(b, arith.MulfOp(_emit(b, arith.MulfOp(x, x)), x))
        inner = _emit(b, arith.AddfOp(x, _emit(b, arith.MulfOp(_const(b, 0.044715, t), cube))))
        core = _emit(b, math.TanhOp(_emit(b, arith.MulfOp(_const(b, 0.7978845608028654, t), inner))))
    else:  # 0.5 x (1 + erf(x / sqrt(2)))
        core = _emit(b, math.ErfOp(_emit(b, arith.MulfOp(x, _const(b, 0.7071067811865476, t)))))
    return _emit(b, arith.MulfOp(_emit(b, arith.MulfOp(half, x)), _emit(b, arith.AddfOp(one, core))))


#: ATen op name -> lowering(node, values, dest, shape, builder), for the ops lowered in other modules
LOWERINGS: dict[str, Callable[..., None]] = {}
#: the same for ops with several results: lowering(node, values, dests, builder)
MULTI_LOWERINGS: dict[str, Callable[..., None]] = {}


def lowering(*names: str, multi: bool = False):
    def register(fn):
        for name in names:
            (MULTI_LOWERINGS if multi else LOWERINGS)[name] = fn
        return fn

    return register


#: the ATen op names ``_lower`` / ``_lower_multi`` handle themselves (LOWERINGS and MULTI_LOWERINGS: the rest)
HANDLED = frozenset({"mm", "addmm", "bmm", "permute", "t", "transpose", *RESHAPES, "cat", "slice", "select",
                     "expand", "clone", "alias", "detach", "pow", *BINARY, "gelu", *UNARY, "sum", "mean", "amax",
                     "_softmax", "_log_softmax", "split", "split_with_sizes", "native_layer_norm"})


def _is_size(node) -> bool:
    """A node computing a size (``sym_size``, products of sizes) rather than a tensor."""
    import torch

    return isinstance(node.meta.get("val"), torch.SymInt)


def handles(node) -> bool:
    """Whether the importer has a lowering for this FX node's ATen op (its arguments may still be refused)."""
    if node.op != "call_function":
        return True
    if node.target is operator.getitem or _is_size(node):
        return True
    name = _op_names(node)[0]
    return name in HANDLED or name in LOWERINGS or name in MULTI_LOWERINGS or name.startswith("_assert")


SUPPORTED = ("mm", "addmm", "bmm (and matmul, which decomposes to it)", "permute", "t", "transpose",
             "add / sub / mul / div (tensor or scalar, broadcasting)", *sorted(UNARY), "gelu (erf and tanh)",
             "sum / mean / amax (all elements or dims, keepdim)", "_softmax", "_log_softmax",
             "view / reshape / unsqueeze / squeeze / flatten", "expand", "clone", "split / split_with_sizes",
             "native_layer_norm", "pow (scalar exponent)", "cat", "slice", "select")


@dataclass
class TorchLayout:
    """How the kernel's arguments map to the module: parameter / buffer names first, then user inputs."""

    state: tuple[str, ...]  # fully qualified names of parameters and buffers, in argument order
    n_inputs: int
    outputs: tuple[tuple[tuple[Any, ...], Any], ...]  # (sizes, torch dtype) per result; sizes may be symbolic
    inputs: tuple[tuple[Any, ...], ...] = ()  # each user input's sizes (ints, or sympy expressions)
    symbols: dict[Any, tuple[int, int]] | None = None  # size symbol -> (input, dimension) it is read from


def _user_line(node, origin: str) -> str:
    trace = node.meta.get("stack_trace") or ""
    skip = (os.path.dirname(__import__("torch").__file__), os.path.dirname(os.path.dirname(__file__)))
    frames = [ln.strip() for ln in trace.splitlines() if ln.strip().startswith("File ")]
    for frame in reversed(frames):  # the innermost frame of the user's own code
        path = frame.split('"')[1] if '"' in frame else ""
        if not path.startswith(skip):
            lines = trace.splitlines()
            i = next(k for k, ln in enumerate(lines) if ln.strip() == frame)
            source = lines[i + 1].strip() if i + 1 < len(lines) else ""
            return f"{frame.removeprefix('File ')}: {source}" if source else frame.removeprefix("File ")
    if origin:
        return f"{origin} (torch recorded no line inside it)"
    return "an unknown line (the exported graph kept no stack trace)"


class _Builder:
    def __init__(self, block: Block, ftype, origin: str, hints: dict[Any, int] | None = None):
        self.block, self.ftype = block, ftype
        self.origin = origin  # the user's function, for errors where torch recorded no frame of it
        self.allocs: list[SSAValue] = []  # intermediates, freed before the function returns
        self.sizes = Sizes(block)  # symbolic sizes as index values
        self.hints = hints or {}  # each size symbol's value in the example inputs

    def fill(self, dest: SSAValue, value: float) -> None:
        self.block.add_op(FillOp([_const(self.block, value, dest.type.element_type)], [dest], []))

    def copy(self, src: SSAValue, src_map: AffineMap, dest: SSAValue, out_map: AffineMap | None = None) -> None:
        """``dest[out_map(i)] = src[src_map(i)]`` over the loop indices ``i``."""
        rank = src_map.num_dims
        self.generic([src], [src_map, out_map or _identity(rank)], dest, rank, lambda blk, a: a[0])

    def view(self, src: SSAValue, dims: tuple, dim: int, offset: int, size: int, step: int = 1) -> SSAValue:
        """``src`` (of sizes ``dims``) restricted to ``offset, offset + step, ...`` (``size`` of them) along
        ``dim``: a ``memref.subview`` of the same memory (a slice read, or the part of a ``cat`` written)."""
        rank = len(dims)
        return self.subview(src, [offset if d == dim else 0 for d in range(rank)],
                            [size if d == dim else dims[d] for d in range(rank)],
                            [step if d == dim else 1 for d in range(rank)])

    def subview(self, src: SSAValue, offsets: list[int], sizes: list, strides: list[int]) -> SSAValue:
        """A ``memref.subview``; a symbolic size is an operand (the offsets and strides are static)."""
        sized = [s if isinstance(s, int) else self.sizes.value(s) for s in sizes]
        t = memref.SubviewOp.infer_result_type(src.type, offsets, sized, strides)
        return _emit(self.block, memref.SubviewOp.get(src, offsets, sized, strides, t))

    def reshape(self, src: SSAValue, old: tuple, shape: tuple) -> SSAValue:
        """The same contiguous elements (of sizes ``old``) seen with sizes ``shape``, with no copy: a
        ``memref.collapse_shape`` of the groups of dimensions that merge, then a ``memref.expand_shape`` of
        those that split (each left out where it changes nothing)."""
        if old == shape:
            return src
        groups = reshape_groups(old, shape, self.hints)
        if groups is None:
            if not (is_static(old) and is_static(shape)):
                raise IrccError(f"torch frontend: a reshape from {old} to {shape} moves a symbolic size across "
                                "dimensions; ircc cannot view it without knowing the size (make it static)")
            groups = [(list(range(len(old))), list(range(len(shape))))]
        mid = tuple(product(old[k] for k in gi) for gi, _ in groups)
        et = src.type.element_type
        if any(len(gi) > 1 for gi, _ in groups) or not groups and old:
            src = _emit(self.block, memref.CollapseShapeOp.create(
                operands=[src], result_types=[MemRefType(et, ir_dims(mid))],
                properties={"reassociation": _reassociation(gi for gi, _ in groups)}))
        if not any(len(gj) > 1 for _, gj in groups) and (groups or not shape):
            return src
        dynamic = [self.sizes.value(d) for d in shape if not isinstance(d, int)]
        return _emit(self.block, memref.ExpandShapeOp.create(
            operands=[src, *dynamic], result_types=[MemRefType(et, ir_dims(shape))],
            properties={"reassociation": _reassociation(gj for _, gj in groups),
                        "static_output_shape": DenseArrayBase.from_list(i64, ir_dims(shape))}))

    def alloc(self, shape, element=None) -> SSAValue:
        dynamic = [self.sizes.value(d) for d in shape if not isinstance(d, int)]
        buf = _emit(self.block, memref.AllocOp(dynamic, [], MemRefType(element or self.ftype, ir_dims(shape))))
        self.allocs.append(buf)
        return buf

    def generic(self, inputs: list[SSAValue], maps: list[AffineMap], out: SSAValue, rank: int,
                body: Callable[[Block, list[SSAValue]], SSAValue], reduce_dims: tuple[int, ...] = ()) -> None:
        args = [v.type.element_type for v in (*inputs, out)]
        inner = Block(arg_types=args)
        result = body(inner, list(inner.args))
        inner.add_op(YieldOp(result))
        iterators = [IteratorTypeAttr.reduction() if d in reduce_dims else IteratorTypeAttr.parallel()
                     for d in range(rank)]
        self.block.add_op(GenericOp(inputs, [out], Region(inner), [AffineMapAttr(m) for m in maps],
                                    ArrayAttr(iterators)))


def _reassociation(groups) -> ArrayAttr:
    return ArrayAttr([ArrayAttr([IntegerAttr(d, i64) for d in g]) for g in groups])


def _broadcast_map(in_shape, out_shape) -> AffineMap:
    """Numpy broadcasting as an affine map from the output's loop indices."""
    rank = len(out_shape)
    offset = rank - len(in_shape)
    exprs = []
    for k, size in enumerate(in_shape):
        d = offset + k
        exprs.append(AffineConstantExpr(0) if size == 1 and out_shape[d] != 1 else AffineDimExpr(d))
    return AffineMap(rank, 0, tuple(exprs))


def _identity(rank: int) -> AffineMap:
    return AffineMap(rank, 0, tuple(AffineDimExpr(d) for d in range(rank)))


def export_aten(model, example_inputs: tuple, dynamic_shapes: Any = None):
    """``model`` exported and decomposed to core ATen, scaled-dot-product attention kept whole
    (``torch_attention``: one fused loop nest); ``dynamic_shapes``: torch.export's spec of the symbolic sizes."""
    import torch

    from ircc.frontends.torch_attention import decompositions

    try:
        with torch._guards.tracing(None):  # under torch.compile: not Dynamo's fake mode and size guards
            exported = torch.export.export(model, tuple(example_inputs), dynamic_shapes=dynamic_shapes)
            exported = exported.run_decompositions(decompositions())
    except Exception as err:  # torch explains what it could not trace
        what = " with symbolic sizes" if dynamic_shapes is not None else ""
        raise IrccError(f"torch frontend: torch.export could not trace the model{what}: {err}") from None
    return exported


def build_module(model, example_inputs: tuple, name: str = "forward", origin: str = "",
                 exported=None, freeze: bool = False) -> tuple[ModuleOp, TorchLayout]:
    """The IR for ``model`` at the example inputs' shapes; ``origin`` names the user's function for errors
    when torch records no frame of it; ``exported`` is ``export_aten(model, example_inputs)`` where the
    caller has it already. Tensor constants the graph lifted, and with ``freeze`` the parameters and buffers
    too, become ``memref.global`` constants holding their values now (``memref.get_global`` in the body)."""
    import torch

    ep = exported if exported is not None else export_aten(model, example_inputs)
    sig = ep.graph_signature
    state_names = {**sig.inputs_to_parameters, **sig.inputs_to_buffers}
    constant_names = dict(sig.inputs_to_lifted_tensor_constants)
    placeholders = [n for n in ep.graph.nodes if n.op == "placeholder"]
    is_state = [n.name in state_names or n.name in constant_names for n in placeholders]
    if is_state != sorted(is_state, reverse=True):
        raise IrccError("torch frontend: the exported graph interleaves parameters and inputs; not supported yet")
    frozen = {**constant_names, **(state_names if freeze else {})}  # placeholder -> the tensor's name
    dtypes = {n.meta["val"].dtype for n in placeholders} & {torch.float32, torch.float64}
    if len(dtypes) > 1:
        raise IrccError("torch frontend: inputs and parameters must all be float32 or all float64, not both; "
                        "convert them with .float() or .double()")
    ftype = Float64Type() if dtypes == {torch.float64} else Float32Type()
    output_node = next(n for n in ep.graph.nodes if n.op == "output")
    results = list(output_node.args[0])
    arguments = [n for n in placeholders if n.name not in frozen]
    arg_types = [MemRefType(_element(n.meta["val"].dtype, f" (input {n.name})"), ir_dims(dims_of(n.meta["val"])))
                 for n in arguments]
    arg_types += [MemRefType(_element(r.meta["val"].dtype, " (a result)"), ir_dims(dims_of(r.meta["val"])))
                  for r in results]
    block = Block(arg_types=arg_types)
    b = _Builder(block, ftype, origin, _hints(placeholders))
    values: dict[Any, SSAValue] = {}
    for n, arg in zip(arguments, block.args):
        arg.name_hint = n.name
        values[n] = arg
        b.sizes.add_argument(arg, dims_of(n.meta["val"]))
    globals_ = []
    for n in placeholders:
        if n.name in frozen:
            tensor = ep.state_dict.get(frozen[n.name])
            tensor = ep.constants[frozen[n.name]] if tensor is None else tensor
            glob = constant_global(n.name, tensor)
            globals_.append(glob)
            values[n] = _emit(block, memref.GetGlobalOp(n.name, glob.type))
            values[n].name_hint = n.name
    outs = list(block.args[len(arguments):])
    for k, o in enumerate(outs):
        o.name_hint = f"out{k}"
    out_for = {r: outs[k] for k, r in enumerate(results)
               if r.op == "call_function" and results.count(r) == 1 and r.target is not operator.getitem}
    for node in ep.graph.nodes:
        if node.op != "call_function":
            continue
        if node.target is operator.getitem:  # one result of a multi-result op: the same buffer
            values[node] = values[node.args[0]][node.args[1]]
            continue
        if _op_names(node)[0].startswith("_assert"):  # export's checks of what it traced: nothing to run
            continue
        val = node.meta["val"]
        if _is_size(node):  # a size computed from symbolic sizes (sym_size, ...): the ops that use it
            continue  # have their sizes in their own meta
        if _op_names(node)[0] in RESHAPES and tuple(val.shape) and tuple(node.args[0].meta["val"].shape):
            values[node] = b.reshape(values[node.args[0]], dims_of(node.args[0].meta["val"]), dims_of(val))  # a view
            continue
        if isinstance(val, (tuple, list)):
            dests = [b.alloc(dims_of(v), _element(v.dtype)) for v in val]
            _lower_multi(node, values, dests, b)
            values[node] = dests
            continue
        shape = dims_of(val)
        dest = out_for.get(node) or b.alloc(shape, _element(val.dtype, f" ({_op_names(node)[1]})"))
        _lower(node, values, dest, shape, b)
        values[node] = dest
    for r, o in zip(results, outs):
        if values[r] is not o:  # an input returned as it is, or a result returned twice: copy
            b.copy(values[r], _identity(len(r.meta["val"].shape)), o)
    for buf in b.allocs:
        block.add_op(memref.DeallocOp.get(buf))
    block.add_op(func.ReturnOp())
    fn = func.FuncOp(name, FunctionType.from_lists(arg_types, []), Region(block))
    # only the outputs are written, and they are fresh tensors: no argument aliases one that is written
    fn.arg_attrs = ArrayAttr([DictionaryAttr({"llvm.noalias": UnitAttr()})] * len(arg_types))
    state = tuple(state_names[n.name] for n in arguments if n.name in state_names)
    inputs = [n for n in arguments if n.name not in state_names]
    symbols = {}
    for i, n in enumerate(inputs):
        for k, d in enumerate(dims_of(n.meta["val"])):
            if not isinstance(d, int) and d.is_Symbol:
                symbols.setdefault(d, (i, k))
    layout = TorchLayout(state, len(inputs), tuple((dims_of(r.meta["val"]), r.meta["val"].dtype) for r in results),
                         tuple(dims_of(n.meta["val"]) for n in inputs), symbols)
    return ModuleOp([*globals_, fn]), layout


def constant_global(name: str, tensor) -> memref.GlobalOp:
    """A ``memref.global`` constant holding ``tensor``'s values (its bytes as they are: one copy, no per-element
    Python objects)."""
    import numpy as np

    array = tensor.detach().cpu().contiguous().numpy()
    element = _element(tensor.dtype, f" ({name})")
    if array.dtype == np.bool_:  # xDSL's i1 elements are bytes, true as 0xff
        array = np.where(array, 0xFF, 0).astype(np.uint8)
    t = MemRefType(element, list(array.shape))
    data = DenseIntOrFPElementsAttr(TensorType(element, list(array.shape)), BytesAttr(array.tobytes()))
    return memref.GlobalOp.get(StringAttr(name), t, data, constant=UnitAttr(), alignment=64)


def _lower(node, values: dict, dest: SSAValue, shape: tuple[int, ...], b: _Builder) -> None:
    name, overload = _op_names(node)
    if name in LOWERINGS:
        LOWERINGS[name](node, values, dest, shape, b)
        return
    rank = len(shape)
    et = dest.type.element_type
    args = node.args

    def value(a) -> SSAValue:
        return values[a]

    def in_shape(a) -> tuple:
        return dims_of(a.meta["val"])

    if name == "mm" or name == "addmm":
        if name == "addmm":
            bias, x, w = args[:3]
            if node.kwargs.get("beta", 1) != 1 or node.kwargs.get("alpha", 1) != 1:
                raise _unsupported(node, overload, b, "alpha / beta other than 1")
            b.copy(value(bias), _broadcast_map(in_shape(bias), shape), dest)
        else:
            x, w = args[:2]
            b.fill(dest, 0.0)
        b.block.add_op(MatmulOp([value(x), value(w)], [dest]))
        return
    if name == "bmm":
        # out[b, i, j] += x[b, i, k] * w[b, k, j]: a generic over (b, i, k, j), k reduced, j innermost
        # (unit stride on w and out: the loop LLVM vectorizes)
        b.fill(dest, 0.0)
        d = [AffineDimExpr(k) for k in range(4)]
        maps = [AffineMap(4, 0, (d[0], d[1], d[2])), AffineMap(4, 0, (d[0], d[2], d[3])),
                AffineMap(4, 0, (d[0], d[1], d[3]))]
        b.generic([value(args[0]), value(args[1])], maps, dest, 4,
                  lambda blk, a: multiply_add(blk, a[0], a[1], a[2]),
                  reduce_dims=(2,))
        return
    if name in ("permute", "t", "transpose"):
        perm = list(args[1]) if name == "permute" else [1, 0]
        if name == "transpose":
            d0, d1 = (d % len(in_shape(args[0])) for d in args[1:3])
            perm = list(range(len(in_shape(args[0]))))
            perm[d0], perm[d1] = perm[d1], perm[d0]
        # out[i0, i1, ...] = in[... i_k at position perm[k] ...]
        exprs = [None] * rank
        for k, p in enumerate(perm):
            exprs[p] = AffineDimExpr(k)
        b.copy(value(args[0]), AffineMap(rank, 0, tuple(exprs)), dest)
        return
    if name in RESHAPES:
        b.copy(value(args[0]), reshape_map(in_shape(args[0]), shape), dest)
        return
    if name == "cat":
        tensors, dim = args[0], (args[1] if len(args) > 1 else node.kwargs.get("dim", 0)) % rank
        offset = 0
        for t in tensors:
            size = _static(node, overload, b, in_shape(t)[dim], "joining along a symbolic dimension")
            b.copy(value(t), _identity(rank), b.view(dest, shape, dim, offset, size))
            offset += size
        return
    if name == "slice":
        src = in_shape(args[0])
        dim = args[1] % len(src)
        start, step = args[2] if len(args) > 2 and args[2] is not None else 0, args[4] if len(args) > 4 else 1
        if not (isinstance(start, int) and isinstance(step, int)):
            raise _unsupported(node, overload, b, "a symbolic start or step")
        if start == 0 and step == 1 and same(shape[dim], src[dim]):  # the whole dimension
            b.copy(value(args[0]), _identity(rank), dest)
            return
        whole = _static(node, overload, b, src[dim], "slicing a symbolic dimension")
        start = max(start + whole, 0) if start < 0 else min(start, whole)
        b.copy(b.view(value(args[0]), src, dim, start, shape[dim], step), _identity(rank), dest)
        return
    if name == "select":  # the dimension disappears: a constant index in the read map
        src = in_shape(args[0])
        dim = args[1] % len(src)
        index = args[2] + _static(node, overload, b, src[dim], "selecting from the end of a symbolic dimension") \
            if args[2] < 0 else args[2]
        dims = iter(AffineDimExpr(d) for d in range(rank))
        exprs = tuple(AffineConstantExpr(index) if d == dim else next(dims) for d in range(len(src)))
        b.copy(value(args[0]), AffineMap(rank, 0, exprs), dest)
        return
    if name in ("expand", "clone", "alias", "detach") and hasattr(args[0], "meta"):
        b.copy(value(args[0]), _broadcast_map(in_shape(args[0]), shape), dest)
        return
    if name == "pow" and not hasattr(args[1], "meta"):
        exponent = float(args[1])

        def power(blk, a):
            if exponent == 2.0:
                return _emit(blk, arith.MulfOp(a[0], a[0]))
            return _emit(blk, math.PowFOp(a[0], _const(blk, exponent, et)))

        b.generic([value(args[0])], [_broadcast_map(in_shape(args[0]), shape), _identity(rank)], dest, rank, power)
        return
    float_only = ("div", "gelu", "pow", "sum", "mean", "amax", "_softmax", "_log_softmax", *UNARY)
    if name in float_only and not isinstance(et, (Float32Type, Float64Type)):
        raise _unsupported(node, overload, b, f"on {node.meta['val'].dtype} tensors; only float32 / float64")
    if name in BINARY:
        lhs, rhs = args[:2]
        alpha = node.kwargs.get("alpha", 1)
        if alpha != 1:
            raise _unsupported(node, overload, b, "alpha other than 1")
        if node.kwargs.get("rounding_mode") is not None:
            raise _unsupported(node, overload, b, f"rounding_mode={node.kwargs['rounding_mode']!r}")
        inputs, maps, pos = [], [], []
        for a in (lhs, rhs):
            if hasattr(a, "meta"):
                pos.append(len(inputs))
                inputs.append(value(a))
                maps.append(_broadcast_map(in_shape(a), shape))
            else:
                pos.append((a,))
        cls = INTEGER_BINARY[name] if isinstance(et, IntegerType) else BINARY[name]

        def body(blk, a):  # operands promoted to the result's type first, as torch does
            ops = [convert(blk, a[p], et) if isinstance(p, int) else _const(blk, p[0], et) for p in pos]
            return _emit(blk, cls(ops[0], ops[1]))

        b.generic(inputs, [*maps, _identity(rank)], dest, rank, body)
        return
    if name == "gelu":
        approximate = node.kwargs.get("approximate", args[1] if len(args) > 1 else "none")
        b.generic([value(args[0])], [_identity(rank)] * 2, dest, rank,
                  lambda blk, a: _gelu(blk, a[0], et, approximate))
        return
    if name in UNARY:
        fn = UNARY[name]
        b.generic([value(args[0])], [_broadcast_map(in_shape(args[0]), shape), _identity(rank)], dest, rank,
                  lambda blk, a: fn(blk, convert(blk, a[0], et), et))
        return
    if name in ("sum", "mean", "amax") and not node.kwargs.get("dtype"):
        src = in_shape(args[0])
        dims = args[1] if len(args) > 1 and args[1] else list(range(len(src)))
        keepdim = bool(args[2]) if len(args) > 2 else bool(node.kwargs.get("keepdim", False))
        _reduce(b, value(args[0]), src, [d % max(len(src), 1) for d in dims], keepdim,
                "max" if name == "amax" else "add", dest)
        if name == "mean":
            count = _static(node, overload, b, product(src[d % len(src)] for d in dims),
                            "the mean over a symbolic dimension")
            b.generic([dest], [_identity(rank)] * 2, dest, rank,
                      lambda blk, a: _emit(blk, arith.DivfOp(a[0], _const(blk, float(count), et))))
        return
    if name in ("_softmax", "_log_softmax"):
        x, dim = value(args[0]), args[1] % rank
        kept = tuple(1 if d == dim else s for d, s in enumerate(shape))
        peak, total, shifted = b.alloc(kept), b.alloc(kept), b.alloc(shape)
        _reduce(b, x, shape, [dim], True, "max", peak)
        near = [_identity(rank), _broadcast_map(kept, shape), _identity(rank)]
        b.generic([x, peak], near, shifted, rank, lambda blk, a: _emit(blk, arith.SubfOp(a[0], a[1])))
        exps = b.alloc(shape)
        b.generic([shifted], [_identity(rank)] * 2, exps, rank, lambda blk, a: _emit(blk, math.ExpOp(a[0])))
        _reduce(b, exps, shape, [dim], True, "add", total)
        if name == "_softmax":
            b.generic([exps, total], near, dest, rank, lambda blk, a: _emit(blk, arith.DivfOp(a[0], a[1])))
        else:
            b.generic([shifted, total], near, dest, rank,
                      lambda blk, a: _emit(blk, arith.SubfOp(a[0], _emit(blk, math.LogOp(a[1])))))
        return
    raise _unsupported(node, overload, b)


def _lower_multi(node, values: dict, dests: list[SSAValue], b: _Builder) -> None:
    """Ops with several results (``getitem`` nodes pick them)."""
    name, overload = _op_names(node)
    if name in MULTI_LOWERINGS:
        MULTI_LOWERINGS[name](node, values, dests, b)
        return
    args = node.args
    src = dims_of(args[0].meta["val"])
    rank = len(src)
    if name in ("split_with_sizes", "split"):
        dim = (args[2] if len(args) > 2 else node.kwargs.get("dim", 0)) % rank
        offset = 0
        for dest, val in zip(dests, node.meta["val"]):
            size = _static(node, overload, b, dims_of(val)[dim], "splitting a symbolic dimension")
            b.copy(b.view(values[args[0]], src, dim, offset, size), _identity(rank), dest)
            offset += size
        return
    if name == "native_layer_norm":
        x, normalized, weight, bias, eps = values[args[0]], args[1], args[2], args[3], float(args[4])
        out, mean, rstd = dests
        dims = list(range(rank - len(normalized), rank))
        count = _static(node, overload, b, product(src[d] for d in dims), "normalizing over a symbolic dimension")
        kept = tuple(1 if d in dims else s for d, s in enumerate(src))
        near = _broadcast_map(kept, src)
        _reduce(b, x, src, dims, True, "add", mean)
        b.generic([mean], [_identity(rank)] * 2, mean, rank,
                  lambda blk, a: _emit(blk, arith.DivfOp(a[0], _const(blk, float(count), b.ftype))))
        centered, squares = b.alloc(src), b.alloc(src)
        b.generic([x, mean], [_identity(rank), near, _identity(rank)], centered, rank,
                  lambda blk, a: _emit(blk, arith.SubfOp(a[0], a[1])))
        b.generic([centered], [_identity(rank)] * 2, squares, rank,
                  lambda blk, a: _emit(blk, arith.MulfOp(a[0], a[0])))
        _reduce(b, squares, src, dims, True, "add", rstd)

        def inverse_std(blk, a):
            var = _emit(blk, arith.DivfOp(a[0], _const(blk, float(count), b.ftype)))
            return _rsqrt(blk, _emit(blk, arith.AddfOp(var, _const(blk, eps, b.ftype))), b.ftype)

        b.generic([rstd], [_identity(rank)] * 2, rstd, rank, inverse_std)
        inputs, maps = [centered, rstd], [_identity(rank), near]
        for extra in (weight, bias):
            if extra is not None:
                inputs.append(values[extra])
                maps.append(_broadcast_map(dims_of(extra.meta["val"]), src))

        def affine(blk, a):
            return scale_shift(blk, _emit(blk, arith.MulfOp(a[0], a[1])), a, 2, weight, bias)

        b.generic(inputs, [*maps, _identity(rank)], out, rank, affine)
        return
    raise _unsupported(node, overload, b)


def scale_shift(blk: Block, y: SSAValue, a, k: int, weight, bias) -> SSAValue:
    """``y * a[k] + a[k + 1]``, either factor left out where the norm has no ``weight`` / ``bias`` (the
    block arguments from ``k`` on are the ones given)."""
    if weight is not None:
        y, k = _emit(blk, arith.MulfOp(y, a[k])), k + 1
    if bias is not None:
        y = _emit(blk, arith.AddfOp(y, a[k]))
    return y


def _reduce(b: _Builder, src: SSAValue, src_shape, dims: list[int], keepdim: bool, kind: str,
            dest: SSAValue) -> None:
    """``dest`` = the sum or max of ``src`` over ``dims`` (``dest`` has them as size 1, or not at all)."""
    if kind == "add":
        _reduce_with(b, src, src_shape, dims, keepdim, arith.AddfOp, 0.0, dest)
    else:
        _reduce_with(b, src, src_shape, dims, keepdim, arith.MaximumfOp, float("-inf"), dest)


def _reduce_with(b: _Builder, src: SSAValue, src_shape, dims: list[int], keepdim: bool, cls: type, init: float,
                 dest: SSAValue) -> None:
    """``dest`` = ``init`` combined with every element of ``src`` over ``dims`` by the binary op ``cls``."""
    r = len(src_shape)
    b.fill(dest, init)
    exprs = tuple((AffineConstantExpr(0) if keepdim else None) if d in dims else AffineDimExpr(d) for d in range(r))
    out_map = AffineMap(r, 0, tuple(e for e in exprs if e is not None))
    def combine(blk: Block, a) -> SSAValue:
        if issubclass(cls, (arith.AddfOp, arith.MaximumfOp)):
            return _emit(blk, cls(a[0], a[1], flags=REDUCTION_FLAGS))
        return _emit(blk, cls(a[0], a[1]))

    b.generic([src], [_identity(r), out_map], dest, r, combine,
              reduce_dims=tuple(dims))


def _op_names(node) -> tuple[str, str]:
    """``("addmm", "aten.addmm.default")`` for an ATen call node."""
    op = node.target
    name = getattr(op, "_opname", str(op))
    return name, f"aten.{name}.{getattr(op, '_overloadname', 'default')}"


def _static(node, overload: str, b: _Builder, size, what: str) -> int:
    """``size`` where the lowering needs a number: a symbolic one is refused, saying for what."""
    if not isinstance(size, int):
        raise _unsupported(node, overload, b, f"{what} ({size}); mark that dimension static")
    return size


def _hints(placeholders) -> dict[Any, int]:
    """Each size symbol's value in the example inputs (for choosing how reshapes group dimensions)."""
    hints = {}
    for n in placeholders:
        for d in n.meta["val"].shape:
            if not isinstance(d, int) and d.node.expr.is_Symbol:
                hints[d.node.expr] = int(d.node.hint)
    return hints


def _unsupported(node, overload: str, b: _Builder, why: str = "") -> IrccError:
    detail = f" ({why})" if why else ""
    supported = [*SUPPORTED, *sorted(set(LOWERINGS) | set(MULTI_LOWERINGS))]
    return IrccError(f"torch frontend: unsupported ATen op {overload}{detail} at {_user_line(node, b.origin)}; "
                     f"supported so far: {', '.join(supported)}")


from ircc.frontends import torch_attention, torch_logic, torch_nn  # noqa: E402,F401 - they register their lowerings
