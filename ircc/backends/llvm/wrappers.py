"""Entry wrappers emitted next to each public function.

* ``_ircc_packed_<name>(ptr args)`` -- the packed interface (like MLIR's ExecutionEngine):
  ``args[i]`` points to argument ``i`` (a scalar, or a memref descriptor struct), then
  ``args[nargs + j]`` points to storage for result ``j``. Used from Python through ctypes and
  declared in the C header of ahead-of-time builds.
* ``_ircc_py_<name>(self, args, nargs)`` -- a CPython ``METH_FASTCALL`` function, for functions
  whose arguments and results are all scalars: Python floats/ints in, a float or a tuple out,
  with no ctypes in between (the single-point call path). JIT builds only.
"""

from __future__ import annotations

from llvmlite import ir
from xdsl.dialects import func
from xdsl.dialects.builtin import Float16Type, Float32Type, Float64Type, MemRefType

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
    result = b.call(fn, call_args)
    outputs = op.function_type.outputs.data
    for j, t in enumerate(outputs):
        p = b.load(b.gep(slots, [ir.Constant(I64, len(inputs) + j)], inbounds=True, source_etype=PTR), typ=PTR)
        value = result if len(outputs) == 1 else b.extract_value(result, j)
        b.store(value, p)
    b.ret_void()
    return wrapper


def is_scalar_function(op: func.FuncOp) -> bool:
    ft = op.function_type
    return bool(ft.outputs.data) and not any(
        isinstance(t, MemRefType) for t in (*ft.inputs.data, *ft.outputs.data))


def emit_python_fastcall(ml: ModuleLowering, op: func.FuncOp, fn: ir.Function, type_error: int) -> ir.Function:
    """``PyObject* _ircc_py_<name>(PyObject* self, PyObject* const* args, Py_ssize_t nargs)``."""
    mod = ml.llmod
    d = {name: ml.declare(name, *sig) for name, sig in {
        "PyFloat_AsDouble": (ir.DoubleType(), [PTR]), "PyFloat_FromDouble": (PTR, [ir.DoubleType()]),
        "PyLong_AsLongLong": (I64, [PTR]), "PyLong_FromLongLong": (PTR, [I64]),
        "PyTuple_New": (PTR, [I64]), "PyTuple_SetItem": (I32, [PTR, I64, PTR]),
        "PyErr_Occurred": (PTR, []), "PyErr_SetString": (ir.VoidType(), [PTR, PTR]),
        "PyBool_FromLong": (PTR, [I64]),
    }.items()}
    wrapper = ir.Function(mod, ir.FunctionType(PTR, [PTR, PTR, I64]), f"_ircc_py_{fn.name}")
    _, args, nargs = wrapper.args
    entry = wrapper.append_basic_block("entry")
    fail = wrapper.append_basic_block("fail")
    bad_count = wrapper.append_basic_block("bad_count")
    b = ir.IRBuilder(entry)
    inputs = op.function_type.inputs.data
    outputs = op.function_type.outputs.data
    n = len(inputs)
    msg = f"@{fn.name} takes {n} argument(s)"
    text = ir.GlobalVariable(mod, ir.ArrayType(ir.IntType(8), len(msg) + 1), f"_ircc_msg_{fn.name}")
    text.initializer = ir.Constant(ir.ArrayType(ir.IntType(8), len(msg) + 1), bytearray(msg.encode() + b"\0"))
    text.global_constant = True
    text.linkage = "internal"
    ok = b.append_basic_block("convert")
    b.cbranch(b.icmp_signed("!=", nargs, ir.Constant(I64, n)), bad_count, ok)
    b.position_at_end(bad_count)
    b.call(d["PyErr_SetString"], [ir.Constant(I64, type_error).inttoptr(PTR), text])
    b.ret(ir.Constant(PTR, None))
    b.position_at_end(ok)
    values: list[ir.Value] = []
    for i, t in enumerate(inputs):
        obj = b.load(b.gep(args, [ir.Constant(I64, i)], inbounds=True, source_etype=PTR), typ=PTR)
        if isinstance(t, (Float64Type, Float32Type, Float16Type)):
            v = b.call(d["PyFloat_AsDouble"], [obj])
            maybe_error = b.fcmp_ordered("==", v, ir.Constant(ir.DoubleType(), -1.0))
        else:
            v = b.call(d["PyLong_AsLongLong"], [obj])
            maybe_error = b.icmp_signed("==", v, ir.Constant(I64, -1))
        checked = b.append_basic_block(f"arg{i}.ok")
        check = b.append_basic_block(f"arg{i}.check")
        b.cbranch(maybe_error, check, checked)
        b.position_at_end(check)
        b.cbranch(b.icmp_unsigned("!=", b.call(d["PyErr_Occurred"], []), ir.Constant(PTR, None)), fail, checked)
        b.position_at_end(checked)
        target = scalar_type(t)
        if isinstance(t, (Float32Type, Float16Type)):
            v = b.fptrunc(v, target)
        elif isinstance(target, ir.IntType) and target.width < 64:
            v = b.trunc(v, target)
        values.append(v)
    result = b.call(fn, values)

    def box(v: ir.Value, t) -> ir.Value:
        if isinstance(t, (Float64Type, Float32Type, Float16Type)):
            if str(v.type) != "double":
                v = b.fpext(v, ir.DoubleType())
            return b.call(d["PyFloat_FromDouble"], [v])
        lt = scalar_type(t)
        if lt.width == 1:
            return b.call(d["PyBool_FromLong"], [b.zext(v, I64)])
        return b.call(d["PyLong_FromLongLong"], [v if lt.width == 64 else b.sext(v, I64)])

    if len(outputs) == 1:
        b.ret(box(result, outputs[0]))
    else:
        tup = b.call(d["PyTuple_New"], [ir.Constant(I64, len(outputs))])
        for j, t in enumerate(outputs):
            b.call(d["PyTuple_SetItem"], [tup, ir.Constant(I64, j), box(b.extract_value(result, j), t)])
        b.ret(tup)
    b.position_at_end(fail)
    b.ret(ir.Constant(PTR, None))
    return wrapper
