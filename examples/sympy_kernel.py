"""Compile sympy expressions to a native kernel and look at every stage.

    python examples/sympy_kernel.py
"""

import numpy as np
import sympy as sp

import ircc

x, y = sp.symbols("x y")
kernel = ircc.compile([sp.sin(x) * sp.exp(-y) + x**3, sp.atan2(y, x)], args=[x, y], target="llvm")

points = np.linspace(-1.0, 1.0, 1_000_000)
first, second = kernel(points, 0.5)  # arrays (and numbers, broadcast) in, one array per expression out
print("at x=0.25, y=0.5:", kernel(0.25, 0.5))  # one point: numbers in, the values out
print("stages:", [name for name, _ in kernel.stages])
print(kernel.mlir("cse"))  # the loop-level IR the backend consumed
print(kernel.source[:600], "...")  # the LLVM IR it emitted
print(kernel.compile_stats)
