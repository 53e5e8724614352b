"""The five kernels of benchmarks/pyjit.py, written once as plain Python.

Each is handed unchanged to ``numba.njit`` (``parallel=True`` or not) and to ``ircc.jit``
(``parallel=True`` or not); ``numba.prange`` marks the parallel loop for both (ircc accepts it as
its own ``ircc.prange``). Outputs are preallocated arguments, so the kernels time computation, not
allocation. ``CASES`` gives each kernel's arguments (full and ``--quick`` sizes), a numpy
equivalent, and the check of a compiled result against it.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange


def stencil(u, v):
    """One Jacobi sweep of the 5-point Laplace stencil (boundary untouched)."""
    n, m = u.shape
    for i in prange(1, n - 1):
        for j in range(1, m - 1):
            v[i, j] = 0.25 * (u[i - 1, j] + u[i + 1, j] + u[i, j - 1] + u[i, j + 1])


def matmul(a, b, c):
    """c = a @ b, i-k-j order (unit-stride inner loop)."""
    n, k = a.shape
    m = b.shape[1]
    for i in prange(n):
        for j in range(m):
            c[i, j] = 0.0
        for p in range(k):
            aip = a[i, p]
            for j in range(m):
                c[i, j] += aip * b[p, j]


def histogram(x, parts, out, lo, hi):
    """Counts of x in len(out) equal bins over [lo, hi): one private row of ``parts`` per chunk of x
    (no races between threads), then the rows summed."""
    nchunks, nbins = parts.shape
    n = len(x)
    size = (n + nchunks - 1) // nchunks
    scale = nbins / (hi - lo)
    for c in prange(nchunks):
        for b in range(nbins):
            parts[c, b] = 0
        for i in range(c * size, min(n, (c + 1) * size)):
            b = int((x[i] - lo) * scale)
            if b >= 0 and b < nbins:
                parts[c, b] += 1
    for b in range(nbins):
        s = 0
        for c in range(nchunks):
            s += parts[c, b]
        out[b] = s


def pairwise(x, d):
    """Euclidean distances between all pairs of points (rows of x)."""
    n, dims = x.shape
    for i in prange(n):
        for j in range(n):
            s = 0.0
            for k in range(dims):
                t = x[i, k] - x[j, k]
                s += t * t
            d[i, j] = math.sqrt(s)


def mandelbrot(img, max_iter):
    """Escape iteration counts over [-2, 1] x [-1, 1]."""
    h, w = img.shape
    for y in prange(h):
        ci = -1.0 + 2.0 * y / h
        for x in range(w):
            cr = -2.0 + 3.0 * x / w
            zr = 0.0
            zi = 0.0
            n = 0
            while n < max_iter:
                zr2 = zr * zr
                zi2 = zi * zi
                if zr2 + zi2 > 4.0:
                    break
                zi = 2.0 * zr * zi + ci
                zr = zr2 - zi2 + cr
                n += 1
            img[y, x] = n


# -- numpy equivalents ---------------------------------------------------------------------------
def stencil_numpy(u, v):
    v[1:-1, 1:-1] = 0.25 * (u[:-2, 1:-1] + u[2:, 1:-1] + u[1:-1, :-2] + u[1:-1, 2:])


def matmul_numpy(a, b, c):
    np.matmul(a, b, out=c)


def histogram_numpy(x, parts, out, lo, hi):
    b = ((x - lo) * (len(out) / (hi - lo))).astype(np.int64)
    out[:] = np.bincount(b[(b >= 0) & (b < len(out))], minlength=len(out))


def pairwise_numpy(x, d):
    diff = x[:, None, :] - x[None, :, :]
    np.sqrt(np.einsum("ijk,ijk->ij", diff, diff), out=d)


def mandelbrot_numpy(img, max_iter):
    h, w = img.shape
    c = (-2.0 + 3.0 * np.arange(w) / w)[None, :] + 1j * (-1.0 + 2.0 * np.arange(h) / h)[:, None]
    z = np.zeros_like(c)
    img[:] = max_iter
    alive = np.ones(c.shape, dtype=bool)
    for n in range(max_iter):
        escaped = alive & (z.real * z.real + z.imag * z.imag > 4.0)
        img[escaped] = n
        alive &= ~escaped
        z[alive] = z[alive] * z[alive] + c[alive]


def _make(name: str, quick: bool, threads: int):
    rng = np.random.default_rng(0)
    if name == "stencil":
        n = 400 if quick else 2000
        return (rng.random((n, n)), np.zeros((n, n)))
    if name == "matmul":
        n = 128 if quick else 512
        return (rng.random((n, n)), rng.random((n, n)), np.zeros((n, n)))
    if name == "histogram":
        n = 10**5 if quick else 10**7
        return (rng.random(n), np.zeros((8 * threads, 256), dtype=np.int64), np.zeros(256, dtype=np.int64), 0.0, 1.0)
    if name == "pairwise":
        n = 300 if quick else 2000
        return (rng.random((n, 3)), np.zeros((n, n)))
    if name == "mandelbrot":
        return (np.zeros((120, 160) if quick else (600, 800), dtype=np.int64), 200)
    raise KeyError(name)


#: name -> (kernel, numpy equivalent, index of the output argument, what the table calls the size)
CASES = {
    "stencil": (stencil, stencil_numpy, 1, "5-point sweep, 2000x2000 float64"),
    "matmul": (matmul, matmul_numpy, 2, "512x512 @ 512x512 float64, i-k-j loops"),
    "histogram": (histogram, histogram_numpy, 2, "10^7 float64 into 256 bins, per-chunk counts"),
    "pairwise": (pairwise, pairwise_numpy, 1, "2000 points in 3-D, 2000x2000 distances"),
    "mandelbrot": (mandelbrot, mandelbrot_numpy, 0, "800x600 image, 200 iterations"),
}


def make_args(name: str, *, quick: bool = False, threads: int = 2) -> tuple:
    return _make(name, quick, threads)


def check(name: str, got: np.ndarray, want: np.ndarray) -> None:
    if got.dtype.kind == "f":
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12, err_msg=name)
    elif name == "mandelbrot":  # rounding of the escape test may move a few boundary pixels by an iteration
        assert np.mean(got != want) < 1e-3, f"{name}: {np.mean(got != want):.2%} of pixels differ"
    else:
        np.testing.assert_array_equal(got, want, err_msg=name)
