"""Compile a plain numeric Python function with @ircc.jit and look at every stage.

    python examples/python_jit.py
"""

import math

import numpy as np

import ircc


@ircc.jit
def smooth(u, steps):
    """Jacobi sweeps of the 5-point stencil over a grid (boundary kept)."""
    n, m = u.shape
    v = np.empty((n, m))
    for i in range(n):
        for j in range(m):
            v[i, j] = u[i, j]
    for _ in range(steps):
        for i in ircc.prange(1, n - 1):  # rows in parallel (scf.parallel)
            for j in range(1, m - 1):
                v[i, j] = 0.25 * (u[i - 1, j] + u[i + 1, j] + u[i, j - 1] + u[i, j + 1])
        for i in ircc.prange(1, n - 1):
            for j in range(1, m - 1):
                u[i, j] = v[i, j]
    return u


@ircc.jit(target="llvm", fastmath=False)
def energy(u):
    """A parallel reduction (scf.reduce) calling math functions."""
    s = 0.0
    for i in ircc.prange(u.shape[0]):
        for j in range(u.shape[1]):
            s += math.sqrt(u[i, j] * u[i, j] + 1.0)
    return s


grid = np.zeros((200, 200))
grid[0, :] = 1.0  # a hot top edge
smooth(grid, 50)  # the first call compiles for (float64[:, :], int64), later calls reuse it
print("energy:", energy(grid), " plain Python:", energy.py_func(grid))

kernel = smooth.kernel(grid, 50)  # the compiled specialization (a Kernel)
print("stages:", [name for name, _ in kernel.stages])
print(kernel.mlir("input")[:1500], "...")  # the IR the frontend built, with Python source locations
print(kernel.compile_stats)
