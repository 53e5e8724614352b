"""ircc: a compiler toolkit. Programs enter one MLIR-style IR (xDSL), are optimized there,
and leave as native CPU code (LLVM, Numba), Triton kernels, or simulated accelerator runs.

    >>> import ircc, sympy, numpy as np
    >>> x, y = sympy.symbols("x y")
    >>> k = ircc.compile(sympy.sin(x) * y + x**2, args=[x, y])
    >>> k(np.linspace(0, 1, 5), 2.0)
"""

from __future__ import annotations

__version__ = "0.1.0"

from ircc.errors import IrccError

__all__ = ["IrccError", "Kernel", "Options", "Pipeline", "__version__", "compile", "graph", "jit", "parse", "prange",
           "sparse"]


def __getattr__(name: str):  # lazy: `import ircc` stays fast for the CLI
    if name == "compile":
        from ircc.driver import compile

        return compile
    if name == "Kernel":
        from ircc.kernel import Kernel

        return Kernel
    if name == "Options":
        from ircc.options import Options

        return Options
    if name == "Pipeline":
        from ircc.passes.pipeline import Pipeline

        return Pipeline
    if name in ("jit", "prange"):
        from ircc.frontends import python

        return getattr(python, name)
    if name in ("sparse", "graph"):
        import importlib

        return importlib.import_module(f"ircc.{name}")
    if name == "parse":
        from ircc.ir.text import parse_module

        return parse_module
    raise AttributeError(f"module 'ircc' has no attribute {name!r}")
