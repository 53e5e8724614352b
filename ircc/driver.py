"""``ircc.compile``: frontend -> passes -> backend (with the compile cache) -> ``Kernel``.

The whole flow, one stage per line:
  1. the frontend builds IR with locations (no passes);
  2. the optimization pipeline (the frontend's default, or ``pipeline=``) then the target's
     lowering passes run in one pass manager (verification, dumps, timing);
  3. the optimized IR, target and options form the cache key; a hit reloads machine code;
  4. otherwise the backend emits code; the Kernel wraps the entry with the frontend's call convention.
"""

from __future__ import annotations

import functools
import time
from pathlib import Path
from typing import Any

import numpy as np
from xdsl.dialects.builtin import ModuleOp

from ircc import env
from ircc.backends import get_backend, resolve_target
from ircc.backends.base import Signature, add_scalar_entries, public_functions
from ircc.cache import CompileCache, cache_key
from ircc.costmodel import with_cost
from ircc.errors import IrccError
from ircc.ir.text import parse_module, print_module
from ircc.kernel import Kernel
from ircc.options import Options
from ircc.passes.pipeline import Pipeline, parse_pipeline_spec, replay_stages


def _is_sympy(obj: Any) -> bool:
    try:
        import sympy
    except ImportError:  # pragma: no cover - sympy is a core dependency
        return False
    if isinstance(obj, (sympy.Basic, sympy.MatrixBase)):
        return True
    return isinstance(obj, (list, tuple)) and bool(obj) and all(
        isinstance(e, (sympy.Basic, sympy.MatrixBase, int, float)) for e in obj) and any(
        isinstance(e, sympy.Basic) for e in obj)


def compile(obj: Any, *, target: str = "cpu", args: Any = None, dtype: Any = np.float64,
            entry: str | None = None, name: str = "kernel", signature: Any = None, example_inputs: Any = None,
            **options: Any) -> Kernel:
    """Compile ``obj`` for ``target`` and return a ``Kernel``.

    Args:
        obj: sympy expression(s) (one, a list/tuple, or a Matrix), MLIR text, a path to a ``.mlir``
            file, an xDSL ``ModuleOp``, or a Python function (with ``signature=``; ``@ircc.jit`` is
            the form that picks types from the first call).
        target: ``cpu`` (llvm or numba, chosen now), ``llvm``, ``numba`` or ``interp``.
        args: for sympy, the symbols in the order the kernel takes them.
        dtype: for sympy, ``numpy.float64`` (default) or ``numpy.float32``.
        entry: for MLIR, the function ``kernel(...)`` calls (default: the only one).
        signature: for a Python function, the argument types: ``"(float64[:, :], int64)"``, a list of
            type strings / numpy dtypes / example values.
        example_inputs: for a ``torch.nn.Module`` (or a function of torch tensors), a tuple of example
            tensors: the model is exported with ``torch.export`` at their shapes; the kernel takes and
            returns torch tensors (``ircc.frontends.torch``).
        **options: the shared options (``threads``, ``fastmath``, ``pipeline``, ``cache``, ``verify``,
            ``dump_dir``, ``print_ir_after_all``, ... see ``ircc.options.Options``).

    Raises:
        IrccError: bad input or options, with what, where and what to do.
    """
    from ircc.frontends.sparse import SpGemmSpec

    if isinstance(obj, SpGemmSpec):
        from ircc.sparse import compile_spec

        return compile_spec(obj, target=target, **options)
    from ircc.graph.query import GraphQuery

    if isinstance(obj, GraphQuery):
        from ircc.graph.query import compile_query

        return compile_query(obj, target=target, **options)
    if example_inputs is not None or _is_torch_module(obj):
        from ircc.frontends.torch import compile_torch

        return compile_torch(obj, example_inputs, target=target, **options)
    if _is_python_function(obj):
        return _compile_python(obj, signature, target=target, **options)
    if signature is not None:
        raise IrccError("signature= applies to Python functions only")
    t_start = time.perf_counter()
    opts = Options.from_kwargs(target=target, **options)
    if opts.dump_dir is None and env.default_dump_dir():
        opts = opts.with_(dump_dir=env.default_dump_dir())
    stats: dict[str, Any] = {}

    t0 = time.perf_counter()
    if _is_sympy(obj):
        from ircc.frontends.sympy import DEFAULT_PIPELINE, build_module

        module, layout = build_module(obj, args, dtype=dtype, name=name)
        default_pipeline, frontend = DEFAULT_PIPELINE, "sympy"
        def rebuild() -> ModuleOp:  # the frontend is deterministic: the same input, the same IR
            return build_module(obj, args, dtype=dtype, name=name)[0]
    elif isinstance(obj, ModuleOp):
        pristine = obj.clone()  # the caller's module is never changed
        module, layout, default_pipeline, frontend = pristine.clone(), None, "", "mlir"
        rebuild = pristine.clone
    elif isinstance(obj, (str, Path)):
        text, filename = _mlir_text(obj)
        module, layout, default_pipeline, frontend = parse_module(text, filename), None, "", "mlir"
        rebuild = functools.partial(parse_module, text, filename)
    else:
        found = _plugin_frontend(obj, options)
        if found is None:
            raise IrccError(f"ircc.compile cannot compile a {type(obj).__name__}: expected sympy expression(s), "
                            f"MLIR text, a .mlir path, an xDSL ModuleOp, or a kind a frontend plugin takes")
        frontend, module, default_pipeline = found
        layout = None
        pristine = module.clone()
        rebuild = pristine.clone
    stats["frontend"] = frontend
    stats["frontend_s"] = time.perf_counter() - t0
    return _run(module, rebuild, default_pipeline, opts, stats, t_start, layout=layout, entry=entry)


def compile_module(module: ModuleOp, rebuild, default_pipeline: str, frontend: str, *, entry: str,
                   target: str = "cpu", wrap=None, frontend_s: float = 0.0, **options: Any) -> Kernel:
    """The shared back half for frontends that built ``module`` themselves (``rebuild`` makes it again):
    passes, backend, cache; ``wrap(entry_callable)`` gives the frontend's call convention."""
    t_start = time.perf_counter()
    opts = Options.from_kwargs(target=target, **options)
    if opts.dump_dir is None and env.default_dump_dir():
        opts = opts.with_(dump_dir=env.default_dump_dir())
    stats: dict[str, Any] = {"frontend": frontend, "frontend_s": frontend_s}
    return _run(module, rebuild, default_pipeline, opts, stats, t_start, layout=None, entry=entry, wrap=wrap)


def _run(module: ModuleOp, rebuild, default_pipeline: str, opts: Options, stats: dict[str, Any], t_start: float,
         *, layout: Any, entry: str | None, wrap=None) -> Kernel:
    resolved = resolve_target(opts.target)
    stats["target"] = resolved
    backend = get_backend(resolved)
    spec = default_pipeline if opts.pipeline is None else opts.pipeline
    # eqsat is part of the sympy frontend's default optimization; an explicit pipeline= replaces the default
    passes = with_eqsat(parse_pipeline_spec(spec), opts,
                        default_on=stats["frontend"] == "sympy" and opts.pipeline is None)
    passes += parse_pipeline_spec(backend.lowering)
    passes = with_cost(passes, opts.cost)
    stop = stop_index(opts.emit, passes)
    if stop is not None:
        passes = passes[:stop]
    t0 = time.perf_counter()
    pipeline = Pipeline(passes, opts)
    eager = pipeline.needs_text or stop is not None
    recorded, timings = pipeline.run(module, record=eager, rebuild_input=rebuild)
    final_text = recorded[-1][1] if recorded else print_module(module)
    stages = recorded if eager else (lambda: replay_stages(rebuild(), passes, opts.verify))
    stats["passes_s"] = time.perf_counter() - t0
    stats["pass_timings"] = {f"{i:02d}-{t.name}": t.seconds for i, t in enumerate(timings, 1)}
    stats["pipeline"] = ",".join(p.name for p in passes)
    if "eqsat" in pipeline.reports:
        stats["eqsat"] = pipeline.reports["eqsat"]
    if stop is not None:
        stats["emit"] = opts.emit
        return Kernel(stages=stages, artifact=None, call=None, compile_stats=stats, entry=entry, target=resolved)

    if opts.target == "cpu" and layout is not None and opts.cost == "learned":
        resolved = _learned_cpu_target(module, layout, stats) or resolved
        backend = get_backend(resolved)
        stats["target"] = resolved
    artifact = _emit_cached(backend, module, final_text, resolved, opts, stats)
    _dump_source(artifact, resolved, opts)
    stats["total_s"] = time.perf_counter() - t_start
    if layout is not None:
        from ircc.frontends.sympy_call import SympyCall

        call = SympyCall(layout, artifact.entries[layout.entry], artifact.entries[f"{layout.entry}:scalar"])
        entry_name = layout.entry
    else:
        entry_name = _pick_entry(module, entry)
        call = artifact.entries[entry_name]
        if wrap is not None:
            call = wrap(call)
    return Kernel(stages=stages, artifact=artifact, call=call, compile_stats=stats, entry=entry_name,
                  target=resolved)


def _learned_cpu_target(module: ModuleOp, layout: Any, stats: dict[str, Any]) -> str | None:
    """llvm or numba for a sympy kernel, as the shipped model ranks them (the ``backend`` family it was
    trained on is sympy kernels; other frontends keep llvm). Both backends lower the same IR, so the choice
    waits for it."""
    from ircc.costmodel import learned_cpu_target

    choice = learned_cpu_target(module, len(layout.arg_names), layout.nout)
    if choice is not None:
        stats["cpu_target"] = f"{choice} (learned cost model)"
    return choice


#: the file suffix of each backend's source in the dump directory
_SOURCE_SUFFIX = {"llvm": "ll", "numba": "py", "triton": "py"}


def _dump_source(artifact, target: str, opts: Options) -> None:
    """The backend's source (LLVM IR, generated Python, Triton kernels) beside the IR dumps:
    ``<dump_dir>/<target>.<suffix>``."""
    if opts.dump_dir is None or not artifact.source:
        return
    out = Path(opts.dump_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{target}.{_SOURCE_SUFFIX.get(target, 'txt')}").write_text(artifact.source)


def with_eqsat(passes: list, opts: Options, *, default_on: bool) -> list:
    """The optimization passes with the e-graph pass switched as ``eqsat=`` says (None: ``default_on``, true for
    sympy kernels on their default pipeline); it goes first, with the kernel's ``fastmath``, unless the
    pipeline names it already (then its own options hold); ``eqsat=False`` removes it."""
    from ircc.passes.eqsat import EqSat

    on = default_on if opts.eqsat is None else bool(opts.eqsat)
    named = any(isinstance(p, EqSat) for p in passes)
    if not on:
        return [p for p in passes if not isinstance(p, EqSat)] if opts.eqsat is False else passes
    if named:
        return passes
    return [EqSat(fastmath=opts.fastmath, cost=opts.cost), *passes]


def _is_torch_module(obj: Any) -> bool:
    import sys

    torch = sys.modules.get("torch")  # a torch module exists only if torch was imported
    return torch is not None and isinstance(obj, torch.nn.Module)


def _is_python_function(obj: Any) -> bool:
    import inspect

    from ircc.frontends.python import Dispatcher

    return inspect.isfunction(obj) or isinstance(obj, Dispatcher)


def _compile_python(obj: Any, signature: Any, *, target: str, **options: Any) -> Kernel:
    from ircc.frontends.python import Dispatcher, compile_function
    from ircc.frontends.python_types import parse_signature

    fn = obj.py_func if isinstance(obj, Dispatcher) else obj
    parallel = options.pop("parallel", obj.parallel if isinstance(obj, Dispatcher) else True)
    if signature is None:
        raise IrccError(f"ircc.compile({fn.__name__}) needs signature=, e.g. signature='(float64[:], int64)'; "
                        f"or decorate it with @ircc.jit to take the types from the first call")
    from ircc.frontends.python import _parse_cached

    types = parse_signature(signature, len(_parse_cached(fn).tree.args.args), fn.__name__)
    Options.from_kwargs(target=target, **options)
    return compile_function(fn, types, target=target, parallel=parallel, **options)


def _plugin_frontend(obj: Any, options: dict[str, Any]) -> tuple[str, ModuleOp, str] | None:
    from ircc.plugins import plugin_entries

    for name, load in plugin_entries("frontend").items():
        result = load()(obj, **options)
        if result is not None:
            module, pipeline = result
            return f"plugin:{name}", module, pipeline
    return None


def _mlir_text(obj: str | Path) -> tuple[str, str]:
    if isinstance(obj, Path) or (isinstance(obj, str) and obj.endswith(".mlir") and "\n" not in obj):
        path = Path(obj)
        try:
            return path.read_text(), str(path)
        except OSError as err:
            raise IrccError(f"cannot read {path}: {err.strerror}") from None
    return str(obj), "<string>"


def stop_index(emit: str | None, passes: list) -> int | None:
    """How many passes to run for ``emit=STAGE`` (None: all, then the backend)."""
    if emit is None or emit in ("llvm", "llvm-opt", "source", "py", "python"):
        return None
    if emit == "input":
        return 0
    names = [p.name for p in passes]
    if emit not in names:
        raise IrccError(f"--emit={emit}: no such stage; stages are: input, {', '.join(names)}"
                        f"{', ' if names else ''}and the backend's source (llvm, llvm-opt, py)")
    return len(names) - names[::-1].index(emit)


def _pick_entry(module: ModuleOp, entry: str | None) -> str:
    names = [f.sym_name.data for f in public_functions(module)
             if f.sym_visibility is None or f.sym_visibility.data != "private"]
    if entry is not None:
        if entry not in names:
            raise IrccError(f"no function @{entry} in the module; functions are: {', '.join(names) or 'none'}")
        return entry
    if len(names) == 1:
        return names[0]
    raise IrccError(f"the module has {len(names)} functions ({', '.join(names)}); pick one with entry= "
                    f"(--entry on the command line)")


def _emit_cached(backend, module: ModuleOp, ir_text: str, target: str, opts: Options, stats: dict[str, Any]):
    use_cache = opts.cache and backend.cacheable and not env.cache_disabled()
    t0 = time.perf_counter()
    if not use_cache:
        stats["cache"] = "off"
        artifact = backend.emit(module, opts)
    else:
        from ircc.backends.llvm.codegen import host_fingerprint

        cache = CompileCache()
        key = cache_key(ir_text, target, opts.codegen_key(), host_fingerprint())
        stats["cache_key"] = key
        payload = cache.load(key)
        artifact = None
        if payload is not None:
            signatures = {op.sym_name.data: Signature.of(op) for op in public_functions(module)}
            try:
                artifact = backend.load(payload, signatures, opts)
                stats["cache"] = "hit"
            except Exception:
                cache.discard(key)
                artifact = None
        if artifact is None:
            stats["cache"] = "miss"
            artifact = backend.emit(module, opts)
            cache.store(key, artifact.payload)
    add_scalar_entries(artifact, module)
    stats["backend_s"] = time.perf_counter() - t0
    stats.update({k: v for k, v in artifact.stats.pop("compile", {}).items()})
    return artifact


__all__ = ["compile", "stop_index"]
