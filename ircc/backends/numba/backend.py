"""The numba backend: loop-level IR rendered as Python (``render``) and compiled by ``numba.njit``.

Stages: ``render_module`` writes one Python module with one function per ``func.func``; ``load``
executes it, wraps every function in ``numba.njit`` (``parallel=True`` where it has a
``numba.prange``) and compiles it eagerly for the argument types of its signature, callees first;
each entry point then checks and converts its arguments (``Signature.check_args``) and calls the
compiled function. The cache payload is the source text (and the bytes of the constant
``memref.global`` arrays it reads), so ``load`` rebuilds a kernel without IR.
"""

from __future__ import annotations

import hashlib
import linecache
import operator
from collections.abc import Callable
from typing import Any

import numpy as np
from xdsl.dialects.builtin import ModuleOp

from ircc.backends.base import Artifact, Backend, Signature, ValueSpec, public_functions, scalar_entry_outputs
from ircc.backends.numba.render import render_module
from ircc.errors import ArgumentError, BackendError

TARGET = "numba"


def _numba_type(spec: ValueSpec) -> Any:
    """The numba type an argument of ``spec`` has after conversion (C-contiguous arrays, or any strides for
    a strided memref)."""
    import numba

    scalar = numba.from_dtype(spec.dtype)
    return numba.types.Array(scalar, spec.rank, "C" if spec.contiguous else "A") if spec.is_memref else scalar


def _argument_converter(spec: ValueSpec, position: int, fn: str) -> Callable[[Any], Any] | None:
    """A function converting a scalar argument to the IR type (None for a memref: passed as it is)."""
    if spec.is_memref:
        return None
    kind = spec.dtype.kind
    scalar = spec.dtype.type

    def convert(value: Any) -> Any:
        try:
            if kind == "b":
                return bool(operator.index(value))
            if kind == "i":
                number = operator.index(value)
                return int(number) if spec.dtype == np.int64 else scalar(number)
            return float(value) if spec.dtype == np.float64 else scalar(value)
        except (TypeError, ValueError, OverflowError) as err:
            raise ArgumentError(f"@{fn} argument {position}: expected a {spec.describe()} scalar, "
                                f"got {value!r} ({err})") from None

    return convert


def _result_converter(spec: ValueSpec) -> Callable[[Any], Any]:
    """Results as the IR types: Python float/int/bool for f64/index/i64/i1, numpy scalars otherwise."""
    if spec.is_memref:
        return _owned_array
    if spec.dtype in (np.float64, np.int64, np.bool_):
        python = {np.dtype(np.float64): float, np.dtype(np.int64): int, np.dtype(np.bool_): bool}[spec.dtype]
        return python
    return spec.dtype.type


def _owned_array(value: np.ndarray) -> np.ndarray:
    """A returned array with memory of its own, as the calling convention promises: a constant global's data
    (numba froze it into the code: read-only, owned by no array) is copied out."""
    if not value.flags.writeable and not value.flags.owndata and value.base is None:
        return value.copy()
    return value


class NumbaEntry:
    """One compiled ``func.func``: checks and converts the arguments, then calls the njit function."""

    def __init__(self, signature: Signature, dispatcher: Any, threads: int | None):
        self.signature = signature
        self.dispatcher = dispatcher
        self.threads = threads  # numba.set_num_threads before each call when the function is parallel
        self._arguments = [_argument_converter(spec, i, signature.name)
                           for i, spec in enumerate(signature.args)]
        self._results = [_result_converter(spec) for spec in signature.results]
        self.__name__ = signature.name

    def __call__(self, *args: Any) -> Any:
        self.signature.check_args(args)
        converted = tuple(a if convert is None else convert(a) for a, convert in zip(args, self._arguments))
        if self.threads is not None:
            import numba

            numba.set_num_threads(self.threads)
        out = self.dispatcher(*converted)
        if not self._results:
            return None
        if len(self._results) == 1:
            return self._results[0](out)
        return tuple(convert(v) for convert, v in zip(self._results, out, strict=True))

    def __repr__(self) -> str:
        return f"<numba kernel @{self.signature.name}>"


class NumbaBackend(Backend):
    """Generated Python compiled by ``numba.njit`` (``numba.prange`` for ``scf.parallel``)."""

    name = TARGET
    description = "generated Python compiled by numba.njit (parallel=True for scf.parallel)"
    lowering = ""
    cacheable = True

    def emit(self, module: ModuleOp, options: Any) -> Artifact:
        """Render ``module`` and compile every function in it.

        Raises:
            BackendError: an op outside func/scf/memref/arith/math, a type numba cannot hold, or a
                function numba fails to compile.
        """
        rendered = render_module(module)
        payload = {
            "source": rendered.source,
            "parallel": rendered.parallel,
            "fastmath": bool(options.fastmath),
            # callees first; "parallel": compile with parallel=True; "threads": set the thread count
            # before a call (it or a callee has a prange); "entry": False for a serial copy
            "functions": [{"symbol": f.symbol, "name": f.py_name, "parallel": f.parallel,
                           "threads": f.runs_parallel, "entry": f.entry} for f in rendered.functions],
            "helpers": list(rendered.helpers),
            # constant memref.globals: module-level names the source reads, with their bytes
            "globals": [{"name": g.py_name, "dtype": g.array.dtype.str, "shape": list(g.array.shape),
                         "data": g.array.tobytes()} for g in rendered.globals],
            # functions marked ircc.scalar_entry (one output memref): they get a one-point njit wrapper
            "scalar_entries": [op.sym_name.data for op in public_functions(module)
                               if scalar_entry_outputs(op) == 1],
        }
        signatures = {op.sym_name.data: Signature.of(op) for op in public_functions(module)}
        return self.load(payload, signatures, options)

    def load(self, payload: dict[str, Any], signatures: dict[str, Signature], options: Any) -> Artifact:
        """Compile the source in ``payload`` (from ``emit``, possibly read back from the cache)."""
        import numba

        source: str = payload["source"]
        fastmath = bool(payload["fastmath"])
        namespace = _execute(source)
        for g in payload.get("globals", []):  # before njit: numba freezes a global array when it compiles
            namespace[g["name"]] = np.frombuffer(g["data"], dtype=np.dtype(g["dtype"])).reshape(g["shape"])
        common = {"cache": False, "fastmath": fastmath, "error_model": "numpy", "nogil": True}
        for helper in payload["helpers"]:
            namespace[helper] = numba.njit(**common)(namespace[helper])
        threads = min(int(options.threads), numba.config.NUMBA_NUM_THREADS)
        functions = payload["functions"]
        for f in functions:  # every name a dispatcher first: compiling a caller compiles what it calls
            namespace[f["name"]] = numba.njit(parallel=bool(f["parallel"]), **common)(namespace[f["name"]])
        entries: dict[str, Callable[..., Any]] = {}
        for f in functions:
            symbol, dispatcher = f["symbol"], namespace[f["name"]]
            signature = signatures.get(symbol)
            if not f["entry"] or signature is None:
                continue
            try:
                dispatcher.compile(tuple(_numba_type(spec) for spec in signature.args))
            except numba.core.errors.NumbaError as err:
                raise BackendError(f"numba could not compile @{symbol} (an ircc bug or IR that numba cannot "
                                   f"type):\n{str(err).strip()}") from err
            entries[symbol] = NumbaEntry(signature, dispatcher, threads if f["threads"] else None)
        for symbol in payload.get("scalar_entries", []):
            if symbol in entries:
                entries[f"{symbol}:scalar"] = _ScalarEntry(signatures[symbol], entries[symbol].dispatcher, common)
        return Artifact(target=TARGET, entries=entries, signatures=dict(signatures), source=source,
                        payload=payload)


class _ScalarEntry:
    """``<name>:scalar(*numbers, out)`` for an ``ircc.scalar_entry`` function: an njit wrapper that puts
    each number in a one-element array and calls the kernel on them (compiled on first use)."""

    def __init__(self, signature: Signature, kernel: Any, options: dict[str, Any]):
        import numba

        inputs = signature.args[:-1]
        out_shape = tuple(1 if d is None else d for d in signature.args[-1].shape)
        names = [f"a{i}" for i in range(len(inputs))]
        lines = [f"def point({', '.join(names + ['out'])}):"]
        for i, spec in enumerate(inputs):
            lines.append(f"    b{i} = np.empty(1, dtype=np.{spec.dtype.name})")
            lines.append(f"    b{i}[0] = a{i}")
        call_args = ", ".join([f"b{i}" for i in range(len(inputs))] + [f"out.reshape({out_shape!r})"])
        lines.append(f"    kernel({call_args})")
        namespace: dict[str, Any] = {"np": np, "kernel": kernel}
        exec("\n".join(lines) + "\n", namespace)  # noqa: S102 - generated glue
        self._point = numba.njit(**options)(namespace["point"])
        self._nargs = len(signature.args)
        self._ninputs = len(inputs)
        self.__name__ = f"{signature.name}:scalar"

    def __call__(self, *args: Any) -> Any:
        if len(args) != self._nargs:
            raise ArgumentError(f"@{self.__name__} takes {self._nargs} argument(s), got {len(args)}")
        for a in args[:self._ninputs]:
            if type(a) is not float and type(a) is not int:
                return NotImplemented  # the caller takes its array path
        self._point(*args)
        return None


def _execute(source: str) -> dict[str, Any]:
    """Run the generated module; its lines are registered with ``linecache`` so numba's errors and
    tracebacks can quote them."""
    digest = hashlib.sha256(source.encode()).hexdigest()[:16]
    filename = f"<ircc-numba-{digest}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    namespace: dict[str, Any] = {}  # no __name__: numba resolves a self-recursive call through it
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - our own generated code
    return namespace
