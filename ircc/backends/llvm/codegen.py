"""From an xDSL module to optimized LLVM IR and machine code (llvmlite)."""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import lru_cache

import llvmlite.binding as llvm
from llvmlite import ir
from xdsl.dialects.builtin import ModuleOp

from ircc.backends.base import public_functions, scalar_entry_outputs
from ircc.backends.llvm import vecmath
from ircc.backends.llvm.threads import symbol_address as gomp_symbol
from ircc.backends.llvm.threads import thread_runtime
from ircc.backends.llvm.lower import FunctionLowerer, ModuleLowering, declare_function
from ircc.backends.llvm.wrappers import (
    emit_array_fastcall,
    emit_packed,
    emit_python_fastcall,
    emit_scalar_entry_fastcall,
    is_scalar_function,
    takes_arrays,
)


@lru_cache(maxsize=1)
def _init_llvm() -> None:
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()


def new_target_machine() -> llvm.TargetMachine:
    """The host machine, with its CPU name and features so LLVM uses every vector unit it has."""
    _init_llvm()
    target = llvm.Target.from_default_triple()
    return target.create_target_machine(cpu=llvm.get_host_cpu_name(), features=llvm.get_host_cpu_features().flatten(),
                                        opt=3, reloc="pic", codemodel="default")


@lru_cache(maxsize=1)
def target_machine() -> llvm.TargetMachine:
    """One shared target machine for optimizing and emitting objects. Never hand it to MCJIT: an
    engine takes ownership of its target machine and deletes it when the engine goes."""
    return new_target_machine()


def host_fingerprint() -> str:
    """The machine, and what parallel loops run on here (machine code for one does not load on the other)."""
    return f"{_host()}:{thread_runtime()}"


@lru_cache(maxsize=1)
def _host() -> str:
    _init_llvm()
    return f"{llvm.get_process_triple()}:{llvm.get_host_cpu_name()}:{llvm.get_host_cpu_features().flatten()}"


def lower_module(module: ModuleOp, *, threads: int, fastmath: bool, python_wrappers: bool,
                 threads_runtime: str | None = None) -> tuple[ir.Module, list[str]]:
    """The LLVM IR module for ``module``; returns it and the names with a Python fastcall wrapper.
    ``threads_runtime``: what parallel loops run on (default: ``threads.thread_runtime()`` for this process)."""
    _init_llvm()
    llmod = ir.Module(name="ircc")
    tm = target_machine()
    llmod.triple = llvm.get_process_triple()
    llmod.data_layout = str(tm.target_data)
    ml = ModuleLowering(module, llmod, fastmath=fastmath, threads=threads,
                        thread_runtime=threads_runtime or thread_runtime())
    funcs = public_functions(module)
    declared = {op.sym_name.data: declare_function(ml, op) for op in funcs}
    for op in funcs:
        FunctionLowerer(ml, declared[op.sym_name.data]).lower_function(op)
    for name in ml.always_inline:
        declared[name].attributes.add("alwaysinline")
    vecmath.finish(ml)
    fastcall = []
    for op in funcs:
        fn = declared[op.sym_name.data]
        emit_packed(ml, op, fn)
        if not python_wrappers:
            continue
        # CPython fastcall wrappers (they read object headers: only where the layout was checked)
        if not exact_type_check_supported():
            continue
        if scalar_entry_outputs(op) == 1:  # (several outputs: the generic fallback in base.py)
            emit_scalar_entry_fastcall(ml, op, fn, 1)
            fastcall.append(op.sym_name.data + ":scalar")
        if is_scalar_function(op):
            emit_python_fastcall(ml, op, fn)
            fastcall.append(op.sym_name.data)
        elif takes_arrays(op):
            emit_array_fastcall(ml, op, fn)
            fastcall.append(op.sym_name.data)
    return llmod, fastcall


def optimize(llmod_text: str, *, loop_vectorize: bool = True, loop_unroll: bool = True) -> llvm.ModuleRef:
    """Parse and optimize at O3 (the SLP vectorizer always; the loop vectorizer and the unrollers, full
    unrolling of constant-trip loops included, when asked)."""
    ref = llvm.parse_assembly(llmod_text)
    ref.verify()
    tm = target_machine()
    pto = llvm.create_pipeline_tuning_options(speed_level=3)
    pto.loop_vectorization = loop_vectorize
    pto.slp_vectorization = True
    pto.loop_unrolling = loop_unroll
    pb = llvm.create_pass_builder(tm, pto)
    pb.getModulePassManager().run(ref, pb)
    return ref


_LIBS: list[ctypes.CDLL] = []


def _libraries() -> list[ctypes.CDLL]:
    if not _LIBS:
        _LIBS.append(ctypes.CDLL(None))
        for name in ("m", "mvec", "pthread", "c"):
            path = ctypes.util.find_library(name)
            if path:
                try:
                    _LIBS.append(ctypes.CDLL(path))
                except OSError:
                    pass
    return _LIBS


@lru_cache(maxsize=1)
def exact_type_check_supported() -> bool:
    """Whether objects start with ``ob_refcnt, ob_type`` (CPython with the GIL), as the wrappers assume."""
    from ircc.backends.llvm.wrappers import OB_TYPE_OFFSET

    return all(ctypes.c_void_p.from_address(id(v) + OB_TYPE_OFFSET).value == id(type(v)) for v in (1.5, 7, None))


_OBJECTS = {"_Py_NoneStruct": None, "_Py_NotImplementedStruct": NotImplemented, "PyFloat_Type": float,
            "PyLong_Type": int}


def _data_symbol(name: str) -> int | None:
    """Addresses of the interpreter's data symbols the Python wrappers use (they move with ASLR)."""
    if name in _OBJECTS:
        return id(_OBJECTS[name])
    if name.startswith("ircc_rt_"):
        from ircc.backends.runtime import symbol_address

        return symbol_address(name)
    if name.startswith("PyExc_"):
        return ctypes.addressof(ctypes.c_void_p.in_dll(ctypes.pythonapi, name))
    return gomp_symbol(name)


def resolve_symbols(names: list[str]) -> None:
    """Tell the JIT where libc, libm, pthread and the Python C API live in this process."""
    for name in names:
        addr = _data_symbol(name)
        if addr is None:
            for lib in _libraries():
                try:
                    addr = ctypes.cast(getattr(lib, name), ctypes.c_void_p).value
                    break
                except AttributeError:
                    continue
        if addr:
            llvm.add_symbol(name, addr)


class JitModule:
    """Machine code loaded into this process; keeps the engine alive as long as its functions."""

    def __init__(self, engine: llvm.ExecutionEngine):
        self.engine = engine

    @classmethod
    def from_object(cls, obj: bytes, externals: list[str]) -> JitModule:
        _init_llvm()
        stub = llvm.parse_assembly("")
        resolve_symbols(externals)
        engine = llvm.create_mcjit_compiler(stub, new_target_machine())
        engine.add_object_file(llvm.ObjectFileRef.from_data(obj))
        engine.finalize_object()
        return cls(engine)

    def address(self, name: str) -> int:
        addr = self.engine.get_function_address(name)
        assert addr, f"symbol {name} missing from the JIT module"
        return addr


def external_names(ref: llvm.ModuleRef) -> list[str]:
    """Functions and data the module takes from the process (libc, libm, pthread, Python)."""
    names = {fn.name for fn in ref.functions if fn.is_declaration and not fn.name.startswith("llvm.")}
    names |= {g.name for g in ref.global_variables if g.is_declaration}
    return sorted(names)
