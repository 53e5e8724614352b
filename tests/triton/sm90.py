"""Compile the kernels a kernel launched in Triton's interpreter for an H100/H200 (``sm_90``), down to machine
code with the ``ptxas`` the triton wheel carries -- no GPU needed. The interpreter runs Python and forgives
what the compiler does not (a loop-carried value changing type, a call to a non-jit function); this catches
that on a machine without a GPU.

``launches(run)`` records every kernel launch ``run()`` makes in the interpreter (the kernel's name, its
arguments, its constexprs); ``compile_sm90(kernel, launches)`` re-renders the kernel's final IR as a GPU would
get it (``libdevice`` helpers instead of the interpreter's compositions), defines it with the interpreter
off, and compiles each launched kernel with those arguments' types.
"""

from __future__ import annotations

import inspect
import os
from contextlib import contextmanager
from typing import Any

import torch

_POINTERS = {torch.float32: "*fp32", torch.float64: "*fp64", torch.float16: "*fp16", torch.int32: "*i32",
             torch.int64: "*i64", torch.bool: "*i1", torch.int8: "*i8", torch.int16: "*i16"}


@contextmanager
def recorded():
    """Yields the list of ``(kernel name, args, kwargs)`` launches made inside the block (interpreter only)."""
    from triton.runtime.interpreter import InterpretedFunction

    seen: list[tuple[str, tuple, dict]] = []
    original = InterpretedFunction.run

    def run(self, *args, grid, warmup, **kwargs):
        seen.append((self.fn.__name__, args, dict(kwargs)))
        return original(self, *args, grid=grid, warmup=warmup, **kwargs)

    InterpretedFunction.run = run
    try:
        yield seen
    finally:
        InterpretedFunction.run = original


def _signature(fn, args: tuple, kwargs: dict) -> tuple[dict[str, str], dict[str, Any]]:
    params = list(inspect.signature(fn).parameters.values())
    values = dict(zip([p.name for p in params], args))
    values.update({k: v for k, v in kwargs.items() if k not in ("num_warps", "num_stages")})
    signature, constexprs = {}, {}
    for p in params:
        v = values[p.name]
        if "constexpr" in str(p.annotation):
            signature[p.name] = "constexpr"
            constexprs[p.name] = v
        elif isinstance(v, torch.Tensor):
            signature[p.name] = _POINTERS[v.dtype]
        elif isinstance(v, bool):
            signature[p.name] = "i1"
        elif isinstance(v, int):
            signature[p.name] = "i32" if -2**31 <= v < 2**31 else "i64"
        elif isinstance(v, float):
            signature[p.name] = "fp32"
        else:
            raise TypeError(f"{fn.__name__}: argument {p.name} of type {type(v).__name__}")
    return signature, constexprs


def compile_sm90(kernel, launches, overrides: dict[str, dict] | None = None) -> dict[str, int]:
    """Compile each launched kernel for sm_90; ``overrides``: per kernel name, constexprs and options to use
    instead of the interpreter's (a GPU's tile sizes). Returns the size of each cubin."""
    import triton
    from triton.backends.compiler import GPUTarget
    from triton.compiler import ASTSource

    from ircc.backends.triton.render import render_module
    from ircc.ir.text import parse_module

    module = parse_module(kernel.mlir(-1))
    source = render_module(module, interpreted=False).source
    saved = os.environ.get("TRITON_INTERPRET")
    os.environ["TRITON_INTERPRET"] = "0"
    try:
        namespace: dict[str, Any] = {"__name__": "ircc_sm90"}
        import linecache

        filename = f"<ircc-sm90-{abs(hash(source))}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
        exec(compile(source, filename, "exec"), namespace)  # noqa: S102
        sizes = {}
        for name, args, kwargs in launches:
            jit = namespace[name]
            extra = dict((overrides or {}).get(name, {}))
            options = {k: extra.pop(k) for k in ("num_warps", "num_stages") if k in extra}
            signature, constexprs = _signature(jit.fn, args, {**kwargs, **extra})
            options.setdefault("num_warps", kwargs.get("num_warps", 4))
            compiled = triton.compile(ASTSource(fn=jit, signature=signature, constexprs=constexprs),
                                      target=GPUTarget("cuda", 90, 32), options=options)
            sizes[name] = len(compiled.asm["cubin"])
        return sizes
    finally:
        if saved is None:
            del os.environ["TRITON_INTERPRET"]
        else:
            os.environ["TRITON_INTERPRET"] = saved
