"""The Python frontend: ``@ircc.jit`` and ``ircc.compile(fn, signature=...)`` for numeric Python functions.

A function's source is parsed with ``ast`` and compiled once per argument-type signature (taken from
the first call's arguments, like numba's dispatcher) into ``func`` / ``scf`` / ``memref`` / ``arith`` /
``math`` IR with ``file:line:col`` locations; the usual pipeline and any backend follow. Calls to other
``@ircc.jit`` functions become ``func.call``s to their specializations in the same module. Loops over
``ircc.prange`` become ``scf.parallel`` (with ``scf.reduce`` for reductions) when ``parallel=True``.

What compiled code supports, and the types, are described in ``python_types``, ``python_exprs``,
``python_stmts`` and ``python_builtins``; anything else stops compilation with the source line and a
caret -- never a silent fallback to Python.
"""

from __future__ import annotations

import ast
import functools
import inspect
import textwrap
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, UnitAttr

from ircc.errors import IrccError
from ircc.frontends.python_types import Array, PyType, Scalar, Tuple, parse_signature, type_of_value
from ircc.frontends.python_values import Restart, Source

#: the optimization passes run on Python functions (``pipeline=`` replaces them)
DEFAULT_PIPELINE = "canonicalize,cse,expand-powi"
#: a module attribute asking printers to keep ``loc(...)`` (the Python source positions)
DEBUGINFO_ATTR = "ircc.debuginfo"


def prange(*args: int) -> range:
    """``range`` that a compiled function runs in parallel (``scf.parallel``) with ``parallel=True``.

    In plain Python (and with ``parallel=False``) it is ``range``. A prange loop's iterations must be
    independent; variables changed in it must be reductions (``s += ...``, ``m = max(m, ...)``).
    """
    return range(*args)


def is_prange(obj: Any) -> bool:
    if obj is prange:
        return True
    return getattr(obj, "__name__", None) == "prange" and (getattr(obj, "__module__", "") or "").startswith("numba")


@dataclass
class ParsedFunction:
    tree: ast.FunctionDef
    source: Source
    globals: dict[str, Any]


@functools.lru_cache(maxsize=256)
def _parse_cached(fn: Any) -> ParsedFunction:
    try:
        lines, first = inspect.getsourcelines(fn)
        filename = inspect.getsourcefile(fn) or inspect.getfile(fn)
    except (OSError, TypeError) as err:
        raise IrccError(f"cannot read the source of {getattr(fn, '__qualname__', fn)!r} ({err}); compiled "
                        f"functions must be defined in a file (not typed at the interactive prompt or made "
                        f"by exec)") from None
    text = "".join(lines)
    dedented = textwrap.dedent(text)
    indent = len(lines[0]) - len(lines[0].lstrip()) if lines else 0
    try:
        module = ast.parse(dedented)
    except SyntaxError as err:
        raise IrccError(f"cannot parse the source of {fn.__qualname__}: {err}") from None
    tree = module.body[0] if module.body else None
    if not isinstance(tree, ast.FunctionDef):
        raise IrccError(f"{getattr(fn, '__qualname__', fn)!r}: ircc compiles functions defined with def "
                        f"(not lambdas)")
    source = Source(filename, first, indent, [line.rstrip("\n") for line in lines])
    env = dict(fn.__globals__)
    if fn.__closure__:
        for name, cell in zip(fn.__code__.co_freevars, fn.__closure__):
            try:
                env[name] = cell.cell_contents
            except ValueError:
                pass
    return ParsedFunction(tree, source, env)


@dataclass
class Specialization:
    name: str
    result: Any  # python_stmts.Result


class ModuleBuilder:
    """Collects one ``func.func`` per (function, argument types), callees included."""

    def __init__(self, *, parallel: bool, fastmath: bool):
        self.parallel, self.fastmath = parallel, fastmath
        self.functions: list[func.FuncOp] = []
        self.done: dict[tuple[Any, tuple[PyType, ...]], Specialization] = {}
        self.building: list[tuple[Any, tuple[PyType, ...]]] = []
        self.names: set[str] = set()

    def _unique(self, stem: str) -> str:
        name, k = stem, 1
        while name in self.names:
            k += 1
            name = f"{stem}_{k}"
        self.names.add(name)
        return name

    def build(self, fn: Any, types: tuple[PyType, ...], *, error_at=None) -> Specialization:
        key = (fn, types)
        if key in self.done:
            return self.done[key]
        if key in self.building:
            msg = f"{fn.__name__} calls itself (directly or through other functions); recursion is not supported"
            raise error_at(msg) if error_at else IrccError(msg)
        parsed = _parse_cached(fn)
        nparams = len(parsed.tree.args.args)
        if len(types) != nparams:
            msg = f"{fn.__name__} takes {nparams} argument(s), got {len(types)}"
            raise error_at(msg) if error_at else IrccError(msg)
        from ircc.frontends.python_stmts import FunctionEmitter

        self.building.append(key)
        name = self._unique(fn.__name__)
        hints: dict[str, PyType] = {}
        try:
            for _ in range(100):
                emitter = FunctionEmitter(self, parsed.tree, parsed.source, parsed.globals, types, name, hints,
                                          parallel=self.parallel, fastmath=self.fastmath)
                try:
                    op = emitter.build()
                    break
                except Restart as r:
                    from ircc.frontends.python_types import unify

                    hints[r.name] = unify(hints.get(r.name), r.type)
            else:  # pragma: no cover - the type lattice is finite
                raise IrccError(f"type inference for {fn.__name__} did not settle")
        finally:
            self.building.pop()
        self.functions.append(op)
        spec = Specialization(name, emitter.result)
        self.done[key] = spec
        return spec

    def function_for(self, dispatcher: Dispatcher, types: tuple[PyType, ...], node: ast.AST,
                     source: Source) -> Specialization:
        return self.build(dispatcher.py_func, types, error_at=lambda msg: source.error(node, msg))


def build_module(fn: Any, types: tuple[PyType, ...], *, parallel: bool = True,
                 fastmath: bool = False) -> tuple[ModuleOp, str, Any]:
    """The IR of ``fn`` specialized for ``types``: (module, entry name, result description)."""
    builder = ModuleBuilder(parallel=parallel, fastmath=fastmath)
    spec = builder.build(fn, types)
    entry = next(op for op in builder.functions if op.sym_name.data == spec.name)
    ordered = [entry] + [op for op in builder.functions if op is not entry]
    module = ModuleOp(ordered)
    module.attributes[DEBUGINFO_ATTR] = UnitAttr()
    return module, spec.name, spec.result


def flatten_args(args: tuple[Any, ...], types: tuple[PyType, ...]) -> tuple[Any, ...]:
    out: list[Any] = []
    for a, t in zip(args, types):
        if isinstance(t, Tuple):
            out += flatten_args(tuple(a), t.items)
        else:
            out.append(a)
    return tuple(out)


def _needs_flatten(types: tuple[PyType, ...]) -> bool:
    return any(isinstance(t, Tuple) for t in types)


def unflatten_result(value: Any, t: PyType | None) -> Any:
    if not isinstance(t, Tuple):
        return value
    flat = list(value) if isinstance(value, tuple) else [value]
    it = iter(flat)

    def build(t: PyType) -> Any:
        if isinstance(t, Tuple):
            return tuple(build(i) for i in t.items)
        return next(it)

    return build(t)


def _count_leaves(t: PyType) -> int:
    return sum(_count_leaves(i) for i in t.items) if isinstance(t, Tuple) else 1


def _python_scalars(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple):
        return tuple(_python_scalars(v) for v in value)
    return value


class PythonCall:
    """A compiled specialization's call convention: tuples in and out are flattened for the kernel;
    numbers come back as Python numbers (as from the function itself)."""

    def __init__(self, entry: Any, types: tuple[PyType, ...], result: PyType | None):
        self.entry, self.types, self.result = entry, types, result
        self.flatten = _needs_flatten(types)
        self.unflatten = isinstance(result, Tuple) and (
            any(isinstance(i, Tuple) for i in result.items) or _count_leaves(result) == 1)
        self.box = True  # the llvm backend returns Python numbers already (compile_function clears it)

    @property
    def direct(self) -> bool:
        """Whether calling ``entry`` itself is the same as calling this."""
        return not (self.flatten or self.unflatten or self.box)

    def __call__(self, *args: Any) -> Any:
        if self.flatten:
            args = flatten_args(args, self.types)
        out = self.entry(*args)
        if self.box:
            out = _python_scalars(out)
        return unflatten_result(out, self.result) if self.unflatten else out


def compile_function(fn: Any, types: tuple[PyType, ...], *, target: str = "cpu", parallel: bool = True,
                     **options: Any):
    """Compile the specialization of ``fn`` for ``types``; a ``Kernel`` taking the original arguments."""
    from ircc.driver import compile_module

    fastmath = bool(options.get("fastmath", False))
    t0 = time.perf_counter()
    module, entry, result = build_module(fn, types, parallel=parallel, fastmath=fastmath)
    built = time.perf_counter() - t0

    def rebuild() -> ModuleOp:
        return build_module(fn, types, parallel=parallel, fastmath=fastmath)[0]

    calls: list[PythonCall] = []

    def wrap(entry_call: Any) -> PythonCall:
        calls.append(PythonCall(entry_call, types, result.type))
        return calls[-1]

    kernel = compile_module(module, rebuild, DEFAULT_PIPELINE, "python", entry=entry, target=target, wrap=wrap,
                            frontend_s=built, **options)
    if calls and kernel.target == "llvm":
        calls[0].box = False
    kernel.signature = types
    kernel.fast_call = (calls[0].entry if calls[0].direct else calls[0]) if calls else kernel
    return kernel


def _key(args: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple((a.dtype, a.ndim, a.flags.c_contiguous) if isinstance(a, np.ndarray) else
                 (type(a), _key(a)) if isinstance(a, tuple) else type(a) for a in args)


class Dispatcher:
    """What ``@ircc.jit`` returns: calls compile one specialization per argument types, then run it.

    Attributes:
        py_func: the original Python function (call it to run plain Python).
        kernels: ``{argument types: Kernel}`` compiled so far; each Kernel has ``stages``, ``mlir()``,
            ``source`` and ``compile_stats``.
    """

    def __init__(self, fn: Any, options: dict[str, Any]):
        if not inspect.isfunction(fn):
            raise IrccError(f"@ircc.jit decorates a Python function, not a {type(fn).__name__}")
        from ircc.options import Options

        opts = dict(options)
        self.parallel = bool(opts.pop("parallel", True))
        Options.from_kwargs(**opts)  # reject unknown options now, at decoration
        self.options = opts
        self.py_func = fn
        self.kernels: dict[tuple[PyType, ...], Any] = {}
        self._by_key: dict[tuple[Any, ...], Any] = {}
        functools.update_wrapper(self, fn)

    def __call__(self, *args: Any) -> Any:
        call = self._by_key.get(_key(args))
        if call is None:
            call = self._specialize(args)
        return call(*args)

    def _specialize(self, args: tuple[Any, ...]):
        nparams = len(_parse_cached(self.py_func).tree.args.args)
        if len(args) != nparams:
            raise IrccError(f"{self.py_func.__name__}() takes {nparams} argument(s), got {len(args)}")
        types = tuple(type_of_value(a, f"{self.py_func.__name__}() argument {i}") for i, a in enumerate(args))
        kernel = self.compile(types)
        self._by_key[_key(args)] = kernel.fast_call
        return kernel.fast_call

    def compile(self, signature: Any):
        """Compile for ``signature`` (types, a string like ``'(float64[:], int64)'``, or example values)."""
        if isinstance(signature, tuple) and all(isinstance(t, (Scalar, Array, Tuple)) for t in signature):
            types = signature
        else:
            types = parse_signature(signature, len(_parse_cached(self.py_func).tree.args.args),
                                    self.py_func.__name__)
        if types not in self.kernels:
            self.kernels[types] = compile_function(self.py_func, types, parallel=self.parallel, **self.options)
        return self.kernels[types]

    def kernel(self, *args: Any):
        """The Kernel that a call with ``args`` runs (compiling it if needed), without running it."""
        nparams = len(_parse_cached(self.py_func).tree.args.args)
        if len(args) != nparams:
            raise IrccError(f"{self.py_func.__name__}() takes {nparams} argument(s), got {len(args)}")
        types = tuple(type_of_value(a, f"{self.py_func.__name__}() argument {i}") for i, a in enumerate(args))
        return self.compile(types)

    def __repr__(self) -> str:
        return f"<ircc.jit {self.py_func.__qualname__}, {len(self.kernels)} specialization(s)>"


def jit(fn: Any = None, **options: Any):
    """Compile a numeric Python function on first call, once per argument types (see ``Dispatcher``).

    Use as ``@ircc.jit`` or ``@ircc.jit(target="llvm", fastmath=True, parallel=True, threads=2)``; the
    options are those of ``ircc.compile`` plus ``parallel`` (``ircc.prange`` loops run in parallel;
    default True).
    """
    if fn is None:
        return lambda f: Dispatcher(f, options)
    return Dispatcher(fn, options)
