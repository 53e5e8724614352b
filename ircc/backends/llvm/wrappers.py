"""Entry wrappers emitted next to each public function.

* ``_ircc_packed_<name>(ptr args)`` -- the packed interface (like MLIR's ExecutionEngine):
  ``args[i]`` points to argument ``i`` (a scalar, or a memref descriptor struct), then
  ``args[nargs + j]`` points to storage for result ``j``. Used from Python through ctypes and
  declared in the C header of ahead-of-time builds.
* ``_ircc_py_<name>(self, args, nargs)`` -- a CPython ``METH_FASTCALL`` function for functions with
  scalar results (or none): numbers and numpy arrays (any C-contiguous buffer) in, with the GIL
  released around the call; no ctypes in between.
* ``_ircc_pyscalar_<name>`` -- the single-point entry of an ``ircc.scalar_entry`` function.
  JIT builds only.
"""

from __future__ import annotations

from llvmlite import ir
from xdsl.dialects import func
from xdsl.dialects.builtin import Float16Type, Float32Type, Float64Type, MemRefType, StridedLayoutAttr

from ircc.backends.llvm.lower import ModuleLowering
from ircc.backends.llvm.types import I32, I64, PTR, descriptor_type, scalar_type

PY_API = ("PyFloat_AsDouble", "PyFloat_FromDouble", "PyLong_AsLongLong", "PyLong_FromLongLong",
          "PyTuple_New", "PyTuple_SetItem", "PyErr_Occurred", "PyErr_SetString", "Py_IncRef",
          "PyBool_FromLong")


def emit_packed(ml: ModuleLowering, op: func.FuncOp, fn: ir.Function) -> ir.Function:
    wrapper = ir.Function(ml.llmod, ir.FunctionType(ir.VoidType(), [PTR]), f"_ircc_packed_{fn.name}")
    b = ir.IRBuilder(wrapper.append_basic_block("entry"))
    slots = wrapper.args[0]
    call_args: list[ir.Value] = []
    inputs = op.function_type.inputs.data
    for i, t in enumerate(inputs):
        p = b.load(b.gep(slots, [ir.Constant(I64, i)], inbounds=True, source_etype=PTR), typ=PTR)
        if isinstance(t, MemRefType):
            desc_t = descriptor_type(t)
            d = b.load(p, typ=desc_t)
            rank = len(t.get_shape())
            call_args += [b.extract_value(d, 0), b.extract_value(d, 1), b.extract_value(d, 2)]
            call_args += [b.extract_value(d, [3, k]) for k in range(rank)]
            call_args += [b.extract_value(d, [4, k]) for k in range(rank)]
        else:
            call_args.append(b.load(p, typ=scalar_type(t)))
    result = b.call(fn, call_args, attrs=("noinline",))  # one copy of the body, however many wrappers
    outputs = op.function_type.outputs.data
    for j in range(len(outputs)):
        p = b.load(b.gep(slots, [ir.Constant(I64, len(inputs) + j)], inbounds=True, source_etype=PTR), typ=PTR)
        value = result if len(outputs) == 1 else b.extract_value(result, j)
        b.store(value, p)
    b.ret_void()
    return wrapper


def is_scalar_function(op: func.FuncOp) -> bool:
    ft = op.function_type
    return bool(ft.outputs.data) and not any(
        isinstance(t, MemRefType) for t in (*ft.inputs.data, *ft.outputs.data))


def emit_python_fastcall(ml: ModuleLowering, op: func.FuncOp, fn: ir.Function) -> ir.Function:
    """``PyObject* _ircc_py_<name>(PyObject* self, PyObject* const* args, Py_ssize_t nargs)``."""
    api = _python_api(ml)
    wrapper = ir.Function(ml.llmod, ir.FunctionType(PTR, [PTR, PTR, I64]), f"_ircc_py_{fn.name}")
    _, args, nargs = wrapper.args
    b = ir.IRBuilder(wrapper.append_basic_block("entry"))
    fail = wrapper.append_basic_block("fail")
    inputs = op.function_type.inputs.data
    outputs = op.function_type.outputs.data
    _check_count(ml, b, wrapper, api, nargs, len(inputs), fn.name)
    values = []
    for i, t in enumerate(inputs):
        obj = b.load(b.gep(args, [ir.Constant(I64, i)], inbounds=True, source_etype=PTR), typ=PTR)
        values.append(_unbox(b, wrapper, api, obj, t, fail, i))
    result = b.call(fn, values, attrs=("noinline",))
    _return_results(ml, b, api, result, outputs)
    b.position_at_end(fail)
    b.ret(ir.Constant(PTR, None))
    return wrapper


def emit_scalar_entry_fastcall(ml: ModuleLowering, op: func.FuncOp, fn: ir.Function, nout: int) -> ir.Function:
    """``_ircc_py_<name>(*numbers, *outputs)`` for an ``ircc.scalar_entry`` function: one point.

    Each input memref gets a one-element stack slot holding the converted number; each output is a
    writable contiguous buffer (a numpy array) of the output's static size (dynamic sizes are 1),
    filled in place. Returns None, or NotImplemented (and touches nothing) when an input is not
    exactly a Python float or int, so the caller can take its array path.
    """
    assert nout == 1, f"the fast scalar entry takes one output memref, not {nout}"
    mod = ml.llmod
    api = _python_api(ml)
    memrefs = list(op.function_type.inputs.data)
    inputs, outputs = memrefs[:len(memrefs) - nout], memrefs[len(memrefs) - nout:]
    wrapper = ir.Function(mod, ir.FunctionType(PTR, [PTR, PTR, I64]), f"_ircc_pyscalar_{fn.name}")
    _, args, nargs = wrapper.args
    b = ir.IRBuilder(wrapper.append_basic_block("entry"))
    fail = wrapper.append_basic_block("fail")
    _check_count(ml, b, wrapper, api, nargs, len(memrefs), fn.name)
    call_args: list[ir.Value] = []
    not_number = wrapper.append_basic_block("not_a_number")
    for i, t in enumerate(inputs):
        obj = b.load(b.gep(args, [ir.Constant(I64, i)], inbounds=True, source_etype=PTR), typ=PTR)
        _require_exact_number(ml, b, wrapper, obj, not_number, i)
        value = _unbox(b, wrapper, api, obj, t.element_type, fail, i)
        slot = _entry_alloca(b, scalar_type(t.element_type), 1)
        b.store(value, slot)
        call_args += _descriptor_fields(slot, t)
    views = []
    release = wrapper.append_basic_block("release")
    for k, t in enumerate(outputs):
        count = 1
        for d in t.get_shape():
            count *= d if d >= 0 else 1
        obj = b.load(b.gep(args, [ir.Constant(I64, len(inputs) + k)], inbounds=True, source_etype=PTR), typ=PTR)
        view = _entry_alloca(b, PY_BUFFER, 1)
        got = b.call(api["PyObject_GetBuffer"], [obj, view, ir.Constant(I32, PYBUF_WRITABLE_CONTIG)])
        ok = wrapper.append_basic_block(f"out{k}.ok")
        b.cbranch(b.icmp_signed("!=", got, ir.Constant(I32, 0)), release if views else fail, ok)
        b.position_at_end(ok)
        views.append(view)
        nbytes = count * _byte_width(t.element_type)
        length = b.load(b.gep(view, [ir.Constant(I32, 0), ir.Constant(I32, 2)], inbounds=True,
                              source_etype=PY_BUFFER), typ=I64)
        sized = wrapper.append_basic_block(f"out{k}.sized")
        bad = wrapper.append_basic_block(f"out{k}.badsize")
        b.cbranch(b.icmp_signed("==", length, ir.Constant(I64, nbytes)), sized, bad)
        b.position_at_end(bad)
        msg = _message(ml, f"{fn.name}.out{k}", f"@{fn.name}: output {k} must be a writable contiguous "
                                                  f"buffer of {nbytes} bytes")
        b.call(api["PyErr_SetString"], [b.load(_python_global(ml, "PyExc_TypeError"), typ=PTR), msg])
        b.branch(release)
        b.position_at_end(sized)
        data = b.load(b.gep(view, [ir.Constant(I32, 0), ir.Constant(I32, 0)], inbounds=True,
                            source_etype=PY_BUFFER), typ=PTR)
        call_args += _descriptor_fields(data, t)
    b.call(fn, call_args, attrs=("noinline",))
    done = b.block
    b.branch(release)
    b.position_at_end(release)
    result = b.phi(PTR)
    none = _python_global(ml, "_Py_NoneStruct")
    for view in views:
        b.call(api["PyBuffer_Release"], [view])
    # every edge into `release` except the success path carries NULL (an exception is set)
    for pred in [blk for blk in wrapper.blocks if blk.terminator is not None and release in
                 getattr(blk.terminator, "operands", [])]:
        result.add_incoming(none if pred is done else ir.Constant(PTR, None), pred)
    success = b.icmp_unsigned("!=", result, ir.Constant(PTR, None))
    inc = wrapper.append_basic_block("incref")
    out = wrapper.append_basic_block("return")
    b.cbranch(success, inc, out)
    b.position_at_end(inc)
    b.call(api["Py_IncRef"], [none])
    b.branch(out)
    b.position_at_end(out)
    b.ret(result)
    b.position_at_end(fail)
    b.ret(ir.Constant(PTR, None))
    b.position_at_end(not_number)  # an array or another object: the caller takes its array path
    not_implemented = _python_global(ml, "_Py_NotImplementedStruct")
    b.call(api["Py_IncRef"], [not_implemented])
    b.ret(not_implemented)
    return wrapper


#: offset of ``ob_type`` in a CPython object header (after ``ob_refcnt``); checked at start-up by
#: ``codegen.exact_type_check_supported`` before any wrapper relies on it.
OB_TYPE_OFFSET = 8


def _require_exact_number(ml: ModuleLowering, b: ir.IRBuilder, wrapper: ir.Function, obj: ir.Value,
                          otherwise: ir.Block, i: int) -> None:
    """Branch to ``otherwise`` unless ``type(obj)`` is exactly ``float`` or ``int``."""
    slot = b.gep(obj, [ir.Constant(I64, OB_TYPE_OFFSET)], inbounds=True, source_etype=ir.IntType(8))
    tp = b.load(slot, typ=PTR)
    is_float = b.icmp_unsigned("==", tp, _python_global(ml, "PyFloat_Type"))
    is_int = b.icmp_unsigned("==", tp, _python_global(ml, "PyLong_Type"))
    ok = wrapper.append_basic_block(f"arg{i}.number")
    b.cbranch(b.or_(is_float, is_int), ok, otherwise)
    b.position_at_end(ok)


# Py_buffer: buf, obj, len, itemsize, readonly, ndim, format, shape, strides, suboffsets, internal
PY_BUFFER = ir.LiteralStructType([PTR, PTR, I64, I64, I32, I32, PTR, PTR, PTR, PTR, PTR])
PY_BUFFER_BYTES = 80
PYBUF_WRITABLE_CONTIG = 0x0001 | 0x0008  # PyBUF_WRITABLE | PyBUF_ND: writable and C-contiguous


def _byte_width(t) -> int:
    if isinstance(t, Float64Type):
        return 8
    if isinstance(t, Float32Type):
        return 4
    if isinstance(t, Float16Type):
        return 2
    width = scalar_type(t).width
    return max(1, width // 8)


def _python_global(ml: ModuleLowering, name: str) -> ir.GlobalVariable:
    """An external data symbol of the interpreter (resolved by address when the code is loaded)."""
    existing = ml.llmod.globals.get(name)
    if existing is not None:
        return existing
    g = ir.GlobalVariable(ml.llmod, PTR, name)
    g.linkage = "external"
    return g


def _message(ml: ModuleLowering, name: str, msg: str) -> ir.GlobalVariable:
    arr_t = ir.ArrayType(ir.IntType(8), len(msg.encode()) + 1)
    symbol = f"_ircc_msg_{name}"
    if symbol in ml.llmod.globals:
        symbol = ml.fresh(symbol)
    text = ir.GlobalVariable(ml.llmod, arr_t, symbol)
    text.initializer = ir.Constant(arr_t, bytearray(msg.encode() + b"\0"))
    text.global_constant = True
    text.linkage = "internal"
    return text


def _entry_alloca(b: ir.IRBuilder, t: ir.Type, count: int) -> ir.Value:
    from ircc.backends.llvm.types import alloca

    with b.goto_entry_block():
        return alloca(b, t, ir.Constant(I64, count))


def _descriptor_fields(ptr: ir.Value, t: MemRefType) -> list[ir.Value]:
    shape = [d if d >= 0 else 1 for d in t.get_shape()]
    strides = [1] * len(shape)
    for k in range(len(shape) - 2, -1, -1):
        strides[k] = strides[k + 1] * shape[k + 1]
    return [ptr, ptr, ir.Constant(I64, 0)] + [ir.Constant(I64, d) for d in shape] + \
        [ir.Constant(I64, s) for s in strides]


def _python_api(ml: ModuleLowering) -> dict[str, ir.Function]:
    return {name: ml.declare(name, *sig) for name, sig in {
        "PyFloat_AsDouble": (ir.DoubleType(), [PTR]), "PyFloat_FromDouble": (PTR, [ir.DoubleType()]),
        "PyLong_AsLongLong": (I64, [PTR]), "PyLong_FromLongLong": (PTR, [I64]),
        "PyTuple_New": (PTR, [I64]), "PyTuple_SetItem": (I32, [PTR, I64, PTR]),
        "PyErr_Occurred": (PTR, []), "PyErr_SetString": (ir.VoidType(), [PTR, PTR]),
        "PyBool_FromLong": (PTR, [I64]), "PyObject_GetBuffer": (I32, [PTR, PTR, I32]),
        "PyBuffer_Release": (ir.VoidType(), [PTR]), "Py_IncRef": (ir.VoidType(), [PTR]),
        "PyEval_SaveThread": (PTR, []), "PyEval_RestoreThread": (ir.VoidType(), [PTR]),
    }.items()}


def _check_count(ml: ModuleLowering, b: ir.IRBuilder, wrapper: ir.Function, api, nargs: ir.Value, n: int,
                 name: str) -> None:
    text = _message(ml, f"{name}.nargs", f"@{name} takes {n} argument(s)")
    bad = wrapper.append_basic_block("bad_count")
    ok = wrapper.append_basic_block("convert")
    b.cbranch(b.icmp_signed("!=", nargs, ir.Constant(I64, n)), bad, ok)
    b.position_at_end(bad)
    b.call(api["PyErr_SetString"], [b.load(_python_global(ml, "PyExc_TypeError"), typ=PTR), text])
    b.ret(ir.Constant(PTR, None))
    b.position_at_end(ok)


def _unbox(b: ir.IRBuilder, wrapper: ir.Function, api, obj: ir.Value, t, fail: ir.Block, i: int) -> ir.Value:
    if isinstance(t, (Float64Type, Float32Type, Float16Type)):
        v = b.call(api["PyFloat_AsDouble"], [obj])
        maybe_error = b.fcmp_ordered("==", v, ir.Constant(ir.DoubleType(), -1.0))
    else:
        v = b.call(api["PyLong_AsLongLong"], [obj])
        maybe_error = b.icmp_signed("==", v, ir.Constant(I64, -1))
    check = wrapper.append_basic_block(f"arg{i}.check")
    checked = wrapper.append_basic_block(f"arg{i}.ok")
    b.cbranch(maybe_error, check, checked)
    b.position_at_end(check)
    b.cbranch(b.icmp_unsigned("!=", b.call(api["PyErr_Occurred"], []), ir.Constant(PTR, None)), fail, checked)
    b.position_at_end(checked)
    target = scalar_type(t)
    if isinstance(t, (Float32Type, Float16Type)):
        v = b.fptrunc(v, target)
    elif isinstance(target, ir.IntType) and target.width < 64:
        v = b.trunc(v, target)
    return v


def _return_results(ml: ModuleLowering, b: ir.IRBuilder, api, result: ir.Value, outputs) -> None:
    """Return a function's results to Python: None, one object, or a tuple."""
    if not outputs:
        none = _python_global(ml, "_Py_NoneStruct")
        b.call(api["Py_IncRef"], [none])
        b.ret(none)
    elif len(outputs) == 1:
        b.ret(_box(b, api, result, outputs[0]))
    else:
        tup = b.call(api["PyTuple_New"], [ir.Constant(I64, len(outputs))])
        for j, t in enumerate(outputs):
            b.call(api["PyTuple_SetItem"], [tup, ir.Constant(I64, j), _box(b, api, b.extract_value(result, j), t)])
        b.ret(tup)


def _box(b: ir.IRBuilder, api, v: ir.Value, t) -> ir.Value:
    if isinstance(t, (Float64Type, Float32Type, Float16Type)):
        if str(v.type) != "double":
            v = b.fpext(v, ir.DoubleType())
        return b.call(api["PyFloat_FromDouble"], [v])
    lt = scalar_type(t)
    if lt.width == 1:
        return b.call(api["PyBool_FromLong"], [b.zext(v, I64)])
    return b.call(api["PyLong_FromLongLong"], [v if lt.width == 64 else b.sext(v, I64)])


#: PyBUF_FORMAT | PyBUF_C_CONTIGUOUS (shape and strides, refusing non-contiguous arrays)
PYBUF_C_CONTIG_FORMAT = 0x0004 | 0x0038
#: PyBUF_FORMAT | PyBUF_STRIDES (shape and strides, any layout without suboffsets)
PYBUF_STRIDED_FORMAT = 0x0004 | 0x0018

#: buffer format characters (after an optional byte-order prefix) per element type
_FORMATS = {"f64": "d", "f32": "f", "f16": "e", "i64": "ql", "index": "ql", "i32": "i", "i16": "h", "i8": "b",
            "i1": "?"}


def takes_arrays(op: func.FuncOp) -> bool:
    """Functions the array fastcall wrapper serves: memref or scalar arguments, scalar results."""
    ft = op.function_type
    return not any(isinstance(t, MemRefType) for t in ft.outputs.data) and \
        all(str(t.element_type) in _FORMATS for t in ft.inputs.data if isinstance(t, MemRefType))


def emit_array_fastcall(ml: ModuleLowering, op: func.FuncOp, fn: ir.Function) -> ir.Function:
    """``_ircc_py_<name>(*args)``: numpy arrays (any object with a C-contiguous buffer) and numbers in,
    the scalar results out; descriptors are built from the buffers' shapes, the GIL is released
    around the call, every buffer is released on every path."""
    mod = ml.llmod
    api = _python_api(ml)
    inputs = list(op.function_type.inputs.data)
    outputs = op.function_type.outputs.data
    wrapper = ir.Function(mod, ir.FunctionType(PTR, [PTR, PTR, I64]), f"_ircc_py_{fn.name}")
    _, args, nargs = wrapper.args
    b = ir.IRBuilder(wrapper.append_basic_block("entry"))
    cleanup_fail = wrapper.append_basic_block("cleanup.fail")
    _check_count(ml, b, wrapper, api, nargs, len(inputs), fn.name)
    nviews = sum(1 for t in inputs if isinstance(t, MemRefType))
    views = _entry_alloca(b, PY_BUFFER, max(1, nviews))
    zero_fill = ml.intrinsic("llvm.memset.p0.i64", ir.VoidType(), [PTR, ir.IntType(8), I64, ir.IntType(1)])
    b.call(zero_fill, [views, ir.Constant(ir.IntType(8), 0), ir.Constant(I64, PY_BUFFER_BYTES * max(1, nviews)),
                       ir.Constant(ir.IntType(1), 0)])
    call_args: list[ir.Value] = []
    k = 0
    for i, t in enumerate(inputs):
        obj = b.load(b.gep(args, [ir.Constant(I64, i)], inbounds=True, source_etype=PTR), typ=PTR)
        if not isinstance(t, MemRefType):
            call_args.append(_unbox(b, wrapper, api, obj, t, cleanup_fail, i))
            continue
        view = b.gep(views, [ir.Constant(I64, k)], inbounds=True, source_etype=PY_BUFFER)
        k += 1
        strided = isinstance(t.layout, StridedLayoutAttr)
        flags = PYBUF_STRIDED_FORMAT if strided else PYBUF_C_CONTIG_FORMAT
        got = b.call(api["PyObject_GetBuffer"], [obj, view, ir.Constant(I32, flags)])
        ok = wrapper.append_basic_block(f"arg{i}.buffer")
        b.cbranch(b.icmp_signed("!=", got, ir.Constant(I32, 0)), cleanup_fail, ok)
        b.position_at_end(ok)
        call_args += _checked_descriptor(ml, b, wrapper, api, view, t, i, fn.name, cleanup_fail)
    state = b.call(api["PyEval_SaveThread"], [])
    result = b.call(fn, call_args, attrs=("noinline",))  # one copy of the body, however many wrappers
    b.call(api["PyEval_RestoreThread"], [state])
    for j in range(nviews):
        b.call(api["PyBuffer_Release"], [b.gep(views, [ir.Constant(I64, j)], inbounds=True, source_etype=PY_BUFFER)])
    _return_results(ml, b, api, result, outputs)
    b.position_at_end(cleanup_fail)
    for j in range(nviews):  # releasing a view that was never filled (obj == NULL) does nothing
        b.call(api["PyBuffer_Release"], [b.gep(views, [ir.Constant(I64, j)], inbounds=True, source_etype=PY_BUFFER)])
    b.ret(ir.Constant(PTR, None))
    return wrapper


def _checked_descriptor(ml: ModuleLowering, b: ir.IRBuilder, wrapper: ir.Function, api, view: ir.Value,
                        t: MemRefType, i: int, name: str, fail: ir.Block) -> list[ir.Value]:
    """Check a buffer against memref type ``t`` (rank, element format, static sizes); its descriptor."""
    def field(index: int, typ: ir.Type) -> ir.Value:
        return b.load(b.gep(view, [ir.Constant(I32, 0), ir.Constant(I32, index)], inbounds=True,
                            source_etype=PY_BUFFER), typ=typ)

    shape = t.get_shape()
    elem = str(t.element_type)
    rank = len(shape)
    dims = "x".join("?" if d < 0 else str(d) for d in shape)
    layout = "" if isinstance(t.layout, StridedLayoutAttr) else "C-contiguous "
    msg = _message(ml, f"{name}.arg{i}", f"@{name} argument {i}: expected a {layout}{elem} array of "
                                         f"shape ({dims}) (numpy dtype {_NUMPY_NAMES.get(elem, elem)})")
    bad = wrapper.append_basic_block(f"arg{i}.bad")
    data, ndim, fmt, shape_ptr = field(0, PTR), field(5, I32), field(6, PTR), field(7, PTR)
    good = b.icmp_signed("==", ndim, ir.Constant(I32, rank))
    # the format's last character names the element type (a byte-order prefix may precede it)
    c0 = b.load(fmt, typ=ir.IntType(8))
    has_prefix = b.or_(b.or_(b.icmp_unsigned("==", c0, ir.Constant(ir.IntType(8), ord("<"))),
                             b.icmp_unsigned("==", c0, ir.Constant(ir.IntType(8), ord("=")))),
                       b.icmp_unsigned("==", c0, ir.Constant(ir.IntType(8), ord("@"))))
    c1 = b.load(b.gep(fmt, [ir.Constant(I64, 1)], inbounds=True, source_etype=ir.IntType(8)), typ=ir.IntType(8))
    code = b.select(has_prefix, c1, c0)
    match = ir.Constant(ir.IntType(1), 0)
    for ch in _FORMATS[elem]:
        match = b.or_(match, b.icmp_unsigned("==", code, ir.Constant(ir.IntType(8), ord(ch))))
    good = b.and_(good, match)
    after_rank = wrapper.append_basic_block(f"arg{i}.rank")
    b.cbranch(good, after_rank, bad)
    b.position_at_end(after_rank)
    sizes = []
    ok = ir.Constant(ir.IntType(1), 1)
    for d in range(rank):
        size = b.load(b.gep(shape_ptr, [ir.Constant(I64, d)], inbounds=True, source_etype=I64), typ=I64)
        sizes.append(size)
        if shape[d] >= 0:
            ok = b.and_(ok, b.icmp_signed("==", size, ir.Constant(I64, shape[d])))
    checked = wrapper.append_basic_block(f"arg{i}.ok")
    b.cbranch(ok, checked, bad)
    b.position_at_end(bad)
    b.call(api["PyErr_SetString"], [b.load(_python_global(ml, "PyExc_TypeError"), typ=PTR), msg])
    b.branch(fail)
    b.position_at_end(checked)
    strides: list[ir.Value] = [ir.Constant(I64, 1)] * rank
    if isinstance(t.layout, StridedLayoutAttr):  # the buffer's byte strides, in elements
        itemsize, stride_ptr = field(3, I64), field(8, PTR)
        for d in range(rank):
            byte_stride = b.load(b.gep(stride_ptr, [ir.Constant(I64, d)], inbounds=True, source_etype=I64), typ=I64)
            strides[d] = b.sdiv(byte_stride, itemsize)
    else:
        for d in range(rank - 2, -1, -1):
            strides[d] = b.mul(strides[d + 1], sizes[d + 1])
    return [data, data, ir.Constant(I64, 0), *sizes, *strides]


_NUMPY_NAMES = {"f64": "float64", "f32": "float32", "f16": "float16", "i64": "int64", "index": "int64",
                "i32": "int32", "i16": "int16", "i8": "int8", "i1": "bool"}
